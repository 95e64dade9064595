//! The terminal app driven by keys and rendered into ratatui's TestBackend at 80×24.

mod common;
use common::Finish;
use common::StepClock;
use langnghe::session::Clock;
use langnghe::store::{Settings, Status, Store};
use langnghe::tui::app::{App, Screen};
use langnghe::tui::keymap::{Mode, table};
use langnghe::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::sync::Arc;

const ALL_TYPES: &str = r#"
[settings]
id = "all_types"
title = { vi = "Mọi loại câu", en = "Every type" }
languages = ["vi", "en"]

[[survey]]
type = "text"
name = "t_text"
label = { vi = "Tên trường của em?", en = "Your school's name?" }
required = true

[[survey]]
type = "integer"
name = "t_int"
label = { vi = "Số anh chị em?", en = "How many siblings?" }
constraint = ". <= 20"
constraint_message = { vi = "Tối đa 20.", en = "At most 20." }

[[survey]]
type = "decimal"
name = "t_dec"
label = { vi = "Cân nặng (kg)?", en = "Weight (kg)?" }

[[survey]]
type = "date"
name = "t_date"
label = { vi = "Ngày sinh?", en = "Date of birth?" }

[[survey]]
type = "time"
name = "t_time"
label = { vi = "Giờ đi học?", en = "School starts at?" }

[[survey]]
type = "select_one yn"
name = "t_one"
label = { vi = "Em có xe đạp không?", en = "Do you have a bike?" }

[[survey]]
type = "select_multiple fruit"
name = "t_multi"
label = { vi = "Em thích quả gì?", en = "Which fruit do you like?" }

[[survey]]
type = "range"
name = "t_range"
label = { vi = "Em vui thế nào?", en = "How happy are you?" }
parameters = { start = 1, end = 5, step = 1 }

[[survey]]
type = "rank fruit"
name = "t_rank"
label = { vi = "Xếp hạng các quả", en = "Rank the fruit" }

[[survey]]
type = "acknowledge"
name = "t_ack"
label = { vi = "Em đã hiểu chưa?", en = "Do you understand?" }

[[survey]]
type = "note"
name = "t_note"
label = { vi = "Cảm ơn em, ${t_text}!", en = "Thank you, ${t_text}!" }

[[choices.yn]]
name = "yes"
label = { vi = "Có", en = "Yes" }

[[choices.yn]]
name = "no"
label = { vi = "Không", en = "No" }

[[choices.fruit]]
name = "mango"
label = { vi = "Xoài", en = "Mango" }

[[choices.fruit]]
name = "banana"
label = { vi = "Chuối", en = "Banana" }

[[choices.fruit]]
name = "lychee"
label = { vi = "Vải", en = "Lychee" }
"#;

struct Rig {
    _dir: tempfile::TempDir,
    app: App,
    term: Terminal<TestBackend>,
}

fn rig_with(settings: Option<Settings>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let forms = dir.path().join("forms");
    std::fs::create_dir(&forms).unwrap();
    for f in ["child_participation.toml", "commune_child_friendly.toml"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("forms").join(f),
            forms.join(f),
        )
        .unwrap();
    }
    std::fs::write(forms.join("all_types.toml"), ALL_TYPES).unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    if let Some(s) = settings {
        store.save_settings(&s).unwrap();
    }
    let (forms, errors) = langnghe::catalog::load_dir(&forms);
    assert!(errors.is_empty(), "{errors:?}");
    let app = App::new(
        Arc::new(store),
        forms,
        errors,
        Arc::new(StepClock::default()),
    );
    Rig {
        _dir: dir,
        app,
        term: Terminal::new(TestBackend::new(80, 24)).unwrap(),
    }
}

fn rig() -> Rig {
    rig_with(Some(Settings {
        surveyor: "sv07".into(),
        device_label: "laptop".into(),
        language: "vi".into(),
    }))
}

impl Rig {
    fn screen(&mut self) -> String {
        let app = &self.app;
        self.term.draw(|f| view::draw(app, f)).unwrap();
        let buf = self.term.backend().buffer();
        let mut s = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                s.push_str(buf[(x, y)].symbol());
            }
            s.push('\n');
        }
        s
    }
    fn key(&mut self, code: KeyCode) -> &mut Self {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
        self
    }
    fn keys(&mut self, codes: &[KeyCode]) -> &mut Self {
        for c in codes {
            self.key(*c);
        }
        self
    }
    fn typed(&mut self, s: &str) -> &mut Self {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }
    fn enter(&mut self) -> &mut Self {
        self.key(KeyCode::Enter)
    }
    /// Opens form number `i` (in file-name order) from the home screen.
    fn start(&mut self, form_id: &str) -> &mut Self {
        let i = self.app.forms.iter().position(|f| f.id == form_id).unwrap();
        for _ in 0..i {
            self.key(KeyCode::Down);
        }
        self.enter()
    }
    /// The child form opened and consent given by the guardian and the child.
    fn consented(&mut self) -> &mut Self {
        self.start("child_participation")
            .enter()
            .typed("1")
            .enter()
            .enter()
            .typed("1")
            .enter()
    }
    fn current(&self) -> String {
        let s = self.app.session.as_ref().expect("in an interview");
        s.iv.current()
            .map_or("END".into(), |i| s.iv.form().node(i.node()).name.clone())
    }
    fn store(&self) -> &Store {
        &self.app.store
    }
}

use KeyCode::{Char, Down, Esc, F, Left, Right, Up};

