//! The indicators screen.

use super::*;
use crate::tui::keymap::Action;

impl App {
    // ── report ───────────────────────────────────────────────────────────────────────────

    /// Computes the indicators over this device's own (unsealed) interviews.
    pub fn open_report(&mut self) {
        let Some((form, defs)) = self.indicators.first().cloned() else {
            self.status = Some(Status {
                text: format!("{} (*.indicators.toml)", self.w().no_forms),
                error: true,
            });
            return;
        };
        let mut acc = crate::indicators::compute::Accumulator::new(&defs, &form, self.clock.now());
        if let Err(e) = self.store.each_finalized(|f| acc.add(&f)) {
            self.error(&e);
            return;
        }
        for t in self.store.tombstones() {
            acc.ended(&t.form_id, &t.reason);
        }
        self.report = Some(acc.finish());
        self.report_sel = (0, 0);
        self.screen = Screen::Report;
    }

    pub(super) fn on_report(&mut self, action: Action) {
        let Some(rep) = &self.report else { return };
        let n_ind = rep.results.len();
        let n_bd = rep.results.first().map_or(0, |r| r.by.len());
        let (i, b) = &mut self.report_sel;
        match action {
            Action::Up => *i = i.saturating_sub(1),
            Action::Down => *i = (*i + 1).min(n_ind.saturating_sub(1)),
            Action::Left => *b = b.saturating_sub(1),
            Action::Right => *b = (*b + 1).min(n_bd.saturating_sub(1)),
            Action::Escape => {
                self.screen = Screen::Home;
                self.report = None;
            }
            _ => {}
        }
    }
}
