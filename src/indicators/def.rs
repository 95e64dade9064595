//! Indicator files (`forms/FORM.indicators.toml`): labels, population, numerator, targets and
//! breakdowns, written in the form's own expression language.

use crate::expr::Expr;
use crate::form::diag::{Diagnostic, FormErrors, Locator};
use crate::form::{Form, Text};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

#[derive(Debug)]
pub struct Indicators {
    pub form_id: String,
    pub weight: Option<Expr>,
    pub breakdowns: Vec<Breakdown>,
    pub indicators: Vec<Indicator>,
}

#[derive(Debug)]
pub struct Breakdown {
    pub name: String,
    pub label: Text,
    /// The cell an interview falls in (blank: left out of this breakdown).
    pub value: Expr,
}

#[derive(Debug)]
pub struct Indicator {
    pub id: String,
    pub label: Text,
    pub population: Expr,
    pub numerator: Expr,
    /// (year, proportion), in year order.
    pub targets: Vec<(i32, f64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    settings: RawSettings,
    #[serde(default)]
    breakdown: Vec<RawBreakdown>,
    indicator: Vec<RawIndicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    form: String,
    weight: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreakdown {
    name: String,
    label: toml::Value,
    value: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    label: toml::Value,
    population: Spanned<String>,
    numerator: Spanned<String>,
    #[serde(default)]
    targets: BTreeMap<String, Spanned<f64>>,
}

pub(crate) fn is_indicator_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".indicators.toml"))
}

pub fn load(path: &Path, form: &Form) -> Result<Indicators, FormErrors> {
    let shown = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| {
        FormErrors(vec![Diagnostic {
            line: 1,
            col: 1,
            message: format!("cannot read: {e}"),
            path: shown.clone(),
            place: None,
        }])
    })?;
    parse(&shown, &src, form)
}

fn text(v: &toml::Value, lang: &str) -> Text {
    match v {
        toml::Value::String(s) => Text::single(lang, s),
        toml::Value::Table(t) => Text {
            by_lang: t
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect(),
        },
        _ => Text::default(),
    }
}

/// Parses an indicator file; every expression problem is reported as `path:line:col`.
pub fn parse(path: &str, src: &str, form: &Form) -> Result<Indicators, FormErrors> {
    let loc = Locator::new(path, src);
    let raw: Raw = toml::from_str(src).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        FormErrors(vec![loc.at(at, e.message().trim().to_string())])
    })?;
    let mut diags = Vec::new();
    if raw.settings.form != form.id {
        diags.push(loc.at(
            0,
            format!(
                "indicators are for form `{}`, not `{}`",
                raw.settings.form, form.id
            ),
        ));
    }
    let mut compile = |s: &Spanned<String>, field: &str| -> Option<Expr> {
        let base = loc.string_body(s.span().start);
        match form.compile(s.get_ref()) {
            Ok(e) => Some(e),
            Err(errs) => {
                for (off, msg) in errs {
                    diags.push(loc.at(base + off, format!("in `{field}`: {msg}")));
                }
                None
            }
        }
    };
    let weight = raw
        .settings
        .weight
        .as_ref()
        .and_then(|w| compile(w, "weight"));
    let lang = form.default_language.as_str();
    let mut breakdowns = Vec::new();
    for b in &raw.breakdown {
        if let Some(value) = compile(&b.value, "value") {
            breakdowns.push(Breakdown {
                name: b.name.clone(),
                label: text(&b.label, lang),
                value,
            });
        }
    }
    let mut indicators = Vec::new();
    let mut target_errors = Vec::new();
    for i in &raw.indicator {
        let population = compile(&i.population, "population");
        let numerator = compile(&i.numerator, "numerator");
        let mut targets = Vec::new();
        for (year, v) in &i.targets {
            match year.parse::<i32>() {
                Ok(y) if (0.0..=1.0).contains(v.get_ref()) => targets.push((y, *v.get_ref())),
                _ => target_errors.push(loc.at(v.span().start, format!("target `{year}` must be a year with a proportion from 0 to 1, like 2025 = 0.30"))),
            }
        }
        if let (Some(population), Some(numerator)) = (population, numerator) {
            indicators.push(Indicator {
                id: i.id.clone(),
                label: text(&i.label, lang),
                population,
                numerator,
                targets,
            });
        }
    }
    diags.extend(target_errors);
    if diags.is_empty() {
        Ok(Indicators {
            form_id: raw.settings.form,
            weight,
            breakdowns,
            indicators,
        })
    } else {
        diags.sort();
        Err(FormErrors(diags))
    }
}
