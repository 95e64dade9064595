//! The hub's interviews on PostgreSQL: the same rules as the sled store
//! (`store::placement`), one transaction per bundle, each id exactly once even when several
//! hub processes ingest at the same moment (`ON CONFLICT` waits for the other transaction
//! and then sees its row).

use super::{Db, err};
use crate::hub::store::{
    Edits, Held, HubStore, Ingest, Item, Placement, Result, Stored, TallyUpdate, placement,
};
use crate::protocol::bundle::ItemStatus;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{GenericClient, Row};
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) struct PgHub {
    pub(crate) db: Db,
}

const COLUMNS: &str = "id, device, hash, sealed, received, tombstone";

fn item(row: &Row) -> Result<Item> {
    let hash: Vec<u8> = row.try_get("hash").map_err(err)?;
    Ok(Item {
        id: row.try_get("id").map_err(err)?,
        device: row.try_get("device").map_err(err)?,
        hash: hash
            .try_into()
            .map_err(|_| "PostgreSQL: a stored hash is not 32 bytes".to_string())?,
        sealed: row.try_get("sealed").map_err(err)?,
        received: row.try_get("received").map_err(err)?,
        tombstone: row.try_get("tombstone").map_err(err)?,
    })
}

/// Writes `it` into `table` (interviews, conflicts or versions); nothing when the key is
/// taken. Whether a row was written.
fn insert(c: &mut impl GenericClient, table: &str, it: &Item) -> Result<bool> {
    let sql = format!(
        "INSERT INTO {table} ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
    );
    let hash: &[u8] = &it.hash;
    c.execute(
        &sql,
        &[
            &it.id,
            &it.device,
            &hash,
            &it.sealed,
            &it.received,
            &it.tombstone,
        ],
    )
    .map(|n| n == 1)
    .map_err(err)
}

/// Writes every item whose id is not taken, in one statement; the ids written.
fn insert_all(
    c: &mut impl GenericClient,
    items: &[Item],
) -> Result<std::collections::HashSet<Uuid>> {
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let devices: Vec<Uuid> = items.iter().map(|i| i.device).collect();
    let hashes: Vec<&[u8]> = items.iter().map(|i| i.hash.as_slice()).collect();
    let sealed: Vec<&[u8]> = items.iter().map(|i| i.sealed.as_slice()).collect();
    let received: Vec<chrono::DateTime<chrono::Utc>> = items.iter().map(|i| i.received).collect();
    let tombstones: Vec<bool> = items.iter().map(|i| i.tombstone).collect();
    let sql = format!(
        "INSERT INTO interviews ({COLUMNS}) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], \
         $3::bytea[], $4::bytea[], $5::timestamptz[], $6::boolean[]) \
         ON CONFLICT DO NOTHING RETURNING id"
    );
    let rows = c
        .query(
            &sql,
            &[&ids, &devices, &hashes, &sealed, &received, &tombstones],
        )
        .map_err(err)?;
    rows.iter().map(|r| r.try_get(0).map_err(err)).collect()
}

/// Removes every row of `id` from `table`, returning them.
fn take_all(c: &mut impl GenericClient, table: &str, id: Uuid) -> Result<Vec<Item>> {
    let sql = format!("DELETE FROM {table} WHERE id = $1 RETURNING {COLUMNS}");
    c.query(&sql, &[&id])
        .map_err(err)?
        .iter()
        .map(item)
        .collect()
}

impl PgHub {
    /// An item whose id is stored already, placed by the common rule.
    fn place(
        tx: &mut postgres::Transaction,
        it: &Item,
        edits: &Edits,
        erased: &mut Vec<Item>,
    ) -> Result<ItemStatus> {
        let sql = format!("SELECT {COLUMNS} FROM interviews WHERE id = $1 FOR UPDATE");
        let old = item(&tx.query_one(&sql, &[&it.id]).map_err(err)?)?;
        let how = placement(it, &old, edits);
        match how {
            Placement::Erase | Placement::Edit => {
                if how == Placement::Edit {
                    insert(tx, "versions", &old)?;
                } else {
                    erased.push(old);
                    erased.extend(take_all(tx, "conflicts", it.id)?);
                    erased.extend(take_all(tx, "versions", it.id)?);
                }
                let hash: &[u8] = &it.hash;
                tx.execute(
                    "UPDATE interviews SET device = $2, hash = $3, sealed = $4, received = $5, \
                     tombstone = $6 WHERE id = $1",
                    &[
                        &it.id,
                        &it.device,
                        &hash,
                        &it.sealed,
                        &it.received,
                        &it.tombstone,
                    ],
                )
                .map_err(err)?;
            }
            Placement::Duplicate => {}
            Placement::Conflict => {
                insert(tx, "conflicts", it)?;
            }
        }
        Ok(how.status())
    }
}

