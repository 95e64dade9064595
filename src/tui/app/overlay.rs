//! Pop-ups: help, stop, confirmations, referral, interview ended.

use super::*;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn on_overlay(&mut self, o: Overlay, action: Action) {
        match (o, action) {
            (Overlay::Help | Overlay::Referral(_), Action::Accept) => self.overlay = None,
            (Overlay::Ended(reason), Action::Accept) => {
                self.overlay = None;
                let news = self.w().ended_recorded;
                self.effects.push(Effect::EraseOpen { reason, news });
            }
            (Overlay::Stop, Action::Pause) => {
                self.overlay = None;
                self.pause();
            }
            (Overlay::Stop, Action::Withdraw) => self.overlay = Some(Overlay::ConfirmWithdraw),
            (Overlay::Stop, Action::Escape) => self.overlay = None,
            (Overlay::ConfirmWithdraw, Action::Yes) => {
                self.overlay = None;
                let news = self.w().withdrawn_ok;
                self.effects.push(Effect::EraseOpen {
                    reason: "withdrawn",
                    news,
                });
            }
            (Overlay::ConfirmDiscard(id), Action::Yes) => {
                self.overlay = None;
                self.effects.push(Effect::Discard(id));
            }
            (Overlay::ConfirmFinalize, Action::Yes) => {
                self.overlay = None;
                let Some(s) = &mut self.session else { return };
                match s.finalize() {
                    Ok(_) => {
                        let news = self.w().finalized_ok;
                        self.leave_session(news);
                        self.effects.push(Effect::KickSync);
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
