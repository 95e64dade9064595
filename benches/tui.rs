//! Key → frame in the terminal app, on the generated 2,000-question form.

use chrono::{FixedOffset, TimeZone};
use criterion::{Criterion, criterion_group, criterion_main};
use langnghe::session::Clock;
use langnghe::store::{Settings, Store};
use langnghe::tui::{app::App, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;

struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> chrono::DateTime<FixedOffset> {
        FixedOffset::east_opt(7 * 3600)
            .and_then(|o| o.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).single())
            .expect("clock")
    }
    fn mono_ms(&self) -> u64 {
        0
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    store
        .save_settings(&Settings {
            surveyor: "b".into(),
            device_label: "b".into(),
            language: "vi".into(),
        })
        .expect("settings");
    let form = Arc::new(
        langnghe::form::build("big.toml", &langnghe::simulate::generated_form(100)).expect("form"),
    );
    let mut app = App::new(Arc::new(store), vec![form], vec![], Arc::new(Fixed));
    key(&mut app, KeyCode::Enter); // start the interview
    for _ in 0..50 {
        key(&mut app, KeyCode::Char('3'));
        key(&mut app, KeyCode::Enter);
    }
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    c.bench_function("key → frame: type a digit (2000-question form)", |b| {
        b.iter(|| {
            key(&mut app, KeyCode::Char('4'));
            key(&mut app, KeyCode::Backspace);
            term.draw(|f| view::draw(&app, f)).expect("draw");
        })
    });
    c.bench_function(
        "key → frame: Enter saves and moves on, PgUp back (2 frames)",
        |b| {
            b.iter(|| {
                key(&mut app, KeyCode::Enter);
                term.draw(|f| view::draw(&app, f)).expect("draw");
                key(&mut app, KeyCode::PageUp);
                term.draw(|f| view::draw(&app, f)).expect("draw");
            })
        },
    );
}

criterion_group!(tui, benches);
criterion_main!(tui);