#[test]
fn first_run_asks_for_surveyor_then_shows_home() {
    let mut r = rig_with(None);
    let s = r.screen();
    assert!(
        s.contains("Thiết lập lần đầu") && s.contains("Mã hoặc tên người phỏng vấn"),
        "{s}"
    );
    r.enter();
    assert!(
        r.screen()
            .contains("✗ Hãy nhập mã hoặc tên người phỏng vấn.")
    );
    r.typed("sv09")
        .key(KeyCode::Tab)
        .typed("máy 2")
        .key(KeyCode::Tab)
        .key(Right)
        .enter();
    assert!(matches!(r.app.screen, Screen::Home));
    let saved = r.store().settings().unwrap();
    assert_eq!(
        (
            saved.surveyor.as_str(),
            saved.device_label.as_str(),
            saved.language.as_str()
        ),
        ("sv09", "máy 2", "en")
    );
    let s = r.screen();
    assert!(s.contains("Forms") && s.contains("Every type"), "{s}");
}

#[test]
fn home_shows_forms_drafts_counts_and_sync_status() {
    let mut r = rig();
    let s = r.screen();
    for want in [
        "Biểu mẫu",
        "Mọi loại câu",
        "Lắng nghe trẻ em",
        "Chưa có bài nào làm dở.",
        "Đã hoàn thành: 0",
        "Đồng bộ: chưa đăng ký",
        "F1 Trợ giúp",
    ] {
        assert!(s.contains(want), "missing {want:?}\n{s}");
    }
    // Start an interview, pause it: it shows as a draft with its progress.
    r.start("all_types")
        .typed("Trường Kim Đồng")
        .enter()
        .key(Esc);
    let s = r.screen();
    assert!(
        s.contains("Mọi loại câu") && s.contains("Đã trả lời 1/10"),
        "{s}"
    );
    assert!(s.contains("• Đã tạm dừng."), "{s}");
}

#[test]
fn every_input_type_renders_and_records() {
    let mut r = rig();
    r.start("all_types");
    // text
    let s = r.screen();
    assert!(
        s.contains("Tên trường của em?") && s.contains("* bắt buộc") && s.contains("┌"),
        "{s}"
    );
    r.enter();
    assert!(
        r.screen().contains("✗ Câu hỏi này cần được trả lời."),
        "required shown in place"
    );
    r.typed("Trường Kim Đồng").enter();
    // integer: letters are refused at the key, the constraint message shows in place
    r.typed("2x1").enter();
    let s = r.screen();
    assert!(s.contains("✗ Tối đa 20.") && s.contains("21"), "{s}");
    r.key(KeyCode::Backspace).typed("0").enter();
    // decimal with a comma
    assert!(r.screen().contains("chỉ nhập số"));
    r.typed("31,5").enter();
    // date, typed day first
    assert!(r.screen().contains("ngày/tháng/năm"));
    r.typed("31/02/2015").enter();
    assert!(
        r.screen().contains("✗ Hãy nhập ngày"),
        "invalid date refused"
    );
    for _ in 0..10 {
        r.key(KeyCode::Backspace);
    }
    r.typed("15/06/2015").enter();
    // time
    r.typed("7:30").enter();
    // select_one: the highlight alone is not an answer; a number picks
    let s = r.screen();
    assert!(s.contains("1 ( ) Có") && s.contains("2 ( ) Không"), "{s}");
    r.typed("2");
    assert!(r.screen().contains("2 (•) Không"));
    r.enter();
    // select_multiple
    r.typed("1").typed("3");
    let s = r.screen();
    assert!(
        s.contains("[x] Xoài") && s.contains("[ ] Chuối") && s.contains("[x] Vải"),
        "{s}"
    );
    r.enter();
    // range: nothing chosen at first; → starts at the first value
    assert!(!r.screen().contains("[1]") && !r.screen().contains("[3]"));
    r.key(Right);
    assert!(r.screen().contains("[1]"), "{}", r.screen());
    r.keys(&[Right, Right, Right]).enter();
    // rank: move lychee to the top
    r.keys(&[Down, Down]).typed("++");
    let s = r.screen();
    assert!(s.contains("1. Vải") && s.contains("2. Xoài"), "{s}");
    r.enter();
    // acknowledge
    assert!(r.screen().contains("[ ] OK"));
    r.key(Char(' '));
    assert!(r.screen().contains("[x] Đã xác nhận"));
    r.enter();
    // note with the answer filled in
    assert!(r.screen().contains("Cảm ơn em, Trường Kim Đồng!"));
    r.enter();
    assert!(matches!(r.app.screen, Screen::Review(_)));
    let s = r.app.session.as_ref().unwrap();
    let answers = s.iv.answers();
    let get = |k: &str| {
        answers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("t_int"), "20");
    assert_eq!(get("t_dec"), "31.5");
    assert_eq!(get("t_date"), "2015-06-15");
    assert_eq!(get("t_time"), "07:30:00");
    assert_eq!(get("t_one"), "no");
    assert_eq!(get("t_multi"), "mango lychee");
    assert_eq!(get("t_range"), "4");
    assert_eq!(get("t_rank"), "lychee mango banana");
    assert_eq!(get("t_ack"), "OK");
}

#[test]
fn jump_list_shows_states_and_jumps() {
    let mut r = rig();
    r.start("all_types").typed("A").enter().enter();
    r.key(F(3));
    let s = r.screen();
    assert!(
        s.contains("Tất cả câu hỏi")
            && s.contains("✓ Tên trường của em? — A")
            && s.contains("· Số anh chị em?"),
        "{s}"
    );
    r.keys(&[Up, Up]).enter();
    assert_eq!(r.current(), "t_text");
    assert!(matches!(r.app.screen, Screen::Interview));
}

