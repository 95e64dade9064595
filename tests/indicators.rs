//! Indicators on known synthetic data: proportions, Wilson bounds, breakdowns, small cells,
//! bad definitions, and the HTML report.

mod common;

use chrono::{FixedOffset, TimeZone};
use langnghe::form::build;
use langnghe::indicators::compute::Accumulator;
use langnghe::indicators::def::parse;
use langnghe::indicators::render;
use langnghe::indicators::stats::{Tally, Z95, wilson};
use langnghe::store::{Finalized, FormRef, Stamp};
use uuid::Uuid;

const FORM: &str = r#"
[settings]
id = "kids"
languages = ["vi", "en"]

[[survey]]
type = "select_one commune"
name = "commune"
label = { vi = "Xã", en = "Commune" }

[[survey]]
type = "integer"
name = "age"
label = { vi = "Tuổi", en = "Age" }

[[survey]]
type = "select_one yn"
name = "asked"
label = { vi = "Được hỏi?", en = "Asked?" }

[[survey]]
type = "integer"
name = "w"
label = { vi = "Trọng số", en = "Weight" }

[[choices.commune]]
name = "a"
label = { vi = "Xã A", en = "Commune A" }

[[choices.commune]]
name = "b"
label = { vi = "Xã B", en = "Commune B" }

[[choices.yn]]
name = "yes"
label = { vi = "Có", en = "Yes" }

[[choices.yn]]
name = "no"
label = { vi = "Không", en = "No" }
"#;

const DEFS: &str = r#"[settings]
form = "kids"

[[breakdown]]
name = "commune"
label = { vi = "Xã", en = "Commune" }
value = "jr:choice-name(${commune}, '${commune}')"

[[indicator]]
id = "asked"
label = { vi = "Được hỏi ý kiến", en = "Consulted" }
population = "${age} >= 7"
numerator = "${asked} = 'yes'"
targets = { 2025 = 0.30, 2030 = 0.35 }
"#;

fn interview(commune: &str, age: u32, asked: bool) -> Finalized {
    let t = FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 1, 9, 0, 0)
        .unwrap();
    Finalized {
        id: Uuid::now_v7(),
        form: FormRef {
            id: "kids".into(),
            version: "1".into(),
            hash: 0,
        },
        device: Uuid::nil(),
        seq: 0,
        surveyor: "s".into(),
        started: Stamp::from_local(t),
        finished: Stamp::from_local(t),
        answers: vec![
            ("commune".into(), commune.into()),
            ("age".into(), age.to_string()),
            ("asked".into(), if asked { "yes" } else { "no" }.into()),
            ("w".into(), if commune == "a" { "1" } else { "3" }.into()),
        ],
        paradata: vec![],
        duration_ms: 0,
        referral: false,
        training: false,
    }
}

/// Commune A: 40 children 7+, 12 asked. Commune B: 10 children 7+, 6 asked. Plus 5 under 7
/// (outside every population).
fn data() -> Vec<Finalized> {
    let mut v = Vec::new();
    for i in 0..40 {
        v.push(interview("a", 9, i < 12));
    }
    for i in 0..10 {
        v.push(interview("b", 12, i < 6));
    }
    for _ in 0..5 {
        v.push(interview("a", 5, true));
    }
    v
}

fn report(defs_src: &str) -> langnghe::indicators::compute::Report {
    let form = build("kids.toml", FORM).unwrap();
    let defs = parse("kids.indicators.toml", defs_src, &form).unwrap();
    let mut acc = Accumulator::new(
        &defs,
        &form,
        FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 29, 0, 0, 0)
            .unwrap(),
    );
    for f in data() {
        acc.add(&f);
    }
    acc.ended("kids", "declined");
    acc.ended("kids", "declined");
    acc.ended("other_form", "declined");
    acc.finish()
}

