//! The store on a real disk: sled in a temp folder, real files, real processes killed.

mod common;
use common::Finish;
use common::StepClock;
use langnghe::form::{Form, load};
use langnghe::session::{Clock, Session};
use langnghe::store::{Stamp, Status, Store, StoreError};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

fn child_form() -> Arc<Form> {
    Arc::new(
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/child_participation.toml"))
            .unwrap(),
    )
}

fn exe() -> Command {
    common::langnghe()
}

#[test]
fn answers_survive_reopen_and_finalize_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let clock = Arc::new(StepClock::default());
    let mut s = Session::start(store.clone(), child_form(), "sv01", clock.clone()).unwrap();
    let id = s.id();
    s.advance().unwrap();
    let consent = s.iv.current().cloned().unwrap();
    let langnghe::interview::Item::Question { node, path } = consent else {
        panic!()
    };
    s.answer(node, &path, "yes").unwrap();
    s.advance().unwrap();
    drop(s);
    drop(store);
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let d = store.draft(id).unwrap();
    assert!(
        d.answers
            .contains(&("guardian_consent".to_string(), "yes".to_string())),
        "{:?}",
        d.answers
    );
    assert_eq!(d.position.as_deref(), Some("child_info"));
    assert!(
        d.paradata
            .iter()
            .any(|(k, ms)| k == "guardian_info" && *ms >= 1500),
        "{:?}",
        d.paradata
    );
    let mut s = Session::resume(store.clone(), child_form(), d, clock);
    assert_eq!(
        s.iv.current()
            .map(|i| s.iv.form().node(i.node()).name.clone())
            .as_deref(),
        Some("child_info")
    );
    // Refuse, so the interview can end and be finalized.
    s.back().unwrap();
    let Some(langnghe::interview::Item::Question { node, path }) = s.iv.current().cloned() else {
        panic!()
    };
    s.answer(node, &path, "no").unwrap();
    while s.iv.current().is_some() {
        s.advance().unwrap();
    }
    let f = s.finalize().unwrap();
    assert_eq!(f.seq, 1);
    assert_eq!(f.device, store.device());
    assert!(store.draft(id).is_err(), "the draft is gone once finalized");
    let back = store.finalized(id).unwrap();
    assert_eq!(back, f);
    assert_eq!(store.entry(id).unwrap().status, Status::Finalized);
}

#[test]
fn a_second_instance_is_refused_naming_folder_and_holder() {
    let dir = tempfile::tempdir().unwrap();
    let _store = Store::open(dir.path()).unwrap();
    let out = exe().args(["list", "--data-dir"]).arg(dir.path()).finish();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    assert!(
        err.contains(&format!("process {}", std::process::id())),
        "{err}"
    );
}

#[test]
fn new_data_folder_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("a/b/langnghe");
    drop(Store::open(&home).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&home).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}

#[test]
fn disk_full_keeps_what_was_saved_and_the_answer_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let (mut s, node, path) = common::at_consent(&store);
    store.inject_fault(Some(std::io::ErrorKind::StorageFull));
    let err = s.answer(node, &path, "yes").unwrap_err();
    assert!(err.to_string().contains("disk is full"), "{err}");
    assert!(
        err.to_string().contains("nothing already saved was lost"),
        "{err}"
    );
    // The answer is still on screen (in the engine), not yet in the store.
    assert_eq!(s.iv.value(node, &path).to_str(), "yes");
    // (An interview with no answer yet has no draft at all.)
    assert!(store.draft(s.id()).map_or(true, |d| {
        !d.answers.iter().any(|(k, _)| k == "guardian_consent")
    }));
    let fin = s.to_finalized();
    assert!(fin.is_err(), "not finished yet");
    store.inject_fault(Some(std::io::ErrorKind::ReadOnlyFilesystem));
    assert!(s.save().unwrap_err().to_string().contains("read-only"));
    store.inject_fault(None);
    s.save().unwrap();
    drop(s);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let (drafts, bad) = store.drafts();
    assert!(bad.is_empty());
    assert!(
        drafts[0]
            .answers
            .contains(&("guardian_consent".to_string(), "yes".to_string()))
    );
}

