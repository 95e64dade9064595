//! The indicators screen.

use super::*;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn on_report(&mut self, action: Action) {
        let Screen::Report(view) = &mut self.screen else {
            return;
        };
        let n_ind = view.report.results.len();
        let n_bd = view.report.results.first().map_or(0, |r| r.by.len());
        let (i, b) = &mut view.sel;
        match action {
            Action::Up => *i = i.saturating_sub(1),
            Action::Down => *i = (*i + 1).min(n_ind.saturating_sub(1)),
            Action::Left => *b = b.saturating_sub(1),
            Action::Right => *b = (*b + 1).min(n_bd.saturating_sub(1)),
            Action::Escape => self.screen = Screen::Home,
            _ => {}
        }
    }
}
