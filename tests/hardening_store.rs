//! Attacks on the device's store: bit flips, cut and deleted files, kills mid-enrolment,
//! damaged sled files, full disks, races. Real files in temp folders, the real binary.
//! Named after what they guard.

mod common;
use common::Finish;

#[cfg(feature = "hub")]
use common::hub::{HubProc, device};
use common::{at_consent, declined, run_in};
use langnghe::codec;
use langnghe::store::{Stamp, Status, Store, StoreError};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn simulate(dir: &Path, count: usize, seed: u64) {
    run_in(
        dir,
        &[
            "simulate",
            "--form",
            "child_participation",
            "--count",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    );
}

/// A draft with the guardian's consent given and the cursor on the next question.
fn make_draft(store: &Arc<Store>) -> Uuid {
    let (mut s, node, path) = at_consent(store);
    s.answer(node, &path, "yes").unwrap();
    s.advance().unwrap();
    s.id()
}

fn seg(dir: &Path) -> PathBuf {
    dir.join("finalized/seg-000001.lnr")
}

/// Runs the binary with a wall-clock bound; a hang or a death by signal fails the test.
fn run_bounded(data: &Path, args: &[&str], limit: Duration) -> (bool, String) {
    let mut child = common::langnghe()
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("LANGNGHE_OPEN_TIMEOUT_SECS", "4")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                status.code().is_some(),
                "{args:?} died by a signal (abort?): {text}"
            );
            return (status.success(), text);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{args:?} hung for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_flipped_length_field_costs_one_record_not_the_rest_of_the_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    simulate(dir, 40, 3);
    let (ids, fifth) = {
        let s = Store::open(dir).unwrap();
        let (e, _) = s.entries();
        let mut e: Vec<_> = e.into_iter().collect();
        e.sort_by_key(|(_, x)| x.offset);
        (
            e.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            e[4].1.offset as usize,
        )
    };
    let n = ids.len();
    let mut bytes = std::fs::read(seg(dir)).unwrap();
    let size = bytes.len();
    // The fifth record now claims 16 MB: past the end of the file.
    bytes[fifth + 4..fifth + 8].copy_from_slice(&(16u32 << 20).to_le_bytes());
    std::fs::write(seg(dir), &bytes).unwrap();
    let s = Store::open(dir).unwrap();
    assert_eq!(
        std::fs::metadata(seg(dir)).unwrap().len() as usize,
        size,
        "nothing may be cut"
    );
    let mut seen = Vec::new();
    let bad = s.each_finalized(|f| seen.push(f.id)).unwrap();
    assert_eq!(seen.len(), n - 1, "{bad:?}");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].contains(&fifth.to_string()), "{bad:?}");
    drop(s);
    // A real torn tail (a write cut by a crash) is cut, and its bytes kept aside.
    let frame = codec::frame(b"half a record that never finished");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(seg(dir))
        .unwrap();
    std::io::Write::write_all(&mut f, &frame[..20]).unwrap();
    drop(f);
    let s = Store::open(dir).unwrap();
    assert_eq!(std::fs::metadata(seg(dir)).unwrap().len() as usize, size);
    let aside = dir.join("finalized/seg-000001.lnr.torn-1");
    assert_eq!(std::fs::read(aside).unwrap(), &frame[..20]);
    let mut seen = 0;
    s.each_finalized(|_| seen += 1).unwrap();
    assert_eq!(seen, n - 1);
}

