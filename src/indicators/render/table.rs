//! A plain-text table for the terminal.

use super::{
    BELOW_MARK, Row, below, ci, count, current_target, gap, period, rows, summary, targets, words,
};
use crate::indicators::compute::{IndicatorResult, Report};
use std::fmt::Write;

pub fn render(rep: &Report, lang: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {}\n{}\n{}\n",
        rep.form_title.get(lang),
        summary(rep, lang),
        period(rep, lang),
        super::method(rep, lang)
    );
    for line in super::plan_lines(rep, lang) {
        let _ = writeln!(out, "{line}");
    }
    for r in &rep.results {
        indicator(&mut out, rep, r, lang);
    }
    out
}

fn indicator(out: &mut String, rep: &Report, r: &IndicatorResult, lang: &str) {
    let w = words(lang);
    if r.targets.is_empty() {
        let _ = writeln!(out, "{}", r.label.get(lang));
    } else {
        let _ = writeln!(
            out,
            "{}  ({}: {})",
            r.label.get(lang),
            w.target,
            targets(r, lang)
        );
    }
    let years: Vec<String> = r.targets.iter().map(|(y, _)| y.to_string()).collect();
    let _ = writeln!(
        out,
        "  {:<36} {:>6} {:>6} {:>7}  {:<15} {}",
        "",
        "n",
        w.yes,
        "%",
        w.ci,
        years.join("   ")
    );
    let target = current_target(r, rep);
    if rep.design.is_some()
        && let (d, n) = super::design_figures(&r.total, lang)
        && !d.is_empty()
    {
        let _ = writeln!(out, "  {} {d} · {} {n}", w.deff, w.n_eff);
    }
    let mut section = String::new();
    for row in rows(r, lang) {
        if row.section != section {
            section = row.section.clone();
            let _ = writeln!(out, "  {section}");
        }
        line(out, r, &row, target, lang);
    }
    if let Some(c) = super::change_line(r, lang) {
        let _ = writeln!(out, "  {c}");
    }
    out.push('\n');
}

/// One row of the table: its name (indented under its section), n, yes, %, interval, gaps.
fn line(out: &mut String, r: &IndicatorResult, row: &Row, target: Option<(i32, f64)>, lang: &str) {
    let w = words(lang);
    let Row {
        breakdown,
        cell,
        depth,
        tally,
        ..
    } = row;
    let indent = match (breakdown.is_empty(), depth) {
        (true, _) => "",
        (false, 0) => "  ",
        _ => "    ",
    };
    let name: String = format!("{indent}{cell}").chars().take(36).collect();
    match (tally.proportion(), tally.wilson()) {
        (Some(p), Some((lo, hi))) if tally.enough() => {
            let gaps: Vec<String> = r
                .targets
                .iter()
                .map(|(_, t)| format!("{:>6}", gap(p, *t, lang)))
                .collect();
            let mark = if below(tally, target) {
                BELOW_MARK
            } else {
                " "
            };
            let _ = writeln!(
                out,
                "  {name:<36} {:>6} {:>6} {mark}{:>6}  {:<15} {}",
                count(tally.n, lang),
                count(tally.yes, lang),
                super::shown(tally, p, lang),
                ci(lo, hi, lang),
                gaps.join(" ")
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "  {name:<36} {:>6} {:>6} {:>7}  {} (n={})",
                count(tally.n, lang),
                count(tally.yes, lang),
                "—",
                w.too_few,
                tally.n
            );
        }
    }
}
