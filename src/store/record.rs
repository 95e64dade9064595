//! What the store keeps of its own: drafts, the index of finalized interviews, settings.
//! (Finalized interviews and tombstones are shared records: `crate::record`.)

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::record::{Finalized, FormRef, Stamp, Tombstone};

/// An interview in progress. Rewritten on every accepted answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub id: Uuid,
    pub form: FormRef,
    pub surveyor: String,
    pub started: Stamp,
    pub updated: Stamp,
    /// Bumped on every save; the journal replays only what is newer than sled holds.
    pub rev: u64,
    /// Every stored answer, relevant or not (so flipping an answer back loses nothing).
    pub answers: Vec<(String, String)>,
    /// Key of the question on screen, to resume there.
    pub position: Option<String>,
    /// Milliseconds spent per question key, from a monotonic clock.
    pub paradata: Vec<(String, u64)>,
    /// Answered / visible, for lists.
    pub progress: (u32, u32),
    pub referral: bool,
    /// Text entered but not accepted, by answer key (schema 3): kept so nothing typed is
    /// lost, never an answer.
    pub held: Vec<(String, String)>,
    /// The form's `instance_name` as of the last save (schema 3), to tell drafts apart.
    pub instance_name: String,
}

/// A draft as schema versions 1 and 2 wrote it (before `held`).
#[derive(Serialize, Deserialize)]
pub(crate) struct DraftV2 {
    id: Uuid,
    form: FormRef,
    surveyor: String,
    started: Stamp,
    updated: Stamp,
    rev: u64,
    answers: Vec<(String, String)>,
    position: Option<String>,
    paradata: Vec<(String, u64)>,
    progress: (u32, u32),
    referral: bool,
}

impl From<DraftV2> for Draft {
    fn from(d: DraftV2) -> Draft {
        Draft {
            id: d.id,
            form: d.form,
            surveyor: d.surveyor,
            started: d.started,
            updated: d.updated,
            rev: d.rev,
            answers: d.answers,
            position: d.position,
            paradata: d.paradata,
            progress: d.progress,
            referral: d.referral,
            held: Vec::new(),
            instance_name: String::new(),
        }
    }
}

/// Reads a draft of any schema version this build knows.
pub fn decode_draft(bytes: &[u8]) -> Result<Draft, crate::codec::DecodeError> {
    match crate::codec::split(bytes)? {
        (v, body) if v < 3 => crate::codec::decode_body::<DraftV2>(body).map(Draft::from),
        (_, body) => crate::codec::decode_body(body),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Status {
    Draft,
    Finalized,
    Queued,
    Sent,
}

impl Status {
    /// Which of the store's three counters (finalized, queued, sent) this status moves.
    pub(crate) fn counter(self) -> usize {
        match self {
            Status::Finalized | Status::Draft => 0,
            Status::Queued => 1,
            Status::Sent => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Finalized => "finalized",
            Status::Queued => "queued",
            Status::Sent => "sent",
        }
    }
}

/// Where a finalized interview's bytes are, and what lists need without reading them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub segment: u32,
    pub offset: u64,
    pub len: u32,
    pub form_id: String,
    pub form_version: String,
    pub started: Stamp,
    pub finished: Stamp,
    pub seq: u64,
    pub status: Status,
    pub answered: u32,
    /// When the hub's receipt came; retention counts from here.
    pub sent_at: Option<Stamp>,
}

impl IndexEntry {
    /// Where the record's bytes are.
    pub(crate) fn loc(&self) -> super::segments::Loc {
        super::segments::Loc {
            segment: self.segment,
            offset: self.offset,
            len: self.len,
        }
    }
}

/// What a sealed record shows without its key: enough to index and recover it, nothing about
/// the child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedMeta {
    pub id: uuid::Uuid,
    pub form_id: String,
    pub form_version: String,
    pub started: Stamp,
    pub finished: Stamp,
    pub seq: u64,
    pub answered: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Settings {
    pub surveyor: String,
    pub device_label: String,
    pub language: String,
}

/// An index entry as schema version 1 wrote it (before `sent_at`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IndexEntryV1 {
    segment: u32,
    offset: u64,
    len: u32,
    form_id: String,
    form_version: String,
    started: Stamp,
    finished: Stamp,
    seq: u64,
    status: Status,
    answered: u32,
}