#[test]
fn a_damaged_length_in_the_journal_does_not_hide_the_entries_after_it() {
    use langnghe::store::journal::{Entry, replay};
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let mut starts = Vec::new();
    for id in &ids {
        starts.push(bytes.len());
        bytes.extend(codec::frame(&codec::encode(&Entry::Gone(*id))));
    }
    // The first entry's length now runs past the end of the file.
    bytes[starts[0] + 4..starts[0] + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(tmp.path().join("drafts.journal"), &bytes).unwrap();
    let (entries, damaged) = replay(tmp.path());
    assert_eq!(damaged, 1);
    let back: Vec<Uuid> = entries
        .iter()
        .map(|e| match e {
            Entry::Gone(id) | Entry::Save { id, .. } => *id,
            Entry::Legacy(d) => d.id,
        })
        .collect();
    assert_eq!(back, ids[1..]);
}

/// An enrolment as the hub would give it, without a hub: an age identity of our own.
fn fake_enrolment(dir: &Path) -> age::x25519::Identity {
    let id = age::x25519::Identity::generate();
    let e = langnghe::sync::client::Enrollment {
        hub_url: "http://127.0.0.1:9".into(),
        hub_id: Uuid::now_v7(),
        recipients: vec![id.to_public().to_string()],
        hub_key: langnghe::protocol::keys::hex(
            langnghe::protocol::keys::new_signing_key()
                .verifying_key()
                .as_bytes(),
        ),
        api_token: "t".into(),
        retention_days: 30,
    };
    std::fs::write(
        langnghe::sync::client::enrollment_path(dir),
        toml::to_string(&e).unwrap(),
    )
    .unwrap();
    id
}

#[test]
fn recover_carries_over_drafts_tombstones_settings_status_and_enrolment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    simulate(dir, 12, 5);
    let id = fake_enrolment(dir);
    let e = langnghe::sync::client::load_enrollment(dir).unwrap();
    let (drafts, tombs, settings, sent) = {
        let store = Arc::new(Store::open(dir).unwrap());
        store.seal_to(&e.recipients).unwrap();
        let drafts: Vec<Uuid> = (0..3).map(|_| make_draft(&store)).collect();
        let settings = langnghe::store::Settings {
            surveyor: "Chị Lan".into(),
            device_label: "may-3".into(),
            language: "vi".into(),
        };
        store.save_settings(&settings).unwrap();
        let (entries, _) = store.entries();
        let sent: Vec<Uuid> = entries.iter().take(4).map(|(id, _)| *id).collect();
        store
            .mark_sent(
                &sent,
                Stamp::from_local(chrono::Local::now().fixed_offset()),
            )
            .unwrap();
        (drafts, store.tombstones().len(), settings, sent)
    };
    // 1. `recover` on a healthy store (run out of caution) loses nothing.
    let (store, carried) = Store::recover(dir, Some(&e.recipients)).unwrap();
    assert_eq!(carried.drafts, 3);
    assert!(carried.unreadable.is_none());
    assert!(carried.lost.is_empty());
    let (back, _) = store.drafts();
    for d in &drafts {
        assert!(back.iter().any(|b| b.id == *d), "draft {d} lost");
    }
    assert_eq!(store.tombstones().len(), tombs);
    assert_eq!(store.settings(), Some(settings.clone()));
    for id in &sent {
        let e = store.entry(*id).unwrap();
        assert_eq!(e.status, Status::Sent);
        assert!(e.sent_at.is_some());
    }
    assert_eq!(store.counts()[2], sent.len() as u64);
    // Still sealing: a new interview is not stored in the clear.
    let store = Arc::new(store);
    let f = declined(&store);
    assert!(matches!(store.finalized(f.id), Err(StoreError::Sealed(_))));
    drop(store);
    // 2. The sled folder destroyed: what it held cannot come back, and that is said; the
    //    enrolment comes back from enrollment.toml, so the device never stores in the clear.
    std::fs::remove_dir_all(dir.join("db")).unwrap();
    std::fs::create_dir(dir.join("db")).unwrap();
    std::fs::write(dir.join("db/db"), vec![0xA5u8; 4096]).unwrap();
    std::fs::write(dir.join("db/conf"), vec![0xA5u8; 64]).unwrap();
    let (store, carried) = Store::recover(dir, Some(&e.recipients)).unwrap();
    assert!(carried.unreadable.is_some() || carried.drafts == 0);
    assert!(carried.enrolment);
    let (entries, _) = store.entries();
    assert_eq!(entries.len(), 13);
    for (i, _) in &entries {
        let b = store.sealed_bytes(*i).unwrap();
        assert!(langnghe::protocol::seal::open(&b, &id).is_ok());
    }
}

