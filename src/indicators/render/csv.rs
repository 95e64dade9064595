//! One long CSV for analysts: a row per indicator × cell.

use super::rows;
use crate::export::csv::field;
use crate::indicators::compute::Report;

pub fn render(rep: &Report, lang: &str) -> String {
    let mut years: Vec<i32> = rep
        .results
        .iter()
        .flat_map(|r| r.targets.iter().map(|(y, _)| *y))
        .collect();
    years.sort_unstable();
    years.dedup();
    let mut head: Vec<String> = [
        "indicator",
        "label",
        "breakdown",
        "cell",
        "n",
        "numerator",
        "proportion",
        "ci_low",
        "ci_high",
        "effective_n",
        "enough",
        "se",
        "deff",
        "estimate",
        "breakdown_name",
        "cell_value",
        "caution",
    ]
    .map(String::from)
    .to_vec();
    for y in &years {
        head.push(format!("target_{y}"));
        head.push(format!("gap_{y}"));
    }
    let mut out = head.join(",") + "\r\n";
    for r in &rep.results {
        for row in rows(r, lang) {
            let t = row.tally;
            let p = t.proportion();
            let (lo, hi) = t.wilson().unwrap_or((f64::NAN, f64::NAN));
            let num = |x: f64| {
                if x.is_finite() {
                    format!("{x:.4}")
                } else {
                    String::new()
                }
            };
            let mut cols = vec![
                field(&r.id),
                field(r.label.get(lang)),
                field(&row.breakdown),
                field(&row.cell),
                t.n.to_string(),
                t.yes.to_string(),
                p.map_or(String::new(), num),
                num(lo),
                num(hi),
                num(t.effective_n()),
                if t.enough() { "1" } else { "0" }.to_string(),
                t.se().map_or(String::new(), |x| format!("{x:.10}")),
                t.deff().map_or(String::new(), num),
                p.map_or(String::new(), |x| format!("{x:.10}")),
                field(&row.key.0),
                field(&row.key.1),
                if t.caution() { "1" } else { "0" }.to_string(),
            ];
            for y in &years {
                match r.targets.iter().find(|(ty, _)| ty == y) {
                    Some((_, target)) => {
                        cols.push(num(*target));
                        cols.push(p.map_or(String::new(), |p| num(p - target)));
                    }
                    None => cols.extend([String::new(), String::new()]),
                }
            }
            out.push_str(&cols.join(","));
            out.push_str("\r\n");
        }
    }
    out
}
