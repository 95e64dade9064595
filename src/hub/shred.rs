//! On the hub too, each stored item's sealed bytes are locked under a key of its own (the
//! device's keyring, in the hub folder; or a table of the hub's PostgreSQL database), so an
//! erasure destroys the interview for good, whatever the store's log keeps of it.

use super::store::Item;
use super::{Hub, HubError};
use crate::store::cipher::{self, RecordKey};
use crate::store::datakey::DataKey;
use crate::store::keyring::Keyring;
use std::sync::Mutex;
use uuid::Uuid;

/// Where the hub's item keys are.
pub(crate) enum ItemKeys {
    File(Mutex<Keyring>),
    Postgres(super::pg::Db, DataKey),
}

impl ItemKeys {
    fn get_or_create(&self, slots: &[Uuid]) -> Result<Vec<RecordKey>, String> {
        match self {
            ItemKeys::File(k) => lock(k).get_or_create(slots).map_err(|e| e.to_string()),
            ItemKeys::Postgres(db, data_key) => db.keys_for(data_key, slots),
        }
    }

    /// The keys of many slots at once (one query on PostgreSQL); none where erased.
    fn get_many(&self, slots: &[Uuid]) -> Result<Vec<Option<RecordKey>>, String> {
        match self {
            ItemKeys::File(k) => {
                let mut k = lock(k);
                slots
                    .iter()
                    .map(|s| k.get(*s).map_err(|e| e.to_string()))
                    .collect()
            }
            ItemKeys::Postgres(db, data_key) => db.keys_of(data_key, slots),
        }
    }

    fn destroy(&self, slots: &[Uuid]) -> Result<(), String> {
        match self {
            ItemKeys::File(k) => lock(k).destroy(slots).map_err(|e| e.to_string()),
            ItemKeys::Postgres(db, _) => db.destroy_keys(slots),
        }
    }
}

fn lock(k: &Mutex<Keyring>) -> std::sync::MutexGuard<'_, Keyring> {
    k.lock().unwrap_or_else(|p| p.into_inner())
}

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
    /// The items with their sealed bytes locked, each under its own key (made now, one
    /// fsync for all); the encryption on every core, as it is one pass over every byte.
    pub(crate) fn locked(&self, items: &[Item]) -> Result<Vec<Item>, HubError> {
        let slots: Vec<Uuid> = items.iter().map(slot_of).collect();
        let keys = self
            .keys
            .get_or_create(&slots)
            .map_err(HubError::Internal)?;
        let work: Vec<(&Item, Uuid, RecordKey)> = items
            .iter()
            .zip(slots)
            .zip(keys)
            .map(|((item, slot), key)| (item, slot, key))
            .collect();
        let cores = super::parallel::cores();
        Ok(super::parallel::on_cores(
            &work,
            cores,
            |(item, slot, key)| Item {
                id: item.id,
                device: item.device,
                hash: item.hash,
                sealed: cipher::lock(key, *slot, &item.sealed),
                received: item.received,
                tombstone: item.tombstone,
            },
        ))
    }

    /// The sealed bytes of a stored item (items stored before locking come back as they are).
    pub(crate) fn unlock_item(&self, item: &Item) -> Result<Vec<u8>, String> {
        self.unlock_items(std::slice::from_ref(item))
            .pop()
            .unwrap_or_else(|| Err("no item".into()))
    }

    /// The sealed bytes of many stored items, their keys fetched together.
    pub(crate) fn unlock_items(&self, items: &[Item]) -> Vec<Result<Vec<u8>, String>> {
        let slots: Vec<Uuid> = items
            .iter()
            .filter_map(|i| cipher::locked_id(&i.sealed))
            .collect();
        let keys: std::collections::HashMap<Uuid, Option<RecordKey>> =
            match self.keys.get_many(&slots) {
                Ok(keys) => slots.into_iter().zip(keys).collect(),
                Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
            };
        items
            .iter()
            .map(|item| match cipher::locked_id(&item.sealed) {
                None => Ok(item.sealed.clone()),
                Some(slot) => {
                    let key = keys.get(&slot).copied().flatten().ok_or("erased")?;
                    cipher::unlock(&key, &item.sealed).map_err(|e| e.to_string())
                }
            })
            .collect()
    }

    /// Destroys the keys of erased items: every copy of them is unreadable from now.
    pub(crate) fn destroy_items(&self, items: &[Item]) -> Result<(), HubError> {
        let slots: Vec<Uuid> = items.iter().map(slot_of).collect();
        self.keys.destroy(&slots).map_err(HubError::Internal)
    }
}
