//! Finalized records as they lie in segment files: plain (before enrolment) or sealed to the
//! hub, with a small clear-text header so the device can still index and recover them.

use super::codec::{self, DecodeError};
use super::record::{Finalized, SealedMeta};

/// First byte of a sealed record: header length, header, then the sealed interview.
pub const SEALED_RECORD: u8 = 0xA6;

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

pub fn meta_of(f: &Finalized) -> SealedMeta {
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
        _ => Ok(Record::Plain(Box::new(codec::decode(payload)?))),
    }
}

use super::error::{Result, StoreError};
use super::segments::Loc;
use super::{Status, Store};
use uuid::Uuid;

const SEAL_TO: &[u8] = b"seal_to";
const BUNDLE_SEQ: &[u8] = b"bundle_seq";

impl Store {
    /// The hub's age recipients, once enrolled: finalized interviews are sealed to them.
    pub(crate) fn seal_recipients(&self) -> Result<Option<Vec<age::x25519::Recipient>>> {
        let Some(v) = self.meta.get(SEAL_TO).map_err(|e| self.db_err(e))? else {
            return Ok(None);
        };
        let list: Vec<String> = codec::decode(&v).map_err(|e| StoreError::Seal(e.to_string()))?;
        crate::sync::seal::parse_recipients(&list)
            .map(Some)
            .map_err(|e| StoreError::Seal(e.to_string()))
    }

    pub(crate) fn record_bytes(
        &self,
        f: &Finalized,
        to: Option<&[age::x25519::Recipient]>,
    ) -> Result<Vec<u8>> {
        let plain = codec::encode(f);
        match to {
            None => Ok(plain),
            Some(r) => {
                let s = crate::sync::seal::seal(&plain, r)
                    .map_err(|e| StoreError::Seal(e.to_string()))?;
                Ok(wrap(&meta_of(f), &s))
            }
        }
    }

    /// From now on, seal finalized interviews to these recipients; and seal the ones
    /// finalized before (appended sealed, then the plain copy erased in place).
    pub fn seal_to(&self, recipients: &[String]) -> Result<usize> {
        let parsed = crate::sync::seal::parse_recipients(recipients)
            .map_err(|e| StoreError::Seal(e.to_string()))?;
        self.meta
            .insert(SEAL_TO, codec::encode(&recipients.to_vec()))
            .map_err(|e| self.db_err(e))?;
        let mut sealed = 0;
        let (entries, _) = self.entries();
        for (id, _) in entries {
            let Ok(f) = self.finalized(id) else { continue };
            let bytes = wrap(
                &meta_of(&f),
                &crate::sync::seal::seal(&codec::encode(&f), &parsed)
                    .map_err(|e| StoreError::Seal(e.to_string()))?,
            );
            let mut segs = super::lock_of(&self.segments);
            let old = self.entry(id)?;
            let loc = segs.append(&[bytes])?[0];
            let mut e = old.clone();
            (e.segment, e.offset, e.len) = (loc.segment, loc.offset, loc.len);
            self.index
                .insert(id.as_bytes(), codec::encode(&e))
                .map_err(|e| self.db_err(e))?;
            segs.erase(Loc {
                segment: old.segment,
                offset: old.offset,
                len: old.len,
            })?;
            sealed += 1;
        }
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(sealed)
    }

    /// The sealed bytes of a finalized interview, as a bundle carries them.
    pub fn sealed_bytes(&self, id: Uuid) -> Result<Vec<u8>> {
        let e = self.entry(id)?;
        let dir = self.dir.join("finalized");
        let bytes = super::segments::read(
            &dir,
            Loc {
                segment: e.segment,
                offset: e.offset,
                len: e.len,
            },
        )?;
        match parse(&bytes) {
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
        self.entries_iter()
            .flatten()
            .filter(|(_, e)| matches!(e.status, Status::Finalized | Status::Queued))
            .map(|(id, _)| id)
            .take(limit)
            .collect()
    }

    /// The next per-device bundle number.
    pub fn next_bundle_seq(&self) -> Result<u64> {
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
        for id in ids {
            let Ok(mut e) = self.entry(*id) else {
                self.mark_tombstone_sent(*id)?;
                continue;
            };
            if e.status == Status::Sent {
                continue;
            }
            self.set_status(*id, Status::Sent)?;
            e.status = Status::Sent;
            e.sent_at = Some(at);
            self.index
                .insert(id.as_bytes(), codec::encode(&e))
                .map_err(|e| self.db_err(e))?;
        }
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Erases interviews the hub acknowledged more than `days` ago. Returns how many.
    pub fn apply_retention(&self, now: super::Stamp, days: i64) -> Result<usize> {
        let cutoff = now.utc - chrono::Duration::days(days);
        let old: Vec<(Uuid, String)> = self
            .entries_iter()
            .flatten()
            .filter(|(_, e)| e.status == Status::Sent && e.sent_at.is_some_and(|t| t.utc < cutoff))
            .map(|(id, e)| (id, e.form_id))
            .collect();
        for (id, form) in &old {
            self.erase(*id, form, "retention", now)?;
        }
        Ok(old.len())
    }
}

/// First byte of a sealed tombstone's plaintext (an interview's starts with the schema byte).
pub const TOMBSTONE_TAG: u8 = b'T';

fn tomb_key(id: Uuid) -> Vec<u8> {
    [b"ts:".as_slice(), id.as_bytes()].concat()
}

impl Store {
    /// Tombstones the hub has not acknowledged yet, so it can count refusals too.
    pub fn unsent_tombstones(&self, limit: usize) -> Vec<super::Tombstone> {
        self.tombstones()
            .into_iter()
            .filter(|t| self.meta.get(tomb_key(t.id)).ok().flatten().is_none())
            .take(limit)
            .collect()
    }

    /// A tombstone sealed to the hub like an interview (it names no child, but the hub
    /// should not learn more from the wire than from its own store).
    pub fn sealed_tombstone(&self, t: &super::Tombstone) -> Result<Vec<u8>> {
        let to = self
            .seal_recipients()?
            .ok_or_else(|| StoreError::Seal("not enrolled".into()))?;
        let plain = [vec![TOMBSTONE_TAG], codec::encode(t)].concat();
        crate::sync::seal::seal(&plain, &to).map_err(|e| StoreError::Seal(e.to_string()))
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
        Ok(true)
    }
}
