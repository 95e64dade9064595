//! The supervisor's review screen (`langnghe hub review --data DIR`): the hub's interviews
//! listed with their state, place, surveyor and quality flags; one opened as questions and
//! answers in the form's language; approve, mark has-issues, or send back with a note.
//! Keyboard only, vi/en (F2), every key in one table shown in the footer and on F1. It knows
//! no hub: the CLI hands it a [`ReviewSource`].

use super::view::{style, truncate};
use crate::lang::Lang;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use uuid::Uuid;

/// One interview as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub id: Uuid,
    pub state: String,
    pub place: String,
    pub surveyor: String,
    pub device: String,
    pub finished: String,
    pub minutes: f64,
    /// (code, why).
    pub flags: Vec<(String, String)>,
    /// "2026-11-30 09:12 rejected by lan: …".
    pub history: Vec<String>,
}

/// A supervisor's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    HasIssues,
    Reject,
}

/// One answer of an opened interview: its key (`age`, `hh[2]/name`), the question in the
/// form's language and the answer, readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub key: String,
    pub question: String,
    pub answer: String,
}

/// Where the screen gets its data and sends decisions.
pub trait ReviewSource {
    fn rows(&mut self) -> Vec<ReviewRow>;
    /// The interview's answers, readable, in the form's order.
    fn answers(&mut self, id: Uuid) -> Result<Vec<Answer>, String>;
    /// `at`: when sending back from an opened interview, the question selected there (the
    /// device reopens the draft at it).
    fn decide(&mut self, id: Uuid, d: Decision, note: &str, at: Option<&str>)
    -> Result<(), String>;
}

/// Keys of the review screen: (key, what it does in Vietnamese, in English).
pub const KEYS: &[(&str, &str, &str)] = &[
    ("↑/↓", "chọn", "select"),
    ("Enter", "mở", "open"),
    ("a", "duyệt", "approve"),
    ("i", "có vấn đề", "has issues"),
    (
        "r",
        "trả lại (mở: tại câu đang chọn)",
        "send back (open: at the selected question)",
    ),
    ("s", "sắp xếp", "sort"),
    ("f", "chỉ bài bị cảnh báo", "flagged only"),
    ("F1", "trợ giúp", "help"),
    ("F2", "English", "Tiếng Việt"),
    ("Esc/q", "quay lại/thoát", "back/quit"),
];

const SORTS: [&str; 5] = ["place", "surveyor", "device", "state", "flags"];

/// What the screen shows.
#[derive(Debug, PartialEq)]
enum Mode {
    List,
    /// An interview open: its answers, this one selected.
    Open(Vec<Answer>, usize),
    /// Writing the note of a decision.
    Note(Decision, String),
    Help,
}

pub struct ReviewScreen {
    pub lang: Lang,
    rows: Vec<ReviewRow>,
    sel: usize,
    sort: usize,
    flagged_only: bool,
    mode: Mode,
    /// The mode to return to from a note or help.
    back_to_open: Option<(Vec<Answer>, usize)>,
    pub status: String,
}

impl ReviewScreen {
    pub fn new(src: &mut dyn ReviewSource, lang: Lang) -> ReviewScreen {
        let mut s = ReviewScreen {
            lang,
            rows: Vec::new(),
            sel: 0,
            sort: 0,
            flagged_only: false,
            mode: Mode::List,
            back_to_open: None,
            status: String::new(),
        };
        s.reload(src);
        s
    }

    fn vi(&self) -> bool {
        self.lang == Lang::Vi
    }

