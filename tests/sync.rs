//! Sync against a real hub on 127.0.0.1 (ephemeral ports): no mocks of the protocol.

mod common;
use common::Finish;

use common::hub::{HubProc, device};

use langnghe::hub::Hub;
use langnghe::protocol::{bundle, keys};
use langnghe::store::{Stamp, Status, Store, StoreError};
use langnghe::sync::{client, outbox};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn bin() -> Command {
    common::langnghe()
}

fn run(args: &[&str]) -> String {
    common::run(args)
}

fn now() -> Stamp {
    Stamp::from_local(chrono::Local::now().fixed_offset())
}

fn post(url: &str, token: &str, body: &[u8]) -> (u16, Vec<u8>) {
    common::hub::post(&format!("{url}/api/v1/bundles"), token, body)
}

#[test]
fn enrol_finalize_sync_and_the_hub_has_each_interview_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop-1", 30);
    // Sealed at enrolment: the laptop itself can no longer read them.
    let (entries, _) = store.entries();
    assert_eq!(entries.len(), 30);
    assert!(matches!(
        store.finalized(entries[0].0),
        Err(StoreError::Sealed(_))
    ));
    let c = client::Client::new(store.dir()).unwrap();
    let mut progress = Vec::new();
    let r = outbox::sync_once(
        &store,
        &c,
        &store.dir().join("forms"),
        now,
        &mut |done, total| progress.push((done, total)),
    )
    .unwrap();
    assert_eq!((r.accepted, r.duplicate, r.conflict), (30, 0, 0));
    // The form version rides along and is not counted: the progress ends at its total.
    assert_eq!(r.forms_delivered, 1);
    let &(done, total) = progress.last().unwrap();
    assert_eq!(done, total, "progress {progress:?}");
    assert_eq!(total, 30 + r.ended);
    assert!(
        store
            .entries()
            .0
            .iter()
            .all(|(_, e)| e.status == Status::Sent && e.sent_at.is_some())
    );
    // Forms were pulled from the hub.
    assert!(store.dir().join("forms").read_dir().unwrap().count() >= 2);
    // Sending the same bundle again: all duplicate, nothing doubled.
    let ids: Vec<_> = entries.iter().map(|(id, _)| *id).collect();
    let b = outbox::build(&store, &c.enrollment, &c.key, &ids).unwrap();
    let receipt = c.send(&b, store.device()).unwrap();
    assert!(
        receipt
            .items
            .iter()
            .all(|(_, s)| *s == bundle::ItemStatus::Duplicate)
    );
    let receipt = c.send(&b, store.device()).unwrap();
    assert_eq!(receipt.items.len(), 30);
    let tombs = store.tombstones();
    assert!(!tombs.is_empty(), "the simulation had refusals or under-7s");
    assert!(
        store.unsent_tombstones(100).is_empty(),
        "tombstones went to the hub too"
    );
    drop(store);
    assert_eq!(hub.stored(), 30, "exported through the running hub");
    // The hub's report counts the interviews and, as response figures, the tombstones.
    hub_report_counts(&mut hub, 30, tombs.len());
}

