//! The outbox: finalized interviews not yet acknowledged by the hub, sent as bundles.

use super::bundle::{self, Receipt};
use super::client::{Client, Enrollment};
use crate::store::{Stamp, Status, Store};
use ed25519_dalek::SigningKey;
use uuid::Uuid;

/// Interviews per bundle: keeps each upload small enough to finish on a weak link.
pub const PER_BUNDLE: usize = 500;
/// Days a sent interview stays on the device before it is erased.
pub const RETENTION_DAYS: i64 = 30;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub accepted: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub bundles: usize,
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
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push((*id, store.sealed_bytes(*id).map_err(|e| e.to_string())?));
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
    let ids: Vec<Uuid> = r.items.iter().map(|(id, _)| *id).collect();
    store.mark_sent(&ids, now).map_err(|e| e.to_string())?;
    let (a, d, c) = crate::hub::tally(r);
    report.accepted += a;
    report.duplicate += d;
    report.conflict += c;
    Ok(())
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
    let total = store.unsent(usize::MAX).len();
    let mut done = 0;
    loop {
        let ids = store.unsent(PER_BUNDLE);
        if ids.is_empty() {
            break;
        }
        let b = build(store, &client.enrollment, &client.key, &ids)?;
        let receipt = client.send(&b, store.device())?;
        apply(store, &receipt, now(), &mut report)?;
        report.bundles += 1;
        done += ids.len();
        progress(done, total);
    }
    report.erased = store
        .apply_retention(now(), RETENTION_DAYS)
        .map_err(|e| e.to_string())?;
    Ok(report)
}
