//! The home screen: start, resume or discard interviews.

use super::*;
use crate::tui::input::Input;
use crate::tui::keymap::Action;

impl App {
    // ── home ─────────────────────────────────────────────────────────────────────────────

    pub(super) fn on_home(&mut self, action: Action) {
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

    pub(super) fn start_interview(&mut self) {
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

    pub(super) fn resume_interview(&mut self) {
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

    pub(super) fn enter_session(&mut self, s: Session) {
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
        // A draft saved between a refusal and its erasure (the app was stopped on the
        // "interview ended" notice) ends now, not later.
        self.check_ended();
    }

    pub(super) fn leave_session(&mut self, news: &str) {
        self.session = None;
        self.input = Input::None;
        self.message = None;
        self.screen = Screen::Home;
        self.refresh_home();
        self.info(news.to_string());
    }
}
