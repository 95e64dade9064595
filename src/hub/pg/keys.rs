//! Each stored item's key as a row (`item_keys`), masked as the keyring file masks it
//! (`store::keyring::mask`): shared by every process serving the hub, and deleted when the
//! item is erased.

use super::{Db, err};
use crate::store::cipher::RecordKey;
use crate::store::datakey::DataKey;
use crate::store::keyring::mask;
use uuid::Uuid;

fn masked(data_key: &DataKey, slot: Uuid, key: &[u8]) -> Option<RecordKey> {
    let key: [u8; 32] = key.try_into().ok()?;
    let m = mask(data_key, slot);
    Some(std::array::from_fn(|i| key[i] ^ m[i]))
}

impl Db {
    /// The keys of `slots`, made (random) where missing; a slot another process made at the
    /// same moment gets that process's key.
    pub(crate) fn keys_for(
        &self,
        data_key: &DataKey,
        slots: &[Uuid],
    ) -> Result<Vec<RecordKey>, String> {
        let fresh: Vec<Vec<u8>> = slots
            .iter()
            .map(|slot| {
                let mut key = [0u8; 32];
                rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut key);
                masked(data_key, *slot, &key).map_or_else(Vec::new, |m| m.to_vec())
            })
            .collect();
        let ids: Vec<Uuid> = slots.to_vec();
        self.conn()?
            .execute(
                "INSERT INTO item_keys (slot, masked) SELECT * FROM UNNEST($1::uuid[], \
                 $2::bytea[]) ON CONFLICT (slot) DO NOTHING",
                &[&ids, &fresh],
            )
            .map_err(err)?;
        self.keys_of(data_key, slots)?
            .into_iter()
            .zip(slots)
            .map(|(k, s)| k.ok_or_else(|| format!("PostgreSQL: the key of {s} is not there")))
            .collect()
    }

    /// The keys of `slots` in one query; none where erased.
    pub(crate) fn keys_of(
        &self,
        data_key: &DataKey,
        slots: &[Uuid],
    ) -> Result<Vec<Option<RecordKey>>, String> {
        let ids: Vec<Uuid> = slots.to_vec();
        let rows = self
            .conn()?
            .query(
                "SELECT slot, masked FROM item_keys WHERE slot = ANY($1)",
                &[&ids],
            )
            .map_err(err)?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for r in rows {
            let slot: Uuid = r.try_get(0).map_err(err)?;
            let m: Vec<u8> = r.try_get(1).map_err(err)?;
            found.insert(slot, m);
        }
        Ok(slots
            .iter()
            .map(|s| found.get(s).and_then(|m| masked(data_key, *s, m)))
            .collect())
    }

    /// Destroys the keys of `slots`: every copy of their items is unreadable from now.
    pub(crate) fn destroy_keys(&self, slots: &[Uuid]) -> Result<(), String> {
        let ids: Vec<Uuid> = slots.to_vec();
        self.conn()?
            .execute("DELETE FROM item_keys WHERE slot = ANY($1)", &[&ids])
            .map(|_| ())
            .map_err(err)
    }
}