#[test]
fn recover_takes_the_lock_first_and_can_run_twice_in_a_second() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    simulate(dir, 3, 1);
    let store = Arc::new(Store::open(dir).unwrap());
    let d = make_draft(&store);
    let err = Store::recover(dir, None)
        .err()
        .expect("recover must wait for the app");
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(dir.join("db").is_dir(), "the live store must not be moved");
    assert!(store.draft(d).is_ok());
    drop(store);
    let (a, _) = Store::recover(dir, None).unwrap();
    drop(a);
    let (b, carried) = Store::recover(dir, None).unwrap();
    assert!(b.draft(d).is_ok());
    assert_eq!(carried.drafts, 1);
    let asides = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("db.broken-"))
        .count();
    assert_eq!(asides, 2);
}

#[test]
fn an_unfinished_snapshot_left_by_a_full_disk_does_not_block_opening() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    simulate(dir, 5, 2);
    std::fs::write(dir.join("db/snap.FFFFFFFFFFFFFFFF.generating"), b"").unwrap();
    let s = Store::open(dir).unwrap();
    assert_eq!(s.entries().0.len(), 5);
    assert!(!dir.join("db/snap.FFFFFFFFFFFFFFFF.generating").exists());
}

#[test]
fn a_full_disk_is_reported_as_a_full_disk_not_as_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(tmp.path()).unwrap());
    store.inject_fault(Some(std::io::ErrorKind::StorageFull));
    let mut d = store.draft(make_draft_no_fault(&store)).unwrap();
    let err = store.save_draft(&mut d).unwrap_err();
    assert!(err.to_string().contains("disk is full"), "{err}");
    assert!(!err.to_string().contains("recover"), "{err}");
}

fn make_draft_no_fault(store: &Arc<Store>) -> Uuid {
    store.inject_fault(None);
    let id = make_draft(store);
    store.inject_fault(Some(std::io::ErrorKind::StorageFull));
    id
}

/// Flips bits of sled's log (`db/db`) at positions drawn from `seed`. (Measured: with 1,500
/// interviews, five of sled's 512 KiB segments, 20 flips there make sled panic while
/// opening in every seed tried; with 300, all in one segment, its start-up read little of
/// the log and opened every time.)
fn damage_sled(db: &Path, seed: u64, flips: usize) {
    let mut rng = langnghe::simulate::Rng::new(seed);
    let f = db.join("db");
    let mut bytes = std::fs::read(&f).unwrap();
    for _ in 0..flips {
        let at = rng.below(bytes.len() as u64) as usize;
        bytes[at] ^= 1 << rng.below(8);
    }
    std::fs::write(&f, bytes).unwrap();
}

#[test]
fn damaged_sled_files_never_abort_or_hang_and_recover_brings_everything_back() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("template");
    simulate(&template, 1500, 9);
    let mut refused = 0;
    for seed in 1..=5u64 {
        let dir = tmp.path().join(format!("try{seed}"));
        common::copy_dir(&template, &dir);
        damage_sled(&dir.join("db"), seed, 20);
        let (ok, text) = run_bounded(&dir, &["list"], Duration::from_secs(60));
        if !ok {
            assert!(text.contains("recover"), "seed {seed}: {text}");
            refused += 1;
        }
        let (ok, text) = run_bounded(&dir, &["recover"], Duration::from_secs(60));
        assert!(ok, "seed {seed}: {text}");
        let s = Store::open(&dir).unwrap();
        assert_eq!(s.entries().0.len(), 1500, "seed {seed}: {text}");
    }
    assert!(
        refused > 0,
        "the damage never reached sled: the test tests nothing"
    );
}

