//! Attacks on the hub and on what devices take from it, each reproduced against a real hub
//! (a process, or the real server loop on 127.0.0.1). Named after what they guard.

mod common;
use common::Finish;

use common::hub::{HubProc, device};
use common::run;
use ed25519_dalek::Signer;
use langnghe::hub::{Hub, server};
use langnghe::protocol::{bundle, keys};
use langnghe::store::Stamp;
use langnghe::sync::{client, outbox};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn post(url: &str, token: &str, body: &[u8]) -> (u16, String) {
    let (status, body) = common::hub::post(url, token, body);
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn healthy(hub: &HubProc) -> bool {
    agent()
        .get(format!("{}/api/v1/health", hub.url()))
        .call()
        .is_ok_and(|r| r.status().as_u16() == 200)
}

fn now() -> Stamp {
    Stamp::from_local(chrono::Local::now().fixed_offset())
}

/// A bundle whose `payload_len` makes HEADER + payload + SIG wrap around to its real size.
fn wrapping_bundle(device: uuid::Uuid, hub: uuid::Uuid) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&bundle::MAGIC);
    b.push(bundle::VERSION);
    b.extend_from_slice(device.as_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    b.extend_from_slice(hub.as_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(&[0u8; 32]);
    b.resize(152, 0);
    assert_eq!(
        (bundle::HEADER_LEN as u64)
            .wrapping_add(u64::MAX)
            .wrapping_add(bundle::SIG_LEN as u64),
        152
    );
    b
}

#[test]
fn a_bundle_whose_length_wraps_around_is_refused_and_the_hub_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop", 1);
    let e = client::load_enrollment(store.dir()).unwrap();
    let evil = wrapping_bundle(store.device(), e.hub_id);
    // The pure check first: an error, no panic.
    let key = keys::new_signing_key();
    assert!(bundle::verify(&evil, &key.verifying_key()).is_err());
    // Over HTTP with a real device token.
    let (status, _) = post(
        &format!("{}/api/v1/bundles", hub.url()),
        &e.api_token,
        &evil,
    );
    assert_eq!(status, 400);
    assert!(healthy(&hub), "the hub must still serve");
    // And as a file through `hub import` (which needs no token) into the running hub.
    let f = tmp.path().join("evil.lnb");
    std::fs::write(&f, &evil).unwrap();
    let out = common::langnghe()
        .args(["hub", "import", "--data", hub.dir.to_str().unwrap()])
        .arg(&f)
        .finish();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("refused"));
    assert!(healthy(&hub), "the hub must still serve after the import");
    // A receipt with a wrapping length is refused too.
    let mut r = bundle::RECEIPT_MAGIC.to_vec();
    r.extend_from_slice(&u32::MAX.to_le_bytes());
    r.resize(8 + bundle::SIG_LEN, 0);
    assert!(bundle::verify_receipt(&r, &key.verifying_key()).is_err());
}

#[test]
fn a_panicking_request_costs_one_500_not_the_service() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                if std::hint::black_box(true) {
                    panic!("a bug in one handler");
                }
                "never"
            }),
        )
        .route("/ok", axum::routing::get(|| async { "ok" }))
        .layer(axum::middleware::from_fn(server::catch_panic));
    rt.spawn(server::serve_router(
        listener,
        app,
        server::Limits::default(),
    ));
    for _ in 0..3 {
        let r = agent().get(format!("http://{addr}/boom")).call().unwrap();
        assert_eq!(r.status().as_u16(), 500);
    }
    let mut r = agent().get(format!("http://{addr}/ok")).call().unwrap();
    assert_eq!(r.body_mut().read_to_string().unwrap(), "ok");
    // And the release build unwinds (an abort would take the whole hub down).
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("panic = \"abort\""));
}

fn enroll_raw(
    hub: &HubProc,
    token: &str,
    device: uuid::Uuid,
    key: &ed25519_dalek::SigningKey,
) -> (u16, String) {
    let req = langnghe::protocol::http::EnrollRequest {
        token: token.into(),
        device_id: device,
        public_key: keys::hex(key.verifying_key().as_bytes()),
        proof: keys::hex(&key.sign(&bundle::enroll_message(token, device)).to_bytes()),
        return_key: None,
    };
    post(
        &format!("{}/api/v1/enroll", hub.url()),
        "",
        serde_json::to_string(&req).unwrap().as_bytes(),
    )
}

