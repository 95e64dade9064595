//! Where record keys live: `keys.slots`, a file of fixed 48-byte slots (id, key), each
//! overwritten in place with zeros and fsync'd when its record is erased or sealed to the
//! hub. sled is no place for them: its log keeps old versions of a value until it happens to
//! rewrite its segments. (On a copy-on-write or wear-levelling disk the old bytes may survive
//! in the device itself; the data folder's passphrase is the answer to that, not this file.)

use super::cipher::RecordKey;
use super::error::{Result, StoreError};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

const SLOT: usize = 16 + 32;

pub(crate) struct Keyring {
    path: PathBuf,
    file: File,
    /// The data folder's key: each slot holds its key masked with a value derived from it.
    data_key: super::datakey::DataKey,
    /// Which slot holds each id's key (the keys themselves stay on disk until needed).
    slots: HashMap<Uuid, u64>,
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
        let mut slots = HashMap::new();
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
                slots.insert(id, len);
            }
            len += 1;
        }
        Ok(Keyring {
            path,
            file,
            data_key,
            slots,
            free,
            len,
        })
    }

    fn io(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
        StoreError::io(action, self.path.clone())
    }

    /// The key of record `id`, if it has one (none: never locked, or erased).
    pub fn get(&mut self, id: Uuid) -> Result<Option<RecordKey>> {
        let Some(&slot) = self.slots.get(&id) else {
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
        let mut wrote = false;
        for id in ids {
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
            let mut stored = [0u8; 32];
            for (o, (k, m)) in stored.iter_mut().zip(key.iter().zip(self.mask(*id))) {
                *o = k ^ m;
            }
            self.write_slot(slot, id.as_bytes(), &stored)?;
            self.slots.insert(*id, slot);
            out.push(key);
            wrote = true;
        }
        if wrote {
            self.file.sync_data().map_err(self.io("save a key to"))?;
        }
        Ok(out)
    }

    /// Destroys the keys of `ids`: their slots are overwritten with zeros, fsync'd.
    pub fn destroy(&mut self, ids: &[Uuid]) -> Result<()> {
        let mut wrote = false;
        for id in ids {
            if let Some(slot) = self.slots.remove(id) {
                self.write_slot(slot, &[0u8; 16], &[0u8; 32])?;
                self.free.push(slot);
                wrote = true;
            }
        }
        if wrote {
            self.file.sync_data().map_err(self.io("destroy a key in"))?;
        }
        Ok(())
    }

    /// What a slot's key is masked with: SHA-256 of the data key and the record id, so the
    /// slots file alone opens nothing.
    fn mask(&self, id: Uuid) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"langnghe-slot-v1");
        h.update(self.data_key);
        h.update(id.as_bytes());
        h.finalize().into()
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
}
