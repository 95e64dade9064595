//! The indicator tallies as they stand between interviews: counts and weighted sums only (no
//! answer is kept), so a hub can store them, add each interview as it arrives and take one
//! back out when it is erased or replaced, and report in time proportional to the cells, not
//! to the interviews.

use super::def::Indicators;
use super::stats::Tally;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One cell's respondents in one primary sampling unit and post-stratum.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub n: u64,
    /// Σw, Σw·y, Σw².
    pub w: f64,
    pub wy: f64,
    pub w2: f64,
}

/// One cell's running sums; `d` = +1 adds a respondent, −1 takes one back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sums {
    pub n: u64,
    pub yes: u64,
    pub w: f64,
    pub w2: f64,
    pub w_yes: f64,
    /// By (PSU index, post-stratum index), when there is a design.
    pub units: BTreeMap<(u32, u32), Unit>,
}

impl Sums {
    pub(crate) fn count(&mut self, yes: bool, weight: f64, unit: Option<(u32, u32)>, d: i64) {
        let (dw, sign) = (weight * d as f64, d as f64);
        self.n = self.n.saturating_add_signed(d);
        self.w += dw;
        self.w2 += weight * weight * sign;
        if yes {
            self.yes = self.yes.saturating_add_signed(d);
            self.w_yes += dw;
        }
        if let Some(k) = unit {
            let u = self.units.entry(k).or_default();
            u.n = u.n.saturating_add_signed(d);
            u.w += dw;
            u.w2 += weight * weight * sign;
            if yes {
                u.wy += dw;
            }
            if u.n == 0 {
                self.units.remove(&k);
            }
        }
    }

    /// The report's tally of this cell, its units renumbered by `renumber` (those it drops
    /// are PSUs or post-strata left with no interview).
    pub(crate) fn tally(&self, renumber: &impl Fn((u32, u32)) -> Option<(u32, u32)>) -> Tally {
        let mut t = Tally {
            n: self.n,
            yes: self.yes,
            w: self.w,
            w2: self.w2,
            w_yes: self.w_yes,
            ..Tally::default()
        };
        for (k, u) in &self.units {
            if let Some(k) = renumber(*k) {
                let e = t.psus.entry(k).or_default();
                *e = (e.0 + u.w, e.1 + u.wy, e.2 + u.w2);
            }
        }
        t
    }
}

/// Adds `d` to the cell `key` of `map`, dropping it when it empties (so a cell whose last
/// interview was erased is gone, as if it had never been counted).
pub(crate) fn count_in<K: Ord + Clone>(
    map: &mut BTreeMap<K, Sums>,
    key: &K,
    (yes, weight, unit): (bool, f64, Option<(u32, u32)>),
    d: i64,
) {
    let s = map.entry(key.clone()).or_default();
    s.count(yes, weight, unit, d);
    if s.n == 0 {
        map.remove(key);
    }
}

/// Adds `d` to a counter of `map`, dropping it at zero.
pub(crate) fn bump<K: Ord + Clone>(map: &mut BTreeMap<K, u64>, key: &K, d: i64) {
    let v = map.entry(key.clone()).or_default();
    *v = v.saturating_add_signed(d);
    if *v == 0 {
        map.remove(key);
    }
}

/// A post-stratum: its round, its cells of the post-stratifying breakdowns, its interviews.
pub type Group = (String, Vec<String>, u64);

/// One indicator's cells.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub total: Sums,
    /// By survey round.
    pub rounds: BTreeMap<String, Sums>,
    /// Per breakdown, by cell.
    pub by: Vec<BTreeMap<String, Sums>>,
    /// Per breakdown shown within another: each cell's cell there.
    pub parent: Vec<BTreeMap<String, String>>,
}

/// Everything a report is made from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Completed interviews counted.
    pub interviews: u64,
    /// Interviews that ended early, by reason.
    pub ended: BTreeMap<String, u64>,
    /// Interviews by the day they were finalized (the report's period).
    pub days: BTreeMap<NaiveDate, u64>,
    /// Interviews from communes the plan did not select.
    pub outside_plan: u64,
    /// Per indicator.
    pub counts: Vec<Counts>,
    /// Strata met, in order of appearance (a PSU keeps its index while it has interviews).
    pub strata: Vec<String>,
    /// Each PSU: its stratum's index, its name, its interviews.
    pub psus: Vec<(u32, String, u64)>,
    /// Each post-stratum.
    pub groups: Vec<Group>,
    /// Interviews and Σ weight by (PSU, post-stratum).
    pub group_weights: BTreeMap<(u32, u32), (u64, f64)>,
}

impl State {
    /// Empty tallies shaped for `defs`.
    pub fn new(defs: &Indicators) -> State {
        let b = defs.breakdowns.len();
        State {
            counts: vec![
                Counts {
                    by: vec![BTreeMap::new(); b],
                    parent: vec![BTreeMap::new(); b],
                    ..Counts::default()
                };
                defs.indicators.len()
            ],
            ..State::default()
        }
    }

    /// Whether these tallies have the shape `defs` gives (else they were made for another
    /// definition and must be counted again).
    pub fn fits(&self, defs: &Indicators) -> bool {
        self.counts.len() == defs.indicators.len()
            && self
                .counts
                .iter()
                .all(|c| c.by.len() == defs.breakdowns.len() && c.parent.len() == c.by.len())
            && self
                .psus
                .iter()
                .all(|(h, _, _)| (*h as usize) < self.strata.len())
    }
}
