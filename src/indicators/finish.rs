//! From tallies to a report: the design's strata and PSUs put in a fixed order (so the same
//! interviews give the same report however they arrived), the non-response and
//! post-stratification adjustments, and each cell's design variance.

use super::compute::{Breakdown, IndicatorResult, Report};
use super::def::Indicators;
use super::stats::{Design, PostStrata, Tally};
use super::tallies::{Group, State, Sums};
use crate::form::Form;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;

/// The PSUs and post-strata that still have interviews, renumbered in name order.
struct Layout {
    strata: Vec<String>,
    /// Old PSU index → new.
    psu: Vec<Option<u32>>,
    /// New PSU index → (stratum index, name, interviews).
    psus: Vec<(u32, String, u64)>,
    /// Old post-stratum index → new.
    group: Vec<Option<u32>>,
    groups: Vec<Group>,
}

impl Layout {
    fn of(st: &State) -> Layout {
        let name = |h: u32| st.strata.get(h as usize).cloned().unwrap_or_default();
        let mut kept: Vec<(String, String, usize, u64)> = st
            .psus
            .iter()
            .enumerate()
            .filter(|(_, p)| p.2 > 0)
            .map(|(i, (h, psu, n))| (name(*h), psu.clone(), i, *n))
            .collect();
        kept.sort();
        let mut strata: Vec<String> = kept.iter().map(|k| k.0.clone()).collect();
        strata.dedup();
        let mut psu = vec![None; st.psus.len()];
        let mut psus = Vec::with_capacity(kept.len());
        for (new, (stratum, name, old, n)) in kept.into_iter().enumerate() {
            psu[old] = Some(new as u32);
            let h = strata.binary_search(&stratum).unwrap_or_default() as u32;
            psus.push((h, name, n));
        }
        let mut kept: Vec<(&Group, usize)> = st
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.2 > 0)
            .map(|(i, g)| (g, i))
            .collect();
        kept.sort();
        let mut group = vec![None; st.groups.len()];
        let mut groups = Vec::with_capacity(kept.len());
        for (new, (g, old)) in kept.into_iter().enumerate() {
            group[old] = Some(new as u32);
            groups.push(g.clone());
        }
        Layout {
            strata,
            psu,
            psus,
            group,
            groups,
        }
    }

    /// A unit's new (PSU, post-stratum) numbers; `None` for one left without interviews.
    fn renumber(&self, post: bool, (i, g): (u32, u32)) -> Option<(u32, u32)> {
        let i = (*self.psu.get(i as usize)?)?;
        let g = if post {
            (*self.group.get(g as usize)?)?
        } else {
            0
        };
        Some((i, g))
    }
}

