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

fn pick(
    sets: Vec<(Form, Indicators)>,
    form: Option<&str>,
    dir: &Path,
) -> Result<(Form, Indicators), String> {
    let names: Vec<String> = sets.iter().map(|(f, _)| f.id.clone()).collect();
    let mut matching: Vec<_> = sets
        .into_iter()
        .filter(|(f, _)| form.is_none_or(|id| f.id == id))
        .collect();
    match matching.len() {
        1 => Ok(matching.remove(0)),
        0 => Err(format!(
            "no indicator file for {} in {}",
            form.unwrap_or("any form"),
            dir.display()
        )),
        // Several, none chosen: the first (the children's survey, which the indicators are
        // about), and a word on how to get the others.
        _ => {
            eprintln!(
                "note: {} also have indicators; choose with --form",
                names[1..].join(", ")
            );
            Ok(matching.remove(0))
        }
    }
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
    pub lang: &'a str,
}

pub fn device(store: &crate::store::Store, forms_dir: &Path, a: Args) -> CliResult {
    let (form, defs) = pick(
        crate::catalog::indicator_sets(forms_dir)?,
        a.form,
        forms_dir,
    )?;
    let rep = compute(&form, &defs, |acc| {
        let bad = store
            .each_finalized(|f| acc.add(&f))
            .map_err(|e| e.to_string())?;
        for b in bad {
            eprintln!("warning: skipped a damaged record: {b}");
        }
        for (form, reason, n) in store.ended_counts().map_err(|e| e.to_string())? {
            acc.ended_n(&form, &reason, n);
        }
        Ok(())
    })?;
    if rep.interviews == 0 && store.counts().iter().sum::<u64>() > 0 {
        eprintln!(
            "note: interviews sealed to the hub are not readable here; run the report on the hub"
        );
    }
    write(&rep, a.format, a.out, a.lang)
}

#[cfg(feature = "hub")]
pub fn hub(dir: &Path, a: Args) -> CliResult {
    let hub = crate::hub::Hub::open(dir)?;
    let (form, defs) = pick(
        crate::catalog::indicator_sets(&hub.forms_dir())?,
        a.form,
        &hub.forms_dir(),
    )?;
    let rep = compute(&form, &defs, |acc| {
        let acc = std::cell::RefCell::new(acc);
        let bad = hub.each_record(
            |f| acc.borrow_mut().add(&f),
            |t| acc.borrow_mut().ended(&t.form_id, &t.reason),
        )?;
        for b in bad {
            eprintln!("warning: {b}");
        }
        Ok(())
    })?;
    write(&rep, a.format, a.out, a.lang)
}