#[test]
fn review_flags_problems_and_finalize_needs_confirmation() {
    let mut r = rig();
    r.start("all_types");
    r.key(F(4));
    let s = r.screen();
    assert!(
        s.contains("✗ 1 câu cần xem lại") && s.contains("✗ Tên trường của em? — chưa trả lời"),
        "{s}"
    );
    r.key(F(8));
    assert!(r.app.overlay.is_none(), "cannot finalize with problems");
    r.enter(); // go fix it
    assert_eq!(r.current(), "t_text");
    r.typed("B").enter().key(F(4));
    assert!(
        r.screen()
            .contains("✓ Đủ thông tin. Nhấn F8 để hoàn thành.")
    );
    r.key(F(8));
    assert!(
        r.screen()
            .contains("Hoàn thành bài phỏng vấn? Sau đó không sửa được nữa.")
    );
    r.key(Char('n'));
    assert!(r.app.session.is_some());
    r.key(F(8)).key(Char('y'));
    assert!(matches!(r.app.screen, Screen::Home));
    assert!(r.screen().contains("Đã lưu bài phỏng vấn an toàn ✓"));
    let (entries, _) = r.store().entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].1.status, Status::Finalized);
    assert!(r.store().drafts().0.is_empty());
}

#[test]
fn refused_consent_erases_and_keeps_only_a_tombstone() {
    let mut r = rig();
    r.start("child_participation").enter();
    // Enter alone on a consent question is not a yes, even with the highlight on "Có".
    r.enter();
    assert!(r.screen().contains("✗ Câu hỏi này cần được trả lời."));
    r.key(Down).enter();
    assert!(
        r.screen().contains("✗ Câu hỏi này cần được trả lời."),
        "moving the highlight is not consent either"
    );
    r.typed("2").enter();
    let s = r.screen();
    assert!(
        s.contains("Cảm ơn ông/bà. Chúng ta dừng ở đây."),
        "the form's own closing note\n{s}"
    );
    assert!(s.contains("nghĩa là không có sự đồng ý"), "{s}");
    // Enter is no answer to "end and erase?": only Có/Yes ends.
    r.enter();
    assert!(r.app.overlay.is_some() && r.store().tombstones().is_empty());
    r.key(Char('c'));
    assert!(matches!(r.app.screen, Screen::Home));
    assert!(r.store().drafts().0.is_empty());
    let t = r.store().tombstones();
    assert_eq!(
        (t.len(), t[0].reason.as_str(), t[0].form_id.as_str()),
        (1, "declined", "child_participation")
    );
}

#[test]
fn consent_gates_the_jump_list_and_review() {
    let mut r = rig();
    r.start("child_participation").enter();
    r.key(F(3));
    let s = r.screen();
    assert!(s.contains("Cha, mẹ hoặc người chăm sóc"), "{s}");
    assert!(
        !s.contains("Tỉnh"),
        "nothing past consent is reachable\n{s}"
    );
    r.key(Esc).key(F(4));
    assert!(matches!(r.app.screen, Screen::Interview));
    assert!(r.screen().contains("Cần có sự đồng ý"));
}

#[test]
fn a_child_under_seven_ends_as_not_eligible() {
    let mut r = rig();
    r.consented();
    r.typed("1")
        .enter()
        .typed("1")
        .enter()
        .enter()
        .typed("6")
        .enter();
    let s = r.screen();
    assert!(s.contains("không thuộc đối tượng khảo sát"), "{s}");
    assert!(
        s.contains("Khảo sát này dành cho các em từ 7 tuổi"),
        "the form's own `too_young` note\n{s}"
    );
    // 6 was meant to be 16: No (K) puts the old answer back and leaves "6" to correct.
    r.key(Char('k'));
    assert!(r.app.overlay.is_none() && r.store().tombstones().is_empty());
    assert_eq!(r.current(), "age");
    let s = r.app.session.as_ref().unwrap();
    let age = s.iv.form().by_name["age"];
    assert!(
        s.iv.value(age, &[]).is_blank(),
        "the ending answer is undone"
    );
    assert!(r.screen().contains("│6"), "{}", r.screen());
    r.key(KeyCode::Home).typed("1").enter();
    assert_ne!(
        r.current(),
        "age",
        "16 is accepted and the interview goes on"
    );
    assert!(r.store().tombstones().is_empty());
    // And a real 6 ends it, after Yes.
    r.key(KeyCode::PageUp);
    while r.current() != "age" {
        r.key(KeyCode::PageUp);
    }
    for _ in 0..2 {
        r.key(KeyCode::Backspace);
    }
    r.typed("6").enter().key(Char('y'));
    assert_eq!(r.store().tombstones()[0].reason, "not_eligible");
    assert!(r.store().drafts().0.is_empty());
}

#[test]
fn stop_key_pauses_or_withdraws_with_confirmation() {
    let mut r = rig();
    r.start("all_types").typed("Trường A").enter();
    r.key(F(10));
    let s = r.screen();
    assert!(
        s.contains("Dừng phỏng vấn") && s.contains("R  Rút lui: em không muốn tiếp tục"),
        "{s}"
    );
    assert!(
        s.contains("T Tạm dừng") && s.contains("R Rút khỏi"),
        "footer\n{s}"
    );
    r.key(Char('w'));
    assert!(r.screen().contains("Xoá toàn bộ câu trả lời của bài này?"));
    r.key(Esc);
    assert!(r.app.session.is_some(), "No keeps the interview");
    r.key(F(10)).key(Char('w')).key(Char('y'));
    assert!(matches!(r.app.screen, Screen::Home));
    assert!(r.screen().contains("Đã xoá câu trả lời."));
    assert_eq!(r.store().tombstones()[0].reason, "withdrawn");
    assert!(r.store().drafts().0.is_empty());
    // Pause keeps the draft; resuming lands on the same question.
    r.start("all_types")
        .typed("Trường B")
        .enter()
        .key(F(10))
        .key(Char('p'));
    assert_eq!(r.store().drafts().0.len(), 1);
    r.key(KeyCode::Tab).enter();
    assert_eq!(r.current(), "t_int");
}