fn hub_report_counts(hub: &mut HubProc, interviews: usize, ended: usize) {
    hub.kill(); // the report opens the store itself
    let table = run(&[
        "hub",
        "report",
        "--data",
        hub.dir.to_str().unwrap(),
        "--include-training",
        "--lang",
        "en",
    ]);
    assert!(
        table.contains(&format!("{interviews} completed interviews; ended early:")),
        "{table}"
    );
    let counted: usize = table
        .lines()
        .next()
        .unwrap()
        .split("ended early: ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split(", ")
        .map(|part| part.rsplit(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(counted, ended, "{table}");
    // A path, not an open temp file: Windows cannot replace a file another handle holds.
    let out = tempfile::tempdir().unwrap();
    let html = out.path().join("report.html");
    run(&[
        "hub",
        "report",
        "--data",
        hub.dir.to_str().unwrap(),
        "--include-training",
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(&html)
            .unwrap()
            .matches("class=\"chart\"")
            .count(),
        4,
        "three indicators and the declined figure"
    );
}

#[test]
fn damaged_bundles_and_bad_credentials_are_refused_and_store_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop-2", 5);
    let c = client::Client::new(store.dir()).unwrap();
    let ids = store.unsent(100);
    let good = outbox::build(&store, &c.enrollment, &c.key, &ids).unwrap();
    let token = c.enrollment.api_token.clone();
    let url = hub.url();
    let refused = |body: &[u8], token: &str, status: u16, why: &str| {
        let (s, text) = post(&url, token, body);
        let text = String::from_utf8_lossy(&text).into_owned();
        assert_eq!(s, status, "{why}: {text}");
        assert!(text.contains(why), "{why}: {text}");
    };
    let mut flipped = good.clone();
    flipped[200] ^= 0x01;
    refused(&flipped, &token, 400, "damaged in transit");
    let mut flipped = good.clone();
    flipped[60] ^= 0x01; // inside the signed header
    refused(&flipped, &token, 400, "signature does not match");
    refused(&good[..good.len() - 10], &token, 400, "cut short");
    refused(b"not a bundle at all", &token, 400, "too short");
    refused(&good, "wrong-token", 401, "unknown device token");
    // Signed by another key than the enrolled one.
    let other = keys::new_signing_key();
    let items: Vec<_> = ids
        .iter()
        .map(|id| (*id, store.sealed_bytes(*id).unwrap()))
        .collect();
    let forged = bundle::build(store.device(), 99, c.enrollment.hub_id, &items, &other);
    refused(&forged, &token, 400, "signature does not match");
    // A second device's token cannot deliver the first device's bundle.
    let store2 = device(&tmp.path().join("dev2"), &hub, "laptop-3", 1);
    let token2 = client::load_enrollment(store2.dir()).unwrap().api_token;
    refused(&good, &token2, 403, "another device");
    drop(store2);
    assert_eq!(hub.stored(), 0, "nothing stored by any refused bundle");
    // Revoked: refused from then on.
    run(&[
        "hub",
        "devices",
        "--data",
        hub.dir.to_str().unwrap(),
        "--revoke",
        "laptop-2",
    ]);
    refused(&good, &token, 403, "revoked");
    assert_eq!(hub.stored(), 0);
}

#[test]
fn oversize_body_gets_413_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let mut s = TcpStream::connect(&hub.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Announce 1 GB, send none of it: the answer must come without the body.
    write!(s, "POST /api/v1/bundles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 1000000000\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(
        head.starts_with("HTTP/1.1 413") || head.starts_with("HTTP/1.1 401"),
        "{head}"
    );
    // With a valid token the limit is what answers.
    let store = device(&tmp.path().join("dev"), &hub, "laptop-4", 1);
    let token = client::load_enrollment(store.dir()).unwrap().api_token;
    let mut s = TcpStream::connect(&hub.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "POST /api/v1/bundles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 1000000000\r\n\r\n").unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
}

#[test]
fn a_200_page_from_a_captive_portal_marks_nothing_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop-5", 3);
    // A "Wi-Fi login" server that answers 200 with HTML to everything.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let portal: SocketAddr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        axum::response::Html("<html><body>Đăng nhập Wi-Fi</body></html>")
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    let mut e = client::load_enrollment(store.dir()).unwrap();
    e.hub_url = format!("http://{portal}");
    langnghe::store::paths::write_private(
        &client::enrollment_path(store.dir()),
        toml::to_string(&e).unwrap().as_bytes(),
    )
    .unwrap();
    let c = client::Client::new(store.dir()).unwrap();
    assert!(!c.online(), "a portal is not our hub");
    assert!(
        outbox::sync_once(&store, &c, &store.dir().join("forms"), now, &mut |_, _| {}).is_err()
    );
    // Even a direct upload answered 200 HTML counts for nothing.
    let ids = store.unsent(10);
    let b = outbox::build(&store, &c.enrollment, &c.key, &ids).unwrap();
    let err = c.send(&b, store.device()).unwrap_err();
    assert!(
        matches!(err, langnghe::sync::SyncError::Refused { status: 200, .. }),
        "{err}"
    );
    assert!(
        store
            .entries()
            .0
            .iter()
            .all(|(_, e)| e.status != Status::Sent)
    );
}

#[test]
fn hub_killed_in_the_middle_then_the_next_sync_completes_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let store = Arc::new(device(&tmp.path().join("dev"), &hub, "laptop-6", 1600));
    let c = client::Client::new(store.dir()).unwrap();
    let addr = hub.addr.clone();
    let mut killed = false;
    let first = outbox::sync_once(&store, &c, &store.dir().join("forms"), now, &mut |_, _| {
        // After the first bundle's receipt, the hub dies while the next uploads.
        if !killed {
            killed = true;
            hub.kill();
        }
    });
    assert!(first.is_err(), "the sync must notice the hub died");
    let sent = store
        .entries()
        .0
        .iter()
        .filter(|(_, e)| e.status == Status::Sent)
        .count();
    assert_eq!(
        sent,
        outbox::PER_BUNDLE,
        "only the acknowledged bundle counts as sent"
    );
    assert_counts_agree(&store);
    hub.start(&addr);
    let r = outbox::sync_once(&store, &c, &store.dir().join("forms"), now, &mut |_, _| {}).unwrap();
    assert_eq!(r.accepted + r.duplicate, 1600 - outbox::PER_BUNDLE);
    assert!(
        store
            .entries()
            .0
            .iter()
            .all(|(_, e)| e.status == Status::Sent)
    );
    assert_counts_agree(&store);
    assert_eq!(store.counts(), [0, 0, 1600]);
    drop(store);
    assert_eq!(hub.stored(), 1600, "nothing lost, nothing doubled");
}

/// The store's kept counters (finalized, queued, sent) are what its index says: statuses
/// are moved a bundle at a time, counters once per bundle.
fn assert_counts_agree(store: &Store) {
    let mut by_status = [0u64; 3];
    for (_, e) in store.entries().0 {
        by_status[match e.status {
            Status::Queued => 1,
            Status::Sent => 2,
            _ => 0,
        }] += 1;
    }
    assert_eq!(store.counts(), by_status);
}

#[test]
fn usb_bundle_export_import_confirm() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let dev = tmp.path().join("dev");
    drop(device(&dev, &hub, "laptop-7", 12));
    hub.kill(); // no network from here on: a USB stick
    let stick = tmp.path().join("stick.lnb");
    let d = dev.to_str().unwrap();
    run(&[
        "--data-dir",
        d,
        "bundle",
        "export",
        "--out",
        stick.to_str().unwrap(),
    ]);
    assert!(
        run(&["--data-dir", d, "list", "--status", "queued"])
            .lines()
            .count()
            == 12
    );
    let said = run(&[
        "hub",
        "import",
        "--data",
        hub.dir.to_str().unwrap(),
        stick.to_str().unwrap(),
    ]);
    assert!(said.contains("12 accepted"), "{said}");
    // Importing the same stick twice stores nothing twice.
    let again = run(&[
        "hub",
        "import",
        "--data",
        hub.dir.to_str().unwrap(),
        stick.to_str().unwrap(),
    ]);
    assert!(again.contains("0 accepted, 12 already there"), "{again}");
    let receipt = stick.with_extension("receipt");
    run(&[
        "--data-dir",
        d,
        "bundle",
        "confirm",
        receipt.to_str().unwrap(),
    ]);
    assert_eq!(
        run(&["--data-dir", d, "list", "--status", "sent"])
            .lines()
            .count(),
        12
    );
    // A damaged file is refused whole.
    let mut bytes = std::fs::read(&stick).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xFF;
    let bad = tmp.path().join("bad.lnb");
    std::fs::write(&bad, bytes).unwrap();
    let out = bin()
        .args([
            "hub",
            "import",
            "--data",
            hub.dir.to_str().unwrap(),
            bad.to_str().unwrap(),
        ])
        .finish();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("refused, nothing stored"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(hub.stored(), 12);
}

#[test]
fn same_id_different_content_is_kept_aside_as_a_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let hub_dir = tmp.path().join("hub");
    let mut hub = HubProc::new(&hub_dir);
    let store = device(&tmp.path().join("dev"), &hub, "laptop-8", 2);
    let c = client::Client::new(store.dir()).unwrap();
    outbox::sync_once(&store, &c, &store.dir().join("forms"), now, &mut |_, _| {}).unwrap();
    // Forge a different interview under an existing id, sealed and signed properly.
    let (entries, _) = store.entries();
    let id = entries[0].0;
    let f = langnghe::store::Finalized {
        id,
        form: langnghe::store::FormRef {
            id: "child_participation".into(),
            version: "x".into(),
            hash: 0,
        },
        device: store.device(),
        seq: 1,
        surveyor: "someone else".into(),
        started: now(),
        finished: now(),
        answers: vec![("age".into(), "9".into())],
        paradata: vec![],
        duration_ms: 1,
        referral: false,
        training: false,
    };
    let recipients = langnghe::protocol::seal::parse_recipients(&c.enrollment.recipients).unwrap();
    let sealed =
        langnghe::protocol::seal::seal(&bundle::interview_plaintext(&f), &recipients).unwrap();
    let b = bundle::build(
        store.device(),
        50,
        c.enrollment.hub_id,
        &[(id, sealed)],
        &c.key,
    );
    let r = c.send(&b, store.device()).unwrap();
    assert_eq!(r.items, vec![(id, bundle::ItemStatus::Conflict)]);
    drop(store);
    hub.kill();
    let h = Hub::open(&hub_dir).unwrap();
    assert_eq!(h.store.conflicts().unwrap(), 1);
    let mut original = None;
    h.each_finalized(|x| {
        if x.id == id {
            original = Some(x.surveyor);
        }
    })
    .unwrap();
    assert_eq!(
        original.as_deref(),
        Some("simulated"),
        "the first version was not overwritten"
    );
}

