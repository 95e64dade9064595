//! The records that travel: a finalized interview, a tombstone, and what they refer to (the
//! form, moments in time). Pure data, shared by the store, the wire and the reports.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A moment as the device saw it: UTC plus the local offset, so both "when" and "what
/// time of day it was there" survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub utc: DateTime<Utc>,
    pub offset_secs: i32,
}

impl Stamp {
    pub fn from_local(t: DateTime<FixedOffset>) -> Stamp {
        Stamp {
            utc: t.with_timezone(&Utc),
            offset_secs: t.offset().local_minus_utc(),
        }
    }
    pub fn local(&self) -> DateTime<FixedOffset> {
        let off = FixedOffset::east_opt(self.offset_secs)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
        self.utc.with_timezone(&off)
    }
}

/// Which form an interview was taken with. The hash tells a changed file from the same version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRef {
    pub id: String,
    pub version: String,
    pub hash: u64,
}

/// A finished interview. Written once, never changed in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finalized {
    pub id: Uuid,
    pub form: FormRef,
    pub device: Uuid,
    /// Per-device sequence number: orders interviews even when the clock was wrong.
    pub seq: u64,
    pub surveyor: String,
    pub started: Stamp,
    pub finished: Stamp,
    /// Relevant answers only: the result of the interview.
    pub answers: Vec<(String, String)>,
    pub paradata: Vec<(String, u64)>,
    /// Sum of time on questions, from the monotonic clock (ms).
    pub duration_ms: u64,
    pub referral: bool,
    /// Taken in training mode or made by `simulate`: practice, never official data. The hub
    /// refuses it unless set to accept training data, and keeps it out of indicators and
    /// exports unless asked (store schema 4, wire payload 3).
    pub training: bool,
}

/// A finalized interview as written before the training mark (store schema ≤ 3, sealed
/// payload ≤ 2): every one of them was real.
#[derive(Deserialize)]
pub(crate) struct FinalizedV3 {
    id: Uuid,
    form: FormRef,
    device: Uuid,
    seq: u64,
    surveyor: String,
    started: Stamp,
    finished: Stamp,
    answers: Vec<(String, String)>,
    paradata: Vec<(String, u64)>,
    duration_ms: u64,
    referral: bool,
}

impl From<FinalizedV3> for Finalized {
    fn from(f: FinalizedV3) -> Finalized {
        Finalized {
            id: f.id,
            form: f.form,
            device: f.device,
            seq: f.seq,
            surveyor: f.surveyor,
            started: f.started,
            finished: f.finished,
            answers: f.answers,
            paradata: f.paradata,
            duration_ms: f.duration_ms,
            referral: f.referral,
            training: false,
        }
    }
}

/// What is kept of an interview that was erased: enough to count refusals and withdrawals,
/// nothing about the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub id: uuid::Uuid,
    pub form_id: String,
    pub at: Stamp,
    /// `declined`, `withdrawn`, `not_eligible`, `retention`…
    pub reason: String,
}

/// A child-protection referral set or cleared on an interview: what the commune's officer
/// needs to follow up, and nothing of what the child said. It travels at the next sync,
/// even while the interview is still a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralNotice {
    /// This notice (its item id in a bundle).
    pub id: Uuid,
    /// The interview it is about.
    pub interview: Uuid,
    pub device: Uuid,
    pub form_id: String,
    pub surveyor: String,
    /// When the surveyor set or cleared it.
    pub at: Stamp,
    /// The commune, as the form names it (`Xã Mường Nhé (03160)`), when the form asks.
    pub commune: String,
    /// Set (`true`) or cleared.
    pub on: bool,
}

/// A supervisor's request to fix an interview: why, by whom, which questions. It travels
/// with the interview back to its device (sealed to the device) and stays beside the
/// reopened draft until the surveyor finalizes it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentBack {
    /// How many versions the hub had when it sent this back (Central's `Edits`): a return is
    /// applied once, and a later one (after another edit) is a new one.
    pub round: u32,
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The questions to look at (names), first one where the draft reopens.
    pub questions: Vec<String>,
}
