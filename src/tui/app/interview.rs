//! Taking an interview: answering, moving, pausing, the jump list, consent and endings.

use super::*;
use crate::tui::input::Input;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn on_interview(&mut self, action: Action) {
        match action {
            Action::Accept => self.accept(),
            Action::Back => {
                self.keep_input();
                let Some(s) = &mut self.session else { return };
                let r = s.back();
                self.load_input();
                if let Err(e) = r {
                    self.error(&e);
                }
            }
            Action::Escape => self.pause(),
            Action::Stop => self.overlay = Some(Overlay::Stop),
            Action::JumpList => {
                self.keep_input();
                let items = self.reachable();
                let sel = self
                    .session
                    .as_ref()
                    .and_then(|s| s.iv.current())
                    .and_then(|c| items.iter().position(|i| i == c))
                    .unwrap_or(0);
                self.screen = Screen::Jump(Pick { items, sel });
            }
            Action::Review => {
                self.keep_input();
                self.open_review();
            }
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
                match &mut self.input {
                    Input::Text { ed, .. } => match action {
                        Action::Backspace => ed.backspace(),
                        Action::Delete => ed.delete(),
                        Action::Home => ed.home(),
                        _ => ed.end(),
                    },
                    input if matches!(action, Action::Backspace | Action::Delete) => input.clear(),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    pub(super) fn pause(&mut self) {
        self.keep_input();
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
                let before = s.iv.value(node, &path).to_str().into_owned();
                let answered = match self.input.raw() {
                    Some(raw) if raw != before || s.iv.held(node, &path).is_some() => {
                        s.answer(node, &path, &raw)
                    }
                    _ => Ok(()),
                };
                match answered {
                    Ok(()) if self.check_ended(Some((node, path, before))) => return,
                    Ok(()) => s_advance(self),
                    Err(e) => Err(e),
                }
            }
        };
        match step {
            Ok(()) => {
                self.load_input();
                if self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.iv.current().is_none())
                {
                    self.open_review();
                }
            }
            Err(SessionError::Invalid(m)) => self.message = Some(m),
            Err(SessionError::Store(e)) => self.error(&e),
        }
    }

    /// The field for the item under the cursor, with the message of any text held there.
    pub(super) fn load_input(&mut self) {
        let Some(s) = &self.session else { return };
        self.input = Input::load(&s.iv);
        self.message = match s.iv.current() {
            Some(Item::Question { node, path }) => s.iv.held_problem(*node, path),
            _ => None,
        };
    }

    /// Keeps what is in the field when the surveyor leaves the question any way but Enter
    /// (back, jump list, review, pause, stop, quit, a signal). An acceptable answer is
    /// saved; anything else is held with its message. An answer that would end the
    /// interview is held too: ending happens only through its confirmation.
    pub(super) fn keep_input(&mut self) {
        let Some(s) = &mut self.session else { return };
        let Some(Item::Question { node, path }) = s.iv.current().cloned() else {
            return;
        };
        let Some(raw) = self.input.raw() else {
            return;
        };
        let held = s.iv.held(node, &path).map(str::to_owned);
        let stored = s.iv.value(node, &path).to_str().into_owned();
        if held.as_deref().unwrap_or(&stored) == raw {
            return;
        }
        let acceptable = s.iv.check_answer(node, &path, &raw).is_ok() && {
            let mut probe = s.iv.clone();
            probe.answer(node, &path, &raw).is_ok() && ends(&probe).is_none()
        };
        let r = if acceptable {
            s.answer(node, &path, &raw)
        } else {
            s.iv.hold(node, &path, &raw);
            s.save().map_err(SessionError::from)
        };
        match r {
            Ok(()) => self.message = None,
            Err(SessionError::Invalid(m)) => self.message = Some(m),
            Err(SessionError::Store(e)) => self.error(&e),
        }
    }

    /// After an answer: refused consent or a not-eligible child would end the interview,
    /// so ask first. `undo` is the answer just given and the text it replaced.
    pub(super) fn check_ended(&mut self, undo: Option<(NodeId, Vec<u32>, String)>) -> bool {
        let Some(s) = &self.session else { return false };
        let Some(reason) = ends(&s.iv) else {
            return false;
        };
        let note = undo
            .as_ref()
            .and_then(|(node, path, _)| closing_note(&s.iv, *node, path));
        self.overlay = Some(Overlay::ConfirmEnd(Ending { reason, note, undo }));
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
                self.load_input();
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
            Action::Escape => {
                self.screen = Screen::Interview;
                // The field as kept, with the message of any held text.
                self.load_input();
            }
            _ => {}
        }
    }
}

/// Why this interview would end now, if it would: consent refused, or not eligible.
fn ends(iv: &crate::interview::Interview) -> Option<&'static str> {
    if iv.consent() == Consent::Declined {
        Some("declined")
    } else if iv.not_eligible() {
        Some("not_eligible")
    } else {
        None
    }
}

/// The form's own words for this ending: the first note after the answered question that
/// the answer made relevant (the child form's `guardian_declined`, `child_declined`,
/// `too_young`).
fn closing_note(
    iv: &crate::interview::Interview,
    answered: NodeId,
    path: &[u32],
) -> Option<(NodeId, Vec<u32>)> {
    let items = iv.items();
    let at = items.iter().position(
        |i| matches!(i, Item::Question { node, path: p } if *node == answered && p == path),
    )?;
    items[at + 1..].iter().find_map(|i| match i {
        Item::Question { node, path } => {
            let n = iv.form().node(*node);
            let about_it = n
                .relevant
                .as_ref()
                .is_some_and(|e| e.refs().contains(&answered));
            (matches!(n.kind, crate::form::Kind::Note) && about_it).then(|| (*node, path.clone()))
        }
        Item::AddRepeat { .. } => None,
    })
}
