//! Indicator files (`forms/FORM.indicators.toml`): labels, population, numerator, targets and
//! breakdowns, written in the form's own expression language.

use super::plan::Selection;
use super::tables::{self, Totals};
use crate::expr::Expr;
use crate::form::diag::{Diagnostic, FormErrors, Locator};
use crate::form::{Form, Text};
use serde::Deserialize;
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

#[derive(Debug)]
pub struct Indicators {
    pub form_id: String,
    pub weight: Option<Expr>,
    /// Which survey round an interview belongs to (default: the year it was finalized).
    pub round: Option<Expr>,
    /// The sample design: the stratum and the primary sampling unit (a commune) each
    /// interview was drawn in. Without them, intervals assume simple random sampling.
    pub strata: Option<Expr>,
    pub psu: Option<Expr>,
    /// The sample plan (`hub plan`'s file, beside the indicator file): each commune's
    /// selection probability. With it the weight is 1/π of the interview's commune times
    /// `child_weight` (the inverse of the child's chance of selection within the commune).
    pub plan: Option<String>,
    pub child_weight: Option<Expr>,
    /// The plan's selection, read by `load` from the file `plan` names.
    pub selection: Option<Selection>,
    /// Post-stratification: the breakdowns (indices) whose cells, with the survey round,
    /// make the post-strata, and the file of known totals beside the indicator file; the
    /// totals themselves, read by `load`.
    pub post_strata: Vec<usize>,
    pub totals_file: Option<String>,
    pub totals: Option<Totals>,
    pub breakdowns: Vec<Breakdown>,
    pub indicators: Vec<Indicator>,
    /// SHA-256 of what the figures follow from: the indicator file, and the plan and totals
    /// it reads (tallies kept under another are counted again).
    pub fingerprint: [u8; 32],
}

