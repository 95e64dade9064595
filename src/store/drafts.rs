//! Drafts: autosaved interviews in progress (journal first, then sled).

use super::journal::Entry;
use super::{Draft, Result, Store, StoreError, hex, lock_of};
use uuid::Uuid;

impl Store {
    /// Autosave: journal first (so a failure leaves sled untouched), then sled. Costs a
    /// `write` and an in-memory insert; the fsync happens later, off this thread.
    pub fn save_draft(&self, d: &mut Draft) -> Result<()> {
        self.check_fault("save the answer to")?;
        d.rev += 1;
        // Hold the journal across both writes: a rotation (which drops journal entries sled
        // has flushed) must not fall between them, or this save would be in neither.
        let locked = self.draft_bytes(d).inspect_err(|_| d.rev -= 1)?;
        let mut journal = lock_of(&self.journal);
        journal
            .append(&Entry::Save {
                id: d.id,
                rev: d.rev,
                locked: locked.clone(),
            })
            .inspect_err(|_| d.rev -= 1)?;
        self.drafts
            .insert(d.id.as_bytes(), locked)
            .map_err(|e| self.db_err(e))?;
        drop(journal);
        if let Some((tx, _)) = &self.flusher {
            let _ = tx.send(());
        }
        Ok(())
    }

    pub fn draft(&self, id: Uuid) -> Result<Draft> {
        let v = self.drafts.get(id.as_bytes()).map_err(|e| self.db_err(e))?;
        let v = v.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        self.draft_from(&v).map_err(|e| StoreError::Database {
            dir: self.dir.clone(),
            reason: e.to_string(),
        })
    }

    /// All drafts, oldest first; damaged ones are reported and skipped.
    pub fn drafts(&self) -> (Vec<Draft>, Vec<String>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for kv in self.drafts.iter() {
            match kv {
                Ok((k, v)) => match self.draft_from(&v) {
                    Ok(d) => ok.push(d),
                    // Erased, its key destroyed; a crash kept sled from removing it too.
                    Err(crate::codec::DecodeError::Erased) => {}
                    Err(e) => bad.push(format!("draft {}: {e}", hex(&k))),
                },
                Err(e) => bad.push(format!("drafts: {e}")),
            }
        }
        (ok, bad)
    }

    /// Deletes a draft (discarded, withdrawn, or finalized).
    pub(crate) fn remove_draft(&self, id: Uuid) -> Result<()> {
        self.check_fault("remove the draft from")?;
        let mut journal = lock_of(&self.journal);
        journal.append(&Entry::Gone(id))?;
        self.drafts
            .remove(id.as_bytes())
            .map_err(|e| self.db_err(e))?;
        Ok(())
    }
}
