//! Indicator tallies kept at ingest, so `hub report` costs the cells, not the interviews.
//! Each ingest adds its new interviews and takes back the ones it erased or replaced, in
//! the store's tallies (one record per indicator set), right after its commit and while it
//! holds the tallies' shared lock. A report takes that lock alone: the tallies it reads have
//! seen every committed change when their count of changes equals the store's. When they
//! have not (a process stopped between its commit and its update), or were made under
//! another indicator file, plan, totals or form version, or are missing, everything is
//! counted again once, and kept. A training hub (`accept_training`) keeps a second set
//! with the practice interviews in, for `hub report --include-training`.

use super::store::Item;
use super::{Hub, HubError};
use crate::codec;
use crate::form::Form;
use crate::indicators::compute::{Accumulator, Report};
use crate::indicators::def::Indicators;
use crate::indicators::tallies::State;
use crate::protocol::bundle::{self, ItemStatus};
use crate::record::{Finalized, Tombstone};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::HashMap;
use uuid::Uuid;

/// Changes when what a tally holds changes meaning (kept tallies are then counted again).
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Saved {
    /// What the tallies were counted under (`fingerprint`).
    fingerprint: [u8; 32],
    /// The store's changes they have seen.
    applied: u64,
    state: State,
}

/// What one ingest changed, as the tallies see it.
#[derive(Default)]
pub(crate) struct Delta<'a> {
    /// The ingest's own opened interviews, borrowed (cloning each cost as much as tallying it).
    pub added: Vec<&'a Finalized>,
    pub removed: Vec<Finalized>,
    /// (form id, reason) of each interview that ended early.
    pub ended: Vec<(String, String)>,
    /// Items accepted (the store's count of changes grew by as many).
    pub changes: u64,
}

/// Where a form's tallies are kept: with practice interviews or without.
fn key(form_id: &str, practice: bool) -> String {
    if practice {
        format!("{form_id}\npractice")
    } else {
        form_id.to_string()
    }
}

fn fingerprint(form: &Form, defs: &Indicators) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(FORMAT.to_le_bytes());
    h.update(defs.fingerprint);
    h.update(form.source_hash.to_le_bytes());
    h.finalize().into()
}

/// Why kept tallies cannot be used as they are, if they cannot.
fn stale(saved: Option<&Saved>, fp: &[u8; 32], changes: u64, defs: &Indicators) -> Option<String> {
    match saved {
        None => Some("no tallies kept yet".into()),
        Some(s) if s.fingerprint != *fp || !s.state.fits(defs) => {
            Some("the indicator file, plan, totals or form changed".into())
        }
        Some(s) if s.applied != changes => Some(format!(
            "the tallies missed {} change(s)",
            changes.abs_diff(s.applied)
        )),
        Some(_) => None,
    }
}

impl Hub {
    /// Stores locked items (one bundle's, or an erasure's tombstone) and brings the tallies
    /// along: `interviews` and `tombstones` are the items' opened contents. Erased items are
    /// forgotten (keys destroyed) once their answers are taken back out.
    pub(crate) fn store_items(
        &self,
        locked: &[Item],
        edits: &super::store::Edits,
        interviews: &[Finalized],
        tombstones: &[Tombstone],
        alongside: impl FnOnce(&[ItemStatus]),
    ) -> Result<Vec<ItemStatus>, HubError> {
        let _shared = self.store.hold_tallies(false).map_err(HubError::Internal)?;
        let (statuses, erased) = self
            .store
            .ingest_erasing(locked, edits)
            .map_err(HubError::Internal)?;
        // Each erased item is unlocked and opened once: its answers leave the tallies and
        // the quality counts, and its sealed bytes are scrubbed from the kept bundles.
        let originals = self.unlocked(&erased);
        // The first copy of each id an erasure dropped is the one that was counted.
        let mut seen = std::collections::HashSet::new();
        let counted: Vec<Finalized> = originals
            .iter()
            .filter(|it| seen.insert(it.id))
            .filter_map(|it| match self.read_sealed(&it.sealed) {
                Ok(bundle::Payload::Interview(f)) => Some(*f),
                _ => None,
            })
            .collect();
        let delta = self.delta(locked, &statuses, &counted, interviews, tombstones, edits);
        self.forget(&erased, &originals, &counted)?;
        // The tallies and what the caller makes of the statuses (the review records) are
        // separate records: side by side, as both are a pass over every new interview.
        std::thread::scope(|s| {
            s.spawn(move || self.apply_tallies(&delta));
            alongside(&statuses);
        });
        Ok(statuses)
    }

