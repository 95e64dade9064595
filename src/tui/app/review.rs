//! Review before finalizing.

use super::*;
use crate::tui::input::Input;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn open_review(&mut self) {
        if self
            .session
            .as_ref()
            .is_some_and(|s| s.iv.open_consent().is_some())
        {
            self.status = Some(Status {
                text: self.w().consent_first.into(),
                error: true,
            });
            return;
        }
        let can_finalize = self
            .session
            .as_ref()
            .is_some_and(|s| s.iv.review().can_finalize());
        self.screen = Screen::Review(ReviewList {
            rows: self.review_rows(),
            can_finalize,
            sel: 0,
        });
    }

    /// Rows of the review: every visible question, problems first.
    fn review_rows(&self) -> Vec<(Item, Option<String>)> {
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

    pub(super) fn on_review(&mut self, action: Action) {
        let Screen::Review(list) = &mut self.screen else {
            return;
        };
        let n = list.rows.len();
        match action {
            Action::Up => list.sel = list.sel.saturating_sub(1),
            Action::Down => list.sel = (list.sel + 1).min(n.saturating_sub(1)),
            Action::Accept => {
                if let Some((item, _)) = list.rows.get(list.sel).cloned() {
                    self.go_to(item);
                }
            }
            Action::Finalize if list.can_finalize => {
                self.overlay = Some(Overlay::ConfirmFinalize);
            }
            Action::Finalize => {
                // Say why, and go where the work is.
                let n = list.rows.iter().filter(|(_, p)| p.is_some()).count();
                let first = list.rows.first().cloned();
                let text = format!("{} {n}", self.w().cannot_finalize);
                if let Some((item, problem)) = first {
                    self.go_to(item);
                    self.message = problem;
                }
                self.status = Some(Status { text, error: true });
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
}