#[test]
fn an_enrolment_with_a_return_key_that_is_not_one_is_refused_and_spends_no_token() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let token = hub.token("odd");
    let key = keys::new_signing_key();
    let device = uuid::Uuid::now_v7();
    let req = |return_key: &str| langnghe::protocol::http::EnrollRequest {
        token: token.clone(),
        device_id: device,
        public_key: keys::hex(key.verifying_key().as_bytes()),
        proof: keys::hex(&key.sign(&bundle::enroll_message(&token, device)).to_bytes()),
        return_key: Some(return_key.into()),
    };
    let url = format!("{}/api/v1/enroll", hub.url());
    let bad = serde_json::to_string(&req("age1notakey")).unwrap();
    let (status, why) = post(&url, "", bad.as_bytes());
    assert_eq!(status, 400, "{why}");
    assert!(why.contains("return key"), "{why}");
    // The same token still enrols the device with a real key.
    let real = age::x25519::Identity::generate().to_public().to_string();
    let good = serde_json::to_string(&req(&real)).unwrap();
    assert_eq!(post(&url, "", good.as_bytes()).0, 201);
}

#[test]
fn enrolment_cannot_take_over_a_device_or_revive_a_revoked_one() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let victim = device(&tmp.path().join("dev"), &hub, "victim", 2);
    let victim_id = victim.device();
    drop(victim);
    let attacker = keys::new_signing_key();
    // A spare token and the victim's id, with the attacker's key: refused, token not spent.
    let spare = hub.token("spare");
    let (status, why) = enroll_raw(&hub, &spare, victim_id, &attacker);
    assert_eq!(status, 409, "{why}");
    // A proof signed by another key than the one enrolled: refused.
    let req = langnghe::protocol::http::EnrollRequest {
        token: spare.clone(),
        device_id: uuid::Uuid::now_v7(),
        public_key: keys::hex(attacker.verifying_key().as_bytes()),
        proof: keys::hex(
            &keys::new_signing_key()
                .sign(&bundle::enroll_message(&spare, victim_id))
                .to_bytes(),
        ),
        return_key: None,
    };
    let (status, _) = post(
        &format!("{}/api/v1/enroll", hub.url()),
        "",
        serde_json::to_string(&req).unwrap().as_bytes(),
    );
    assert_eq!(status, 400);
    // The spare token still works for a new device of its own.
    let (status, why) = enroll_raw(&hub, &spare, uuid::Uuid::now_v7(), &attacker);
    assert_eq!(status, 201, "{why}");
    // A forged bundle under the victim's id is still refused (not the victim's key).
    let e = client::load_enrollment(&tmp.path().join("dev")).unwrap();
    let forged = bundle::build(victim_id, 99, e.hub_id, &[], &attacker);
    let (status, _) = post(
        &format!("{}/api/v1/bundles", hub.url()),
        &e.api_token,
        &forged,
    );
    assert_eq!(status, 400);
    // Revoked stays revoked, even with the device's own key and a fresh token.
    run(&[
        "hub",
        "devices",
        "--data",
        hub.dir.to_str().unwrap(),
        "--revoke",
        "victim",
    ]);
    let own = keys::load_signing_key(&client::key_path(&tmp.path().join("dev"))).unwrap();
    let (status, why) = enroll_raw(&hub, &hub.token("again"), victim_id, &own);
    assert_eq!(status, 403, "{why}");
    let devices = run(&["hub", "devices", "--data", hub.dir.to_str().unwrap()]);
    assert!(
        devices
            .lines()
            .any(|l| l.contains("victim") && l.contains("REVOKED"))
    );
}