/// Reads an index entry of any schema version this build knows.
pub fn decode_index_entry(bytes: &[u8]) -> Result<IndexEntry, crate::codec::DecodeError> {
    match crate::codec::split(bytes)? {
        (1, body) => {
            let v1: IndexEntryV1 = crate::codec::decode_body(body)?;
            Ok(IndexEntry {
                segment: v1.segment,
                offset: v1.offset,
                len: v1.len,
                form_id: v1.form_id,
                form_version: v1.form_version,
                started: v1.started,
                finished: v1.finished,
                seq: v1.seq,
                status: v1.status,
                answered: v1.answered,
                sent_at: None,
            })
        }
        (_, body) => crate::codec::decode_body(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_index_entry_still_reads() {
        let t = Stamp {
            utc: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            offset_secs: 7 * 3600,
        };
        let v1 = IndexEntryV1 {
            segment: 3,
            offset: 99,
            len: 1200,
            form_id: "child_participation".into(),
            form_version: "1".into(),
            started: t,
            finished: t,
            seq: 12,
            status: Status::Queued,
            answered: 30,
        };
        let mut bytes = crate::codec::encode(&v1);
        bytes[0] = 1; // as written by schema version 1
        let e = decode_index_entry(&bytes).unwrap();
        assert_eq!(
            (e.segment, e.offset, e.seq, e.status, e.sent_at),
            (3, 99, 12, Status::Queued, None)
        );
        let now = crate::codec::encode(&e);
        assert_eq!(decode_index_entry(&now).unwrap(), e);
        let mut newer = now.clone();
        newer[0] = crate::codec::SCHEMA + 1;
        assert!(
            decode_index_entry(&newer).is_err(),
            "a newer store is refused, not misread"
        );
    }

    #[test]
    fn a_finalized_record_written_before_the_training_mark_still_reads_as_real() {
        let t = Stamp {
            utc: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            offset_secs: 7 * 3600,
        };
        let f = Finalized {
            id: Uuid::now_v7(),
            form: FormRef {
                id: "child_participation".into(),
                version: "1".into(),
                hash: 7,
            },
            device: Uuid::now_v7(),
            seq: 3,
            surveyor: "sv".into(),
            started: t,
            finished: t,
            answers: vec![("age".into(), "12".into())],
            paradata: vec![("age".into(), 900)],
            duration_ms: 900,
            referral: false,
            training: false,
        };
        // Schema 3 ended at `referral`: today's bytes without the last one.
        let mut bytes = crate::codec::encode(&f);
        assert_eq!(bytes.pop(), Some(0));
        bytes[0] = 3;
        match super::super::sealed::parse(&bytes).unwrap() {
            super::super::sealed::Record::Plain(back) => assert_eq!(*back, f),
            super::super::sealed::Record::Sealed(..) => panic!("read as sealed"),
        }
        let practice = Finalized {
            training: true,
            ..f
        };
        match super::super::sealed::parse(&crate::codec::encode(&practice)).unwrap() {
            super::super::sealed::Record::Plain(back) => assert!(back.training),
            super::super::sealed::Record::Sealed(..) => panic!("read as sealed"),
        }
    }

    #[test]
    fn a_draft_written_before_held_text_still_reads() {
        let t = Stamp {
            utc: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            offset_secs: 7 * 3600,
        };
        let v2 = DraftV2 {
            id: Uuid::now_v7(),
            form: FormRef {
                id: "child_participation".into(),
                version: "1".into(),
                hash: 7,
            },
            surveyor: "sv".into(),
            started: t,
            updated: t,
            rev: 4,
            answers: vec![("age".into(), "12".into())],
            position: Some("age".into()),
            paradata: vec![("age".into(), 900)],
            progress: (1, 30),
            referral: true,
        };
        let mut bytes = crate::codec::encode(&v2);
        bytes[0] = 2; // as written by schema version 2
        let d = decode_draft(&bytes).unwrap();
        assert_eq!(
            (d.rev, d.answers.len(), d.referral, d.held.len()),
            (4, 1, true, 0)
        );
        let now = crate::codec::encode(&d);
        assert_eq!(now[0], crate::codec::SCHEMA);
        assert_eq!(decode_draft(&now).unwrap(), d);
    }
}