#[test]
fn real_full_disk_when_we_can_mount_one() {
    // Root can mount a tiny tmpfs: a genuinely full disk. Elsewhere the injected-fault test
    // above covers the same path.
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("tmpfs mount not permitted here; covered by the injected-fault test");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        let store = Arc::new(Store::open(&mnt).unwrap());
        // Fill the disk but for a little room, so it runs out after a few interviews.
        let free = fs_free(&mnt);
        std::fs::write(
            mnt.join("filler"),
            vec![0u8; free.saturating_sub(64 * 1024) as usize],
        )
        .unwrap();
        let clock = Arc::new(StepClock::default());
        let mut saved = Vec::new();
        let mut full = None;
        // Any step may be the one that meets the full disk (an answer's autosave as much as
        // the finalize): each error ends the loop and must say "disk full".
        let one = || -> Result<Uuid, String> {
            let mut s = Session::start(store.clone(), child_form(), "sv", clock.clone())
                .map_err(|e| e.to_string())?;
            s.advance().map_err(|e| e.to_string())?;
            let Some(langnghe::interview::Item::Question { node, path }) = s.iv.current().cloned()
            else {
                panic!()
            };
            s.answer(node, &path, "no").map_err(|e| e.to_string())?;
            while s.iv.current().is_some() {
                s.advance().map_err(|e| e.to_string())?;
            }
            s.finalize().map(|f| f.id).map_err(|e| e.to_string())
        };
        for _ in 0..5000 {
            match one() {
                Ok(id) => saved.push(id),
                Err(e) => {
                    full = Some(e);
                    break;
                }
            }
        }
        let msg = full.expect("the disk never filled");
        assert!(
            msg.contains("disk is full") || msg.contains("No space"),
            "{msg}"
        );
        drop(store);
        // Still full: opening says so plainly.
        if let Err(e) = Store::open(&mnt) {
            assert!(e.to_string().contains("disk is full"), "{e}");
        }
        // Space freed: everything reported saved is there.
        std::fs::remove_file(mnt.join("filler")).unwrap();
        let store = Store::open(&mnt).unwrap();
        for id in &saved {
            assert!(store.finalized(*id).is_ok(), "lost {id}");
        }
    });
    let _ = Command::new("umount").arg(&mnt).status();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn recover_rebuilds_from_files_after_sled_is_deleted_or_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| common::run_in(dir.path(), args);
    run(&[
        "simulate",
        "--form",
        "child_participation",
        "--count",
        "40",
        "--seed",
        "7",
    ]);
    let before: Vec<(Uuid, _)> = {
        let s = Store::open(dir.path()).unwrap();
        let (e, _) = s.entries();
        e.iter()
            .map(|(id, _)| (*id, s.finalized(*id).unwrap()))
            .collect()
    };
    assert_eq!(before.len(), 40);
    // 1. sled folder deleted: the store notices and re-indexes on open by itself.
    std::fs::remove_dir_all(dir.path().join("db")).unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.open_report().indexed, 40);
        for (id, f) in &before {
            assert_eq!(&s.finalized(*id).unwrap(), f);
        }
    }
    // 2. sled folder corrupted: `recover` moves it aside and rebuilds.
    for entry in walk(&dir.path().join("db")) {
        let len = std::fs::metadata(&entry).unwrap().len();
        if len > 0 {
            std::fs::write(&entry, vec![0xA5; len as usize]).unwrap();
        }
    }
    let out = run(&["recover"]);
    assert!(out.contains("40 finalized interview(s) indexed"), "{out}");
    let s = Store::open(dir.path()).unwrap();
    let (entries, bad) = s.entries();
    assert!(bad.is_empty());
    assert_eq!(entries.len(), 40);
    for (id, f) in &before {
        assert_eq!(&s.finalized(*id).unwrap(), f);
    }
    // The device keeps its identity across the rebuild.
    assert_eq!(before[0].1.device, s.device());
}

#[test]
fn a_damaged_finalized_record_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let out = exe()
        .args([
            "simulate",
            "--form",
            "child_participation",
            "--count",
            "5",
            "--data-dir",
        ])
        .arg(dir.path())
        .finish();
    assert!(out.status.success());
    let seg = dir.path().join("finalized/seg-000001.lnr");
    let mut bytes = std::fs::read(&seg).unwrap();
    let (ids, second) = {
        let s = Store::open(dir.path()).unwrap();
        let (e, _) = s.entries();
        let second = e[1].1.offset as usize;
        (e.into_iter().map(|(id, _)| id).collect::<Vec<_>>(), second)
    };
    bytes[second + 40] ^= 0xFF; // flip bits inside the second record
    std::fs::write(&seg, bytes).unwrap();
    let s = Store::open(dir.path()).unwrap();
    assert!(s.finalized(ids[0]).is_ok());
    let err = s.finalized(ids[1]).unwrap_err();
    assert!(matches!(err, StoreError::Database { .. }), "{err}");
    assert!(err.to_string().contains("checksum"), "{err}");
    let mut seen = Vec::new();
    let bad = s.each_finalized(|f| seen.push(f.id)).unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(bad.len(), 1, "{bad:?}");
}

