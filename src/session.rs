//! One interview being taken: the engine plus its draft, autosaved on every accepted answer,
//! with time per question measured on a monotonic clock.
//!
//! This is the shell around the pure engine that the terminal app and `drill` share.

use crate::expr::NodeId;
use crate::form::Form;
use crate::interview::{Cursor, Interview, Item, Paradata};
use crate::store::{Draft, Finalized, FormRef, Stamp, Store, StoreError};
use chrono::{DateTime, FixedOffset};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// Where time comes from: wall-clock for timestamps, monotonic for durations (a laptop with
/// a wrong clock, or one corrected mid-interview, must not distort time-per-question).
pub trait Clock {
    fn now(&self) -> DateTime<FixedOffset>;
    fn mono_ms(&self) -> u64;
}

pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }
    fn mono_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The engine refused: show the message next to the question.
    #[error("{0}")]
    Invalid(String),
    /// Saving failed; the answer stays on screen and in memory.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Session {
    pub iv: Interview,
    pub draft: Draft,
    store: Arc<Store>,
    clock: Arc<dyn Clock + Send + Sync>,
    entered: Option<(String, u64)>,
    /// The referral flag as last told to the hub (a change queues a notice).
    referral_told: bool,
}

impl Session {
    /// Starts a new interview. Nothing is saved until there is something to keep (an
    /// answer, held text, a referral flag): a form opened and left is not a draft.
    pub fn start(
        store: Arc<Store>,
        form: Arc<Form>,
        surveyor: &str,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Result<Session, StoreError> {
        let now = clock.now();
        let id = Uuid::now_v7();
        let mut iv = Interview::new(form.clone(), now);
        iv.set_seed(seed_of(id));
        hand_in_last_saved(&mut iv, &store);
        let draft = Draft {
            id,
            form: FormRef {
                id: form.id.clone(),
                version: form.version.clone(),
                hash: form.source_hash,
            },
            surveyor: surveyor.to_string(),
            started: Stamp::from_local(now),
            updated: Stamp::from_local(now),
            rev: 0,
            answers: Vec::new(),
            position: None,
            paradata: Vec::new(),
            progress: (0, 0),
            referral: false,
            held: Vec::new(),
            instance_name: String::new(),
        };
        let mut s = Session {
            iv,
            draft,
            store,
            clock,
            entered: None,
            referral_told: false,
        };
        s.track();
        Ok(s)
    }

    /// Picks up a saved draft where it was left. Answers the form no longer has are dropped
    /// from the screen but stay in the draft until it is saved again.
    pub fn resume(
        store: Arc<Store>,
        form: Arc<Form>,
        draft: Draft,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Session {
        let (mut iv, _dropped) = Interview::restore(form, clock.now(), &draft.answers);
        hand_in_last_saved(&mut iv, &store);
        iv.restore_held(&draft.held);
        iv.set_seed(seed_of(draft.id));
        if let Some(pos) = &draft.position {
            let to = if pos == "END" {
                Some(Cursor::End)
            } else {
                iv.form().parse_key(pos).map(|k| {
                    Cursor::At(Item::Question {
                        node: k.node,
                        path: k.path,
                    })
                })
            };
            if let Some(c) = to {
                iv.jump(c);
            }
        }
        iv.take_events();
        let referral_told = draft.referral;
        let mut s = Session {
            iv,
            draft,
            store,
            clock,
            entered: None,
            referral_told,
        };
        if let Some(item) = s.iv.current().cloned() {
            s.entered = Some((s.item_key(&item), s.clock.mono_ms()));
        }
        s
    }

    pub fn id(&self) -> Uuid {
        self.draft.id
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    fn item_key(&self, item: &Item) -> String {
        match item {
            Item::Question { node, path } => self.iv.key(*node, path),
            Item::AddRepeat { repeat, path } => format!("+{}", self.iv.key(*repeat, path)),
        }
    }

    /// Turns the engine's enter/leave events into milliseconds per question.
    fn track(&mut self) {
        let now = self.clock.mono_ms();
        for ev in self.iv.take_events() {
            match ev {
                Paradata::Enter(item) => self.entered = Some((self.item_key(&item), now)),
                Paradata::Leave(item) => {
                    let key = self.item_key(&item);
                    if let Some((k, since)) = self.entered.take()
                        && k == key
                    {
                        add_time(&mut self.draft.paradata, &key, now.saturating_sub(since));
                    }
                }
            }
        }
    }

    /// Writes the engine's state into the draft and autosaves it; a blank interview is not
    /// kept (and a draft saved before is removed).
    pub fn save(&mut self) -> Result<(), StoreError> {
        self.track();
        self.iv.set_now(self.clock.now());
        self.draft.answers = self.iv.draft_answers();
        self.draft.position = Some(match self.iv.current() {
            Some(Item::Question { node, path }) => self.iv.key(*node, path),
            Some(item @ Item::AddRepeat { .. }) => self.item_key(item),
            None => "END".into(),
        });
        let (answered, questions) = self.iv.progress();
        self.draft.progress = (answered as u32, questions as u32);
        self.draft.updated = Stamp::from_local(self.clock.now());
        self.draft.held = self.iv.held_texts();
        if let Some(q) = self.iv.form().referral_question() {
            self.draft.referral = self.iv.value(q, &[]).to_str() == "yes";
        }
        self.draft.instance_name = self.iv.instance_name().unwrap_or_default();
        // Calculations alone (a `0` computed from nothing) are not worth a draft.
        if !self.iv.has_answers() && self.draft.held.is_empty() && !self.draft.referral {
            if self.draft.rev > 0 {
                self.store.remove_draft(self.draft.id)?;
                self.draft.rev = 0;
            }
            return Ok(());
        }
        if self.draft.rev == 0 {
            // The first save of this interview: keep the exact form it is taken with.
            self.store.keep_form(self.iv.form())?;
        }
        self.store.save_draft(&mut self.draft)?;
        if self.draft.referral != self.referral_told {
            // Practice never alerts a child-protection officer about a child who is not there.
            if !self.store.training_mode() {
                self.store.queue_referral(&self.referral_notice())?;
            }
            self.referral_told = self.draft.referral;
        }
        Ok(())
    }

    /// What the hub is told when the referral flag changes: who, where, when — never what
    /// the child said.
    fn referral_notice(&self) -> crate::record::ReferralNotice {
        let form = self.iv.form();
        let commune = form
            .by_name
            .get("commune")
            .filter(|n| form.node(**n).chain.is_empty())
            .map(|n| {
                let code = self.iv.value(*n, &[]).to_str().into_owned();
                let label = form
                    .list_of(*n)
                    .and_then(|l| l.find(&code))
                    .map(|c| c.label.get(&form.default_language).to_string());
                match label {
                    Some(l) => format!("{l} ({code})"),
                    None => code,
                }
            })
            .unwrap_or_default();
        crate::record::ReferralNotice {
            id: Uuid::now_v7(),
            interview: self.draft.id,
            device: self.store.device(),
            form_id: self.draft.form.id.clone(),
            surveyor: self.draft.surveyor.clone(),
            at: Stamp::from_local(self.clock.now()),
            commune,
            on: self.draft.referral,
        }
    }

    /// Records an answer; saved before this returns Ok.
    pub fn answer(&mut self, node: NodeId, path: &[u32], raw: &str) -> Result<(), SessionError> {
        self.iv.set_now(self.clock.now());
        self.iv
            .answer(node, path, raw)
            .map_err(SessionError::Invalid)?;
        self.save()?;
        Ok(())
    }

    pub fn advance(&mut self) -> Result<(), SessionError> {
        self.iv.advance().map_err(SessionError::Invalid)?;
        self.save()?;
        Ok(())
    }

    pub fn back(&mut self) -> Result<(), StoreError> {
        self.iv.back();
        self.save()
    }

    pub fn jump(&mut self, to: Cursor) -> Result<bool, StoreError> {
        let ok = self.iv.jump(to);
        self.save()?;
        Ok(ok)
    }

    pub fn add_repeat(&mut self) -> Result<bool, StoreError> {
        let ok = self.iv.add_repeat();
        self.save()?;
        Ok(ok)
    }

    /// The F9 key: where the form has a referral question it is answered (one source of
    /// truth); a form without one keeps the flag only.
    pub(crate) fn set_referral(&mut self, on: bool) -> Result<(), StoreError> {
        if let Some(q) = self.iv.form().referral_question() {
            let _ = self.iv.answer(q, &[], if on { "yes" } else { "no" });
        }
        self.draft.referral = on;
        self.save()
    }

    /// The finished record, if the review allows finalizing; not yet saved.
    pub fn to_finalized(&mut self) -> Result<Finalized, SessionError> {
        let review = self.iv.review();
        if !review.can_finalize() {
            return Err(SessionError::Invalid(format!(
                "{} question(s) still need attention",
                review.problems.len()
            )));
        }
        // Close the question on screen so its time counts.
        if let Some((key, since)) = self.entered.take() {
            add_time(
                &mut self.draft.paradata,
                &key,
                self.clock.mono_ms().saturating_sub(since),
            );
        }
        let now = self.clock.now();
        Ok(Finalized {
            id: self.draft.id,
            form: self.draft.form.clone(),
            device: self.store.device(),
            seq: 0,
            surveyor: self.draft.surveyor.clone(),
            started: self.draft.started,
            finished: Stamp::from_local(now),
            answers: self.iv.answers(),
            paradata: self.draft.paradata.clone(),
            duration_ms: self.draft.paradata.iter().map(|(_, ms)| ms).sum(),
            referral: self.draft.referral,
            training: self.store.training_mode(),
        })
    }

    /// Finalizes: durable on disk when this returns Ok; the draft is gone.
    pub fn finalize(&mut self) -> Result<Finalized, SessionError> {
        let mut f = [self.to_finalized()?];
        self.store.finalize(&mut f)?;
        let [f] = f;
        Ok(f)
    }
}

fn add_time(paradata: &mut Vec<(String, u64)>, key: &str, ms: u64) {
    match paradata.iter_mut().find(|(k, _)| k == key) {
        Some((_, t)) => *t += ms,
        None => paradata.push((key.to_string(), ms)),
    }
}

/// An interview's seed for randomized choice orders: from its id, so the order a child saw
/// is the order shown again after a restart.
fn seed_of(id: Uuid) -> u64 {
    let b = id.as_bytes();
    u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
}

/// `${last-saved#q}` reads the last interview finalized with the form: looked up in the store
/// only for forms that use it.
fn hand_in_last_saved(iv: &mut Interview, store: &Store) {
    let form = iv.form().clone();
    if form.source.contains("${last-saved#")
        && let Some(last) = store.last_saved_answers(&form.id)
    {
        iv.set_last_saved(last);
    }
}