#[test]
fn wilson_matches_hand_computed_bounds() {
    // 12 of 40: p = 0.3; Wilson 95% by hand = (0.1806, 0.4543).
    let (lo, hi) = wilson(0.3, 40.0, Z95);
    assert!(
        (lo - 0.1806).abs() < 5e-4 && (hi - 0.4543).abs() < 5e-4,
        "{lo} {hi}"
    );
    // 0 of 30 still has an upper bound: (0, 0.1135).
    let (lo, hi) = wilson(0.0, 30.0, Z95);
    assert!(lo.abs() < 1e-12 && (hi - 0.1135).abs() < 5e-4, "{lo} {hi}");
    // 30 of 30: (0.8865, 1).
    let (lo, hi) = wilson(1.0, 30.0, Z95);
    assert!(
        (lo - 0.8865).abs() < 5e-4 && (hi - 1.0).abs() < 1e-12,
        "{lo} {hi}"
    );
}

#[test]
fn totals_breakdowns_and_small_cells() {
    let rep = report(DEFS);
    assert_eq!(rep.interviews, 55);
    assert_eq!(
        rep.ended.get("declined"),
        Some(&2),
        "only this form's tombstones count"
    );
    let r = &rep.results[0];
    assert_eq!((r.total.n, r.total.yes), (50, 18));
    assert!((r.total.proportion().unwrap() - 0.36).abs() < 1e-12);
    let cells = &r.by[0].cells;
    let a = &cells["Xã A"];
    let b = &cells["Xã B"];
    assert_eq!((a.n, a.yes, b.n, b.yes), (40, 12, 10, 6));
    assert_eq!(a.n + b.n, r.total.n, "breakdown cells sum to the total");
    assert_eq!(a.yes + b.yes, r.total.yes);
    let (lo, hi) = a.wilson().unwrap();
    assert!((lo - 0.1806).abs() < 5e-4 && (hi - 0.4543).abs() < 5e-4);
    assert!(a.enough() && !b.enough(), "n = 10 is too few to say");
    let table = render::table::render(&rep, "en");
    assert!(
        table.contains("  Commune\n")
            && table.contains("    Xã B ")
            && table.contains("too few to say (n=10)"),
        "{table}"
    );
    assert!(
        table.contains("36.0%") && table.contains("+6.0") && table.contains("+1.0"),
        "{table}"
    );
    let csv = render::csv::render(&rep, "vi");
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("asked,Được hỏi ý kiến,,Tổng,50,18,0.3600,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4);
}

#[test]
fn weights_use_kish_effective_n() {
    let weighted = DEFS.replace("form = \"kids\"", "form = \"kids\"\nweight = \"${w}\"");
    let rep = report(&weighted);
    let t = &rep.results[0].total;
    // Weights 1 (40 in A) and 3 (10 in B): weighted p = (12 + 18) / (40 + 30) = 0.428…
    assert!((t.proportion().unwrap() - 30.0 / 70.0).abs() < 1e-12);
    // Effective n = 70² / (40 + 90) = 37.69.
    assert!((t.effective_n() - 4900.0 / 130.0).abs() < 1e-9);
    let mut u = Tally::default();
    u.add(true, 1.0, None);
    assert_eq!(u.effective_n(), 1.0);
}

#[test]
fn a_bad_indicator_expression_is_reported_with_its_position() {
    let form = build("kids.toml", FORM).unwrap();
    let bad = DEFS.replace(
        "numerator = \"${asked} = 'yes'\"",
        "numerator = \"${askd} = 'yes' and\"",
    );
    let err = parse("kids.indicators.toml", &bad, &form)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "kids.indicators.toml:13:33: in `numerator`: expected a value, found end of expression"
    );
    let bad = DEFS.replace(
        "numerator = \"${asked} = 'yes'\"",
        "numerator = \"${askd} = 'ye'\"",
    );
    let err = parse("kids.indicators.toml", &bad, &form)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("kids.indicators.toml:13:14: in `numerator`: unknown question `${askd}` (did you mean `${asked}`?)"), "{err}");
    let bad = DEFS.replace("2025 = 0.30", "2025 = 30");
    let err = parse("kids.indicators.toml", &bad, &form)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(":14:") && err.contains("proportion from 0 to 1"),
        "{err}"
    );
}