#[test]
fn admin_calls_need_the_owners_token_and_write_only_private_new_files() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop", 3);
    let c = client::Client::new(store.dir()).unwrap();
    outbox::sync_once(&store, &c, &store.dir().join("forms"), now, &mut |_, _| {}).unwrap();
    // Another local account knows the address but not the token.
    let out = tmp.path().join("stolen");
    let body = serde_json::json!({"out": out, "include_sensitive": true}).to_string();
    for token in ["", "0123456789abcdef"] {
        let (status, _) = post(
            &format!("{}/api/v1/admin/export", hub.url()),
            token,
            body.as_bytes(),
        );
        assert_eq!(status, 401);
    }
    assert!(!out.exists(), "nothing may be exported without the token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(hub.dir.join("admin.token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // The owner exports through the running hub; a symlink planted where a CSV goes is
        // replaced, never followed.
        let mine = tmp.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        let victim = tmp.path().join("precious.txt");
        std::fs::write(&victim, "keep me").unwrap();
        std::os::unix::fs::symlink(&victim, mine.join("child_participation.csv")).unwrap();
        run(&[
            "hub",
            "export",
            "--data",
            hub.dir.to_str().unwrap(),
            "--out",
            mine.to_str().unwrap(),
            // `simulate` made them: practice, exported only when asked.
            "--include-training",
        ]);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        let csv = mine.join("child_participation.csv");
        assert!(!std::fs::symlink_metadata(&csv).unwrap().is_symlink());
        assert_eq!(
            std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 4);
    }
}

#[test]
fn deeply_nested_expressions_and_forms_are_refused_with_a_message() {
    let deep = format!("{}1{}", "(".repeat(4300), ")".repeat(4300));
    let e = langnghe::expr::parse(&deep).unwrap_err();
    assert!(e.to_string().contains("nested"), "{e}");
    let chain = vec!["1 = 1"; 25_000].join(" and ");
    let e = langnghe::expr::parse(&chain).unwrap_err();
    assert!(e.to_string().contains("nested"), "{e}");
    let minus = format!("{}1", "-".repeat(30_000));
    assert!(langnghe::expr::parse(&minus).is_err());
    // Reasonable expressions still parse.
    langnghe::expr::parse(&vec!["${a} = 1"; 150].join(" or ")).unwrap();
    // A form with groups nested 1,500 deep: refused by `check`, and a hub holding it in its
    // forms folder still lists its other forms.
    let mut form = String::from("[settings]\nid = \"deep\"\n");
    for i in 0..1500 {
        form.push_str(&format!(
            "[[survey]]\ntype = \"begin_group\"\nname = \"g{i}\"\nlabel = \"g\"\n"
        ));
    }
    form.push_str("[[survey]]\ntype = \"text\"\nname = \"q\"\nlabel = \"q\"\n");
    for _ in 0..1500 {
        form.push_str("[[survey]]\ntype = \"end_group\"\n");
    }
    let tmp = tempfile::tempdir().unwrap();
    let hub = Hub::init(&tmp.path().join("hub"), &[]).unwrap();
    let deep_file = hub.forms_dir().join("deep.toml");
    std::fs::write(&deep_file, &form).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/child_participation.toml"),
        hub.forms_dir().join("child_participation.toml"),
    )
    .unwrap();
    let out = common::langnghe().arg("check").arg(&deep_file).finish();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nested more than"));
    let published = hub.published_forms();
    let list = &published.0;
    assert_eq!(
        list.forms.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["child_participation"]
    );
    // The list is kept between requests, and rebuilt when a form file is added or removed.
    assert!(std::sync::Arc::ptr_eq(&published, &hub.published_forms()));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/commune_child_friendly.toml"),
        hub.forms_dir().join("commune_child_friendly.toml"),
    )
    .unwrap();
    std::fs::remove_file(&deep_file).unwrap();
    let again = hub.published_forms();
    assert_eq!(again.0.forms.len(), 2);
}

/// A hostile "hub": answers the device with whatever form list and files the test gives.
fn hostile_hub(
    list: bundle::FormList,
    files: Vec<(String, String)>,
) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let files = std::sync::Arc::new(files);
    let app = axum::Router::new()
        .route(
            "/api/v1/forms",
            axum::routing::get(move || {
                let l = list.clone();
                async move { axum::Json(l) }
            }),
        )
        .route(
            "/api/v1/forms/{id}/{version}",
            axum::routing::get(
                move |axum::extract::Path((id, _v)): axum::extract::Path<(String, String)>| {
                    let files = files.clone();
                    async move {
                        files
                            .iter()
                            .find(|(i, _)| *i == id)
                            .map(|(_, s)| s.clone())
                            .unwrap_or_default()
                    }
                },
            ),
        );
    rt.spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), rt)
}

