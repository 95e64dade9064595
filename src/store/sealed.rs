//! Finalized records as they lie in segment files: plain (before enrolment) or sealed to the
//! hub, with a small clear-text header so the device can still index and recover them.

use super::record::{Finalized, SealedMeta};
use crate::codec::{self, DecodeError};

/// First byte of a sealed record: header length, header, then the sealed interview.
pub(crate) const SEALED_RECORD: u8 = 0xA6;

pub enum Record {
    Plain(Box<Finalized>),
    Sealed(SealedMeta, Vec<u8>),
}

impl Record {
    pub fn meta(&self) -> SealedMeta {
        match self {
            Record::Plain(f) => meta_of(f),
            Record::Sealed(m, _) => m.clone(),
        }
    }
}

pub(crate) fn meta_of(f: &Finalized) -> SealedMeta {
    SealedMeta {
        id: f.id,
        form_id: f.form.id.clone(),
        form_version: f.form.version.clone(),
        started: f.started,
        finished: f.finished,
        seq: f.seq,
        answered: f.answers.len() as u32,
    }
}

pub fn wrap(meta: &SealedMeta, sealed: &[u8]) -> Vec<u8> {
    let m = codec::encode(meta);
    let mut out = Vec::with_capacity(5 + m.len() + sealed.len());
    out.push(SEALED_RECORD);
    out.extend_from_slice(&(m.len() as u32).to_le_bytes());
    out.extend_from_slice(&m);
    out.extend_from_slice(sealed);
    out
}

pub fn parse(payload: &[u8]) -> std::result::Result<Record, DecodeError> {
    match payload.first() {
        Some(&SEALED_RECORD) => {
            let len = payload
                .get(1..5)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .ok_or(DecodeError::Empty)? as usize;
            let end = len
                .checked_add(5)
                .filter(|end| *end <= payload.len())
                .ok_or_else(|| DecodeError::Damaged("sealed header cut short".into()))?;
            Ok(Record::Sealed(
                codec::decode(&payload[5..end])?,
                payload[end..].to_vec(),
            ))
        }
        _ => {
            let (version, body) = codec::split(payload)?;
            crate::protocol::bundle::decode_finalized(body, version < 4)
                .map(|f| Record::Plain(Box::new(f)))
        }
    }
}

use super::error::{Result, StoreError};
use super::{BUNDLE_SEQ_KEY as BUNDLE_SEQ, HWM, SEAL_TO_KEY as SEAL_TO, SEALED_ALL, Status, Store};
use uuid::Uuid;

/// The entries of a tree keyed by id, after `after` (or from the start).
fn after_cursor(tree: &sled::Tree, after: Option<Uuid>) -> sled::Iter {
    match after {
        Some(id) => tree.range::<&[u8], _>((
            std::ops::Bound::Excluded(id.as_bytes().as_slice()),
            std::ops::Bound::Unbounded,
        )),
        None => tree.iter(),
    }
}

/// Interviews sealed per step when enrolling: one fsync, one sled flush per step.
const SEAL_BATCH: usize = 200;

impl Store {
    /// The hub's age recipients, once enrolled: finalized interviews are sealed to them.
    pub(crate) fn seal_recipients(&self) -> Result<Option<Vec<age::x25519::Recipient>>> {
        let Some(v) = self.meta.get(SEAL_TO).map_err(|e| self.db_err(e))? else {
            return Ok(None);
        };
        let list: Vec<String> = codec::decode(&v).map_err(|e| StoreError::Seal(e.to_string()))?;
        crate::protocol::seal::parse_recipients(&list)
            .map(Some)
            .map_err(|e| StoreError::Seal(e.to_string()))
    }

    pub(crate) fn record_bytes(
        &self,
        f: &Finalized,
        to: Option<&[age::x25519::Recipient]>,
    ) -> Result<Vec<u8>> {
        match to {
            None => Ok(codec::encode(f)),
            Some(r) => {
                let plain = crate::protocol::bundle::interview_plaintext(f);
                let s = crate::protocol::seal::seal(&plain, r)
                    .map_err(|e| StoreError::Seal(e.to_string()))?;
                Ok(wrap(&meta_of(f), &s))
            }
        }
    }

