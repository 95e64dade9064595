//! `langnghe report` (this device's own unsealed data) and `langnghe hub report`.

use super::data::CliResult;
use crate::form::Form;
use crate::indicators::compute::{Accumulator, Report};
use crate::indicators::def::Indicators;
use crate::indicators::render;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Html,
    /// An interactive screen in the terminal (gauges and bar charts).
    Tui,
}

/// Computes the report with `feed`, which hands every interview and tombstone to the accumulator.
pub fn compute(
    form: &Form,
    defs: &Indicators,
    feed: impl FnOnce(&mut Accumulator) -> Result<(), String>,
) -> Result<Report, String> {
    let mut acc = Accumulator::new(defs, form, chrono::Local::now().fixed_offset());
    feed(&mut acc)?;
    Ok(acc.finish())
}

pub fn write(rep: &Report, format: ReportFormat, out: Option<&Path>, lang: &str) -> CliResult {
    let text = match format {
        ReportFormat::Table => render::table::render(rep, lang),
        ReportFormat::Csv => format!("\u{feff}{}", render::csv::render(rep, lang)),
        ReportFormat::Html => render::html::render(rep, lang),
        ReportFormat::Tui => {
            return crate::tui::show_report(rep, lang).map_err(|e| format!("terminal: {e}").into());
        }
    };
    match out {
        Some(p) => {
            crate::store::paths::write_private(p, text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
            println!("{}", p.display());
            Ok(())
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

pub struct Args<'a> {
    pub form: Option<&'a str>,
    pub format: ReportFormat,
    pub out: Option<&'a Path>,
    pub microdata: Option<&'a Path>,
    pub lang: &'a str,
}

/// Reports are written in Vietnamese or English (their words and the indicator files').
fn check_lang(lang: &str) -> CliResult {
    match lang {
        "vi" | "en" => Ok(()),
        other => Err(format!("reports are written in vi or en, not `{other}`").into()),
    }
}

pub fn device(store: &crate::store::Store, forms_dir: &Path, a: Args) -> CliResult {
    check_lang(a.lang)?;
    let sets = crate::catalog::indicator_sets(forms_dir)?;
    let (form, defs) = crate::catalog::pick_indicators(&sets, a.form, forms_dir)?;
    let rows = match a.microdata {
        Some(p) => Some(
            crate::store::paths::replace_private(p)
                .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        ),
        None => None,
    };
    let rep = compute(form, defs, |acc| {
        if let Some(file) = rows {
            acc.write_rows(Box::new(std::io::BufWriter::new(file)));
        }
        let bad = store
            .each_finalized(|f| acc.add(&f))
            .map_err(|e| e.to_string())?;
        for b in bad {
            eprintln!("warning: skipped a damaged record: {b}");
        }
        for (form, reason, n) in store.ended_counts().map_err(|e| e.to_string())? {
            acc.ended_n(&form, &reason, n);
        }
        acc.rows_written()
            .map_err(|e| format!("cannot write the microdata: {e}"))
    })?;
    if rep.interviews == 0 && store.counts().iter().sum::<u64>() > 0 {
        eprintln!(
            "note: interviews sealed to the hub are not readable here; run the report on the hub"
        );
    }
    write(&rep, a.format, a.out, a.lang)
}

#[cfg(feature = "hub")]
/// `how`: (include practice interviews, count again instead of reading the kept tallies).
pub fn hub(dir: &Path, a: Args, how: (bool, bool)) -> CliResult {
    check_lang(a.lang)?;
    // While the hub serves, it computes the report (its store is open there) and the
    // report travels here to be drawn in any format, as `hub export` does.
    if a.microdata.is_some() {
        return Err(
            "--microdata is written by a device's `report`; on the hub, `hub export` \
                    gives the interviews"
                .into(),
        );
    }
    let rep = super::hub::report_of(dir, a.form, how)?;
    write(&rep, a.format, a.out, a.lang)
}