#[test]
fn referral_flag_shows_hotline_and_is_kept() {
    let mut r = rig();
    r.start("all_types").key(F(9));
    let s = r.screen();
    assert!(
        s.contains("111") && s.contains("Cần hỗ trợ bảo vệ trẻ em"),
        "{s}"
    );
    r.enter();
    // The header is read by the child too: a sign, not the words.
    let header = r.screen().lines().next().unwrap_or_default().to_string();
    assert!(
        header.contains('⚑') && !header.contains("hỗ trợ"),
        "{header}"
    );
    assert!(r.app.session.as_ref().unwrap().draft.referral);
    let id = r.app.session.as_ref().unwrap().id();
    assert!(r.store().draft(id).unwrap().referral, "saved at once");
    assert!(
        r.store().has_unsent_referrals(),
        "the hub is told at the next sync"
    );
    // The surveyor's draft list says what it is.
    r.key(Esc);
    assert!(r.screen().contains("⚑ cần hỗ trợ"), "{}", r.screen());
}

#[test]
fn f9_answers_the_forms_own_referral_question_so_there_is_one_truth() {
    let mut r = rig();
    r.consented();
    r.key(F(9)).enter();
    let s = r.app.session.as_ref().unwrap();
    let q = s.iv.form().by_name["referral"];
    assert_eq!(s.iv.value(q, &[]).to_str(), "yes");
    assert!(s.draft.referral);
    r.key(F(9)).enter();
    let s = r.app.session.as_ref().unwrap();
    assert_eq!(s.iv.value(q, &[]).to_str(), "no");
    assert!(!s.draft.referral);
    // Answering the question itself moves the flag too.
    let mut s = r.app.session.take().unwrap();
    s.answer(q, &[], "yes").unwrap();
    assert!(s.draft.referral, "the flag is the question's answer");
}

#[test]
fn help_lists_every_key_of_the_screen_from_the_keymap() {
    let mut r = rig();
    r.start("all_types").key(F(1));
    let s = r.screen();
    assert!(s.contains("Phím tắt"));
    for b in table(Mode::Interview).into_iter().filter(|b| b.in_help()) {
        assert!(s.contains(b.label), "help lacks {}\n{s}", b.label);
        // Long entries wrap inside the help box: their first words are enough.
        let head: String = b.vi.chars().take(24).collect();
        assert!(s.contains(&head), "help lacks {}\n{s}", b.vi);
    }
    r.enter();
    assert!(r.app.overlay.is_none());
}

#[test]
fn language_key_flips_labels_and_ui() {
    let mut r = rig();
    r.start("all_types").key(F(2));
    let s = r.screen();
    assert!(
        s.contains("Your school's name?") && s.contains("F1 Help") && s.contains("required"),
        "{s}"
    );
    assert_eq!(r.store().settings().unwrap().language, "en");
}

#[test]
fn too_small_a_window_asks_to_enlarge() {
    let mut r = rig();
    r.term = Terminal::new(TestBackend::new(50, 12)).unwrap();
    let s = r.screen();
    assert!(s.contains("Cửa sổ quá nhỏ") && s.contains("60×16"), "{s}");
}

#[test]
fn scripted_child_interview_keys_in_answers_out() {
    let mut r = rig();
    r.start("child_participation");
    let script: &[(&str, &str)] = &[
        ("guardian_info", ""),
        ("guardian_consent", "1"),
        ("child_info", ""),
        ("child_assent", "1"),
        ("province", "1"),
        ("commune", "2"),
        ("listed", "30"),
        ("chosen", "3"),
        ("age", "13"),
        ("birth_year", "2013"),
        ("sex", "1"),
        ("in_school", "1"),
        ("grade", "8"),
        ("ethnicity", "1"),
        ("lives_with", "12"),
        ("heard_intro", ""),
        ("asked_home", "1"),
        ("asked_school", "2"),
        ("asked_commune", "2"),
        ("asked_org", "1"),
        ("taken_into_account", "3"),
        ("comfort_speaking", "5"),
        ("knows_right", "1"),
        ("learned_where", "1"),
        ("quiz_intro", ""),
        ("tf_permission", "2"),
        ("tf_every_child", "1"),
        ("tf_punish", "2"),
        ("activities", "14"),
        ("how_often", "2"),
        ("knows_help", "1"),
        ("knows_111", "1"),
        ("referral", "2"),
        ("message_to_adults", "Em muốn có thêm sách"),
        ("thanks", ""),
    ];
    for (q, keys) in script {
        assert_eq!(r.current(), *q);
        r.typed(keys).enter();
        assert!(r.app.message.is_none(), "{q}: {:?}", r.app.message);
    }
    assert!(matches!(r.app.screen, Screen::Review(_)));
    r.key(F(8)).key(Char('y'));
    let (entries, _) = r.store().entries();
    let f = r.store().finalized(entries[0].0).unwrap();
    let get = |k: &str| {
        f.answers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("commune"), "03199");
    assert_eq!(get("lives_with"), "mother father");
    assert_eq!(get("activities"), "children_forum class_self_management");
    assert_eq!(get("message_to_adults"), "Em muốn có thêm sách");
    assert_eq!(
        (
            get("ind_consulted").as_str(),
            get("ind_aware").as_str(),
            get("ind_takes_part").as_str()
        ),
        ("1", "1", "1")
    );
    assert!(
        f.paradata.iter().all(|(_, ms)| *ms >= 2000),
        "time per question from the monotonic clock"
    );
    assert_eq!(f.surveyor, "sv07");
}

