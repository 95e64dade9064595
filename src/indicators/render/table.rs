//! A plain-text table for the terminal.

use super::{Row, ci, gap, pct, rows, summary, targets, words};
use crate::indicators::compute::Report;
use std::fmt::Write;

pub fn render(rep: &Report, lang: &str) -> String {
    let w = words(lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {}\n",
        rep.form_title.get(lang),
        summary(rep, lang)
    );
    for r in &rep.results {
        if r.targets.is_empty() {
            let _ = writeln!(out, "{}", r.label.get(lang));
        } else {
            let _ = writeln!(out, "{}  ({}: {})", r.label.get(lang), w.target, targets(r));
        }
        let years: Vec<String> = r.targets.iter().map(|(y, _)| y.to_string()).collect();
        let _ = writeln!(
            out,
            "  {:<36} {:>6} {:>6} {:>7}  {:<15} {}",
            "",
            "n",
            w.yes,
            "%",
            "95% CI",
            years.join("   ")
        );
        for Row {
            breakdown,
            cell,
            tally,
        } in rows(r, lang)
        {
            let name = if breakdown.is_empty() {
                cell
            } else {
                format!("{breakdown}: {cell}")
            };
            let name: String = name.chars().take(36).collect();
            match (tally.proportion(), tally.wilson()) {
                (Some(p), Some((lo, hi))) if tally.enough() => {
                    let gaps: Vec<String> = r
                        .targets
                        .iter()
                        .map(|(_, t)| format!("{:>6}", gap(p, *t)))
                        .collect();
                    let _ = writeln!(
                        out,
                        "  {name:<36} {:>6} {:>6} {:>7}  {:<15} {}",
                        tally.n,
                        tally.yes,
                        pct(p),
                        ci(lo, hi),
                        gaps.join(" ")
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "  {name:<36} {:>6} {:>6} {:>7}  {} (n={})",
                        tally.n, tally.yes, "—", w.too_few, tally.n
                    );
                }
            }
        }
        out.push('\n');
    }
    out
}