    /// From now on, seal finalized interviews to these recipients; and seal the ones
    /// finalized before. Resumable: if it stops half-way, opening the store finishes it.
    pub fn seal_to(&self, recipients: &[String]) -> Result<usize> {
        self.set_seal_to(recipients)?;
        self.escrow_data_key(recipients)?;
        self.meta.remove(SEALED_ALL).map_err(|e| self.db_err(e))?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        self.seal_existing()
    }

    /// Seals the folder's data key to the hub (`datakey.hub`), so that a forgotten
    /// passphrase can be recovered by the hub's owner (`hub recover-device-key`).
    pub(crate) fn escrow_data_key(&self, recipients: &[String]) -> Result<()> {
        let to = crate::protocol::seal::parse_recipients(recipients)
            .map_err(|e| StoreError::Seal(e.to_string()))?;
        let sealed = crate::protocol::seal::seal(&self.data_key, &to)
            .map_err(|e| StoreError::Seal(e.to_string()))?;
        let path = self.dir.join("datakey.hub");
        super::paths::write_private(&path, &sealed).map_err(StoreError::io("write", &path))
    }

    pub(super) fn set_seal_to(&self, recipients: &[String]) -> Result<()> {
        crate::protocol::seal::parse_recipients(recipients)
            .map_err(|e| StoreError::Seal(e.to_string()))?;
        self.meta
            .insert(SEAL_TO, codec::encode(&recipients.to_vec()))
            .map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Finishes sealing after an enrolment that stopped half-way (no-op once done).
    pub(super) fn resume_sealing(&self) -> Result<()> {
        if self.seal_recipients()?.is_some()
            && self
                .meta
                .get(SEALED_ALL)
                .map_err(|e| self.db_err(e))?
                .is_none()
        {
            self.seal_existing()?;
        }
        Ok(())
    }

    /// Seals every plain finalized interview, in batches. Each batch: the sealed copies are
    /// appended and fsync'd, the index points at them and sled is flushed, and only then are
    /// the plain copies erased in place, so a crash at any point leaves every interview
    /// readable (plain or sealed), and running it again finishes the job.
    fn seal_existing(&self) -> Result<usize> {
        let parsed = self
            .seal_recipients()?
            .ok_or_else(|| StoreError::Seal("not enrolled".into()))?;
        let mut sealed = 0;
        let ids: Vec<Uuid> = self.entries_iter().flatten().map(|(id, _)| id).collect();
        for chunk in ids.chunks(SEAL_BATCH) {
            let mut plain = Vec::new();
            for id in chunk {
                match self.finalized(*id) {
                    Ok(f) => plain.push(f),
                    // Sealed already, or damaged (reported where it is read).
                    Err(_) => continue,
                }
            }
            if plain.is_empty() {
                continue;
            }
            let mut bytes = Vec::with_capacity(plain.len());
            for f in &plain {
                bytes.push(wrap(
                    &meta_of(f),
                    &crate::protocol::seal::seal(
                        &crate::protocol::bundle::interview_plaintext(f),
                        &parsed,
                    )
                    .map_err(|e| StoreError::Seal(e.to_string()))?,
                ));
            }
            let mut segs = super::lock_of(&self.segments);
            let locs = segs.append(&bytes)?;
            let mut old_locs = Vec::with_capacity(plain.len());
            for (f, loc) in plain.iter().zip(&locs) {
                let mut e = self.entry(f.id)?;
                old_locs.push(e.loc());
                (e.segment, e.offset, e.len) = (loc.segment, loc.offset, loc.len);
                self.index
                    .insert(f.id.as_bytes(), codec::encode(&e))
                    .map_err(|e| self.db_err(e))?;
            }
            if let Some(last) = locs.last() {
                self.meta
                    .insert(
                        HWM,
                        super::hwm_bytes(last.segment, last.offset + u64::from(last.len)),
                    )
                    .map_err(|e| self.db_err(e))?;
            }
            // The index must point at the sealed copies on disk before the plain ones go.
            self.db.flush().map_err(|e| self.db_err(e))?;
            for loc in old_locs {
                segs.erase(loc)?;
            }
            let ids: Vec<Uuid> = plain.iter().map(|f| f.id).collect();
            self.destroy_keys(&ids)?;
            sealed += plain.len();
        }
        self.meta
            .insert(SEALED_ALL, &[1u8])
            .map_err(|e| self.db_err(e))?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(sealed)
    }

    /// The sealed bytes of a finalized interview, as a bundle carries them.
    pub fn sealed_bytes(&self, id: Uuid) -> Result<Vec<u8>> {
        let e = self.entry(id)?;
        let dir = self.dir.join("finalized");
        let bytes = super::segments::read(&dir, e.loc())?;
        match self.record_from(&bytes) {
            Ok(Record::Sealed(_, s)) => Ok(s),
            Ok(Record::Plain(_)) => Err(StoreError::Seal(format!(
                "interview {id} is not sealed yet; enrol first"
            ))),
            Err(err) => Err(StoreError::Database {
                dir,
                reason: err.to_string(),
            }),
        }
    }

    /// Finalized interviews the hub has not acknowledged yet (oldest first), at most `limit`.
    pub fn unsent(&self, limit: usize) -> Vec<Uuid> {
        self.unsent_after(None, limit)
    }

    /// Like [`Store::unsent`], starting after `after` (a cursor, so a sync walks the index
    /// once instead of from its start for every bundle).
    pub(crate) fn unsent_after(&self, after: Option<Uuid>, limit: usize) -> Vec<Uuid> {
        after_cursor(&self.index, after)
            .filter_map(|kv| kv.ok())
            .filter_map(|(k, v)| {
                let e = super::record::decode_index_entry(&v).ok()?;
                matches!(e.status, Status::Finalized | Status::Queued)
                    .then(|| Uuid::from_slice(&k).ok())
                    .flatten()
            })
            .take(limit)
            .collect()
    }

    /// The next per-device bundle number.
    pub(crate) fn next_bundle_seq(&self) -> Result<u64> {
        let v = self
            .meta
            .update_and_fetch(BUNDLE_SEQ, |old| {
                let n = old
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u64::from_le_bytes)
                    + 1;
                Some(n.to_le_bytes().to_vec())
            })
            .map_err(|e| self.db_err(e))?;
        Ok(v.and_then(|b| b.as_ref().try_into().ok())
            .map_or(1, u64::from_le_bytes))
    }

