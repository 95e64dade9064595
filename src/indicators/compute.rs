//! Turning finalized interviews into indicator tallies, one interview at a time (constant
//! memory: a hub may hold hundreds of thousands).

use super::def::Indicators;
use super::stats::{Design, Tally};
use super::tallies::{self, State};
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
    /// The days the first and the last interview read were finalized.
    pub period: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
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
    /// When the report is made.
    generated: DateTime<FixedOffset>,
    state: State,
    /// (stratum, PSU) → the PSU's index in the state.
    psu_index: std::collections::HashMap<(String, String), u32>,
    /// (round, post-stratifying cells) → the post-stratum's index in the state.
    group_index: std::collections::HashMap<(String, Vec<String>), u32>,
    rows: Option<Microdata<'a>>,
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
        Accumulator::resume(defs, form, now, State::new(defs))
    }

    /// Goes on from tallies kept earlier (made for this same definition: see `State::fits`).
    pub fn resume(
        defs: &'a Indicators,
        form: &'a Form,
        now: DateTime<FixedOffset>,
        state: State,
    ) -> Accumulator<'a> {
        let psu_index = state
            .psus
            .iter()
            .enumerate()
            .filter_map(|(i, (h, name, _))| {
                let stratum = state.strata.get(*h as usize)?;
                Some(((stratum.clone(), name.clone()), i as u32))
            })
            .collect();
        let group_index = state
            .groups
            .iter()
            .enumerate()
            .map(|(g, (round, cells, _))| ((round.clone(), cells.clone()), g as u32))
            .collect();
        Accumulator {
            defs,
            answers: Answers {
                form,
                vals: vec![Value::blank(); form.nodes.len()],
                now,
            },
            generated: now,
            state,
            psu_index,
            group_index,
            rows: None,
        }
    }

    /// The tallies as they stand.
    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn into_state(self) -> State {
        self.state
    }

    /// The index of the interview's PSU in the design, when there is one.
    fn psu_of(&mut self) -> Option<u32> {
        self.defs.psu.as_ref()?;
        let cx = &self.answers;
        let name = |e: &Option<crate::expr::Expr>| {
            e.as_ref()
                .map_or_else(String::new, |e| eval(e, cx).to_str().into_owned())
        };
        let key = (name(&self.defs.strata), name(&self.defs.psu));
        if let Some(&i) = self.psu_index.get(&key) {
            return Some(i);
        }
        // A commune the plan did not select was not sampled: not a PSU of the design.
        if let Some(sel) = &self.defs.selection
            && sel.weight(&key.0, &key.1).is_none()
        {
            return None;
        }
        let st = &mut self.state;
        let h = match st.strata.iter().position(|s| *s == key.0) {
            Some(h) => h,
            None => {
                st.strata.push(key.0.clone());
                st.strata.len() - 1
            }
        };
        let i = st.psus.len() as u32;
        st.psus.push((h as u32, key.1.clone(), 0));
        self.psu_index.insert(key, i);
        Some(i)
    }

    /// Adds one finalized interview (of this form; others are ignored).
    pub fn add(&mut self, f: &Finalized) {
        self.count(f, 1);
    }

    /// Takes back an interview added earlier (erased, or replaced by a new version).
    pub fn remove(&mut self, f: &Finalized) {
        self.count(f, -1);
    }

    fn count(&mut self, f: &Finalized, d: i64) {
        if f.form.id != self.answers.form.id {
            return;
        }
        let st = &mut self.state;
        st.interviews = st.interviews.saturating_add_signed(d);
        let at = f.finished.local();
        tallies::bump(&mut st.days, &at.date_naive(), d);
        self.load(f);
        // Expressions read "now" as when the interview was finalized (an age is the age at
        // the interview), so a figure does not change with the day it is computed.
        self.answers.now = at;
        let row = self.evaluate(at);
        if self.defs.selection.is_some() && row.psu.is_none() {
            // Taken in a commune the plan did not select: outside the sample, said in the
            // report rather than counted with a made-up weight.
            self.state.outside_plan = self.state.outside_plan.saturating_add_signed(d);
            return;
        }
        let group = self.group_of(&row);
        let st = &mut self.state;
        if let Some(g) = st.groups.get_mut(group as usize) {
            g.2 = g.2.saturating_add_signed(d);
        }
        if let Some(i) = row.psu {
            if !self.defs.post_strata.is_empty() {
                let e = st.group_weights.entry((i, group)).or_default();
                *e = (e.0.saturating_add_signed(d), e.1 + row.weight * d as f64);
                if e.0 == 0 {
                    st.group_weights.remove(&(i, group));
                }
            }
            if let Some(p) = st.psus.get_mut(i as usize) {
                p.2 = p.2.saturating_add_signed(d);
            }
        }
        if d > 0 && self.rows.is_some() {
            let names = self.psu_name(row.psu);
            if let Some(out) = self.rows.as_mut() {
                out.push(f.id, &row, names);
            }
        }
        self.tally(&row, group, d);
    }

    /// The interview's post-stratum (0 without post-stratification): its round and its
    /// cells of the post-stratifying breakdowns.
    fn group_of(&mut self, row: &Evaluated) -> u32 {
        if self.defs.post_strata.is_empty() || row.psu.is_none() {
            return 0;
        }
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
        let g = self.state.groups.len() as u32;
        self.state.groups.push((key.0.clone(), key.1.clone(), 0));
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

    fn tally(&mut self, row: &Evaluated, group: u32, d: i64) {
        let (weight, cells) = (row.weight, &row.cells);
        let unit = row.psu.map(|i| (i, group));
        for (value, res) in row.values.iter().zip(&mut self.state.counts) {
            let Some(yes) = *value else {
                continue;
            };
            let one = (yes, weight, unit);
            res.total.count(yes, weight, unit, d);
            if !row.round.is_empty() {
                tallies::count_in(&mut res.rounds, &row.round, one, d);
            }
            for (k, cell) in cells.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                if let Some(by) = res.by.get_mut(k) {
                    tallies::count_in(by, cell, one, d);
                }
                if let Some(up) = self.defs.breakdowns[k].within
                    && d > 0
                    && !cells[up].is_empty()
                    && let Some(parent) = res.parent.get_mut(k)
                    && !parent.contains_key(cell)
                {
                    parent.insert(cell.clone(), cells[up].clone());
                }
            }
        }
    }

    /// The (stratum, PSU) names of a PSU index.
    fn psu_name(&self, psu: Option<u32>) -> (String, String) {
        let st = &self.state;
        psu.and_then(|i| st.psus.get(i as usize))
            .and_then(|(h, name, _)| Some((st.strata.get(*h as usize)?.clone(), name.clone())))
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
            *self.state.ended.entry(reason.to_string()).or_default() += n;
        }
    }

    /// The report, each cell's design variance worked out when there is a design.
    pub fn finish(self) -> Report {
        let form = self.answers.form;
        super::finish::report(&self.state, self.defs, form, self.generated)
    }
}