fn enrolled_with(dir: &Path, url: &str, hub_key: &ed25519_dalek::SigningKey) -> client::Client {
    std::fs::create_dir_all(dir).unwrap();
    let e = client::Enrollment {
        hub_url: url.into(),
        hub_id: uuid::Uuid::now_v7(),
        recipients: vec![],
        hub_key: keys::hex(hub_key.verifying_key().as_bytes()),
        api_token: "t".into(),
        retention_days: 30,
    };
    std::fs::write(client::enrollment_path(dir), toml::to_string(&e).unwrap()).unwrap();
    std::fs::write(
        client::key_path(dir),
        keys::hex(&keys::new_signing_key().to_bytes()),
    )
    .unwrap();
    client::Client::new(dir).unwrap()
}

#[test]
fn pulled_forms_must_be_signed_by_our_hub_and_stay_in_the_forms_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/commune_child_friendly.toml"),
    )
    .unwrap();
    let form = langnghe::form::build("x", &src).unwrap();
    let info = |id: &str, body: &str| bundle::FormInfo {
        id: id.into(),
        version: form.version.clone(),
        sha256: keys::hex(&<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes())),
    };
    let our_key = keys::new_signing_key();
    let forms_dir = tmp.path().join("dev/forms");

    // 1. A list signed by someone else's key: nothing is installed.
    let list = bundle::sign_form_list(vec![info(&form.id, &src)], &keys::new_signing_key());
    let (url, _rt) = hostile_hub(list, vec![(form.id.clone(), src.clone())]);
    let c = enrolled_with(&tmp.path().join("dev"), &url, &our_key);
    let e = c.pull_forms(&forms_dir).unwrap_err();
    assert!(
        matches!(&e, langnghe::sync::SyncError::NotOurHub(why) if why.contains("not signed")),
        "{e}"
    );

    // 2. Signed, but ids that climb out of the folder, and a file that is not the one listed.
    let evil = "../../escaped";
    let list = bundle::sign_form_list(
        vec![info(evil, &src), info(&form.id, "something else")],
        &our_key,
    );
    let (url, _rt2) = hostile_hub(
        list,
        vec![(evil.into(), src.clone()), (form.id.clone(), src.clone())],
    );
    let c = enrolled_with(&tmp.path().join("dev2"), &url, &our_key);
    assert_eq!(c.pull_forms(&forms_dir).unwrap(), 0);
    assert!(!tmp.path().join("escaped.toml").exists());
    assert!(
        std::fs::read_dir(&forms_dir).map_or(0, |d| d.count()) == 0,
        "nothing installed"
    );

    // 3. Signed and matching: installed under a name made from the checked id.
    let list = bundle::sign_form_list(vec![info(&form.id, &src)], &our_key);
    let (url, _rt3) = hostile_hub(list, vec![(form.id.clone(), src.clone())]);
    let c = enrolled_with(&tmp.path().join("dev3"), &url, &our_key);
    assert_eq!(c.pull_forms(&forms_dir).unwrap(), 1);
}

