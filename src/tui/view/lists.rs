//! The jump list (every reachable question with its state) and the review screen.

use super::style;
use crate::interview::Item;
use crate::tui::app::{App, Pick, ReviewList};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

/// "✓ label — answer", "! label (required)", "✗ label: message", "· label".
fn row(app: &App, item: &Item, problem: Option<&str>, width: u16) -> ListItem<'static> {
    let Some(s) = &app.session else {
        return ListItem::new("");
    };
    let w = app.w();
    let (node, path) = match item {
        Item::Question { node, path } => (*node, path.as_slice()),
        Item::AddRepeat { repeat, .. } => {
            let n = s.iv.form().node(*repeat);
            let label = n
                .label
                .as_ref()
                .map_or(n.name.clone(), |t| t.get(app.lang.code()).to_string());
            return ListItem::new(format!("+ {label}: {}", w.add_another));
        }
    };
    let value = s.iv.value(node, path);
    // Text held for the question (left unaccepted) is shown with its problem.
    let held = s.iv.held_problem(node, path).map(|m| {
        let text = s.iv.held(node, path).unwrap_or_default();
        format!("«{text}» {m}")
    });
    let problem = problem.or(held.as_deref());
    let answer = display_answer(app, node, &value.to_str());
    let label = s.iv.label(node, path);
    let takes = s.iv.form().node(node).kind.takes_answer();
    let (mark, tail, st) = match problem {
        Some(p) => ("✗", format!(" — {p}"), style::error()),
        None if !takes => (" ", String::new(), style::dim()),
        None if value.is_blank() && s.iv.is_required(node, path) => {
            ("!", format!(" — {}", w.missing), style::error())
        }
        None if value.is_blank() => ("·", String::new(), ratatui::style::Style::default()),
        None => (
            "✓",
            format!(" — {answer}"),
            ratatui::style::Style::default(),
        ),
    };
    // The answer matters more than the end of a long label: cut the label first.
    let room = width.saturating_sub(5) as usize;
    let tail = super::truncate(&tail, room / 2);
    let label = super::truncate(
        &label,
        room.saturating_sub(unicode_width::UnicodeWidthStr::width(tail.as_str())),
    );
    let text = format!("{mark} {label}{tail}");
    ListItem::new(Line::styled(text, st))
}

/// An answer as a person reads it: choice labels rather than codes.
fn display_answer(app: &App, node: crate::expr::NodeId, raw: &str) -> String {
    let Some(s) = &app.session else {
        return raw.to_string();
    };
    match s.iv.form().list_of(node) {
        Some(list) => raw
            .split_ascii_whitespace()
            .map(|n| {
                list.find(n)
                    .map_or(n.to_string(), |c| c.label.get(app.lang.code()).to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => raw.replace('\n', " "),
    }
}

pub fn jump(app: &App, pick: &Pick, f: &mut Frame, area: Rect) {
    let [title, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    f.render_widget(
        Paragraph::new(Line::styled(app.w().jump_title, style::title())),
        title,
    );
    let items: Vec<ListItem> = pick
        .items
        .iter()
        .map(|i| row(app, i, None, area.width))
        .collect();
    selectable(f, list, items, pick.sel);
}

pub fn review(app: &App, review: &ReviewList, f: &mut Frame, area: Rect) {
    let w = app.w();
    let rows = &review.rows;
    let problems = rows.iter().filter(|(_, p)| p.is_some()).count();
    let [title, summary, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(Line::styled(w.review_title, style::title())),
        title,
    );
    let line = if problems == 0 {
        Line::styled(format!("✓ {}", w.review_ready), style::good())
    } else {
        Line::styled(
            format!("✗ {problems} {}", w.review_problems),
            style::error(),
        )
    };
    f.render_widget(Paragraph::new(line), summary);
    let items: Vec<ListItem> = rows
        .iter()
        .map(|(i, p)| row(app, i, p.as_deref(), area.width))
        .collect();
    selectable(f, list, items, review.sel);
}

/// A list with the selected row highlighted and marked (not by colour alone).
fn selectable(f: &mut Frame, area: Rect, items: Vec<ListItem>, selected: usize) {
    let mut st = ListState::default().with_selected(Some(selected));
    let list = List::new(items)
        .highlight_style(style::selected())
        .highlight_symbol("› ");
    f.render_stateful_widget(list, area, &mut st);
}
