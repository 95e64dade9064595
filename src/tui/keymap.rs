//! One key table per mode. The same entries dispatch keys, draw the footer hints and fill
//! the help screen, so the three can never disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Help,
    Language,
    Quit,
    Up,
    Down,
    Left,
    Right,
    Toggle,
    Accept,
    Escape,
    Back,
    JumpList,
    Review,
    Stop,
    Referral,
    Finalize,
    Settings,
    SwitchFocus,
    Discard,
    Report,
    Yes,
    No,
    Pause,
    Withdraw,
    NewLine,
    Backspace,
    Delete,
    Home,
    End,
    /// Documented in help, handled by the input itself (typing, digits, +/−).
    Typing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Home,
    Interview,
    List,
    Review,
    Setup,
    Confirm,
    Stop,
    Notice,
    Report,
}

#[derive(Clone, Copy)]
pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the key is written in hints and help (English UI).
    pub label: &'static str,
    /// How it is written in the Vietnamese UI, where its mnemonic differs.
    pub label_vi: &'static str,
    pub action: Action,
    pub vi: &'static str,
    pub en: &'static str,
    /// Shown in the footer (the rest only in help).
    pub footer: bool,
}

impl Binding {
    /// A second key for an action already described by the line above (↓ after ↑/↓):
    /// dispatched, not listed again in help.
    pub fn in_help(&self) -> bool {
        !self.vi.is_empty()
    }
}

const N: KeyModifiers = KeyModifiers::NONE;
const S: KeyModifiers = KeyModifiers::SHIFT;
const A: KeyModifiers = KeyModifiers::ALT;

macro_rules! b {
    ($label:expr, [$($k:expr),*], $action:expr, $vi:expr, $en:expr, $footer:expr) => {
        Binding { keys: &[$($k),*], label: $label, label_vi: $label, action: $action, vi: $vi, en: $en, footer: $footer }
    };
    ($label:expr, $label_vi:expr, [$($k:expr),*], $action:expr, $vi:expr, $en:expr, $footer:expr) => {
        Binding { keys: &[$($k),*], label: $label, label_vi: $label_vi, action: $action, vi: $vi, en: $en, footer: $footer }
    };
}

impl Binding {
    /// The key as written in `lang`'s UI.
    pub fn label_in(&self, lang: crate::lang::Lang) -> &'static str {
        lang.pick(self.label_vi, self.label)
    }
}

const GLOBAL_F: [Binding; 2] = [
    b!(
        "F1",
        [(KeyCode::F(1), N)],
        Action::Help,
        "Trợ giúp",
        "Help",
        true
    ),
    b!(
        "F2",
        [(KeyCode::F(2), N)],
        Action::Language,
        "English",
        "Tiếng Việt",
        true
    ),
];

static HOME: [Binding; 11] = [
    GLOBAL_F[0],
    GLOBAL_F[1],
    b!(
        "↑/↓",
        [(KeyCode::Up, N)],
        Action::Up,
        "Chọn",
        "Choose",
        false
    ),
    b!("↓", [(KeyCode::Down, N)], Action::Down, "", "", false),
    b!(
        "Tab",
        [(KeyCode::Tab, N), (KeyCode::BackTab, S)],
        Action::SwitchFocus,
        "Danh sách khác",
        "Other list",
        true
    ),
    b!(
        "Enter",
        [(KeyCode::Enter, N)],
        Action::Accept,
        "Mở",
        "Open",
        true
    ),
    b!(
        "Del/d",
        [(KeyCode::Delete, N), (KeyCode::Char('d'), N)],
        Action::Discard,
        "Bỏ bài dở",
        "Discard draft",
        false
    ),
    b!(
        "F5/s",
        [(KeyCode::F(5), N), (KeyCode::Char('s'), N)],
        Action::Settings,
        "Cài đặt",
        "Settings",
        false
    ),
    b!(
        "F6/r",
        [(KeyCode::F(6), N), (KeyCode::Char('r'), N)],
        Action::Report,
        "Chỉ số",
        "Indicators",
        true
    ),
    b!(
        "q/F10",
        [(KeyCode::Char('q'), N), (KeyCode::F(10), N)],
        Action::Quit,
        "Thoát",
        "Quit",
        true
    ),
    b!(
        "Esc",
        [(KeyCode::Esc, N)],
        Action::Quit,
        "Thoát",
        "Quit",
        false
    ),
];

