//! Children's answers on the device: never on disk in clear, and erased for good. Each test
//! types a unique marker into answers, ends the interview one way or another, and searches
//! every byte of every file under the data folder — raw, not through the store.

mod common;
use common::Finish;

use common::StepClock;
use langnghe::form::{Form, build};
use langnghe::session::Session;
use langnghe::store::{Stamp, Store};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

const FORM: &str = r#"
[settings]
id = "p"
not_eligible = "${age} != '' and ${age} < 7"

[[survey]]
type = "text"
name = "place"
label = "Where are we?"

[[survey]]
type = "select_one yn"
name = "ok"
label = "Agree?"
consent = true

[[survey]]
type = "text"
name = "story"
label = "Tell me"

[[survey]]
type = "integer"
name = "age"
label = "Age?"

[[choices.yn]]
name = "yes"
label = "Yes"

[[choices.yn]]
name = "no"
label = "No"
"#;

fn form() -> Arc<Form> {
    Arc::new(build("p.toml", FORM).unwrap())
}

/// The files under `dir` that hold `needle`, each file read raw.
fn hits(dir: &Path, needle: &[u8]) -> Vec<String> {
    common::files_holding(dir, needle)
}

fn session(store: &Arc<Store>) -> Session {
    Session::start(store.clone(), form(), "sv", Arc::new(StepClock::default())).unwrap()
}

fn id(s: &Session, name: &str) -> langnghe::expr::NodeId {
    s.iv.form().by_name[name]
}

/// The marker in answers, saved many times over (sled's log and the journal keep copies),
/// then the interview ended by `end`; the store is closed and the folder searched.
fn ends_without_a_trace(end: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let marker = format!("MARKER-{}", Uuid::now_v7().simple());
    let store = Arc::new(Store::open(&data).unwrap());
    let mut s = session(&store);
    s.answer(id(&s, "place"), &[], &format!("{marker} school"))
        .unwrap();
    for i in 0..30 {
        s.answer(id(&s, "place"), &[], &format!("{marker} school {i}"))
            .unwrap();
    }
    if end != "declined" {
        s.answer(id(&s, "ok"), &[], "yes").unwrap();
        s.answer(id(&s, "story"), &[], &format!("{marker} story"))
            .unwrap();
        s.iv.hold(id(&s, "age"), &[], &marker);
        s.save().unwrap();
    }
    assert!(
        hits(&data, marker.as_bytes()).is_empty(),
        "{end}: in clear before anything ended: {:?}",
        hits(&data, marker.as_bytes())
    );
    let the_id = s.id();
    let at = Stamp::from_local(langnghe::session::Clock::now(&StepClock::default()));
    match end {
        "declined" => {
            s.answer(id(&s, "ok"), &[], "no").unwrap();
            store.erase(the_id, "p", "declined", at).unwrap();
        }
        "not_eligible" => {
            s.answer(id(&s, "age"), &[], "6").unwrap();
            assert!(s.iv.not_eligible());
            store.erase(the_id, "p", "not_eligible", at).unwrap();
        }
        "finalize then enrol" => {
            s.iv.answer(id(&s, "age"), &[], "12").unwrap();
            let mut f = [s.to_finalized().unwrap()];
            store.finalize(&mut f).unwrap();
            let hub = age::x25519::Identity::generate();
            store.seal_to(&[hub.to_public().to_string()]).unwrap();
            assert!(
                store.finalized(the_id).is_err(),
                "sealed: the device cannot read it"
            );
        }
        reason => store.erase(the_id, "p", reason, at).unwrap(),
    }
    drop(s);
    drop(store);
    assert!(
        hits(&data, marker.as_bytes()).is_empty(),
        "{end}: {:?}",
        hits(&data, marker.as_bytes())
    );
    // Its key is gone: no slot of the keyring names the interview any more.
    assert!(
        hits(&data, the_id.as_bytes())
            .iter()
            .all(|f| !f.ends_with("keys.slots")),
        "{end}: the key survived"
    );
    // And the store still opens, with nothing left of it but a tombstone (or the sealed copy).
    let store = Store::open(&data).unwrap();
    assert!(store.drafts().0.is_empty() && store.drafts().1.is_empty());
}

#[test]
fn a_withdrawal_leaves_no_trace() {
    ends_without_a_trace("withdrawn");
}

#[test]
fn a_refusal_leaves_no_trace() {
    ends_without_a_trace("declined");
}

#[test]
fn a_child_under_seven_leaves_no_trace() {
    ends_without_a_trace("not_eligible");
}

#[test]
fn a_discarded_draft_leaves_no_trace() {
    ends_without_a_trace("discarded");
}

