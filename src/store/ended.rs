//! How many interviews ended early, by form and reason: counters kept beside the tombstones,
//! moved in the same transaction, so the indicators screen (F6) counts them in O(forms ×
//! reasons) instead of reading every tombstone (80,000 of them pulled 19 MB into sled's cache
//! on a 100,000-interview laptop).

use super::error::Result;
use super::{Store, Tombstone};
use crate::codec;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use std::collections::BTreeMap;

/// `ended:FORM\0REASON` → count (u64 LE), in `meta`.
const PREFIX: &[u8] = b"ended:";
/// Present once the counters agree with the tombstones (stores made before the counters
/// existed are counted once, the first time they are asked).
const COUNTED: &[u8] = b"ended-counted";

fn key(form_id: &str, reason: &str) -> Vec<u8> {
    [PREFIX, form_id.as_bytes(), b"\0", reason.as_bytes()].concat()
}

fn bump(
    meta: &TransactionalTree,
    key: &[u8],
    delta: i64,
) -> std::result::Result<(), ConflictableTransactionError<()>> {
    let now = meta
        .get(key)?
        .and_then(|v| v.as_ref().try_into().ok().map(u64::from_le_bytes))
        .unwrap_or(0)
        .saturating_add_signed(delta);
    meta.insert(key, &now.to_le_bytes())?;
    Ok(())
}

impl Store {
    /// Stores `t` (replacing any tombstone of the same interview), moves the counters and,
    /// unless the hub has it already, lists it as unsent.
    pub(crate) fn put_tombstone(&self, t: &Tombstone) -> Result<()> {
        let id = t.id.as_bytes();
        let bytes = codec::encode(t);
        let sent = super::sealed::tomb_key(t.id);
        (&self.tombstones, &self.meta, &self.unsent_tombstones)
            .transaction(|(ts, meta, unsent)| {
                let old = ts.insert(&id[..], bytes.as_slice())?;
                if let Some(old) = old.and_then(|o| codec::decode::<Tombstone>(&o).ok()) {
                    bump(meta, &key(&old.form_id, &old.reason), -1)?;
                }
                if meta.get(&sent)?.is_none() {
                    unsent.insert(&id[..], &[])?;
                }
                bump(meta, &key(&t.form_id, &t.reason), 1)
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => self.db_err(e),
                sled::transaction::TransactionError::Abort(()) => self.db_err(
                    sled::Error::Unsupported("tombstone transaction aborted".into()),
                ),
            })
    }

    /// (form id, reason, how many) for every interview that ended early.
    pub fn ended_counts(&self) -> Result<Vec<(String, String, u64)>> {
        if self
            .meta
            .get(COUNTED)
            .map_err(|e| self.db_err(e))?
            .is_none()
        {
            self.recount_ended()?;
        }
        let mut out = Vec::new();
        for kv in self.meta.scan_prefix(PREFIX) {
            let (k, v) = kv.map_err(|e| self.db_err(e))?;
            let rest = String::from_utf8_lossy(&k[PREFIX.len()..]).into_owned();
            let (Some((form, reason)), Ok(n)) = (rest.split_once('\0'), v.as_ref().try_into())
            else {
                continue;
            };
            let n = u64::from_le_bytes(n);
            if n > 0 {
                out.push((form.to_string(), reason.to_string(), n));
            }
        }
        Ok(out)
    }

    /// Counts the tombstones once, for a store made before the counters existed.
    fn recount_ended(&self) -> Result<()> {
        let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        self.each_tombstone(|t| *counts.entry(key(&t.form_id, &t.reason)).or_default() += 1);
        let mut batch = sled::Batch::default();
        for kv in self.meta.scan_prefix(PREFIX) {
            let (k, _) = kv.map_err(|e| self.db_err(e))?;
            batch.remove(k);
        }
        for (k, n) in counts {
            batch.insert(k, &n.to_le_bytes());
        }
        batch.insert(COUNTED, &[1u8]);
        self.meta.apply_batch(batch).map_err(|e| self.db_err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Stamp;
    use uuid::Uuid;

    fn at() -> Stamp {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00+07:00");
        Stamp::from_local(t.expect("a time"))
    }

    fn by_walk(s: &Store) -> Vec<(String, String, u64)> {
        let mut m: BTreeMap<(String, String), u64> = BTreeMap::new();
        s.each_tombstone(|t| *m.entry((t.form_id, t.reason)).or_default() += 1);
        m.into_iter().map(|((f, r), n)| (f, r, n)).collect()
    }

    #[test]
    fn the_counters_follow_every_tombstone_and_survive_a_recount() {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = Store::open(&dir.path().join("data")).expect("store");
        let ids: Vec<Uuid> = (0..300).map(|_| Uuid::now_v7()).collect();
        for (i, id) in ids.iter().enumerate() {
            let reason = ["declined", "not_eligible", "withdrawn"][i % 3];
            let form = if i % 5 == 0 { "commune" } else { "child" };
            s.erase(*id, form, reason, at()).expect("erase");
        }
        // The same interview erased again for another reason moves, never doubles.
        for id in &ids[..40] {
            s.erase(*id, "child", "withdrawn", at())
                .expect("erase again");
        }
        let counted = s.ended_counts().expect("counts");
        assert_eq!(counted, by_walk(&s));
        assert_eq!(counted.iter().map(|c| c.2).sum::<u64>(), 300);

        // A store from before the counters: no flag, stale counters; the first ask recounts.
        s.meta.remove(COUNTED).expect("remove flag");
        s.meta
            .insert(key("child", "declined"), &999u64.to_le_bytes())
            .expect("stale");
        s.meta
            .insert(key("ghost", "declined"), &7u64.to_le_bytes())
            .expect("stale");
        assert_eq!(s.ended_counts().expect("recount"), by_walk(&s));
        assert!(s.meta.get(COUNTED).expect("get").is_some());
    }

    #[test]
    fn unsent_tombstones_are_listed_apart_and_leave_the_list_when_the_hub_has_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = Store::open(&dir.path().join("data")).expect("store");
        let ids: Vec<Uuid> = (0..50).map(|_| Uuid::now_v7()).collect();
        for id in &ids {
            s.erase(*id, "child", "declined", at()).expect("erase");
        }
        assert!(s.has_unsent_tombstones());
        assert_eq!(s.unsent_tombstone_count(), 50);
        for id in &ids[..45] {
            assert!(s.mark_tombstone_sent(*id).expect("mark"));
        }
        let left: Vec<Uuid> = s.unsent_tombstones(100).iter().map(|t| t.id).collect();
        assert_eq!(left, ids[45..]);
        // Erased again for another reason after the hub had it: not sent twice.
        s.erase(ids[0], "child", "withdrawn", at())
            .expect("erase again");
        assert_eq!(s.unsent_tombstone_count(), 5);
        for id in &ids[45..] {
            s.mark_tombstone_sent(*id).expect("mark");
        }
        assert!(!s.has_unsent_tombstones());

        // A store from before the list: built once from the tombstones and the sent marks.
        s.erase(Uuid::now_v7(), "child", "declined", at())
            .expect("erase");
        s.unsent_tombstones.clear().expect("clear");
        s.meta.remove(b"unsent-tombstones-indexed").expect("flag");
        assert_eq!(s.unsent_tombstone_count(), 1);
        assert_eq!(s.unsent_tombstones(10).len(), 1);
    }
}
