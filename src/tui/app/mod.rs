//! The app's state and how actions change it (The Elm Architecture: `on_key` → state;
//! drawing lives in `view`, with no side effects).

mod effects;
mod home;
mod interview;
mod overlay;
mod report;
mod review;
mod setup;

use crate::expr::NodeId;
use crate::form::Form;
use crate::interview::{Consent, Cursor, Item};
use crate::session::{Clock, Session, SessionError};
use crate::store::{Draft, Settings, Stamp, Store, StoreError};
use crate::tui::editor::Editor;
use crate::tui::input::Input;
use crate::tui::keymap::{Action, Mode, lookup};
use crate::tui::text::{Lang, Words};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use uuid::Uuid;

/// Where the surveyor is. Screens that come and go carry their own state; home keeps its
/// state on [`App::home`] because the surveyor returns to it and expects the same selection.
#[derive(Debug, Clone)]
pub enum Screen {
    Setup(Setup),
    Home,
    Interview,
    Jump(Pick),
    Review(ReviewList),
    Report(Box<ReportView>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub surveyor: Editor,
    pub device: Editor,
    pub lang: Lang,
    /// The data folder's passphrase (first run, unprotected folder only; shown as dots).
    pub passphrase: Editor,
    pub ask_passphrase: bool,
    /// 0 surveyor, 1 device label, 2 language, 3 passphrase (first run).
    pub focus: usize,
    pub first_run: bool,
}

/// The home screen: forms to start, drafts to resume, what the store holds.
#[derive(Debug, Clone)]
pub struct Home {
    pub focus: Focus,
    pub form_sel: usize,
    pub draft_sel: usize,
    /// Newest first; loaded by [`Effect::LoadHome`].
    pub drafts: Vec<Draft>,
    /// The supervisor's notes on drafts that were sent back (listed first).
    pub sent_back: std::collections::HashMap<uuid::Uuid, crate::record::SentBack>,
    /// Finalized, waiting to be sent, sent.
    pub counts: [u64; 3],
}

/// The jump list: the questions reachable now, computed when the list opens.
#[derive(Debug, Clone)]
pub struct Pick {
    pub items: Vec<Item>,
    pub sel: usize,
}

/// The review screen: every visible question, problems first, computed when it opens
/// (nothing can change the answers while it is shown).
#[derive(Debug, Clone)]
pub struct ReviewList {
    pub rows: Vec<(Item, Option<String>)>,
    pub can_finalize: bool,
    pub sel: usize,
}

/// The indicators screen: a computed report and which indicator and breakdown it shows.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub report: crate::indicators::compute::Report,
    pub sel: (usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// Help for the screen, or for the dialog it was opened over (shown again on close).
    Help(Option<Box<Overlay>>),
    Stop,
    ConfirmWithdraw,
    ConfirmDiscard(Uuid),
    ConfirmFinalize,
    ConfirmQuit,
    Referral(bool),
    /// An answer ends the interview (consent refused, not eligible): asks before erasing.
    ConfirmEnd(Ending),
}

/// An interview about to end by itself, waiting for the surveyor's confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    /// `declined` or `not_eligible`, as the tombstone records it.
    pub reason: &'static str,
    /// The form's own closing note for this ending (e.g. `too_young`), if it has one.
    pub note: Option<(NodeId, Vec<u32>)>,
    /// The answer that ended it and the text it replaced: "No" puts that back.
    pub undo: Option<(NodeId, Vec<u32>, String)>,
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

/// Work with the store or the sync worker that a key asked for. `update` only changes
/// state and queues these; [`App::run_effects`] carries them out and folds the outcome back
/// into the state. The open interview's own saving is not an effect: [`Session`] writes
/// each accepted answer through before the key returns, so what the screen shows as saved
/// is on disk.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Save `App::settings`; on success go home with `news`.
    SaveSettings { news: Option<&'static str> },
    /// Reload the home screen's drafts and counts.
    LoadHome,
    /// Compute the indicators over this device's interviews and show them.
    ComputeReport,
    /// Erase the open interview (refusal, withdrawal, not eligible) and go home with `news`.
    EraseOpen {
        reason: &'static str,
        news: &'static str,
    },
    /// Erase a draft picked on the home screen.
    Discard(Uuid),
    /// Wake the sync worker: something new is waiting to be sent.
    KickSync,
    /// Put the data folder under this passphrase.
    SetPassphrase(String),
}

pub struct App {
    pub store: Arc<Store>,
    pub forms: Vec<Arc<Form>>,
    /// Where each of `forms` came from (same order); empty when not known (tests).
    pub origins: Vec<crate::catalog::Origin>,
    pub form_errors: Vec<String>,
    pub clock: Arc<dyn Clock + Send + Sync>,
    pub settings: Settings,
    pub lang: Lang,
    pub screen: Screen,
    pub home: Home,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    pub quit: bool,
    /// The open interview, across the question, jump and review screens.
    pub session: Option<Session>,
    pub input: Input,
    /// The validation message for the current question, shown in place.
    pub message: Option<String>,
    /// What the sync worker last reported (`None`: no worker, as in tests).
    pub sync: Option<crate::sync::worker::SyncStatus>,
    /// Wakes the sync worker after a finalize.
    pub kick: Option<std::sync::mpsc::Sender<()>>,
    /// Forms with an indicator file, for the report screen.
    pub indicators: Vec<(Arc<Form>, Arc<crate::indicators::def::Indicators>)>,
    /// The terminal's size: below the minimum only a message is drawn, so keys are ignored
    /// (a digit must not pick a choice the surveyor cannot see).
    pub size: (u16, u16),
    effects: Vec<Effect>,
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
                passphrase: Editor::new(""),
                ask_passphrase: !store.is_protected(),
                focus: 0,
                first_run: true,
            })
        } else {
            Screen::Home
        };
        let mut app = App {
            store,
            forms,
            origins: Vec::new(),
            form_errors,
            clock,
            settings,
            lang,
            screen,
            home: Home {
                focus: Focus::Forms,
                form_sel: 0,
                draft_sel: 0,
                drafts: Vec::new(),
                sent_back: Default::default(),
                counts: [0; 3],
            },
            overlay: None,
            status: None,
            quit: false,
            session: None,
            input: Input::None,
            message: None,
            sync: None,
            kick: None,
            indicators: Vec::new(),
            size: (80, 24),
            effects: Vec::new(),
        };
        app.refresh_home();
        app
    }

    /// Whether the terminal is big enough to show the screen (see `view::MIN_WIDTH`).
    pub fn fits(&self) -> bool {
        self.size.0 >= crate::tui::view::MIN_WIDTH && self.size.1 >= crate::tui::view::MIN_HEIGHT
    }

    pub fn w(&self) -> &'static Words {
        self.lang.words()
    }

    pub fn mode(&self) -> Mode {
        match &self.overlay {
            Some(Overlay::Help(_) | Overlay::Referral(_)) => return Mode::Notice,
            Some(Overlay::Stop) => return Mode::Stop,
            Some(_) => return Mode::Confirm,
            None => {}
        }
        match self.screen {
            Screen::Setup(_) => Mode::Setup,
            Screen::Home => Mode::Home,
            Screen::Interview => Mode::Interview,
            Screen::Jump(_) => Mode::List,
            Screen::Review(_) => Mode::Review,
            Screen::Report(_) => Mode::Report,
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

    /// What the sync worker said: the status line, the home lists, and a word when the
    /// supervisor sent interviews back.
    pub fn on_sync(&mut self, st: crate::sync::worker::SyncStatus) {
        if st.returned > 0 {
            self.status = Some(Status {
                text: format!("{} {}", st.returned, self.w().sent_back_arrived),
                error: true,
            });
        }
        self.sync = Some(st);
        self.refresh_home();
    }

    /// Reads the drafts and counts the home screen lists.
    pub fn refresh_home(&mut self) {
        let (mut drafts, _) = self.store.drafts();
        let sent_back: std::collections::HashMap<_, _> = drafts
            .iter()
            .filter_map(|d| self.store.sent_back(d.id).map(|b| (d.id, b)))
            .collect();
        // What the supervisor sent back first: it is waiting for the surveyor.
        drafts.sort_by_key(|d| {
            (
                !sent_back.contains_key(&d.id),
                std::cmp::Reverse(d.updated.utc),
            )
        });
        let h = &mut self.home;
        h.drafts = drafts;
        h.sent_back = sent_back;
        h.counts = self.store.counts();
        h.draft_sel = h.draft_sel.min(h.drafts.len().saturating_sub(1));
        // The last draft just finished: Enter starts a form again, no Tab needed.
        if h.drafts.is_empty() {
            h.focus = Focus::Forms;
        }
    }

    /// Saves what is open, so quitting (Esc, a signal, a closed terminal) loses nothing.
    pub fn shutdown(&mut self) {
        self.keep_input();
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
        if !self.fits() {
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
            } else if let Input::Text { numeric: true, .. } = self.input {
                self.message = Some(self.w().numbers_only.into());
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
        self.run_effects();
    }

    /// Changes the state for one action; store work is queued as [`Effect`]s.
    pub(crate) fn update(&mut self, action: Action) {
        match action {
            Action::Help => {
                // Help over a dialog comes back to the dialog; help over help is help.
                let under = self
                    .overlay
                    .take()
                    .filter(|o| !matches!(o, Overlay::Help(_)));
                self.overlay = Some(Overlay::Help(under.map(Box::new)));
            }
            Action::Language => self.switch_language(),
            _ => match self.overlay.clone() {
                Some(o) => self.on_overlay(o, action),
                None => match self.screen {
                    Screen::Setup(_) => self.on_setup(action),
                    Screen::Home => self.on_home(action),
                    Screen::Interview => self.on_interview(action),
                    Screen::Jump(_) => self.on_jump(action),
                    Screen::Review(_) => self.on_review(action),
                    Screen::Report(_) => self.on_report(action),
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
        self.effects.push(Effect::SaveSettings { news: None });
        if let Some(s) = &mut self.session {
            s.iv.set_language(self.lang.code());
        }
    }
}

fn s_advance(app: &mut App) -> Result<(), SessionError> {
    match &mut app.session {
        Some(s) => s.advance(),
        None => Ok(()),
    }
}
