//! First-run setup and the settings screen: surveyor, device label, language.

use super::style;
use crate::tui::app::Setup;
use crate::tui::text::Lang;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(s: &Setup, f: &mut Frame, area: Rect) {
    let w = s.lang.words();
    let title = if s.first_run {
        w.setup_title
    } else {
        w.settings_title
    };
    let mark = |i: usize| if s.focus == i { "› " } else { "  " };
    let field = |i: usize, label: &str, value: &str| -> Vec<Line<'static>> {
        vec![
            Line::styled(
                format!("{}{label}", mark(i)),
                if s.focus == i {
                    style::title()
                } else {
                    style::dim()
                },
            ),
            Line::raw(format!("    [{value}]")),
        ]
    };
    let mut lines = vec![Line::styled(title, style::title()), Line::raw("")];
    lines.extend(field(0, w.surveyor, s.surveyor.text()));
    lines.push(Line::raw(""));
    lines.extend(field(1, w.device_label, s.device.text()));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("{}{}", mark(2), w.language),
        if s.focus == 2 {
            style::title()
        } else {
            style::dim()
        },
    ));
    let opt = |l: Lang| {
        let on = s.lang == l;
        let text = format!(
            "{} {}",
            if on { "(•)" } else { "( )" },
            l.words().language_name
        );
        if on {
            Span::styled(text, style::title())
        } else {
            Span::raw(text)
        }
    };
    lines.push(Line::from(vec![
        Span::raw("    "),
        opt(Lang::Vi),
        Span::raw("   "),
        opt(Lang::En),
    ]));
    if s.ask_passphrase {
        lines.push(Line::raw(""));
        let dots = "•".repeat(s.passphrase.text().chars().count());
        lines.extend(field(3, w.passphrase, &dots));
        lines.push(Line::styled(
            format!("    {}", w.passphrase_why),
            style::hint(),
        ));
    }
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        area,
    );
    let (row, ed) = match s.focus {
        0 => (3, &s.surveyor),
        1 => (6, &s.device),
        3 => (12, &s.passphrase),
        _ => return,
    };
    let col = ed.cursor_line_col().1 as u16;
    f.set_cursor_position(Position {
        x: area.x + 5 + col,
        y: area.y + row,
    });
}