#[test]
fn html_report_is_well_formed_with_one_chart_per_indicator() {
    let two = format!(
        "{DEFS}\n[[indicator]]\nid = \"older\"\nlabel = \"Older & asked\"\npopulation = \"${{age}} >= 11\"\nnumerator = \"${{asked}} = 'yes'\"\n"
    );
    let rep = report(&two);
    let html = render::html::render(&rep, "vi");
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n{html}"));
    let svgs = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "svg" && n.attribute("class") == Some("chart"))
        .count();
    assert_eq!(svgs, 2);
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(html.contains("Older &amp; asked"));
    assert!(html.contains("quá ít để kết luận"));
    // The target lines are drawn: one dashed line per target year per indicator.
    assert_eq!(html.matches("stroke-dasharray").count(), 2);
}

#[test]
fn shipped_indicator_file_checks_and_reports_on_simulated_data() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| common::run_in(dir.path(), args);
    let checked = run(&["check", "forms/child_participation.indicators.toml"]);
    assert!(
        checked.contains("4 indicator(s), 6 breakdown(s)"),
        "{checked}"
    );
    run(&[
        "simulate",
        "--form",
        "child_participation",
        "--count",
        "200",
        "--seed",
        "11",
    ]);
    let table = run(&["report", "--lang", "en"]);
    for want in [
        "Children aged 7+ consulted",
        "Children aware of their right",
        "Children aged 11+ taking part",
        "200 completed interviews",
    ] {
        assert!(table.contains(want), "{want}\n{table}");
    }
    let out = dir.path().join("r.html");
    run(&["report", "--format", "html", "--out", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        html.matches("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"")
            .count(),
        4
    );
}

#[test]
fn the_hub_report_viewer_draws_gauges_and_cells_at_80x24() {
    let rep = report(DEFS);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    term.draw(|f| langnghe::tui::view::report::draw_report(&rep, (0, 0), "en", f, f.area()))
        .unwrap();
    let buf = term.backend().buffer();
    let text: String = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                + "\n"
        })
        .collect();
    assert!(
        text.contains("55 completed interviews; ended early: declined 2"),
        "{text}"
    );
    assert!(text.contains("36.0% (") && text.contains("n=50"), "{text}");
    assert!(
        text.contains("Xã A") && text.contains("30.0%") && text.contains("n=10"),
        "small cells show their n, not a bare %\n{text}"
    );
}

#[test]
fn the_commune_indicator_is_shipped_with_the_provinces_targets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    common::run(&[
        "--data-dir",
        d,
        "simulate",
        "--form",
        "commune_child_friendly",
        "--count",
        "60",
    ]);
    let csv = common::run(&[
        "--data-dir",
        d,
        "report",
        "--form",
        "commune_child_friendly",
        "--format",
        "csv",
    ]);
    let line = csv
        .lines()
        .find(|l| {
            l.starts_with("child_friendly,") && l.contains(",Total,")
                || l.starts_with("child_friendly,") && l.contains("Tổng")
        })
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        line.contains("0.7") && line.contains("0.75"),
        "{line}\n{csv}"
    );
    // Recognised communes over all checklists, as the simulation answered.
    let store = langnghe::store::Store::open(&data).unwrap();
    let mut yes = 0;
    let mut n = 0;
    store
        .each_finalized(|f| {
            n += 1;
            if f.answers
                .iter()
                .any(|(k, v)| k == "meets_standard" && v == "yes")
            {
                yes += 1;
            }
        })
        .unwrap();
    assert_eq!(n, 60);
    assert!(line.contains(&format!(",{yes},")), "{yes} of {n}: {line}");
}