    fn reload(&mut self, src: &mut dyn ReviewSource) {
        let mut rows: Vec<ReviewRow> = src
            .rows()
            .into_iter()
            .filter(|r| !self.flagged_only || !r.flags.is_empty())
            .collect();
        match SORTS[self.sort] {
            "place" => rows.sort_by(|a, b| a.place.cmp(&b.place)),
            "surveyor" => rows.sort_by(|a, b| a.surveyor.cmp(&b.surveyor)),
            "device" => rows.sort_by(|a, b| a.device.cmp(&b.device)),
            "state" => rows.sort_by(|a, b| a.state.cmp(&b.state)),
            _ => rows.sort_by_key(|r| std::cmp::Reverse(r.flags.len())),
        }
        self.rows = rows;
        self.sel = self.sel.min(self.rows.len().saturating_sub(1));
    }

    fn current(&self) -> Option<&ReviewRow> {
        self.rows.get(self.sel)
    }

    /// Handles a key; returns false when the screen should close.
    pub fn key(&mut self, k: KeyEvent, src: &mut dyn ReviewSource) -> bool {
        if k.code == KeyCode::F(2) {
            self.lang = self.lang.other();
            return true;
        }
        match std::mem::replace(&mut self.mode, Mode::List) {
            Mode::Help => self.resume(),
            Mode::Note(d, note) => self.on_note(k, d, note, src),
            Mode::Open(answers, at) => return self.on_open(k, answers, at, src),
            Mode::List => return self.on_list(k, src),
        }
        true
    }

    fn on_list(&mut self, k: KeyEvent, src: &mut dyn ReviewSource) -> bool {
        match k.code {
            KeyCode::Up => self.sel = self.sel.saturating_sub(1),
            KeyCode::Down => self.sel = (self.sel + 1).min(self.rows.len().saturating_sub(1)),
            KeyCode::Enter => self.open(src),
            KeyCode::Char('s') => {
                self.sort = (self.sort + 1) % SORTS.len();
                self.reload(src);
            }
            KeyCode::Char('f') => {
                self.flagged_only = !self.flagged_only;
                self.reload(src);
            }
            KeyCode::Char(c @ ('a' | 'i' | 'r')) => self.start_note(c, None),
            KeyCode::F(1) => self.mode = Mode::Help,
            KeyCode::Esc | KeyCode::Char('q') => return false,
            _ => {}
        }
        true
    }

    fn on_open(
        &mut self,
        k: KeyEvent,
        answers: Vec<Answer>,
        at: usize,
        src: &mut dyn ReviewSource,
    ) -> bool {
        let last = answers.len().saturating_sub(1);
        match k.code {
            KeyCode::Up => self.mode = Mode::Open(answers, at.saturating_sub(1)),
            KeyCode::Down => self.mode = Mode::Open(answers, (at + 1).min(last)),
            KeyCode::PageDown => self.mode = Mode::Open(answers, (at + 5).min(last)),
            KeyCode::PageUp => self.mode = Mode::Open(answers, at.saturating_sub(5)),
            KeyCode::Char(c @ ('a' | 'i' | 'r')) => self.start_note(c, Some((answers, at))),
            KeyCode::F(1) => {
                self.back_to_open = Some((answers, at));
                self.mode = Mode::Help;
            }
            KeyCode::Esc | KeyCode::Char('q') => self.reload(src),
            _ => self.mode = Mode::Open(answers, at),
        }
        true
    }

    fn on_note(&mut self, k: KeyEvent, d: Decision, mut note: String, src: &mut dyn ReviewSource) {
        match k.code {
            KeyCode::Enter => {
                let Some(id) = self.current().map(|r| r.id) else {
                    return;
                };
                // Sent back from an opened interview: at the question selected there.
                let at = match (&self.back_to_open, d) {
                    (Some((answers, at)), Decision::Reject) => {
                        answers.get(*at).map(|a| a.key.clone())
                    }
                    _ => None,
                };
                match src.decide(id, d, &note, at.as_deref()) {
                    Ok(()) => {
                        self.status = format!("{id} → {}", self.decision_word(d));
                        self.back_to_open = None;
                        self.reload(src);
                    }
                    Err(e) => {
                        self.status = e;
                        self.mode = Mode::Note(d, note);
                    }
                }
            }
            KeyCode::Esc => self.resume(),
            KeyCode::Backspace => {
                note.pop();
                self.mode = Mode::Note(d, note);
            }
            KeyCode::Char(c) => {
                note.push(c);
                self.mode = Mode::Note(d, note);
            }
            _ => self.mode = Mode::Note(d, note),
        }
    }

