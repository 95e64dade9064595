//! Recovery: what a rebuilt index takes over from the old sled folder, and the check that
//! every indexed interview still has its bytes in a segment file.

use super::segments;
use super::{
    BUNDLE_SEQ_KEY, Result, SEAL_TO_KEY, SEQ, SETTINGS, Status, Store, codec, guarded, open_sled,
    open_timeout,
};
use std::path::Path;
use uuid::Uuid;

/// What `recover` carried over from the old index, and what it could not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Carried {
    pub drafts: usize,
    pub tombstones: usize,
    /// Interviews whose queued/sent status (and time sent) came back.
    pub statuses: usize,
    pub settings: bool,
    pub enrolment: bool,
    /// Interviews the old index knew that no segment file holds any more: lost.
    pub lost: Vec<Uuid>,
    /// Why the old index could not be read at all (its folder is kept for a specialist).
    pub unreadable: Option<String>,
}

impl Store {
    /// Carries over everything still readable in the old sled folder `aside`, then makes sure
    /// an enrolled device goes on sealing.
    pub(super) fn carry_over(
        &self,
        aside: Option<&Path>,
        enrolled: Option<&[String]>,
    ) -> Result<Carried> {
        let mut c = Carried::default();
        if let Some(aside) = aside {
            let path = aside.to_path_buf();
            match guarded("the old index", open_timeout(), move || {
                open_sled(&path).map_err(|e| super::sled_error(&path, e))
            }) {
                Ok(Ok(old)) => self.carry_from(&old, &mut c)?,
                Ok(Err(e)) => c.unreadable = Some(e.to_string()),
                Err(why) => c.unreadable = Some(why),
            }
        }
        // The enrolment outlives sled (the caller reads it from its file): a device enrolled
        // before must seal from now on, never store new interviews in the clear.
        if self.seal_recipients()?.is_none()
            && let Some(recipients) = enrolled
        {
            self.set_seal_to(recipients)?;
            c.enrolment = true;
        }
        self.resume_sealing()?;
        self.recount()?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(c)
    }

    /// A tombstone from the old store, with its early-ending counters; an unreadable one is
    /// carried as it is (counted by nothing, as before).
    fn carry_tombstone(&self, k: &[u8], v: sled::IVec) -> Result<()> {
        match codec::decode::<crate::store::Tombstone>(&v) {
            Ok(t) => self.put_tombstone(&t),
            Err(_) => self
                .tombstones
                .insert(k, v)
                .map(|_| ())
                .map_err(|e| self.db_err(e)),
        }
    }

    fn carry_from(&self, old: &sled::Db, c: &mut Carried) -> Result<()> {
        // Each tree is read on its own: damage in one does not cost the others.
        let tree = |name: &str| old.open_tree(name).ok();
        if let Some(drafts) = tree("drafts") {
            for (k, v) in drafts.iter().flatten() {
                let Ok(d) = self.draft_from(&v) else {
                    continue;
                };
                let finalized = self.index.get(&k).ok().flatten().is_some();
                let erased = self.tombstones.get(&k).ok().flatten().is_some();
                let newer = match self.drafts.get(&k).ok().flatten() {
                    Some(cur) => self.draft_from(&cur).is_ok_and(|cur| cur.rev < d.rev),
                    None => true,
                };
                if !finalized && !erased && newer {
                    self.drafts.insert(&k, v).map_err(|e| self.db_err(e))?;
                    c.drafts += 1;
                }
            }
        }
        if let Some(ts) = tree("tombstones") {
            for (k, v) in ts.iter().flatten() {
                if self.tombstones.get(&k).ok().flatten().is_none() {
                    self.carry_tombstone(&k, v)?;
                    c.tombstones += 1;
                }
                // An interview erased after it was indexed must not come back from its
                // (overwritten) file: the tombstone wins.
                let _ = self.index.remove(&k);
            }
        }
        if let Some(meta) = tree("meta") {
            for (k, v) in meta.iter().flatten() {
                let key: &[u8] = &k;
                let keep = key == SETTINGS
                    || key == SEAL_TO_KEY
                    || key.starts_with(b"ts:")
                    || key == b"sealed_all";
                if keep && self.meta.get(&k).ok().flatten().is_none() {
                    self.meta.insert(&k, v).map_err(|e| self.db_err(e))?;
                    c.settings |= key == SETTINGS;
                } else if key == SEQ || key == BUNDLE_SEQ_KEY {
                    // Counters only move forward: a reused bundle number would look like a
                    // replay to the hub.
                    let n = |b: &[u8]| b.try_into().map_or(0, u64::from_le_bytes);
                    let cur = self.meta.get(&k).ok().flatten().map_or(0, |b| n(&b));
                    if n(&v) > cur {
                        self.meta.insert(&k, v).map_err(|e| self.db_err(e))?;
                    }
                }
            }
        }
        if let Some(index) = tree("index") {
            for (k, v) in index.iter().flatten() {
                let (Ok(id), Ok(old)) =
                    (Uuid::from_slice(&k), super::record::decode_index_entry(&v))
                else {
                    continue;
                };
                match self.entry(id) {
                    Ok(mut e) => {
                        if old.status != Status::Finalized && e.status != old.status {
                            e.status = old.status;
                            e.sent_at = old.sent_at;
                            self.index
                                .insert(&k, codec::encode(&e))
                                .map_err(|e| self.db_err(e))?;
                            c.statuses += 1;
                        }
                    }
                    Err(_) if self.tombstones.get(&k).ok().flatten().is_none() => c.lost.push(id),
                    Err(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Checks that every segment file the index points into exists and is long enough. A
    /// deleted or cut segment file is reported (how many interviews, which file) instead of
    /// `list` showing interviews that `export` silently drops. It walks the whole index, so
    /// the verbs that walk it anyway run it (list, export, report, sync), not every start.
    pub fn check_files(&self) -> super::FilesReport {
        let dir = self.dir.join("finalized");
        let mut out = super::FilesReport::default();
        let mut need: std::collections::BTreeMap<u32, (u64, usize)> = Default::default();
        for (_, e) in self.entries_iter().flatten() {
            let end = e.offset + u64::from(e.len);
            let slot = need.entry(e.segment).or_insert((0, 0));
            slot.0 = slot.0.max(end);
            slot.1 += 1;
        }
        for (seg, (end, count)) in need {
            let path = segments::segment_path(&dir, seg);
            let have = std::fs::metadata(&path).map(|m| m.len()).ok();
            let why = match have {
                None => "is missing".to_string(),
                Some(len) if len < end => format!("is cut short ({len} of at least {end} bytes)"),
                Some(_) => continue,
            };
            let lost = self.count_unreadable(seg);
            out.problems.push(format!(
                "{} {why}: {lost} of its {count} finalized interview(s) cannot be read",
                path.display()
            ));
            out.lost += lost;
        }
        out
    }

    /// Indexed interviews in segment `seg` whose record cannot be read back.
    fn count_unreadable(&self, seg: u32) -> usize {
        let dir = self.dir.join("finalized");
        self.entries_iter()
            .flatten()
            .filter(|(_, e)| e.segment == seg)
            .filter(|(_, e)| segments::read(&dir, e.loc()).is_err())
            .count()
    }
}