#[test]
fn left_arrow_moves_in_text_and_back_key_goes_back() {
    let mut r = rig();
    r.start("all_types")
        .typed("ac")
        .key(Left)
        .typed("b")
        .enter();
    assert_eq!(r.current(), "t_int");
    r.key(KeyCode::PageUp);
    assert_eq!(r.current(), "t_text");
    assert!(r.screen().contains("abc"));
}

#[test]
fn open_repeat_asks_add_another_and_numbers_instances() {
    let mut r = rig();
    r.start("commune_child_friendly");
    for keys in [
        "1",
        "2",
        "2",
        "20/11/2026",
        "800",
        "500",
        "160",
        "",
        "1",
        "1",
        "1",
        "2",
        "97",
        "",
    ] {
        r.typed(keys).enter();
        assert!(r.app.message.is_none(), "{keys}: {:?}", r.app.message);
    }
    let s = r.screen();
    assert!(
        s.contains("Thêm một mục nữa?") && s.contains("( ) Có"),
        "{s}"
    );
    r.typed("y").enter();
    let s = r.screen();
    assert!(
        s.contains("Diễn đàn / đối thoại với trẻ em đã tổ chức trong năm #1"),
        "{s}"
    );
    assert!(s.contains("Ngày tổ chức diễn đàn số 1"), "{s}");
    for keys in ["01/06/2026", "2", "40", "22", "1"] {
        r.typed(keys).enter();
        assert!(r.app.message.is_none(), "{keys}: {:?}", r.app.message);
    }
    r.typed("y").enter();
    assert!(r.screen().contains("#2"));
    assert!(r.screen().contains("Ngày tổ chức diễn đàn số 2"));
    r.key(F(10)).key(Char('p'));
    let d = &r.store().drafts().0[0];
    assert!(
        d.answers
            .iter()
            .any(|(k, v)| k == "forum[1]/forum_children" && v == "40"),
        "{:?}",
        d.answers
    );
}

#[test]
fn indicators_screen_shows_gauges_and_a_breakdown_chart() {
    let mut r = rig();
    let forms_dir = r._dir.path().join("forms");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/child_participation.indicators.toml"),
        forms_dir.join("child_participation.indicators.toml"),
    )
    .unwrap();
    r.app.indicators = langnghe::catalog::indicator_sets(&forms_dir)
        .unwrap()
        .into_iter()
        .map(|(f, d)| (Arc::new(f), Arc::new(d)))
        .collect();
    let form = r.app.indicators[0].0.clone();
    let mut rng = langnghe::simulate::Rng::new(8);
    let mut batch = Vec::new();
    let now = StepClock::default().now();
    while batch.len() < 120 {
        if let Some(iv) = langnghe::simulate::interview(&form, &mut rng, now) {
            if iv.not_eligible() || iv.consent() != langnghe::interview::Consent::Given {
                continue;
            }
            batch.push(langnghe::simulate::finalized(
                &form, &iv, "sv", &mut rng, now,
            ));
        }
    }
    r.store().finalize(&mut batch).unwrap();
    r.key(F(6));
    assert!(matches!(r.app.screen, Screen::Report(_)));
    let s = r.screen();
    assert!(s.contains("120 bài phỏng vấn hoàn thành"), "{s}");
    assert!(
        s.contains("Trẻ em từ 7 tuổi được lấy ý kiến") && s.contains("mục tiêu: 2025 30,0%"),
        "{s}"
    );
    assert!(s.contains("Tỉnh · Trẻ em"), "{s}");
    r.key(Right);
    let s = r.screen();
    assert!(
        s.contains("Xã · Trẻ em") && s.contains("Phường Sa Pa"),
        "{s}"
    );
    r.key(Esc);
    assert!(matches!(r.app.screen, Screen::Home));
}

#[test]
fn a_refusal_saved_before_its_erasure_ends_the_interview_on_resume() {
    let mut r = rig();
    r.start("child_participation").enter().typed("2").enter();
    assert!(r.screen().contains("không có sự đồng ý"));
    // The app is stopped (SIGTERM) on the notice: the draft is saved, not yet erased.
    r.app.shutdown();
    r.app.quit = false;
    r.app.overlay = None;
    r.app.session = None;
    r.app.screen = Screen::Home;
    r.app.refresh_home();
    assert_eq!(r.store().drafts().0.len(), 1);
    r.key(KeyCode::Tab).enter();
    assert!(r.screen().contains("không có sự đồng ý"), "{}", r.screen());
    r.key(Char('Y'));
    assert!(r.store().drafts().0.is_empty());
    assert_eq!(r.store().tombstones()[0].reason, "declined");
}

/// Every way of leaving a question keeps what is in the field.
fn draft_of(r: &Rig) -> langnghe::store::Draft {
    let (drafts, _) = r.store().drafts();
    assert_eq!(drafts.len(), 1, "one draft");
    drafts.into_iter().next().unwrap()
}