impl HubStore for PgHub {
    fn ingest_erasing(&self, items: &[Item], edits: &Edits) -> Result<Ingest> {
        let mut c = self.db.conn()?;
        let mut tx = c.transaction().map_err(err)?;
        // New ids in one statement (a round trip per item made a bundle cost a third of a
        // second); ids taken already — or being written by another process now: the insert
        // waits for it — are placed one by one, in order, by the common rule.
        let fresh = insert_all(&mut tx, items)?;
        let mut first = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(items.len());
        let mut erased = Vec::new();
        for it in items {
            let status = if fresh.contains(&it.id) && first.insert(it.id) {
                ItemStatus::Accepted
            } else {
                PgHub::place(&mut tx, it, edits, &mut erased)?
            };
            out.push(status);
        }
        let n = crate::hub::store::accepted(&out) as i64;
        if n > 0 {
            tx.execute(
                "UPDATE counters SET value = value + $1 WHERE name = 'changes'",
                &[&n],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok((out, erased))
    }

    fn versions(&self, id: Uuid) -> Result<Vec<Item>> {
        let sql = format!("SELECT {COLUMNS} FROM versions WHERE id = $1 ORDER BY received");
        self.db
            .conn()?
            .query(&sql, &[&id])
            .map_err(err)?
            .iter()
            .map(item)
            .collect()
    }

    fn each_interview(&self, f: &mut dyn FnMut(Item)) -> Result<()> {
        let mut c = self.db.conn()?;
        let sql = format!("SELECT {COLUMNS} FROM interviews ORDER BY id");
        // Rows come as they are read, not all at once: a million interviews stream.
        let mut rows = c
            .query_raw(
                &sql,
                std::iter::empty::<&(dyn postgres::types::ToSql + Sync)>(),
            )
            .map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            f(item(&row)?);
        }
        Ok(())
    }

    fn get(&self, id: Uuid) -> Result<Option<Item>> {
        let sql = format!("SELECT {COLUMNS} FROM interviews WHERE id = $1");
        match self.db.conn()?.query_opt(&sql, &[&id]).map_err(err)? {
            Some(row) => item(&row).map(Some),
            None => Ok(None),
        }
    }

    fn stored(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Stored>> {
        let rows = self
            .db
            .conn()?
            .query(
                "SELECT id, hash, tombstone FROM interviews WHERE id = ANY($1)",
                &[&ids],
            )
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                let hash: Vec<u8> = row.try_get("hash").map_err(err)?;
                let stored = Stored {
                    hash: hash
                        .try_into()
                        .map_err(|_| "PostgreSQL: a stored hash is not 32 bytes".to_string())?,
                    tombstone: row.try_get("tombstone").map_err(err)?,
                };
                Ok((row.try_get("id").map_err(err)?, stored))
            })
            .collect()
    }

    fn conflicts(&self) -> Result<usize> {
        let n: i64 = self
            .db
            .conn()?
            .query_one("SELECT count(*) FROM conflicts", &[])
            .map_err(err)?
            .try_get(0)
            .map_err(err)?;
        Ok(n as usize)
    }

    fn changes(&self) -> Result<u64> {
        let row = self
            .db
            .conn()?
            .query_one("SELECT value FROM counters WHERE name = 'changes'", &[])
            .map_err(err)?;
        let n: i64 = row.try_get(0).map_err(err)?;
        Ok(n as u64)
    }

    fn tallies(&self, form_id: &str) -> Result<Option<Vec<u8>>> {
        let row = self
            .db
            .conn()?
            .query_opt("SELECT state FROM tallies WHERE form_id = $1", &[&form_id])
            .map_err(err)?;
        row.map(|r| r.try_get(0).map_err(err)).transpose()
    }

    fn update_tallies(&self, form_id: &str, f: &mut TallyUpdate) -> Result<()> {
        let mut c = self.db.conn()?;
        let mut tx = c.transaction().map_err(err)?;
        let row = tx
            .query_opt(
                "SELECT state FROM tallies WHERE form_id = $1 FOR UPDATE",
                &[&form_id],
            )
            .map_err(err)?;
        let old: Option<Vec<u8>> = row.map(|r| r.try_get(0)).transpose().map_err(err)?;
        if let Some(new) = f(old) {
            tx.execute(
                "INSERT INTO tallies (form_id, state) VALUES ($1, $2) \
                 ON CONFLICT (form_id) DO UPDATE SET state = EXCLUDED.state",
                &[&form_id, &new],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn hold_tallies(&self, exclusive: bool) -> Result<Box<dyn Held + '_>> {
        Ok(Box::new(super::AdvisoryLock::take(
            self.db.conn()?,
            TALLY_LOCK,
            exclusive,
        )?))
    }
}

/// The advisory lock ingests hold shared and tally reads and recounts hold alone.
const TALLY_LOCK: i64 = 0x4c61_6e67_5461_6c79; // "LangTaly"
