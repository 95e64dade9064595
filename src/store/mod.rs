//! The durable store: sled for work in progress, fsync'd segment files for finished
//! interviews, a journal so that nothing reported saved is lost when the process dies.
//!
//! Layout of a data folder:
//! ```text
//! lock               held while the app runs; names the holder
//! device             this device's id (also in sled; the file survives losing sled)
//! db/                sled: drafts, index of finalized interviews, settings, counters
//! drafts.journal     autosaves not yet flushed by sled
//! finalized/         seg-NNNNNN.lnr: finalized interviews, append-only, checksummed
//! ```

pub(crate) mod cipher;
pub mod datakey;
mod drafts;
mod ended;
pub mod error;
mod finalized;
pub(crate) mod forms;
pub mod journal;
pub(crate) mod keyring;
mod lock;
mod locked;
pub mod paths;
pub mod record;
pub mod recover;
mod referrals;
mod returns;
pub use returns::Taken;
pub mod sealed;
pub mod segments;

use crate::codec;
pub use error::{Result, StoreError};
pub use record::{Draft, Finalized, FormRef, IndexEntry, Settings, Stamp, Status, Tombstone};

use journal::{Entry, Journal};
use segments::{Loc, Segments};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;
use uuid::Uuid;

/// sled's page cache. Its default is 1 GiB; our laptops have 1–2 GB in all.
pub(crate) const CACHE_BYTES: u64 = 2 << 20;
/// sled's log segment size for a new store (sled's default); a store keeps the one it was
/// made with ([`made_with`]). It was 64 KiB for a while, to save memory (none measurable
/// now: the verbs' peak RSS at 10,000 and 100,000 is the same within 0.6 MiB), and small
/// segments made a deadlock in sled 0.34.7 far likelier. Caught with gdb in `simulate`:
/// the main thread, holding sled's segment accountant, waits in `bump_tip` for a file
/// truncation queued on sled's thread pool, while every thread of that pool waits for the
/// accountant to write a log buffer (`write_to_log` → `sa_stabilize`), and the pool grows
/// only when its queue is deep. A buffer is a segment, so 64 KiB sealed eight times as many
/// for the same writes, and freed segments at the file's end (truncations) more often.
/// Stress of `simulate` (1,600 interviews, two at a time): one hang in about 260 runs with
/// 64 KiB, none in 1,872 with 512 KiB.
pub(crate) const SEGMENT_BYTES: usize = 512 << 10;

const HWM: &[u8] = b"indexed_upto";
const SEQ: &[u8] = b"seq";
const SETTINGS: &[u8] = b"settings";
const DEVICE: &[u8] = b"device";
const COUNTS: &[u8] = b"counts";
const SEAL_TO_KEY: &[u8] = b"seal_to";
const BUNDLE_SEQ_KEY: &[u8] = b"bundle_seq";
/// Set once every interview finalized before enrolment is sealed.
const SEALED_ALL: &[u8] = b"sealed_all";

/// What opening found and repaired, for the app to mention.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Drafts brought back from the journal (saved, not yet flushed by sled, when the app stopped).
    pub replayed: usize,
    /// Finalized interviews added to the index from their files.
    pub indexed: usize,
    /// Damaged records skipped (journal entries, finalized records, index entries).
    pub damaged: Vec<String>,
}

/// What [`Store::check_files`] found: segment files missing or cut short, and how many
/// indexed interviews cannot be read because of it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FilesReport {
    pub problems: Vec<String>,
    pub lost: usize,
}

pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    drafts: sled::Tree,
    index: sled::Tree,
    meta: sled::Tree,
    tombstones: sled::Tree,
    /// Ids of the tombstones the hub has not acknowledged (see `ended.rs`): a sync and the
    /// app's "anything to send?" read these, not every tombstone ever kept.
    unsent_tombstones: sled::Tree,
    /// Referral notices waiting for the hub (see `referrals.rs`).
    referrals: sled::Tree,
    journal: Arc<Mutex<Journal>>,
    segments: Mutex<Segments>,
    /// Each draft's and unsealed record's own key (see `keyring.rs`).
    keyring: Mutex<keyring::Keyring>,
    data_key: datakey::DataKey,
    flusher: Option<(Sender<()>, JoinHandle<()>)>,
    device: Uuid,
    fault: Mutex<Option<io::ErrorKind>>,
    report: OpenReport,
    _lock: lock::DirLock,
}