#[test]
fn slow_and_idle_connections_are_closed_and_connections_are_capped() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = Hub::init(&tmp.path().join("hub"), &[]).unwrap();
    let limits = server::Limits {
        connections: 4,
        header_timeout: Duration::from_millis(700),
        body_timeout: Duration::from_secs(2),
        ..server::Limits::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server::router_with(hub, limits.clone());
    rt.spawn(server::serve_router(listener, app, limits));
    // Slow headers (slowloris) and idle sockets: closed by the server, not held.
    let mut slow = Vec::new();
    for _ in 0..8 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        slow.push(s);
    }
    let started = Instant::now();
    for mut s in slow {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut buf = Vec::new();
        // The server ends the connection (maybe after a 408): read reaches end of stream.
        let _ = s.read_to_end(&mut buf);
    }
    assert!(started.elapsed() < Duration::from_secs(15));
    // With the slow ones gone, a normal request is served.
    let r = agent()
        .get(format!("http://{addr}/api/v1/health"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[test]
fn enrolment_without_a_token_cannot_send_large_bodies() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let big = vec![b' '; 1 << 20];
    // Refused from its declared length: a 413, or the connection closed before the body is
    // taken in; either way not held in the hub's memory.
    match agent()
        .post(format!("{}/api/v1/enroll", hub.url()))
        .header("Content-Type", "application/json")
        .send(&big[..])
    {
        Ok(r) => assert_eq!(r.status().as_u16(), 413),
        Err(e) => assert!(
            e.to_string().to_lowercase().contains("pipe") || e.to_string().contains("reset"),
            "{e}"
        ),
    }
    assert!(healthy(&hub));
}

#[test]
fn hub_import_checks_the_size_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hub");
    run(&["hub", "init", "--data", dir.to_str().unwrap()]);
    // A sparse file far over the limit: refused by its size, not read.
    let huge = tmp.path().join("huge.lnb");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    let out = common::langnghe()
        .args(["hub", "import", "--data", dir.to_str().unwrap()])
        .arg(&huge)
        .finish();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("over the hub's"), "{text}");
    #[cfg(unix)]
    {
        let out = common::langnghe()
            .args([
                "hub",
                "import",
                "--data",
                dir.to_str().unwrap(),
                "/dev/zero",
            ])
            .finish();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("not a regular file"));
    }
}

#[test]
fn a_large_outbox_goes_by_usb_in_several_files_within_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop", 40);
    hub.kill();
    let c = client::Client::new(store.dir()).unwrap();
    // Small, to force several files; above the child form itself (about 8 KiB sealed), which
    // travels whole in one of them.
    let limit = 16 << 10;
    let (files, damaged) = outbox::export_files(
        &store,
        &c.enrollment,
        &c.key,
        &tmp.path().join("stick.lnb"),
        limit,
    )
    .unwrap();
    assert!(damaged.is_empty());
    assert!(files.len() > 2, "{} file(s)", files.len());
    // The 40 interviews, the simulation's refusals (tombstones) with them, and the form
    // they were taken with (once).
    let records = files.iter().map(|(_, n)| n).sum::<usize>();
    assert_eq!(records, 40 + store.tombstones().len() + 1);
    for (p, _) in &files {
        let len = std::fs::metadata(p).unwrap().len();
        assert!(len <= limit as u64, "{} is {len} bytes", p.display());
    }
    drop(store);
    // Another account plants symlinks where receipts used to be written first (NAME.tmp):
    // the receipts are written under fresh names and the target is never touched.
    #[cfg(unix)]
    let victim = {
        let victim = tmp.path().join("root-owned.conf");
        std::fs::write(&victim, "keep").unwrap();
        for (p, _) in &files {
            std::os::unix::fs::symlink(&victim, p.with_extension("tmp")).unwrap();
        }
        victim
    };
    let mut args = vec!["hub", "import", "--data", hub.dir.to_str().unwrap()];
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    run(&args);
    let receipts: Vec<String> = files
        .iter()
        .map(|(p, _)| p.with_extension("receipt").display().to_string())
        .collect();
    let d = tmp.path().join("dev");
    let mut args = vec!["--data-dir", d.to_str().unwrap(), "bundle", "confirm"];
    args.extend(receipts.iter().map(String::as_str));
    let out = run(&args);
    assert!(out.contains("40 interview(s) marked sent"), "{out}");
    #[cfg(unix)]
    assert_eq!(std::fs::read_to_string(victim).unwrap(), "keep");
    assert_eq!(hub.stored(), 40);
}

#[test]
fn identical_concurrent_uploads_all_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let store = device(&tmp.path().join("dev"), &hub, "laptop", 20);
    let c = client::Client::new(store.dir()).unwrap();
    let ids = store.unsent(100);
    let b = std::sync::Arc::new(outbox::build(&store, &c.enrollment, &c.key, &ids).unwrap());
    let url = format!("{}/api/v1/bundles", hub.url());
    let token = c.enrollment.api_token.clone();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (b, url, token) = (b.clone(), url.clone(), token.clone());
            std::thread::spawn(move || post(&url, &token, &b))
        })
        .collect();
    for h in handles {
        let (status, body) = h.join().unwrap();
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(hub.stored(), 20);
}
