//! Referrals on the hub: one file per interview (`referrals/ID.json`, the latest notice and
//! whether the commune's officer followed it up), listed by `hub referrals` for the people
//! who act on them. No narrative ever reaches here: the notice holds none.

use super::Hub;
use crate::record::ReferralNotice;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A referral as the hub keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub notice: ReferralNotice,
    pub received: chrono::DateTime<chrono::Utc>,
    /// When someone marked it followed up (cleared when the flag is set again).
    pub followed_up: Option<chrono::DateTime<chrono::Utc>>,
}

impl Hub {
    fn referrals_dir(&self) -> PathBuf {
        self.dir.join("referrals")
    }

    /// Keeps a notice: the newest per interview wins (set, then cleared, then set again).
    pub(crate) fn keep_referral(&self, n: &ReferralNotice) -> std::io::Result<()> {
        if let Some(db) = &self.db {
            let r = Referral {
                notice: n.clone(),
                received: chrono::Utc::now(),
                followed_up: None,
            };
            return db.put_referral(&r, true).map_err(std::io::Error::other);
        }
        let dir = self.referrals_dir();
        crate::store::paths::ensure_private_dir(&dir)?;
        let path = dir.join(format!("{}.json", n.interview));
        if let Some(old) = read(&path)
            && old.notice.at.utc > n.at.utc
        {
            return Ok(());
        }
        let r = Referral {
            notice: n.clone(),
            received: chrono::Utc::now(),
            followed_up: None,
        };
        let json = serde_json::to_vec_pretty(&r).map_err(std::io::Error::other)?;
        crate::store::paths::write_private(&path, &json)
    }

    /// Referrals still set, oldest first; `since`: set at or after it.
    pub fn referrals(&self, since: Option<chrono::DateTime<chrono::Utc>>) -> Vec<Referral> {
        let all: Vec<Referral> = match &self.db {
            Some(db) => db.all_referrals().unwrap_or_else(|e| {
                eprintln!("warning: {e}");
                Vec::new()
            }),
            None => std::fs::read_dir(self.referrals_dir())
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| read(&e.path()))
                .collect(),
        };
        let mut out: Vec<Referral> = all
            .into_iter()
            .filter(|r| r.notice.on && since.is_none_or(|s| r.notice.at.utc >= s))
            .collect();
        out.sort_by_key(|r| r.notice.at.utc);
        out
    }

    /// Marks the referral of `interview` followed up.
    pub fn referral_followed_up(&self, interview: uuid::Uuid) -> Result<(), String> {
        if let Some(db) = &self.db {
            let mut r = db
                .referral(interview)?
                .ok_or_else(|| format!("no referral for interview {interview}"))?;
            r.followed_up = Some(chrono::Utc::now());
            return db.put_referral(&r, false);
        }
        let path = self.referrals_dir().join(format!("{interview}.json"));
        let mut r = read(&path).ok_or_else(|| format!("no referral for interview {interview}"))?;
        r.followed_up = Some(chrono::Utc::now());
        let json = serde_json::to_vec_pretty(&r).map_err(|e| e.to_string())?;
        crate::store::paths::write_private(&path, &json).map_err(|e| e.to_string())
    }
}

fn read(path: &std::path::Path) -> Option<Referral> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}
