//! `langnghe check FORM...`: validate forms, report every problem.

use crate::form;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Checks each form; prints a summary line for good ones and every diagnostic for bad ones.
/// Returns whether all were valid.
pub fn run(forms: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut ok = true;
    for path in forms {
        if crate::indicators::def::is_indicator_file(path) {
            ok &= check_indicators(path, out, err);
            continue;
        }
        let loaded = crate::catalog::load_file(path).map(|(f, warnings)| {
            for w in &warnings {
                let _ = writeln!(err, "{w}");
            }
            f
        });
        match loaded {
            Ok(f) => {
                let _ = writeln!(out, "{}: ok — {} {}", path.display(), f.id, summary(&f));
            }
            Err(errors) => {
                ok = false;
                let _ = writeln!(err, "{errors}");
            }
        }
    }
    ok
}

/// `vVERSION: N questions, languages vi, en`: what a checked form says of itself.
fn summary(f: &form::Form) -> String {
    format!(
        "v{}: {} questions, languages {}",
        f.version,
        f.question_count(),
        f.languages.join(", ")
    )
}

/// `langnghe check` alone: the built-in forms and indicator sets, then every form and
/// indicator file in `forms_dir` (a missing folder holds none).
pub fn offered(forms_dir: &Path, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let (built, errors) = crate::catalog::built_in();
    for f in &built {
        let _ = writeln!(out, "(built in) {}: ok — {}", f.id, summary(f));
    }
    for e in &errors {
        let _ = writeln!(err, "{e}");
    }
    let mut ok = errors.is_empty();
    let mut files: Vec<PathBuf> = std::fs::read_dir(forms_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| crate::catalog::is_form_file(p) || crate::indicators::def::is_indicator_file(p))
        .collect();
    files.sort();
    match crate::catalog::built_in_indicator_sets() {
        Ok(sets) => {
            for (name, f, d) in sets {
                let _ = writeln!(
                    out,
                    "(built in) {name}: ok — {} indicator(s), {} breakdown(s) for {}",
                    d.indicators.len(),
                    d.breakdowns.len(),
                    f.id
                );
            }
        }
        Err(e) => {
            ok = false;
            let _ = writeln!(err, "{e}");
        }
    }
    ok & run(&files, out, err)
}

/// An indicator file is checked against its form (`x.indicators.toml` → `x.toml`).
fn check_indicators(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let form_path =
        path.with_file_name(name.trim_end_matches(".indicators.toml").to_string() + ".toml");
    let form = match form::load(&form_path) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(
                err,
                "{}:1:1: its form {} does not load\n{e}",
                path.display(),
                form_path.display()
            );
            return false;
        }
    };
    match crate::indicators::def::load(path, &form) {
        Ok(defs) => {
            let _ = writeln!(
                out,
                "{}: ok — {} indicator(s), {} breakdown(s) for {}",
                path.display(),
                defs.indicators.len(),
                defs.breakdowns.len(),
                form.id
            );
            true
        }
        Err(e) => {
            let _ = writeln!(err, "{e}");
            false
        }
    }
}

/// `langnghe export-xlsform FORM -o OUT.xlsx`: the form as an XLSForm workbook.
#[cfg(feature = "xlsx")]
pub fn export_xlsform(spec: &str, forms_dir: &Path, out: &Path) -> super::error::CliResult {
    let form = crate::catalog::find(spec, forms_dir)?;
    let bytes = crate::xlsform::export::workbook(&form.source)?;
    crate::store::paths::write_private(out, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "{} → {}: {} {}",
        spec,
        out.display(),
        form.id,
        summary(&form)
    );
    Ok(())
}

/// `langnghe import-xlsform FILE -o OUT`: convert, check, and write the form file.
pub fn import_xlsform(file: &Path, out: &Path) -> super::error::CliResult {
    let imported = crate::xlsform::import(file).map_err(|e| e.to_string())?;
    for w in &imported.warnings {
        eprintln!("{w}");
    }
    crate::store::paths::write_private(out, imported.toml.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let f = &imported.form;
    println!(
        "{} → {}: {} {}",
        file.display(),
        out.display(),
        f.id,
        summary(f)
    );
    Ok(())
}
