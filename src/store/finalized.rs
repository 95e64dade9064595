//! Finalized interviews: fsync'd into segment files, indexed in sled, read back, counted,
//! erased with a tombstone.

use super::journal::Entry;
use super::segments::{self};
use super::{
    COUNTS, Finalized, HWM, IndexEntry, Result, SEQ, Stamp, Status, Store, StoreError, Tombstone,
    codec, flush_and_rotate, hex, hwm_bytes, index_entry, lock_of, sealed,
};
use uuid::Uuid;

impl Store {
    // ── finalized ────────────────────────────────────────────────────────────────────────

    /// Finalizes interviews: appended to the segment file and fsync'd, indexed, their
    /// drafts removed. When this returns Ok they are safe; tell the user only then.
    /// `seq` and `device` are filled in here.
    pub fn finalize(&self, items: &mut [Finalized]) -> Result<()> {
        self.check_fault("save the finished interview to")?;
        let recipients = self.seal_recipients()?;
        let mut segs = lock_of(&self.segments);
        let mut seq = self.next_seq()?;
        let mut payloads = Vec::with_capacity(items.len());
        for f in items.iter_mut() {
            f.seq = seq;
            f.device = self.device;
            seq += 1;
            payloads.push(self.record_bytes(f, recipients.as_deref())?);
        }
        if recipients.is_none() {
            // Before enrolment a record is kept under its interview's own key.
            let plain: Vec<(Uuid, Vec<u8>)> = items.iter().map(|f| f.id).zip(payloads).collect();
            payloads = self.lock_many(&plain)?;
        }
        let locs = segs.append(&payloads)?;
        self.meta
            .insert(SEQ, &seq.to_le_bytes())
            .map_err(|e| self.db_err(e))?;
        for f in items.iter() {
            // Sent back by a supervisor and finalized again: the version sent before (sealed
            // for the hub, which keeps it) leaves this device now.
            if let Ok(old) = self.entry(f.id) {
                segs.erase(old.loc())?;
                self.bump(old.status, -1)?;
            }
            self.clear_sent_back(f.id)?;
        }
        for (f, loc) in items.iter().zip(&locs) {
            self.index
                .insert(
                    f.id.as_bytes(),
                    codec::encode(&index_entry(&sealed::meta_of(f), *loc)),
                )
                .map_err(|e| self.db_err(e))?;
            self.drafts
                .remove(f.id.as_bytes())
                .map_err(|e| self.db_err(e))?;
            self.meta
                .insert(last_of(&f.form.id), f.id.as_bytes())
                .map_err(|e| self.db_err(e))?;
            if f.training {
                self.meta
                    .insert(super::returns::practice_key(f.id), &[1u8])
                    .map_err(|e| self.db_err(e))?;
            }
        }
        self.bump(Status::Finalized, items.len() as i64)?;
        if let Some(last) = locs.last() {
            self.meta
                .insert(
                    HWM,
                    hwm_bytes(last.segment, last.offset + u64::from(last.len)),
                )
                .map_err(|e| self.db_err(e))?;
        }
        drop(segs);
        let mut j = lock_of(&self.journal);
        for f in items.iter() {
            // The index no longer needs the journal; this only stops a replay reviving the draft.
            let _ = j.append(&Entry::Gone(f.id));
        }
        drop(j);
        self.db.flush().map_err(|e| self.db_err(e))?;
        if recipients.is_some() {
            // Sealed to the hub: the drafts' keys have nothing left to open but old copies.
            let ids: Vec<Uuid> = items.iter().map(|f| f.id).collect();
            self.destroy_keys(&ids)?;
        }
        Ok(())
    }

    pub(super) fn next_seq(&self) -> Result<u64> {
        let v = self.meta.get(SEQ).map_err(|e| self.db_err(e))?;
        Ok(v.and_then(|b| b.as_ref().try_into().ok())
            .map_or(1, u64::from_le_bytes))
    }

    pub fn entry(&self, id: Uuid) -> Result<IndexEntry> {
        let v = self.index.get(id.as_bytes()).map_err(|e| self.db_err(e))?;
        let v = v.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        super::record::decode_index_entry(&v).map_err(|e| StoreError::Database {
            dir: self.dir.clone(),
            reason: e.to_string(),
        })
    }