#[test]
fn an_escrow_key_can_open_what_devices_seal_and_retention_erases_old_sent_interviews() {
    let tmp = tempfile::tempdir().unwrap();
    let escrow = age::x25519::Identity::generate();
    let hub_dir = tmp.path().join("hub");
    let hub = Hub::init(&hub_dir, &[escrow.to_public().to_string()]).unwrap();
    assert_eq!(hub.config.recipients.len(), 2);
    drop(hub);
    let store = Store::open(&tmp.path().join("dev")).unwrap();
    let recipients = toml::from_str::<langnghe::hub::HubConfig>(
        &std::fs::read_to_string(hub_dir.join("hub.toml")).unwrap(),
    )
    .unwrap()
    .recipients;
    store.seal_to(&recipients).unwrap();
    let form = Arc::new(
        langnghe::form::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/commune_child_friendly.toml"),
        )
        .unwrap(),
    );
    let mut rng = langnghe::simulate::Rng::new(1);
    let t = chrono::Local::now().fixed_offset();
    let iv = loop {
        if let Some(iv) = langnghe::simulate::interview(&form, &mut rng, t) {
            break iv;
        }
    };
    let mut f = [langnghe::simulate::finalized(&form, &iv, "sv", &mut rng, t)];
    store.finalize(&mut f).unwrap();
    let sealed = store.sealed_bytes(f[0].id).unwrap();
    let plain = langnghe::protocol::seal::open(&sealed, &escrow).unwrap();
    let back: langnghe::store::Finalized = langnghe::codec::decode(&plain).unwrap();
    assert_eq!(back.answers, f[0].answers, "the escrow key opens it");
    // Sent 31 days ago: erased by retention, with a tombstone.
    let long_ago = Stamp::from_local(t - chrono::Duration::days(31));
    store.mark_sent(&[f[0].id], long_ago).unwrap();
    assert_eq!(store.apply_retention(Stamp::from_local(t), 30).unwrap(), 1);
    assert!(store.entry(f[0].id).is_err());
    // No tombstone: one would travel to the hub as an erasure request and take the hub's
    // copy too, and count as an interview that ended early.
    assert!(store.tombstones().is_empty());
    assert!(store.unsent_tombstones(10).is_empty());
}