/// What a provincial supervisor needs from the report: cells in the definition's order and
/// in the report's language, communes under their province, below-target marked with a
/// symbol (not colour alone), the data period and response figures, Vietnamese numbers, and
/// the rounds side by side.
#[test]
fn supervisor_report_orders_translates_groups_and_marks_below_target() {
    let defs = r#"[settings]
form = "kids"

[[breakdown]]
name = "band"
label = { vi = "Nhóm tuổi", en = "Age band" }
value = "if(${age} <= 10, '7–10', '11–15')"
categories = [{ value = "7–10" }, { value = "11–15" }]

[[breakdown]]
name = "commune"
label = { vi = "Xã", en = "Commune" }
value = "${commune}"

[[indicator]]
id = "asked"
label = { vi = "Được hỏi ý kiến", en = "Consulted" }
population = "${age} >= 7"
numerator = "${asked} = 'yes'"
targets = { 2025 = 0.30, 2030 = 0.35 }
"#;
    let form = build("kids.toml", FORM).unwrap();
    let defs = parse("kids.indicators.toml", defs, &form).unwrap();
    let now = FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 29, 0, 0, 0)
        .unwrap();
    let mut acc = Accumulator::new(&defs, &form, now);
    for (i, mut f) in data().into_iter().enumerate() {
        // The first 20 were a 2025 round.
        if i < 20 {
            let t = FixedOffset::east_opt(7 * 3600)
                .unwrap()
                .with_ymd_and_hms(2025, 6, 1, 9, 0, 0)
                .unwrap();
            f.finished = Stamp::from_local(t);
        }
        acc.add(&f);
    }
    acc.ended("kids", "declined");
    let rep = acc.finish();
    let r = &rep.results[0];
    // 7–10 before 11–15 (sorted as text, "11–15" would come first).
    let bands: Vec<&str> = r.by[0].ordered().iter().map(|(c, _)| *c).collect();
    assert_eq!(bands, ["7–10", "11–15"]);
    assert_eq!(r.rounds.keys().collect::<Vec<_>>(), ["2025", "2026"]);
    let (from, to) = rep.period.unwrap();
    assert_eq!(
        (from.format("%Y").to_string(), to.format("%Y").to_string()),
        ("2025".into(), "2026".into())
    );

    let en = render::table::render(&rep, "en");
    assert!(en.contains("Commune A") && !en.contains("Xã A"), "{en}");
    assert!(en.contains("Data: 2025-06-01 – 2026-11-01"), "{en}");
    assert!(en.contains("completion rate 98.2%"), "{en}");
    // 12 of 40 = 30.0% in commune A: below the 2030 target (35%), which is the one due.
    let a_line = en.lines().find(|l| l.contains("Commune A")).unwrap();
    assert!(a_line.contains("▼"), "{a_line}");

    let vi = render::html::render(&rep, "vi");
    assert!(
        vi.contains("Xã A") && vi.contains("KTC 95%"),
        "Vietnamese words"
    );
    assert!(
        vi.contains("30,0%") && !vi.contains("30.0%"),
        "decimal comma"
    );
    assert!(vi.contains("Dữ liệu: 01/06/2025 – 01/11/2026"));
    assert!(
        vi.contains("Theo đợt khảo sát") && vi.contains("Đợt 2025"),
        "rounds side by side"
    );
    assert!(
        vi.contains("<span class=\"below\">▼ (30,0%)</span>"),
        "below-target marked, and in parentheses: 40 children, to read with caution"
    );
    assert!(
        vi.contains("từ 25 đến 49 trẻ để trong ngoặc"),
        "the rule is stated"
    );
    assert!(
        vi.contains("width") && !vi.contains("width=\"720\""),
        "charts fit the page"
    );
}

#[test]
fn a_declared_design_gives_design_based_intervals_and_says_so() {
    // Without a design: Wilson on n, and the report says it assumes simple random sampling.
    let srs = report(DEFS);
    assert!(srs.design.is_none());
    let t = &srs.results[0].total;
    assert_eq!((t.se(), t.effective_n()), (None, 50.0));
    let table = langnghe::indicators::render::table::render(&srs, "en");
    assert!(table.contains("assume simple random sampling"), "{table}");
    // Communes as PSUs in one stratum: 36% of A asked (12/40), 60% of B (6/10), so the
    // clusters differ and the design effect shows it.
    let designed = DEFS.replace(
        "form = \"kids\"",
        "form = \"kids\"\nstrata = \"'all'\"\npsu = \"${commune}\"",
    );
    let rep = report(&designed);
    let d = rep.design.as_ref().unwrap();
    assert_eq!((d.strata.len(), d.psus.len()), (1, 2));
    let t = &rep.results[0].total;
    let p = 18.0 / 50.0;
    // Two PSUs: z_a = (12 − 40p)/50, z_b = (6 − 10p)/50 = −z_a; variance 2·(z_a² + z_b²).
    let za = (12.0 - 40.0 * p) / 50.0;
    let want = 2.0 * (2.0 * za * za);
    assert!((t.variance.unwrap() - want).abs() < 1e-15);
    assert!(t.deff().unwrap() > 1.0, "clustered: {:?}", t.deff());
    assert!(t.effective_n() < 50.0);
    let table = langnghe::indicators::render::table::render(&rep, "en");
    assert!(
        table.contains("follow the sample design: 1 strata, 2 primary sampling units"),
        "{table}"
    );
    let (deff, n_eff) = (t.deff().unwrap(), t.effective_n().round());
    assert!(
        table.contains(&format!("design effect {deff:.2} · effective n {n_eff}")),
        "{table}"
    );
    let html = langnghe::indicators::render::html::render(&rep, "en");
    assert!(html.contains("<th>design effect</th><th>effective n</th>"));
    assert!(!langnghe::indicators::render::html::render(&srs, "en").contains("design effect"));
    // `strata` alone is refused: the PSU is what makes the design.
    let form = build("kids.toml", FORM).unwrap();
    let bad = DEFS.replace(
        "form = \"kids\"",
        "form = \"kids\"\nstrata = \"${commune}\"",
    );
    let err = parse("kids.indicators.toml", &bad, &form)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`strata` needs `psu`"), "{err}");
}

