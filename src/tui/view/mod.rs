//! Drawing: `draw(&App, frame)` reads the state and paints it, nothing else.

mod home;
mod lists;
mod overlay;
mod question;
pub mod report;
mod setup;
pub mod style;

use super::app::{App, Screen};
use super::keymap::{Mode, table};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Below this the layout cannot work; a message asks for a bigger window instead.
pub(crate) const MIN_WIDTH: u16 = 60;
pub(crate) const MIN_HEIGHT: u16 = 16;

pub fn draw(app: &App, f: &mut Frame) {
    let area = f.area();
    if !app.fits() || area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!("{} {MIN_WIDTH}×{MIN_HEIGHT}.", app.w().too_small);
        f.render_widget(
            Paragraph::new(msg)
                .style(style::error())
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(app, f, header);
    let inner = Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(2),
        ..body
    };
    match &app.screen {
        Screen::Setup(s) => setup::draw(s, f, inner),
        Screen::Home => home::draw(app, f, inner),
        Screen::Interview => question::draw(app, f, inner),
        Screen::Jump(pick) => lists::jump(app, pick, f, inner),
        Screen::Review(list) => lists::review(app, list, f, inner),
        Screen::Report(view) => {
            report::draw_report(&view.report, view.sel, app.lang.code(), f, inner)
        }
    }
    if let Some(s) = &app.status {
        let mark = if s.error { "✗ " } else { "• " };
        let st = if s.error {
            style::error()
        } else {
            style::good()
        };
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(mark, st),
                Span::styled(s.text.clone(), st),
            ])),
            status,
        );
    }
    draw_footer(app, f, footer);
    if let Some(o) = &app.overlay {
        overlay::draw(app, o, f, body);
    }
}

fn draw_header(app: &App, f: &mut Frame, area: Rect) {
    let w = app.w();
    let mut left = String::from(" Lắng Nghe");
    let mut right = format!("{} ", app.lang.code().to_uppercase());
    if let Some(s) = &app.session
        && matches!(
            app.screen,
            Screen::Interview | Screen::Jump(_) | Screen::Review(_)
        )
    {
        left = format!(" {}", s.iv.form().title.get(app.lang.code()));
        let (answered, questions) = s.iv.progress();
        let flag = if s.draft.referral {
            format!("{}  ", w.referral_marker)
        } else {
            String::new()
        };
        right = format!("{flag}{} {}/{}  {}", w.answered, answered, questions, right);
    }
    // Practice must never pass for real work: said on every screen while it is on.
    let training = app.store.training_mode();
    if training {
        left = format!(" ▲ {} ▲{left}", w.training_mark);
    }
    let width = area.width as usize;
    let rw = unicode_width::UnicodeWidthStr::width(right.as_str());
    let left = truncate(&left, width.saturating_sub(rw + 1));
    let pad = width.saturating_sub(unicode_width::UnicodeWidthStr::width(left.as_str()) + rw);
    let line = format!("{left}{}{right}", " ".repeat(pad));
    let bar = if training {
        style::bar().patch(style::error())
    } else {
        style::bar()
    };
    f.render_widget(Paragraph::new(line).style(bar), area);
}

/// Group labels from the outside in, with the instance number inside repeats.
pub(crate) fn breadcrumb(app: &App, node: crate::expr::NodeId, path: &[u32]) -> String {
    let Some(s) = &app.session else {
        return String::new();
    };
    let form = s.iv.form();
    let mut parts = Vec::new();
    let mut cur = form.node(node).parent;
    while cur != crate::form::ROOT {
        let n = form.node(cur);
        let label = n
            .label
            .as_ref()
            .map_or(n.name.clone(), |t| t.get(app.lang.code()).to_string());
        let part = match n.chain.iter().position(|r| *r == cur) {
            Some(depth) if n.kind.is_repeat() => {
                format!("{label} #{}", path.get(depth).map_or(0, |i| i + 1))
            }
            _ => label,
        };
        parts.push(part);
        cur = n.parent;
    }
    parts.reverse();
    parts.join(" › ")
}

/// The footer's key hints. When they do not fit, hints are dropped from the end but the
/// last one (stop or quit) stays: F10 must be visible even at the minimum width.
fn draw_footer(app: &App, f: &mut Frame, area: Rect) {
    let hints: Vec<(&str, &str)> = table(app.mode())
        .into_iter()
        .filter(|b| b.footer)
        .map(|b| (b.label_in(app.lang), app.lang.pick(b.vi, b.en)))
        .collect();
    let width = |hs: &[(&str, &str)]| -> usize {
        hs.iter()
            .map(|(k, d)| {
                unicode_width::UnicodeWidthStr::width(*k)
                    + 1
                    + unicode_width::UnicodeWidthStr::width(*d)
            })
            .sum::<usize>()
            + 2 * hs.len().saturating_sub(1)
    };
    let mut shown = hints;
    while shown.len() > 2 && width(&shown) > area.width as usize {
        shown.remove(shown.len() - 2);
    }
    let mut spans = Vec::new();
    for (k, d) in shown {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(k, style::key()));
        spans.push(Span::raw(" "));
        spans.push(Span::raw(d));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Cuts `s` to `width` columns, marking the cut with an ellipsis.
pub fn truncate(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if unicode_width::UnicodeWidthStr::width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// The help entries for the screen under an overlay.
pub(crate) fn help_mode(app: &App) -> Mode {
    match app.screen {
        Screen::Setup(_) => Mode::Setup,
        Screen::Home => Mode::Home,
        Screen::Interview => Mode::Interview,
        Screen::Jump(_) => Mode::List,
        Screen::Review(_) => Mode::Review,
        Screen::Report(_) => Mode::Report,
    }
}