fn answer_of(d: &langnghe::store::Draft, key: &str) -> Option<String> {
    d.answers
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn held_of(d: &langnghe::store::Draft, key: &str) -> Option<String> {
    d.held
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// One way of leaving a question, named for the assertion messages.
type Way = (&'static str, Box<dyn Fn(&mut Rig)>);

/// At `t_int` with 3 saved, the surveyor types over it and leaves by `leave`.
fn edit_siblings_then(leave: &dyn Fn(&mut Rig), typed: &str) -> Rig {
    let mut r = rig();
    r.start("all_types").typed("Trường A").enter();
    r.typed("3").enter().key(KeyCode::PageUp);
    assert_eq!(r.current(), "t_int");
    r.key(KeyCode::Backspace).typed(typed);
    leave(&mut r);
    r
}

/// Every way of leaving a question but Enter.
fn leaving_ways() -> Vec<Way> {
    vec![
        (
            "Esc",
            Box::new(|r| {
                r.key(Esc);
            }),
        ),
        (
            "PgUp",
            Box::new(|r| {
                r.key(KeyCode::PageUp);
            }),
        ),
        (
            "Shift+Tab",
            Box::new(|r| {
                r.app
                    .on_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
            }),
        ),
        (
            "F3",
            Box::new(|r| {
                r.key(F(3));
            }),
        ),
        (
            "F4",
            Box::new(|r| {
                r.key(F(4));
            }),
        ),
        (
            "F10 T",
            Box::new(|r| {
                r.key(F(10)).key(Char('t'));
            }),
        ),
        (
            "Ctrl+C",
            Box::new(|r| {
                r.app
                    .on_key(KeyEvent::new(Char('c'), KeyModifiers::CONTROL));
            }),
        ),
        ("SIGTERM", Box::new(|r| r.app.shutdown())),
    ]
}

#[test]
fn every_way_of_leaving_a_question_keeps_a_valid_answer() {
    let ways = leaving_ways();
    for (name, leave) in ways {
        let r = edit_siblings_then(&*leave, "5");
        let d = draft_of(&r);
        assert_eq!(answer_of(&d, "t_int").as_deref(), Some("5"), "{name}");
        assert!(d.held.is_empty(), "{name}: {:?}", d.held);
    }
}

#[test]
fn every_way_of_leaving_keeps_an_invalid_answer_as_held_text_never_as_an_answer() {
    let ways = leaving_ways();
    for (name, leave) in ways {
        // 25 breaks the form's constraint (at most 20).
        let r = edit_siblings_then(&*leave, "25");
        let d = draft_of(&r);
        assert_eq!(
            answer_of(&d, "t_int").as_deref(),
            Some("3"),
            "{name}: the last accepted answer stays the answer"
        );
        assert_eq!(held_of(&d, "t_int").as_deref(), Some("25"), "{name}");
    }
}

#[test]
fn held_text_comes_back_with_its_message_is_listed_in_review_and_blocks_finalizing() {
    let mut r = edit_siblings_then(
        &|r| {
            r.key(Esc);
        },
        "25",
    );
    assert!(matches!(r.app.screen, Screen::Home));
    r.key(KeyCode::Tab).enter();
    assert_eq!(r.current(), "t_int");
    let s = r.screen();
    assert!(s.contains("25") && s.contains("✗ Tối đa 20."), "{s}");
    r.key(F(4));
    let s = r.screen();
    assert!(s.contains("✗ Số anh chị em? — Tối đa 20."), "{s}");
    // F8 with problems says why and goes to the first one.
    r.key(F(8));
    assert!(r.app.overlay.is_none());
    assert_eq!(r.current(), "t_int");
    let s = r.screen();
    assert!(s.contains("Chưa hoàn thành được"), "{s}");
    // Fixing it releases the held text.
    r.key(KeyCode::Backspace)
        .key(KeyCode::Backspace)
        .typed("4")
        .enter();
    let d = draft_of(&r);
    assert_eq!(answer_of(&d, "t_int").as_deref(), Some("4"));
    assert!(d.held.is_empty());
}

#[test]
fn a_form_opened_and_left_without_an_answer_leaves_no_draft() {
    let mut r = rig();
    r.start("all_types").key(Esc);
    assert!(matches!(r.app.screen, Screen::Home));
    assert!(r.store().drafts().0.is_empty());
    r.start("all_types").typed("Trường A").enter().key(Esc);
    assert_eq!(r.store().drafts().0.len(), 1);
}

#[test]
fn quitting_from_home_asks_first_and_dialogs_take_vietnamese_keys_and_help() {
    let mut r = rig();
    r.key(Esc);
    assert!(!r.app.quit);
    assert!(r.screen().contains("Thoát Lắng Nghe?"));
    // F1 over the dialog explains its keys, and closing help comes back to it.
    r.key(F(1));
    let s = r.screen();
    assert!(
        s.contains("C ") && s.contains("Có") && s.contains("K "),
        "{s}"
    );
    r.enter();
    assert!(r.screen().contains("Thoát Lắng Nghe?"));
    r.key(Char('k'));
    assert!(!r.app.quit && r.app.overlay.is_none());
    r.key(Char('q')).key(Char('c'));
    assert!(r.app.quit);
}

#[test]
fn after_finalizing_the_last_draft_enter_starts_a_form_again() {
    let mut r = rig();
    r.start("all_types").typed("Trường A").enter().key(Esc);
    r.key(KeyCode::Tab).enter();
    r.key(F(4)).key(F(8)).key(Char('y'));
    assert!(matches!(r.app.screen, Screen::Home), "{}", r.screen());
    assert!(r.store().drafts().0.is_empty());
    r.enter();
    assert!(
        matches!(r.app.screen, Screen::Interview),
        "Enter works without Tab"
    );
}

#[test]
fn entering_answers_clear_keys_hints_and_plain_messages() {
    let mut r = rig();
    r.start("all_types").typed("Trường A").enter();
    // Letters in a number field: refused, and said so.
    r.typed("a");
    assert!(r.screen().contains("✗ Ô này chỉ nhận số"), "{}", r.screen());
    r.typed("123456789012345678901234").enter();
    assert!(r.screen().contains("✗ Số này quá lớn"), "{}", r.screen());
    for _ in 0..24 {
        r.key(KeyCode::Backspace);
    }
    r.typed("2").enter().enter();
    // A two-digit year is refused with a message that says what to write.
    r.typed("1/1/26").enter();
    assert!(
        r.screen().contains("✗ Hãy viết năm đủ 4 chữ số"),
        "{}",
        r.screen()
    );
    for _ in 0..6 {
        r.key(KeyCode::Backspace);
    }
    r.typed("1/1/2016").enter().enter();
    // select_one: picked, saved, then cleared with Del (ODK's "clear answer").
    r.typed("1").enter();
    r.key(KeyCode::PageUp);
    assert_eq!(r.current(), "t_one");
    assert!(r.screen().contains("1 (•) Có"));
    r.key(KeyCode::Delete);
    assert!(r.screen().contains("1 ( ) Có"));
    r.enter();
    let d = draft_of(&r);
    assert_eq!(answer_of(&d, "t_one"), None, "cleared and saved");
    // A scale cleared the same way.
    r.enter().key(Right).enter();
    r.key(KeyCode::PageUp);
    assert_eq!(r.current(), "t_range");
    r.key(KeyCode::Backspace).key(Esc);
    assert_eq!(answer_of(&draft_of(&r), "t_range"), None);
}

#[test]
fn below_the_minimum_size_keys_do_nothing_and_at_60_columns_f10_stays_in_the_footer() {
    let mut r = rig();
    r.start("all_types").typed("Trường A").enter().enter();
    for _ in 0..3 {
        r.enter();
    }
    assert_eq!(r.current(), "t_one");
    r.app.size = (50, 14);
    r.term = Terminal::new(TestBackend::new(50, 14)).unwrap();
    assert!(r.screen().contains("60×16"), "{}", r.screen());
    r.typed("1").enter().key(Esc);
    assert!(r.app.session.is_some(), "Esc did nothing");
    r.app.size = (60, 16);
    r.term = Terminal::new(TestBackend::new(60, 16)).unwrap();
    let s = r.screen();
    assert!(
        s.contains("1 ( ) Có"),
        "the digit picked nothing blind\n{s}"
    );
    let footer = s.lines().last().unwrap_or_default().to_string();
    assert!(
        footer.contains("F10 Dừng") && footer.contains("F1 Trợ giúp"),
        "{footer}"
    );
    // Home at 80 columns shows the indicators key and how to quit.
    r.key(Esc);
    r.app.size = (80, 24);
    r.term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let s = r.screen();
    let footer = s.lines().last().unwrap_or_default().to_string();
    assert!(
        footer.contains("F6/r Chỉ số") && footer.contains("q/F10 Thoát"),
        "{footer}"
    );
    r.key(F(1));
    let s = r.screen();
    assert!(
        s.contains("F5/s") && s.contains("F6/r") && s.contains("q/F10") && s.contains("Esc"),
        "{s}"
    );
}

#[test]
fn without_a_terminal_the_app_says_so_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::langnghe()
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .stdin(std::process::Stdio::null())
        .finish();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("không có màn hình dòng lệnh"), "{err}");
    let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    assert!(!all.contains(&0x1b), "no escape codes: {err}");
}

fn versioned(version: &str, extra: &str) -> String {
    format!(
        r#"
[settings]
id = "pets"
version = "{version}"
title = "Pets"

[[survey]]
type = "integer"
name = "dogs"
label = "How many dogs?"
{extra}
[[survey]]
type = "text"
name = "names"
label = "Their names?"
"#
    )
}

#[test]
fn every_interview_keeps_its_exact_form_version_for_resume_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let forms = dir.path().join("forms");
    std::fs::create_dir(&forms).unwrap();
    let data = dir.path().join("data");
    let file = forms.join("pets.toml");
    let settings = Settings {
        surveyor: "sv".into(),
        device_label: String::new(),
        language: "en".into(),
    };
    let app_with = |forms: &Path| {
        let store = Store::open(&data).unwrap();
        store.save_settings(&settings).unwrap();
        let (forms, errors) = langnghe::catalog::load_dir(forms);
        assert!(errors.is_empty(), "{errors:?}");
        let app = App::new(
            Arc::new(store),
            forms,
            errors,
            Arc::new(StepClock::default()),
        );
        Rig {
            _dir: tempfile::tempdir().unwrap(),
            app,
            term: Terminal::new(TestBackend::new(80, 24)).unwrap(),
        }
    };
    // Version 9: one interview finalized, one left as a draft.
    std::fs::write(&file, versioned("9", "")).unwrap();
    let mut r = app_with(&forms);
    r.start("pets").typed("2").enter().typed("Rex Fido").enter();
    r.key(F(8)).key(Char('y'));
    assert_eq!(r.store().counts()[0], 1);
    r.start("pets").typed("1").enter().key(Esc);
    drop(r);
    // The file is changed in place under the same version: a question added, its wording
    // changed. The draft must resume with what it was started with, silently.
    std::fs::write(
        &file,
        versioned(
            "9",
            "constraint = \". <= 0\"\nconstraint_message = \"none allowed\"\n",
        ),
    )
    .unwrap();
    let mut r = app_with(&forms);
    r.key(KeyCode::Tab).enter();
    let s = r.screen();
    assert!(s.contains("Their names?"), "{s}");
    assert!(!s.contains("changed"), "the exact version was found: {s}");
    r.key(KeyCode::PageUp);
    r.key(KeyCode::Backspace).typed("3").enter();
    assert!(
        !r.screen().contains("none allowed"),
        "the changed constraint is not applied to this draft"
    );
    r.typed("Rex").enter().key(F(8)).key(Char('y'));
    assert_eq!(r.store().counts()[0], 2);
    drop(r);
    // Version 10 replaces the file entirely; both older interviews still export, under the
    // newest version's columns (10 sorts after 9).
    std::fs::write(&file, versioned("10", "")).unwrap();
    let out = dir.path().join("out");
    let export = || {
        let args = [
            "export",
            "--out",
            out.to_str().unwrap(),
            "--forms",
            forms.to_str().unwrap(),
        ];
        common::run_in(&data, &args)
    };
    let exported = export();
    assert!(exported.contains("pets.csv (2 rows)"), "{exported}");
    // With the forms folder gone entirely, the kept copies still export everything.
    std::fs::remove_file(&file).unwrap();
    let exported = export();
    assert!(exported.contains("pets.csv (2 rows)"), "{exported}");
}