static INTERVIEW: [Binding; 20] = [
    GLOBAL_F[0],
    GLOBAL_F[1],
    b!(
        "Enter",
        [(KeyCode::Enter, N)],
        Action::Accept,
        "Lưu, tiếp",
        "Save, next",
        true
    ),
    b!(
        "PgUp",
        [(KeyCode::PageUp, N), (KeyCode::BackTab, S)],
        Action::Back,
        "Câu trước",
        "Back",
        true
    ),
    b!(
        "F3",
        [(KeyCode::F(3), N)],
        Action::JumpList,
        "Danh sách",
        "All questions",
        true
    ),
    b!(
        "F4",
        [(KeyCode::F(4), N)],
        Action::Review,
        "Xem lại",
        "Review",
        false
    ),
    b!(
        "F9",
        [(KeyCode::F(9), N)],
        Action::Referral,
        "Cần hỗ trợ",
        "Referral",
        false
    ),
    b!(
        "F10",
        [(KeyCode::F(10), N)],
        Action::Stop,
        "Dừng",
        "Stop",
        true
    ),
    b!(
        "Esc",
        [(KeyCode::Esc, N)],
        Action::Escape,
        "Tạm dừng, về trang chủ",
        "Pause, go home",
        false
    ),
    b!(
        "↑/↓",
        [(KeyCode::Up, N)],
        Action::Up,
        "Chọn lựa chọn",
        "Move among choices",
        false
    ),
    b!("↓", [(KeyCode::Down, N)], Action::Down, "", "", false),
    b!(
        "Space",
        [(KeyCode::Char(' '), N)],
        Action::Toggle,
        "Chọn/bỏ, xác nhận",
        "Pick/unpick, acknowledge",
        false
    ),
    b!(
        "←/→",
        [(KeyCode::Left, N)],
        Action::Left,
        "Mức (thang), con trỏ (chữ)",
        "Level (scale), cursor (text)",
        false
    ),
    b!("→", [(KeyCode::Right, N)], Action::Right, "", "", false),
    b!(
        "Alt+Enter",
        [(KeyCode::Enter, A)],
        Action::NewLine,
        "Xuống dòng (ô nhiều dòng)",
        "New line (multi-line text)",
        false
    ),
    b!(
        "Backspace",
        [(KeyCode::Backspace, N)],
        Action::Backspace,
        "Xoá chữ trước; bỏ câu trả lời đã chọn (lựa chọn, thang, xếp hạng)",
        "Delete before; clear a picked answer (choice, scale, rank)",
        false
    ),
    b!(
        "Del",
        [(KeyCode::Delete, N)],
        Action::Delete,
        "Xoá chữ sau; bỏ câu trả lời đã chọn",
        "Delete after; clear a picked answer",
        false
    ),
    b!(
        "Home/End",
        [(KeyCode::Home, N)],
        Action::Home,
        "Đầu/cuối dòng",
        "Start/end of line",
        false
    ),
    b!("End", [(KeyCode::End, N)], Action::End, "", "", false),
    b!(
        "0–9, +/−",
        [],
        Action::Typing,
        "Gõ số để chọn; +/− xếp hạng; y/n thêm mục",
        "Type a number to pick; +/− rank; y/n add another",
        false
    ),
];

static LIST: [Binding; 5] = [
    GLOBAL_F[0],
    GLOBAL_F[1],
    b!(
        "↑/↓",
        [(KeyCode::Up, N)],
        Action::Up,
        "Chọn",
        "Choose",
        true
    ),
    b!("↓", [(KeyCode::Down, N)], Action::Down, "", "", false),
    b!(
        "Enter",
        [(KeyCode::Enter, N)],
        Action::Accept,
        "Đến câu này",
        "Go there",
        true
    ),
];

static LIST_BACK: [Binding; 1] = [b!(
    "Esc",
    [(KeyCode::Esc, N), (KeyCode::F(3), N)],
    Action::Escape,
    "Quay lại",
    "Back",
    true
)];

static REVIEW: [Binding; 7] = [
    GLOBAL_F[0],
    GLOBAL_F[1],
    b!(
        "↑/↓",
        [(KeyCode::Up, N)],
        Action::Up,
        "Chọn",
        "Choose",
        false
    ),
    b!("↓", [(KeyCode::Down, N)], Action::Down, "", "", false),
    b!(
        "Enter",
        [(KeyCode::Enter, N)],
        Action::Accept,
        "Sửa câu này",
        "Fix this one",
        true
    ),
    b!(
        "F8",
        [(KeyCode::F(8), N)],
        Action::Finalize,
        "Hoàn thành",
        "Finalize",
        true
    ),
    b!(
        "Esc",
        [(KeyCode::Esc, N), (KeyCode::F(4), N)],
        Action::Escape,
        "Quay lại",
        "Back",
        true
    ),
];

