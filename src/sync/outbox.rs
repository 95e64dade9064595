//! The outbox: finalized interviews not yet acknowledged by the hub, sent as bundles.

use super::client::{Client, Enrollment};
use super::error::{Result, SyncError};
use crate::protocol::bundle::{self, Receipt};
use crate::store::{Stamp, Status, Store};
use ed25519_dalek::SigningKey;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use uuid::Uuid;

/// Interviews per bundle at the start of a sync: keeps each upload small enough to finish on
/// a weak link.
pub const PER_BUNDLE: usize = 500;
/// Interviews per bundle when the hub answers fast: a backlog on a good link goes in fewer
/// bundles (each costs the hub a few milliseconds whatever its size: the indicator tallies,
/// fsyncs, the receipt).
pub const MAX_PER_BUNDLE: usize = 2_000;

/// The next bundle's size after one of `size` took `took` to send and be answered: twice
/// as large after a fast answer, half after a slow one, within
/// [`PER_BUNDLE`]..=[`MAX_PER_BUNDLE`].
pub fn next_size(size: usize, took: std::time::Duration) -> usize {
    let next = if took < std::time::Duration::from_secs(1) {
        size.saturating_mul(2)
    } else if took > std::time::Duration::from_secs(5) {
        size / 2
    } else {
        size
    };
    next.clamp(PER_BUNDLE, MAX_PER_BUNDLE)
}
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
    /// Form definitions the hub acknowledged (sent with the interviews taken with them).
    pub forms_delivered: usize,
    /// Referral notices the hub acknowledged.
    pub referrals: usize,
    pub erased: usize,
    /// Practice interviews the hub does not take (it is not a training hub).
    pub refused: usize,
    /// Interviews a supervisor sent back, reopened here as drafts.
    pub returned: crate::store::Taken,
    /// Why the interviews sent back could not be fetched (the rest of the sync went through).
    pub returns_error: Option<String>,
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
    /// Form definitions already put in a bundle of this run, and form ids with none left.
    forms_sent: Vec<Uuid>,
    forms_checked: Vec<String>,
    referrals_done: bool,
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
            forms_sent: Vec::new(),
            forms_checked: Vec::new(),
            referrals_done: false,
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
) -> Result<Option<Bundle>> {
    // An enrolment killed after `enrollment.toml` was written but before the store learnt
    // the hub's recipients finishes here: nothing can be sealed without them.
    if store.seal_recipients()?.is_none() {
        store.seal_to(&e.recipients)?;
    }
    let mut items: Vec<(Uuid, Vec<u8>)> = Vec::new();
    let mut ids = Vec::new();
    // The header and the signature count against the budget too.
    let mut bytes = bundle::HEADER_LEN + bundle::SIG_LEN;
    // Forms and notices do not count against `limit` (interviews and tombstones do).
    add_referrals(store, &mut items, &mut bytes, cursor)?;
    let mut records = 0;
    'fill: while !cursor.done && records < limit {
        let batch = store.unsent_after(cursor.after, 64);
        if batch.is_empty() {
            cursor.done = true;
            break;
        }
        for id in batch {
            match store.sealed_bytes(id) {
                Ok(sealed) => {
                    // The form it was taken with goes first, if the hub may lack it.
                    let forms = forms_for(store, id, cursor)?;
                    let need =
                        sealed.len() + 20 + forms.iter().map(|(_, s)| s.len() + 20).sum::<usize>();
                    if !items.is_empty() && bytes + need > cursor.max_bytes {
                        break 'fill;
                    }
                    if bytes + need > cursor.max_bytes && !forms.is_empty() {
                        // Form and interview do not fit one bundle: the form goes alone
                        // first, the interview in the next bundle.
                        for (fid, fs) in forms {
                            bytes += fs.len() + 20;
                            cursor.forms_sent.push(fid);
                            items.push((fid, fs));
                        }
                        break 'fill;
                    }
                    bytes += need;
                    for (fid, fs) in forms {
                        cursor.forms_sent.push(fid);
                        items.push((fid, fs));
                    }
                    items.push((id, sealed));
                    ids.push(id);
                    records += 1;
                }
                Err(err) => cursor.damaged.push(format!("interview {id}: {err}")),
            }
            cursor.after = Some(id);
            if records >= limit {
                break 'fill;
            }
        }
    }
    add_tombstones(store, &mut items, &mut bytes, &mut records, limit, cursor)?;
    if items.is_empty() {
        return Ok(None);
    }
    let (n, bytes) = (items.len(), seal_and_queue(store, e, key, items, &ids)?);
    Ok(Some(Bundle {
        bytes,
        items: n,
        records,
    }))
}

