//! Turning finalized interviews into indicator tallies, one interview at a time (constant
//! memory: a hub may hold hundreds of thousands).

use super::def::Indicators;
use super::stats::Tally;
use crate::expr::{Context, NodeId, Value, eval};
use crate::form::answer::parse_answer;
use crate::form::{Form, Kind, Text};
use crate::record::Finalized;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Breakdown {
    pub name: String,
    pub label: Text,
    /// Cell value → tally.
    pub cells: BTreeMap<String, Tally>,
    /// The definition's cells, in order, with their names (see `def::Breakdown`).
    pub categories: Vec<(String, Text)>,
    /// The breakdown this one's cells are shown under, and each cell's cell there.
    pub within: Option<usize>,
    pub parent: BTreeMap<String, String>,
}

impl Breakdown {
    /// The cells in the definition's order (age bands 7–10, 11–15, 16–17; choices as the
    /// form lists them), those it does not list after, sorted.
    pub fn ordered(&self) -> Vec<(&str, &Tally)> {
        let rank = |c: &str| {
            self.categories
                .iter()
                .position(|(v, _)| v == c)
                .unwrap_or(usize::MAX)
        };
        let mut out: Vec<(&str, &Tally)> =
            self.cells.iter().map(|(c, t)| (c.as_str(), t)).collect();
        out.sort_by_key(|(c, _)| rank(c));
        out
    }

    /// A cell's name in `lang`.
    pub fn name(&self, cell: &str, lang: &str) -> String {
        self.categories
            .iter()
            .find(|(v, _)| v == cell)
            .map_or_else(|| cell.to_string(), |(_, t)| t.get(lang).to_string())
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndicatorResult {
    pub id: String,
    pub label: Text,
    pub targets: Vec<(i32, f64)>,
    pub total: Tally,
    pub by: Vec<Breakdown>,
    /// The total per survey round (the `round` setting, else the year).
    pub rounds: BTreeMap<String, Tally>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub form_id: String,
    pub form_title: Text,
    /// Completed interviews read.
    pub interviews: u64,
    /// Interviews that ended early, by reason (declined, withdrawn, not_eligible…).
    pub ended: BTreeMap<String, u64>,
    pub results: Vec<IndicatorResult>,
    /// When the first and the last interview read were finalized.
    pub period: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    /// When the report was made.
    pub generated: DateTime<FixedOffset>,
    /// The languages the form (and so the report's labels) is written in.
    pub languages: Vec<String>,
}

/// The answers of one interview as expressions see them.
struct Answers<'a> {
    form: &'a Form,
    vals: Vec<Value>,
    now: DateTime<FixedOffset>,
}

impl Context for Answers<'_> {
    fn value(&self, node: NodeId) -> Value {
        self.vals
            .get(node.index())
            .cloned()
            .unwrap_or_else(Value::blank)
    }
    fn current(&self) -> Value {
        Value::blank()
    }
    fn position(&self) -> f64 {
        f64::NAN
    }
    fn now(&self) -> DateTime<FixedOffset> {
        self.now
    }
    fn choice_label(&self, node: NodeId, value: &str) -> String {
        let lang = &self.form.default_language;
        self.form
            .list_of(node)
            .and_then(|l| l.find(value))
            .map_or_else(|| value.to_string(), |c| c.label.get(lang).to_string())
    }
    fn column(&self, _: &str) -> Value {
        Value::blank()
    }
}

pub struct Accumulator<'a> {
    defs: &'a Indicators,
    answers: Answers<'a>,
    report: Report,
}

