//! Supervisor review on the hub: states with their history, the scriptable verbs, the
//! export's `ReviewState`, erasure winning over review, and each quality flag on crafted
//! interviews.

mod common;
use common::Finish;

use chrono::{FixedOffset, TimeZone};
use common::hub::{HubProc, device};
use common::run;
use langnghe::hub::quality::{Durations, Thresholds, flags};
use langnghe::store::{Finalized, FormRef, Stamp};
use uuid::Uuid;

const SCALE_FORM: &str = r#"
[settings]
id = "scale"
languages = ["vi"]

[[survey]]
type = "select_one agree"
name = "q1"
label = "Em có thấy ý kiến của mình được người lớn lắng nghe ở trường không?"

[[survey]]
type = "select_one agree"
name = "q2"
label = "Em có thấy ý kiến của mình được người lớn lắng nghe ở nhà không?"

[[survey]]
type = "select_one agree"
name = "q3"
label = "Em có thấy ý kiến của mình được người lớn lắng nghe ở thôn không?"

[[survey]]
type = "select_one agree"
name = "q4"
label = "Em có được hỏi ý kiến khi trường tổ chức hoạt động cho học sinh không?"

[[survey]]
type = "select_one agree"
name = "q5"
label = "Em có được hỏi ý kiến khi xã làm sân chơi hoặc điểm vui chơi không?"

[[survey]]
type = "select_one agree"
name = "q6"
label = "Em có biết nói với ai khi em muốn góp ý về một việc liên quan đến em không?"

[[choices.agree]]
name = "1"
label = "Không bao giờ"

[[choices.agree]]
name = "2"
label = "Hiếm khi"

[[choices.agree]]
name = "3"
label = "Thỉnh thoảng"

[[choices.agree]]
name = "4"
label = "Thường xuyên"

[[choices.agree]]
name = "declined"
label = "Em không muốn trả lời"
"#;

fn crafted(answers: &[&str], ms_each: u64, hour: u32, duration_s: u64) -> Finalized {
    let t = FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 30, hour, 0, 0)
        .unwrap();
    let keys = ["q1", "q2", "q3", "q4", "q5", "q6"];
    Finalized {
        id: Uuid::now_v7(),
        form: FormRef {
            id: "scale".into(),
            version: "1".into(),
            hash: 0,
        },
        device: Uuid::nil(),
        seq: 1,
        surveyor: "sv".into(),
        started: Stamp::from_local(t),
        finished: Stamp::from_local(t + chrono::Duration::seconds(duration_s as i64)),
        answers: keys
            .iter()
            .zip(answers)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        paradata: keys.iter().map(|k| (k.to_string(), ms_each)).collect(),
        duration_ms: duration_s * 1000,
        referral: false,
        training: false,
    }
}

fn codes(f: &Finalized, median: Option<f64>) -> Vec<String> {
    let form = langnghe::form::build("scale.toml", SCALE_FORM).unwrap();
    flags(f, Some(&form), median, &Thresholds::default())
        .into_iter()
        .map(|f| f.code)
        .collect()
}

#[test]
fn each_quality_flag_on_crafted_interviews() {
    // A careful interview: varied answers, 6 s a question, mid-morning, ordinary length.
    let good = crafted(&["2", "4", "1", "3", "2", "4"], 6_000, 9, 300);
    assert!(
        codes(&good, Some(320.0)).is_empty(),
        "{:?}",
        codes(&good, Some(320.0))
    );
    // Far shorter than the form's median.
    let short = crafted(&["2", "4", "1", "3", "2", "4"], 6_000, 9, 60);
    assert_eq!(codes(&short, Some(320.0)), ["short"]);
    assert!(codes(&short, None).is_empty(), "no median yet: not judged");
    // Questions of 60+ characters answered in half a second each.
    let fast = crafted(&["2", "4", "1", "3", "2", "4"], 500, 9, 300);
    assert_eq!(codes(&fast, Some(320.0)), ["fast"]);
    // The same point of the scale six times in a row.
    let straight = crafted(&["3", "3", "3", "3", "3", "3"], 6_000, 9, 300);
    assert_eq!(codes(&straight, Some(320.0)), ["straight"]);
    // Mostly declined.
    let declined = crafted(
        &["declined", "4", "declined", "3", "declined", "1"],
        6_000,
        9,
        300,
    );
    assert_eq!(codes(&declined, Some(320.0)), ["declined"]);
    // At 21:00.
    let late = crafted(&["2", "4", "1", "3", "2", "4"], 6_000, 21, 300);
    assert_eq!(codes(&late, Some(320.0)), ["hours"]);
    // Each flag says why.
    let form = langnghe::form::build("scale.toml", SCALE_FORM).unwrap();
    let why = &flags(&fast, Some(&form), None, &Thresholds::default())[0].why;
    assert!(why.contains("6 of 6 questions"), "{why}");
}