fn lock_of<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves consistent data (every write is one call).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How long opening sled may take before the index is called damaged (random damage in
/// sled's files can make it spin forever). `LANGNGHE_OPEN_TIMEOUT_SECS` overrides it.
pub(crate) fn open_timeout() -> Duration {
    std::env::var("LANGNGHE_OPEN_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs)
}

/// Runs `work` (which touches sled) on its own thread, so that a panic inside sled is caught
/// and an endless loop inside sled is cut off after `limit`, instead of taking the app down or
/// hanging it. On a timeout the thread is left behind; the caller reports and exits.
fn guarded<T: Send + 'static>(
    what: &str,
    limit: Duration,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> std::result::Result<Result<T>, String> {
    let (tx, rx) = channel();
    let spawned = std::thread::Builder::new()
        .name("store-open".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start a thread to open {what}: {e}"));
    }
    match rx.recv_timeout(limit) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(_)) => Err(format!("{what} is damaged (reading it failed)")),
        Err(_) => Err(format!(
            "{what} is damaged (opening it did not finish in {} s)",
            limit.as_secs()
        )),
    }
}

/// Whether 64 KiB can still be written in the folder (the probe is removed again).
fn space_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(".space-probe");
    let written = std::fs::write(&probe, [0u8; 64 * 1024]);
    let _ = std::fs::remove_file(&probe);
    written
}

