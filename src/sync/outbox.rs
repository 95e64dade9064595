//! The outbox: finalized interviews not yet acknowledged by the hub, sent as bundles.

use super::client::{Client, Enrollment};
use super::error::{Result, SyncError};
use crate::protocol::bundle::{self, Receipt};
use crate::store::{Stamp, Status, Store};
use ed25519_dalek::SigningKey;
use uuid::Uuid;

/// Interviews per bundle: keeps each upload small enough to finish on a weak link.
pub const PER_BUNDLE: usize = 500;
/// Default days a sent interview stays on the device before it is erased
/// (`retention_days` in `enrollment.toml`).
pub(crate) const RETENTION_DAYS: i64 = 30;

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
    /// Records that could not be read and were not sent (id and why).
    pub damaged: Vec<String>,
}

/// Largest bundle built for upload or a USB file: half the hub's default limit, so a
/// bundle always fits whatever the hub's own settings.
pub(crate) const MAX_BUNDLE_BYTES: usize = crate::protocol::MAX_BUNDLE / 2;

/// A signed bundle of these interviews (already sealed at finalize); they become `queued`.
pub fn build(store: &Store, e: &Enrollment, key: &SigningKey, ids: &[Uuid]) -> Result<Vec<u8>> {
    let items = ids
        .iter()
        .map(|id| Ok((*id, store.sealed_bytes(*id)?)))
        .collect::<Result<Vec<_>>>()?;
    seal_and_queue(store, e, key, items, ids)
}

/// Where a run of bundles stands: the index is walked once, front to back, and records that
/// cannot be read are skipped and named instead of stopping everything behind them.
#[derive(Debug)]
pub struct Cursor {
    /// Largest bundle to build, in bytes.
    pub max_bytes: usize,
    after: Option<Uuid>,
    done: bool,
    tomb_after: Option<Uuid>,
    tombs_done: bool,
    /// Records that could not be read (id and why); they stay unsent.
    pub damaged: Vec<String>,
}

impl Default for Cursor {
    fn default() -> Cursor {
        Cursor::with_max_bytes(MAX_BUNDLE_BYTES)
    }
}

impl Cursor {
    pub(crate) fn with_max_bytes(max_bytes: usize) -> Cursor {
        Cursor {
            max_bytes,
            after: None,
            done: false,
            tomb_after: None,
            tombs_done: false,
            damaged: Vec::new(),
        }
    }
}

/// The next bundle: unsent interviews from the cursor on, at most `limit` of them and
/// [`MAX_BUNDLE_BYTES`] in all, topped up with unsent tombstones (refusals and withdrawals,
/// for the hub's response figures). `None` when nothing is left.
pub fn next(
    store: &Store,
    e: &Enrollment,
    key: &SigningKey,
    limit: usize,
    cursor: &mut Cursor,
) -> Result<Option<(Vec<u8>, usize)>> {
    let mut items: Vec<(Uuid, Vec<u8>)> = Vec::new();
    let mut ids = Vec::new();
    // The header and the signature count against the budget too.
    let mut bytes = bundle::HEADER_LEN + bundle::SIG_LEN;
    'fill: while !cursor.done && items.len() < limit {
        let batch = store.unsent_after(cursor.after, 64);
        if batch.is_empty() {
            cursor.done = true;
            break;
        }
        for id in batch {
            match store.sealed_bytes(id) {
                Ok(sealed) => {
                    if !items.is_empty() && bytes + sealed.len() + 20 > cursor.max_bytes {
                        break 'fill;
                    }
                    bytes += sealed.len() + 20;
                    items.push((id, sealed));
                    ids.push(id);
                }
                Err(err) => cursor.damaged.push(format!("interview {id}: {err}")),
            }
            cursor.after = Some(id);
            if items.len() >= limit {
                break 'fill;
            }
        }
    }
    'tombs: while items.len() < limit && !cursor.tombs_done {
        let tombs = store.unsent_tombstones_after(cursor.tomb_after, 64);
        if tombs.is_empty() {
            cursor.tombs_done = true;
            break;
        }
        for t in tombs {
            let sealed = store.sealed_tombstone(&t)?;
            if !items.is_empty() && bytes + sealed.len() + 20 > cursor.max_bytes {
                break 'tombs;
            }
            bytes += sealed.len() + 20;
            cursor.tomb_after = Some(t.id);
            items.push((t.id, sealed));
            if items.len() >= limit {
                break 'tombs;
            }
        }
    }
    if items.is_empty() {
        return Ok(None);
    }
    let n = items.len();
    let b = seal_and_queue(store, e, key, items, &ids)?;
    Ok(Some((b, n)))
}

