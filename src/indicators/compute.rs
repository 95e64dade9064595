//! Turning finalized interviews into indicator tallies, one interview at a time (constant
//! memory: a hub may hold hundreds of thousands).

use super::def::Indicators;
use super::stats::{Design, PostStrata, Tally};
use crate::expr::{Context, NodeId, Value, eval};
use crate::form::answer::parse_answer;
use crate::form::{Form, Kind, Text};
use crate::record::Finalized;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::io::Write;

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
    /// The sample design the intervals follow (strata and PSUs met); none: simple random
    /// sampling is assumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design: Option<Design>,
    /// Interviews from communes the sample plan did not select (weight 0, left out).
    #[serde(default)]
    pub outside_plan: u64,
    /// With a sample plan: each selected commune's children planned and interviews done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achieved: Option<super::plan::Achieved>,
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
    /// (stratum, PSU) → the PSU's index in the report's design.
    psu_index: std::collections::HashMap<(String, String), u32>,
    /// Completed interviews per PSU (by index).
    per_psu: Vec<u64>,
    rows: Option<Microdata<'a>>,
    /// (round, post-stratifying cells) → the post-stratum's index in the design.
    group_index: std::collections::HashMap<(String, Vec<String>), u32>,
    /// Interviews counted per post-stratum (by index).
    per_group: Vec<u64>,
}

/// What the indicator file makes of one interview.
struct Evaluated {
    weight: f64,
    /// Each breakdown's cell (blank: not in it).
    cells: Vec<String>,
    round: String,
    psu: Option<u32>,
    /// Per indicator: outside its population (`None`), or whether the numerator holds.
    values: Vec<Option<bool>>,
}

/// One CSV row per interview: id, weight, stratum, PSU, round, each breakdown's cell, and
/// per indicator whether the child is in its population and, if so, counted (0/1).
struct Microdata<'a> {
    out: Box<dyn std::io::Write + 'a>,
    /// The first write that failed (the rest are not tried).
    error: Option<std::io::Error>,
}

