//! The hub's storage, behind a small trait: sled for a district office today, a server
//! database later for national scale.

use crate::codec;
use crate::protocol::bundle::ItemStatus;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use std::collections::HashMap;
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
    /// The device's age public key for interviews sent back to it (see `hub/returns.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_key: Option<String>,
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

/// What an ingest needs to know of an id already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub hash: [u8; 32],
    pub tombstone: bool,
}

pub type Result<T> = std::result::Result<T, String>;
/// Ids whose new version replaces the stored one (sent back, then edited).
pub type Edits = std::collections::HashSet<Uuid>;
/// Each item's status, and the items an erasure dropped.
pub type Ingest = (Vec<ItemStatus>, Vec<Item>);

/// Where the hub keeps interviews. sled today; a server database can implement this later.
pub trait HubStore: Send + Sync {
    /// Stores a bundle's interviews all at once or not at all; each id exactly once. A
    /// tombstone for an interview already stored is an erasure request: the interview is
    /// replaced by the tombstone (and any conflicting copy or earlier version dropped); an
    /// interview whose id was erased is not stored again (erasure wins). An id in `edits` (a
    /// sent-back interview's new version) replaces the stored one, which is kept as an
    /// earlier version. Returns, beside the statuses, the items erased (to scrub their other
    /// copies).
    fn ingest_erasing(&self, items: &[Item], edits: &Edits) -> Result<Ingest>;
    /// The earlier versions of interview `id` (sent back and edited), oldest first.
    fn versions(&self, id: Uuid) -> Result<Vec<Item>>;
    fn each_interview(&self, f: &mut dyn FnMut(Item)) -> Result<()>;
    /// The stored item of `id`, if any.
    fn get(&self, id: uuid::Uuid) -> Result<Option<Item>>;
    /// The hash and kind of each of `ids` already stored, looked up together (one query on
    /// PostgreSQL: a query per interview made a bundle wait on a round trip each).
    fn stored(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Stored>>;
    fn conflicts(&self) -> Result<usize>;
    /// How many items were ever accepted (each ingest adds its count in its own
    /// transaction): kept indicator tallies that have seen as many are up to date.
    fn changes(&self) -> Result<u64>;
    /// The kept indicator tallies of a form (`hub/tallies.rs`), encoded.
    fn tallies(&self, form_id: &str) -> Result<Option<Vec<u8>>>;
    /// Replaces a form's tallies with what `f` makes of them (`None`: left as they are),
    /// read and written as one step even with several processes.
    fn update_tallies(&self, form_id: &str, f: &mut TallyUpdate) -> Result<()>;
    /// Held while an ingest changes the store and its tallies (`exclusive: false`; many at
    /// once), or while the tallies are read or counted again (`exclusive: true`; alone).
    fn hold_tallies(&self, exclusive: bool) -> Result<Box<dyn Held + '_>>;
}

/// What `update_tallies` makes of a form's stored tallies.
pub type TallyUpdate<'a> = dyn FnMut(Option<Vec<u8>>) -> Option<Vec<u8>> + 'a;

/// A lock held until dropped.
pub trait Held {}
impl<T> Held for T {}

/// How many of an ingest's statuses changed what the store holds (new, edited, erased).
pub(crate) fn accepted(statuses: &[ItemStatus]) -> u64 {
    statuses
        .iter()
        .filter(|s| **s == ItemStatus::Accepted)
        .count() as u64
}

/// Stored copies found by key, to drop with an erasure.
type Copies = Vec<(sled::IVec, Item)>;
type Trees<'a> = (
    &'a TransactionalTree,
    &'a TransactionalTree,
    &'a TransactionalTree,
);

/// What becomes of an item whose id is already stored (`old`): the one rule both backends
/// follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// A tombstone for a stored interview: an erasure request. The interview, its
    /// conflicting copies and its earlier versions all go; the tombstone takes its place.
    Erase,
    /// Nothing to store: the same content again, or an interview whose id was erased here
    /// (erasure wins: it is not taken back in, not even aside).
    Duplicate,
    /// A sent-back interview's new version: it replaces the stored one, kept as earlier.
    Edit,
    /// Same id, other content: kept aside, the stored one stays.
    Conflict,
}

pub(crate) fn placement(it: &Item, old: &Item, edits: &Edits) -> Placement {
    if it.tombstone && !old.tombstone {
        Placement::Erase
    } else if (old.tombstone && !it.tombstone) || old.hash == it.hash {
        Placement::Duplicate
    } else if edits.contains(&it.id) {
        Placement::Edit
    } else {
        Placement::Conflict
    }
}

impl Placement {
    pub(crate) fn status(self) -> ItemStatus {
        match self {
            Placement::Erase | Placement::Edit => ItemStatus::Accepted,
            Placement::Duplicate => ItemStatus::Duplicate,
            Placement::Conflict => ItemStatus::Conflict,
        }
    }
}