#[cfg(feature = "hub")]
#[test]
fn an_enrolment_killed_while_sealing_finishes_and_the_outbox_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let per = 120;
    let delays = [5u64, 30, 80, 160, 300];
    for (i, delay) in delays.iter().enumerate() {
        let dir = tmp.path().join(format!("dev{i}"));
        simulate(&dir, per, i as u64 + 1);
        let mut child = common::langnghe()
            .args(["--data-dir", dir.to_str().unwrap(), "enroll", &hub.url()])
            .arg(hub.token(&format!("d{i}")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*delay));
        let _ = child.kill();
        let _ = child.wait();
        if langnghe::sync::client::load_enrollment(&dir).is_none() {
            // Killed before it was enrolled: enrolling again (same key) must work.
            run_in(&dir, &["enroll", &hub.url(), &hub.token(&format!("d{i}b"))]);
        }
        let out = common::langnghe()
            .args(["--data-dir", dir.to_str().unwrap(), "sync"])
            .finish();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "delay {delay} ms: {text}");
        assert!(!text.contains("damaged"), "delay {delay} ms: {text}");
        let s = Store::open(&dir).unwrap();
        let (entries, _) = s.entries();
        assert_eq!(entries.len(), per);
        assert!(
            entries.iter().all(|(_, e)| e.status == Status::Sent),
            "delay {delay} ms: everything must go out"
        );
    }
    assert_eq!(hub.stored(), per * delays.len());
}

#[cfg(feature = "hub")]
#[test]
fn one_damaged_record_does_not_stop_sending() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let dir = tmp.path().join("dev");
    let store = device(&dir, &hub, "laptop", 20);
    let (entries, _) = store.entries();
    let mut entries: Vec<_> = entries.into_iter().collect();
    entries.sort_by_key(|(_, e)| (e.segment, e.offset));
    let (bad_id, bad) = entries[3].clone();
    drop(store);
    let path = dir.join(format!("finalized/seg-{:06}.lnr", bad.segment));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[bad.offset as usize + 60] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();
    let out = common::langnghe()
        .args(["--data-dir", dir.to_str().unwrap(), "sync"])
        .finish();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&bad_id.to_string()), "{err}");
    assert_eq!(hub.stored(), 19);
    let s = Store::open(&dir).unwrap();
    assert_ne!(s.entry(bad_id).unwrap().status, Status::Sent);
}

#[test]
fn a_deleted_or_cut_segment_file_is_reported_not_silent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cut");
    simulate(&dir, 30, 4);
    let len = std::fs::metadata(seg(&dir)).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(seg(&dir))
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let out = common::langnghe()
        .args(["--data-dir", dir.to_str().unwrap(), "list"])
        .finish();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be read"), "{err}");
    let s = Store::open(&dir).unwrap();
    assert!(s.check_files().lost > 0);
    drop(s);
    let out = run_in(&dir, &["recover"]);
    assert!(out.contains("LOST: "), "{out}");

    let dir = tmp.path().join("deleted");
    simulate(&dir, 10, 4);
    std::fs::remove_file(seg(&dir)).unwrap();
    let s = Store::open(&dir).unwrap();
    let report = s.check_files();
    assert_eq!(report.lost, 10, "{report:?}");
}