    fn resume(&mut self) {
        if let Some((a, s)) = self.back_to_open.take() {
            self.mode = Mode::Open(a, s);
        }
    }

    fn start_note(&mut self, c: char, open: Option<(Vec<Answer>, usize)>) {
        if self.current().is_none() {
            return;
        }
        let d = match c {
            'a' => Decision::Approve,
            'i' => Decision::HasIssues,
            _ => Decision::Reject,
        };
        self.back_to_open = open;
        self.mode = Mode::Note(d, String::new());
    }

    fn open(&mut self, src: &mut dyn ReviewSource) {
        let Some(id) = self.current().map(|r| r.id) else {
            return;
        };
        match src.answers(id) {
            Ok(a) => self.mode = Mode::Open(a, 0),
            Err(e) => self.status = e,
        }
    }

    fn decision_word(&self, d: Decision) -> &'static str {
        match (d, self.vi()) {
            (Decision::Approve, true) => "đã duyệt",
            (Decision::Approve, false) => "approved",
            (Decision::HasIssues, true) => "có vấn đề",
            (Decision::HasIssues, false) => "has issues",
            (Decision::Reject, true) => "trả lại",
            (Decision::Reject, false) => "sent back",
        }
    }
}

/// Draws the screen.
pub fn draw(s: &ReviewScreen, f: &mut Frame) {
    let [head, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    let vi = s.vi();
    let title = if vi { "Kiểm duyệt" } else { "Review" };
    let sort = SORTS[s.sort];
    let count = s.rows.len();
    let head_text = if vi {
        format!(
            "{title} — {count} bài · sắp xếp: {sort}{}",
            if s.flagged_only {
                " · chỉ bài bị cảnh báo"
            } else {
                ""
            }
        )
    } else {
        format!(
            "{title} — {count} interviews · sorted by {sort}{}",
            if s.flagged_only {
                " · flagged only"
            } else {
                ""
            }
        )
    };
    f.render_widget(
        Paragraph::new(Line::styled(head_text, style::title())),
        head,
    );
    match &s.mode {
        Mode::Open(answers, at) => draw_open(s, answers, *at, f, body),
        _ => draw_list(s, f, body),
    }
    draw_overlays(s, f, body);
    f.render_widget(
        Paragraph::new(Line::styled(s.status.clone(), style::dim())),
        status,
    );
    let keys: Vec<Span> = KEYS
        .iter()
        // The arrows and the list's own keys are on F1; the rest fit 80 columns.
        .filter(|(k, _, _)| !matches!(*k, "s" | "f" | "↑/↓"))
        .flat_map(|(k, v, e)| {
            [
                Span::styled(*k, style::key()),
                Span::raw(format!(" {}  ", if vi { *v } else { *e })),
            ]
        })
        .collect();
    f.render_widget(Paragraph::new(Line::from(keys)), footer);
}

/// The note being written, or the help, over the body.
fn draw_overlays(s: &ReviewScreen, f: &mut Frame, body: ratatui::layout::Rect) {
    let vi = s.vi();
    if let Mode::Note(d, note) = &s.mode {
        let [_, bottom] = Layout::vertical([Constraint::Min(0), Constraint::Length(3)]).areas(body);
        let prompt = if vi {
            "Ghi chú cho điều tra viên"
        } else {
            "Note for the surveyor"
        };
        f.render_widget(Clear, bottom);
        f.render_widget(
            Paragraph::new(format!("{note}▏")).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} — {prompt} (Enter/Esc) ", s.decision_word(*d))),
            ),
            bottom,
        );
    }
    if s.mode == Mode::Help {
        let lines: Vec<Line> = KEYS
            .iter()
            .map(|(k, v, e)| {
                Line::from(vec![
                    Span::styled(format!("{k:<7}"), style::key()),
                    Span::raw(if vi { *v } else { *e }),
                ])
            })
            .collect();
        f.render_widget(Clear, body);
        f.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" F1 ")),
            body,
        );
    }
}

