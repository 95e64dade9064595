//! Interviews a supervisor sent back: the device's own age key that they are sealed to
//! (kept locked under the folder's data key, so a lost laptop without the passphrase does
//! not open a returns file on a stick either), and each one reopened as a draft with the
//! supervisor's note beside it until it is finalized again. Also the training-mode setting.

use super::{Draft, Result, Stamp, Store, StoreError, codec};
use crate::protocol::returns::{self, Returned, Returns};
use crate::record::SentBack;
use age::secrecy::ExposeSecret;
use uuid::Uuid;

/// `meta`: the device's return key, locked under its own record key.
const RETURN_KEY: &[u8] = b"return-key";
/// The record key the return key is locked under: a fixed id no interview has (ids are
/// v7; this one is not, and the keyring keeps the nil id for empty slots).
const RETURN_KEY_ID: Uuid = Uuid::from_u128(u128::from_be_bytes(*b"LN return key v1"));
/// `meta`: set while training mode is on.
const TRAINING: &[u8] = b"training-mode";

fn note_key(id: Uuid) -> Vec<u8> {
    [b"sent-back:".as_slice(), id.as_bytes()].concat()
}

/// `meta`: a finalized interview that is practice, for `list` (its record may be sealed).
pub(super) fn practice_key(id: Uuid) -> Vec<u8> {
    [b"practice:".as_slice(), id.as_bytes()].concat()
}

fn round_key(id: Uuid) -> Vec<u8> {
    [b"sent-back-round:".as_slice(), id.as_bytes()].concat()
}

/// What applying a returns file did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Taken {
    /// Reopened as drafts, with their notes.
    pub reopened: usize,
    /// Already here (the same return seen before).
    pub already: usize,
    /// Erased here (a withdrawal or refusal): erasure wins, nothing is reopened.
    pub erased: usize,
}

impl Store {
    /// The age identity interviews sent back to this device are sealed to; made on first use.
    pub(crate) fn return_identity(&self) -> Result<age::x25519::Identity> {
        if let Some(locked) = self.meta.get(RETURN_KEY).map_err(|e| self.db_err(e))? {
            let plain = self
                .unlock(&locked)
                .map_err(|e| StoreError::Seal(format!("the device's return key: {e}")))?;
            return String::from_utf8(plain)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| StoreError::Seal("the device's return key is damaged".into()));
        }
        let id = age::x25519::Identity::generate();
        let locked = self.lock_bytes(RETURN_KEY_ID, id.to_string().expose_secret().as_bytes())?;
        self.meta
            .insert(RETURN_KEY, locked)
            .map_err(|e| self.db_err(e))?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(id)
    }

    /// The public half of the return key, given to the hub at enrolment.
    pub fn return_recipient(&self) -> Result<String> {
        Ok(self.return_identity()?.to_public().to_string())
    }

    /// Opens each interview of a verified returns file and reopens it as a draft at the
    /// first question the supervisor named, the note kept beside it.
    pub fn take_returns(&self, r: &Returns) -> Result<Taken> {
        let identity = self.return_identity()?;
        let mut taken = Taken::default();
        for (id, sealed) in &r.items {
            let plain = crate::protocol::seal::open(sealed, &identity)
                .map_err(|e| StoreError::Seal(format!("returned interview {id}: {e}")))?;
            let back = returns::read(&plain)
                .map_err(|e| StoreError::Seal(format!("returned interview {id}: {e}")))?;
            if back.interview.id != *id || back.interview.device != self.device {
                return Err(StoreError::Seal(format!(
                    "returned interview {id}: it names another interview or device"
                )));
            }
            self.take_one(back, &mut taken)?;
        }
        if taken.reopened > 0 {
            self.db.flush().map_err(|e| self.db_err(e))?;
        }
        Ok(taken)
    }

    fn take_one(&self, r: Returned, taken: &mut Taken) -> Result<()> {
        let id = r.interview.id;
        if self.is_erased(id)? {
            taken.erased += 1;
            return Ok(());
        }
        let seen = self
            .meta
            .get(round_key(id))
            .map_err(|e| self.db_err(e))?
            .and_then(|v| v.as_ref().try_into().ok().map(u32::from_le_bytes));
        if seen.is_some_and(|s| s >= r.back.round) || self.draft(id).is_ok() {
            taken.already += 1;
            return Ok(());
        }
        let f = r.interview;
        let now = Stamp::from_local(chrono::Local::now().fixed_offset());
        let mut d = Draft {
            id,
            form: f.form,
            surveyor: f.surveyor,
            started: f.started,
            updated: now,
            rev: 0,
            position: r.back.questions.first().cloned(),
            progress: (f.answers.len() as u32, f.answers.len() as u32),
            answers: f.answers,
            paradata: f.paradata,
            referral: f.referral,
            held: Vec::new(),
            instance_name: String::new(),
        };
        self.meta
            .insert(note_key(id), codec::encode(&r.back))
            .map_err(|e| self.db_err(e))?;
        self.meta
            .insert(round_key(id), &r.back.round.to_le_bytes())
            .map_err(|e| self.db_err(e))?;
        self.save_draft(&mut d)?;
        taken.reopened += 1;
        Ok(())
    }

    /// Whether interview `id` was erased here (a tombstone; retention keeps none).
    fn is_erased(&self, id: Uuid) -> Result<bool> {
        Ok(self
            .tombstones
            .get(id.as_bytes())
            .map_err(|e| self.db_err(e))?
            .is_some())
    }

    /// The supervisor's note on a draft that was sent back, while it is not finalized again.
    pub fn sent_back(&self, id: Uuid) -> Option<SentBack> {
        let v = self.meta.get(note_key(id)).ok()??;
        codec::decode(&v).ok()
    }

    /// Finalized again (or erased): the note has done its work.
    pub(crate) fn clear_sent_back(&self, id: Uuid) -> Result<()> {
        self.meta.remove(note_key(id)).map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Whether finalized interview `id` is practice (training mode or simulated).
    pub fn is_practice(&self, id: Uuid) -> bool {
        matches!(self.meta.get(practice_key(id)), Ok(Some(_)))
    }

    /// Whether interviews taken now are practice (training mode).
    pub fn training_mode(&self) -> bool {
        matches!(self.meta.get(TRAINING), Ok(Some(_)))
    }

    pub fn set_training_mode(&self, on: bool) -> Result<()> {
        self.check_fault("save settings in")?;
        if on {
            self.meta.insert(TRAINING, &[1u8])
        } else {
            self.meta.remove(TRAINING)
        }
        .map_err(|e| self.db_err(e))?;
        self.db.flush().map_err(|e| self.db_err(e))?;
        Ok(())
    }
}
