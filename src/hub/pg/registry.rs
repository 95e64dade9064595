//! Devices and enrolment tokens as rows, shared by every process serving the hub.

use super::{Db, err};
use crate::hub::store::Device;
use postgres::Row;
use uuid::Uuid;

const COLUMNS: &str = "id, name, public_key, token_hash, revoked, enrolled, return_key";

fn device(row: &Row) -> Result<Device, String> {
    Ok(Device {
        id: row.try_get("id").map_err(err)?,
        name: row.try_get("name").map_err(err)?,
        public_key: row.try_get("public_key").map_err(err)?,
        token_hash: row.try_get("token_hash").map_err(err)?,
        revoked: row.try_get("revoked").map_err(err)?,
        enrolled: row.try_get("enrolled").map_err(err)?,
        return_key: row.try_get("return_key").map_err(err)?,
    })
}

impl Db {
    pub(crate) fn add_enroll_token(&self, token_hash: &str, name: &str) -> Result<(), String> {
        self.conn()?
            .execute(
                "INSERT INTO enroll_tokens (token_hash, device_name) VALUES ($1, $2) \
                 ON CONFLICT (token_hash) DO UPDATE SET device_name = $2",
                &[&token_hash, &name],
            )
            .map(|_| ())
            .map_err(err)
    }

    /// Whoever deletes the row first has the token.
    pub(crate) fn take_enroll_token(&self, token_hash: &str) -> Result<Option<String>, String> {
        let row = self
            .conn()?
            .query_opt(
                "DELETE FROM enroll_tokens WHERE token_hash = $1 RETURNING device_name",
                &[&token_hash],
            )
            .map_err(err)?;
        row.map(|r| r.try_get(0).map_err(err)).transpose()
    }

    /// Writes the device (a re-enrolment replaces it), or with `only_new` refuses an id
    /// already there.
    fn put_device(&self, d: &Device, only_new: bool) -> Result<(), String> {
        let on_conflict = if only_new {
            "DO NOTHING"
        } else {
            "DO UPDATE SET name = $2, public_key = $3, token_hash = $4, revoked = $5, \
             enrolled = $6, return_key = $7"
        };
        let sql = format!(
            "INSERT INTO devices ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) {on_conflict}"
        );
        let n = self
            .conn()?
            .execute(
                &sql,
                &[
                    &d.id,
                    &d.name,
                    &d.public_key,
                    &d.token_hash,
                    &d.revoked,
                    &d.enrolled,
                    &d.return_key,
                ],
            )
            .map_err(err)?;
        if only_new && n == 0 {
            return Err(format!("device id {} is already enrolled", d.id));
        }
        Ok(())
    }

    pub(crate) fn add_device(&self, d: &Device) -> Result<(), String> {
        self.put_device(d, false)
    }

    pub(crate) fn add_new_device(&self, d: &Device) -> Result<(), String> {
        self.put_device(d, true)
    }

    pub(crate) fn device(&self, id: Uuid) -> Result<Option<Device>, String> {
        let sql = format!("SELECT {COLUMNS} FROM devices WHERE id = $1");
        let row = self.conn()?.query_opt(&sql, &[&id]).map_err(err)?;
        row.as_ref().map(device).transpose()
    }

    pub(crate) fn devices(&self) -> Result<Vec<Device>, String> {
        let sql = format!("SELECT {COLUMNS} FROM devices ORDER BY enrolled, id");
        let rows = self.conn()?.query(&sql, &[]).map_err(err)?;
        rows.iter().map(device).collect()
    }

    pub(crate) fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, String> {
        let sql = format!("SELECT {COLUMNS} FROM devices WHERE token_hash = $1");
        let row = self.conn()?.query_opt(&sql, &[&token_hash]).map_err(err)?;
        row.as_ref().map(device).transpose()
    }
}
