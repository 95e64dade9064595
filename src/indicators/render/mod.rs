//! Indicator reports as a terminal table, CSV for analysts, and one self-contained HTML file.

pub mod csv;
pub mod html;
pub mod table;

use super::compute::{IndicatorResult, Report};
use super::stats::Tally;
use chrono::Datelike;

/// One line of a report: the total or a breakdown cell.
pub struct Row<'a> {
    /// The section the row belongs to: "" for the total, a breakdown's label, or both labels
    /// of a breakdown shown within another ("Tỉnh / Xã").
    pub section: String,
    /// The row's own breakdown label ("" for the total).
    pub breakdown: String,
    pub cell: String,
    /// The breakdown's name and the cell's value as the indicator file and the data have
    /// them (`province`, `11`): blank for the total.
    pub key: (String, String),
    /// 1 for a cell shown under its parent's (a commune under its province).
    pub depth: u8,
    pub tally: &'a Tally,
}

/// Total first, then each breakdown's cells in its order; a breakdown `within` another has
/// its cells under their parent cells.
pub fn rows<'a>(r: &'a IndicatorResult, lang: &str) -> Vec<Row<'a>> {
    let mut out = vec![Row {
        section: String::new(),
        breakdown: String::new(),
        cell: words(lang).total.to_string(),
        key: Default::default(),
        depth: 0,
        tally: &r.total,
    }];
    for (i, b) in r.by.iter().enumerate() {
        if b.within.is_some() {
            continue;
        }
        let inner: Vec<&super::compute::Breakdown> =
            r.by.iter().filter(|c| c.within == Some(i)).collect();
        let mut section = b.label.get(lang).to_string();
        for c in &inner {
            section.push_str(" / ");
            section.push_str(c.label.get(lang));
        }
        let row = |bd: &'a super::compute::Breakdown, cell: &str, t: &'a Tally, depth| Row {
            section: section.clone(),
            breakdown: bd.label.get(lang).to_string(),
            cell: bd.name(cell, lang),
            key: (bd.name.clone(), cell.to_string()),
            depth,
            tally: t,
        };
        for (cell, t) in b.ordered() {
            out.push(row(b, cell, t, 0));
            for c in &inner {
                for (cc, ct) in c.ordered() {
                    if c.parent.get(cc).map(String::as_str) == Some(cell) {
                        out.push(row(c, cc, ct, 1));
                    }
                }
            }
        }
        // Cells whose parent was never given (no province answered): listed after.
        for c in &inner {
            for (cc, ct) in c.ordered() {
                if !c.parent.contains_key(cc) {
                    out.push(row(c, cc, ct, 0));
                }
            }
        }
    }
    out
}

/// The target a result is held to now: the first whose year has not passed by the end of
/// the data, else the last.
pub fn current_target(r: &IndicatorResult, rep: &Report) -> Option<(i32, f64)> {
    let year = rep
        .period
        .map_or(rep.generated.year(), |(_, end)| end.year());
    r.targets
        .iter()
        .find(|(y, _)| *y >= year)
        .or(r.targets.last())
        .copied()
}

/// Marks a value below its target wherever it is shown (HTML, table, terminal), so the
/// difference does not rest on colour alone.
pub const BELOW_MARK: &str = "▼";

/// Whether a cell is below the target (only where there are enough answers to say).
pub fn below(t: &Tally, target: Option<(i32, f64)>) -> bool {
    match (t.proportion(), target) {
        (Some(p), Some((_, goal))) => t.enough() && p < goal,
        _ => false,
    }
}

pub struct Words {
    pub ci: &'static str,
    pub below: &'static str,
    pub at_or_above: &'static str,
    pub period: &'static str,
    pub generated: &'static str,
    pub response: &'static str,
    pub by_round: &'static str,
    pub round: &'static str,
    pub whisker: &'static str,
    pub total: &'static str,
    pub too_few: &'static str,
    pub target: &'static str,
    pub interviews: &'static str,
    pub ended: &'static str,
    pub proportion: &'static str,
    pub yes: &'static str,
    pub gap: &'static str,
    pub deff: &'static str,
    pub n_eff: &'static str,
}

