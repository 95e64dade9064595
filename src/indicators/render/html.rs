//! One self-contained, printable HTML file: an inline SVG bar chart per indicator, with
//! 95% interval whiskers and target lines, the numbers in a table, and the rounds side by
//! side when the data spans several. No JavaScript. A bar below its target is drawn in
//! another colour *and* marked ▼, so the difference survives a monochrome print.

use super::{
    BELOW_MARK, Row, below, ci, count, current_target, gap, pct, period, rows, summary, targets,
    words,
};
use crate::indicators::compute::{IndicatorResult, Report};
use crate::indicators::stats::Tally;
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
const GOOD: &str = "#2e6da4";
const BELOW: &str = "#c25400";

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:0.5em 0 2em}td,th{border:1px solid #bbb;padding:2px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}.few{color:#777;font-style:italic}\
tr.section th{text-align:left;background:#eee}td.inner{padding-left:2em}\
.below{color:#c25400;font-weight:bold}.meta{color:#555}\
svg.chart{width:100%;height:auto;display:block}\
section{page-break-inside:avoid;break-inside:avoid}\
@media print{body{margin:0;max-width:none}}";

pub fn render(rep: &Report, lang: &str) -> String {
    let w = words(lang);
    let title = esc(rep.form_title.get(lang));
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\" xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p class=\"meta\">{}</p>\n<p class=\"meta\">{}</p>\n<p class=\"meta\">{}</p>\n",
        esc(&period(rep, lang)),
        esc(&summary(rep, lang)),
        esc(&super::method(rep, lang)),
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\"><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" fill=\"{GOOD}\"/></svg> {} · <svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" fill=\"{BELOW}\"/></svg> <span class=\"below\">{BELOW_MARK}</span> {} · {}</p>",
        w.at_or_above, w.below, w.whisker
    );
    for line in super::plan_lines(rep, lang) {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", esc(&line));
    }
    plan_table(&mut out, rep, lang);
    for r in &rep.results {
        section(&mut out, rep, r, lang);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn section(out: &mut String, rep: &Report, r: &IndicatorResult, lang: &str) {
    let w = words(lang);
    let rs = rows(r, lang);
    let target = current_target(r, rep);
    let _ = writeln!(out, "<section>\n<h2>{}</h2>", esc(r.label.get(lang)));
    if !r.targets.is_empty() {
        let _ = writeln!(out, "<p>{}: {}</p>", w.target, esc(&targets(r, lang)));
    }
    // Each section (a breakdown) gets a heading line of its own, as in the table.
    let mut bars: Vec<Bar> = Vec::new();
    let mut current = "";
    for row in &rs {
        if row.section != current {
            current = &row.section;
            bars.push(Bar {
                name: row.section.clone(),
                bold: true,
                tally: None,
            });
        }
        let indent = if row.depth > 0 {
            "    "
        } else if row.breakdown.is_empty() {
            ""
        } else {
            "  "
        };
        bars.push(Bar {
            name: format!("{indent}{}", row.cell),
            bold: row.breakdown.is_empty(),
            tally: Some(row.tally),
        });
    }
    chart(out, &bars, &r.targets, target, lang);
    table(out, r, &rs, (target, rep.design.is_some()), lang);
    if r.rounds.len() > 1 {
        let _ = writeln!(out, "<h3>{}</h3>", w.by_round);
        let bars: Vec<Bar> = r
            .rounds
            .iter()
            .map(|(round, t)| Bar {
                name: format!("{} {round}", w.round),
                bold: false,
                tally: Some(t),
            })
            .collect();
        chart(out, &bars, &r.targets, target, lang);
        if let Some(c) = super::change_line(r, lang) {
            let _ = writeln!(out, "<p>{}</p>", esc(&c));
        }
    }
    out.push_str("</section>\n");
}

/// Each selected commune: children planned, interviews done, and the share.
fn plan_table(out: &mut String, rep: &Report, lang: &str) {
    let Some(a) = &rep.achieved else {
        return;
    };
    let vi = lang == "vi";
    let head = if vi {
        ["Tỉnh", "Xã", "Kế hoạch", "Đã phỏng vấn", "%"]
    } else {
        ["Province", "Commune", "Planned", "Interviewed", "%"]
    };
    let _ = write!(
        out,
        "<details><summary>{}</summary>\n<table>\n<tr>",
        head[0..2].join(" / ")
    );
    for h in head {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr>\n");
    for (p, c, planned, done) in &a.communes {
        let share = if *planned > 0 {
            pct(*done as f64 / *planned as f64, lang)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{share}</td></tr>",
            esc(p),
            esc(c),
            count(*planned, lang),
            count(*done, lang)
        );
    }
    out.push_str("</table></details>\n");
}

fn table(
    out: &mut String,
    r: &IndicatorResult,
    rs: &[Row],
    (target, design): (Option<(i32, f64)>, bool),
    lang: &str,
) {
    let w = words(lang);
    let _ = write!(
        out,
        "<table>\n<tr><th></th><th>n</th><th>{}</th><th>%</th><th>{}</th>",
        w.yes, w.ci
    );
    for (y, _) in &r.targets {
        let _ = write!(out, "<th>{} {y}</th>", w.gap);
    }
    // With a sample design: what clustering and weighting cost, cell by cell.
    if design {
        let _ = write!(out, "<th>{}</th><th>{}</th>", w.deff, w.n_eff);
    }
    out.push_str("</tr>\n");
    let cols = 5 + r.targets.len() + if design { 2 } else { 0 };
    let mut section = "";
    for row in rs {
        if row.section != section {
            section = &row.section;
            let _ = writeln!(
                out,
                "<tr class=\"section\"><th colspan=\"{cols}\">{}</th></tr>",
                esc(section)
            );
        }
        let class = if row.depth > 0 {
            " class=\"inner\""
        } else {
            ""
        };
        let t = row.tally;
        let _ = write!(
            out,
            "<tr><td{class}>{}</td><td>{}</td><td>{}</td>",
            esc(&row.cell),
            count(t.n, lang),
            count(t.yes, lang)
        );
        match (t.proportion(), t.wilson()) {
            (Some(p), Some((lo, hi))) if t.enough() => {
                let mark = if below(t, target) {
                    let v = super::shown(t, p, lang);
                    format!("<span class=\"below\">{BELOW_MARK} {v}</span>")
                } else {
                    super::shown(t, p, lang)
                };
                let _ = write!(out, "<td>{mark}</td><td>{}</td>", ci(lo, hi, lang));
                for (_, goal) in &r.targets {
                    let _ = write!(out, "<td>{}</td>", gap(p, *goal, lang));
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
        if design {
            let (d, n) = super::design_figures(t, lang);
            let _ = write!(out, "<td>{d}</td><td>{n}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// One bar of a chart, or a heading (no tally).
struct Bar<'a> {
    name: String,
    bold: bool,
    tally: Option<&'a Tally>,
}

/// A horizontal bar chart that scales to the page (its viewBox keeps the proportions).
fn chart(
    out: &mut String,
    bars: &[Bar],
    targets: &[(i32, f64)],
    target: Option<(i32, f64)>,
    lang: &str,
) {
    let height = ROW_H * (bars.len() as f64 + 1.5);
    let width = LABEL_W + BAR_W + 130.0;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\">"
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
            pct(p, lang)
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        chart_row(out, bar, ROW_H * (i as f64 + 1.0), &x, target, lang);
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
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/><text x=\"{0:.1}\" y=\"{3}\" font-size=\"10\" fill=\"#555\" text-anchor=\"middle\">{4}</text>",
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
fn chart_row(
    out: &mut String,
    bar: &Bar,
    y: f64,
    x: &dyn Fn(f64) -> f64,
    target: Option<(i32, f64)>,
    lang: &str,
) {
    let name: String = bar.name.chars().take(36).collect();
    let weight = if bar.bold {
        " font-weight=\"bold\""
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<text x=\"0\" y=\"{}\" font-size=\"12\" xml:space=\"preserve\"{weight}>{}</text>",
        y + 15.0,
        esc(&name)
    );
    let Some(t) = bar.tally else {
        return;
    };
    match (t.proportion(), t.wilson()) {
        (Some(p), Some((lo, hi))) if t.enough() => {
            let low = below(t, target);
            let (fill, mark) = if low {
                (BELOW, format!("{BELOW_MARK} "))
            } else {
                (GOOD, String::new())
            };
            let _ = writeln!(
                out,
                "<rect x=\"{bx}\" y=\"{by}\" width=\"{bw:.1}\" height=\"{bh}\" fill=\"{fill}\"/>\n<line x1=\"{lo:.1}\" y1=\"{my}\" x2=\"{hi:.1}\" y2=\"{my}\" stroke=\"#222\" stroke-width=\"1.5\"/>\n<text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"11\">{mark}{label} <tspan fill=\"#777\">n={n}</tspan></text>",
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
                label = super::shown(t, p, lang),
                n = count(t.n, lang),
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#777\" font-style=\"italic\">{} (n={})</text>",
                LABEL_W + 4.0,
                y + 15.0,
                words(lang).too_few,
                t.n
            );
        }
    }
}
