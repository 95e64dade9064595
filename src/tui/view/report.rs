//! The indicators screen: a gauge per indicator against its targets, and a bar chart of one
//! indicator by one breakdown.

use super::style;
use crate::indicators::render::{ci, gap, pct};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Gauge, Paragraph};

/// The report itself, also used by the hub's report viewer (no interview app around it).
pub fn draw_report(
    rep: &crate::indicators::compute::Report,
    sel: (usize, usize),
    lang: &str,
    f: &mut Frame,
    area: Rect,
) {
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
        ])
        // Never cut a number off at the edge: wrap instead.
        .wrap(ratatui::widgets::Wrap { trim: true }),
        title,
    );
    gauges_for(rep, sel.0, lang, f, gauges);
    let Some(r) = rep.results.get(sel.0) else {
        return;
    };
    let Some(b) = r.by.get(sel.1) else {
        return;
    };
    breakdown_chart(r, b, lang, f, chart);
}

/// One gauge per indicator: its proportion, interval, n and the gap to each target.
fn gauges_for(
    rep: &crate::indicators::compute::Report,
    selected: usize,
    lang: &str,
    f: &mut Frame,
    gauges: Rect,
) {
    let rw = crate::indicators::render::words(lang);
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
        let text = match (r.total.proportion(), r.total.wilson()) {
            (Some(p), Some((lo, hi))) if r.total.enough() => {
                let gaps: Vec<String> = r
                    .targets
                    .iter()
                    .map(|(y, t)| format!("{y} {} {}", pct(*t), gap(p, *t)))
                    .collect();
                format!(
                    "{} ({}) n={} · {}: {}",
                    pct(p),
                    ci(lo, hi),
                    r.total.n,
                    rw.target,
                    gaps.join(", ")
                )
            }
            _ => format!("{} (n={})", rw.too_few, r.total.n),
        };
        let ratio = if r.total.enough() {
            r.total.proportion().unwrap_or(0.0)
        } else {
            0.0
        };
        f.render_widget(
            Gauge::default()
                .ratio(ratio.clamp(0.0, 1.0))
                .label(text)
                .gauge_style(style::good()),
            bar,
        );
    }
}

/// The chosen indicator's bars for the chosen breakdown (too few interviews show as `n=`).
fn breakdown_chart(
    r: &crate::indicators::compute::IndicatorResult,
    b: &crate::indicators::compute::Breakdown,
    lang: &str,
    f: &mut Frame,
    chart: Rect,
) {
    let bars: Vec<Bar> = b
        .cells
        .iter()
        .map(|(cell, t)| {
            let (v, shown) = match t.proportion() {
                Some(p) if t.enough() => ((p * 1000.0).round() as u64, pct(p)),
                _ => (0, format!("n={}", t.n)),
            };
            Bar::new(v)
                .label(Line::from(cell.clone()))
                .text_value(shown)
        })
        .collect();
    let block = Block::default().borders(Borders::ALL).title(format!(
        " {} · {} ",
        r.label.get(lang),
        b.label.get(lang)
    ));
    let chart_w = BarChart::default()
        .block(block)
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .max(1000)
        .data(BarGroup::new(bars));
    f.render_widget(chart_w, chart);
}
