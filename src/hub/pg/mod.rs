//! A hub on PostgreSQL (`hub init --database postgres://…`): interviews, devices, tokens and
//! item keys in the database, so several `hub serve` processes can share one behind a load
//! balancer. The schema is versioned (`migrations/hub/V*.sql`), applied when the hub opens,
//! under an advisory lock so two processes starting together do not both apply it.

pub(crate) mod docs;
pub(crate) mod keys;
pub(crate) mod registry;
pub(crate) mod reviews;
pub(crate) mod store;

use super::HubError;
use postgres::NoTls;
use r2d2_postgres::{PostgresConnectionManager, r2d2};

mod embedded {
    refinery::embed_migrations!("migrations/hub");
}

/// The advisory lock the migrations are applied under (any number the hub alone uses).
const MIGRATION_LOCK: i64 = 0x4c61_6e67_4e67_6865; // "LangNghe"
/// Connections one hub process keeps: its blocking threads share them.
const POOL: u32 = 12;

pub(crate) type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// A pool of connections to the hub's database (cheap to clone: one pool).
#[derive(Clone)]
pub(crate) struct Db {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
}

pub(crate) fn err(e: impl std::fmt::Display) -> String {
    format!("PostgreSQL: {e}")
}

/// A record as JSON in a `bytea` column.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(v).map_err(|e| e.to_string())
}

/// The record in the first column of `row`, if there is a row.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    row: Option<postgres::Row>,
) -> Result<Option<T>, String> {
    row.map(|r| {
        let body: Vec<u8> = r.try_get(0).map_err(err)?;
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    })
    .transpose()
}

/// The records in the first column of `rows`; one that no longer reads is left out.
pub(crate) fn all_from_json<T: serde::de::DeserializeOwned>(rows: &[postgres::Row]) -> Vec<T> {
    rows.iter()
        .filter_map(|r| r.try_get::<_, Vec<u8>>(0).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect()
}

/// A session-level advisory lock, held by its own pooled connection until dropped (and by
/// PostgreSQL until that connection ends, should the process stop first).
pub(crate) struct AdvisoryLock {
    conn: Conn,
    key: i64,
    exclusive: bool,
}

impl AdvisoryLock {
    pub(crate) fn take(mut conn: Conn, key: i64, exclusive: bool) -> Result<AdvisoryLock, String> {
        let sql = if exclusive {
            "SELECT pg_advisory_lock($1)"
        } else {
            "SELECT pg_advisory_lock_shared($1)"
        };
        conn.execute(sql, &[&key]).map_err(err)?;
        Ok(AdvisoryLock {
            conn,
            key,
            exclusive,
        })
    }

    /// The connection holding the lock, for work done under it.
    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let sql = if self.exclusive {
            "SELECT pg_advisory_unlock($1)"
        } else {
            "SELECT pg_advisory_unlock_shared($1)"
        };
        // A failure leaves the lock to the end of the session: r2d2 checks the connection
        // before lending it again and drops a broken one.
        let _ = self.conn.execute(sql, &[&self.key]);
    }
}

impl Db {
    /// Connects (a URL, `postgres://user:password@host/db`, or `host=… dbname=…`) and brings
    /// the schema up to date.
    pub fn connect(url: &str) -> Result<Db, HubError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| HubError::Internal(format!("database address: {e}")))?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL)
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(15))
            .build(manager)
            .map_err(|e| HubError::Internal(format!("cannot reach the database: {e}")))?;
        let db = Db { pool };
        db.migrate().map_err(HubError::Internal)?;
        Ok(db)
    }

    pub(crate) fn conn(&self) -> Result<Conn, String> {
        self.pool.get().map_err(err)
    }

    /// Applies the migrations not yet applied, one process at a time.
    fn migrate(&self) -> Result<(), String> {
        let mut lock = AdvisoryLock::take(self.conn()?, MIGRATION_LOCK, true)?;
        embedded::migrations::runner()
            .run(&mut **lock.conn())
            .map(|_| ())
            .map_err(|e| format!("PostgreSQL: applying the hub's schema: {e}"))
    }
}
