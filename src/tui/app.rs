//! The app's state and how actions change it (The Elm Architecture: `on_key` → state;
//! drawing lives in `view`, with no side effects).

use super::editor::Editor;
use super::input::Input;
use super::keymap::{Action, Mode, lookup};
use super::text::{Lang, Words};
use crate::form::Form;
use crate::interview::{Consent, Cursor, Item};
use crate::session::{Clock, Session, SessionError};
use crate::store::{Draft, Settings, Stamp, Store, StoreError};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Setup(Setup),
    Home,
    Interview,
    Jump,
    Review,
    Report,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub surveyor: Editor,
    pub device: Editor,
    pub lang: Lang,
    /// 0 surveyor, 1 device label, 2 language.
    pub focus: usize,
    pub first_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Stop,
    ConfirmWithdraw,
    ConfirmDiscard(Uuid),
    ConfirmFinalize,
    Referral(bool),
    /// The interview ended by itself (consent refused, not eligible): reason code.
    Ended(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Forms,
    Drafts,
}

/// A line under the body: news or an error (errors are also marked, not only coloured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

pub struct App {
    pub store: Arc<Store>,
    pub forms: Vec<Arc<Form>>,
    pub form_errors: Vec<String>,
    pub clock: Arc<dyn Clock + Send + Sync>,
    pub settings: Settings,
    pub lang: Lang,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    pub quit: bool,
    pub focus: Focus,
    pub form_sel: usize,
    pub draft_sel: usize,
    pub drafts: Vec<Draft>,
    pub counts: [u64; 3],
    pub session: Option<Session>,
    pub input: Input,
    /// The validation message for the current question, shown in place.
    pub message: Option<String>,
    pub list_sel: usize,
    /// What the sync worker last reported (`None`: no worker, as in tests).
    pub sync: Option<crate::sync::worker::SyncStatus>,
    /// Wakes the sync worker after a finalize.
    pub kick: Option<std::sync::mpsc::Sender<()>>,
    /// Forms with an indicator file, for the report screen.
    pub indicators: Vec<(Arc<Form>, Arc<crate::indicators::def::Indicators>)>,
    pub report: Option<crate::indicators::compute::Report>,
    /// Which indicator and breakdown the report screen shows.
    pub report_sel: (usize, usize),
}

impl App {
    pub fn new(
        store: Arc<Store>,
        forms: Vec<Arc<Form>>,
        form_errors: Vec<String>,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> App {
        let saved = store.settings();
        let settings = saved.clone().unwrap_or_default();
        let lang = Lang::from_code(&settings.language);
        let screen = if saved.is_none() {
            Screen::Setup(Setup {
                surveyor: Editor::new(""),
                device: Editor::new(""),
                lang,
                focus: 0,
                first_run: true,
            })
        } else {
            Screen::Home
        };
        let mut app = App {
            store,
            forms,
            form_errors,
            clock,
            settings,
            lang,
            screen,
            overlay: None,
            status: None,
            quit: false,
            focus: Focus::Forms,
            form_sel: 0,
            draft_sel: 0,
            drafts: Vec::new(),
            counts: [0; 3],
            session: None,
            input: Input::None,
            message: None,
            list_sel: 0,
            sync: None,
            kick: None,
            indicators: Vec::new(),
            report: None,
            report_sel: (0, 0),
        };
        app.refresh_home();
        app
    }

    pub fn w(&self) -> &'static Words {
        self.lang.words()
    }

