//! The terminal app: the only module that talks to the terminal (crossterm via ratatui).

pub mod app;
pub mod editor;
pub mod input;
pub mod keymap;
pub mod review;
mod stop;
pub mod text;
pub mod view;

use crate::session::{Clock, SystemClock};
use crate::store::Store;
use app::App;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};
use text::Lang;

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
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        // Piped or started by cron: drawing would only print escape codes.
        let lang = Lang::from_code(&store.settings().unwrap_or_default().language);
        return Err(std::io::Error::other(lang.words().no_terminal));
    }
    let (offered, errors) = crate::catalog::device_forms(forms_dir, store.dir());
    let (forms, origins) = offered.into_iter().unzip();
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(SystemClock::default());
    let store = Arc::new(store);
    let mut app = App::new(store.clone(), forms, errors, clock);
    app.origins = origins;
    match crate::catalog::indicator_sets(forms_dir) {
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
    let mut terminal = ratatui::try_init()?;
    if let Ok(s) = terminal.size() {
        app.size = (s.width, s.height);
    }
    let (tx, rx) = channel();
    spawn_input(tx.clone());
    let stop_tx = std::sync::Mutex::new(tx.clone());
    stop::on_stop(move || {
        if let Ok(tx) = stop_tx.lock() {
            let _ = tx.send(Msg::Stop);
        }
    });
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
                Ok(Msg::Term(Event::Resize(w, h))) => app.size = (w, h),
                Ok(Msg::Term(_)) => {}
                Ok(Msg::Sync(st)) => app.on_sync(st),
                Ok(Msg::Stop) | Err(_) => app.shutdown(),
            }
            if app.quit {
                return Ok(());
            }
        }
    })();
    app.shutdown();
    ratatui::restore();
    stop::finished();
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

/// A terminal viewer for a finished report (the hub's, which has no interview app):
/// ↑/↓ indicator, ←/→ breakdown, F2 language, Esc or q to leave.
pub(crate) fn show_report(
    rep: &crate::indicators::compute::Report,
    lang: &str,
) -> std::io::Result<()> {
    use ratatui::crossterm::event::KeyCode;
    use ratatui::layout::{Constraint, Layout};
    let mut lang = text::Lang::from_code(lang);
    let mut sel = (0usize, 0usize);
    let n_ind = rep.results.len();
    let n_bd = rep.results.first().map_or(0, |r| r.by.len());
    let mut terminal = ratatui::try_init()?;
    let result = (|| -> std::io::Result<()> {
        loop {
            terminal.draw(|f| {
                let [body, footer] =
                    Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(f.area());
                view::report::draw_report(rep, sel, lang.code(), f, body);
                let keys = if lang == text::Lang::Vi {
                    "↑/↓ chỉ số · ←/→ phân tổ · F2 English · Esc thoát"
                } else {
                    "↑/↓ indicator · ←/→ breakdown · F2 Tiếng Việt · Esc quit"
                };
                f.render_widget(ratatui::widgets::Paragraph::new(keys), footer);
            })?;
            // Blocks until a key: no polling.
            if let Event::Key(k) = event::read()?
                && k.kind != KeyEventKind::Release
            {
                match k.code {
                    KeyCode::Up => sel.0 = sel.0.saturating_sub(1),
                    KeyCode::Down => sel.0 = (sel.0 + 1).min(n_ind.saturating_sub(1)),
                    KeyCode::Left => sel.1 = sel.1.saturating_sub(1),
                    KeyCode::Right => sel.1 = (sel.1 + 1).min(n_bd.saturating_sub(1)),
                    KeyCode::F(2) => lang = lang.other(),
                    KeyCode::Esc | KeyCode::Char('q') => return Ok(()),
                    _ => {}
                }
            }
        }
    })();
    ratatui::restore();
    result
}