fn draw_list(s: &ReviewScreen, f: &mut Frame, area: ratatui::layout::Rect) {
    let vi = s.vi();
    let mut lines = vec![Line::styled(
        if vi {
            format!(
                "  {:<10} {:<20} {:<12} {:<16} {:>5}  cảnh báo",
                "trạng thái", "xã", "điều tra viên", "lúc", "phút"
            )
        } else {
            format!(
                "  {:<10} {:<20} {:<12} {:<16} {:>5}  flags",
                "state", "place", "surveyor", "finished", "min"
            )
        },
        style::dim(),
    )];
    let height = area.height.saturating_sub(1) as usize;
    let first = s.sel.saturating_sub(height.saturating_sub(1));
    for (i, r) in s.rows.iter().enumerate().skip(first).take(height) {
        let flags: Vec<&str> = r.flags.iter().map(|(c, _)| c.as_str()).collect();
        let mark = if flags.is_empty() { " " } else { "!" };
        let text = format!(
            "{mark} {:<10} {:<20} {:<12} {:<16} {:>5.1}  {}",
            r.state,
            truncate(&r.place, 20),
            truncate(&r.surveyor, 12),
            r.finished,
            r.minutes,
            flags.join(",")
        );
        let st = if i == s.sel {
            style::selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::styled(text, st));
    }
    if s.rows.is_empty() {
        lines.push(Line::raw(if vi {
            "Chưa có bài nào."
        } else {
            "Nothing to review."
        }));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_open(
    s: &ReviewScreen,
    answers: &[Answer],
    at: usize,
    f: &mut Frame,
    area: ratatui::layout::Rect,
) {
    let Some(r) = s.current() else {
        return;
    };
    let mut lines = vec![Line::styled(
        format!(
            "{} · {} · {} · {}",
            r.place, r.surveyor, r.finished, r.state
        ),
        style::title(),
    )];
    for (code, why) in &r.flags {
        lines.push(Line::styled(format!("! {code}: {why}"), style::error()));
    }
    for h in &r.history {
        lines.push(Line::styled(h.clone(), style::dim()));
    }
    let head = lines.len();
    for (i, a) in answers.iter().enumerate() {
        let (mark, st) = if i == at {
            ("› ", style::selected())
        } else {
            ("  ", style::dim())
        };
        lines.push(Line::styled(format!("{mark}{}", a.question), st));
        lines.push(Line::raw(format!("    {}", a.answer)));
    }
    // The selected question stays in view (a third of the way down): two lines per answer,
    // long labels wrapping aside.
    let scroll = (head + 2 * at).saturating_sub(usize::from(area.height) / 3);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(Block::default().borders(Borders::TOP)),
        area,
    );
}

/// Runs the screen in the terminal until the supervisor leaves. Blocks on keys (no polling).
pub fn run(src: &mut dyn ReviewSource, lang: Lang) -> std::io::Result<()> {
    use ratatui::crossterm::event::{self, Event, KeyEventKind};
    let mut screen = ReviewScreen::new(src, lang);
    let mut terminal = ratatui::try_init()?;
    let result = (|| -> std::io::Result<()> {
        loop {
            terminal.draw(|f| draw(&screen, f))?;
            if let Event::Key(k) = event::read()?
                && k.kind != KeyEventKind::Release
                && !screen.key(k, src)
            {
                return Ok(());
            }
        }
    })();
    ratatui::restore();
    result
}
