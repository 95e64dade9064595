//! Taking an interview: answering, moving, pausing, the jump list, consent and endings.

use super::*;
use crate::tui::input::Input;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn on_interview(&mut self, action: Action) {
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
                let items = self.reachable();
                let sel = self
                    .session
                    .as_ref()
                    .and_then(|s| s.iv.current())
                    .and_then(|c| items.iter().position(|i| i == c))
                    .unwrap_or(0);
                self.screen = Screen::Jump(Pick { items, sel });
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

    pub(super) fn pause(&mut self) {
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
    pub(super) fn accept(&mut self) {
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
    pub(super) fn check_ended(&mut self) -> bool {
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

    /// Items the jump list may go to: while consent is open, nothing past the consent question.
    fn reachable(&self) -> Vec<Item> {
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

    pub(super) fn go_to(&mut self, item: Item) {
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

    pub(super) fn on_jump(&mut self, action: Action) {
        let Screen::Jump(pick) = &mut self.screen else {
            return;
        };
        let n = pick.items.len();
        match action {
            Action::Up => pick.sel = pick.sel.saturating_sub(1),
            Action::Down => pick.sel = (pick.sel + 1).min(n.saturating_sub(1)),
            Action::Accept => {
                if let Some(item) = pick.items.get(pick.sel).cloned() {
                    self.go_to(item);
                }
            }
            Action::Escape => self.screen = Screen::Interview,
            _ => {}
        }
    }
}