fn seal_and_queue(
    store: &Store,
    e: &Enrollment,
    key: &SigningKey,
    items: Vec<(Uuid, Vec<u8>)>,
    ids: &[Uuid],
) -> Result<Vec<u8>> {
    let seq = store.next_bundle_seq()?;
    let b = bundle::build(store.device(), seq, e.hub_id, &items, key);
    for id in ids {
        if store
            .entry(*id)
            .is_ok_and(|x| x.status == Status::Finalized)
        {
            store.set_status(*id, Status::Queued)?;
        }
    }
    Ok(b)
}

/// Bundle files written (each with how many records it holds), and records that could not
/// be read.
pub(crate) type Exported = (Vec<(std::path::PathBuf, usize)>, Vec<String>);

/// Everything unsent as bundle files for a USB stick: `out` first, then `out-2`, `out-3`…
/// each within [`MAX_BUNDLE_BYTES`], so the hub's size limit never refuses one. Returns each
/// file with how many records it holds, and the records that could not be read.
pub fn export_files(
    store: &Store,
    e: &Enrollment,
    key: &SigningKey,
    out: &std::path::Path,
    max_bytes: usize,
) -> Result<Exported> {
    let mut cursor = Cursor::with_max_bytes(max_bytes);
    let mut files = Vec::new();
    while let Some((b, n)) = next(store, e, key, usize::MAX, &mut cursor)? {
        let path = numbered(out, files.len() + 1);
        crate::store::paths::write_private(&path, &b)
            .map_err(|err| SyncError::Local(format!("cannot write {}: {err}", path.display())))?;
        files.push((path, n));
    }
    Ok((files, cursor.damaged))
}

/// `dir/name.lnb` for the first file, `dir/name-2.lnb` and on for the next.
fn numbered(out: &std::path::Path, n: usize) -> std::path::PathBuf {
    if n == 1 {
        return out.to_path_buf();
    }
    let stem = out
        .file_stem()
        .map_or_else(|| "bundle".into(), |s| s.to_string_lossy().into_owned());
    match out.extension() {
        Some(ext) => out.with_file_name(format!("{stem}-{n}.{}", ext.to_string_lossy())),
        None => out.with_file_name(format!("{stem}-{n}")),
    }
}

/// Marks what a valid receipt names as sent. Conflicts count as delivered: the hub keeps
/// them aside for a person to look at.
pub fn apply(store: &Store, r: &Receipt, now: Stamp, report: &mut Report) -> Result<()> {
    use crate::protocol::bundle::ItemStatus;
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
    Ok(store.mark_sent(&ids, now)?)
}

/// One sync: pull forms, send everything unsent in bundles, apply receipts, apply retention.
pub fn sync_once(
    store: &Store,
    client: &Client,
    forms_dir: &std::path::Path,
    now: impl Fn() -> Stamp,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report> {
    if !client.online() {
        return Err(SyncError::Offline(client.enrollment.hub_url.clone()));
    }
    let mut report = Report {
        forms: client.pull_forms(forms_dir).unwrap_or(0),
        ..Report::default()
    };
    let [finalized, queued, _] = store.counts();
    let total = (finalized + queued) as usize + store.unsent_tombstones(usize::MAX).len();
    let mut done = 0;
    let mut cursor = Cursor::default();
    while let Some((b, n)) = next(
        store,
        &client.enrollment,
        &client.key,
        PER_BUNDLE,
        &mut cursor,
    )? {
        let receipt = client.send(&b, store.device())?;
        apply(store, &receipt, now(), &mut report)?;
        report.bundles += 1;
        done += n;
        progress(done, total);
    }
    report.damaged = cursor.damaged;
    report.erased = store.apply_retention(now(), client.enrollment.retention_days)?;
    Ok(report)
}
