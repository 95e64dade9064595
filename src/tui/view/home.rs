//! Home: forms to start, drafts to resume, counts, sync status.

use super::style;
use crate::tui::app::{App, Focus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let [lists, info] = Layout::vertical([Constraint::Min(4), Constraint::Length(3)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lists);
    draw_forms(app, f, left);
    draw_drafts(app, f, right);
    draw_info(app, f, info);
}

/// A list's title, marked when the list has the focus.
fn focus_mark(on: bool, t: &str) -> String {
    if on {
        format!("› {t}")
    } else {
        t.to_string()
    }
}

fn draw_forms(app: &App, f: &mut Frame, area: Rect) {
    let lang = app.lang.code();
    let forms: Vec<ListItem> = app
        .forms
        .iter()
        .enumerate()
        .map(|(i, form)| {
            let from = match app.origins.get(i) {
                Some(crate::catalog::Origin::BuiltIn) => format!(" · {}", app.w().from_built_in),
                Some(crate::catalog::Origin::Folder) => format!(" · {}", app.w().from_folder),
                Some(crate::catalog::Origin::Hub) => format!(" · {}", app.w().from_hub),
                None => String::new(),
            };
            ListItem::new(vec![
                Line::raw(form.title.get(lang).to_string()),
                // Version and origin before the id: the id is what a narrow list cuts.
                Line::styled(
                    format!("  v{}{from} · {}", form.version, form.id),
                    style::dim(),
                ),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(focus_mark(app.home.focus == Focus::Forms, app.w().forms));
    let mut st = ListState::default().with_selected(
        (app.home.focus == Focus::Forms && !app.forms.is_empty()).then_some(app.home.form_sel),
    );
    f.render_stateful_widget(
        List::new(forms)
            .block(block)
            .highlight_style(style::selected())
            .highlight_symbol("› "),
        area,
        &mut st,
    );
}

fn draw_drafts(app: &App, f: &mut Frame, area: Rect) {
    let (w, lang) = (app.w(), app.lang.code());
    let now = app.clock.now().to_utc();
    let drafts: Vec<ListItem> = app
        .home
        .drafts
        .iter()
        .map(|d| {
            let title = app
                .forms
                .iter()
                .find(|f| f.id == d.form.id)
                .map_or(d.form.id.clone(), |f| f.title.get(lang).to_string());
            // The instance name tells one child's draft from another's.
            let title = if d.instance_name.is_empty() {
                title
            } else {
                format!("{} — {title}", d.instance_name)
            };
            let age = ago(app, (now - d.updated.utc).num_minutes());
            // The referral first: a narrow list cuts the end of the line.
            let flag = if d.referral {
                format!("{} · ", w.referral_label)
            } else {
                String::new()
            };
            let mut lines = vec![
                Line::raw(title),
                Line::styled(
                    format!(
                        "  {flag}{} {}/{} · {age}",
                        w.answered, d.progress.0, d.progress.1
                    ),
                    style::dim(),
                ),
            ];
            // Sent back: the supervisor's note, where the surveyor looks first.
            if let Some(b) = app.home.sent_back.get(&d.id) {
                lines.insert(
                    1,
                    Line::styled(
                        format!("  {}: {} ({})", w.sent_back_label, b.note, b.by),
                        style::error(),
                    ),
                );
            }
            ListItem::new(lines)
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(focus_mark(app.home.focus == Focus::Drafts, w.drafts));
    if drafts.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled(w.no_drafts, style::dim())).block(block),
            area,
        );
    } else {
        let mut st = ListState::default()
            .with_selected((app.home.focus == Focus::Drafts).then_some(app.home.draft_sel));
        f.render_stateful_widget(
            List::new(drafts)
                .block(block)
                .highlight_style(style::selected())
                .highlight_symbol("› "),
            area,
            &mut st,
        );
    }
}

/// Counts, the sync line and the first form problem, under the lists.
fn draw_info(app: &App, f: &mut Frame, area: Rect) {
    let w = app.w();
    let [fin, queued, sent] = app.home.counts;
    let mut lines = vec![
        Line::raw(format!(
            "{}: {fin}   {}: {queued}   {}: {sent}",
            w.finalized, w.queued, w.sent
        )),
        Line::styled(sync_line(app), style::dim()),
    ];
    if !app.store.is_protected() {
        lines.push(Line::styled(format!("⚠ {}", w.unprotected), style::error()));
    }
    if let Some(e) = app.form_errors.first() {
        lines.push(Line::styled(
            format!("✗ {}", e.lines().next().unwrap_or("")),
            style::error(),
        ));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn ago(app: &App, minutes: i64) -> String {
    let w = app.w();
    match minutes {
        m if m < 1 => w.just_now.to_string(),
        m if m < 60 => format!("{m} {}", w.minutes),
        m if m < 60 * 24 => format!("{} {}", m / 60, w.hours),
        m => format!("{} {}", m / (60 * 24), w.days),
    }
}

/// "Sync: connected · waiting 3 · last sent 14:05", or offline, sending, not enrolled.
fn sync_line(app: &App) -> String {
    use crate::sync::worker::SyncState;
    let w = app.w();
    let Some(st) = &app.sync else {
        return w.sync_not_enrolled.to_string();
    };
    let mut s = match &st.state {
        SyncState::NotEnrolled => return w.sync_not_enrolled.to_string(),
        SyncState::Offline => w.sync_offline.to_string(),
        SyncState::Online => w.sync_online.to_string(),
        SyncState::Syncing { done, total } => format!("{} {done}/{total}", w.sync_sending),
    };
    s.push_str(&format!(" · {} {}", w.sync_waiting, st.queued));
    if let Some(t) = st.last_sync {
        s.push_str(&format!(" · {} {}", w.sync_last, t.format("%d/%m %H:%M")));
    }
    if let Some(e) = &st.error {
        s.push_str(&format!(" · ✗ {e}"));
    }
    s
}