#[cfg(unix)]
#[test]
fn an_existing_data_folder_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(Store::open(&dir).unwrap());
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn counters_stay_right_when_two_threads_move_them() {
    let tmp = tempfile::tempdir().unwrap();
    simulate(tmp.path(), 200, 6);
    let store = Arc::new(Store::open(tmp.path()).unwrap());
    let ids: Vec<Uuid> = store.entries().0.into_iter().map(|(id, _)| id).collect();
    let halves: Vec<Vec<Uuid>> = ids
        .chunks(ids.len() / 2 + 1)
        .map(<[Uuid]>::to_vec)
        .collect();
    let handles: Vec<_> = halves
        .into_iter()
        .map(|half| {
            let s = store.clone();
            std::thread::spawn(move || {
                for id in half {
                    s.set_status(id, Status::Queued).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.counts(), [0, ids.len() as u64, 0]);
}

#[test]
fn form_files_that_do_not_fit_never_crash() {
    // A markdown XLSForm row with more cells than its header (seven of pyxform's own tests).
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("wide.md");
    std::fs::write(
        &md,
        "| survey |      |      |       |\n\
         |        | type | name | label |\n\
         |        | text | q1   | Q1    | extra | more |\n",
    )
    .unwrap();
    let out = common::langnghe().arg("check").arg(&md).finish();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some() && !text.contains("panicked"),
        "{text}"
    );
    // A type cell of spaces only (a spreadsheet cell is not trimmed as markdown is).
    let sheet = |name: &str, rows: Vec<Vec<&str>>| langnghe::xlsform::read::Sheet {
        name: name.into(),
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i as u32 + 1, r.into_iter().map(String::from).collect()))
            .collect(),
    };
    let c = langnghe::xlsform::convert::convert(
        &[sheet(
            "survey",
            vec![vec!["type", "name", "label"], vec!["   ", "q1", "Q1"]],
        )],
        "spaces",
    );
    assert!(
        c.errors.iter().any(|(_, m)| m.contains("no type")),
        "{:?}",
        c.errors
    );
    // Answers keyed to a repeat (data from another version of the form).
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/commune_child_friendly.toml"),
    )
    .unwrap();
    let form = Arc::new(langnghe::form::build("commune", &src).unwrap());
    let saved = vec![
        ("forum".to_string(), "x".to_string()),
        ("forum[2]".to_string(), "x".to_string()),
    ];
    let (_, dropped) = langnghe::interview::Interview::restore(
        form.clone(),
        chrono::Local::now().fixed_offset(),
        &saved,
    );
    assert_eq!(dropped.len(), 2);
    let now = Stamp::from_local(chrono::Local::now().fixed_offset());
    let f = langnghe::store::Finalized {
        id: Uuid::now_v7(),
        form: langnghe::store::FormRef {
            id: form.id.clone(),
            version: form.version.clone(),
            hash: 0,
        },
        device: Uuid::now_v7(),
        seq: 1,
        surveyor: "sv".into(),
        started: now,
        finished: now,
        answers: saved,
        paradata: vec![],
        duration_ms: 0,
        referral: false,
        training: false,
    };
    let opts = langnghe::export::csv::Options {
        include_sensitive: true,
        split_select_multiples: true,
        group_paths: true,
    };
    let tables = langnghe::export::csv::tables(&form, &[f], opts);
    assert_eq!(tables[0].rows.len(), 1);
}

#[test]
fn a_list_of_100000_choices_loads() {
    let mut src = String::from(
        "[settings]\nid = \"big\"\n\n[[survey]]\ntype = \"select_one places\"\nname = \"p\"\nlabel = \"p\"\n\n",
    );
    for i in 0..100_000 {
        src.push_str(&format!(
            "[[choices.places]]\nname = \"c{i}\"\nlabel = \"C {i}\"\n"
        ));
    }
    let f = langnghe::form::build("big", &src).unwrap();
    assert_eq!(f.lists[0].choices.len(), 100_000);
}

#[test]
fn an_enrolment_cut_before_the_store_knew_the_hub_finishes_at_the_next_bundle() {
    // enrollment.toml is written, the store never heard of the hub's keys (the process was
    // killed in between): exporting bundles finishes the enrolment instead of failing.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dev");
    simulate(&dir, 10, 3);
    let id = fake_enrolment(&dir);
    let k = langnghe::protocol::keys::new_signing_key();
    std::fs::write(
        dir.join("device.key"),
        langnghe::protocol::keys::hex(&k.to_bytes()),
    )
    .unwrap();
    let store = Store::open(&dir).unwrap();
    let c = langnghe::sync::client::Client::new(store.dir()).unwrap();
    let (files, damaged) = langnghe::sync::outbox::export_files(
        &store,
        &c.enrollment,
        &c.key,
        &tmp.path().join("stick.lnb"),
        1 << 20,
    )
    .unwrap();
    assert!(damaged.is_empty(), "{damaged:?}");
    assert!(!files.is_empty());
    // Everything is sealed to the hub now: the device cannot read it, the hub can.
    let (entries, _) = store.entries();
    assert!(matches!(
        store.finalized(entries[0].0),
        Err(StoreError::Sealed(_))
    ));
    let sealed = store.sealed_bytes(entries[0].0).unwrap();
    assert!(langnghe::protocol::seal::open(&sealed, &id).is_ok());
}
