//! The hub's storage, behind a small trait: sled for a district office today, a server
//! database later for national scale.

use crate::codec;
use crate::protocol::bundle::ItemStatus;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use std::path::Path;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// SHA-256 of the device's API token (the token itself is never stored).
    pub token_hash: String,
    pub revoked: bool,
    pub enrolled: chrono::DateTime<chrono::Utc>,
}

/// One interview as the hub keeps it: still sealed (encrypted at rest), with the hash of its
/// plain content to tell a duplicate from a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: Uuid,
    pub device: Uuid,
    pub hash: [u8; 32],
    pub sealed: Vec<u8>,
    pub received: chrono::DateTime<chrono::Utc>,
    /// A tombstone (refusal, withdrawal…) rather than an interview.
    pub tombstone: bool,
}

pub type Result<T> = std::result::Result<T, String>;

/// Where the hub keeps interviews. sled today; a server database can implement this later.
pub trait HubStore: Send + Sync {
    /// Stores a bundle's interviews all at once or not at all; each id exactly once.
    /// Stores a bundle's interviews all at once or not at all; each id exactly once. A
    /// tombstone for an interview already stored is an erasure request: the interview is
    /// replaced by the tombstone (and any conflicting copy dropped). Returns, beside the
    /// statuses, the items erased that way (to scrub their other copies).
    fn ingest_erasing(&self, items: &[Item]) -> Result<(Vec<ItemStatus>, Vec<Item>)>;
    fn each_interview(&self, f: &mut dyn FnMut(Item)) -> Result<()>;
    /// The stored item of `id`, if any.
    fn get(&self, id: uuid::Uuid) -> Result<Option<Item>>;
    fn conflicts(&self) -> Result<usize>;
}

pub(crate) struct SledHub {
    db: sled::Db,
    interviews: sled::Tree,
    conflicts: sled::Tree,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl SledHub {
    pub fn open(dir: &Path) -> std::result::Result<SledHub, super::HubError> {
        let db = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(64 << 20)
            .open()
            .map_err(|e| match e {
                // sled's folder lock: a running `hub serve` holds the store. sled reports it
                // as an `Other` I/O error with this text (sled 0.34), so the text is the only
                // sign; it is read here, next to sled, and nowhere else.
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("could not acquire lock") =>
                {
                    super::HubError::InUse(dir.to_path_buf())
                }
                e => super::HubError::Internal(format!(
                    "cannot open the hub store in {}: {e}",
                    dir.display()
                )),
            })?;
        let t = |n: &str| {
            db.open_tree(n)
                .map_err(|e| super::HubError::Internal(e.to_string()))
        };
        Ok(SledHub {
            interviews: t("interviews")?,
            conflicts: t("conflicts")?,
            db,
        })
    }
}

impl HubStore for SledHub {
    fn ingest_erasing(&self, items: &[Item]) -> Result<(Vec<ItemStatus>, Vec<Item>)> {
        // Conflicting copies an erasure must drop, looked up before the transaction (a
        // transaction must not read its own trees from outside).
        type Copies = Vec<(sled::IVec, Item)>;
        let conflict_keys: Vec<(uuid::Uuid, Copies)> = items
            .iter()
            .filter(|it| it.tombstone)
            .map(|it| {
                let keys = self
                    .conflicts
                    .scan_prefix(it.id.as_bytes())
                    .filter_map(|kv| kv.ok())
                    .filter_map(|(k, v)| codec::decode::<Item>(&v).ok().map(|i| (k, i)))
                    .collect();
                (it.id, keys)
            })
            .collect();
        let conflicts_of = |id: uuid::Uuid| -> Copies {
            conflict_keys
                .iter()
                .find(|(k, _)| *k == id)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let r = (&self.interviews, &self.conflicts).transaction(|(iv, cf)| {
            let mut out = Vec::with_capacity(items.len());
            let mut erased = Vec::new();
            for it in items {
                let status = match iv.get(it.id.as_bytes())? {
                    None => {
                        iv.insert(it.id.as_bytes(), codec::encode(it))?;
                        ItemStatus::Accepted
                    }
                    Some(old) => {
                        let old: Item = codec::decode(&old)
                            .map_err(|_| ConflictableTransactionError::Abort(()))?;
                        if it.tombstone && !old.tombstone {
                            // The device asks for the interview to be erased.
                            iv.insert(it.id.as_bytes(), codec::encode(it))?;
                            for (k, copy) in conflicts_of(it.id) {
                                cf.remove(k)?;
                                erased.push(copy);
                            }
                            erased.push(old);
                            ItemStatus::Accepted
                        } else if old.hash == it.hash {
                            ItemStatus::Duplicate
                        } else {
                            let key = [it.id.as_bytes().as_slice(), &it.hash].concat();
                            cf.insert(key, codec::encode(it))?;
                            ItemStatus::Conflict
                        }
                    }
                };
                out.push(status);
            }
            Ok((out, erased))
        });
        let out =
            r.map_err(|e: TransactionError<()>| format!("storing the bundle failed: {e:?}"))?;
        self.db.flush().map_err(err)?;
        Ok(out)
    }

    fn each_interview(&self, f: &mut dyn FnMut(Item)) -> Result<()> {
        for kv in self.interviews.iter() {
            let (_, v) = kv.map_err(err)?;
            f(codec::decode(&v).map_err(err)?);
        }
        Ok(())
    }

    fn conflicts(&self) -> Result<usize> {
        Ok(self.conflicts.len())
    }

    fn get(&self, id: uuid::Uuid) -> Result<Option<Item>> {
        match self.interviews.get(id.as_bytes()).map_err(err)? {
            Some(v) => codec::decode(&v).map(Some).map_err(err),
            None => Ok(None),
        }
    }
}