/// Free bytes on the file system holding `p`, from `df`.
fn fs_free(p: &Path) -> u64 {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(p)
        .finish();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

/// Kills a process that keeps saving and finalizing at random moments, many times; after
/// each kill the store opens, every interview reported finalized is intact, and every
/// draft holds at least the last save it reported.
#[test]
fn kill_9_at_random_moments_loses_nothing_reported_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut finals: Vec<Uuid> = Vec::new();
    let mut seed = 0x5eed_u64;
    for round in 0..12 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut child = exe()
            .args([
                "drill",
                "--form",
                "child_participation",
                "--seed",
                &round.to_string(),
                "--data-dir",
            ])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Let it run until it has saved a random number of times, then kill it mid-flight.
        let want = 20 + (seed >> 33) % 400;
        let mut lines = Vec::new();
        while (lines.len() as u64) < want {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => lines.push(l),
                Err(_) => break,
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        assert!(
            lines.len() >= 20,
            "round {round}: the drill did not run: {lines:?}"
        );
        let mut last_rev: HashMap<Uuid, u64> = HashMap::new();
        for l in &lines {
            let mut w = l.split_whitespace();
            match (w.next(), w.next(), w.next()) {
                (Some("saved"), Some(id), Some(rev)) => {
                    last_rev.insert(Uuid::parse_str(id).unwrap(), rev.parse().unwrap());
                }
                (Some("final"), Some(id), None) => finals.push(Uuid::parse_str(id).unwrap()),
                _ => panic!("unexpected line {l:?}"),
            }
        }
        let store = Store::open(dir.path())
            .unwrap_or_else(|e| panic!("round {round}: store does not open: {e}"));
        for id in &finals {
            let f = store
                .finalized(*id)
                .unwrap_or_else(|e| panic!("round {round}: finalized {id} lost: {e}"));
            assert!(!f.answers.is_empty());
        }
        for (id, rev) in last_rev {
            if finals.contains(&id) {
                continue;
            }
            match store.draft(id) {
                Ok(d) => assert!(
                    d.rev >= rev,
                    "round {round}: draft {id} went back from rev {rev} to {}",
                    d.rev
                ),
                // Finalized durably, killed before it could say so.
                Err(_) => assert!(
                    store.finalized(id).is_ok(),
                    "round {round}: draft {id} (rev {rev}) lost"
                ),
            }
        }
        let (_, bad) = store.drafts();
        assert!(bad.is_empty(), "{bad:?}");
    }
    assert!(
        !finals.is_empty(),
        "no interview was finalized in the drill"
    );
}