    /// The answers of the last interview finalized with form `form_id`, for
    /// `${last-saved#q}`, while it is still readable here (not sealed for the hub, not
    /// erased). Its id is kept beside the index at each finalize: one lookup, where walking
    /// the index backwards would cost a scan (and sled's reverse iteration embeds a 1 MiB
    /// constant in the binary).
    pub fn last_saved_answers(&self, form_id: &str) -> Option<Vec<(String, String)>> {
        let id = self.meta.get(last_of(form_id)).ok()??;
        let id = Uuid::from_slice(&id).ok()?;
        self.finalized(id).ok().map(|f| f.answers)
    }

    /// Reads a finalized interview back from its file.
    pub fn finalized(&self, id: Uuid) -> Result<Finalized> {
        let e = self.entry(id)?;
        let dir = self.dir.join("finalized");
        let bytes = segments::read(&dir, e.loc())?;
        match self.record_from(&bytes) {
            Ok(sealed::Record::Plain(f)) => Ok(*f),
            Ok(sealed::Record::Sealed(..)) => Err(StoreError::Sealed(id.to_string())),
            Err(err) => Err(StoreError::Database {
                dir,
                reason: err.to_string(),
            }),
        }
    }

    /// The index of finalized interviews, in id (≈ time) order, one at a time (a device may
    /// hold 100 000); a damaged entry comes as `Err` with a description.
    pub(crate) fn entries_iter(
        &self,
    ) -> impl Iterator<Item = std::result::Result<(Uuid, IndexEntry), String>> + '_ {
        self.index.iter().map(|kv| {
            let (k, v) = kv.map_err(|e| format!("index: {e}"))?;
            let id = Uuid::from_slice(&k).map_err(|e| format!("index {}: {e}", hex(&k)))?;
            let e = super::record::decode_index_entry(&v)
                .map_err(|e| format!("index {}: {e}", hex(&k)))?;
            Ok((id, e))
        })
    }

    /// The whole index in memory, with damaged entries set apart.
    pub fn entries(&self) -> (Vec<(Uuid, IndexEntry)>, Vec<String>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for r in self.entries_iter() {
            match r {
                Ok(x) => ok.push(x),
                Err(e) => bad.push(e),
            }
        }
        (ok, bad)
    }

    /// Every finalized interview still indexed, read in file order (fast, sequential).
    pub fn each_finalized(&self, mut f: impl FnMut(Finalized)) -> Result<Vec<String>> {
        let dir = self.dir.join("finalized");
        let mut bad = Vec::new();
        for n in segments::list(&dir) {
            let path = segments::segment_path(&dir, n);
            segments::scan(&path, 0, |r| match r {
                // Sealed records are the hub's to read: skipped here.
                Ok((payload, loc)) => match self.record_from(payload) {
                    Ok(sealed::Record::Plain(fin)) => {
                        // A record under its own key is live exactly while the key exists:
                        // erasing and sealing destroy the key, and it opened. Asking the
                        // index instead pulls every index page into sled's cache, which
                        // does not let go of them (8 MB at 100,000 interviews).
                        let live = super::locked::is_locked(payload)
                            || self
                                .entry(fin.id)
                                .is_ok_and(|e| e.segment == loc.segment && e.offset == loc.offset);
                        if live {
                            f(*fin);
                        }
                    }
                    Ok(sealed::Record::Sealed(..)) | Err(crate::codec::DecodeError::Erased) => {}
                    Err(e) => bad.push(format!("{} at {}: {e}", path.display(), loc.offset)),
                },
                Err((off, why)) => bad.push(format!("{} at {off}: {why}", path.display())),
            })?;
        }
        Ok(bad)
    }

    /// Erases an interview, draft or finalized, keeping only a tombstone (id, form, time,
    /// reason). A finalized record is overwritten in its file, not merely unindexed.
    pub fn erase(&self, id: Uuid, form_id: &str, reason: &str, at: Stamp) -> Result<()> {
        self.check_fault("erase in")?;
        let t = Tombstone {
            id,
            form_id: form_id.to_string(),
            at,
            reason: reason.to_string(),
        };
        self.put_tombstone(&t)?;
        // First the key: from here on every copy of the answers — the draft, its journal
        // entries, sled's old log pages, the record in its segment — is unreadable.
        self.destroy_keys(&[id])?;
        if let Ok(e) = self.entry(id) {
            lock_of(&self.segments).erase(e.loc())?;
            self.index
                .remove(id.as_bytes())
                .map_err(|e| self.db_err(e))?;
            self.bump(e.status, -1)?;
        }
        self.remove_draft(id)?;
        self.clear_sent_back(id)?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        // The journal may still hold the draft's answers: rotate it away and scrub it now.
        flush_and_rotate(&self.db, &self.journal, true)
    }

    /// Records interviews that ended before anything was kept (simulations; the app erases
    /// through [`Store::erase`]).
    pub(crate) fn add_tombstones(&self, ts: &[Tombstone]) -> Result<()> {
        for t in ts {
            self.put_tombstone(t)?;
        }
        if !ts.is_empty() {
            self.db.flush().map_err(|e| self.db_err(e))?;
        }
        Ok(())
    }

    pub fn tombstones(&self) -> Vec<Tombstone> {
        let mut out = Vec::new();
        self.each_tombstone(|t| out.push(t));
        out
    }

    /// Every tombstone, one at a time, in bounded memory (the indicators screen counts the
    /// interviews that ended early; 80,000 of them once took 30 MB as a list).
    pub fn each_tombstone(&self, mut f: impl FnMut(Tombstone)) {
        super::walk(&self.tombstones, |_, v| {
            if let Ok(t) = codec::decode(v) {
                f(t);
            }
        });
    }

    /// How many finalized interviews are finalized, queued and sent: kept as counters so
    /// the home screen does not walk an index of 100 000.
    pub fn counts(&self) -> [u64; 3] {
        self.meta
            .get(COUNTS)
            .ok()
            .flatten()
            .and_then(|v| codec::decode::<[u64; 3]>(&v).ok())
            .unwrap_or([0; 3])
    }

    pub(super) fn bump(&self, status: Status, delta: i64) -> Result<()> {
        // One atomic read-modify-write: the app and the sync worker both move counters.
        let mut d = [0i64; 3];
        d[status.counter()] = delta;
        self.bump_all(d)
    }

    pub(super) fn recount(&self) -> Result<()> {
        let mut c = [0u64; 3];
        for (_, e) in self.entries_iter().flatten() {
            c[e.status.counter()] += 1;
        }
        self.meta
            .insert(COUNTS, codec::encode(&c))
            .map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Moves the interviews among `ids` whose status `from` accepts to `to` (and, when
    /// given, records when they were sent): one read and one write each, and the counters
    /// moved once for all of them — a bundle moves hundreds at a time.
    pub(crate) fn move_to(
        &self,
        ids: &[Uuid],
        from: impl Fn(Status) -> bool,
        to: Status,
        sent_at: Option<Stamp>,
    ) -> Result<()> {
        let mut delta = [0i64; 3];
        let mut r = Ok(());
        for id in ids {
            let Ok(mut e) = self.entry(*id) else { continue };
            if e.status == to || !from(e.status) {
                continue;
            }
            let old = e.status;
            e.status = to;
            e.sent_at = sent_at.or(e.sent_at);
            if let Err(err) = self.index.insert(id.as_bytes(), codec::encode(&e)) {
                r = Err(self.db_err(err));
                break;
            }
            delta[old.counter()] -= 1;
            delta[to.counter()] += 1;
        }
        // What moved before a failure is counted too.
        self.bump_all(delta)?;
        r
    }

    fn bump_all(&self, delta: [i64; 3]) -> Result<()> {
        if delta == [0; 3] {
            return Ok(());
        }
        self.meta
            .update_and_fetch(COUNTS, |old| {
                let mut c = old
                    .and_then(|v| codec::decode::<[u64; 3]>(v).ok())
                    .unwrap_or([0; 3]);
                for (c, d) in c.iter_mut().zip(delta) {
                    *c = c.saturating_add_signed(d);
                }
                Some(codec::encode(&c))
            })
            .map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Changes where a finalized interview stands in the sync pipeline.
    pub fn set_status(&self, id: Uuid, status: Status) -> Result<()> {
        // One way to move statuses: the batched one, for one interview.
        self.entry(id)?;
        self.move_to(&[id], |_| true, status, None)
    }
}

/// The meta key naming the last interview finalized with a form.
fn last_of(form_id: &str) -> Vec<u8> {
    let mut k = b"last-of:".to_vec();
    k.extend_from_slice(form_id.as_bytes());
    k
}
