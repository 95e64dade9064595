//! Where record keys live: `keys.slots`, a file of fixed 48-byte slots (id, key), each
//! overwritten in place with zeros and fsync'd when its record is erased or sealed to the
//! hub. sled is no place for them: its log keeps old versions of a value until it happens to
//! rewrite its segments. (On a copy-on-write or wear-levelling disk the old bytes may survive
//! in the device itself; the data folder's passphrase is the answer to that, not this file.)

use super::cipher::RecordKey;
use super::error::{Result, StoreError};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

const SLOT: usize = 16 + 32;

/// What a slot's key is masked with: SHA-256 of the data key and the record id, so the
/// slots file (or a hub's key table) alone opens nothing.
pub(crate) fn mask(data_key: &super::datakey::DataKey, id: Uuid) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"langnghe-slot-v1");
    h.update(data_key);
    h.update(id.as_bytes());
    h.finalize().into()
}

pub(crate) struct Keyring {
    path: PathBuf,
    file: File,
    /// The data folder's key: each slot holds its key masked with a value derived from it.
    data_key: super::datakey::DataKey,
    /// Which slot holds each id's key (the keys themselves stay on disk until needed).
    slots: SlotIndex,
    free: Vec<u64>,
    len: u64,
}

impl Keyring {
    pub fn open(dir: &Path, data_key: super::datakey::DataKey) -> Result<Keyring> {
        let path = dir.join("keys.slots");
        let io = |action| StoreError::io(action, &path);
        let mut file = {
            let mut o = OpenOptions::new();
            o.read(true).write(true).create(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            o.open(&path).map_err(io("open"))?
        };
        let mut slots = Vec::new();
        let mut free = Vec::new();
        // Read slot by slot through a small buffer: the whole file (4.8 MB at 100,000
        // interviews) would be held at once only to be thrown away, on machines with 1 GB.
        let mut r = std::io::BufReader::with_capacity(SLOT * 1024, &mut file);
        let mut s = [0u8; SLOT];
        let mut len = 0u64;
        // A torn last slot (a crash while adding it) is simply free: read_exact stops there.
        loop {
            match r.read_exact(&mut s) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io("read")(e)),
            }
            let id = Uuid::from_slice(&s[..16]).unwrap_or_default();
            if id.is_nil() {
                free.push(len);
            } else {
                slots.push((id, len as u32));
            }
            len += 1;
        }
        Ok(Keyring {
            path,
            file,
            data_key,
            slots: SlotIndex::new(slots),
            free,
            len,
        })
    }

    fn io(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
        StoreError::io(action, self.path.clone())
    }

    /// The key of record `id`, if it has one (none: never locked, or erased).
    pub fn get(&mut self, id: Uuid) -> Result<Option<RecordKey>> {
        let Some(slot) = self.slots.get(id) else {
            return Ok(None);
        };
        let mut s = [0u8; SLOT];
        self.file
            .seek(SeekFrom::Start(slot * SLOT as u64))
            .and_then(|_| self.file.read_exact(&mut s))
            .map_err(self.io("read a key from"))?;
        if s[..16] != *id.as_bytes() {
            return Ok(None);
        }
        let mut key = [0u8; 32];
        for (k, (s, m)) in key.iter_mut().zip(s[16..].iter().zip(self.mask(id))) {
            *k = s ^ m;
        }
        Ok(Some(key))
    }

    /// The keys of `ids`, made (random, written and fsync'd once for all) where missing.
    pub fn get_or_create(&mut self, ids: &[Uuid]) -> Result<Vec<RecordKey>> {
        let mut out = Vec::with_capacity(ids.len());
        let mut new: Vec<(u64, [u8; SLOT])> = Vec::new();
        // Made in this call, not yet on disk (an id asked for twice gets the same key).
        let mut made: std::collections::HashMap<Uuid, RecordKey> = Default::default();
        for id in ids {
            if let Some(k) = made.get(id) {
                out.push(*k);
                continue;
            }
            if let Some(k) = self.get(*id)? {
                out.push(k);
                continue;
            }
            let mut key = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut key);
            let slot = self.free.pop().unwrap_or_else(|| {
                self.len += 1;
                self.len - 1
            });
            let mut stored = [0u8; SLOT];
            stored[..16].copy_from_slice(id.as_bytes());
            for (o, (k, m)) in stored[16..].iter_mut().zip(key.iter().zip(self.mask(*id))) {
                *o = k ^ m;
            }
            new.push((slot, stored));
            self.slots.insert(*id, slot);
            made.insert(*id, key);
            out.push(key);
        }
        if !new.is_empty() {
            self.write_runs(&mut new)?;
            self.file.sync_data().map_err(self.io("save a key to"))?;
        }
        Ok(out)
    }

    /// Writes slots, one write for each run of consecutive ones (a bundle's new keys are
    /// mostly appended: one write, where it was one a key).
    fn write_runs(&mut self, slots: &mut [(u64, [u8; SLOT])]) -> Result<()> {
        slots.sort_unstable_by_key(|(s, _)| *s);
        let mut run: Vec<u8> = Vec::with_capacity(slots.len() * SLOT);
        let mut rest = &slots[..];
        while let Some(((first, _), _)) = rest.split_first() {
            let n = rest
                .iter()
                .enumerate()
                .take_while(|(i, (s, _))| *s == first + *i as u64)
                .count();
            run.clear();
            rest[..n].iter().for_each(|(_, b)| run.extend_from_slice(b));
            self.file
                .seek(SeekFrom::Start(first * SLOT as u64))
                .and_then(|_| self.file.write_all(&run))
                .map_err(self.io("write a key to"))?;
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Destroys the keys of `ids`: their slots are overwritten with zeros, fsync'd.
    pub fn destroy(&mut self, ids: &[Uuid]) -> Result<()> {
        let slots = self.slots.remove(ids);
        for &slot in &slots {
            self.write_slot(slot, &[0u8; 16], &[0u8; 32])?;
            self.free.push(slot);
        }
        if !slots.is_empty() {
            self.file.sync_data().map_err(self.io("destroy a key in"))?;
        }
        Ok(())
    }

    fn mask(&self, id: Uuid) -> [u8; 32] {
        mask(&self.data_key, id)
    }

    fn write_slot(&mut self, slot: u64, id: &[u8], key: &[u8]) -> Result<()> {
        let mut s = [0u8; SLOT];
        s[..16].copy_from_slice(id);
        s[16..].copy_from_slice(key);
        self.file
            .seek(SeekFrom::Start(slot * SLOT as u64))
            .and_then(|_| self.file.write_all(&s))
            .map_err(self.io("write a key to"))
    }
}

/// Which slot holds each id's key: a vector sorted by id, 20 bytes an entry (a hash map took
/// 33: 3.3 MB at 100,000 interviews, a fifth of what the app may use on an old laptop). A
/// device's ids are UUIDv7, made in time order, so its new keys are appended; a hub's slots
/// are hashes, so its new keys land anywhere: those wait in a small map, merged into the
/// vector in one pass once they are a sixteenth of it (inserting each into the vector moved
/// half of it every time — quadratic: the 1,000,000-interview ingest spent two thirds of its
/// time there).
struct SlotIndex {
    main: Vec<(Uuid, u32)>,
    recent: std::collections::BTreeMap<Uuid, u32>,
}

impl SlotIndex {
    fn new(mut v: Vec<(Uuid, u32)>) -> SlotIndex {
        // Two slots for one id should never be; if they are, the later one wins, as when
        // the slots were read into a map in file order.
        v.sort_unstable_by_key(|e| (e.0, std::cmp::Reverse(e.1)));
        v.dedup_by_key(|e| e.0);
        v.shrink_to_fit();
        SlotIndex {
            main: v,
            recent: Default::default(),
        }
    }

    fn get(&self, id: Uuid) -> Option<u64> {
        match self.main.binary_search_by_key(&id, |e| e.0) {
            Ok(i) => Some(u64::from(self.main[i].1)),
            Err(_) => self.recent.get(&id).map(|s| u64::from(*s)),
        }
    }

    fn insert(&mut self, id: Uuid, slot: u64) {
        let slot = u32::try_from(slot).unwrap_or(u32::MAX);
        if let Some(s) = self.recent.get_mut(&id) {
            *s = slot;
            return;
        }
        match self.main.last() {
            Some(last) if last.0 >= id => match self.main.binary_search_by_key(&id, |e| e.0) {
                Ok(i) => self.main[i].1 = slot,
                Err(_) => {
                    self.recent.insert(id, slot);
                    if self.recent.len() > (self.main.len() / 16).max(1024) {
                        self.merge();
                    }
                }
            },
            _ => self.main.push((id, slot)),
        }
    }

    /// The waiting ids into the vector, in one pass.
    fn merge(&mut self) {
        let recent = std::mem::take(&mut self.recent);
        let mut out = Vec::with_capacity(self.main.len() + recent.len());
        let mut new = recent.into_iter().peekable();
        for e in self.main.drain(..) {
            while let Some(n) = new.next_if(|n| n.0 < e.0) {
                out.push(n);
            }
            out.push(e);
        }
        out.extend(new);
        self.main = out;
    }

    /// Takes `ids` out, in one pass; returns the slots they had.
    fn remove(&mut self, ids: &[Uuid]) -> Vec<u64> {
        let mut slots: Vec<u64> = ids
            .iter()
            .filter_map(|id| self.recent.remove(id))
            .map(u64::from)
            .collect();
        let mut gone: Vec<usize> = ids
            .iter()
            .filter_map(|id| self.main.binary_search_by_key(id, |e| e.0).ok())
            .collect();
        gone.sort_unstable();
        gone.dedup();
        slots.extend(gone.iter().map(|&i| u64::from(self.main[i].1)));
        let mut at = 0;
        let mut next = gone.iter().peekable();
        self.main.retain(|_| {
            let drop = next.next_if_eq(&&at).is_some();
            at += 1;
            !drop
        });
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destroyed_key_is_zeros_on_disk_and_its_slot_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut k = Keyring::open(dir.path(), [3; 32]).unwrap();
        let keys = k.get_or_create(&[a, b]).unwrap();
        assert_eq!(k.get_or_create(&[a]).unwrap()[0], keys[0], "stable");
        k.destroy(&[a]).unwrap();
        let raw = std::fs::read(dir.path().join("keys.slots")).unwrap();
        assert!(!raw.windows(32).any(|w| w == keys[0]));
        assert!(!raw.windows(32).any(|w| w == keys[1]), "stored masked");
        drop(k);
        let mut k = Keyring::open(dir.path(), [3; 32]).unwrap();
        assert_eq!(k.get(a).unwrap(), None);
        assert_eq!(k.get(b).unwrap(), Some(keys[1]));
        let c = Uuid::now_v7();
        k.get_or_create(&[c]).unwrap();
        assert_eq!(
            std::fs::metadata(dir.path().join("keys.slots"))
                .unwrap()
                .len(),
            96
        );
    }

    #[test]
    fn keys_made_together_are_written_in_runs_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<Uuid> = (0..40).map(|_| Uuid::now_v7()).collect();
        let mut k = Keyring::open(dir.path(), [5; 32]).unwrap();
        let mut keys: std::collections::HashMap<Uuid, RecordKey> = ids
            .iter()
            .copied()
            .zip(k.get_or_create(&ids).unwrap())
            .collect();
        // Free slots here and there, then one call that fills them and appends, with an id
        // asked for twice.
        let gone = [ids[3], ids[4], ids[17], ids[30]];
        k.destroy(&gone).unwrap();
        keys.retain(|id, _| !gone.contains(id));
        let more: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
        let mut ask = more.clone();
        ask.push(more[2]);
        ask.push(ids[5]);
        let got = k.get_or_create(&ask).unwrap();
        assert_eq!(got[2], got[7], "the same id, the same key");
        assert_eq!(got[8], keys[&ids[5]], "an existing key is kept");
        keys.extend(more.iter().copied().zip(got));
        drop(k);
        assert_eq!(
            std::fs::metadata(dir.path().join("keys.slots"))
                .unwrap()
                .len(),
            43 * SLOT as u64,
            "four freed slots reused, three appended"
        );
        let mut k = Keyring::open(dir.path(), [5; 32]).unwrap();
        for (id, key) in &keys {
            assert_eq!(k.get(*id).unwrap(), Some(*key), "{id}");
        }
        for id in gone {
            assert_eq!(k.get(id).unwrap(), None);
        }
    }

    #[test]
    fn the_slot_index_finds_inserts_out_of_order_and_removes_in_one_pass() {
        let ids: Vec<Uuid> = (0..50).map(|_| Uuid::now_v7()).collect();
        let mut idx = SlotIndex::new(ids.iter().rev().zip(0u32..).map(|(i, s)| (*i, s)).collect());
        assert_eq!(idx.get(ids[49]), Some(0));
        assert_eq!(idx.get(ids[0]), Some(49));
        let late = Uuid::now_v7();
        idx.insert(late, 50);
        idx.insert(ids[10], 77);
        assert_eq!((idx.get(late), idx.get(ids[10])), (Some(50), Some(77)));
        let mut gone = idx.remove(&[ids[3], late, ids[3], Uuid::nil()]);
        gone.sort_unstable();
        assert_eq!(gone, [46, 50]);
        assert_eq!((idx.get(ids[3]), idx.get(late)), (None, None));
        assert_eq!(idx.main.len() + idx.recent.len(), 49);
        assert!(idx.main.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            ids.iter()
                .enumerate()
                .all(|(i, id)| i == 3 || idx.get(*id).is_some())
        );
    }

    #[test]
    fn a_hubs_slots_in_no_order_are_merged_and_all_found() {
        // Hash-like ids, as a hub's slots are: each lands anywhere in the index.
        let ids: Vec<Uuid> = (0..5000u64)
            .map(|i| Uuid::from_u64_pair(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), i))
            .collect();
        let mut idx = SlotIndex::new(vec![(ids[0], 0)]);
        for (slot, id) in ids.iter().enumerate().skip(1) {
            idx.insert(*id, slot as u64);
        }
        assert!(idx.recent.len() <= 1024, "merged as it grew");
        assert!(idx.main.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            ids.iter()
                .enumerate()
                .all(|(s, id)| idx.get(*id) == Some(s as u64))
        );
        // A new slot for an id still waiting, and removals from both parts.
        let waiting = *idx.recent.keys().next().unwrap();
        idx.insert(waiting, 9999);
        assert_eq!(idx.get(waiting), Some(9999));
        let mut gone = idx.remove(&[waiting, idx.main[7].0]);
        gone.sort_unstable();
        assert_eq!(gone.len(), 2);
        assert_eq!(idx.get(waiting), None);
        assert_eq!(idx.main.len() + idx.recent.len(), 4998);
    }
}