#[test]
fn erase_leaves_a_tombstone_and_no_trace_in_our_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let clock = Arc::new(StepClock::default());
    let form = child_form();
    let secret = "bí mật của em 7731";
    // A finalized interview holding a distinctive free-text answer, and one kept.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut s = Session::start(store.clone(), form.clone(), "sv", clock.clone()).unwrap();
        let mut rng = langnghe::simulate::Rng::new(5);
        while let Some(item) = s.iv.current().cloned() {
            if let langnghe::interview::Item::Question { node, path } = &item {
                let n = form.node(*node);
                if n.name == "message_to_adults" {
                    s.answer(*node, path, secret).unwrap();
                } else if n.kind.takes_answer() && s.iv.value(*node, path).is_blank() {
                    for _ in 0..40 {
                        let raw = langnghe::simulate::random_answer(
                            &s.iv,
                            *node,
                            path,
                            &n.kind,
                            &mut rng,
                            clock.now(),
                        );
                        let Some(raw) = raw else { break };
                        let raw = if n.name == "age" {
                            "12".to_string()
                        } else {
                            raw
                        };
                        if s.answer(*node, path, &raw).is_ok() {
                            break;
                        }
                    }
                }
            }
            if s.iv.current().is_some() {
                s.advance().unwrap();
            }
        }
        ids.push(s.finalize().unwrap().id);
    }
    let seg = dir.path().join("finalized/seg-000001.lnr");
    let has = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret.as_bytes());
    // Readable through the store, never in clear in its files (each under its own key).
    assert!(!has(&std::fs::read(&seg).unwrap()));
    let said = |id| {
        store
            .finalized(id)
            .unwrap()
            .answers
            .iter()
            .any(|(_, v)| v == secret)
    };
    assert!(said(ids[0]) && said(ids[1]));
    store
        .erase(
            ids[0],
            "child_participation",
            "withdrawn",
            Stamp::from_local(clock.now()),
        )
        .unwrap();
    assert!(matches!(
        store.finalized(ids[0]),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.finalized(ids[1]).unwrap().id,
        ids[1],
        "the other interview is untouched"
    );
    let t = store.tombstones();
    assert_eq!(
        (t.len(), t[0].id, t[0].reason.as_str()),
        (1, ids[0], "withdrawn")
    );
    assert!(!has(&std::fs::read(&seg).unwrap()));
    assert!(said(ids[1]), "only the kept interview still holds the text");
    // A draft erased mid-interview: gone from the journal files too.
    let mut s = Session::start(store.clone(), form.clone(), "sv", clock.clone()).unwrap();
    let id = s.id();
    s.advance().unwrap();
    let Some(langnghe::interview::Item::Question { node, path }) = s.iv.current().cloned() else {
        panic!()
    };
    s.answer(node, &path, "yes").unwrap();
    store
        .erase(
            id,
            "child_participation",
            "declined",
            Stamp::from_local(clock.now()),
        )
        .unwrap();
    assert!(store.draft(id).is_err());
    drop(s);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert!(store.draft(id).is_err(), "a replay must not bring it back");
    assert_eq!(store.tombstones().len(), 2);
    let (_, bad) = store.drafts();
    assert!(bad.is_empty());
    let mut seen = 0;
    assert!(
        store.each_finalized(|_| seen += 1).unwrap().is_empty(),
        "erased records are not damage"
    );
    assert_eq!(seen, 1);
}

#[test]
fn the_command_line_speaks_the_surveyors_language() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = Store::open(&data).unwrap();
    store
        .save_settings(&langnghe::store::Settings {
            surveyor: "sv".into(),
            device_label: String::new(),
            language: "vi".into(),
        })
        .unwrap();
    // The folder is held by this process: a second Lắng Nghe says so, in Vietnamese unless
    // asked otherwise.
    let run = |extra: &[&str]| {
        let o = common::langnghe()
            .env_remove("LANGNGHE_LANG")
            .args(["list", "--data-dir"])
            .arg(&data)
            .args(extra)
            .finish();
        assert_eq!(o.status.code(), Some(1));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let vi = run(&[]);
    assert!(vi.contains("đang được một Lắng Nghe khác dùng"), "{vi}");
    let en = run(&["--lang", "en"]);
    assert!(en.contains("is in use by another Lắng Nghe"), "{en}");
    drop(store);
}

#[test]
fn last_saved_comes_from_the_newest_finalized_interview_of_the_same_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let clock = Arc::new(StepClock::default());
    let src = |id: &str| {
        format!(
            "[settings]\nid = \"{id}\"\nlanguages = [\"vi\"]\n\n\
             [[survey]]\ntype = \"text\"\nname = \"commune\"\nlabel = \"Xã\"\n\
             default = \"${{last-saved#commune}}\"\n"
        )
    };
    let form = Arc::new(langnghe::form::build("a.toml", &src("a")).unwrap());
    let other = Arc::new(langnghe::form::build("b.toml", &src("b")).unwrap());
    let node = form.by_name["commune"];
    // Nothing saved yet: blank.
    let s = Session::start(store.clone(), form.clone(), "sv", clock.clone()).unwrap();
    assert!(s.iv.value(node, &[]).is_blank());
    drop(s);
    for (f, commune) in [(&form, "Tả Van"), (&form, "Sa Pa"), (&other, "Bản Hồ")] {
        let mut s = Session::start(store.clone(), f.clone(), "sv", clock.clone()).unwrap();
        s.answer(node, &[], commune).unwrap();
        s.finalize().unwrap();
    }
    // The newest of this form, not the other form's.
    let s = Session::start(store.clone(), form.clone(), "sv", clock.clone()).unwrap();
    assert_eq!(s.iv.value(node, &[]).to_str(), "Sa Pa");
}
