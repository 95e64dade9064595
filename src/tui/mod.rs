//! The terminal app: the only module that talks to the terminal (crossterm via ratatui).

pub mod app;
pub mod editor;
pub mod input;
pub mod keymap;
pub mod text;
pub mod view;

use crate::session::{Clock, SystemClock};
use crate::store::Store;
use app::App;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};

/// What wakes the loop up: a key, a resize, news from the sync worker, or a request to stop.
enum Msg {
    Term(Event),
    Sync(crate::sync::worker::SyncStatus),
    Stop,
}

/// Runs the app until the user quits or the process is asked to stop. Every accepted answer
/// is already saved; on the way out the open interview is saved once more and the terminal
/// restored (also on panic: ratatui's hook restores it before the panic message).
pub fn run(store: Store, forms_dir: &Path) -> std::io::Result<()> {
    let (mut forms, mut errors) = crate::cli::data::load_forms(forms_dir);
    // Forms the hub sent on sync live in the data folder.
    let (pulled, bad) = crate::cli::data::load_forms(&store.dir().join("forms"));
    errors.extend(bad);
    for f in pulled {
        if !forms.iter().any(|g| g.id == f.id && g.version == f.version) {
            forms.push(f);
        }
    }
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(SystemClock::default());
    let store = Arc::new(store);
    let mut app = App::new(store.clone(), forms, errors, clock);
    match crate::cli::report::indicator_sets(forms_dir) {
        Ok(sets) => {
            app.indicators = sets
                .into_iter()
                .map(|(f, d)| (Arc::new(f), Arc::new(d)))
                .collect()
        }
        Err(e) => app.form_errors.push(e),
    }
    if app.forms.is_empty() {
        app.status = Some(app::Status {
            text: format!("{} {}", app.w().no_forms, forms_dir.display()),
            error: true,
        });
    }
    let mut terminal = ratatui::init();
    let (tx, rx) = channel();
    spawn_input(tx.clone());
    spawn_signals(tx.clone());
    let sync_tx = std::sync::Mutex::new(tx);
    app.kick = Some(crate::sync::worker::spawn(
        store.clone(),
        store.dir().join("forms"),
        move |st| {
            if let Ok(tx) = sync_tx.lock() {
                let _ = tx.send(Msg::Sync(st));
            }
        },
    ));
    let result = (|| -> std::io::Result<()> {
        loop {
            terminal.draw(|f| view::draw(&app, f))?;
            // Blocks until something happens: an idle app uses no CPU.
            match rx.recv() {
                Ok(Msg::Term(Event::Key(k))) if k.kind != KeyEventKind::Release => app.on_key(k),
                Ok(Msg::Term(_)) => {}
                Ok(Msg::Sync(st)) => {
                    app.sync = Some(st);
                    app.refresh_home();
                }
                Ok(Msg::Stop) | Err(_) => app.shutdown(),
            }
            if app.quit {
                return Ok(());
            }
        }
    })();
    app.shutdown();
    ratatui::restore();
    result
}

fn spawn_input(tx: Sender<Msg>) {
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(Msg::Term(ev)).is_err() {
                break;
            }
        }
        let _ = tx.send(Msg::Stop);
    });
}

/// SIGTERM, SIGHUP (terminal closed) and SIGINT become an orderly stop.
#[cfg(unix)]
fn spawn_signals(tx: Sender<Msg>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT]) {
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send(Msg::Stop);
            }
        });
    }
}

#[cfg(not(unix))]
fn spawn_signals(_tx: Sender<Msg>) {}