/// Removes snapshot files sled was still writing when it stopped (`snap.*.generating`): they
/// are incomplete by definition, yet sled would pick one up and refuse to open (seen after a
/// full disk left one empty).
fn remove_unfinished_snapshots(db_dir: &Path) {
    for e in std::fs::read_dir(db_dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Visits every entry of `tree` in key order, a few hundred at a time. One long sled
/// iterator pins every page it has passed until it ends (sled frees pages only when no
/// reader can still see them): over 80,000 entries that was 19 MB, on machines with 1 GB.
/// Entries added or removed during the walk may or may not be seen.
pub(crate) fn walk(tree: &sled::Tree, mut f: impl FnMut(&[u8], &[u8])) {
    const CHUNK: usize = 256;
    let mut after: Option<sled::IVec> = None;
    loop {
        let iter = match &after {
            None => tree.iter(),
            Some(k) => tree.range::<&[u8], _>((
                std::ops::Bound::Excluded(k.as_ref()),
                std::ops::Bound::Unbounded,
            )),
        };
        let mut seen = 0;
        for kv in iter.take(CHUNK) {
            // A read error ends the walk (sled says nothing after it can be trusted).
            let Ok((k, v)) = kv else { return };
            f(&k, &v);
            after = Some(k);
            seen += 1;
        }
        if seen < CHUNK {
            return;
        }
    }
}

fn open_sled(db_dir: &Path) -> std::result::Result<sled::Db, sled::Error> {
    remove_unfinished_snapshots(db_dir);
    let config = sled::Config::new()
        .path(db_dir)
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(Some(1000))
        // A store keeps the segment size it was made with (sled refuses another).
        .segment_size(made_with(db_dir).unwrap_or(SEGMENT_BYTES));
    // The folder's own lock (`lock::lock`) is held already, so sled's lock on its file can
    // only be held by a process forked at the instant before its exec closed the inherited
    // descriptor: a moment, as for the folder lock. sled says so only in the error's text
    // (sled 0.34). Seen as a test failing now and then when a store was reopened at once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

/// The segment size an existing sled store was made with, from the `conf` file sled keeps
/// beside its data (`segment_size: N`); none for a new store.
fn made_with(db_dir: &Path) -> Option<usize> {
    let conf = std::fs::read(db_dir.join("conf")).ok()?;
    String::from_utf8_lossy(&conf)
        .lines()
        .find_map(|l| l.strip_prefix("segment_size: "))
        .and_then(|n| n.trim().parse().ok())
}

/// A sled error in words for people: a full or read-only disk is not damage, and must not
/// send anyone to `recover`.
fn sled_error(dir: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) => StoreError::io("use the store in", dir)(io),
        e => StoreError::Database {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, with the passphrase in
    /// `LANGNGHE_PASSPHRASE` if the folder is protected. Refused if another process holds it.
    pub fn open(dir: &Path) -> Result<Store> {
        let p = std::env::var("LANGNGHE_PASSPHRASE").ok();
        Store::open_with(dir, p.as_deref())
    }

    /// Opens with this passphrase (`None`: the folder must be unprotected, or new — then it
    /// is made as a training folder).
    pub fn open_with(dir: &Path, passphrase: Option<&str>) -> Result<Store> {
        paths::ensure_private_dir(dir).map_err(StoreError::io("create the data folder", dir))?;
        paths::make_private(dir);
        let lock = lock::lock(dir)?;
        let key = datakey::load_or_create(dir, passphrase)?;
        Store::open_locked(dir, lock, key)
    }

    /// Opens with the data key itself (recovered from the hub after a forgotten passphrase).
    pub fn open_with_key(dir: &Path, key: [u8; 32]) -> Result<Store> {
        paths::ensure_private_dir(dir).map_err(StoreError::io("create the data folder", dir))?;
        let lock = lock::lock(dir)?;
        if !datakey::is_key_of(dir, &key) {
            return Err(StoreError::WrongPassphrase(dir.to_path_buf()));
        }
        Store::open_locked(dir, lock, key)
    }

    /// Puts the data folder under `passphrase` (or, with none, leaves it unprotected: a
    /// training folder).
    pub fn set_passphrase(&self, passphrase: Option<&str>) -> Result<()> {
        datakey::protect(&self.dir, &self.data_key, passphrase)
    }

    /// Whether the folder is under a passphrase.
    pub fn is_protected(&self) -> bool {
        datakey::is_protected(&self.dir)
    }

    /// Opens with the folder's lock already held, sled behind a guard.
    fn open_locked(dir: &Path, lock: lock::DirLock, key: datakey::DataKey) -> Result<Store> {
        let owned = dir.to_path_buf();
        match guarded("the store's index", open_timeout(), move || {
            Store::open_inner(&owned, lock, key)
        }) {
            Ok(r) => r,
            // sled panics when it cannot write; on a full disk that is what to say, not
            // "damaged" (the data is fine and opens once space is freed).
            Err(why) => Err(match space_probe(dir) {
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
                    ) =>
                {
                    StoreError::io("open", dir.join("db"))(e)
                }
                _ => StoreError::Database {
                    dir: dir.to_path_buf(),
                    reason: why,
                },
            }),
        }
    }

    fn open_inner(dir: &Path, lock: lock::DirLock, data_key: datakey::DataKey) -> Result<Store> {
        let db = open_sled(&dir.join("db")).map_err(|e| sled_error(dir, e))?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| sled_error(dir, e));
        let drafts = tree("drafts")?;
        let index = tree("index")?;
        let meta = tree("meta")?;
        let tombstones = tree("tombstones")?;
        let unsent_tombstones = tree("unsent-tombstones")?;
        let referrals = tree("referrals")?;
        let device = device_id(dir, &meta)?;
        if tombstones.is_empty() && meta.get(sealed::UNSENT_INDEXED).ok().flatten().is_none() {
            meta.insert(sealed::UNSENT_INDEXED, &[1u8])
                .map_err(|e| sled_error(dir, e))?;
        }
        let segments = Segments::open(&dir.join("finalized"))?;
        let journal = Journal::open(dir)?;
        let keyring = keyring::Keyring::open(dir, data_key)?;
        let mut store = Store {
            dir: dir.to_path_buf(),
            db,
            drafts,
            index,
            meta,
            tombstones,
            unsent_tombstones,
            referrals,
            journal: Arc::new(Mutex::new(journal)),
            segments: Mutex::new(segments),
            keyring: Mutex::new(keyring),
            data_key,
            flusher: None,
            device,
            fault: Mutex::new(None),
            report: OpenReport::default(),
            _lock: lock,
        };
        store.replay_journal()?;
        store.index_new_records()?;
        // An enrolment that stopped half-way (killed, power cut) finishes sealing now.
        store.resume_sealing()?;
        store.flush_and_rotate()?;
        store.start_flusher();
        Ok(store)
    }

    /// Rebuilds the store from the finalized files when sled is missing or damaged. The lock
    /// is taken first (never moving a store another process is using); the old sled folder is
    /// moved aside (not deleted), a new one is built from every readable record, and then
    /// everything still readable in the old one is carried over: drafts, tombstones, settings,
    /// sent status, and the enrolment (`enrolled`: the hub's recipients, when this device is
    /// enrolled). What could not be carried over is said.
    pub fn recover(dir: &Path, enrolled: Option<&[String]>) -> Result<(Store, recover::Carried)> {
        let passphrase = std::env::var("LANGNGHE_PASSPHRASE").ok();
        Store::recover_with(dir, enrolled, passphrase.as_deref())
    }

    /// [`Store::recover`] with the folder's passphrase.
    pub fn recover_with(
        dir: &Path,
        enrolled: Option<&[String]>,
        passphrase: Option<&str>,
    ) -> Result<(Store, recover::Carried)> {
        paths::ensure_private_dir(dir).map_err(StoreError::io("create the data folder", dir))?;
        let lock = lock::lock(dir)?;
        // The key first: a wrong passphrase moves nothing aside.
        let key = datakey::load_or_create(dir, passphrase)?;
        let db = dir.join("db");
        let aside = if db.exists() {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
            let mut n = 0;
            let aside = loop {
                let p = dir.join(match n {
                    0 => format!("db.broken-{stamp}"),
                    _ => format!("db.broken-{stamp}-{n}"),
                });
                if !p.exists() {
                    break p;
                }
                n += 1;
            };
            std::fs::rename(&db, &aside).map_err(StoreError::io("move aside", &db))?;
            Some(aside)
        } else {
            None
        };
        let store = Store::open_locked(dir, lock, key)?;
        let carried = store.carry_over(aside.as_deref(), enrolled)?;
        Ok((store, carried))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn device(&self) -> Uuid {
        self.device
    }

    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    fn db_err(&self, e: sled::Error) -> StoreError {
        sled_error(&self.dir, e)
    }

    /// Makes the next writes fail with `kind` (disk full, read-only…) until cleared; for
    /// tests and drills of the error paths.
    pub fn inject_fault(&self, kind: Option<io::ErrorKind>) {
        *lock_of(&self.fault) = kind;
    }

    fn check_fault(&self, action: &'static str) -> Result<()> {
        match *lock_of(&self.fault) {
            Some(kind) => Err(StoreError::io(action, &self.dir)(io::Error::from(kind))),
            None => Ok(()),
        }
    }

    // ── settings ─────────────────────────────────────────────────────────────────────────

    pub fn settings(&self) -> Option<Settings> {
        self.meta
            .get(SETTINGS)
            .ok()
            .flatten()
            .and_then(|v| codec::decode(&v).ok())
    }

    pub fn save_settings(&self, s: &Settings) -> Result<()> {
        self.check_fault("save settings in")?;
        self.meta
            .insert(SETTINGS, codec::encode(s))
            .map_err(|e| self.db_err(e))?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(())
    }

    // ── opening and background flushing ──────────────────────────────────────────────────

    fn replay_journal(&mut self) -> Result<()> {
        let (entries, damaged) = journal::replay(&self.dir);
        if damaged > 0 {
            self.report.damaged.push(format!(
                "{damaged} damaged autosave record(s) in the journal were skipped"
            ));
        }
        for e in entries {
            let (id, rev, locked) = match e {
                Entry::Save { id, rev, locked } => (id, rev, locked),
                // A draft journalled in clear by an older build: locked on the way in.
                Entry::Legacy(d) => (d.id, d.rev, self.draft_bytes(&d)?),
                Entry::Gone(id) => {
                    self.drafts
                        .remove(id.as_bytes())
                        .map_err(|e| self.db_err(e))?;
                    continue;
                }
            };
            let newer = match self.drafts.get(id.as_bytes()).map_err(|e| self.db_err(e))? {
                Some(v) => self.draft_from(&v).map_or(true, |old| old.rev < rev),
                None => self
                    .index
                    .get(id.as_bytes())
                    .map_err(|e| self.db_err(e))?
                    .is_none(),
            };
            // A draft whose key is gone was erased: its journal copy stays unreadable.
            if newer && self.unlock(&locked).is_ok() {
                self.drafts
                    .insert(id.as_bytes(), locked)
                    .map_err(|e| self.db_err(e))?;
                self.report.replayed += 1;
            }
        }
        Ok(())
    }

    /// Indexes finalized records written after the index's high-water mark: after a crash
    /// between the fsync and the index update, or with a new sled folder (recovery).
    fn index_new_records(&mut self) -> Result<()> {
        let (seg0, off0) = self
            .meta
            .get(HWM)
            .map_err(|e| self.db_err(e))?
            .map_or((0, 0), |v| parse_hwm(&v));
        let dir = self.dir.join("finalized");
        let mut max_seq = self.next_seq()?.saturating_sub(1);
        let mut last = None;
        let mut found = Vec::new();
        let mut bad = Vec::new();
        for n in segments::list(&dir).into_iter().filter(|n| *n >= seg0) {
            let path = segments::segment_path(&dir, n);
            let from = if n == seg0 { off0 } else { 0 };
            segments::scan(&path, from, |r| match r {
                Ok((payload, loc)) => {
                    match self.record_from(payload) {
                        Ok(r) => {
                            let m = r.meta();
                            let is_sealed = matches!(r, sealed::Record::Sealed(..));
                            found.push((m.id, index_entry(&m, loc), m.seq, is_sealed))
                        }
                        // Erased: its key is gone, so is the interview.
                        Err(crate::codec::DecodeError::Erased) => {}
                        Err(e) => bad.push(format!("{} at {}: {e}", path.display(), loc.offset)),
                    }
                    last = Some(loc);
                }
                Err((off, why)) => bad.push(format!("{} at {off}: {why}", path.display())),
            })?;
        }
        for (id, entry, seq, is_sealed) in found {
            max_seq = max_seq.max(seq);
            match self.entry(id) {
                Err(StoreError::NotFound(_)) => {
                    self.index
                        .insert(id.as_bytes(), codec::encode(&entry))
                        .map_err(|e| self.db_err(e))?;
                    self.report.indexed += 1;
                }
                // A sealed copy supersedes the plain one it was made from (sealing is the only
                // time an id is written twice): after a crash mid-enrolment the index may still
                // point at the plain copy, or at where it was erased.
                Ok(mut old)
                    if is_sealed
                        && (old.segment, old.offset) != (entry.segment, entry.offset)
                        && self.sealed_bytes(id).is_err() =>
                {
                    let plain = old.loc();
                    (old.segment, old.offset, old.len) = (entry.segment, entry.offset, entry.len);
                    self.index
                        .insert(id.as_bytes(), codec::encode(&old))
                        .map_err(|e| self.db_err(e))?;
                    self.db.flush().map_err(|e| self.db_err(e))?;
                    // The plain copy the crash left behind goes now, as sealing would have
                    // done: overwritten in place (if it is still there), its key destroyed.
                    let _ = lock_of(&self.segments).erase(plain);
                    self.destroy_keys(&[id])?;
                }
                _ => {}
            }
            self.drafts
                .remove(id.as_bytes())
                .map_err(|e| self.db_err(e))?;
        }
        self.report.damaged.extend(bad);
        if let Some(l) = last {
            self.meta
                .insert(HWM, hwm_bytes(l.segment, l.offset + u64::from(l.len)))
                .map_err(|e| self.db_err(e))?;
        }
        self.meta
            .insert(SEQ, &(max_seq + 1).to_le_bytes())
            .map_err(|e| self.db_err(e))?;
        if self.report.indexed > 0 || self.meta.get(COUNTS).map_err(|e| self.db_err(e))?.is_none() {
            self.recount()?;
        }
        Ok(())
    }

    /// Flushes sled, then drops the journal entries the flush covered.
    fn flush_and_rotate(&self) -> Result<()> {
        flush_and_rotate(&self.db, &self.journal, false)
    }

    fn start_flusher(&mut self) {
        let (tx, rx) = channel::<()>();
        let db = self.db.clone();
        let journal = self.journal.clone();
        let handle = std::thread::spawn(move || {
            // Blocks until an autosave happens: an idle app does no work here.
            while rx.recv().is_ok() {
                // Let a burst of typing finish, then flush once.
                std::thread::sleep(Duration::from_millis(250));
                while rx.try_recv().is_ok() {}
                let _ = flush_and_rotate(&db, &journal, false);
            }
        });
        self.flusher = Some((tx, handle));
    }
}

/// `scrub` overwrites the old journal before deleting it, so erased answers are not left in
/// freed disk blocks.
fn flush_and_rotate(db: &sled::Db, journal: &Mutex<Journal>, scrub: bool) -> Result<()> {
    let old = lock_of(journal).rotate()?;
    // Everything in `old` was inserted into sled before the rotation, so this flush covers it.
    if db.flush().is_ok() {
        if scrub && let Ok(len) = std::fs::metadata(&old).map(|m| m.len()) {
            let zero = std::fs::OpenOptions::new()
                .write(true)
                .open(&old)
                .and_then(|mut f| {
                    std::io::Write::write_all(&mut f, &vec![0u8; len as usize])?;
                    f.sync_data()
                });
            zero.map_err(StoreError::io("erase", &old))?;
        }
        let _ = std::fs::remove_file(&old);
    }
    Ok(())
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some((tx, handle)) = self.flusher.take() {
            drop(tx);
            let _ = handle.join();
        }
        let _ = self.flush_and_rotate();
    }
}

fn index_entry(m: &record::SealedMeta, loc: Loc) -> IndexEntry {
    IndexEntry {
        segment: loc.segment,
        offset: loc.offset,
        len: loc.len,
        form_id: m.form_id.clone(),
        form_version: m.form_version.clone(),
        started: m.started,
        finished: m.finished,
        seq: m.seq,
        status: Status::Finalized,
        answered: m.answered,
        sent_at: None,
    }
}

fn hwm_bytes(segment: u32, offset: u64) -> Vec<u8> {
    let mut v = segment.to_le_bytes().to_vec();
    v.extend_from_slice(&offset.to_le_bytes());
    v
}

fn parse_hwm(v: &[u8]) -> (u32, u64) {
    let seg = v
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes);
    let off = v
        .get(4..12)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes);
    (seg, off)
}

