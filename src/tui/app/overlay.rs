//! Pop-ups: help, stop, confirmations, referral, interview ended.

use super::*;
use crate::tui::keymap::Action;

impl App {
    // ── overlays ─────────────────────────────────────────────────────────────────────────

    pub(super) fn on_overlay(&mut self, o: Overlay, action: Action) {
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