    pub fn mode(&self) -> Mode {
        match self.overlay {
            Some(Overlay::Help | Overlay::Referral(_) | Overlay::Ended(_)) => return Mode::Notice,
            Some(Overlay::Stop) => return Mode::Stop,
            Some(_) => return Mode::Confirm,
            None => {}
        }
        match self.screen {
            Screen::Setup(_) => Mode::Setup,
            Screen::Home => Mode::Home,
            Screen::Interview => Mode::Interview,
            Screen::Jump => Mode::List,
            Screen::Review => Mode::Review,
            Screen::Report => Mode::Report,
        }
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    fn error(&mut self, e: &StoreError) {
        let w = self.w();
        let what = match e.io_kind() {
            Some(std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) => {
                w.disk_full.to_string()
            }
            Some(std::io::ErrorKind::ReadOnlyFilesystem) => w.read_only_disk.to_string(),
            Some(std::io::ErrorKind::PermissionDenied) => w.no_permission.to_string(),
            _ => e.to_string(),
        };
        self.status = Some(Status {
            text: format!("{}: {what}", w.not_saved),
            error: true,
        });
    }

    pub fn refresh_home(&mut self) {
        let (mut drafts, _) = self.store.drafts();
        drafts.sort_by_key(|d| std::cmp::Reverse(d.updated.utc));
        self.drafts = drafts;
        self.counts = self.store.counts();
        self.draft_sel = self.draft_sel.min(self.drafts.len().saturating_sub(1));
    }

    /// Saves what is open, so quitting (Esc, a signal, a closed terminal) loses nothing.
    pub fn shutdown(&mut self) {
        if let Some(s) = &mut self.session {
            let _ = s.save();
        }
        self.quit = true;
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.shutdown();
            return;
        }
        let mode = self.mode();
        // Text fields take printable characters before any key binding does.
        if mode == Mode::Interview
            && let KeyCode::Char(c) = key.code
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            && (self.input.is_text() || c != ' ')
        {
            if self.input.typed(c) {
                self.message = None;
            }
            return;
        }
        if let Screen::Setup(_) = self.screen
            && self.overlay.is_none()
            && let KeyCode::Char(c) = key.code
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            self.setup_typed(c);
            return;
        }
        let Some(action) = lookup(mode, &key) else {
            return;
        };
        self.update(action);
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::Help if self.overlay.is_none() => self.overlay = Some(Overlay::Help),
            Action::Language => self.switch_language(),
            _ => match self.overlay {
                Some(o) => self.on_overlay(o, action),
                None => match self.screen {
                    Screen::Setup(_) => self.on_setup(action),
                    Screen::Home => self.on_home(action),
                    Screen::Interview => self.on_interview(action),
                    Screen::Jump => self.on_jump(action),
                    Screen::Review => self.on_review(action),
                    Screen::Report => self.on_report(action),
                },
            },
        }
    }

    fn switch_language(&mut self) {
        self.lang = self.lang.other();
        if let Screen::Setup(s) = &mut self.screen {
            s.lang = self.lang;
            return;
        }
        self.settings.language = self.lang.code().to_string();
        if let Err(e) = self.store.save_settings(&self.settings) {
            self.error(&e);
        }
        if let Some(s) = &mut self.session {
            s.iv.set_language(self.lang.code());
        }
    }

    // ── setup ────────────────────────────────────────────────────────────────────────────

    fn setup_typed(&mut self, c: char) {
        let Screen::Setup(s) = &mut self.screen else {
            return;
        };
        match s.focus {
            0 => s.surveyor.insert(c),
            1 => s.device.insert(c),
            _ if c == ' ' => s.lang = s.lang.other(),
            _ => {}
        }
    }

    fn on_setup(&mut self, action: Action) {
        let Screen::Setup(s) = &mut self.screen else {
            return;
        };
        let ed = match s.focus {
            0 => Some(&mut s.surveyor),
            1 => Some(&mut s.device),
            _ => None,
        };
        match action {
            Action::SwitchFocus => s.focus = (s.focus + 1) % 3,
            Action::Left | Action::Right if s.focus == 2 => {
                s.lang = s.lang.other();
                self.lang = s.lang;
            }
            Action::Backspace => {
                if let Some(ed) = ed {
                    ed.backspace();
                }
            }
            Action::Escape if !s.first_run => self.screen = Screen::Home,
            Action::Accept => {
                let surveyor = s.surveyor.text().trim().to_string();
                if surveyor.is_empty() {
                    let msg = s.lang.words().need_surveyor;
                    s.focus = 0;
                    self.status = Some(Status {
                        text: msg.into(),
                        error: true,
                    });
                    return;
                }
                self.lang = s.lang;
                self.settings = Settings {
                    surveyor,
                    device_label: s.device.text().trim().to_string(),
                    language: s.lang.code().into(),
                };
                match self.store.save_settings(&self.settings) {
                    Ok(()) => {
                        self.screen = Screen::Home;
                        self.info(self.w().settings_saved);
                    }
                    Err(e) => self.error(&e),
                }
            }
            _ => {}
        }
    }

    pub fn open_settings(&mut self) {
        self.screen = Screen::Setup(Setup {
            surveyor: Editor::new(&self.settings.surveyor),
            device: Editor::new(&self.settings.device_label),
            lang: self.lang,
            focus: 0,
            first_run: false,
        });
    }

    // ── home ─────────────────────────────────────────────────────────────────────────────

    fn on_home(&mut self, action: Action) {
        match action {
            Action::Quit | Action::Escape => self.shutdown(),
            Action::SwitchFocus => {
                self.focus = if self.focus == Focus::Forms && !self.drafts.is_empty() {
                    Focus::Drafts
                } else {
                    Focus::Forms
                }
            }
            Action::Up => match self.focus {
                Focus::Forms => self.form_sel = self.form_sel.saturating_sub(1),
                Focus::Drafts => self.draft_sel = self.draft_sel.saturating_sub(1),
            },
            Action::Down => match self.focus {
                Focus::Forms => {
                    self.form_sel = (self.form_sel + 1).min(self.forms.len().saturating_sub(1))
                }
                Focus::Drafts => {
                    self.draft_sel = (self.draft_sel + 1).min(self.drafts.len().saturating_sub(1))
                }
            },
            Action::Settings => self.open_settings(),
            Action::Report => self.open_report(),
            Action::Discard if self.focus == Focus::Drafts => {
                if let Some(d) = self.drafts.get(self.draft_sel) {
                    self.overlay = Some(Overlay::ConfirmDiscard(d.id));
                }
            }
            Action::Accept => match self.focus {
                Focus::Forms => self.start_interview(),
                Focus::Drafts => self.resume_interview(),
            },
            _ => {}
        }
    }

    fn start_interview(&mut self) {
        let Some(form) = self.forms.get(self.form_sel).cloned() else {
            return;
        };
        match Session::start(
            self.store.clone(),
            form,
            &self.settings.surveyor,
            self.clock.clone(),
        ) {
            Ok(mut s) => {
                s.iv.set_language(self.lang.code());
                self.enter_session(s);
            }
            Err(e) => self.error(&e),
        }
    }

    fn resume_interview(&mut self) {
        let Some(d) = self.drafts.get(self.draft_sel).cloned() else {
            return;
        };
        let Some(form) = self.forms.iter().find(|f| f.id == d.form.id).cloned() else {
            self.status = Some(Status {
                text: format!("{} `{}`", self.w().no_forms, d.form.id),
                error: true,
            });
            return;
        };
        let changed = form.source_hash != d.form.hash;
        let mut s = Session::resume(self.store.clone(), form, d, self.clock.clone());
        s.iv.set_language(self.lang.code());
        self.enter_session(s);
        if changed {
            self.info(self.w().form_changed);
        }
    }

    fn enter_session(&mut self, s: Session) {
        self.input = Input::load(&s.iv);
        let at_end = s.iv.current().is_none();
        self.session = Some(s);
        self.message = None;
        self.status = None;
        self.screen = if at_end {
            Screen::Review
        } else {
            Screen::Interview
        };
        self.list_sel = 0;
    }

    fn leave_session(&mut self, news: &str) {
        self.session = None;
        self.input = Input::None;
        self.message = None;
        self.screen = Screen::Home;
        self.refresh_home();
        self.info(news.to_string());
    }

    // ── interview ────────────────────────────────────────────────────────────────────────

    fn on_interview(&mut self, action: Action) {
        match action {
            Action::Accept => self.accept(),
            Action::Back => {
                let Some(s) = &mut self.session else { return };
                let r = s.back();
                self.input = Input::load(&s.iv);
                self.message = None;
                if let Err(e) = r {
                    self.error(&e);
                }
            }
            Action::Escape => self.pause(),
            Action::Stop => self.overlay = Some(Overlay::Stop),
            Action::JumpList => {
                self.screen = Screen::Jump;
                self.list_sel = self.current_index();
            }
            Action::Review => self.open_review(),
            Action::Referral => {
                if let Some(s) = &mut self.session {
                    let on = !s.draft.referral;
                    match s.set_referral(on) {
                        Ok(()) => self.overlay = Some(Overlay::Referral(on)),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Action::Up => self.input.up(),
            Action::Down => self.input.down(),
            Action::Left => self.input.left(),
            Action::Right => self.input.right(),
            Action::Toggle => self.input.toggle(),
            Action::NewLine => {
                if let Input::Text {
                    ed,
                    multiline: true,
                    ..
                } = &mut self.input
                {
                    ed.insert('\n');
                }
            }
            Action::Backspace | Action::Delete | Action::Home | Action::End => {
                if let Input::Text { ed, .. } = &mut self.input {
                    match action {
                        Action::Backspace => ed.backspace(),
                        Action::Delete => ed.delete(),
                        Action::Home => ed.home(),
                        _ => ed.end(),
                    }
                }
            }
            _ => {}
        }
    }

    fn pause(&mut self) {
        if let Some(s) = &mut self.session
            && let Err(e) = s.save()
        {
            self.error(&e);
            return;
        }
        let news = self.w().paused;
        self.leave_session(news);
    }

    /// Enter: record the answer on screen, then move on.
    fn accept(&mut self) {
        let Some(s) = &mut self.session else { return };
        let step: Result<(), SessionError> = match s.iv.current().cloned() {
            None => {
                self.open_review();
                return;
            }
            Some(Item::AddRepeat { .. }) => {
                if self.input == Input::AddRepeat(true) {
                    s.add_repeat().map(|_| ()).map_err(SessionError::from)
                } else {
                    s.advance()
                }
            }
            Some(Item::Question { node, path }) => {
                self.input.pick_default(s.iv.form().node(node).consent);
                let answered = match self.input.raw() {
                    Some(raw) if raw != s.iv.value(node, &path).to_str() => {
                        s.answer(node, &path, &raw)
                    }
                    _ => Ok(()),
                };
                match answered {
                    Ok(()) if self.check_ended() => return,
                    Ok(()) => s_advance(self),
                    Err(e) => Err(e),
                }
            }
        };
        match step {
            Ok(()) => {
                let Some(s) = &self.session else { return };
                self.message = None;
                self.input = Input::load(&s.iv);
                if s.iv.current().is_none() {
                    self.open_review();
                }
            }
            Err(SessionError::Invalid(m)) => self.message = Some(m),
            Err(SessionError::Store(e)) => self.error(&e),
        }
    }

    /// After an answer: refused consent or a not-eligible child ends the interview.
    fn check_ended(&mut self) -> bool {
        let Some(s) = &self.session else { return false };
        let reason = if s.iv.consent() == Consent::Declined {
            "declined"
        } else if s.iv.not_eligible() {
            "not_eligible"
        } else {
            return false;
        };
        self.overlay = Some(Overlay::Ended(reason));
        true
    }

    fn erase_session(&mut self, reason: &str) -> bool {
        let Some(s) = &self.session else { return false };
        let at = Stamp::from_local(self.clock.now());
        match self.store.erase(s.id(), &s.draft.form.id, reason, at) {
            Ok(()) => true,
            Err(e) => {
                self.error(&e);
                false
            }
        }
    }

    /// Items the jump list may go to: while consent is open, nothing past the consent question.
    pub fn reachable(&self) -> Vec<Item> {
        let Some(s) = &self.session else {
            return Vec::new();
        };
        let mut items = s.iv.items();
        if let Some(c) = s.iv.open_consent()
            && let Some(i) = items.iter().position(|it| it.node() == c)
        {
            items.truncate(i + 1);
        }
        items
    }

    fn current_index(&self) -> usize {
        let Some(s) = &self.session else { return 0 };
        s.iv.current()
            .and_then(|c| self.reachable().iter().position(|i| i == c))
            .unwrap_or(0)
    }

    fn go_to(&mut self, item: Item) {
        let Some(s) = &mut self.session else { return };
        match s.jump(Cursor::At(item)) {
            Ok(_) => {
                self.input = Input::load(&s.iv);
                self.message = None;
                self.screen = Screen::Interview;
            }
            Err(e) => self.error(&e),
        }
    }

    fn on_jump(&mut self, action: Action) {
        let n = self.reachable().len();
        match action {
            Action::Up => self.list_sel = self.list_sel.saturating_sub(1),
            Action::Down => self.list_sel = (self.list_sel + 1).min(n.saturating_sub(1)),
            Action::Accept => {
                if let Some(item) = self.reachable().get(self.list_sel).cloned() {
                    self.go_to(item);
                }
            }
            Action::Escape => self.screen = Screen::Interview,
            _ => {}
        }
    }

    // ── review ───────────────────────────────────────────────────────────────────────────

    fn open_review(&mut self) {
        if self
            .session
            .as_ref()
            .is_some_and(|s| s.iv.open_consent().is_some())
        {
            self.message = Some(self.w().consent_first.into());
            return;
        }
        self.screen = Screen::Review;
        self.list_sel = 0;
    }

    /// Rows of the review: every visible question, problems first.
    pub fn review_rows(&self) -> Vec<(Item, Option<String>)> {
        let Some(s) = &self.session else {
            return Vec::new();
        };
        let review = s.iv.review();
        let mut rows: Vec<(Item, Option<String>)> = review
            .problems
            .iter()
            .map(|(i, p)| {
                let msg = match p {
                    crate::interview::Problem::Missing => self.w().missing.to_string(),
                    crate::interview::Problem::Invalid(m) => m.clone(),
                };
                (i.clone(), Some(msg))
            })
            .collect();
        for item in s.iv.items() {
            if matches!(item, Item::Question { .. }) && !rows.iter().any(|(i, _)| *i == item) {
                rows.push((item, None));
            }
        }
        rows
    }

    fn on_review(&mut self, action: Action) {
        let n = self.review_rows().len();
        match action {
            Action::Up => self.list_sel = self.list_sel.saturating_sub(1),
            Action::Down => self.list_sel = (self.list_sel + 1).min(n.saturating_sub(1)),
            Action::Accept => {
                if let Some((item, _)) = self.review_rows().get(self.list_sel).cloned() {
                    self.go_to(item);
                }
            }
            Action::Finalize
                if self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.iv.review().can_finalize()) =>
            {
                self.overlay = Some(Overlay::ConfirmFinalize);
            }
            Action::Escape => {
                if let Some(s) = &mut self.session
                    && s.iv.current().is_none()
                {
                    let _ = s.back();
                    self.input = Input::load(&s.iv);
                }
                self.screen = Screen::Interview;
            }
            _ => {}
        }
    }

    // ── report ───────────────────────────────────────────────────────────────────────────

    /// Computes the indicators over this device's own (unsealed) interviews.
    pub fn open_report(&mut self) {
        let Some((form, defs)) = self.indicators.first().cloned() else {
            self.status = Some(Status {
                text: format!("{} (*.indicators.toml)", self.w().no_forms),
                error: true,
            });
            return;
        };
        let mut acc = crate::indicators::compute::Accumulator::new(&defs, &form, self.clock.now());
        if let Err(e) = self.store.each_finalized(|f| acc.add(&f)) {
            self.error(&e);
            return;
        }
        for t in self.store.tombstones() {
            acc.ended(&t.form_id, &t.reason);
        }
        self.report = Some(acc.finish());
        self.report_sel = (0, 0);
        self.screen = Screen::Report;
    }

    fn on_report(&mut self, action: Action) {
        let Some(rep) = &self.report else { return };
        let n_ind = rep.results.len();
        let n_bd = rep.results.first().map_or(0, |r| r.by.len());
        let (i, b) = &mut self.report_sel;
        match action {
            Action::Up => *i = i.saturating_sub(1),
            Action::Down => *i = (*i + 1).min(n_ind.saturating_sub(1)),
            Action::Left => *b = b.saturating_sub(1),
            Action::Right => *b = (*b + 1).min(n_bd.saturating_sub(1)),
            Action::Escape => {
                self.screen = Screen::Home;
                self.report = None;
            }
            _ => {}
        }
    }

    // ── overlays ─────────────────────────────────────────────────────────────────────────

    fn on_overlay(&mut self, o: Overlay, action: Action) {
        match (o, action) {
            (Overlay::Help | Overlay::Referral(_), Action::Accept) => self.overlay = None,
            (Overlay::Ended(reason), Action::Accept) => {
                self.overlay = None;
                if self.erase_session(reason) {
                    let news = self.w().ended_recorded;
                    self.leave_session(news);
                }
            }
            (Overlay::Stop, Action::Pause) => {
                self.overlay = None;
                self.pause();
            }
            (Overlay::Stop, Action::Withdraw) => self.overlay = Some(Overlay::ConfirmWithdraw),
            (Overlay::Stop, Action::Escape) => self.overlay = None,
            (Overlay::ConfirmWithdraw, Action::Yes) => {
                self.overlay = None;
                if self.erase_session("withdrawn") {
                    let news = self.w().withdrawn_ok;
                    self.leave_session(news);
                }
            }
            (Overlay::ConfirmDiscard(id), Action::Yes) => {
                self.overlay = None;
                let form = self
                    .drafts
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| d.form.id.clone())
                    .unwrap_or_default();
                match self
                    .store
                    .erase(id, &form, "discarded", Stamp::from_local(self.clock.now()))
                {
                    Ok(()) => {
                        self.refresh_home();
                        self.info(self.w().discarded);
                    }
                    Err(e) => self.error(&e),
                }
            }
            (Overlay::ConfirmFinalize, Action::Yes) => {
                self.overlay = None;
                let Some(s) = &mut self.session else { return };
                match s.finalize() {
                    Ok(_) => {
                        let news = self.w().finalized_ok;
                        self.leave_session(news);
                        if let Some(k) = &self.kick {
                            let _ = k.send(());
                        }
                    }
                    Err(SessionError::Invalid(m)) => {
                        self.status = Some(Status {
                            text: m,
                            error: true,
                        })
                    }
                    Err(SessionError::Store(e)) => self.error(&e),
                }
            }
            (_, Action::No) => self.overlay = None,
            _ => {}
        }
    }
}

fn s_advance(app: &mut App) -> Result<(), SessionError> {
    match &mut app.session {
        Some(s) => s.advance(),
        None => Ok(()),
    }
}
