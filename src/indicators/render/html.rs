//! One self-contained, printable HTML file: an inline SVG bar chart per indicator, with
//! 95% interval whiskers and target lines, and the numbers in a table. No JavaScript.

use super::{Row, ci, gap, pct, rows, summary, targets, words};
use crate::indicators::compute::Report;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const LABEL_W: f64 = 240.0;
const BAR_W: f64 = 420.0;
const ROW_H: f64 = 22.0;

pub fn render(rep: &Report, lang: &str) -> String {
    let w = words(lang);
    let title = esc(rep.form_title.get(lang));
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\" xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{title}</title>\n<style>\
body{{font-family:sans-serif;margin:2em;max-width:60em;color:#222}}\
table{{border-collapse:collapse;margin:0.5em 0 2em}}td,th{{border:1px solid #bbb;padding:2px 8px;text-align:right}}\
td:first-child,th:first-child{{text-align:left}}.few{{color:#777;font-style:italic}}\
section{{page-break-inside:avoid}}\
</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>{}</p>\n",
        esc(&summary(rep, lang))
    );
    for r in &rep.results {
        let rs = rows(r, lang);
        let _ = writeln!(out, "<section>\n<h2>{}</h2>", esc(r.label.get(lang)));
        if !r.targets.is_empty() {
            let _ = writeln!(out, "<p>{}: {}</p>", w.target, esc(&targets(r)));
        }
        chart(&mut out, &rs, &r.targets, w);
        let _ = write!(
            out,
            "<table>\n<tr><th></th><th>n</th><th>{}</th><th>%</th><th>95% CI</th>",
            w.yes
        );
        for (y, _) in &r.targets {
            let _ = write!(out, "<th>{} {y}</th>", w.gap);
        }
        out.push_str("</tr>\n");
        for Row {
            breakdown,
            cell,
            tally,
        } in &rs
        {
            let name = if breakdown.is_empty() {
                cell.clone()
            } else {
                format!("{breakdown}: {cell}")
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td>",
                esc(&name),
                tally.n,
                tally.yes
            );
            match (tally.proportion(), tally.wilson()) {
                (Some(p), Some((lo, hi))) if tally.enough() => {
                    let _ = write!(out, "<td>{}</td><td>{}</td>", pct(p), ci(lo, hi));
                    for (_, t) in &r.targets {
                        let _ = write!(out, "<td>{}</td>", gap(p, *t));
                    }
                }
                _ => {
                    let _ = write!(
                        out,
                        "<td class=\"few\" colspan=\"{}\">{}</td>",
                        2 + r.targets.len(),
                        w.too_few
                    );
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn chart(out: &mut String, rs: &[Row], targets: &[(i32, f64)], w: &super::Words) {
    let height = ROW_H * (rs.len() as f64 + 1.5);
    let width = LABEL_W + BAR_W + 60.0;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">"
    );
    let x = |p: f64| LABEL_W + p.clamp(0.0, 1.0) * BAR_W;
    // Axis: 0, 50, 100%.
    for p in [0.0, 0.5, 1.0] {
        let _ = writeln!(
            out,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#ddd\"/><text x=\"{0}\" y=\"{3}\" font-size=\"10\" text-anchor=\"middle\">{4}</text>",
            x(p),
            ROW_H * 0.8,
            height,
            ROW_H * 0.6,
            pct(p)
        );
    }
    for (i, row) in rs.iter().enumerate() {
        chart_row(out, row, ROW_H * (i as f64 + 1.0), &x, w);
    }
    // Target lines; labels alternate top and bottom so close targets stay readable.
    for (k, (year, t)) in targets.iter().enumerate() {
        let label_y = if k % 2 == 0 {
            height - 2.0
        } else {
            ROW_H - 2.0
        };
        let _ = writeln!(
            out,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"/><text x=\"{0:.1}\" y=\"{3}\" font-size=\"10\" fill=\"#c0392b\" text-anchor=\"middle\">{4}</text>",
            x(*t),
            ROW_H,
            height - 12.0,
            label_y,
            year
        );
    }
    out.push_str("</svg>\n");
}

/// One row of the chart at height `y`: its name, then its bar and interval (or "too few").
fn chart_row(out: &mut String, row: &Row, y: f64, x: &dyn Fn(f64) -> f64, w: &super::Words) {
    let name = if row.breakdown.is_empty() {
        row.cell.clone()
    } else {
        format!("{}: {}", row.breakdown, row.cell)
    };
    let name: String = name.chars().take(34).collect();
    let weight = if row.breakdown.is_empty() {
        " font-weight=\"bold\""
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<text x=\"0\" y=\"{}\" font-size=\"12\"{weight}>{}</text>",
        y + 15.0,
        esc(&name)
    );
    match (row.tally.proportion(), row.tally.wilson()) {
        (Some(p), Some((lo, hi))) if row.tally.enough() => {
            let _ = writeln!(
                out,
                "<rect x=\"{bx}\" y=\"{by}\" width=\"{bw:.1}\" height=\"{bh}\" fill=\"#4a7ab5\"/>\n<line x1=\"{lo:.1}\" y1=\"{my}\" x2=\"{hi:.1}\" y2=\"{my}\" stroke=\"#222\" stroke-width=\"1.5\"/>\n<text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"11\">{label}</text>",
                bx = LABEL_W,
                by = y + 4.0,
                bw = x(p) - LABEL_W,
                bh = ROW_H - 8.0,
                // The interval whisker runs through the middle of the bar.
                lo = x(lo),
                hi = x(hi),
                my = y + ROW_H / 2.0,
                tx = x(hi) + 4.0,
                ty = y + 15.0,
                label = pct(p)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#777\" font-style=\"italic\">{} (n={})</text>",
                LABEL_W + 4.0,
                y + 15.0,
                w.too_few,
                row.tally.n
            );
        }
    }
}