#[test]
fn post_stratified_weights_meet_the_known_totals_and_the_report_says_what_was_left() {
    let dir = tempfile::tempdir().unwrap();
    let form = build("kids.toml", FORM).unwrap();
    let defs_src = DEFS.replace(
        "form = \"kids\"",
        "form = \"kids\"\nstrata = \"'all'\"\npsu = \"${commune}\"\n\
         post_strata = [\"commune\"]\ntotals = \"totals.csv\"",
    );
    let path = dir.path().join("kids.indicators.toml");
    std::fs::write(&path, &defs_src).unwrap();
    // Commune B is not in the totals; commune C has a total and no interview.
    std::fs::write(
        dir.path().join("totals.csv"),
        "commune,total\nXã A,400\nXã C,50\n",
    )
    .unwrap();
    let defs = langnghe::indicators::def::load(&path, &form).unwrap();
    let now = FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 29, 0, 0, 0)
        .unwrap();
    let mut acc = Accumulator::new(&defs, &form, now);
    for f in data() {
        acc.add(&f);
    }
    let rep = acc.finish();
    // Commune A's 45 interviews (5 under 7) stand for its 400 children: the 40 aged 7+
    // weigh 400·40/45; commune B's 10 keep weight 1.
    let t = &rep.results[0].total;
    assert!((t.w - (400.0 * 40.0 / 45.0 + 10.0)).abs() < 1e-9, "{}", t.w);
    let a = &rep.results[0].by[0].cells["Xã A"];
    assert!((a.w - 400.0 * 40.0 / 45.0).abs() < 1e-9);
    assert!(t.variance.is_some());
    let post = rep.design.as_ref().unwrap().post.as_ref().unwrap();
    assert_eq!(post.unmatched, 10);
    assert_eq!(post.empty, ["2026: Xã C"]);
    let table = render::table::render(&rep, "en");
    assert!(
        table.contains("post-stratified to known totals (round × commune): 1 post-strata.")
            && table.contains("10 interview(s) outside the known totals kept their weights.")
            && table.contains("not represented): 2026: Xã C."),
        "{table}"
    );

    // A bad total names its file and line; a missing file too; and it needs a design.
    std::fs::write(
        dir.path().join("totals.csv"),
        "commune,total\nXã A,400\nXã B,many\n",
    )
    .unwrap();
    let e = langnghe::indicators::def::load(&path, &form)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("totals.csv:3:1: `total` must be a number of children above 0, not `many`"),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("totals.csv")).unwrap();
    let e = langnghe::indicators::def::load(&path, &form)
        .unwrap_err()
        .to_string();
    assert!(e.contains("totals.csv") && e.contains("cannot read"), "{e}");
    let no_design = defs_src.replace("psu = \"${commune}\"\n", "");
    let e = parse("kids.indicators.toml", &no_design, &form)
        .unwrap_err()
        .to_string();
    assert!(e.contains("post-stratification needs"), "{e}");
}