#[test]
fn the_hub_receives_each_form_version_with_its_interviews_and_never_skips_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    // A form the hub never published: only the device has it.
    let form = tmp.path().join("pets.toml");
    std::fs::write(
        &form,
        "[settings]\nid = \"pets\"\nversion = \"3\"\n\n[[survey]]\ntype = \"integer\"\nname = \"dogs\"\nlabel = \"Dogs?\"\nrequired = true\n",
    )
    .unwrap();
    let dev = tmp.path().join("dev");
    let d = dev.to_str().unwrap();
    run(&[
        "--data-dir",
        d,
        "simulate",
        "--form",
        form.to_str().unwrap(),
        "--count",
        "7",
    ]);
    run(&[
        "--data-dir",
        d,
        "enroll",
        &hub.url(),
        &hub.token("laptop-f"),
    ]);
    let said = run(&["--data-dir", d, "sync"]);
    assert!(said.contains("7 accepted"), "{said}");
    // Sent once: the next sync does not send it again.
    run(&[
        "--data-dir",
        d,
        "simulate",
        "--form",
        form.to_str().unwrap(),
        "--count",
        "2",
    ]);
    let store = Store::open(&dev).unwrap();
    let c = client::Client::new(store.dir()).unwrap();
    let mut cursor = outbox::Cursor::default();
    let b = outbox::next(&store, &c.enrollment, &c.key, 500, &mut cursor)
        .unwrap()
        .unwrap();
    assert_eq!(
        b.items, 2,
        "two interviews and no form: the hub acknowledged it"
    );
    assert_eq!(b.records, 2);
    drop(store);
    hub.kill();
    let out = tmp.path().join("out");
    let exported = run(&[
        "hub",
        "export",
        "--data",
        hub.dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--include-training",
    ]);
    assert!(exported.contains("pets.csv (7 rows)"), "{exported}");
    let kept = hub.dir.join("form-versions").join("pets");
    assert_eq!(kept.read_dir().unwrap().count(), 1);
    // Without that copy the hub cannot read them: export says so and fails. (On PostgreSQL
    // the database's copy is the one that counts: it goes too.)
    std::fs::remove_dir_all(&kept).unwrap();
    if let Some(url) = &hub.database {
        let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let gone = db
            .execute("DELETE FROM form_versions WHERE form_id = 'pets'", &[])
            .unwrap();
        assert_eq!(gone, 1);
    }
    let o = bin()
        .args([
            "hub",
            "export",
            "--data",
            hub.dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--include-training",
        ])
        .finish();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("left out: 7 interview(s) of form `pets`"),
        "{err}"
    );
}