pub fn words(lang: &str) -> &'static Words {
    const VI: Words = Words {
        ci: "KTC 95%",
        below: "dưới mục tiêu",
        at_or_above: "đạt mục tiêu",
        period: "Dữ liệu",
        generated: "Lập lúc",
        response: "tỷ lệ hoàn thành",
        by_round: "Theo đợt khảo sát",
        round: "Đợt",
        whisker: "vạch ngang: khoảng tin cậy 95%; vạch đứt: mục tiêu",
        total: "Tổng",
        too_few: "quá ít để kết luận",
        target: "mục tiêu",
        interviews: "bài phỏng vấn hoàn thành",
        ended: "dừng sớm",
        proportion: "tỷ lệ",
        yes: "đạt",
        gap: "so với mục tiêu",
        deff: "hiệu ứng thiết kế",
        n_eff: "cỡ mẫu hiệu dụng",
    };
    const EN: Words = Words {
        ci: "95% CI",
        below: "below target",
        at_or_above: "at or above target",
        period: "Data",
        generated: "Generated",
        response: "completion rate",
        by_round: "By survey round",
        round: "Round",
        whisker: "whisker: 95% confidence interval; dashed lines: targets",
        total: "Total",
        too_few: "too few to say",
        target: "target",
        interviews: "completed interviews",
        ended: "ended early",
        proportion: "proportion",
        yes: "yes",
        gap: "gap to target",
        deff: "design effect",
        n_eff: "effective n",
    };
    match crate::lang::Lang::from_code(lang) {
        crate::lang::Lang::Vi => &VI,
        crate::lang::Lang::En => &EN,
    }
}

/// A percentage as the reader writes it: `63.1%`, in Vietnamese `63,1%`.
pub fn pct(p: f64, lang: &str) -> String {
    decimal(format!("{:.1}%", p * 100.0), lang)
}

/// A 95% interval as "62.7–63.3%" (in Vietnamese "62,7–63,3%").
pub fn ci(lo: f64, hi: f64, lang: &str) -> String {
    decimal(format!("{:.1}–{:.1}%", lo * 100.0, hi * 100.0), lang)
}

/// A count with thousands grouped: `13,020`; in Vietnamese `13.020`.
pub fn count(n: u64, lang: &str) -> String {
    let digits = n.to_string();
    let sep = if is_vi(lang) { '.' } else { ',' };
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(d);
    }
    out
}

fn is_vi(lang: &str) -> bool {
    crate::lang::Lang::from_code(lang) == crate::lang::Lang::Vi
}

fn decimal(s: String, lang: &str) -> String {
    if is_vi(lang) { s.replace('.', ",") } else { s }
}

/// A design effect and an effective n as the reader writes them ("2,14", "412"), blank
/// when the cell has no design variance.
pub fn design_figures(t: &Tally, lang: &str) -> (String, String) {
    match t.deff() {
        Some(d) => (
            decimal(format!("{d:.2}"), lang),
            count(t.effective_n().round() as u64, lang),
        ),
        None => (String::new(), String::new()),
    }
}

/// A date as the reader writes it (29/11/2026 in Vietnamese).
pub fn date(t: chrono::NaiveDate, lang: &str) -> String {
    if is_vi(lang) {
        t.format("%d/%m/%Y").to_string()
    } else {
        t.format("%Y-%m-%d").to_string()
    }
}

/// Percentage points above (+) or below (−) a target.
pub(crate) fn gap(p: f64, target: f64, lang: &str) -> String {
    let d = (p - target) * 100.0;
    decimal(
        format!("{}{:.1}", if d >= 0.0 { "+" } else { "−" }, d.abs()),
        lang,
    )
}

