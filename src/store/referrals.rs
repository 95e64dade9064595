//! Referral notices waiting for the hub: each locked under its own key (it names a commune
//! and a surveyor), sent at the next sync whatever state its interview is in, and destroyed
//! once a receipt names it.

use super::{Result, Store, codec};
use crate::record::ReferralNotice;
use uuid::Uuid;

impl Store {
    /// Queues a notice for the hub.
    pub(crate) fn queue_referral(&self, n: &ReferralNotice) -> Result<()> {
        let locked = self.lock_bytes(n.id, &codec::encode(n))?;
        self.referrals
            .insert(n.id.as_bytes(), locked)
            .map_err(|e| self.db_err(e))?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Notices not yet acknowledged by the hub, oldest first.
    pub(crate) fn unsent_referrals(&self) -> Vec<ReferralNotice> {
        self.referrals
            .iter()
            .filter_map(|kv| kv.ok())
            .filter_map(|(_, v)| self.unlock(&v).ok())
            .filter_map(|plain| codec::decode(&plain).ok())
            .collect()
    }

    /// Whether any notice waits (cheap: the sync worker asks on every check).
    pub fn has_unsent_referrals(&self) -> bool {
        !self.referrals.is_empty()
    }

    /// Whether `id` is a notice waiting here.
    pub(crate) fn is_referral(&self, id: Uuid) -> bool {
        self.referrals.contains_key(id.as_bytes()).unwrap_or(false)
    }

    /// The hub has it: gone from here, key and all.
    pub(crate) fn referral_delivered(&self, id: Uuid) -> Result<()> {
        self.destroy_keys(&[id])?;
        self.referrals
            .remove(id.as_bytes())
            .map_err(|e| self.db_err(e))?;
        Ok(())
    }
}