#[test]
fn the_median_is_over_recent_interviews_of_the_form() {
    let mut d = Durations::default();
    assert_eq!(d.median(3), None);
    for s in [100.0, 300.0, 200.0] {
        d.push(s);
    }
    assert_eq!(d.median(3), Some(200.0));
    for _ in 0..1000 {
        d.push(50.0);
    }
    assert_eq!(
        d.median(3),
        Some(50.0),
        "an old window does not hold the median back"
    );
    // Whatever the order they came in, the middle one of the sorted durations.
    let mut d = Durations::default();
    let mut x = 7u64;
    for n in 1..=600usize {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        d.push((x >> 40) as f64 / 100.0);
        let mut sorted = d.recent.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(d.median(1), Some(sorted[sorted.len() / 2]), "after {n}");
    }
}

#[test]
fn supervisor_reviews_rejects_approves_and_erasure_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let dev = tmp.path().join("dev");
    let store = device(&dev, &hub, "laptop-rv", 4);
    let ids: Vec<Uuid> = store.entries().0.iter().map(|(id, _)| *id).collect();
    drop(store);
    let d = dev.to_str().unwrap();
    run(&["--data-dir", d, "sync"]);
    let h = hub.dir.to_str().unwrap().to_string();
    let review = |args: &[&str]| {
        let mut all = vec!["hub", "review", "--data", h.as_str()];
        all.extend(args);
        run(&all)
    };
    // While the hub serves: listed as received, with place and surveyor.
    let listed = review(&["list"]);
    assert!(
        listed.contains(&format!("{} interview(s)", ids.len())),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .skip(1)
            .take(ids.len())
            .all(|l| l.contains("received")),
        "{listed}"
    );
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    // has-issues and reject need a note; approve does not.
    let o = common::langnghe()
        .args(["hub", "review", "--data", &h, "reject", &a, "--note", " "])
        .finish();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("say what is wrong"));
    review(&[
        "reject",
        &a,
        "--note",
        "Câu 12 thiếu tuổi",
        "--by",
        "gs_lan",
    ]);
    review(&["approve", &b]);
    let shown = review(&["show", &a]);
    assert!(
        shown.contains("rejected by gs_lan: Câu 12 thiếu tuổi"),
        "{shown}"
    );
    assert!(
        shown.contains("Tỉnh") || shown.contains("province"),
        "questions by label: {shown}"
    );
    let rejected = review(&["list", "--state", "rejected", "--json"]);
    assert_eq!(rejected.lines().count(), 1);
    assert!(rejected.contains(&a));
    // The export carries Central's ReviewState.
    let out = tmp.path().join("out");
    run(&[
        "hub",
        "export",
        "--data",
        &h,
        "--out",
        out.to_str().unwrap(),
        "--include-training",
    ]);
    let csv = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = head.iter().position(|c| *c == "ReviewState").unwrap();
    let state_of = |id: &str| {
        let line = csv.lines().find(|l| l.contains(id)).unwrap();
        line.rsplit(',')
            .nth(head.len() - 1 - col)
            .unwrap()
            .to_string()
    };
    assert_eq!(state_of(&a), "rejected");
    assert_eq!(state_of(&b), "approved");
    assert_eq!(state_of(&ids[2].to_string()), "");
    // A child's erasure wins: nothing of the interview stays to be reviewed or sent back,
    // and its answers leave the quality counts.
    let counted = || all_answers(&hub);
    let before = counted();
    run(&["--data-dir", d, "erase", &a, "--reason", "withdrawn"]);
    run(&["--data-dir", d, "sync"]);
    let after = review(&["list"]);
    assert!(!after.contains(&a), "{after}");
    assert!(
        counted() < before,
        "the erased interview's answers were taken back"
    );
}

