//! The home screen: start, resume or discard interviews.

use super::*;
use crate::tui::input::Input;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn on_home(&mut self, action: Action) {
        match action {
            Action::Quit | Action::Escape => self.overlay = Some(Overlay::ConfirmQuit),
            Action::SwitchFocus => {
                let h = &mut self.home;
                h.focus = if h.focus == Focus::Forms && !h.drafts.is_empty() {
                    Focus::Drafts
                } else {
                    Focus::Forms
                }
            }
            Action::Up => {
                let h = &mut self.home;
                match h.focus {
                    Focus::Forms => h.form_sel = h.form_sel.saturating_sub(1),
                    Focus::Drafts => h.draft_sel = h.draft_sel.saturating_sub(1),
                }
            }
            Action::Down => {
                let h = &mut self.home;
                match h.focus {
                    Focus::Forms => {
                        h.form_sel = (h.form_sel + 1).min(self.forms.len().saturating_sub(1))
                    }
                    Focus::Drafts => {
                        h.draft_sel = (h.draft_sel + 1).min(h.drafts.len().saturating_sub(1))
                    }
                }
            }
            Action::Settings => self.open_settings(),
            Action::Report => self.effects.push(Effect::ComputeReport),
            Action::Discard if self.home.focus == Focus::Drafts => {
                if let Some(d) = self.home.drafts.get(self.home.draft_sel) {
                    self.overlay = Some(Overlay::ConfirmDiscard(d.id));
                }
            }
            Action::Accept => match self.home.focus {
                Focus::Forms => self.start_interview(),
                Focus::Drafts => self.resume_interview(),
            },
            _ => {}
        }
    }

    pub(super) fn start_interview(&mut self) {
        let Some(form) = self.forms.get(self.home.form_sel).cloned() else {
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
        let Some(d) = self.home.drafts.get(self.home.draft_sel).cloned() else {
            return;
        };
        // The exact form it was started with: on offer, or the copy the store kept. Only a
        // draft older than those copies falls back to a form of the same id.
        let exact = self
            .forms
            .iter()
            .find(|f| {
                f.id == d.form.id && f.version == d.form.version && f.source_hash == d.form.hash
            })
            .cloned()
            .or_else(|| self.store.kept_form(&d.form));
        let fallback = || {
            let same = |f: &&Arc<Form>| f.id == d.form.id;
            let same_version = self
                .forms
                .iter()
                .filter(same)
                .find(|f| f.version == d.form.version);
            same_version
                .or_else(|| self.forms.iter().find(same))
                .cloned()
        };
        let Some(form) = exact.clone().or_else(fallback) else {
            self.status = Some(Status {
                text: format!("{} `{}`", self.w().no_forms, d.form.id),
                error: true,
            });
            return;
        };
        let changed = exact.is_none();
        let back = self.home.sent_back.get(&d.id).cloned();
        let mut s = Session::resume(self.store.clone(), form, d, self.clock.clone());
        s.iv.set_language(self.lang.code());
        self.enter_session(s);
        if changed {
            self.info(self.w().form_changed);
        } else if let Some(b) = back {
            // What to fix stays in sight while fixing it.
            self.status = Some(Status {
                text: format!("{}: {} ({})", self.w().sent_back_label, b.note, b.by),
                error: true,
            });
        }
    }

    pub(super) fn enter_session(&mut self, s: Session) {
        let at_end = s.iv.current().is_none();
        self.session = Some(s);
        self.load_input();
        self.status = None;
        self.screen = Screen::Interview;
        if at_end {
            self.open_review();
        }
        // A draft saved between a refusal and its erasure (the app was stopped on the
        // question "end the interview?") asks again now.
        self.check_ended(None);
    }

    pub(super) fn leave_session(&mut self, news: &str) {
        self.session = None;
        self.input = Input::None;
        self.message = None;
        self.screen = Screen::Home;
        self.effects.push(Effect::LoadHome);
        self.info(news.to_string());
    }
}