#[test]
fn finalizing_then_enrolling_leaves_nothing_readable_on_the_device() {
    ends_without_a_trace("finalize then enrol");
}

#[test]
fn an_erased_finalized_interview_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let marker = format!("MARKER-{}", Uuid::now_v7().simple());
    let store = Arc::new(Store::open(&data).unwrap());
    let mut s = session(&store);
    s.answer(id(&s, "place"), &[], &marker).unwrap();
    s.answer(id(&s, "ok"), &[], "yes").unwrap();
    s.answer(id(&s, "story"), &[], &marker).unwrap();
    let mut f = [s.to_finalized().unwrap()];
    store.finalize(&mut f).unwrap();
    assert!(
        store
            .finalized(f[0].id)
            .unwrap()
            .answers
            .iter()
            .any(|(_, v)| *v == marker)
    );
    assert!(
        hits(&data, marker.as_bytes()).is_empty(),
        "finalized, still never in clear"
    );
    let at = Stamp::from_local(langnghe::session::Clock::now(&StepClock::default()));
    store.erase(f[0].id, "p", "withdrawn", at).unwrap();
    drop(s);
    drop(store);
    assert!(hits(&data, marker.as_bytes()).is_empty());
    let store = Store::open(&data).unwrap();
    assert!(store.finalized(f[0].id).is_err());
    assert_eq!(store.tombstones().len(), 1);
}

/// The drill types answers with a marker and erases each interview, and is killed with
/// SIGKILL at random moments — mid-save, mid-erase. After every kill: the marker is in no
/// file, every interview it said it erased is gone for good, and the store opens clean.
#[test]
fn kill_9_during_erasure_never_leaves_the_answers_in_clear() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let marker = format!("MARKER-{}", Uuid::now_v7().simple());
    let mut erased: Vec<Uuid> = Vec::new();
    let mut seed = 0x000e_7a5e_u64;
    for round in 0..8 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut child = common::langnghe()
            .args([
                "drill",
                "--form",
                "child_participation",
                "--erase",
                "--marker",
            ])
            .arg(&marker)
            .args(["--seed", &round.to_string(), "--data-dir"])
            .arg(&data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let want = 10 + (seed >> 33) % 200;
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0;
        while seen < want {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(id) = l.strip_prefix("erased ") {
                        erased.push(Uuid::parse_str(id).unwrap());
                    }
                    seen += 1;
                }
                _ => break,
            }
        }
        child.kill().unwrap(); // SIGKILL, wherever it is
        child.wait().unwrap();
        let found = hits(&data, marker.as_bytes());
        assert!(found.is_empty(), "round {round}: in clear in {found:?}");
        let store = Store::open(&data).unwrap();
        let (drafts, bad) = store.drafts();
        assert!(bad.is_empty(), "round {round}: {bad:?}");
        for id in &erased {
            assert!(
                !drafts.iter().any(|d| d.id == *id),
                "round {round}: {id} came back"
            );
            assert!(store.finalized(*id).is_err());
        }
    }
    assert!(!erased.is_empty(), "the drill erased interviews");
}

#[test]
fn a_stolen_data_folder_opens_nothing_without_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let marker = format!("MARKER-{}", Uuid::now_v7().simple());
    {
        let store = Arc::new(Store::open_with(&data, None).unwrap());
        let mut s = session(&store);
        s.answer(id(&s, "place"), &[], &marker).unwrap();
        store.set_passphrase(Some("trâu vàng 2026")).unwrap();
        assert!(store.is_protected());
    }
    assert!(
        !data.join("datakey").exists(),
        "no key in the clear once protected"
    );
    // The thief copies the folder.
    let stolen = dir.path().join("stolen");
    copy(&data, &stolen);
    assert!(hits(&stolen, marker.as_bytes()).is_empty());
    assert!(matches!(
        Store::open_with(&stolen, None),
        Err(langnghe::store::StoreError::NeedPassphrase(_))
    ));
    assert!(matches!(
        Store::open_with(&stolen, Some("trâu vàng 2025")),
        Err(langnghe::store::StoreError::WrongPassphrase(_))
    ));
    // The command line, without a terminal to ask on, says so plainly and reads nothing.
    let o = common::langnghe()
        .env_remove("LANGNGHE_PASSPHRASE")
        .args(["list", "--data-dir"])
        .arg(&stolen)
        .stdin(std::process::Stdio::null())
        .finish();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("mật khẩu"));
    // Its owner, with the passphrase, has everything.
    let store = Store::open_with(&data, Some("trâu vàng 2026")).unwrap();
    let (drafts, bad) = store.drafts();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(drafts[0].answers.iter().any(|(_, v)| *v == marker));
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy(&p, &t);
        } else if e.file_name() != "lock" {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}