/// The review screen in TestBackend: list, flagged-only, open as questions and answers,
/// send back with a note, help, and English.
mod screen {
    use langnghe::lang::Lang;
    use langnghe::tui::review::{Answer, Decision, ReviewRow, ReviewScreen, ReviewSource, draw};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use uuid::Uuid;

    struct Fake {
        rows: Vec<ReviewRow>,
        decided: Vec<(Uuid, Decision, String, Option<String>)>,
    }

    impl ReviewSource for Fake {
        fn rows(&mut self) -> Vec<ReviewRow> {
            self.rows.clone()
        }
        fn answers(&mut self, _id: Uuid) -> Result<Vec<Answer>, String> {
            let a = |key: &str, question: &str, answer: &str| Answer {
                key: key.into(),
                question: question.into(),
                answer: answer.into(),
            };
            Ok(vec![
                a("age", "age: Em bao nhiêu tuổi?", "12"),
                a("commune", "commune: Xã / phường", "Xã Bát Xát"),
            ])
        }
        fn decide(
            &mut self,
            id: Uuid,
            d: Decision,
            note: &str,
            at: Option<&str>,
        ) -> Result<(), String> {
            if d != Decision::Approve && note.trim().is_empty() {
                return Err("say what is wrong".into());
            }
            self.decided
                .push((id, d, note.to_string(), at.map(str::to_string)));
            if let Some(r) = self.rows.iter_mut().find(|r| r.id == id) {
                r.state = "rejected".into();
            }
            Ok(())
        }
    }

    fn row(n: u128, place: &str, flags: &[(&str, &str)]) -> ReviewRow {
        ReviewRow {
            id: Uuid::from_u128(n),
            state: "received".into(),
            place: place.into(),
            surveyor: "sv07".into(),
            device: "d".into(),
            finished: "2026-11-30 09:00".into(),
            minutes: 12.5,
            flags: flags
                .iter()
                .map(|(c, w)| (c.to_string(), w.to_string()))
                .collect(),
            history: vec![],
        }
    }