/// Referral notices go first, in the run's first bundle, whatever else waits: they are why
/// a sync cannot wait.
fn add_referrals(
    store: &Store,
    items: &mut Vec<(Uuid, Vec<u8>)>,
    bytes: &mut usize,
    cursor: &mut Cursor,
) -> Result<()> {
    if !cursor.referrals_done {
        cursor.referrals_done = true;
        for n in store.unsent_referrals() {
            let sealed = store.sealed_referral(&n)?;
            *bytes += sealed.len() + 20;
            items.push((n.id, sealed));
        }
    }
    Ok(())
}

/// A bundle built by [`next`], with what it holds.
#[derive(Debug)]
pub struct Bundle {
    pub bytes: Vec<u8>,
    /// Every item: interviews, tombstones, form definitions, referral notices.
    pub items: usize,
    /// Interviews and tombstones: what a sync's progress counts (forms and notices ride
    /// along, so counting them made "sending 5481/5480").
    pub records: usize,
}

/// Tops a bundle up with unsent tombstones (refusals and withdrawals, for the hub's
/// response figures), within the record limit and the byte budget.
fn add_tombstones(
    store: &Store,
    items: &mut Vec<(Uuid, Vec<u8>)>,
    bytes: &mut usize,
    records: &mut usize,
    limit: usize,
    cursor: &mut Cursor,
) -> Result<()> {
    'tombs: while *records < limit && !cursor.tombs_done {
        let tombs = store.unsent_tombstones_after(cursor.tomb_after, 64);
        if tombs.is_empty() {
            cursor.tombs_done = true;
            break;
        }
        for t in tombs {
            let sealed = store.sealed_tombstone(&t)?;
            if !items.is_empty() && *bytes + sealed.len() + 20 > cursor.max_bytes {
                break 'tombs;
            }
            *bytes += sealed.len() + 20;
            cursor.tomb_after = Some(t.id);
            items.push((t.id, sealed));
            *records += 1;
            if *records >= limit {
                break 'tombs;
            }
        }
    }
    Ok(())
}

/// The kept versions of interview `id`'s form that the hub has not acknowledged and this run
/// has not sent yet, sealed: they travel in the same bundle as the first interview taken
/// with them (sent again until a receipt names them: a duplicate costs the hub nothing).
fn forms_for(store: &Store, id: Uuid, cursor: &mut Cursor) -> Result<Vec<(Uuid, Vec<u8>)>> {
    let Ok(entry) = store.entry(id) else {
        return Ok(Vec::new());
    };
    if cursor.forms_checked.contains(&entry.form_id) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for form in store.undelivered_forms(&entry.form_id) {
        let fid = bundle::form_item_id(form.source_hash);
        if !cursor.forms_sent.contains(&fid) {
            out.push((fid, store.sealed_form(&form)?));
        }
    }
    if out.is_empty() {
        // Nothing to send for this form id in this run: do not look again.
        cursor.forms_checked.push(entry.form_id);
    }
    Ok(out)
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
    store.move_to(ids, |s| s == Status::Finalized, Status::Queued, None)?;
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
    while let Some(b) = next(store, e, key, usize::MAX, &mut cursor)? {
        let path = numbered(out, files.len() + 1);
        crate::store::paths::write_private(&path, &b.bytes)
            .map_err(|err| SyncError::Local(format!("cannot write {}: {err}", path.display())))?;
        files.push((path, b.items));
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
        if bundle::form_hash_of(*id).is_some() {
            report.forms_delivered += 1;
            continue;
        }
        if store.is_referral(*id) {
            report.referrals += 1;
            continue;
        }
        if store.entry(*id).is_err() {
            report.ended += 1;
            continue;
        }
        match status {
            ItemStatus::Accepted => report.accepted += 1,
            ItemStatus::Duplicate => report.duplicate += 1,
            ItemStatus::Conflict => report.conflict += 1,
            ItemStatus::Refused => report.refused += 1,
        }
    }
    let ids: Vec<Uuid> = r.items.iter().map(|(id, _)| *id).collect();
    Ok(store.mark_sent(&ids, now)?)
}

