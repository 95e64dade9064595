//! Pop-ups: help, stop, confirmations, referral, and an interview about to end.

use super::*;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn on_overlay(&mut self, o: Overlay, action: Action) {
        match (o, action) {
            (Overlay::Help(under), Action::Accept) => self.overlay = under.map(|b| *b),
            (Overlay::Referral(_), Action::Accept) => self.overlay = None,
            (Overlay::ConfirmEnd(end), Action::Yes) => {
                self.overlay = None;
                let news = self.w().ended_recorded;
                self.effects.push(Effect::EraseOpen {
                    reason: end.reason,
                    news,
                });
            }
            (Overlay::ConfirmEnd(end), Action::No) => {
                self.overlay = None;
                self.undo_ending(end);
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
            (Overlay::ConfirmQuit, Action::Yes) => {
                self.overlay = None;
                self.shutdown();
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

    /// "No" to ending: the answer that ended the interview is replaced by what was there
    /// before, and the typed text stays in the field to be corrected.
    fn undo_ending(&mut self, end: Ending) {
        let Some(s) = &mut self.session else { return };
        let Some((node, path, before)) = end.undo else {
            return;
        };
        let r = if before.is_empty() {
            s.iv.clear(node, &path);
            s.save().map_err(SessionError::from)
        } else {
            s.answer(node, &path, &before)
        };
        match r {
            Ok(()) => {}
            Err(SessionError::Invalid(m)) => self.message = Some(m),
            Err(SessionError::Store(e)) => self.error(&e),
        }
    }
}
