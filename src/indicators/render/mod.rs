//! Indicator reports as a terminal table, CSV for analysts, and one self-contained HTML file.

pub mod csv;
pub mod html;
pub mod table;

use super::compute::{IndicatorResult, Report};
use super::stats::Tally;

/// One line of a report: the total or a breakdown cell.
pub struct Row<'a> {
    /// "" for the total.
    pub breakdown: String,
    pub cell: String,
    pub tally: &'a Tally,
}

/// Total first, then each breakdown's cells.
pub fn rows<'a>(r: &'a IndicatorResult, lang: &str) -> Vec<Row<'a>> {
    let mut out = vec![Row {
        breakdown: String::new(),
        cell: words(lang).total.to_string(),
        tally: &r.total,
    }];
    for b in &r.by {
        for (cell, t) in &b.cells {
            out.push(Row {
                breakdown: b.label.get(lang).to_string(),
                cell: cell.clone(),
                tally: t,
            });
        }
    }
    out
}

pub struct Words {
    pub total: &'static str,
    pub too_few: &'static str,
    pub target: &'static str,
    pub interviews: &'static str,
    pub ended: &'static str,
    pub proportion: &'static str,
    pub yes: &'static str,
    pub gap: &'static str,
}

pub fn words(lang: &str) -> &'static Words {
    const VI: Words = Words {
        total: "Tổng",
        too_few: "quá ít để kết luận",
        target: "mục tiêu",
        interviews: "bài phỏng vấn hoàn thành",
        ended: "dừng sớm",
        proportion: "tỷ lệ",
        yes: "đạt",
        gap: "so với mục tiêu",
    };
    const EN: Words = Words {
        total: "Total",
        too_few: "too few to say",
        target: "target",
        interviews: "completed interviews",
        ended: "ended early",
        proportion: "proportion",
        yes: "yes",
        gap: "gap to target",
    };
    match crate::lang::Lang::from_code(lang) {
        crate::lang::Lang::Vi => &VI,
        crate::lang::Lang::En => &EN,
    }
}

pub(crate) fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// A 95% interval as "62.7–63.3%".
pub fn ci(lo: f64, hi: f64) -> String {
    format!("{:.1}–{:.1}%", lo * 100.0, hi * 100.0)
}

/// Percentage points above (+) or below (−) a target.
pub(crate) fn gap(p: f64, target: f64) -> String {
    let d = (p - target) * 100.0;
    format!("{}{:.1}", if d >= 0.0 { "+" } else { "−" }, d.abs())
}

/// "2025: 30% · 2030: 35%".
pub fn targets(r: &IndicatorResult) -> String {
    r.targets
        .iter()
        .map(|(y, t)| format!("{y}: {}", pct(*t)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// "120 completed interviews; ended early: declined 4, withdrawn 1".
pub(crate) fn summary(rep: &Report, lang: &str) -> String {
    let w = words(lang);
    let mut s = format!("{} {}", rep.interviews, w.interviews);
    if !rep.ended.is_empty() {
        let ended: Vec<String> = rep
            .ended
            .iter()
            .map(|(k, v)| format!("{} {v}", reason(k, lang)))
            .collect();
        s.push_str(&format!("; {}: {}", w.ended, ended.join(", ")));
    }
    s
}

/// Why an interview ended early, in words.
pub fn reason<'a>(code: &'a str, lang: &str) -> &'a str {
    let vi = crate::lang::Lang::from_code(lang) == crate::lang::Lang::Vi;
    match code {
        "declined" => {
            if vi {
                "không đồng ý"
            } else {
                "declined"
            }
        }
        "withdrawn" => {
            if vi {
                "rút lui"
            } else {
                "withdrawn"
            }
        }
        "not_eligible" => {
            if vi {
                "không thuộc đối tượng"
            } else {
                "not eligible"
            }
        }
        "discarded" => {
            if vi {
                "bỏ"
            } else {
                "discarded"
            }
        }
        "retention" => {
            if vi {
                "hết hạn lưu"
            } else {
                "retention"
            }
        }
        other => other,
    }
}