/// The report the tallies `st` give under `defs`.
pub(crate) fn report(
    st: &State,
    defs: &Indicators,
    form: &Form,
    generated: DateTime<FixedOffset>,
) -> Report {
    let layout = Layout::of(st);
    let post = !defs.post_strata.is_empty();
    let renumber = |k| layout.renumber(post, k);
    let tally = |s: &Sums| s.tally(&renumber);
    let results = defs
        .indicators
        .iter()
        .zip(&st.counts)
        .map(|(i, c)| IndicatorResult {
            id: i.id.clone(),
            label: i.label.clone(),
            targets: i.targets.clone(),
            total: tally(&c.total),
            by: defs
                .breakdowns
                .iter()
                .zip(c.by.iter().zip(&c.parent))
                .map(|(b, (cells, parent))| Breakdown {
                    name: b.name.clone(),
                    label: b.label.clone(),
                    cells: cells.iter().map(|(k, s)| (k.clone(), tally(s))).collect(),
                    categories: b.categories.clone(),
                    within: b.within,
                    parent: parent
                        .iter()
                        .filter(|(k, _)| cells.contains_key(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                })
                .collect(),
            rounds: c
                .rounds
                .iter()
                .map(|(k, s)| (k.clone(), tally(s)))
                .collect(),
        })
        .collect();
    let first_last = st.days.keys().next().zip(st.days.keys().next_back());
    let mut rep = Report {
        form_id: form.id.clone(),
        form_title: form.title.clone(),
        interviews: st.interviews,
        ended: st.ended.clone(),
        results,
        period: first_last.map(|(a, b)| (*a, *b)),
        generated,
        languages: form.languages.clone(),
        design: defs.psu.as_ref().map(|_| design(st, defs, &layout)),
        outside_plan: st.outside_plan,
        achieved: None,
    };
    adjust(&mut rep, defs, &layout);
    rep
}

/// The design as counted: strata, PSUs and post-strata with interviews.
fn design(st: &State, defs: &Indicators, layout: &Layout) -> Design {
    let post = (!defs.post_strata.is_empty()).then(|| {
        let known = |cells: &Vec<String>| defs.totals.as_ref()?.cells.get(cells).copied();
        PostStrata {
            by: defs
                .post_strata
                .iter()
                .map(|&i| defs.breakdowns[i].name.clone())
                .collect(),
            groups: layout
                .groups
                .iter()
                .map(|(round, cells, _)| (round.clone(), cells.clone(), known(cells)))
                .collect(),
            weights: st
                .group_weights
                .iter()
                .filter_map(|(k, (_, w))| Some((layout.renumber(true, *k)?, *w)))
                .collect(),
            ..PostStrata::default()
        }
    });
    Design {
        strata: layout.strata.clone(),
        psus: layout
            .psus
            .iter()
            .map(|(h, name, _)| (*h, name.clone()))
            .collect(),
        post,
    }
}

/// With a plan: what each selected commune achieved, and per PSU the children planned over
/// the interviews completed there (a commune where fewer answered stands for its share all
/// the same; 1 where the plan gives no number).
fn nonresponse(rep: &mut Report, defs: &Indicators, layout: &Layout) -> Option<Vec<f64>> {
    let sel = defs.selection.as_ref()?;
    let done: BTreeMap<(&str, &str), u64> = layout
        .psus
        .iter()
        .map(|(h, name, n)| {
            let stratum = layout.strata.get(*h as usize).map_or("", |s| s.as_str());
            ((stratum, name.as_str()), *n)
        })
        .collect();
    let mut communes: Vec<(String, String, u64, u64)> = sel
        .communes
        .iter()
        .map(|(key, (_, planned))| {
            let n = done.get(&(key.0.as_str(), key.1.as_str())).copied();
            (key.0.clone(), key.1.clone(), *planned, n.unwrap_or(0))
        })
        .collect();
    communes.sort();
    rep.achieved = Some(super::plan::Achieved { communes });
    rep.design.as_ref()?;
    let factors = layout
        .psus
        .iter()
        .map(|(h, psu, done)| {
            let stratum = layout.strata.get(*h as usize).cloned().unwrap_or_default();
            let planned = sel
                .communes
                .get(&(stratum, psu.clone()))
                .map_or(0, |(_, k)| *k);
            match (planned, *done) {
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
fn post_stratify(
    design: &mut Design,
    defs: &Indicators,
    layout: &Layout,
    nr: Option<&[f64]>,
) -> Vec<f64> {
    let Some(post) = design.post.as_mut() else {
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
    post.unmatched = layout
        .groups
        .iter()
        .zip(&post.groups)
        .filter(|(_, (_, _, known))| known.is_none())
        .map(|((_, _, n), _)| n)
        .sum();
    let met: std::collections::BTreeSet<(&String, &Vec<String>)> =
        layout.groups.iter().map(|(r, c, _)| (r, c)).collect();
    let rounds: std::collections::BTreeSet<&String> = met.iter().map(|(r, _)| *r).collect();
    let mut empty: Vec<String> = Vec::new();
    if let Some(totals) = &defs.totals {
        for round in rounds {
            for cells in totals.cells.keys() {
                if !met.contains(&(round, cells)) {
                    empty.push(format!("{round}: {}", cells.join(" × ")));
                }
            }
        }
    }
    empty.sort();
    post.empty = empty;
    g
}

/// The weight adjustments (plan non-response, post-stratification), then each cell's
/// design variance, when there is a design.
fn adjust(rep: &mut Report, defs: &Indicators, layout: &Layout) {
    let nr = nonresponse(rep, defs, layout);
    let Some(design) = rep.design.as_mut() else {
        return;
    };
    let g = post_stratify(design, defs, layout, nr.as_deref());
    let factor = |i: u32, k: u32| {
        let f = nr.as_ref().and_then(|f| f.get(i as usize)).unwrap_or(&1.0);
        f * g.get(k as usize).unwrap_or(&1.0)
    };
    for res in &mut rep.results {
        let tallies: Vec<&mut Tally> = std::iter::once(&mut res.total)
            .chain(res.rounds.values_mut())
            .chain(res.by.iter_mut().flat_map(|b| b.cells.values_mut()))
            .collect();
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
