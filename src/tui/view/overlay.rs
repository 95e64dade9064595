//! Pop-ups over the screen: help, stop, confirmations, referral, interview ended.

use super::style;
use crate::tui::app::{App, Ending, Overlay};
use crate::tui::keymap::table;
use crate::tui::text::Lang;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(app: &App, o: &Overlay, f: &mut Frame, area: Rect) {
    let (title, lines) = content(app, o);
    boxed(f, area, title, lines);
}

/// A message, a blank line, and the keys that answer it.
fn message<'a>(body: &'a str, keys: &'a str, keys_style: ratatui::style::Style) -> Vec<Line<'a>> {
    vec![
        Line::raw(body),
        Line::raw(""),
        Line::styled(keys, keys_style),
    ]
}

/// Each overlay's title and lines.
fn content(app: &App, o: &Overlay) -> (&'static str, Vec<Line<'static>>) {
    let w = app.w();
    match o {
        Overlay::Help(under) => {
            let mode = under
                .as_deref()
                .map_or_else(|| super::help_mode(app), dialog_mode);
            let lines = table(mode)
                .into_iter()
                .filter(|b| b.in_help())
                .map(|b| {
                    Line::from(vec![
                        Span::styled(format!("{:<12}", b.label_in(app.lang)), style::key()),
                        Span::raw(if app.lang == Lang::Vi { b.vi } else { b.en }),
                    ])
                })
                .chain([Line::raw(""), Line::styled(w.close_keys, style::dim())])
                .collect();
            (w.help_title, lines)
        }
        Overlay::Stop => (
            w.stop_title,
            vec![
                Line::raw(w.stop_pause),
                Line::raw(w.stop_withdraw),
                Line::raw(""),
                Line::styled(w.stop_cancel, style::dim()),
            ],
        ),
        Overlay::ConfirmWithdraw => (
            w.stop_title,
            message(w.confirm_withdraw, w.yes_no_keys, style::key()),
        ),
        Overlay::ConfirmDiscard(_) => (
            w.drafts,
            message(w.confirm_discard, w.yes_no_keys, style::key()),
        ),
        Overlay::ConfirmFinalize => (
            w.review_title,
            message(w.confirm_finalize, w.yes_no_keys, style::key()),
        ),
        Overlay::ConfirmQuit => (
            "Lắng Nghe",
            message(w.confirm_quit, w.yes_no_keys, style::key()),
        ),
        Overlay::Referral(on) => (
            w.referral_title,
            message(
                if *on { w.referral_body } else { w.referral_off },
                w.close_keys,
                style::dim(),
            ),
        ),
        Overlay::ConfirmEnd(end) => (w.ended_title, ending(app, end)),
    }
}

/// The form's own closing note (as written for the child), then what ending means, then
/// the keys.
fn ending(app: &App, end: &Ending) -> Vec<Line<'static>> {
    let w = app.w();
    let mut lines = Vec::new();
    if let (Some((node, path)), Some(s)) = (&end.note, &app.session) {
        lines.push(Line::styled(s.iv.label(*node, path), style::title()));
        lines.push(Line::raw(""));
    }
    let text = if end.reason == "not_eligible" {
        w.ended_not_eligible
    } else {
        w.ended_declined
    };
    lines.extend(message(text, w.end_keys, style::key()));
    lines
}

/// The key table a dialog answers to, for help opened over it.
fn dialog_mode(o: &Overlay) -> crate::tui::keymap::Mode {
    use crate::tui::keymap::Mode;
    match o {
        Overlay::Stop => Mode::Stop,
        Overlay::Help(_) | Overlay::Referral(_) => Mode::Notice,
        _ => Mode::Confirm,
    }
}

/// Draws `lines` in a titled box centred on `area`, tall enough for them wrapped.
fn boxed(f: &mut Frame, area: Rect, title: &str, lines: Vec<Line>) {
    let width = area.width.saturating_sub(8).min(72);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    let height = (lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w) as u16)
        .sum::<u16>()
        + 2)
    .min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), style::title()));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
