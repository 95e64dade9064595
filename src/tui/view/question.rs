//! One question per screen: label, hint, the input for its type, and any message in place.

use super::style;
use crate::form::Kind;
use crate::interview::Item;
use crate::tui::app::App;
use crate::tui::input::Input;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

pub fn draw(app: &App, f: &mut Frame, area: Rect) {
    let Some(s) = &app.session else { return };
    let Some(item) = s.iv.current() else { return };
    let head = head(app, item);
    let head_height = wrapped_height(&head, area.width)
        .min(area.height / 2)
        .max(1);
    // One blank row between the question and its input.
    let [top, _, body, msg] = Layout::vertical([
        Constraint::Length(head_height),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(if app.message.is_some() { 2 } else { 0 }),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), top);
    input(app, item, f, body);
    if let Some(m) = &app.message {
        f.render_widget(
            Paragraph::new(Line::styled(format!("✗ {m}"), style::error()))
                .wrap(Wrap { trim: true }),
            msg,
        );
    }
}

/// Where we are (groups, the instance inside a repeat), the label, required mark and hint.
fn head<'a>(app: &'a App, item: &Item) -> Vec<Line<'a>> {
    let mut head: Vec<Line> = Vec::new();
    let Some(s) = &app.session else { return head };
    let (w, lang) = (app.w(), app.lang.code());
    let (node, path) = match item {
        Item::Question { node, path } => (*node, path.as_slice()),
        Item::AddRepeat { repeat, path } => (*repeat, path.as_slice()),
    };
    let crumbs = super::breadcrumb(app, node, path);
    if !crumbs.is_empty() {
        head.push(Line::styled(format!("{crumbs} ›"), style::dim()));
    }
    match item {
        Item::AddRepeat { repeat, .. } => {
            let n = s.iv.form().node(*repeat);
            let label = n
                .label
                .as_ref()
                .map_or(n.name.clone(), |t| t.get(lang).to_string());
            head.push(Line::styled(label, style::title()));
            head.push(Line::raw(w.add_another));
        }
        Item::Question { node, path } => {
            let mut label = vec![Span::styled(s.iv.label(*node, path), style::title())];
            if s.iv.is_required(*node, path) {
                label.push(Span::styled(format!("  * {}", w.required), style::dim()));
            }
            head.push(Line::from(label));
            if let Some(h) = s.iv.hint(*node, path) {
                head.push(Line::styled(h, style::hint()));
            }
            // For the surveyor only: marked, so it is never read out to the child.
            if let Some(g) = s.iv.guidance(*node, path) {
                head.push(Line::styled(
                    format!("▸ {}: {g}", w.for_surveyor),
                    style::guidance(),
                ));
            }
        }
    }
    head
}

/// The one-line help under the input: how to enter this question's type.
fn input_hint(app: &App, item: &Item) -> Option<&'static str> {
    let w = app.w();
    let Item::Question { node, .. } = item else {
        return None;
    };
    let s = app.session.as_ref()?;
    match &s.iv.form().node(*node).kind {
        Kind::Date => Some(w.date_hint),
        Kind::Time => Some(w.time_hint),
        Kind::DateTime => Some(w.datetime_hint),
        Kind::Integer | Kind::Decimal => Some(w.number_hint),
        Kind::Rank(_) => Some(w.rank_hint),
        Kind::Range(_) => Some(w.range_hint),
        Kind::SelectOne(_) => Some(w.select_one_hint),
        Kind::SelectMultiple(_) => Some(w.select_multiple_hint),
        Kind::Acknowledge => Some(w.ack_hint),
        Kind::Text
            if matches!(
                app.input,
                Input::Text {
                    multiline: true,
                    ..
                }
            ) =>
        {
            Some(w.multiline_hint)
        }
        _ => None,
    }
}

/// The input for the question's type, with its hint.
fn input(app: &App, item: &Item, f: &mut Frame, body: Rect) {
    let Some(s) = &app.session else { return };
    let (w, lang) = (app.w(), app.lang.code());
    let hint_for_input = input_hint(app, item);
    let choice_label = |name: &str| -> String {
        let Item::Question { node, .. } = item else {
            return name.to_string();
        };
        s.iv.form()
            .list_of(*node)
            .and_then(|l| l.find(name))
            .map_or(name.to_string(), |c| c.label.get(lang).to_string())
    };
    match &app.input {
        Input::None => {}
        Input::Text { ed, multiline, .. } => text_field(f, body, ed, *multiline, hint_for_input),
        Input::Choice {
            names,
            cursor,
            picked,
            multi,
            ..
        } => {
            if names.is_empty() {
                f.render_widget(
                    Paragraph::new(Line::styled(w.no_choices, style::error())),
                    body,
                );
                return;
            }
            let items = choice_items(names, picked, *multi, &choice_label);
            list_with_hint(f, body, items, *cursor, hint_for_input);
        }
        Input::Rank { order, cursor, set } => {
            // Numbers only once the order is an answer; before that it is just the list.
            let items: Vec<ListItem> = order
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let mark = if *set {
                        format!("{}.", i + 1)
                    } else {
                        "·".into()
                    };
                    ListItem::new(format!("{mark} {}", choice_label(n)))
                })
                .collect();
            list_with_hint(f, body, items, *cursor, hint_for_input);
        }
        Input::Range { values, idx } => range(f, body, values, *idx, hint_for_input),
        Input::Ack(on) => {
            let text = if *on {
                format!("[x] {}", w.ack_done)
            } else {
                "[ ] OK".to_string()
            };
            let mut lines = vec![Line::raw(text)];
            if let Some(h) = hint_for_input {
                lines.push(Line::styled(h, style::hint()));
            }
            f.render_widget(Paragraph::new(lines), body);
        }
        Input::AddRepeat(yes) => add_repeat(f, body, *yes, w),
    }
}