/// The device id: from the `device` file if present (it survives losing sled), else from
/// sled, else made now. Kept in both.
fn device_id(dir: &Path, meta: &sled::Tree) -> Result<Uuid> {
    let file = dir.join("device");
    let from_file = std::fs::read_to_string(&file)
        .ok()
        .and_then(|s| Uuid::parse_str(s.trim()).ok());
    let from_db = meta
        .get(DEVICE)
        .ok()
        .flatten()
        .and_then(|v| Uuid::from_slice(&v).ok());
    let id = from_file.or(from_db).unwrap_or_else(Uuid::now_v7);
    if from_file.is_none() {
        // fsync'd through the handle that wrote it: Windows refuses to flush a file opened
        // for reading only (found by running the tests under Wine).
        paths::write_private(&file, id.to_string().as_bytes())
            .map_err(StoreError::io("write", &file))?;
    }
    if from_db != Some(id) {
        let _ = meta.insert(DEVICE, id.as_bytes());
    }
    Ok(id)
}

use crate::protocol::keys::hex;

#[cfg(test)]
mod tests {
    /// A store made with another segment size (an earlier version's) opens with its own,
    /// and keeps what it holds; a new one is made with ours.
    #[test]
    fn a_store_opens_with_the_segment_size_it_was_made_with() {
        let dir = tempfile::tempdir().expect("temp dir");
        let other = if super::SEGMENT_BYTES == 64 << 10 {
            512 << 10
        } else {
            64 << 10
        };
        let db = sled::Config::new()
            .path(dir.path())
            .segment_size(other)
            .open()
            .expect("sled");
        db.insert(b"k", &b"v"[..]).expect("insert");
        db.flush().expect("flush");
        drop(db);
        assert_eq!(super::made_with(dir.path()), Some(other));
        let db = super::open_sled(dir.path()).expect("opens with its own size");
        assert_eq!(db.get(b"k").expect("get").as_deref(), Some(&b"v"[..]));
        drop(db);
        let new = tempfile::tempdir().expect("temp dir");
        drop(super::open_sled(new.path()).expect("sled"));
        assert_eq!(super::made_with(new.path()), Some(super::SEGMENT_BYTES));
    }

    /// The walk crosses its chunk boundaries without losing or repeating an entry.
    #[test]
    fn walk_visits_every_entry_once_in_key_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = super::open_sled(dir.path()).expect("sled");
        let tree = db.open_tree("t").expect("tree");
        for n in [0usize, 1, 255, 256, 257, 700] {
            tree.clear().expect("clear");
            for i in 0..n as u32 {
                tree.insert(i.to_be_bytes(), &[1u8][..]).expect("insert");
            }
            let mut seen = Vec::new();
            super::walk(&tree, |k, v| {
                assert_eq!(v, [1u8]);
                seen.push(u32::from_be_bytes(k.try_into().expect("4 bytes")));
            });
            assert_eq!(seen, (0..n as u32).collect::<Vec<_>>(), "{n} entries");
        }
    }
}