    /// Marks interviews sent (a signed receipt named them) and notes when, for retention.
    pub fn mark_sent(&self, ids: &[Uuid], at: super::Stamp) -> Result<()> {
        let mut interviews = Vec::with_capacity(ids.len());
        for id in ids {
            if self.is_referral(*id) {
                self.referral_delivered(*id)?;
                continue;
            }
            if let Some(hash) = crate::protocol::bundle::form_hash_of(*id) {
                self.mark_form_delivered(hash)?;
                continue;
            }
            if self.entry(*id).is_err() {
                self.mark_tombstone_sent(*id)?;
                continue;
            }
            interviews.push(*id);
        }
        self.move_to(&interviews, |_| true, Status::Sent, Some(at))?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// The device's copy of an interview the hub holds: overwritten in its file, unindexed.
    /// No tombstone: a tombstone would travel to the hub as an erasure request and take the
    /// hub's copy too, and count as an interview that ended early. Its key went when it was
    /// sealed; a draft reopened under the same id (sent back) keeps its own.
    fn forget_sent(&self, id: Uuid) -> Result<()> {
        let Ok(e) = self.entry(id) else {
            return Ok(());
        };
        super::lock_of(&self.segments).erase(e.loc())?;
        self.index
            .remove(id.as_bytes())
            .map_err(|e| self.db_err(e))?;
        self.bump(e.status, -1)
    }

    /// Erases interviews the hub acknowledged more than `days` ago (the device's copy only).
    /// Returns how many.
    pub fn apply_retention(&self, now: super::Stamp, days: i64) -> Result<usize> {
        let cutoff = now.utc - chrono::Duration::days(days);
        let old: Vec<(Uuid, String)> = self
            .entries_iter()
            .flatten()
            .filter(|(_, e)| e.status == Status::Sent && e.sent_at.is_some_and(|t| t.utc < cutoff))
            .map(|(id, e)| (id, e.form_id))
            .collect();
        for (id, _) in &old {
            self.forget_sent(*id)?;
        }
        if !old.is_empty() {
            self.db.flush().map_err(|e| self.db_err(e))?;
        }
        Ok(old.len())
    }
}

/// In `meta`: the unsent tombstones are listed in their own tree (set at once in a store
/// with no tombstones yet, which has nothing to list).
pub(super) const UNSENT_INDEXED: &[u8] = b"unsent-tombstones-indexed";

/// In `meta`: the hub acknowledged tombstone `id`.
pub(super) fn tomb_key(id: Uuid) -> Vec<u8> {
    [b"ts:".as_slice(), id.as_bytes()].concat()
}

impl Store {
    /// Tombstones the hub has not acknowledged yet, so it can count refusals too.
    pub fn unsent_tombstones(&self, limit: usize) -> Vec<super::Tombstone> {
        self.unsent_tombstones_after(None, limit)
    }