    /// What an ingest's statuses mean for the tallies (`erased`: the interviews an erasure
    /// took out, as they were counted).
    fn delta<'a>(
        &self,
        items: &[Item],
        statuses: &[ItemStatus],
        erased: &[Finalized],
        interviews: &'a [Finalized],
        tombstones: &[Tombstone],
        edits: &super::store::Edits,
    ) -> Delta<'a> {
        let mut d = Delta {
            changes: super::store::accepted(statuses),
            ..Delta::default()
        };
        let opened = |it: &Item| match self.open_item(it) {
            Ok(bundle::Payload::Interview(f)) => Some(*f),
            _ => None,
        };
        d.removed.extend(erased.iter().cloned());
        // By id, once (a bundle from a USB stick holds thousands of items); the first of an
        // id a bundle holds twice, as the store took the first.
        let mut by_id: HashMap<Uuid, &'a Finalized> = HashMap::with_capacity(interviews.len());
        for f in interviews {
            by_id.entry(f.id).or_insert(f);
        }
        let mut ended: HashMap<Uuid, &Tombstone> = HashMap::with_capacity(tombstones.len());
        for t in tombstones {
            ended.entry(t.id).or_insert(t);
        }
        for (it, s) in items.iter().zip(statuses) {
            if *s != ItemStatus::Accepted {
                continue;
            }
            if it.tombstone {
                if let Some(t) = ended.get(&it.id) {
                    d.ended.push((t.form_id.clone(), t.reason.clone()));
                }
                continue;
            }
            if edits.contains(&it.id) {
                let earlier = self
                    .store
                    .versions(it.id)
                    .ok()
                    .and_then(|v| v.last().cloned());
                d.removed.extend(earlier.as_ref().and_then(opened));
            }
            d.added.extend(by_id.get(&it.id).copied());
        }
        d
    }

    /// Adds an ingest's changes to every indicator set's kept tallies. A failure is said on
    /// stderr and loses nothing: the tallies then lag the store, and the next report counts
    /// everything again.
    pub(crate) fn apply_tallies(&self, delta: &Delta) {
        if delta.changes == 0 {
            return;
        }
        let sets = match self.indicator_sets() {
            Ok(sets) => sets,
            Err(e) => {
                eprintln!("warning: indicator tallies not updated: {e}");
                return;
            }
        };
        for (form, defs) in sets.iter() {
            for practice in self.tally_views() {
                self.apply_to(form, defs, practice, delta);
            }
        }
    }

    /// The kept tallies: without practice, and on a training hub with practice too.
    fn tally_views(&self) -> Vec<bool> {
        if self.config.accept_training {
            vec![false, true]
        } else {
            vec![false]
        }
    }

    fn apply_to(&self, form: &Form, defs: &Indicators, practice: bool, delta: &Delta) {
        let now = chrono::Local::now().fixed_offset();
        let fp = fingerprint(form, defs);
        let counted = |f: &&Finalized| practice || !f.training;
        let r = self
            .store
            .update_tallies(&key(&form.id, practice), &mut |old| {
                let saved: Saved = codec::decode(&old?).ok()?;
                if saved.fingerprint != fp || !saved.state.fits(defs) {
                    return None;
                }
                let mut acc = Accumulator::resume(defs, form, now, saved.state);
                for f in delta.removed.iter().filter(counted) {
                    acc.remove(f);
                }
                for f in delta.added.iter().copied().filter(counted) {
                    acc.add(f);
                }
                for (form_id, reason) in &delta.ended {
                    acc.ended(form_id, reason);
                }
                Some(codec::encode(&Saved {
                    fingerprint: fp,
                    applied: saved.applied + delta.changes,
                    state: acc.into_state(),
                }))
            });
        if let Err(e) = r {
            eprintln!(
                "warning: the indicator tallies of {} were not updated ({e}); the next \
                 report counts them again",
                form.id
            );
        }
    }

    /// The report of `form`'s indicators (default: the first set) from the kept tallies;
    /// counted again from every stored interview, and kept, when they are missing, stale or
    /// behind, or when `recount` asks. `practice`: with the practice interviews (a training
    /// hub's second set).
    pub(crate) fn tallied_report(
        &self,
        form: Option<&str>,
        practice: bool,
        recount: bool,
    ) -> Result<Report, String> {
        let sets = self.indicator_sets()?;
        let (form, defs) = crate::catalog::pick_indicators(&sets, form, &self.forms_dir())?;
        let _alone = self.store.hold_tallies(true)?;
        let changes = self.store.changes()?;
        let fp = fingerprint(form, defs);
        let saved: Option<Saved> = self
            .store
            .tallies(&key(&form.id, practice))?
            .and_then(|b| codec::decode(&b).ok());
        let why = stale(saved.as_ref(), &fp, changes, defs)
            .or_else(|| recount.then(|| "asked".to_string()));
        let state = match (saved, why) {
            (Some(s), None) => s.state,
            (_, why) => {
                let why = why.unwrap_or_default();
                eprintln!("note: counting the indicators from every interview ({why})");
                let state = self.count_all(form, defs, practice)?;
                let saved = Saved {
                    fingerprint: fp,
                    applied: changes,
                    state,
                };
                let bytes = codec::encode(&saved);
                self.store
                    .update_tallies(&key(&form.id, practice), &mut |_| Some(bytes.clone()))?;
                saved.state
            }
        };
        let now = chrono::Local::now().fixed_offset();
        Ok(Accumulator::resume(defs, form, now, state).finish())
    }

    /// The tallies of every stored interview (practice ones only if `practice`) and
    /// tombstone, in one pass.
    pub(crate) fn count_all(
        &self,
        form: &Form,
        defs: &Indicators,
        practice: bool,
    ) -> Result<State, String> {
        let now = chrono::Local::now().fixed_offset();
        let acc = std::cell::RefCell::new(Accumulator::new(defs, form, now));
        let bad = self.each_record(
            |f| {
                if practice || !f.training {
                    acc.borrow_mut().add(&f)
                }
            },
            |t| acc.borrow_mut().ended(&t.form_id, &t.reason),
        )?;
        for b in bad {
            eprintln!("warning: {b}");
        }
        Ok(acc.into_inner().into_state())
    }
}
