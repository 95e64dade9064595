//! Erasure on request (a child or guardian withdraws after the interview reached the hub):
//! the interview is replaced by a tombstone in the store — whether the request came in a
//! device's signed bundle or straight to the district office (`hub erase`) — and its sealed
//! bytes are overwritten in the bundle files kept as received.

use super::store::Item;
use super::{Hub, HubError};
use crate::record::{Stamp, Tombstone};
use uuid::Uuid;

impl Hub {
    /// Overwrites the sealed bytes of `erased` wherever the kept bundle files hold them, in
    /// place, with zeros (the file keeps its length; its signature no longer verifies, as it
    /// should not for something altered).
    pub(crate) fn scrub(&self, erased: &[Item]) -> std::io::Result<()> {
        if erased.is_empty() {
            return Ok(());
        }
        let dir = self.dir.join("bundles");
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = e.path();
            let mut bytes = std::fs::read(&path)?;
            let mut changed = false;
            for item in erased {
                let needle = &item.sealed;
                if needle.len() < 32 {
                    continue;
                }
                let mut at = 0;
                while let Some(i) = find(&bytes[at..], needle) {
                    let start = at + i;
                    bytes[start..start + needle.len()].fill(0);
                    at = start + needle.len();
                    changed = true;
                }
            }
            if changed {
                use std::io::{Seek, Write};
                let mut f = std::fs::OpenOptions::new().write(true).open(&path)?;
                f.seek(std::io::SeekFrom::Start(0))?;
                f.write_all(&bytes)?;
                f.sync_all()?;
            }
        }
        Ok(())
    }

    /// Erased items, unlocked: their sealed bytes as received.
    pub(crate) fn unlocked(&self, erased: &[Item]) -> Vec<Item> {
        erased
            .iter()
            .zip(self.unlock_items(erased))
            .map(|(it, sealed)| Item {
                sealed: sealed.unwrap_or_default(),
                ..it.clone()
            })
            .collect()
    }

    /// Erased items (`originals`: the same unlocked, `opened`: the interviews they held):
    /// their bytes scrubbed from the kept bundle files, then their keys destroyed (so
    /// sled's old pages hold nothing readable either).
    pub(crate) fn forget(
        &self,
        erased: &[Item],
        originals: &[Item],
        opened: &[crate::record::Finalized],
    ) -> Result<(), HubError> {
        self.scrub(originals)
            .map_err(|e| HubError::Internal(format!("cannot scrub an erased interview: {e}")))?;
        // A child's erasure wins over review: nothing of it stays to be sent back, and its
        // answers are taken back out of the quality counts (each id's stored version, the
        // one opened; its other copies, conflicts and earlier versions, were never counted).
        for f in opened {
            self.untally(f);
        }
        for it in erased {
            super::review::forget(&self.reviews(), it.id);
        }
        self.destroy_items(erased)
    }

    /// Takes an erased interview's answers back out of its form's answer counts.
    fn untally(&self, f: &crate::record::Finalized) {
        let Some(r) = super::review::load(&self.reviews(), f.id) else {
            return;
        };
        if let Some(form) = self.form_copy(&f.form)
            && let Err(e) = super::review::tally(&self.reviews(), &form, f, &r.place, -1)
        {
            eprintln!(
                "warning: interview {}: answer counts not taken back: {e}",
                f.id
            );
        }
    }

    /// `hub erase`: a request that reached the district office directly.
    pub fn erase(&self, id: Uuid, reason: &str) -> Result<(), HubError> {
        let old = self
            .store
            .get(id)
            .map_err(HubError::Internal)?
            .ok_or_else(|| HubError::Invalid(format!("no interview {id} on this hub")))?;
        if old.tombstone {
            return Err(HubError::Invalid(format!(
                "interview {id} is already erased"
            )));
        }
        // The form's id, for the response figures (what the tombstone keeps).
        let form_id = match self.open_item(&old) {
            Ok(crate::protocol::bundle::Payload::Interview(f)) => f.form.id,
            _ => String::new(),
        };
        let t = Tombstone {
            id,
            form_id,
            at: Stamp::from_local(chrono::Local::now().fixed_offset()),
            reason: reason.to_string(),
        };
        let plain = crate::protocol::bundle::tombstone_plaintext(&t);
        let to = crate::protocol::seal::parse_recipients(&self.config.recipients)
            .map_err(|e| HubError::Internal(e.to_string()))?;
        let sealed = crate::protocol::seal::seal(&plain, &to)
            .map_err(|e| HubError::Internal(e.to_string()))?;
        let item = [Item {
            id,
            device: old.device,
            hash: <sha2::Sha256 as sha2::Digest>::digest(&plain).into(),
            sealed,
            received: chrono::Utc::now(),
            tombstone: true,
        }];
        let locked = self.locked(&item)?;
        self.store_items(&locked, &Default::default(), &[], &[t], |_| {})?;
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
