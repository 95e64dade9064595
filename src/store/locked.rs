//! Reading and writing drafts and unsealed records under their own keys (`cipher.rs`,
//! `keyring.rs`): the store's only path to answers on disk, so nothing a child said is
//! written in clear, and destroying a key erases every copy at once.

use super::cipher::{self, LOCKED};
use super::record::{Draft, decode_draft};
use super::sealed::{self, Record};
use super::{Result, Store, codec, lock_of};
use crate::codec::DecodeError;
use uuid::Uuid;

impl Store {
    /// `plain` locked under the key of record `id` (made if it has none yet).
    pub(crate) fn lock_bytes(&self, id: Uuid, plain: &[u8]) -> Result<Vec<u8>> {
        let key = lock_of(&self.keyring).get_or_create(&[id])?;
        Ok(cipher::lock(&key[0], id, plain))
    }

    /// Several records at once: one fsync of the keyring for all new keys.
    pub(crate) fn lock_many(&self, items: &[(Uuid, Vec<u8>)]) -> Result<Vec<Vec<u8>>> {
        let ids: Vec<Uuid> = items.iter().map(|(id, _)| *id).collect();
        let keys = lock_of(&self.keyring).get_or_create(&ids)?;
        Ok(items
            .iter()
            .zip(keys)
            .map(|((id, plain), key)| cipher::lock(&key, *id, plain))
            .collect())
    }

    /// Opens a locked blob; a record whose key was destroyed reads as erased.
    pub(crate) fn unlock(&self, blob: &[u8]) -> std::result::Result<Vec<u8>, DecodeError> {
        let id = cipher::locked_id(blob)
            .ok_or_else(|| DecodeError::Damaged("not a locked record".into()))?;
        let key = lock_of(&self.keyring)
            .get(id)
            .map_err(|e| DecodeError::Damaged(e.to_string()))?
            .ok_or(DecodeError::Erased)?;
        cipher::unlock(&key, blob)
    }

    /// Destroys the keys of `ids`: whatever copies of them remain are unreadable from now.
    pub(crate) fn destroy_keys(&self, ids: &[Uuid]) -> Result<()> {
        lock_of(&self.keyring).destroy(ids)
    }

    /// A draft as stored: locked (this build) or in clear (written before it).
    pub(crate) fn draft_from(&self, bytes: &[u8]) -> std::result::Result<Draft, DecodeError> {
        if bytes.first() == Some(&LOCKED) {
            decode_draft(&self.unlock(bytes)?)
        } else {
            decode_draft(bytes)
        }
    }

    /// A draft's bytes for sled and the journal: locked under its own key.
    pub(crate) fn draft_bytes(&self, d: &Draft) -> Result<Vec<u8>> {
        self.lock_bytes(d.id, &codec::encode(d))
    }

    /// A finalized record as it lies in a segment file, opened as far as this device may:
    /// locked records are unlocked; sealed ones stay the hub's.
    pub(crate) fn record_from(&self, payload: &[u8]) -> std::result::Result<Record, DecodeError> {
        if payload.first() == Some(&LOCKED) {
            sealed::parse(&self.unlock(payload)?)
        } else {
            sealed::parse(payload)
        }
    }
}

/// Whether a stored record is kept under its own key (every record written since keys came;
/// older ones are plain bytes).
pub(crate) fn is_locked(payload: &[u8]) -> bool {
    payload.first() == Some(&LOCKED)
}