    fn text(s: &ReviewScreen) -> String {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| draw(s, f)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..24)
            .map(|y| {
                (0..80)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    }

    fn key(s: &mut ReviewScreen, src: &mut Fake, code: KeyCode) -> bool {
        s.key(KeyEvent::new(code, KeyModifiers::NONE), src)
    }

    #[test]
    fn review_screen_lists_opens_and_sends_back() {
        let mut src = Fake {
            rows: vec![
                row(1, "Xã Bát Xát", &[]),
                row(
                    2,
                    "Phường Sa Pa",
                    &[("fast", "6 of 6 questions faster than read")],
                ),
                row(3, "Xã Mường Nhé", &[]),
            ],
            decided: vec![],
        };
        let mut s = ReviewScreen::new(&mut src, Lang::Vi);
        let t = text(&s);
        assert!(t.contains("Kiểm duyệt — 3 bài"), "{t}");
        assert!(t.contains("Phường Sa Pa") && t.contains("fast"), "{t}");
        assert!(
            t.contains("Enter mở") && t.contains("r trả lại"),
            "keys in the footer: {t}"
        );
        key(&mut s, &mut src, KeyCode::Char('f'));
        let t = text(&s);
        assert!(
            t.contains("Kiểm duyệt — 1 bài") && !t.contains("Xã Bát Xát"),
            "{t}"
        );
        key(&mut s, &mut src, KeyCode::Enter);
        let t = text(&s);
        assert!(
            t.contains("Em bao nhiêu tuổi?") && t.contains("    12"),
            "{t}"
        );
        assert!(t.contains("! fast: 6 of 6"), "the flag says why: {t}");
        assert!(
            t.contains("› age: Em bao nhiêu tuổi?"),
            "the first question selected: {t}"
        );
        // ↓ selects the next question; sending back from here points the device at it.
        key(&mut s, &mut src, KeyCode::Down);
        assert!(text(&s).contains("› commune: Xã / phường"));
        // Send back: a note is asked for; an empty one is refused with the reason.
        key(&mut s, &mut src, KeyCode::Char('r'));
        key(&mut s, &mut src, KeyCode::Enter);
        assert!(text(&s).contains("say what is wrong"));
        for c in "Hỏi lại câu 5".chars() {
            key(&mut s, &mut src, KeyCode::Char(c));
        }
        assert!(text(&s).contains("Ghi chú cho điều tra viên"));
        key(&mut s, &mut src, KeyCode::Enter);
        assert_eq!(
            src.decided,
            [(
                Uuid::from_u128(2),
                Decision::Reject,
                "Hỏi lại câu 5".to_string(),
                Some("commune".to_string())
            )]
        );
        assert!(
            text(&s).contains("rejected"),
            "the list shows the new state"
        );
        key(&mut s, &mut src, KeyCode::F(1));
        assert!(text(&s).contains("sắp xếp"), "help lists every key");
        key(&mut s, &mut src, KeyCode::Esc);
        key(&mut s, &mut src, KeyCode::F(2));
        assert!(text(&s).contains("Review — 1 interviews"));
        assert!(!key(&mut s, &mut src, KeyCode::Char('q')), "q leaves");
    }
}

#[test]
fn a_surveyor_whose_answers_differ_from_the_others_in_the_commune() {
    use langnghe::hub::quality::Counts;
    let form = langnghe::form::build("scale.toml", SCALE_FORM).unwrap();
    let mut c = Counts::default();
    let mixed = [
        ["1", "2", "3", "4", "2", "3"],
        ["4", "3", "2", "1", "3", "2"],
    ];
    let by = |who: &str, answers: &[&str], sign: i64, c: &mut Counts| {
        let mut f = crafted(answers, 6_000, 9, 300);
        f.surveyor = who.into();
        c.tally(&form, &f, "Xã A", sign);
    };
    for i in 0..30 {
        by("lan", &mixed[i % 2], 1, &mut c);
        by("minh", &mixed[(i + 1) % 2], 1, &mut c);
        // Always the top of the scale: not what the children around said.
        by("tuan", &["4", "4", "4", "4", "4", "4"], 1, &mut c);
    }
    let out = c.outliers(20, 0.35);
    let who: Vec<&str> = out.iter().map(|(_, w, _)| w.as_str()).collect();
    assert_eq!(who, ["tuan"], "{out:?}");
    assert!(out[0].2.why.contains("Xã A"), "{}", out[0].2.why);
    // Taken back (erasure): nothing of tuan's answers is left in the counts.
    for _ in 0..30 {
        by("tuan", &["4", "4", "4", "4", "4", "4"], -1, &mut c);
    }
    assert!(c.outliers(20, 0.35).is_empty());
    assert!(
        c.by["Xã A"]["tuan"]
            .values()
            .all(|q| q.values().all(|n| *n == 0))
    );
}

/// Interviews taken for real (not `simulate`'s practice), finalized into `store`.
fn real_interviews(store: &langnghe::store::Store, n: usize, seed: u64) -> Vec<Uuid> {
    let form = common::child_form();
    let mut rng = langnghe::simulate::Rng::new(seed);
    let t = chrono::Local::now().fixed_offset();
    let mut out = Vec::new();
    while out.len() < n {
        if let Some(iv) = langnghe::simulate::interview(&form, &mut rng, t) {
            let mut f = langnghe::simulate::finalized(&form, &iv, "sv_hoa", &mut rng, t);
            f.training = false;
            // Whole interviews (not ones that ended at consent), so every question is there.
            if f.answers.iter().any(|(k, _)| k == "asked_school") {
                out.push(f);
            }
        }
    }
    store.finalize(&mut out).unwrap();
    out.iter().map(|f| f.id).collect()
}

/// A device folder with `n` real interviews, enrolled with `hub` and synced.
fn synced_device(
    tmp: &std::path::Path,
    hub: &HubProc,
    name: &str,
    n: usize,
    seed: u64,
) -> (std::path::PathBuf, Vec<Uuid>) {
    let dev = tmp.join(name);
    let store = langnghe::store::Store::open(&dev).unwrap();
    let ids = real_interviews(&store, n, seed);
    drop(store);
    let d = dev.to_str().unwrap();
    run(&["--data-dir", d, "enroll", &hub.url(), &hub.token(name)]);
    run(&["--data-dir", d, "sync"]);
    (dev, ids)
}

/// The surveyor opens the sent-back draft (it opens where the supervisor pointed) and
/// finalizes it again.
fn fix_and_finalize(dev: &std::path::Path, id: Uuid, at: &str) {
    let store = std::sync::Arc::new(langnghe::store::Store::open(dev).unwrap());
    let draft = store.draft(id).unwrap();
    let mut s = langnghe::session::Session::resume(
        store.clone(),
        common::child_form(),
        draft,
        std::sync::Arc::new(langnghe::session::SystemClock::default()),
    );
    let Some(langnghe::interview::Item::Question { node, path }) = s.iv.current().cloned() else {
        panic!("reopened at {:?}", s.iv.current())
    };
    assert_eq!(
        s.iv.key(node, &path),
        at,
        "reopened at the flagged question"
    );
    // The surveyor asks again and the child answers otherwise.
    let was = s.iv.value(node, &path).to_str().to_string();
    let list = s.iv.form().list_of(node).unwrap();
    let other = list
        .choices
        .iter()
        .find(|c| c.name != was)
        .unwrap()
        .name
        .clone();
    s.answer(node, &path, &other).unwrap();
    let f = s.finalize().unwrap();
    assert_eq!(f.id, id, "the same interview, a new version");
    assert!(store.sent_back(id).is_none(), "the note has done its work");
}

/// One row of a hub export: (ReviewState, Edits) of interview `id`, and how many rows name it.
fn exported(hub_dir: &std::path::Path, out: &std::path::Path, id: Uuid) -> (String, String, usize) {
    let _ = std::fs::remove_dir_all(out);
    run(&[
        "hub",
        "export",
        "--data",
        hub_dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(&format!("uuid:{id},")))
        .collect();
    let col = |name: &str, line: &str| {
        let at = head.iter().position(|c| *c == name).unwrap();
        line.rsplit(',')
            .nth(head.len() - 1 - at)
            .unwrap()
            .to_string()
    };
    let last = rows.last().copied().unwrap_or_default();
    (col("ReviewState", last), col("Edits", last), rows.len())
}

#[test]
fn sent_back_over_http_and_usb_then_edited_and_approved_while_practice_stays_out() {
    let tmp = tempfile::tempdir().unwrap();
    // A production hub: practice is not taken.
    let hub = HubProc::with(&tmp.path().join("hub"), false);
    let h = hub.dir.to_str().unwrap().to_string();
    let review = |args: &[&str]| {
        let mut all = vec!["hub", "review", "--data", h.as_str()];
        all.extend(args);
        run(&all)
    };
    let out = tmp.path().join("out");
    // Over HTTP: three real interviews and two of `simulate`'s practice ones.
    let dev = tmp.path().join("dev");
    let d = dev.to_str().unwrap();
    let store = langnghe::store::Store::open(&dev).unwrap();
    let ids = real_interviews(&store, 3, 21);
    drop(store);
    run(&[
        "--data-dir",
        d,
        "simulate",
        "--form",
        "child_participation",
        "--count",
        "2",
    ]);
    let listed = run(&["--data-dir", d, "list"]);
    assert_eq!(listed.matches("[practice]").count(), 2, "{listed}");
    run(&[
        "--data-dir",
        d,
        "enroll",
        &hub.url(),
        &hub.token("laptop-hoa"),
    ]);
    let said = run(&["--data-dir", d, "sync"]);
    assert!(said.contains("2 practice interview(s)"), "{said}");
    let all = review(&["list", "--json"]);
    assert_eq!(all.lines().count(), 3, "only the real ones: {all}");
    // The indicators count only the real interviews.
    let report = run(&["--lang", "en", "hub", "report", "--data", &h]);
    assert!(report.contains("3 completed interviews"), "{report}");
    let id = ids[1];
    review(&[
        "reject",
        &id.to_string(),
        "--note",
        "Hỏi lại câu ý kiến ở nhà",
        "--at",
        "asked_home",
        "--by",
        "gs_lan",
    ]);
    let said = run(&["--data-dir", d, "sync"]);
    assert!(said.contains("1 interview(s) sent back"), "{said}");
    let listed = run(&["--data-dir", d, "list", "--status", "draft"]);
    assert!(
        listed.contains("[sent back: Hỏi lại câu ý kiến ở nhà]"),
        "{listed}"
    );
    // Sent again at the next sync: applied once.
    let again = run(&["--data-dir", d, "sync"]);
    assert!(!again.contains("sent back"), "{again}");
    // The quality counts of `asked_home`: each answer given and how many times.
    let counted = || -> Vec<(String, u64)> {
        let c = hub.answer_counts("child_participation");
        let mut by: std::collections::BTreeMap<String, u64> = Default::default();
        for q in c.by.values().flat_map(|s| s.values()) {
            for (v, n) in q.get("asked_home").into_iter().flatten() {
                *by.entry(v.clone()).or_default() += *n;
            }
        }
        by.into_iter().filter(|(_, n)| *n != 0).collect()
    };
    // Every answer of every question, summed: the edit changes one answer, not how many.
    let all_answers = || all_answers(&hub);
    let (before, answers_before) = (counted(), all_answers());
    fix_and_finalize(&dev, id, "asked_home");
    run(&["--data-dir", d, "sync"]);
    let after = counted();
    assert_eq!(
        all_answers(),
        answers_before,
        "the earlier version taken out once, the new one in once"
    );
    let total = |v: &[(String, u64)]| v.iter().map(|(_, n)| n).sum::<u64>();
    assert_eq!(
        total(&after),
        total(&before),
        "one answer each: the edit counted once"
    );
    assert_ne!(
        after, before,
        "the new version's answer replaces the old one's"
    );
    assert!(review(&["show", &id.to_string()]).contains("edited by sv_hoa"));
    review(&["approve", &id.to_string()]);
    assert_eq!(
        exported(&hub.dir, &out, id),
        ("approved".into(), "1".into(), 1),
        "the final version, once, with Edits = 1"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("child_participation.csv"))
            .unwrap()
            .lines()
            .count(),
        4,
        "3 real interviews, no practice"
    );
    // Attack: the device writes another version of an interview nobody sent back (the
    // approved one). The hub keeps it aside as a conflict; the approved version stays.
    let store = langnghe::store::Store::open(&dev).unwrap();
    let other = ids[0];
    let form = common::child_form();
    let mut rng = langnghe::simulate::Rng::new(99);
    let t = chrono::Local::now().fixed_offset();
    let mut forged = loop {
        if let Some(iv) = langnghe::simulate::interview(&form, &mut rng, t) {
            break langnghe::simulate::finalized(&form, &iv, "sv_hoa", &mut rng, t);
        }
    };
    (forged.id, forged.training) = (other, false);
    store.finalize(&mut [forged]).unwrap();
    drop(store);
    let said = run(&["--data-dir", d, "sync"]);
    assert!(said.contains("1 kept aside as conflicts"), "{said}");
    assert_eq!(exported(&hub.dir, &out, other), ("".into(), "0".into(), 1));

    // Over USB: the returns file goes back on the stick with the receipts.
    let dev2 = tmp.path().join("dev2");
    let d2 = dev2.to_str().unwrap();
    let store = langnghe::store::Store::open(&dev2).unwrap();
    let usb = real_interviews(&store, 2, 22);
    drop(store);
    run(&[
        "--data-dir",
        d2,
        "enroll",
        &hub.url(),
        &hub.token("laptop-usb"),
    ]);
    let stick = tmp.path().join("stick");
    std::fs::create_dir(&stick).unwrap();
    // A day's work to the hub on the stick: bundle export, then `hub import` there.
    let carry = |day: &str| {
        let file = stick.join(format!("{day}.lnb"));
        let f = file.to_str().unwrap();
        run(&["--data-dir", d2, "bundle", "export", "--out", f]);
        run(&["hub", "import", "--data", &h, f])
    };
    carry("day1");
    run(&[
        "--data-dir",
        d2,
        "bundle",
        "confirm",
        stick.join("day1.receipt").to_str().unwrap(),
    ]);
    review(&[
        "reject",
        &usb[0].to_string(),
        "--note",
        "Hỏi lại ở trường",
        "--at",
        "asked_school",
    ]);
    // The next visit: new work goes in, the sent-back interview comes out.
    let store = langnghe::store::Store::open(&dev2).unwrap();
    real_interviews(&store, 1, 23);
    drop(store);
    let imported = carry("day2");
    let returns = stick.join(format!("{}.returns", device_id(&dev2)));
    assert!(imported.contains("1 interview(s) sent back"), "{imported}");
    let confirmed = run(&[
        "--data-dir",
        d2,
        "bundle",
        "confirm",
        stick.join("day2.receipt").to_str().unwrap(),
        returns.to_str().unwrap(),
    ]);
    assert!(
        confirmed.contains("1 interview(s) sent back"),
        "{confirmed}"
    );
    // Another device cannot use it: signed for laptop-usb, sealed to its key.
    let o = common::langnghe()
        .args([
            "--data-dir",
            d,
            "bundle",
            "confirm",
            returns.to_str().unwrap(),
        ])
        .finish();
    assert!(!o.status.success());
    fix_and_finalize(&dev2, usb[0], "asked_school");
    carry("day3");
    assert_eq!(
        exported(&hub.dir, &out, usb[0]),
        ("edited".into(), "1".into(), 1)
    );
    // The indicator tallies the hub keeps took the earlier version out and the new one in:
    // what a recount of every stored interview gives.
    let csv = |recount: bool| {
        let mut args = vec!["hub", "report", "--data", h.as_str(), "--format", "csv"];
        args.extend(recount.then_some("--recount"));
        run(&args)
    };
    let kept = csv(false);
    assert_eq!(kept, csv(true));
}

fn device_id(dev: &std::path::Path) -> Uuid {
    langnghe::store::Store::open(dev).unwrap().device()
}

#[test]
fn a_withdrawal_wins_over_sending_back_on_both_sides() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::with(&tmp.path().join("hub"), false);
    let h = hub.dir.to_str().unwrap().to_string();
    let (dev, ids) = synced_device(tmp.path(), &hub, "laptop-w", 2, 31);
    let d = dev.to_str().unwrap();
    let reject = |id: Uuid| {
        run(&[
            "hub",
            "review",
            "--data",
            &h,
            "reject",
            &id.to_string(),
            "--note",
            "Kiểm tra lại",
        ])
    };
    let withdraw = |id: Uuid| {
        run(&[
            "--data-dir",
            d,
            "erase",
            &id.to_string(),
            "--reason",
            "withdrawn",
        ])
    };
    // 1. The child withdraws before the surveyor's next sync: the erasure goes out first,
    //    the hub forgets the interview, and nothing comes back.
    reject(ids[0]);
    withdraw(ids[0]);
    let said = run(&["--data-dir", d, "sync"]);
    assert!(!said.contains("sent back"), "{said}");
    assert!(!run(&["hub", "review", "--data", &h, "list"]).contains(&ids[0].to_string()));
    // 2. The child withdraws after it came back: the reopened draft is erased with the rest,
    //    and the hub drops the interview with every version it kept.
    reject(ids[1]);
    run(&["--data-dir", d, "sync"]);
    let store = langnghe::store::Store::open(&dev).unwrap();
    assert!(store.sent_back(ids[1]).is_some());
    drop(store);
    withdraw(ids[1]);
    let listed = run(&["--data-dir", d, "list"]);
    assert!(!listed.contains(&ids[1].to_string()), "{listed}");
    run(&["--data-dir", d, "sync"]);
    let out = tmp.path().join("out");
    run(&[
        "hub",
        "export",
        "--data",
        &h,
        "--out",
        out.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(out.join("child_participation.csv")).unwrap_or_default();
    assert!(!csv.contains(&ids[0].to_string()) && !csv.contains(&ids[1].to_string()));
    // 3. A return that arrives for an interview erased here is not reopened.
    let store = langnghe::store::Store::open(&dev).unwrap();
    assert!(store.drafts().0.is_empty());
}

#[test]
fn the_devices_retention_never_erases_the_hubs_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::with(&tmp.path().join("hub"), false);
    let (dev, ids) = synced_device(tmp.path(), &hub, "laptop-r", 2, 41);
    let d = dev.to_str().unwrap();
    // Retention on the device 40 days later, then another sync.
    let store = langnghe::store::Store::open(&dev).unwrap();
    let later = langnghe::store::Stamp::from_local(
        chrono::Local::now().fixed_offset() + chrono::Duration::days(40),
    );
    assert_eq!(store.apply_retention(later, 30).unwrap(), 2);
    assert!(store.entries().0.is_empty(), "the device's copies are gone");
    assert!(
        store.unsent_tombstones(10).is_empty(),
        "nothing to tell the hub"
    );
    assert!(
        store.ended_counts().unwrap().is_empty(),
        "not an interview that ended early"
    );
    drop(store);
    run(&["--data-dir", d, "sync"]);
    let out = tmp.path().join("out");
    let h = hub.dir.to_str().unwrap();
    run(&["hub", "export", "--data", h, "--out", out.to_str().unwrap()]);
    let csv = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    for id in ids {
        assert!(csv.contains(&id.to_string()), "the hub keeps {id}");
    }
}

#[test]
fn an_interview_taken_in_training_mode_is_marked_practice_in_its_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    let d = dev.to_str().unwrap();
    assert!(run(&["--data-dir", d, "training", "on"]).contains("ON"));
    let store = std::sync::Arc::new(langnghe::store::Store::open(&dev).unwrap());
    let practice = common::declined(&store);
    assert!(practice.training && store.is_practice(practice.id));
    store.set_training_mode(false).unwrap();
    let real = common::declined(&store);
    assert!(!real.training && !store.is_practice(real.id));
    drop(store);
    assert!(run(&["--data-dir", d, "training"]).contains("off"));
    let listed = run(&["--data-dir", d, "list"]);
    let line = |id: Uuid| {
        listed
            .lines()
            .find(|l| l.contains(&id.to_string()))
            .unwrap()
            .to_string()
    };
    assert!(line(practice.id).ends_with("[practice]"), "{listed}");
    assert!(!line(real.id).contains("practice"), "{listed}");
    // The device's own export marks it too.
    let out = tmp.path().join("out");
    run(&["--data-dir", d, "export", "--out", out.to_str().unwrap()]);
    let csv = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = head.iter().position(|c| *c == "meta-training").unwrap();
    let mark = |id: Uuid| {
        let row = csv.lines().find(|l| l.contains(&id.to_string())).unwrap();
        row.rsplit(',')
            .nth(head.len() - 1 - col)
            .unwrap()
            .to_string()
    };
    assert_eq!((mark(practice.id), mark(real.id)), ("1".into(), "0".into()));
}