/// Flags a draft of the child form as needing protection follow-up (in commune 03160) and
/// leaves it a draft.
fn flag_a_draft(store: Store) -> uuid::Uuid {
    let store = std::sync::Arc::new(store);
    let mut s = langnghe::session::Session::start(
        store.clone(),
        common::child_form(),
        "sv07",
        std::sync::Arc::new(common::StepClock::default()),
    )
    .unwrap();
    let q = |s: &langnghe::session::Session, n: &str| s.iv.form().by_name[n];
    for (name, v) in [
        ("guardian_consent", "yes"),
        ("child_assent", "yes"),
        ("province", "11"),
        ("commune", "03160"),
        ("referral", "yes"),
    ] {
        let node = q(&s, name);
        s.answer(node, &[], v).unwrap();
    }
    assert!(s.draft.referral);
    s.id()
}

#[test]
fn a_referral_reaches_the_hub_at_the_next_sync_even_from_a_draft() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let dev = tmp.path().join("dev");
    let store = device(&dev, &hub, "laptop-r", 3);
    let id = flag_a_draft(store);
    let said = run(&["--data-dir", dev.to_str().unwrap(), "sync"]);
    assert!(said.contains("1 referral(s)"), "{said}");
    // Sent once: the next sync has none.
    let again = run(&["--data-dir", dev.to_str().unwrap(), "sync"]);
    assert!(again.contains("0 referral(s)"), "{again}");
    hub.kill();
    let hub_dir = hub.dir.to_str().unwrap().to_string();
    let h = hub_dir.as_str();
    let csv = tmp.path().join("referrals.csv");
    let listed = run(&[
        "hub",
        "referrals",
        "--data",
        h,
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(
        listed.contains(&id.to_string())
            && listed.contains("Xã Mường Nhé (03160)")
            && listed.contains("sv07")
            && listed.contains("OPEN"),
        "{listed}"
    );
    let table = std::fs::read_to_string(&csv).unwrap();
    assert!(
        table.starts_with("interview,commune,flagged_at,surveyor"),
        "{table}"
    );
    let done = run(&[
        "hub",
        "referrals",
        "--data",
        h,
        "--followed-up",
        &id.to_string(),
    ]);
    assert!(done.contains("followed up"), "{done}");
    // By USB too: another device, no network.
    hub.start("127.0.0.1:0");
    let dev2 = tmp.path().join("dev2");
    let store = device(&dev2, &hub, "laptop-s", 1);
    hub.kill();
    let id2 = flag_a_draft(store);
    let stick = tmp.path().join("stick.lnb");
    let d2 = dev2.to_str().unwrap();
    run(&[
        "--data-dir",
        d2,
        "bundle",
        "export",
        "--out",
        stick.to_str().unwrap(),
    ]);
    run(&["hub", "import", "--data", h, stick.to_str().unwrap()]);
    let listed = run(&["hub", "referrals", "--data", h]);
    assert!(listed.contains(&id2.to_string()), "{listed}");
}

/// How many rows the hub exports for the child form.
fn hub_rows(hub_dir: &Path, out: &Path) -> usize {
    run(&[
        "hub",
        "export",
        "--data",
        hub_dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--include-training",
    ]);
    let Ok(text) = std::fs::read_to_string(out.join("child_participation.csv")) else {
        return 0;
    };
    submission_dates_are_the_hubs(&text);
    text.lines().count().saturating_sub(1)
}

/// Central's `SubmissionDate`: when the hub received the interview (UTC, ms, `Z`), which is
/// after the device finalized it (`meta-end`), never a copy of it.
fn submission_dates_are_the_hubs(csv: &str) {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let end_col = header.iter().position(|h| *h == "meta-end").unwrap();
    assert_eq!(header[0], "SubmissionDate");
    for l in lines {
        let cells = split_csv(l);
        let sub = &cells[0];
        assert!(sub.len() == 24 && sub.ends_with('Z'), "{sub}");
        let sub = chrono::DateTime::parse_from_rfc3339(sub).unwrap();
        let end = chrono::DateTime::parse_from_rfc3339(&cells[end_col]).unwrap();
        assert!(sub > end, "received {sub} must follow finalized {end}");
    }
}

/// One CSV line's fields (quoted fields may hold commas; simulated answers hold no line breaks).
fn split_csv(l: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = l.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Whether any file under `dir` holds `needle`.
fn anywhere_under(dir: &Path, needle: &[u8]) -> bool {
    !common::files_holding(dir, needle).is_empty()
}

/// Whether any bundle file the hub keeps still holds `needle`.
fn in_kept_bundles(hub_dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(hub_dir.join("bundles"))
        .unwrap()
        .flatten()
        .any(|e| {
            std::fs::read(e.path())
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
        })
}

#[test]
fn erasure_on_request_reaches_the_hub_by_http_usb_or_at_the_office() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let dev = tmp.path().join("dev");
    let d = dev.to_str().unwrap();
    let store = device(&dev, &hub, "laptop-e", 6);
    let ids: Vec<uuid::Uuid> = store.entries().0.iter().map(|(id, _)| *id).collect();
    let sealed: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| store.sealed_bytes(*id).unwrap())
        .collect();
    drop(store);
    run(&["--data-dir", d, "sync"]);
    hub.kill();
    let out = tmp.path().join("out");
    let hub_dir = hub.dir.clone();
    let n = hub_rows(&hub_dir, &out);
    assert_eq!(n, ids.len());
    // The hub keeps each bundle as received, except on PostgreSQL, where the database is
    // the copy.
    let kept = hub.database.is_none();
    assert_eq!(in_kept_bundles(&hub_dir, &sealed[0]), kept);
    // 1. Over HTTP: the guardian asks the surveyor to delete an interview already sent.
    let addr = hub.addr.clone();
    hub.start(&addr);
    let said = run(&[
        "--data-dir",
        d,
        "erase",
        &ids[0].to_string(),
        "--reason",
        "guardian_request",
    ]);
    assert!(said.contains("erased"), "{said}");
    run(&["--data-dir", d, "sync"]);
    hub.kill();
    assert_eq!(hub_rows(&hub_dir, &out), n - 1);
    assert!(
        !in_kept_bundles(&hub_dir, &sealed[0]),
        "the kept bundle was scrubbed"
    );
    // Nowhere in the hub's folder either: sled holds it locked under a key now destroyed,
    // while an interview not erased is still in its kept bundle.
    assert!(!anywhere_under(&hub_dir, &sealed[0]));
    assert_eq!(in_kept_bundles(&hub_dir, &sealed[3]), kept);
    let exported = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    assert!(!exported.contains(&ids[0].to_string()));
    // 2. By USB.
    run(&["--data-dir", d, "erase", &ids[1].to_string()]);
    let stick = tmp.path().join("stick.lnb");
    run(&[
        "--data-dir",
        d,
        "bundle",
        "export",
        "--out",
        stick.to_str().unwrap(),
    ]);
    let h = hub_dir.to_str().unwrap();
    let imported = run(&["hub", "import", "--data", h, stick.to_str().unwrap()]);
    assert!(
        imported.contains("1 refusal/withdrawal count(s)"),
        "{imported}"
    );
    assert_eq!(hub_rows(&hub_dir, &out), n - 2);
    assert!(!in_kept_bundles(&hub_dir, &sealed[1]));
    // 3. At the district office, straight on the hub.
    let said = run(&[
        "hub",
        "erase",
        "--data",
        h,
        &ids[2].to_string(),
        "--reason",
        "guardian_request",
    ]);
    assert!(said.contains("only a tombstone remains"), "{said}");
    assert_eq!(hub_rows(&hub_dir, &out), n - 3);
    assert!(!in_kept_bundles(&hub_dir, &sealed[2]));
    // And the device no longer holds them either.
    let store = Store::open(&dev).unwrap();
    for id in &ids[..2] {
        assert!(store.entry(*id).is_err());
    }
}