impl<'a> Accumulator<'a> {
    pub fn new(
        defs: &'a Indicators,
        form: &'a Form,
        now: DateTime<FixedOffset>,
    ) -> Accumulator<'a> {
        let results = defs
            .indicators
            .iter()
            .map(|i| IndicatorResult {
                id: i.id.clone(),
                label: i.label.clone(),
                targets: i.targets.clone(),
                total: Tally::default(),
                by: defs
                    .breakdowns
                    .iter()
                    .map(|b| Breakdown {
                        name: b.name.clone(),
                        label: b.label.clone(),
                        cells: BTreeMap::new(),
                        categories: b.categories.clone(),
                        within: b.within,
                        parent: BTreeMap::new(),
                    })
                    .collect(),
                rounds: BTreeMap::new(),
            })
            .collect();
        Accumulator {
            defs,
            answers: Answers {
                form,
                vals: vec![Value::blank(); form.nodes.len()],
                now,
            },
            report: Report {
                form_id: form.id.clone(),
                form_title: form.title.clone(),
                interviews: 0,
                ended: BTreeMap::new(),
                results,
                period: None,
                generated: now,
                languages: form.languages.clone(),
            },
        }
    }

    /// Adds one finalized interview (of this form; others are ignored).
    pub fn add(&mut self, f: &Finalized) {
        let form = self.answers.form;
        if f.form.id != form.id {
            return;
        }
        self.report.interviews += 1;
        let at = f.finished.local();
        self.report.period = Some(match self.report.period {
            Some((a, b)) => (a.min(at), b.max(at)),
            None => (at, at),
        });
        self.answers
            .vals
            .iter_mut()
            .for_each(|v| *v = Value::blank());
        let utc = FixedOffset::east_opt(0).unwrap_or_else(|| self.answers.now.timezone());
        for (key, raw) in &f.answers {
            // Indicators read the interview's top level; repeat answers are not used here.
            let Some(&node) = form.by_name.get(key.as_str()) else {
                continue;
            };
            let n = form.node(node);
            let v = if matches!(n.kind, Kind::Calculate(_)) {
                Value::Str(raw.clone())
            } else {
                parse_answer(&n.kind, form.list_of(node), raw, utc)
                    .unwrap_or_else(|_| Value::Str(raw.clone()))
            };
            self.answers.vals[node.index()] = v;
        }
        let cx = &self.answers;
        let weight = self
            .defs
            .weight
            .as_ref()
            .map_or(1.0, |w| eval(w, cx).to_num());
        let weight = if weight.is_finite() && weight > 0.0 {
            weight
        } else {
            0.0
        };
        let cells: Vec<String> = self
            .defs
            .breakdowns
            .iter()
            .map(|b| eval(&b.value, cx).to_str().into_owned())
            .collect();
        let round = match &self.defs.round {
            Some(r) => eval(r, cx).to_str().into_owned(),
            None => at.format("%Y").to_string(),
        };
        for (def, res) in self.defs.indicators.iter().zip(&mut self.report.results) {
            if !eval(&def.population, cx).to_bool() {
                continue;
            }
            let yes = eval(&def.numerator, cx).to_bool();
            res.total.add(yes, weight);
            if !round.is_empty() {
                res.rounds
                    .entry(round.clone())
                    .or_default()
                    .add(yes, weight);
            }
            for (k, (cell, b)) in cells.iter().zip(&mut res.by).enumerate() {
                if cell.is_empty() {
                    continue;
                }
                b.cells.entry(cell.clone()).or_default().add(yes, weight);
                if let Some(up) = self.defs.breakdowns[k].within
                    && !b.parent.contains_key(cell)
                    && !cells[up].is_empty()
                {
                    b.parent.insert(cell.clone(), cells[up].clone());
                }
            }
        }
    }

    /// Counts an interview that ended early (a tombstone), for the response figures.
    pub fn ended(&mut self, form_id: &str, reason: &str) {
        self.ended_n(form_id, reason, 1);
    }

    /// `n` interviews of `form_id` that ended early for `reason` (a store's counters).
    pub fn ended_n(&mut self, form_id: &str, reason: &str, n: u64) {
        if form_id == self.answers.form.id {
            *self.report.ended.entry(reason.to_string()).or_default() += n;
        }
    }

    pub fn finish(self) -> Report {
        self.report
    }
}
