//! The outbox: finalized interviews not yet acknowledged by the hub, sent as bundles.

use super::bundle::{self, Receipt};
use super::client::{Client, Enrollment};
use crate::store::{Stamp, Status, Store};
use ed25519_dalek::SigningKey;
use uuid::Uuid;

/// Interviews per bundle: keeps each upload small enough to finish on a weak link.
pub const PER_BUNDLE: usize = 500;
/// Default days a sent interview stays on the device before it is erased
/// (`retention_days` in `enrollment.toml`).
pub const RETENTION_DAYS: i64 = 30;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub accepted: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub bundles: usize,
    /// Tombstones (refusals, withdrawals) the hub acknowledged.
    pub ended: usize,
    pub forms: usize,
    pub erased: usize,
}

/// A signed bundle of these interviews (already sealed at finalize); they become `queued`.
pub fn build(
    store: &Store,
    e: &Enrollment,
    key: &SigningKey,
    ids: &[Uuid],
) -> Result<Vec<u8>, String> {
    build_with(store, e, key, ids, &[])
}

/// The next bundle: up to [`PER_BUNDLE`] unsent interviews, topped up with unsent tombstones
/// (refusals and withdrawals, for the hub's response figures). `None` when nothing is left.
pub fn next(
    store: &Store,
    e: &Enrollment,
    key: &SigningKey,
    limit: usize,
) -> Result<Option<(Vec<u8>, usize)>, String> {
    let ids = store.unsent(limit);
    let tombs = store.unsent_tombstones(limit - ids.len());
    if ids.is_empty() && tombs.is_empty() {
        return Ok(None);
    }
    let b = build_with(store, e, key, &ids, &tombs)?;
    Ok(Some((b, ids.len() + tombs.len())))
}

fn build_with(
    store: &Store,
    e: &Enrollment,
    key: &SigningKey,
    ids: &[Uuid],
    tombs: &[crate::store::Tombstone],
) -> Result<Vec<u8>, String> {
    let mut items = Vec::with_capacity(ids.len() + tombs.len());
    for id in ids {
        items.push((*id, store.sealed_bytes(*id).map_err(|e| e.to_string())?));
    }
    for t in tombs {
        items.push((t.id, store.sealed_tombstone(t).map_err(|e| e.to_string())?));
    }
    let seq = store.next_bundle_seq().map_err(|e| e.to_string())?;
    let b = bundle::build(store.device(), seq, e.hub_id, &items, key);
    for id in ids {
        if store
            .entry(*id)
            .is_ok_and(|x| x.status == Status::Finalized)
        {
            store
                .set_status(*id, Status::Queued)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(b)
}

/// Marks what a valid receipt names as sent. Conflicts count as delivered: the hub keeps
/// them aside for a person to look at.
pub fn apply(store: &Store, r: &Receipt, now: Stamp, report: &mut Report) -> Result<(), String> {
    use super::bundle::ItemStatus;
    for (id, status) in &r.items {
        if store.entry(*id).is_err() {
            report.ended += 1;
            continue;
        }
        match status {
            ItemStatus::Accepted => report.accepted += 1,
            ItemStatus::Duplicate => report.duplicate += 1,
            ItemStatus::Conflict => report.conflict += 1,
        }
    }
    let ids: Vec<Uuid> = r.items.iter().map(|(id, _)| *id).collect();
    store.mark_sent(&ids, now).map_err(|e| e.to_string())
}

/// One sync: pull forms, send everything unsent in bundles, apply receipts, apply retention.
pub fn sync_once(
    store: &Store,
    client: &Client,
    forms_dir: &std::path::Path,
    now: impl Fn() -> Stamp,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, String> {
    if !client.online() {
        return Err(format!(
            "the hub at {} does not answer",
            client.enrollment.hub_url
        ));
    }
    let mut report = Report {
        forms: client.pull_forms(forms_dir).unwrap_or(0),
        ..Report::default()
    };
    let total = store.unsent(usize::MAX).len() + store.unsent_tombstones(usize::MAX).len();
    let mut done = 0;
    while let Some((b, n)) = next(store, &client.enrollment, &client.key, PER_BUNDLE)? {
        let receipt = client.send(&b, store.device())?;
        apply(store, &receipt, now(), &mut report)?;
        report.bundles += 1;
        done += n;
        progress(done, total);
    }
    report.erased = store
        .apply_retention(now(), client.enrollment.retention_days)
        .map_err(|e| e.to_string())?;
    Ok(report)
}