/// A text box (taller when it takes several lines) with the cursor placed in it.
fn text_field(
    f: &mut Frame,
    body: Rect,
    ed: &crate::tui::editor::Editor,
    multiline: bool,
    hint: Option<&str>,
) {
    let rows = if multiline {
        5.min(body.height.saturating_sub(1)).max(3)
    } else {
        3
    };
    let [field, below] =
        Layout::vertical([Constraint::Length(rows), Constraint::Min(0)]).areas(body);
    let block = Block::default().borders(Borders::ALL);
    let inner = block.inner(field);
    f.render_widget(Paragraph::new(ed.text().to_string()).block(block), field);
    let (line, col) = ed.cursor_line_col();
    if (line as u16) < inner.height {
        f.set_cursor_position(Position {
            x: inner.x + (col as u16).min(inner.width.saturating_sub(1)),
            y: inner.y + line as u16,
        });
    }
    if let Some(h) = hint {
        f.render_widget(Paragraph::new(Line::styled(h, style::hint())), below);
    }
}

/// "Add another …?" as a yes/no pair.
fn add_repeat(f: &mut Frame, body: Rect, yes: bool, w: &crate::tui::text::Words) {
    let opt = |on: bool, t: &str| {
        if on {
            format!("› (•) {t}")
        } else {
            format!("  ( ) {t}")
        }
    };
    let lines = vec![Line::raw(opt(yes, w.yes)), Line::raw(opt(!yes, w.no))];
    f.render_widget(Paragraph::new(lines), body);
}

/// Choices numbered 1–9 for picking by digit, each with its mark: `[x]` / `(•)`.
fn choice_items<'a>(
    names: &[String],
    picked: &[bool],
    multi: bool,
    label: &dyn Fn(&str) -> String,
) -> Vec<ListItem<'a>> {
    names
        .iter()
        .zip(picked)
        .enumerate()
        .map(|(i, (name, on))| {
            let mark = match (multi, on) {
                (true, true) => "[x]",
                (true, false) => "[ ]",
                (false, true) => "(•)",
                (false, false) => "( )",
            };
            let num = if i < 9 {
                format!("{}", i + 1)
            } else {
                " ".into()
            };
            ListItem::new(format!("{num} {mark} {}", label(name)))
        })
        .collect()
}

/// A scale: every value in a row, the chosen one bracketed.
fn range(f: &mut Frame, body: Rect, values: &[f64], idx: Option<usize>, hint: Option<&str>) {
    let mut spans = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let t = crate::expr::value::num_to_string(*v);
        if Some(i) == idx {
            spans.push(Span::styled(format!("[{t}]"), style::selected()));
        } else {
            spans.push(Span::raw(format!(" {t} ")));
        }
        spans.push(Span::raw(" "));
    }
    let mut lines = vec![Line::from(spans)];
    if let Some(h) = hint {
        lines.push(Line::styled(h, style::hint()));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}

fn list_with_hint(
    f: &mut Frame,
    area: Rect,
    items: Vec<ListItem>,
    cursor: usize,
    hint: Option<&str>,
) {
    let [list, h] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(if hint.is_some() { 1 } else { 0 }),
    ])
    .areas(area);
    let mut state = ListState::default().with_selected(Some(cursor));
    let widget = List::new(items)
        .highlight_style(style::selected())
        .highlight_symbol("› ");
    f.render_stateful_widget(widget, list, &mut state);
    if let Some(t) = hint {
        f.render_widget(Paragraph::new(Line::styled(t, style::hint())), h);
    }
}

/// Rows a paragraph of `lines` needs at `width`, wrapping on width alone (close enough to
/// size the label area).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let w = width.max(1) as usize;
    lines
        .iter()
        .map(|l| (l.width().max(1)).div_ceil(w) as u16)
        .sum()
}