    /// Like [`Store::unsent_tombstones`], after a cursor; read from the list of unsent ones
    /// (O(unsent), not O(every tombstone kept)).
    pub(crate) fn unsent_tombstones_after(
        &self,
        after: Option<Uuid>,
        limit: usize,
    ) -> Vec<super::Tombstone> {
        self.index_unsent_tombstones();
        after_cursor(&self.unsent_tombstones, after)
            .filter_map(|kv| kv.ok())
            .filter_map(|(k, _)| self.tombstones.get(k).ok().flatten())
            .filter_map(|v| codec::decode::<super::Tombstone>(&v).ok())
            .take(limit)
            .collect()
    }

    /// Whether any tombstone waits for the hub: O(1) (the app's sync worker asks on every
    /// check while online).
    pub fn has_unsent_tombstones(&self) -> bool {
        self.index_unsent_tombstones();
        !self.unsent_tombstones.is_empty()
    }

    /// How many tombstones wait for the hub (counted over their ids, none decoded).
    pub fn unsent_tombstone_count(&self) -> usize {
        self.index_unsent_tombstones();
        self.unsent_tombstones.len()
    }

    /// Lists the unsent tombstones once, for a store made before that list existed. In
    /// small batches: sled holds every page a batch touches until the batch is applied, so
    /// one batch of a million tombstones took gigabytes.
    fn index_unsent_tombstones(&self) {
        if self.meta.get(UNSENT_INDEXED).ok().flatten().is_some() {
            return;
        }
        let mut batch = sled::Batch::default();
        let mut pending = 0;
        let mut ok = true;
        super::walk(&self.tombstones, |k, _| {
            if let Ok(id) = Uuid::from_slice(k)
                && self.meta.get(tomb_key(id)).ok().flatten().is_none()
            {
                batch.insert(k, &[]);
                pending += 1;
            }
            if pending == 1024 {
                ok &= self
                    .unsent_tombstones
                    .apply_batch(std::mem::take(&mut batch))
                    .is_ok();
                pending = 0;
            }
        });
        if ok && self.unsent_tombstones.apply_batch(batch).is_ok() {
            let _ = self.meta.insert(UNSENT_INDEXED, &[1u8]);
        }
    }

    /// A tombstone sealed to the hub like an interview (it names no child, but the hub
    /// should not learn more from the wire than from its own store).
    /// A referral notice sealed for the hub.
    pub(crate) fn sealed_referral(&self, n: &crate::record::ReferralNotice) -> Result<Vec<u8>> {
        self.seal_for_hub(&crate::protocol::bundle::referral_plaintext(n))
    }

    /// A form definition sealed for the hub, to travel with interviews taken with it.
    pub(crate) fn sealed_form(&self, form: &crate::form::Form) -> Result<Vec<u8>> {
        self.seal_for_hub(&crate::protocol::bundle::form_plaintext(&form.source))
    }

    pub(crate) fn sealed_tombstone(&self, t: &super::Tombstone) -> Result<Vec<u8>> {
        self.seal_for_hub(&crate::protocol::bundle::tombstone_plaintext(t))
    }

    /// `plain` sealed to the hub this device is enrolled with.
    fn seal_for_hub(&self, plain: &[u8]) -> Result<Vec<u8>> {
        let to = self
            .seal_recipients()?
            .ok_or_else(|| StoreError::Seal("not enrolled".into()))?;
        crate::protocol::seal::seal(plain, &to).map_err(|e| StoreError::Seal(e.to_string()))
    }

    pub(crate) fn mark_tombstone_sent(&self, id: Uuid) -> Result<bool> {
        if self
            .tombstones
            .get(id.as_bytes())
            .map_err(|e| self.db_err(e))?
            .is_none()
        {
            return Ok(false);
        }
        self.meta
            .insert(tomb_key(id), &[1u8])
            .map_err(|e| self.db_err(e))?;
        // After the mark: a crash between the two sends it once more, which the hub takes
        // as the duplicate it is.
        self.unsent_tombstones
            .remove(id.as_bytes())
            .map_err(|e| self.db_err(e))?;
        Ok(true)
    }
}