/// "2025: 30% · 2030: 35%".
pub fn targets(r: &IndicatorResult, lang: &str) -> String {
    r.targets
        .iter()
        .map(|(y, t)| format!("{y}: {}", pct(*t, lang)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// "120 completed interviews; ended early: declined 4, withdrawn 1; completion rate 96.0%".
pub(crate) fn summary(rep: &Report, lang: &str) -> String {
    let w = words(lang);
    let mut s = format!("{} {}", count(rep.interviews, lang), w.interviews);
    if !rep.ended.is_empty() {
        let ended: Vec<String> = rep
            .ended
            .iter()
            .map(|(k, v)| format!("{} {}", reason(k, lang), count(*v, lang)))
            .collect();
        s.push_str(&format!("; {}: {}", w.ended, ended.join(", ")));
        let all = rep.interviews + rep.ended.values().sum::<u64>();
        if all > 0 {
            let rate = rep.interviews as f64 / all as f64;
            s.push_str(&format!("; {} {}", w.response, pct(rate, lang)));
        }
    }
    if rep.outside_plan > 0 {
        let n = count(rep.outside_plan, lang);
        s.push_str(&if is_vi(lang) {
            format!("; {n} phỏng vấn ở xã ngoài kế hoạch chọn mẫu, không tính")
        } else {
            format!("; {n} from communes outside the sample plan, left out")
        });
    }
    s
}

/// The change between the last two rounds in words, with its interval and, when the rounds
/// are years, where the trend leads by the last target year.
pub fn change_line(r: &IndicatorResult, lang: &str) -> Option<String> {
    let c = super::stats::change(&r.rounds, &r.targets)?;
    let vi = is_vi(lang);
    let pts = |x: f64| gap(x, 0.0, lang);
    let (lo, hi) = c.interval;
    let unclear = lo <= 0.0 && hi >= 0.0;
    let (head, ci, no_change) = if vi {
        (
            "Thay đổi",
            "điểm (KTC 95%:",
            ", chưa đủ để nói là có thay đổi",
        )
    } else {
        (
            "Change",
            "points (95% CI",
            ", not distinguishable from no change",
        )
    };
    let to = if vi { "đến" } else { "to" };
    let mut s = format!(
        "{head} {} → {}: {} {ci} {} {to} {}){}",
        c.from,
        c.to,
        pts(c.diff),
        pts(lo),
        pts(hi),
        if unclear { no_change } else { "" }
    );
    if let Some((year, value, goal)) = c.projected {
        // "… — meets the 35.0% target." / "… — đạt mục tiêu 35,0%."
        let (verdict, after) = match (vi, value >= goal) {
            (true, true) => ("đạt mục tiêu", ""),
            (true, false) => ("chưa đạt mục tiêu", ""),
            (false, true) => ("meets the", " target"),
            (false, false) => ("short of the", " target"),
        };
        let trend = if vi {
            "Theo xu hướng này, năm"
        } else {
            "On this trend,"
        };
        s.push_str(&format!(
            ". {trend} {year}: {} — {verdict} {}{after}.",
            pct(value, lang),
            pct(goal, lang)
        ));
    } else {
        s.push('.');
    }
    Some(s)
}

/// The plan against what came in, one line per province: communes reached of those
/// selected, interviews completed of the children planned.
pub fn plan_lines(rep: &Report, lang: &str) -> Vec<String> {
    let Some(a) = &rep.achieved else {
        return Vec::new();
    };
    let mut provinces: Vec<&str> = a.communes.iter().map(|c| c.0.as_str()).collect();
    provinces.dedup();
    provinces
        .into_iter()
        .map(|p| {
            let mine: Vec<_> = a.communes.iter().filter(|c| c.0 == p).collect();
            let reached = mine.iter().filter(|c| c.3 > 0).count();
            let (planned, done) = mine.iter().fold((0, 0), |(x, y), c| (x + c.2, y + c.3));
            let rate = if planned > 0 {
                format!(" ({})", pct(done as f64 / planned as f64, lang))
            } else {
                String::new()
            };
            let (pl, dn) = (count(planned, lang), count(done, lang));
            if is_vi(lang) {
                format!(
                    "Kế hoạch mẫu, {p}: {reached}/{} xã có phỏng vấn; {dn}/{pl} trẻ đã phỏng vấn{rate}",
                    mine.len()
                )
            } else {
                format!(
                    "Sample plan, {p}: {reached}/{} communes reached; {dn}/{pl} children interviewed{rate}",
                    mine.len()
                )
            }
        })
        .collect()
}

/// A cell's percentage as shown: in parentheses when few answered (25–49), to read with
/// caution.
pub fn shown(t: &Tally, p: f64, lang: &str) -> String {
    if t.caution() {
        format!("({})", pct(p, lang))
    } else {
        pct(p, lang)
    }
}

/// How the intervals were made: the sample design, or plainly that none was declared; and
/// the rule for small cells.
pub fn method(rep: &Report, lang: &str) -> String {
    let vi = is_vi(lang);
    let design: String = match &rep.design {
        Some(d) if vi => format!(
            "Khoảng tin cậy 95% theo thiết kế mẫu: {} tầng, {} đơn vị mẫu cấp 1 (xã); sai số \
             chuẩn tuyến tính hoá Taylor (xấp xỉ chọn có hoàn lại), khoảng Wilson trên cỡ mẫu \
             hiệu dụng.",
            d.strata.len(),
            d.psus.len()
        ),
        Some(d) => format!(
            "95% intervals follow the sample design: {} strata, {} primary sampling units \
             (communes); Taylor-linearised standard errors (with-replacement approximation), \
             Wilson intervals on the effective n.",
            d.strata.len(),
            d.psus.len()
        ),
        None if vi => "Khoảng tin cậy 95% giả định mẫu ngẫu nhiên đơn giản (chưa khai báo thiết \
                       kế mẫu): với mẫu chọn theo xã, khoảng thật rộng hơn."
            .into(),
        None => "95% intervals assume simple random sampling (no sample design declared): with \
                 children sampled by commune, the true intervals are wider."
            .into(),
    };
    let small = if vi {
        format!(
            " Ô có dưới {} trẻ không hiển thị; từ {} đến {} trẻ để trong ngoặc (đọc thận trọng).",
            super::stats::SUPPRESS_BELOW,
            super::stats::SUPPRESS_BELOW,
            super::stats::CAUTION_BELOW - 1
        )
    } else {
        format!(
            " Cells of fewer than {} children are not shown; {}–{} are in parentheses (read \
             with caution).",
            super::stats::SUPPRESS_BELOW,
            super::stats::SUPPRESS_BELOW,
            super::stats::CAUTION_BELOW - 1
        )
    };
    design + &post_strata(rep, lang) + &small
}

/// "Weights post-stratified to known totals (round × sex × age band): 12 post-strata; 3
/// interviews outside the totals kept their weights; totals without interviews: …".
fn post_strata(rep: &Report, lang: &str) -> String {
    let Some(post) = rep.design.as_ref().and_then(|d| d.post.as_ref()) else {
        return String::new();
    };
    let vi = is_vi(lang);
    // The breakdowns by their labels in the report's language.
    let label = |name: &str| {
        rep.results
            .first()
            .and_then(|r| r.by.iter().find(|b| b.name == name))
            .map_or_else(|| name.to_string(), |b| b.label.get(lang).to_lowercase())
    };
    let by = std::iter::once(if vi { "đợt" } else { "round" }.to_string())
        .chain(post.by.iter().map(|n| label(n)))
        .collect::<Vec<_>>()
        .join(" × ");
    let matched = post.groups.iter().filter(|g| g.2.is_some()).count();
    let mut out = if vi {
        format!(" Trọng số hậu phân tầng theo tổng số đã biết ({by}): {matched} nhóm.")
    } else {
        format!(" Weights post-stratified to known totals ({by}): {matched} post-strata.")
    };
    if post.unmatched > 0 {
        out += &if vi {
            format!(
                " {} phiếu ngoài các nhóm có tổng số, giữ trọng số cũ.",
                post.unmatched
            )
        } else {
            format!(
                " {} interview(s) outside the known totals kept their weights.",
                post.unmatched
            )
        };
    }
    if !post.empty.is_empty() {
        let list = post.empty.join("; ");
        out += &if vi {
            format!(" Nhóm không có phiếu nào (trẻ em ở đó không được đại diện): {list}.")
        } else {
            format!(" Totals with no interview (those children are not represented): {list}.")
        };
    }
    out
}

/// "Data: 01/03/2026 – 28/11/2026 · Generated 30/11/2026 08:24".
pub fn period(rep: &Report, lang: &str) -> String {
    let w = words(lang);
    let made = if is_vi(lang) {
        rep.generated.format("%d/%m/%Y %H:%M")
    } else {
        rep.generated.format("%Y-%m-%d %H:%M")
    };
    match rep.period {
        Some((a, b)) => format!(
            "{}: {} – {} · {} {made}",
            w.period,
            date(a, lang),
            date(b, lang),
            w.generated
        ),
        None => format!("{} {made}", w.generated),
    }
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