#[test]
fn drafts_are_told_apart_by_the_forms_instance_name() {
    let mut r = rig();
    r.consented();
    r.typed("1")
        .enter()
        .typed("1")
        .enter()
        .enter()
        .typed("12")
        .enter();
    r.key(Esc);
    let s = r.screen();
    assert!(s.contains("Xã Mường Nhé ·  · 12 — "), "{s}");
    let d = r.store().drafts().0.remove(0);
    assert_eq!(d.instance_name, "Xã Mường Nhé ·  · 12");
    let data = r.store().dir().to_path_buf();
    // The app closes (its lock goes); the temp folder stays for the CLI to read.
    let Rig {
        _dir: keep, app, ..
    } = r;
    drop(app);
    let listed = common::run_in(&data, &["list", "--status", "draft"]);
    drop(keep);
    assert!(listed.contains("Xã Mường Nhé ·  · 12"), "{listed}");
}

#[test]
fn guidance_for_the_surveyor_is_set_apart_from_what_is_read_aloud() {
    let mut r = rig();
    r.start("child_participation").enter();
    let s = r.screen();
    assert!(
        s.contains("▸ Người phỏng vấn: Hỏi người lớn. Không chọn thay họ."),
        "{s}"
    );
}

#[test]
fn first_run_offers_a_passphrase_and_says_why() {
    let mut r = rig_with(None);
    let s = r.screen();
    assert!(
        s.contains("Mật khẩu bảo vệ dữ liệu") && s.contains("bị mất"),
        "{s}"
    );
    r.typed("sv01");
    for _ in 0..3 {
        r.key(KeyCode::Tab);
    }
    r.typed("ngắn").enter();
    assert!(
        r.screen().contains("✗ Mật khẩu cần ít nhất 8 ký tự"),
        "{}",
        r.screen()
    );
    assert!(!r.store().is_protected());
    let s = r.screen();
    assert!(
        s.contains("[••••]") && !s.contains("ngắn"),
        "never shown\n{s}"
    );
    r.typed(" hơn nữa").enter();
    assert!(matches!(r.app.screen, Screen::Home));
    assert!(r.store().is_protected());
    assert!(!r.screen().contains("Thư mục tập huấn"));
}