#[test]
fn a_forgotten_passphrase_is_recovered_through_the_hub() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let dev = tmp.path().join("dev");
    let d = dev.to_str().unwrap();
    let with = |pass: &str, args: &[&str]| {
        bin()
            .env("LANGNGHE_PASSPHRASE", pass)
            .env("LANGNGHE_NEW_PASSPHRASE", "ngựa trắng 2027")
            .args(["--data-dir", d])
            .args(args)
            .stdin(std::process::Stdio::null())
            .finish()
    };
    run(&[
        "--data-dir",
        d,
        "simulate",
        "--form",
        "child_participation",
        "--count",
        "3",
    ]);
    let o = bin()
        .env("LANGNGHE_NEW_PASSPHRASE", "trâu vàng 2026")
        .args(["--data-dir", d, "passphrase"])
        .finish();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = with(
        "trâu vàng 2026",
        &["enroll", &hub.url(), &hub.token("laptop-p")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    hub.kill();
    // The passphrase is forgotten. The device's datakey.hub goes to the district office.
    assert!(!with("quên rồi", &["list"]).status.success());
    let key = run(&[
        "hub",
        "recover-device-key",
        "--data",
        hub.dir.to_str().unwrap(),
        dev.join("datakey.hub").to_str().unwrap(),
    ]);
    let key = key.trim();
    assert_eq!(key.len(), 64, "{key}");
    // A wrong key is refused before anything changes.
    let wrong = "00".repeat(32);
    assert!(
        !with("", &["passphrase", "--data-key", &wrong])
            .status
            .success()
    );
    let o = with("", &["passphrase", "--data-key", key]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = with("ngựa trắng 2027", &["list", "--status", "finalized"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 3);
    assert!(
        !with("trâu vàng 2026", &["list"]).status.success(),
        "the old one is gone"
    );
}

/// `hub open`: a stored interview as readable JSON, through the running hub (admin call) and
/// with the hub stopped; a bundle file with the hub folder (signature checked); a tampered
/// bundle refused whole.
#[test]
fn hub_open_gives_readable_json_of_stored_items_and_bundle_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let dev = tmp.path().join("dev");
    let store = device(&dev, &hub, "laptop-o", 2);
    let id = store.entries().0[0].0;
    drop(store);
    let d = dev.to_str().unwrap();
    run(&["--data-dir", d, "sync"]);
    let h = hub.dir.to_str().unwrap().to_string();
    let opened = |args: &[&str]| -> serde_json::Value {
        let out = run(args);
        serde_json::from_str(out.lines().next().expect("one line")).unwrap()
    };
    let serving = opened(&["hub", "open", "--data", &h, &id.to_string()]);
    assert_eq!(serving["kind"], "interview");
    assert_eq!(serving["id"], id.to_string());
    assert!(
        serving["answers"]
            .as_object()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(serving["received"].as_str().unwrap().ends_with('Z'));
    // The report works while the hub serves (the server computes it, as for export).
    let report = run(&[
        "--lang",
        "en",
        "hub",
        "report",
        "--data",
        &h,
        "--include-training",
    ]);
    assert!(report.contains("2 completed interviews"), "{report}");
    hub.kill();
    let stopped = opened(&["hub", "open", "--data", &h, &id.to_string()]);
    assert_eq!(serving, stopped);
    // A bundle file, as a USB stick brings it: opened with the signature checked.
    run(&[
        "--data-dir",
        d,
        "erase",
        &id.to_string(),
        "--reason",
        "withdrawn",
    ]);
    let stick = tmp.path().join("stick.lnb");
    run(&[
        "--data-dir",
        d,
        "bundle",
        "export",
        "--out",
        stick.to_str().unwrap(),
    ]);
    let t = opened(&["hub", "open", "--data", &h, stick.to_str().unwrap()]);
    assert_eq!(t["kind"], "tombstone");
    assert_eq!(t["reason"], "withdrawn");
    let mut bytes = std::fs::read(&stick).unwrap();
    let last = bytes.len() - 70;
    bytes[last] ^= 1;
    std::fs::write(&stick, &bytes).unwrap();
    let o = common::langnghe()
        .args(["hub", "open", "--data", &h, stick.to_str().unwrap()])
        .finish();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).is_empty());
}

#[test]
fn the_hub_opens_on_every_core_yet_exports_each_interview_once_in_store_order() {
    // More interviews than one chunk of parallel opening (512), and not a multiple of it.
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop-many", 1100);
    let mut ids: Vec<String> = store
        .entries()
        .0
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    drop(store);
    let d = tmp.path().join("dev");
    run(&["--data-dir", d.to_str().unwrap(), "sync"]);
    let out = tmp.path().join("out");
    assert_eq!(hub_rows(&hub.dir, &out), 1100);
    let csv = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    let mut lines = csv.lines();
    let head = split_csv(lines.next().unwrap());
    let key = head.iter().position(|h| h == "KEY").unwrap();
    let keys: Vec<String> = lines
        .map(|l| split_csv(l)[key].trim_start_matches("uuid:").to_string())
        .collect();
    // The store's order (by id), whatever the number of cores.
    ids.sort();
    assert_eq!(keys, ids);
}
