//! Review records and the quality figures they are flagged against, as rows shared by every
//! process serving the hub; the per-form figures are updated under a row lock.

use super::{Db, all_from_json, err, from_json, json};
use crate::hub::quality::{Counts, Durations};
use crate::hub::review::Review;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Each form's durations and answer counts, as `start` and `tally` change them.
pub(crate) type Quality = BTreeMap<String, (Durations, Counts)>;

fn read<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> T {
    serde_json::from_slice(bytes).unwrap_or_default()
}

/// New review records in one statement (one that exists already stays as it is).
fn insert_all(c: &mut impl postgres::GenericClient, records: &[Review]) -> Result<(), String> {
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let devices: Vec<Uuid> = records.iter().map(|r| r.device).collect();
    let finished: Vec<chrono::DateTime<chrono::Utc>> =
        records.iter().map(|r| r.finished.utc).collect();
    let bodies = records.iter().map(json).collect::<Result<Vec<_>, _>>()?;
    c.execute(
        "INSERT INTO reviews (id, device, finished, review) SELECT * FROM UNNEST($1::uuid[], \
         $2::uuid[], $3::timestamptz[], $4::bytea[]) ON CONFLICT (id) DO NOTHING",
        &[&ids, &devices, &finished, &bodies],
    )
    .map(|_| ())
    .map_err(err)
}

impl Db {
    pub(crate) fn review(&self, id: Uuid) -> Result<Option<Review>, String> {
        let row = self
            .conn()?
            .query_opt("SELECT review FROM reviews WHERE id = $1", &[&id])
            .map_err(err)?;
        from_json(row)
    }

    /// Every review (of `device` only, if given), oldest interview first.
    pub(crate) fn reviews(&self, device: Option<Uuid>) -> Result<Vec<Review>, String> {
        let mut c = self.conn()?;
        let rows = match device {
            Some(d) => c.query(
                "SELECT review FROM reviews WHERE device = $1 ORDER BY finished",
                &[&d],
            ),
            None => c.query("SELECT review FROM reviews ORDER BY finished", &[]),
        }
        .map_err(err)?;
        Ok(all_from_json(&rows))
    }

    /// The interviews of `device` sent back and not yet edited, oldest first (an index of
    /// the few that are: a device asks at every sync).
    pub(crate) fn sent_back(&self, device: Uuid) -> Result<Vec<Review>, String> {
        let rows = self
            .conn()?
            .query(
                "SELECT review FROM reviews WHERE device = $1 AND sent_back ORDER BY finished",
                &[&device],
            )
            .map_err(err)?;
        Ok(all_from_json(&rows))
    }

    /// Writes a review (a decision replaces the record).
    pub(crate) fn save_review(&self, r: &Review) -> Result<(), String> {
        let sent_back = r.state() == crate::hub::review::ReviewState::Rejected;
        self.conn()?
            .execute(
                "INSERT INTO reviews (id, device, finished, review, sent_back) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET review = EXCLUDED.review, \
                 sent_back = EXCLUDED.sent_back",
                &[&r.id, &r.device, &r.finished.utc, &json(r)?, &sent_back],
            )
            .map(|_| ())
            .map_err(err)
    }

    pub(crate) fn forget_review(&self, id: Uuid) -> Result<(), String> {
        self.conn()?
            .execute("DELETE FROM reviews WHERE id = $1", &[&id])
            .map(|_| ())
            .map_err(err)
    }

    /// A form's durations and answer counts as they stand.
    pub(crate) fn quality(&self, form_id: &str) -> Result<(Durations, Counts), String> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT durations, counts FROM quality WHERE form_id = $1",
                &[&form_id],
            )
            .map_err(err)?;
        Ok(row.map_or_else(Default::default, |r| {
            let d: Vec<u8> = r.get(0);
            let c: Vec<u8> = r.get(1);
            (read(&d), read(&c))
        }))
    }

    /// Changes the figures of `forms` with `change` while holding their rows (another
    /// process ingesting the same form waits), then stores the review records it returns,
    /// all in one transaction.
    pub(crate) fn with_quality(
        &self,
        forms: &[String],
        change: impl FnOnce(&mut Quality) -> Result<Vec<Review>, String>,
    ) -> Result<(), String> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(err)?;
        let mut q = Quality::new();
        for form in forms {
            let empty = (json(&Durations::default())?, json(&Counts::default())?);
            tx.execute(
                "INSERT INTO quality (form_id, durations, counts) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[form, &empty.0, &empty.1],
            )
            .map_err(err)?;
            let r = tx
                .query_one(
                    "SELECT durations, counts FROM quality WHERE form_id = $1 FOR UPDATE",
                    &[form],
                )
                .map_err(err)?;
            let (d, cn): (Vec<u8>, Vec<u8>) = (r.get(0), r.get(1));
            q.insert(form.clone(), (read(&d), read(&cn)));
        }
        let records = change(&mut q)?;
        for (form, (d, cn)) in &q {
            tx.execute(
                "UPDATE quality SET durations = $2, counts = $3 WHERE form_id = $1",
                &[form, &json(d)?, &json(cn)?],
            )
            .map_err(err)?;
        }
        insert_all(&mut tx, &records)?;
        tx.commit().map_err(err)
    }
}