#[test]
fn a_sent_back_interview_shows_its_note_and_reopens_where_the_supervisor_pointed() {
    let mut r = rig();
    let form = common::child_form();
    let mut rng = langnghe::simulate::Rng::new(21);
    let now = chrono::Local::now().fixed_offset();
    let mut f = loop {
        let Some(iv) = langnghe::simulate::interview(&form, &mut rng, now) else {
            continue;
        };
        let f = langnghe::simulate::finalized(&form, &iv, "sv07", &mut rng, now);
        if f.answers.iter().any(|(k, _)| k == "asked_school") {
            break f;
        }
    };
    f.device = r.store().device();
    f.training = false;
    let back = langnghe::protocol::returns::Returned {
        back: langnghe::record::SentBack {
            round: 0,
            note: "Hỏi lại câu ở trường".into(),
            by: "gs_lan".into(),
            at: chrono::Utc::now(),
            questions: vec!["asked_school".into()],
        },
        interview: f.clone(),
    };
    let to = langnghe::protocol::seal::parse_recipients(&[r.store().return_recipient().unwrap()])
        .unwrap();
    let sealed =
        langnghe::protocol::seal::seal(&langnghe::protocol::returns::plaintext(&back), &to)
            .unwrap();
    let returns = langnghe::protocol::returns::Returns {
        hub: uuid::Uuid::now_v7(),
        device: f.device,
        items: vec![(f.id, sealed)],
    };
    let taken = r.store().take_returns(&returns).unwrap();
    assert_eq!(taken.reopened, 1);
    assert_eq!(r.store().take_returns(&returns).unwrap().already, 1);
    r.app.refresh_home();
    let s = r.screen();
    assert!(s.contains("↩ trả lại: Hỏi lại câu ở trường"), "{s}");
    // Tab to the drafts, Enter: the interview opens at the question to fix.
    r.key(KeyCode::Tab).enter();
    assert_eq!(r.current(), "asked_school");
    let s = r.screen();
    assert!(
        s.contains("↩ trả lại: Hỏi lại câu ở trường (gs_lan)"),
        "the note stays in sight: {s}"
    );
}

#[test]
fn a_referral_flagged_in_training_mode_never_reaches_the_hub() {
    let mut r = rig();
    r.store().set_training_mode(true).unwrap();
    r.start("all_types").key(F(9)).enter();
    assert!(
        r.app.session.as_ref().unwrap().draft.referral,
        "flagged on the practice draft"
    );
    assert!(
        !r.store().has_unsent_referrals(),
        "no child-protection officer is alerted about a practice interview"
    );
}

#[test]
fn training_mode_is_said_on_every_screen() {
    let mut r = rig();
    assert!(!r.screen().contains("LUYỆN TẬP"));
    r.store().set_training_mode(true).unwrap();
    assert!(r.screen().lines().next().unwrap().contains("LUYỆN TẬP"));
    r.start("all_types");
    let s = r.screen();
    assert!(s.lines().next().unwrap().contains("LUYỆN TẬP"), "{s}");
    r.key(F(2));
    let s = r.screen();
    assert!(s.lines().next().unwrap().contains("TRAINING"), "{s}");
}
