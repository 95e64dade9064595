//! Importing XLSForms (.xlsx, .xls, pyxform markdown) into our form format.

pub mod convert;
#[cfg(feature = "xlsx")]
pub mod export;
mod loops;
mod params;
pub mod read;

use crate::form::diag::{Diagnostic, FormErrors};
use crate::form::{Form, build};
use convert::Origin;
use std::path::Path;

/// An XLSForm read and checked: our TOML, the form, and the warnings about what was left out.
pub struct Imported {
    pub toml: String,
    pub form: Form,
    pub warnings: Vec<String>,
}

pub(crate) fn is_xlsform(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("xlsx" | "xlsm" | "xls" | "md")
    )
}

fn place(file: &str, o: &Origin) -> String {
    if o.column.is_empty() {
        format!("{file}:{}:R{}", o.sheet, o.row)
    } else {
        format!("{file}:{}:R{}:{}", o.sheet, o.row, o.column)
    }
}

fn diag(file: &str, o: &Origin, message: String) -> Diagnostic {
    Diagnostic {
        line: o.row,
        col: 0,
        message,
        path: file.to_string(),
        place: Some(place(file, o)),
    }
}

/// Reads, converts and checks an XLSForm. Every problem comes back at once, located as
/// `file:sheet:Rrow:column: message`.
pub fn import(path: &Path) -> Result<Imported, FormErrors> {
    let file = path.display().to_string();
    let sheets = read::read(path).map_err(|e| {
        FormErrors(vec![Diagnostic {
            line: 1,
            col: 1,
            message: e,
            path: file.clone(),
            place: None,
        }])
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("form")
        .to_string();
    let c = convert::convert(&sheets, &stem);
    let warnings: Vec<String> = c
        .warnings
        .iter()
        .map(|(o, m)| format!("{}: warning: {m}", place(&file, o)))
        .collect();
    let mut errors: Vec<Diagnostic> = c
        .errors
        .iter()
        .map(|(o, m)| diag(&file, o, m.clone()))
        .collect();
    // Without a survey sheet there is nothing to check.
    let built = if c.toml.is_empty() {
        Err(FormErrors(Vec::new()))
    } else {
        build(&file, &c.toml)
    };
    match built {
        Ok(form) if errors.is_empty() => {
            return Ok(Imported {
                toml: c.toml,
                form,
                warnings,
            });
        }
        Ok(_) => {}
        Err(FormErrors(diags)) => {
            for mut d in diags {
                d.message = rows_for_lines(&d.message, &c.origins);
                let o = c
                    .origins
                    .get(d.line.saturating_sub(1) as usize)
                    .cloned()
                    .flatten();
                errors.push(match o {
                    Some(o) => diag(&file, &o, d.message),
                    None => Diagnostic {
                        place: Some(format!("{file}:settings")),
                        ..d
                    },
                });
            }
        }
    }
    // What was left out is said too, so nothing is dropped silently.
    errors.extend(
        c.warnings
            .iter()
            .map(|(o, m)| diag(&file, o, format!("warning: {m}"))),
    );
    let sheet = |d: &Diagnostic| {
        d.place
            .as_deref()
            .and_then(|p| p.split(':').nth(1))
            .unwrap_or("")
            .to_string()
    };
    errors.sort_by_key(|d| (sheet(d), d.line, d.place.clone()));
    errors.dedup();
    Err(FormErrors(errors))
}

/// A message from the form check names other rows by their line in the generated TOML
/// (`first used on line 8`); here they are named by their place in the spreadsheet.
fn rows_for_lines(msg: &str, origins: &[Option<Origin>]) -> String {
    let mut out = String::new();
    let mut rest = msg;
    while let Some(i) = rest.find("line ") {
        let digits: String = rest[i + 5..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let origin = digits
            .parse::<usize>()
            .ok()
            .and_then(|n| origins.get(n.checked_sub(1)?).cloned().flatten());
        out.push_str(&rest[..i]);
        match origin {
            Some(o) => out.push_str(&format!("{} row {}", o.sheet, o.row)),
            None => out.push_str(&rest[i..i + 5 + digits.len()]),
        }
        rest = &rest[i + 5 + digits.len()..];
    }
    out.push_str(rest);
    out
}
