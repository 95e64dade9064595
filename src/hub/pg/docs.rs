//! Form versions and referral notices as rows, so that every process serving the hub reads
//! the interviews another one received with their exact form, and lists every referral.

use super::{Db, all_from_json, err, from_json, json};
use crate::hub::referrals::Referral;

impl Db {
    /// Keeps a form version's source; `false` when it was there already.
    pub(crate) fn put_form(&self, form_id: &str, hash: u64, source: &str) -> Result<bool, String> {
        let n = self
            .conn()?
            .execute(
                "INSERT INTO form_versions (form_id, hash, source) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&form_id, &(hash as i64), &source],
            )
            .map_err(err)?;
        Ok(n == 1)
    }

    /// Every form version kept: (form id, hash, source).
    pub(crate) fn forms(&self) -> Result<Vec<(String, u64, String)>, String> {
        let rows = self
            .conn()?
            .query("SELECT form_id, hash, source FROM form_versions", &[])
            .map_err(err)?;
        rows.iter()
            .map(|r| {
                let hash: i64 = r.try_get(1).map_err(err)?;
                Ok((
                    r.try_get(0).map_err(err)?,
                    hash as u64,
                    r.try_get(2).map_err(err)?,
                ))
            })
            .collect()
    }

    /// Keeps a referral unless a newer notice of the same interview is there.
    pub(crate) fn put_referral(&self, r: &Referral, only_if_newer: bool) -> Result<(), String> {
        let body = json(r)?;
        let at = r.notice.at.utc;
        let guard = if only_if_newer {
            "WHERE referrals.at <= EXCLUDED.at"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO referrals (interview, at, referral) VALUES ($1, $2, $3) \
             ON CONFLICT (interview) DO UPDATE SET at = EXCLUDED.at, \
             referral = EXCLUDED.referral {guard}"
        );
        self.conn()?
            .execute(&sql, &[&r.notice.interview, &at, &body])
            .map(|_| ())
            .map_err(err)
    }

    pub(crate) fn referral(&self, interview: uuid::Uuid) -> Result<Option<Referral>, String> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT referral FROM referrals WHERE interview = $1",
                &[&interview],
            )
            .map_err(err)?;
        from_json(row)
    }

    pub(crate) fn all_referrals(&self) -> Result<Vec<Referral>, String> {
        let rows = self
            .conn()?
            .query("SELECT referral FROM referrals ORDER BY at", &[])
            .map_err(err)?;
        Ok(all_from_json(&rows))
    }
}
