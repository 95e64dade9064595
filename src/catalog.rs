//! The forms on this machine: form files (our TOML or an XLSForm) in a folder, forms pulled
//! from the hub, and indicator files beside their forms. The one place that decides how a
//! file becomes a [`Form`], for the app, the CLI, the hub and the sync client alike.

use crate::form::{self, Form, FormErrors, version_cmp};
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

/// Where a form on offer came from (the home screen says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Compiled into the program: always there, from any folder.
    BuiltIn,
    /// A forms folder (`--forms`, `LANGNGHE_FORMS`, else `./forms`).
    Folder,
    /// Sent by the hub (kept in the data folder's `forms/`).
    Hub,
}

/// The shipped forms, compiled in: the app works from any folder, with no files beside it.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "child_participation.toml",
        include_str!("../forms/child_participation.toml"),
    ),
    (
        "commune_child_friendly.toml",
        include_str!("../forms/commune_child_friendly.toml"),
    ),
];

/// The shipped indicator files: (file name, the form file they belong to, text).
const BUILT_IN_INDICATORS: &[(&str, &str, &str)] = &[
    (
        "child_participation.indicators.toml",
        "child_participation.toml",
        include_str!("../forms/child_participation.indicators.toml"),
    ),
    (
        "commune_child_friendly.indicators.toml",
        "commune_child_friendly.toml",
        include_str!("../forms/commune_child_friendly.indicators.toml"),
    ),
];

/// The built-in forms. They are checked by the test suite, so a failure here is a bug in
/// this build; it is still reported rather than fatal.
pub fn built_in() -> (Vec<Arc<Form>>, Vec<String>) {
    let mut forms = Vec::new();
    let mut errors = Vec::new();
    for (name, src) in BUILT_IN {
        match form::build(&format!("(built in) {name}"), src) {
            Ok(f) => forms.push(Arc::new(f)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (forms, errors)
}

/// Keeps one form per id: the newest version; on the same version, the later origin (a
/// folder overrides what is built in, the hub overrides both).
fn merge(all: Vec<(Arc<Form>, Origin)>) -> Vec<(Arc<Form>, Origin)> {
    let mut out: Vec<(Arc<Form>, Origin)> = Vec::new();
    for (f, o) in all {
        match out.iter_mut().find(|(g, _)| g.id == f.id) {
            Some(slot) => {
                if version_cmp(&f.version, &slot.0.version).is_ge() {
                    *slot = (f, o);
                }
            }
            None => out.push((f, o)),
        }
    }
    out
}

/// The forms a device offers, one per id: built in, then the forms folder, then those the
/// hub sent; the newest version of each wins.
pub fn device_forms(forms_dir: &Path, data_dir: &Path) -> (Vec<(Arc<Form>, Origin)>, Vec<String>) {
    let (built, mut errors) = built_in();
    let (folder, bad) = load_dir(forms_dir);
    errors.extend(bad);
    let (pulled, bad) = load_dir(&data_dir.join("forms"));
    errors.extend(bad);
    let all = built
        .into_iter()
        .map(|f| (f, Origin::BuiltIn))
        .chain(folder.into_iter().map(|f| (f, Origin::Folder)))
        .chain(pulled.into_iter().map(|f| (f, Origin::Hub)))
        .collect();
    (merge(all), errors)
}

/// A form named on the command line: a file, or the id of a form on offer (built in or in
/// `forms_dir`).
pub fn find(spec: &str, forms_dir: &Path) -> Result<Arc<Form>, String> {
    let p = Path::new(spec);
    if p.is_file() {
        return load_file(p)
            .map(|(f, _)| Arc::new(f))
            .map_err(|e| e.to_string());
    }
    let (built, _) = built_in();
    let (folder, _) = load_dir(forms_dir);
    let all = built
        .into_iter()
        .map(|f| (f, Origin::BuiltIn))
        .chain(folder.into_iter().map(|f| (f, Origin::Folder)))
        .collect();
    merge(all)
        .into_iter()
        .map(|(f, _)| f)
        .find(|f| f.id == spec)
        .ok_or_else(|| {
            format!(
                "no form `{spec}`: give a form file, or a form id (built in, or in {})",
                forms_dir.display()
            )
        })
}

/// The built-in indicator sets, by file name, each with its form.
pub fn built_in_indicator_sets() -> Result<Vec<(String, Form, Indicators)>, String> {
    let mut out = Vec::new();
    for (name, form_name, src) in BUILT_IN_INDICATORS {
        let Some((_, form_src)) = BUILT_IN.iter().find(|(n, _)| n == form_name) else {
            continue;
        };
        let form =
            form::build(&format!("(built in) {form_name}"), form_src).map_err(|e| e.to_string())?;
        let defs =
            def::parse(&format!("(built in) {name}"), src, &form).map_err(|e| e.to_string())?;
        out.push((name.to_string(), form, defs));
    }
    Ok(out)
}

/// The built-in indicator sets, then every `*.indicators.toml` in `dir` with the form
/// beside it (a file of the same name replaces the built-in one). A missing folder holds
/// none.
pub fn indicator_sets(dir: &Path) -> Result<Vec<(Form, Indicators)>, String> {
    let mut out = built_in_indicator_sets()?;
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| def::is_indicator_file(p))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    files.sort();
    for f in files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let form_path =
            f.with_file_name(name.trim_end_matches(".indicators.toml").to_string() + ".toml");
        let form = form::load(&form_path).map_err(|e| e.to_string())?;
        let defs = def::load(&f, &form).map_err(|e| e.to_string())?;
        // A file of the same name replaces the built-in one where it stood.
        match out.iter_mut().find(|(n, _, _)| *n == name) {
            Some(slot) => *slot = (name, form, defs),
            None => out.push((name, form, defs)),
        }
    }
    Ok(out.into_iter().map(|(_, f, d)| (f, d)).collect())
}

/// The indicator set to report on: the one for `form`, else the first (the children's
/// survey, which the indicators are about), with a word on how to get the others.
pub fn pick_indicators<'a>(
    sets: &'a [(Form, Indicators)],
    form: Option<&str>,
    dir: &Path,
) -> Result<&'a (Form, Indicators), String> {
    let names: Vec<String> = sets.iter().map(|(f, _)| f.id.clone()).collect();
    let mut matching: Vec<_> = sets
        .iter()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_forms_and_indicators_load() {
        let (forms, errors) = built_in();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(forms.len(), BUILT_IN.len());
        let sets = indicator_sets(Path::new("/nonexistent")).unwrap();
        assert_eq!(sets.len(), BUILT_IN_INDICATORS.len());
    }

    #[test]
    fn the_newest_version_of_each_form_wins_and_a_folder_overrides_a_tie() {
        let mk = |v: &str| {
            Arc::new(
                form::build(
                    "t.toml",
                    &format!(
                        "[settings]\nid = \"t\"\nversion = \"{v}\"\n\n[[survey]]\ntype = \"text\"\nname = \"a\"\nlabel = \"A\"\n"
                    ),
                )
                .unwrap(),
            )
        };
        let got = merge(vec![
            (mk("9"), Origin::BuiltIn),
            (mk("10"), Origin::Folder),
            (mk("2"), Origin::Hub),
        ]);
        assert_eq!(
            (got[0].0.version.as_str(), got[0].1),
            ("10", Origin::Folder)
        );
        let got = merge(vec![(mk("3"), Origin::BuiltIn), (mk("3"), Origin::Folder)]);
        assert_eq!(got[0].1, Origin::Folder);
    }
}