#[test]
fn a_training_hub_keeps_practice_apart_from_indicators_and_exports_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let h = hub.dir.to_str().unwrap().to_string();
    let dev = tmp.path().join("dev");
    let store = device(&dev, &hub, "laptop-t", 5);
    // Real interviews beside the practice ones, in the same bundles.
    real_interviews(&store, 2, 51);
    drop(store);
    let said = run(&["--data-dir", dev.to_str().unwrap(), "sync"]);
    assert!(
        !said.contains("practice"),
        "a training hub takes them: {said}"
    );
    let listed = run(&["hub", "review", "--data", &h, "list"]);
    assert!(listed.contains("practice"), "{listed}");
    let rows = |extra: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        let mut args = vec!["hub", "export", "--data", &h, "--out"];
        args.push(out.path().to_str().unwrap());
        args.extend(extra);
        run(&args);
        std::fs::read_to_string(out.path().join("child_participation.csv"))
            .map_or(0, |s| s.lines().count().saturating_sub(1))
    };
    assert_eq!(rows(&[]), 2, "the real ones only");
    let practice = rows(&["--include-training"]) - 2;
    assert!(practice > 0);
    let report = |extra: &[&str]| {
        let mut args = vec!["--lang", "en", "hub", "report", "--data", &h];
        args.extend(extra);
        run(&args)
    };
    assert!(
        report(&[]).contains("2 completed interviews"),
        "{}",
        report(&[])
    );
    assert!(
        report(&["--include-training"]).contains(&format!("{} completed interviews", practice + 2)),
        "{}",
        report(&["--include-training"])
    );
}

/// Every answer of every question in the hub's quality counts, summed.
fn all_answers(hub: &HubProc) -> u64 {
    let c = hub.answer_counts("child_participation");
    c.by.values()
        .flat_map(|s| s.values())
        .flat_map(|q| q.values())
        .flat_map(|a| a.values())
        .sum()
}