/// Fetches the interviews sent back to this device and reopens them as drafts.
pub fn take_returns(store: &Store, client: &Client) -> Result<crate::store::Taken> {
    let r = client.returns(store.device())?;
    Ok(store.take_returns(&r)?)
}

/// A bundle built ahead, or why none could be.
type Built = Result<Option<Bundle>>;

/// Sends everything unsent, bundle after bundle, and applies each receipt; returns the
/// records that could not be read. The next bundle is built on another thread while the
/// hub takes this one (one ahead, no more): on a laptop and a hub that each have a core,
/// neither waits for the other. A bundle built but not sent (the link went) leaves its
/// interviews queued; the next sync sends them.
fn send_all(
    store: &Store,
    client: &Client,
    now: &dyn Fn() -> Stamp,
    report: &mut Report,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<String>> {
    let (e, key) = (&client.enrollment, &client.key);
    // The sender sets it from each round trip; the builder reads it for the next bundle.
    let size = &AtomicUsize::new(PER_BUNDLE);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Built>(1);
        let builder = s.spawn(move || {
            let mut cursor = Cursor::default();
            loop {
                let built = next(store, e, key, size.load(Relaxed), &mut cursor);
                let last = !matches!(built, Ok(Some(_)));
                // The sender stopped (an error): build nothing more.
                if tx.send(built).is_err() || last {
                    return cursor.damaged;
                }
            }
        });
        let sent = send_built(rx, size, store, client, now, report, progress);
        // The receiver is gone: a builder waiting to hand on a bundle stops.
        let damaged = builder
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        sent.map(|()| damaged)
    })
}

fn send_built(
    rx: std::sync::mpsc::Receiver<Built>,
    size: &AtomicUsize,
    store: &Store,
    client: &Client,
    now: &dyn Fn() -> Stamp,
    report: &mut Report,
    progress: &mut dyn FnMut(usize),
) -> Result<()> {
    let mut done = 0;
    for built in rx {
        let Some(b) = built? else { break };
        let started = std::time::Instant::now();
        let receipt = client.send(&b.bytes, store.device())?;
        size.store(next_size(size.load(Relaxed), started.elapsed()), Relaxed);
        apply(store, &receipt, now(), report)?;
        report.bundles += 1;
        done += b.records;
        progress(done);
    }
    Ok(())
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
    let total = (finalized + queued) as usize + store.unsent_tombstone_count();
    report.damaged = send_all(store, client, &now, &mut report, &mut |done| {
        progress(done, total)
    })?;
    // After the sending: a new version just sent is not sent back again.
    match take_returns(store, client) {
        Ok(t) => report.returned = t,
        Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
        Err(e) => report.returns_error = Some(e.to_string()),
    }
    report.erased = store.apply_retention(now(), client.enrollment.retention_days)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bundles_grow_on_a_fast_link_and_shrink_on_a_slow_one() {
        let fast = Duration::from_millis(300);
        let slow = Duration::from_secs(9);
        let mut size = PER_BUNDLE;
        let grown: Vec<usize> = (0..4)
            .map(|_| {
                size = next_size(size, fast);
                size
            })
            .collect();
        assert_eq!(grown, [1_000, 2_000, 2_000, 2_000]);
        assert_eq!(next_size(2_000, Duration::from_secs(3)), 2_000);
        assert_eq!(next_size(2_000, slow), 1_000);
        assert_eq!(next_size(1_000, slow), PER_BUNDLE);
        assert_eq!(next_size(PER_BUNDLE, slow), PER_BUNDLE);
    }
}
