//! On the hub too, each stored item's sealed bytes are locked under a key of its own (the
//! device's keyring, in the hub folder), so an erasure destroys the interview for good,
//! whatever sled's log keeps of it.

use super::store::Item;
use super::{Hub, HubError};
use crate::store::cipher;
use uuid::Uuid;

/// The key slot of one stored item: its id and content, so an erased interview and the
/// tombstone that replaces it (same id) never share a key.
fn slot_of(item: &Item) -> Uuid {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"langnghe-hub-slot-v1");
    h.update(item.id.as_bytes());
    h.update(item.hash);
    let d: [u8; 32] = h.finalize().into();
    Uuid::from_slice(&d[..16]).unwrap_or_default()
}

impl Hub {
    /// Locks each item's sealed bytes under its own key (made now, one fsync for all).
    pub(crate) fn lock_items(&self, items: &mut [Item]) -> Result<(), HubError> {
        let slots: Vec<Uuid> = items.iter().map(slot_of).collect();
        let keys = self
            .keyring
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_create(&slots)
            .map_err(|e| HubError::Internal(e.to_string()))?;
        for ((item, slot), key) in items.iter_mut().zip(&slots).zip(keys) {
            item.sealed = cipher::lock(&key, *slot, &item.sealed);
        }
        Ok(())
    }

    /// The sealed bytes of a stored item (items stored before locking come back as they are).
    pub(crate) fn unlock_item(&self, item: &Item) -> Result<Vec<u8>, String> {
        let Some(slot) = cipher::locked_id(&item.sealed) else {
            return Ok(item.sealed.clone());
        };
        let key = self
            .keyring
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(slot)
            .map_err(|e| e.to_string())?
            .ok_or("erased")?;
        cipher::unlock(&key, &item.sealed).map_err(|e| e.to_string())
    }

    /// Destroys the keys of erased items: every copy of them is unreadable from now.
    pub(crate) fn destroy_items(&self, items: &[Item]) -> Result<(), HubError> {
        let slots: Vec<Uuid> = items.iter().map(slot_of).collect();
        self.keyring
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .destroy(&slots)
            .map_err(|e| HubError::Internal(e.to_string()))
    }
}
