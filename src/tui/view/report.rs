//! The indicators screen: a gauge per indicator against its targets, and the bars of one
//! indicator by one breakdown, each with its n and the target drawn across it. A value below
//! its target is drawn in another colour and marked ▼ (legible without colour too).

use super::style;
use crate::indicators::compute::{Breakdown, IndicatorResult, Report};
use crate::indicators::render::{
    BELOW_MARK, below, ci, count, current_target, gap, pct, period, words,
};
use crate::indicators::stats::Tally;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// Where the target falls on a bar.
const TARGET_MARK: char = '┃';

/// The report itself, also used by the hub's report viewer (no interview app around it).
pub fn draw_report(rep: &Report, sel: (usize, usize), lang: &str, f: &mut Frame, area: Rect) {
    let n = rep.results.len() as u16;
    let [title, gauges, chart] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(n * 2),
        Constraint::Min(4),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(vec![
            Line::styled(rep.form_title.get(lang).to_string(), style::title()),
            Line::styled(crate::indicators::render::summary(rep, lang), style::dim()),
            Line::styled(period(rep, lang), style::dim()),
        ])
        // Never cut a number off at the edge: wrap instead.
        .wrap(Wrap { trim: true }),
        title,
    );
    gauges_for(rep, sel.0, lang, f, gauges);
    let Some(r) = rep.results.get(sel.0) else {
        return;
    };
    let Some(b) = r.by.get(sel.1) else {
        return;
    };
    breakdown_bars(rep, r, b, lang, f, chart);
}

fn below_style() -> Style {
    style::error().remove_modifier(Modifier::BOLD)
}

/// One gauge per indicator: its proportion, interval, n and the gap to each target.
fn gauges_for(rep: &Report, selected: usize, lang: &str, f: &mut Frame, gauges: Rect) {
    let rw = words(lang);
    let rows = Layout::vertical(vec![Constraint::Length(2); rep.results.len()]).split(gauges);
    for (k, (r, row)) in rep.results.iter().zip(rows.iter()).enumerate() {
        let [label, bar] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(*row);
        let mark = if k == selected { "› " } else { "  " };
        f.render_widget(
            Paragraph::new(Line::styled(
                format!("{mark}{}", r.label.get(lang)),
                style::title(),
            )),
            label,
        );
        let target = current_target(r, rep);
        let low = below(&r.total, target);
        let text = match (r.total.proportion(), r.total.wilson()) {
            (Some(p), Some((lo, hi))) if r.total.enough() => {
                let gaps: Vec<String> = r
                    .targets
                    .iter()
                    .map(|(y, t)| format!("{y} {} {}", pct(*t, lang), gap(p, *t, lang)))
                    .collect();
                let mark = if low {
                    format!("{BELOW_MARK} ")
                } else {
                    String::new()
                };
                let mut s = format!(
                    "{mark}{} ({}) n={}",
                    crate::indicators::render::shown(&r.total, p, lang),
                    ci(lo, hi, lang),
                    count(r.total.n, lang),
                );
                if !gaps.is_empty() {
                    s.push_str(&format!(" · {}: {}", rw.target, gaps.join(", ")));
                }
                // The design effect where the line has room for it (never cutting the targets).
                let (deff, _) = crate::indicators::render::design_figures(&r.total, lang);
                let with = format!("{s} · deff {deff}");
                if !deff.is_empty() && with.width() <= usize::from(bar.width) {
                    with
                } else {
                    s
                }
            }
            _ => format!("{} (n={})", rw.too_few, r.total.n),
        };
        let ratio = if r.total.enough() {
            r.total.proportion().unwrap_or(0.0)
        } else {
            0.0
        };
        let gauge_style = if low { below_style() } else { style::good() };
        f.render_widget(
            Gauge::default()
                .ratio(ratio.clamp(0.0, 1.0))
                .label(text)
                .gauge_style(gauge_style),
            bar,
        );
    }
}

/// The chosen indicator's bars for the chosen breakdown: name, bar with the target across
/// it, value and n (too few interviews show only their n). Titles wrap instead of being cut.
fn breakdown_bars(
    rep: &Report,
    r: &IndicatorResult,
    b: &Breakdown,
    lang: &str,
    f: &mut Frame,
    area: Rect,
) {
    let target = current_target(r, rep);
    let mut head = vec![Span::styled(
        format!("{} · {}", b.label.get(lang), r.label.get(lang)),
        style::title(),
    )];
    if let Some((year, t)) = target {
        head.push(Span::styled(
            format!(
                "  {TARGET_MARK} {} {year}: {}",
                words(lang).target,
                pct(t, lang)
            ),
            style::dim(),
        ));
    }
    let block = Block::default().borders(Borders::ALL);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let head_w: usize = head.iter().map(|s| s.content.width()).sum();
    // Word wrapping may take a line more than the bare width says.
    let title_h = (head_w / (inner.width.max(1) as usize) + 1).min(3) as u16
        + u16::from(head_w > inner.width as usize);
    let [title, body] =
        Layout::vertical([Constraint::Length(title_h), Constraint::Min(1)]).areas(inner);
    f.render_widget(
        Paragraph::new(Line::from(head)).wrap(Wrap { trim: true }),
        title,
    );
    let name_w = (inner.width / 3).clamp(8, 24) as usize;
    let value_w = 18usize;
    let bar_w = (inner.width as usize)
        .saturating_sub(name_w + value_w + 2)
        .max(4);
    let lines: Vec<Line> = b
        .ordered()
        .into_iter()
        .map(|(cell, t)| bar_line(&b.name(cell, lang), t, target, (name_w, bar_w), lang))
        .collect();
    f.render_widget(Paragraph::new(lines), body);
}

/// `name  ██████┃███       63,1% n=120` (or `▼` and the below-target colour).
fn bar_line<'a>(
    name: &str,
    t: &Tally,
    target: Option<(i32, f64)>,
    (name_w, bar_w): (usize, usize),
    lang: &str,
) -> Line<'a> {
    let shown = super::truncate(name, name_w.saturating_sub(1));
    let pad = name_w.saturating_sub(shown.width());
    let mut spans = vec![Span::raw(format!("{shown}{} ", " ".repeat(pad)))];
    let p = t.proportion().filter(|_| t.enough());
    let low = below(t, target);
    let filled = p.map_or(0, |p| (p.clamp(0.0, 1.0) * bar_w as f64).round() as usize);
    let at = target.map(|(_, goal)| ((goal * bar_w as f64).round() as usize).min(bar_w - 1));
    let fill_style = if low { below_style() } else { style::good() };
    for i in 0..bar_w {
        if Some(i) == at {
            spans.push(Span::styled(TARGET_MARK.to_string(), style::title()));
        } else if i < filled {
            spans.push(Span::styled("█", fill_style));
        } else {
            spans.push(Span::raw(" "));
        }
    }
    let value = match p {
        Some(p) if low => format!(
            " {BELOW_MARK}{} n={}",
            crate::indicators::render::shown(t, p, lang),
            count(t.n, lang)
        ),
        Some(p) => format!(
            "  {} n={}",
            crate::indicators::render::shown(t, p, lang),
            count(t.n, lang)
        ),
        None => format!("  n={}", count(t.n, lang)),
    };
    spans.push(Span::styled(
        value,
        if low { below_style() } else { Style::default() },
    ));
    Line::from(spans)
}