impl<'a> Microdata<'a> {
    fn new(defs: &Indicators, out: Box<dyn std::io::Write + 'a>) -> Microdata<'a> {
        let mut head = vec!["id", "weight", "stratum", "psu", "round"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        head.extend(defs.breakdowns.iter().map(|b| format!("by_{}", b.name)));
        for i in &defs.indicators {
            head.push(format!("in_{}", i.id));
            head.push(i.id.clone());
        }
        let mut m = Microdata { out, error: None };
        m.line(&head);
        m
    }

    fn line(&mut self, cols: &[String]) {
        if self.error.is_none()
            && let Err(e) = writeln!(self.out, "{}", cols.join(","))
        {
            self.error = Some(e);
        }
    }

    fn push(&mut self, id: uuid::Uuid, row: &Evaluated, (stratum, psu): (String, String)) {
        let field = crate::export::csv::field;
        let mut cols = vec![
            id.to_string(),
            format!("{}", row.weight),
            field(&stratum),
            field(&psu),
            field(&row.round),
        ];
        cols.extend(row.cells.iter().map(|c| field(c)));
        for v in &row.values {
            let (inside, yes) = match v {
                None => ("0", ""),
                Some(true) => ("1", "1"),
                Some(false) => ("1", "0"),
            };
            cols.push(inside.into());
            cols.push(yes.into());
        }
        self.line(&cols);
    }
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
                design: defs.psu.as_ref().map(|_| Design {
                    post: (!defs.post_strata.is_empty()).then(|| PostStrata {
                        by: defs
                            .post_strata
                            .iter()
                            .map(|&i| defs.breakdowns[i].name.clone())
                            .collect(),
                        ..PostStrata::default()
                    }),
                    ..Design::default()
                }),
                outside_plan: 0,
                achieved: None,
            },
            psu_index: Default::default(),
            per_psu: Vec::new(),
            rows: None,
            group_index: Default::default(),
            per_group: Vec::new(),
        }
    }

    /// The index of the interview's PSU in the design, when there is one.
    fn psu_of(&mut self) -> Option<u32> {
        let design = self.report.design.as_mut()?;
        let cx = &self.answers;
        let stratum = self
            .defs
            .strata
            .as_ref()
            .map_or_else(String::new, |e| eval(e, cx).to_str().into_owned());
        let psu = self
            .defs
            .psu
            .as_ref()
            .map_or_else(String::new, |e| eval(e, cx).to_str().into_owned());
        let key = (stratum, psu);
        if let Some(&i) = self.psu_index.get(&key) {
            return Some(i);
        }
        // A commune the plan did not select was not sampled: not a PSU of the design.
        if let Some(sel) = &self.defs.selection
            && sel.weight(&key.0, &key.1).is_none()
        {
            return None;
        }
        let h = match design.strata.iter().position(|s| *s == key.0) {
            Some(h) => h,
            None => {
                design.strata.push(key.0.clone());
                design.strata.len() - 1
            }
        };
        let i = design.psus.len() as u32;
        design.psus.push((h as u32, key.1.clone()));
        self.psu_index.insert(key, i);
        Some(i)
    }

    /// Adds one finalized interview (of this form; others are ignored).
    pub fn add(&mut self, f: &Finalized) {
        if f.form.id != self.answers.form.id {
            return;
        }
        self.report.interviews += 1;
        let at = f.finished.local();
        self.report.period = Some(match self.report.period {
            Some((a, b)) => (a.min(at), b.max(at)),
            None => (at, at),
        });
        self.load(f);
        let row = self.evaluate(at);
        if self.defs.selection.is_some() && row.psu.is_none() {
            // Taken in a commune the plan did not select: outside the sample, said in the
            // report rather than counted with a made-up weight.
            self.report.outside_plan += 1;
            return;
        }
        let group = self.group_of(&row);
        if self.per_group.len() <= group as usize {
            self.per_group.resize(group as usize + 1, 0);
        }
        self.per_group[group as usize] += 1;
        if let Some(i) = row.psu {
            if let Some(post) = self.report.design.as_mut().and_then(|d| d.post.as_mut()) {
                *post.weights.entry((i, group)).or_default() += row.weight;
            }
            let i = i as usize;
            if self.per_psu.len() <= i {
                self.per_psu.resize(i + 1, 0);
            }
            self.per_psu[i] += 1;
        }
        if self.rows.is_some() {
            let names = self.psu_name(row.psu);
            if let Some(out) = self.rows.as_mut() {
                out.push(f.id, &row, names);
            }
        }
        self.tally(&row, group);
    }

    /// The interview's post-stratum (0 without post-stratification): its round and its
    /// cells of the post-stratifying breakdowns.
    fn group_of(&mut self, row: &Evaluated) -> u32 {
        let Some(post) = self.report.design.as_mut().and_then(|d| d.post.as_mut()) else {
            return 0;
        };
        let cells: Vec<String> = self
            .defs
            .post_strata
            .iter()
            .map(|&b| row.cells[b].clone())
            .collect();
        let key = (row.round.clone(), cells);
        if let Some(&g) = self.group_index.get(&key) {
            return g;
        }
        let known = self.defs.totals.as_ref().and_then(|t| t.cells.get(&key.1));
        let g = post.groups.len() as u32;
        post.groups
            .push((key.0.clone(), key.1.clone(), known.copied()));
        self.group_index.insert(key, g);
        g
    }

    /// The interview's answers as the expressions see them.
    fn load(&mut self, f: &Finalized) {
        let form = self.answers.form;
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
    }

    /// The interview's weight: the `weight` expression, or with a plan 1/π of its commune
    /// times `child_weight` (`None` for a commune the plan did not select).
    fn weight(&self, psu: Option<u32>) -> Option<f64> {
        let cx = &self.answers;
        let Some(sel) = &self.defs.selection else {
            let w = self.defs.weight.as_ref();
            return Some(w.map_or(1.0, |w| eval(w, cx).to_num()));
        };
        let within = self
            .defs
            .child_weight
            .as_ref()
            .map_or(1.0, |w| eval(w, cx).to_num());
        let (stratum, commune) = self.psu_name(Some(psu?));
        sel.weight(&stratum, &commune).map(|w| w * within)
    }

    /// What the indicator file makes of the loaded interview.
    fn evaluate(&mut self, at: DateTime<FixedOffset>) -> Evaluated {
        let psu = self.psu_of();
        let weight = self.weight(psu).unwrap_or(0.0);
        let cx = &self.answers;
        Evaluated {
            weight: if weight.is_finite() && weight > 0.0 {
                weight
            } else {
                0.0
            },
            cells: self
                .defs
                .breakdowns
                .iter()
                .map(|b| eval(&b.value, cx).to_str().into_owned())
                .collect(),
            round: match &self.defs.round {
                Some(r) => eval(r, cx).to_str().into_owned(),
                None => at.format("%Y").to_string(),
            },
            psu,
            values: self
                .defs
                .indicators
                .iter()
                .map(|d| {
                    eval(&d.population, cx)
                        .to_bool()
                        .then(|| eval(&d.numerator, cx).to_bool())
                })
                .collect(),
        }
    }

    fn tally(&mut self, row: &Evaluated, group: u32) {
        let (weight, cells) = (row.weight, &row.cells);
        let psu = row.psu.map(|i| (i, group));
        for (value, res) in row.values.iter().zip(&mut self.report.results) {
            let Some(yes) = *value else {
                continue;
            };
            res.total.add_in(yes, weight, psu);
            if !row.round.is_empty() {
                res.rounds
                    .entry(row.round.clone())
                    .or_default()
                    .add_in(yes, weight, psu);
            }
            for (k, (cell, b)) in cells.iter().zip(&mut res.by).enumerate() {
                if cell.is_empty() {
                    continue;
                }
                b.cells
                    .entry(cell.clone())
                    .or_default()
                    .add_in(yes, weight, psu);
                if let Some(up) = self.defs.breakdowns[k].within
                    && !b.parent.contains_key(cell)
                    && !cells[up].is_empty()
                {
                    b.parent.insert(cell.clone(), cells[up].clone());
                }
            }
        }
    }

    /// The (stratum, PSU) names of a PSU index.
    fn psu_name(&self, psu: Option<u32>) -> (String, String) {
        let design = self.report.design.as_ref();
        psu.and_then(|i| design?.psus.get(i as usize))
            .and_then(|(h, name)| {
                let stratum = design?.strata.get(*h as usize)?;
                Some((stratum.clone(), name.clone()))
            })
            .unwrap_or_default()
    }

    /// Also write one CSV row per interview to `out` as it is read: what each indicator
    /// made of it, its weight, stratum and PSU (`report --microdata`), for an analyst to
    /// check the figures in R or Stata.
    pub fn write_rows(&mut self, out: Box<dyn std::io::Write + 'a>) {
        self.rows = Some(Microdata::new(self.defs, out));
    }

    /// Whether every microdata row was written (the first write error, if not).
    pub fn rows_written(&mut self) -> std::io::Result<()> {
        match self.rows.as_mut() {
            Some(m) => match m.error.take() {
                Some(e) => Err(e),
                None => m.out.flush(),
            },
            None => Ok(()),
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

    /// With a plan: per PSU, the children planned over the interviews completed there (a
    /// commune where fewer answered stands for its share all the same). 1 where the plan
    /// gives no number.
    fn nonresponse(&self) -> Option<Vec<f64>> {
        let sel = self.defs.selection.as_ref()?;
        let design = self.report.design.as_ref()?;
        let factors = design
            .psus
            .iter()
            .enumerate()
            .map(|(i, (h, psu))| {
                let stratum = design.strata.get(*h as usize).cloned().unwrap_or_default();
                let planned = sel
                    .communes
                    .get(&(stratum, psu.clone()))
                    .map_or(0, |(_, k)| *k);
                match (planned, self.per_psu.get(i).copied().unwrap_or(0)) {
                    (k, r) if k > 0 && r > 0 => k as f64 / r as f64,
                    _ => 1.0,
                }
            })
            .collect();
        Some(factors)
    }

    /// Post-stratification: each post-stratum's factor g = N / N̂, N̂ its weight after the
    /// non-response adjustment `nr`; the design's weights left adjusted by both (what the
    /// variance residuals use). Empty without post-stratification.
    fn post_stratify(&mut self, nr: Option<&[f64]>) -> Vec<f64> {
        let Some(post) = self.report.design.as_mut().and_then(|d| d.post.as_mut()) else {
            return Vec::new();
        };
        if let Some(nr) = nr {
            for (&(i, _), w) in post.weights.iter_mut() {
                *w *= nr.get(i as usize).unwrap_or(&1.0);
            }
        }
        let g = post.factors();
        for (&(_, k), w) in post.weights.iter_mut() {
            *w *= g[k as usize];
        }
        post.unmatched = self
            .per_group
            .iter()
            .zip(&post.groups)
            .filter(|(_, (_, _, known))| known.is_none())
            .map(|(n, _)| n)
            .sum();
        let rounds: std::collections::BTreeSet<&String> =
            post.groups.iter().map(|(r, _, _)| r).collect();
        let mut empty: Vec<String> = Vec::new();
        if let Some(totals) = &self.defs.totals {
            for round in rounds {
                for cells in totals.cells.keys() {
                    if !self
                        .group_index
                        .contains_key(&(round.clone(), cells.clone()))
                    {
                        empty.push(format!("{round}: {}", cells.join(" × ")));
                    }
                }
            }
        }
        empty.sort();
        post.empty = empty;
        g
    }

    /// The report, each cell's design variance worked out when there is a design.
    pub fn finish(mut self) -> Report {
        if let Some(sel) = &self.defs.selection {
            let mut communes: Vec<(String, String, u64, u64)> = sel
                .communes
                .iter()
                .map(|(key, (_, planned))| {
                    let done = self
                        .psu_index
                        .get(key)
                        .and_then(|i| self.per_psu.get(*i as usize))
                        .copied()
                        .unwrap_or(0);
                    (key.0.clone(), key.1.clone(), *planned, done)
                })
                .collect();
            communes.sort();
            self.report.achieved = Some(super::plan::Achieved { communes });
        }
        let nr = self.nonresponse();
        let g = self.post_stratify(nr.as_deref());
        if let Some(design) = &self.report.design {
            let factor = |i: u32, k: u32| {
                let f = nr.as_ref().and_then(|f| f.get(i as usize)).unwrap_or(&1.0);
                f * g.get(k as usize).unwrap_or(&1.0)
            };
            for res in &mut self.report.results {
                let tallies = std::iter::once(&mut res.total)
                    .chain(res.rounds.values_mut())
                    .chain(res.by.iter_mut().flat_map(|b| b.cells.values_mut()));
                for t in tallies {
                    if nr.is_some() || !g.is_empty() {
                        t.rescale(factor);
                    }
                    t.variance = design.variance(t);
                    t.df = Some(design.df());
                    t.psus.clear();
                }
            }
        }
        self.report
    }
}