#[derive(Debug)]
pub struct Breakdown {
    pub name: String,
    pub label: Text,
    /// The cell an interview falls in (blank: left out of this breakdown).
    pub value: Expr,
    /// The cells in the order they are shown, with their names in each language: written
    /// in the file, or a select question's choices when `value` is just `${question}`.
    /// Cells not listed come after them, sorted.
    pub categories: Vec<(String, Text)>,
    /// Index of the breakdown whose cells this one's are shown under (communes under their
    /// province).
    pub within: Option<usize>,
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
    round: Option<Spanned<String>>,
    strata: Option<Spanned<String>>,
    psu: Option<Spanned<String>>,
    plan: Option<String>,
    child_weight: Option<Spanned<String>>,
    #[serde(default)]
    post_strata: Vec<Spanned<String>>,
    totals: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreakdown {
    name: String,
    label: toml::Value,
    value: Spanned<String>,
    within: Option<Spanned<String>>,
    categories: Option<Vec<RawCategory>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    value: String,
    label: Option<toml::Value>,
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
    let mut defs = parse(&shown, &src, form)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut hash = sha2::Sha256::new();
    hash.update(defs.fingerprint);
    let mut table = |name: &str| -> Result<(String, String), FormErrors> {
        let p = dir.join(name);
        let shown = p.display().to_string();
        std::fs::read_to_string(&p)
            .map(|src| {
                hash.update((src.len() as u64).to_le_bytes());
                hash.update(src.as_bytes());
                (shown.clone(), src)
            })
            .map_err(|e| table_error(&shown, 0, format!("cannot read: {e}")))
    };
    if let Some(plan) = &defs.plan {
        let (shown, src) = table(plan)?;
        let sel = tables::selection(&src).map_err(|b| table_error(&shown, b.line, b.message))?;
        defs.selection = Some(sel);
    }
    if let Some(file) = &defs.totals_file {
        let (shown, src) = table(file)?;
        let by: Vec<String> = defs
            .post_strata
            .iter()
            .map(|&i| defs.breakdowns[i].name.clone())
            .collect();
        let t = tables::totals(&src, &by).map_err(|b| table_error(&shown, b.line, b.message))?;
        defs.totals = Some(t);
    }
    defs.fingerprint = hash.finalize().into();
    Ok(defs)
}

fn table_error(path: &str, line: u64, message: String) -> FormErrors {
    FormErrors(vec![Diagnostic {
        line: line.max(1) as u32,
        col: 1,
        message,
        path: path.to_string(),
        place: None,
    }])
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

/// A breakdown that is just `${question}` of a select_one: its choices, in the form's order
/// and languages.
fn choices_of(form: &Form, value: &Expr) -> Vec<(String, Text)> {
    let Expr::Ref { node, .. } = value else {
        return Vec::new();
    };
    match (&form.node(*node).kind, form.list_of(*node)) {
        (crate::form::Kind::SelectOne(_), Some(list)) => list
            .choices
            .iter()
            .map(|c| (c.name.clone(), c.label.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Compiles the file's expressions against the form, collecting every problem with its place.
struct Compiler<'a> {
    form: &'a Form,
    loc: Locator<'a>,
    diags: Vec<Diagnostic>,
}

impl Compiler<'_> {
    fn compile(&mut self, s: &Spanned<String>, field: &str) -> Option<Expr> {
        let base = self.loc.string_body(s.span().start);
        match self.form.compile(s.get_ref()) {
            Ok(e) => Some(e),
            Err(errs) => {
                for (off, msg) in errs {
                    let d = self.loc.at(base + off, format!("in `{field}`: {msg}"));
                    self.diags.push(d);
                }
                None
            }
        }
    }

    fn breakdowns(&mut self, raw: &[RawBreakdown]) -> Vec<Breakdown> {
        let lang = self.form.default_language.clone();
        let mut out: Vec<Breakdown> = Vec::new();
        for b in raw {
            let within = b.within.as_ref().and_then(|w| {
                let at = out.iter().position(|x| x.name == *w.get_ref());
                if at.is_none() {
                    let msg = format!("`within`: no breakdown `{}` above this one", w.get_ref());
                    self.diags.push(self.loc.at(w.span().start, msg));
                }
                at
            });
            let Some(value) = self.compile(&b.value, "value") else {
                continue;
            };
            let categories = match &b.categories {
                Some(cs) => cs
                    .iter()
                    .map(|c| {
                        let label = c
                            .label
                            .as_ref()
                            .map_or_else(|| Text::single(&lang, &c.value), |l| text(l, &lang));
                        (c.value.clone(), label)
                    })
                    .collect(),
                None => choices_of(self.form, &value),
            };
            out.push(Breakdown {
                name: b.name.clone(),
                label: text(&b.label, &lang),
                value,
                categories,
                within,
            });
        }
        out
    }

    /// The breakdowns `post_strata` names; it comes with `totals` and a design.
    fn post_strata(
        &mut self,
        raw: &RawSettings,
        breakdowns: &[Breakdown],
        psu: bool,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        for name in &raw.post_strata {
            match breakdowns.iter().position(|b| b.name == *name.get_ref()) {
                Some(i) => out.push(i),
                None => {
                    let msg = format!("`post_strata`: no breakdown `{}`", name.get_ref());
                    self.diags.push(self.loc.at(name.span().start, msg));
                }
            }
        }
        if raw.post_strata.is_empty() != raw.totals.is_none() || (!out.is_empty() && !psu) {
            let msg = "post-stratification needs `post_strata` (breakdown names, e.g.                        [\"province\", \"sex\", \"age_band\"]), `totals` (the file of known                        totals beside this one) and the design (`strata`, `psu`)";
            self.diags.push(self.loc.at(0, msg.to_string()));
        }
        out
    }

    fn indicators(&mut self, raw: &[RawIndicator]) -> Vec<Indicator> {
        let lang = self.form.default_language.clone();
        let mut out = Vec::new();
        for i in raw {
            let population = self.compile(&i.population, "population");
            let numerator = self.compile(&i.numerator, "numerator");
            let mut targets = Vec::new();
            for (year, v) in &i.targets {
                match year.parse::<i32>() {
                    Ok(y) if (0.0..=1.0).contains(v.get_ref()) => targets.push((y, *v.get_ref())),
                    _ => {
                        let msg = format!(
                            "target `{year}` must be a year with a proportion from 0 to 1, like 2025 = 0.30"
                        );
                        self.diags.push(self.loc.at(v.span().start, msg));
                    }
                }
            }
            if let (Some(population), Some(numerator)) = (population, numerator) {
                out.push(Indicator {
                    id: i.id.clone(),
                    label: text(&i.label, &lang),
                    population,
                    numerator,
                    targets,
                });
            }
        }
        out
    }
}

/// Parses an indicator file; every expression problem is reported as `path:line:col`.
pub fn parse(path: &str, src: &str, form: &Form) -> Result<Indicators, FormErrors> {
    let loc = Locator::new(path, src);
    let raw: Raw = toml::from_str(src).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        FormErrors(vec![loc.at(at, e.message().trim().to_string())])
    })?;
    let mut c = Compiler {
        form,
        loc,
        diags: Vec::new(),
    };
    if raw.settings.form != form.id {
        let msg = format!(
            "indicators are for form `{}`, not `{}`",
            raw.settings.form, form.id
        );
        c.diags.push(c.loc.at(0, msg));
    }
    let weight = raw
        .settings
        .weight
        .as_ref()
        .and_then(|w| c.compile(w, "weight"));
    let setting = |c: &mut Compiler, v: &Option<Spanned<String>>, name: &str| {
        v.as_ref().and_then(|e| c.compile(e, name))
    };
    let round = setting(&mut c, &raw.settings.round, "round");
    let strata = setting(&mut c, &raw.settings.strata, "strata");
    let psu = setting(&mut c, &raw.settings.psu, "psu");
    let child_weight = setting(&mut c, &raw.settings.child_weight, "child_weight");
    if strata.is_some() && psu.is_none() {
        let msg = "`strata` needs `psu` (the primary sampling unit, e.g. \"${commune}\")";
        c.diags.push(c.loc.at(0, msg.to_string()));
    }
    if raw.settings.plan.is_some() && (psu.is_none() || weight.is_some()) {
        let msg = "`plan` weights interviews by their commune's selection probability: it \
                   needs `strata` and `psu`, and replaces `weight` (use `child_weight` for \
                   the selection within the commune)";
        c.diags.push(c.loc.at(0, msg.to_string()));
    }
    let breakdowns = c.breakdowns(&raw.breakdown);
    let indicators = c.indicators(&raw.indicator);
    let post_strata = c.post_strata(&raw.settings, &breakdowns, psu.is_some());
    if c.diags.is_empty() {
        Ok(Indicators {
            fingerprint: sha2::Sha256::digest(src.as_bytes()).into(),
            form_id: raw.settings.form,
            weight,
            round,
            strata,
            psu,
            plan: raw.settings.plan,
            child_weight,
            selection: None,
            post_strata,
            totals_file: raw.settings.totals,
            totals: None,
            breakdowns,
            indicators,
        })
    } else {
        c.diags.sort();
        Err(FormErrors(c.diags))
    }
}
