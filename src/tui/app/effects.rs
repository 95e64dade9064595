//! Carrying out the store and sync work that `update` queued, and folding each outcome
//! (news, an error, a computed report) back into the state.

use super::*;

impl App {
    /// Runs queued effects in order, including any that an effect's outcome queues.
    pub(crate) fn run_effects(&mut self) {
        let mut queue = std::mem::take(&mut self.effects);
        while !queue.is_empty() {
            for e in queue {
                self.run(e);
            }
            queue = std::mem::take(&mut self.effects);
        }
    }

    fn run(&mut self, effect: Effect) {
        match effect {
            Effect::SaveSettings { news } => match self.store.save_settings(&self.settings) {
                Ok(()) => {
                    if let Some(news) = news {
                        self.screen = Screen::Home;
                        self.info(news);
                    }
                }
                Err(e) => self.error(&e),
            },
            Effect::LoadHome => self.refresh_home(),
            Effect::ComputeReport => self.compute_report(),
            Effect::EraseOpen { reason, news } => {
                let Some(s) = &self.session else { return };
                let at = Stamp::from_local(self.clock.now());
                match self.store.erase(s.id(), &s.draft.form.id, reason, at) {
                    Ok(()) => self.leave_session(news),
                    Err(e) => self.error(&e),
                }
            }
            Effect::Discard(id) => {
                let form = self
                    .home
                    .drafts
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| d.form.id.clone())
                    .unwrap_or_default();
                let at = Stamp::from_local(self.clock.now());
                match self.store.erase(id, &form, "discarded", at) {
                    Ok(()) => {
                        self.refresh_home();
                        self.info(self.w().discarded);
                    }
                    Err(e) => self.error(&e),
                }
            }
            Effect::SetPassphrase(p) => {
                if let Err(e) = self.store.set_passphrase(Some(&p)) {
                    self.error(&e);
                }
            }
            Effect::KickSync => {
                if let Some(k) = &self.kick {
                    let _ = k.send(());
                }
            }
        }
    }

    /// The indicators over this device's own (unsealed) interviews.
    fn compute_report(&mut self) {
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
        match self.store.ended_counts() {
            Ok(ended) => ended
                .iter()
                .for_each(|(form, reason, n)| acc.ended_n(form, reason, *n)),
            Err(e) => {
                self.error(&e);
                return;
            }
        }
        self.screen = Screen::Report(Box::new(ReportView {
            report: acc.finish(),
            sel: (0, 0),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SystemClock;

    fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("data")).expect("store");
        store
            .save_settings(&Settings {
                surveyor: "Lan".into(),
                device_label: String::new(),
                language: "vi".into(),
            })
            .expect("settings");
        let app = App::new(
            Arc::new(store),
            Vec::new(),
            Vec::new(),
            Arc::new(SystemClock::default()),
        );
        (dir, app)
    }

    #[test]
    fn update_queues_store_work_and_run_effects_does_it() {
        let (_dir, mut app) = app();
        app.update(Action::Language);
        assert_eq!(app.lang, Lang::En, "the state changes at once");
        assert_eq!(app.effects, [Effect::SaveSettings { news: None }]);
        let saved = app.store.settings().expect("settings").language;
        assert_eq!(saved, "vi", "update itself wrote nothing");
        app.run_effects();
        assert!(app.effects.is_empty());
        let saved = app.store.settings().expect("settings").language;
        assert_eq!(saved, "en");
    }

    #[test]
    fn the_report_key_computes_nothing_until_its_effect_runs() {
        let (_dir, mut app) = app();
        app.update(Action::Report);
        assert_eq!(app.effects, [Effect::ComputeReport]);
        assert!(matches!(app.screen, Screen::Home));
        app.run_effects();
        // No indicator files here: the outcome is a message, and home stays.
        assert!(app.status.as_ref().is_some_and(|s| s.error));
        assert!(matches!(app.screen, Screen::Home));
    }
}