static SETUP: [Binding; 6] = [
    GLOBAL_F[0],
    GLOBAL_F[1],
    b!(
        "Tab",
        [(KeyCode::Tab, N), (KeyCode::Down, N)],
        Action::SwitchFocus,
        "Ô tiếp",
        "Next field",
        true
    ),
    b!(
        "←/→",
        [(KeyCode::Left, N), (KeyCode::Right, N)],
        Action::Left,
        "Đổi ngôn ngữ",
        "Change language",
        false
    ),
    b!(
        "Enter",
        [(KeyCode::Enter, N)],
        Action::Accept,
        "Lưu",
        "Save",
        true
    ),
    b!(
        "Esc",
        [(KeyCode::Esc, N)],
        Action::Escape,
        "Huỷ",
        "Cancel",
        true
    ),
];

/// Yes/no dialogs take Y/N and the Vietnamese C (Có) / K (Không) in either UI.
static CONFIRM: [Binding; 3] = [
    b!(
        "Y",
        "C",
        [
            (KeyCode::Char('y'), N),
            (KeyCode::Char('Y'), S),
            (KeyCode::Char('c'), N),
            (KeyCode::Char('C'), S)
        ],
        Action::Yes,
        "Có",
        "Yes",
        true
    ),
    b!(
        "N",
        "K",
        [
            (KeyCode::Char('n'), N),
            (KeyCode::Char('N'), S),
            (KeyCode::Char('k'), N),
            (KeyCode::Char('K'), S),
            (KeyCode::Esc, N)
        ],
        Action::No,
        "Không",
        "No",
        true
    ),
    GLOBAL_F[0],
];

/// The stop dialog's letters are mnemonics in each language (T = Tạm dừng, R = Rút), and
/// both sets work in either UI.
static STOP: [Binding; 4] = [
    b!(
        "P",
        "T",
        [
            (KeyCode::Char('p'), N),
            (KeyCode::Char('P'), S),
            (KeyCode::Char('t'), N),
            (KeyCode::Char('T'), S)
        ],
        Action::Pause,
        "Tạm dừng",
        "Pause",
        true
    ),
    b!(
        "W",
        "R",
        [
            (KeyCode::Char('w'), N),
            (KeyCode::Char('W'), S),
            (KeyCode::Char('r'), N),
            (KeyCode::Char('R'), S)
        ],
        Action::Withdraw,
        "Rút khỏi khảo sát",
        "Withdraw",
        true
    ),
    GLOBAL_F[0],
    b!(
        "Esc",
        [(KeyCode::Esc, N), (KeyCode::F(10), N)],
        Action::Escape,
        "Quay lại",
        "Back",
        true
    ),
];

static REPORT: [Binding; 7] = [
    GLOBAL_F[0],
    GLOBAL_F[1],
    b!(
        "↑/↓",
        [(KeyCode::Up, N)],
        Action::Up,
        "Chỉ số khác",
        "Other indicator",
        true
    ),
    b!("↓", [(KeyCode::Down, N)], Action::Down, "", "", false),
    b!(
        "←/→",
        [(KeyCode::Left, N)],
        Action::Left,
        "Phân tổ khác",
        "Other breakdown",
        true
    ),
    b!("→", [(KeyCode::Right, N)], Action::Right, "", "", false),
    b!(
        "Esc",
        [(KeyCode::Esc, N), (KeyCode::F(6), N)],
        Action::Escape,
        "Quay lại",
        "Back",
        true
    ),
];

static NOTICE: [Binding; 1] = [b!(
    "Enter",
    [(KeyCode::Enter, N), (KeyCode::Esc, N), (KeyCode::F(1), N)],
    Action::Accept,
    "Đóng",
    "Close",
    true
)];

pub fn table(mode: Mode) -> Vec<&'static Binding> {
    let parts: &[&'static [Binding]] = match mode {
        Mode::Home => &[&HOME],
        Mode::Interview => &[&INTERVIEW],
        Mode::List => &[&LIST, &LIST_BACK],
        Mode::Review => &[&REVIEW],
        Mode::Setup => &[&SETUP],
        Mode::Confirm => &[&CONFIRM],
        Mode::Stop => &[&STOP],
        Mode::Notice => &[&NOTICE],
        Mode::Report => &[&REPORT],
    };
    parts.iter().flat_map(|p| p.iter()).collect()
}

/// The action a key means in `mode`, if any.
pub(crate) fn lookup(mode: Mode, key: &KeyEvent) -> Option<Action> {
    // Terminals disagree on whether Shift comes with an upper-case letter or BackTab.
    let mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    let upper = matches!(key.code, KeyCode::Char(c) if c.is_uppercase());
    table(mode).into_iter().find_map(|b| {
        b.keys
            .iter()
            .any(|(code, m)| {
                *code == key.code
                    && (*m == mods
                        || (*m == N && mods == S && !matches!(code, KeyCode::Enter))
                        || (*m == S && mods == N && upper))
            })
            .then_some(b.action)
    })
}
