//! The forms on this machine: form files (our TOML or an XLSForm) in a folder, forms pulled
//! from the hub, and indicator files beside their forms. The one place that decides how a
//! file becomes a [`Form`], for the app, the CLI, the hub and the sync client alike.

use crate::form::{self, Form, FormErrors};
use crate::indicators::def::{self, Indicators};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A form file, ours or an XLSForm (`.xlsx`, `.xls`, pyxform markdown), loaded and checked;
/// with the XLSForm importer's warnings (our TOML has none).
pub(crate) fn load_file(path: &Path) -> Result<(Form, Vec<String>), FormErrors> {
    if crate::xlsform::is_xlsform(path) {
        crate::xlsform::import(path).map(|i| (i.form, i.warnings))
    } else {
        form::load(path).map(|f| (f, Vec::new()))
    }
}

/// Whether `path` is a form file this catalog reads (not an indicator file).
pub(crate) fn is_form_file(path: &Path) -> bool {
    (path.extension().is_some_and(|x| x == "toml") && !def::is_indicator_file(path))
        || crate::xlsform::is_xlsform(path)
}

/// Every form in `dir`, in file-name order. Broken forms are reported, not fatal; a missing
/// folder holds no forms.
pub fn load_dir(dir: &Path) -> (Vec<Arc<Form>>, Vec<String>) {
    let mut forms = Vec::new();
    let mut errors = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_form_file(p))
        .collect();
    paths.sort();
    for p in paths {
        match load_file(&p) {
            Ok((f, _)) => forms.push(Arc::new(f)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (forms, errors)
}

/// The forms a device offers: those in `forms_dir`, then those the hub sent (kept in the data
/// folder's `forms/`) that are not already there under the same id and version.
pub(crate) fn device_forms(forms_dir: &Path, data_dir: &Path) -> (Vec<Arc<Form>>, Vec<String>) {
    let (mut forms, mut errors) = load_dir(forms_dir);
    let (pulled, bad) = load_dir(&data_dir.join("forms"));
    errors.extend(bad);
    for f in pulled {
        if !forms.iter().any(|g| g.id == f.id && g.version == f.version) {
            forms.push(f);
        }
    }
    (forms, errors)
}

/// A form named on the command line: a file, or the id of a form in `forms_dir`.
pub fn find(spec: &str, forms_dir: &Path) -> Result<Arc<Form>, String> {
    let p = Path::new(spec);
    if p.is_file() {
        return load_file(p)
            .map(|(f, _)| Arc::new(f))
            .map_err(|e| e.to_string());
    }
    let (forms, _) = load_dir(forms_dir);
    forms.into_iter().find(|f| f.id == spec).ok_or_else(|| {
        format!(
            "no form `{spec}`: give a form file, or a form id from {}",
            forms_dir.display()
        )
    })
}

/// Every `*.indicators.toml` in `dir` with the form beside it.
pub fn indicator_sets(dir: &Path) -> Result<Vec<(Form, Indicators)>, String> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| def::is_indicator_file(p))
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let form_path =
            f.with_file_name(name.trim_end_matches(".indicators.toml").to_string() + ".toml");
        let form = form::load(&form_path).map_err(|e| e.to_string())?;
        let defs = def::load(&f, &form).map_err(|e| e.to_string())?;
        out.push((form, defs));
    }
    Ok(out)
}