/// An item whose id is already stored (`old`), placed in sled's trees.
fn place(
    it: &Item,
    old: Item,
    (iv, cf, vs): Trees,
    edits: &Edits,
    doomed: &dyn Fn(Uuid) -> (Copies, Copies),
    erased: &mut Vec<Item>,
) -> std::result::Result<ItemStatus, ConflictableTransactionError<()>> {
    let how = placement(it, &old, edits);
    match how {
        Placement::Erase => {
            // Every copy goes, the stored one first (the only one counted in the quality
            // figures).
            iv.insert(it.id.as_bytes(), codec::encode(it))?;
            erased.push(old);
            let (conflicts, versions) = doomed(it.id);
            for (k, copy) in conflicts {
                cf.remove(k)?;
                erased.push(copy);
            }
            for (k, copy) in versions {
                vs.remove(k)?;
                erased.push(copy);
            }
        }
        Placement::Duplicate => {}
        Placement::Edit => {
            let key = [
                it.id.as_bytes().as_slice(),
                &old.received.timestamp_millis().to_be_bytes(),
            ]
            .concat();
            vs.insert(key, codec::encode(&old))?;
            iv.insert(it.id.as_bytes(), codec::encode(it))?;
        }
        Placement::Conflict => {
            let key = [it.id.as_bytes().as_slice(), &it.hash].concat();
            cf.insert(key, codec::encode(it))?;
        }
    }
    Ok(how.status())
}

pub(crate) struct SledHub {
    db: sled::Db,
    interviews: sled::Tree,
    conflicts: sled::Tree,
    /// Earlier versions of edited interviews: id | received (ms, big-endian) → item.
    versions: sled::Tree,
    /// Counters (`changes`), changed in the ingest's transaction.
    meta: sled::Tree,
    /// Form id → kept indicator tallies.
    tallies: sled::Tree,
    /// One process holds a sled store: these locks are enough.
    tally_lock: std::sync::RwLock<()>,
    tally_write: std::sync::Mutex<()>,
}

const CHANGES: &[u8] = b"changes";

fn counter(v: Option<&[u8]>) -> u64 {
    v.and_then(|v| v.try_into().ok())
        .map_or(0, u64::from_be_bytes)
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
            versions: t("versions")?,
            meta: t("meta")?,
            tallies: t("tallies")?,
            tally_lock: Default::default(),
            tally_write: Default::default(),
            db,
        })
    }
}

impl HubStore for SledHub {
    fn ingest_erasing(&self, items: &[Item], edits: &Edits) -> Result<Ingest> {
        // Conflicting copies and earlier versions an erasure must drop, looked up before the
        // transaction (a transaction must not read its own trees from outside).
        let copies = |tree: &sled::Tree, id: Uuid| -> Copies {
            tree.scan_prefix(id.as_bytes())
                .filter_map(|kv| kv.ok())
                .filter_map(|(k, v)| codec::decode::<Item>(&v).ok().map(|i| (k, i)))
                .collect()
        };
        // By id: a USB file can carry tens of thousands of erasures.
        let doomed: std::collections::HashMap<Uuid, (Copies, Copies)> = items
            .iter()
            .filter(|it| it.tombstone)
            .map(|it| {
                let found = (
                    copies(&self.conflicts, it.id),
                    copies(&self.versions, it.id),
                );
                (it.id, found)
            })
            .collect();
        let of = |id: Uuid| doomed.get(&id).cloned().unwrap_or_default();
        let trees = (
            &self.interviews,
            &self.conflicts,
            &self.versions,
            &self.meta,
        );
        let r = trees.transaction(|(iv, cf, vs, meta)| {
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
                        place(it, old, (iv, cf, vs), edits, &of, &mut erased)?
                    }
                };
                out.push(status);
            }
            let n = accepted(&out);
            if n > 0 {
                let now = counter(meta.get(CHANGES)?.as_deref());
                meta.insert(CHANGES, &(now + n).to_be_bytes())?;
            }
            Ok((out, erased))
        });
        let out =
            r.map_err(|e: TransactionError<()>| format!("storing the bundle failed: {e:?}"))?;
        self.db.flush().map_err(err)?;
        Ok(out)
    }

    fn versions(&self, id: Uuid) -> Result<Vec<Item>> {
        self.versions
            .scan_prefix(id.as_bytes())
            .map(|kv| codec::decode(&kv.map_err(err)?.1).map_err(err))
            .collect()
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

    fn changes(&self) -> Result<u64> {
        Ok(counter(self.meta.get(CHANGES).map_err(err)?.as_deref()))
    }

    fn tallies(&self, form_id: &str) -> Result<Option<Vec<u8>>> {
        let v = self.tallies.get(form_id.as_bytes()).map_err(err)?;
        Ok(v.map(|v| v.to_vec()))
    }

    fn update_tallies(&self, form_id: &str, f: &mut TallyUpdate) -> Result<()> {
        let _one = self
            .tally_write
            .lock()
            .map_err(|_| "the tallies' lock is poisoned".to_string())?;
        // Not flushed here: tallies a power cut loses have seen fewer changes than the store
        // counted (its own flush came first), and the next report counts everything again.
        if let Some(new) = f(self.tallies(form_id)?) {
            self.tallies.insert(form_id.as_bytes(), new).map_err(err)?;
        }
        Ok(())
    }

    fn hold_tallies(&self, exclusive: bool) -> Result<Box<dyn Held + '_>> {
        let poisoned = "the tallies' lock is poisoned".to_string();
        Ok(if exclusive {
            Box::new(self.tally_lock.write().map_err(|_| poisoned)?)
        } else {
            Box::new(self.tally_lock.read().map_err(|_| poisoned)?)
        })
    }

    fn get(&self, id: uuid::Uuid) -> Result<Option<Item>> {
        match self.interviews.get(id.as_bytes()).map_err(err)? {
            Some(v) => codec::decode(&v).map(Some).map_err(err),
            None => Ok(None),
        }
    }

    fn stored(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Stored>> {
        let mut out = HashMap::new();
        for id in ids {
            if let Some(it) = self.get(*id)? {
                let s = Stored {
                    hash: it.hash,
                    tombstone: it.tombstone,
                };
                out.insert(*id, s);
            }
        }
        Ok(out)
    }
}
