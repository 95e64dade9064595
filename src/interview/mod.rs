//! The interview engine: a form plus answers, as a pure state machine.
//!
//! It knows no terminal, disk or clock. Callers hand in the time (`set_now`), call
//! `answer`/`next`/`jump`, and drain paradata events to time-stamp with their own clock.

mod context;
mod defaults;
mod held;
mod nav;
mod propagate;
mod review;
mod tree;
mod validate;

pub use nav::{Cursor, Item, Paradata};
pub use propagate::MAX_REPEAT;
pub use review::{Problem, Review};
pub use tree::Path;

/// Where consent stands: every consent question answered `yes`, any answered otherwise, or
/// still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Pending,
    Given,
    Declined,
}

use crate::expr::{NodeId, Value};
use crate::form::{Form, Kind, ROOT};
use chrono::{DateTime, FixedOffset};
use std::sync::Arc;
use tree::Inst;

#[derive(Debug, Clone)]
pub struct Interview {
    pub(crate) form: Arc<Form>,
    pub(crate) root: Inst,
    pub(crate) lang: String,
    pub(crate) now: DateTime<FixedOffset>,
    pub(crate) cursor: Cursor,
    pub(crate) events: Vec<Paradata>,
    /// Text entered but not accepted, per question (see `held.rs`).
    pub(crate) held: std::collections::BTreeMap<crate::form::AnswerKey, String>,
    /// Questions whose dynamic default has been filled in (once each, see `defaults.rs`).
    pub(crate) seeded: std::collections::BTreeSet<crate::form::AnswerKey>,
    /// The answers of the last interview saved with this form, for `${last-saved#q}`.
    pub(crate) last_saved: Arc<std::collections::HashMap<String, String>>,
    /// This interview's own seed for `randomize`d choice lists without a `seed`.
    pub(crate) seed: u64,
}

impl Interview {
    /// A new, empty interview at its first question. `now` is the device's current time.
    pub fn new(form: Arc<Form>, now: DateTime<FixedOffset>) -> Interview {
        let lang = form.default_language.clone();
        let root = Inst::new(&form, ROOT);
        let mut iv = Interview {
            form,
            root,
            lang,
            now,
            cursor: Cursor::End,
            events: Vec::new(),
            held: Default::default(),
            seeded: Default::default(),
            last_saved: Default::default(),
            seed: u64::from_le_bytes(
                uuid::Uuid::new_v4().as_bytes()[..8]
                    .try_into()
                    .unwrap_or([0; 8]),
            ),
        };
        iv.recompute_all();
        iv.cursor = iv
            .items()
            .into_iter()
            .next()
            .map_or(Cursor::End, Cursor::At);
        if let Cursor::At(item) = &iv.cursor {
            iv.events.push(Paradata::Enter(item.clone()));
        }
        iv.arrive();
        iv
    }

    /// Fixes the order of `randomize`d choice lists for this interview (the shell passes
    /// something of the interview's own, so the order is the same after a restart).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Hands in the answers of the last interview saved with this form (as
    /// [`Interview::answers`] gives them), for `${last-saved#q}`; then fills in the current
    /// question's dynamic default again, as it may read them.
    pub fn set_last_saved(&mut self, answers: Vec<(String, String)>) {
        self.last_saved = Arc::new(answers.into_iter().collect());
        self.seeded.clear();
        self.arrive();
    }

    /// Rebuilds an interview from saved answers (as produced by [`Interview::answers`]),
    /// keeping answers that do not fit the form any more out rather than failing.
    pub fn restore(
        form: Arc<Form>,
        now: DateTime<FixedOffset>,
        saved: &[(String, String)],
    ) -> (Interview, Vec<String>) {
        let mut iv = Interview::new(form, now);
        iv.events.clear();
        let mut dropped = Vec::new();
        for (key, raw) in saved {
            if !iv.restore_one(key, raw) {
                dropped.push(key.clone());
            }
        }
        iv.recompute_all();
        iv.cursor = iv
            .items()
            .into_iter()
            .next()
            .map_or(Cursor::End, Cursor::At);
        iv.arrive();
        (iv, dropped)
    }

    fn restore_one(&mut self, key: &str, raw: &str) -> bool {
        let Some(crate::form::AnswerKey { node, path }) = self.form.parse_key(key) else {
            return false;
        };
        let form = self.form.clone();
        let n = form.node(node);
        // Create missing open-ended repeat instances on the way down.
        for (depth, r) in n.chain.iter().enumerate() {
            let rn = form.node(*r);
            let Some(at) = tree::inst_mut(&form, &mut self.root, &n.chain[..depth], &path[..depth])
            else {
                return false;
            };
            let list = &mut at.reps[rn.rslot()];
            while list.len() <= path[depth] as usize && list.len() < MAX_REPEAT {
                list.push(Inst::new(&form, *r));
            }
        }
        let value = if matches!(n.kind, Kind::Calculate(_)) {
            Value::Str(raw.to_string())
        } else {
            match crate::form::answer::parse_answer(
                &n.kind,
                form.list_of(node),
                raw,
                *self.now.offset(),
            ) {
                Ok(v) => v,
                Err(_) => return false,
            }
        };
        match tree::inst_mut(&form, &mut self.root, &n.chain, &path) {
            Some(i) => {
                i.vals[n.slot as usize] = value;
                true
            }
            None => false,
        }
    }

    /// Re-evaluates every relevance, calculation and repeat count from scratch.
    pub fn recompute_all(&mut self) {
        let mut q = propagate::Queue::new();
        let mut scopes = vec![(ROOT, Vec::new())];
        while let Some((scope, path)) = scopes.pop() {
            self.queue_scope(scope, &path, &mut q);
            for &r in &self.form.scope(scope).child_repeats {
                let n = tree::inst(&self.form, &self.root, &self.form.node(scope).chain, &path)
                    .map_or(0, |i| i.reps[self.form.node(r).rslot()].len());
                for k in 0..n as u32 {
                    let mut p = path.clone();
                    p.push(k);
                    scopes.push((r, p));
                }
            }
        }
        self.run(q);
    }

    pub fn form(&self) -> &Arc<Form> {
        &self.form
    }

    pub fn language(&self) -> &str {
        &self.lang
    }

    /// Switches the language of labels and messages; unknown codes are ignored.
    pub fn set_language(&mut self, lang: &str) {
        if self.form.languages.iter().any(|l| l == lang) {
            self.lang = lang.to_string();
        }
    }

    /// Hands in the current time, for `today()` and `now()`.
    pub fn set_now(&mut self, now: DateTime<FixedOffset>) {
        self.now = now;
    }

    /// The value stored for a question (blank when unanswered).
    pub fn value(&self, node: NodeId, path: &[u32]) -> Value {
        self.stored(node, path)
    }

    /// The saveable result: `(key, value)` for every relevant, non-blank answer and
    /// calculation. Answers to questions that became irrelevant are left out, as in ODK.
    pub fn answers(&self) -> Vec<(String, String)> {
        self.collect(false)
    }

    /// Everything stored, relevant or not: what a draft must keep so that flipping an
    /// answer back does not lose what was typed further on.
    pub fn draft_answers(&self) -> Vec<(String, String)> {
        self.collect(true)
    }

    /// Whether any question holds an answer (relevant or not); calculations do not count.
    pub fn has_answers(&self) -> bool {
        self.form.nodes.iter().enumerate().any(|(i, n)| {
            if !n.kind.takes_answer() {
                return false;
            }
            let mut paths = Vec::new();
            tree::expand(&self.form, &self.root, &n.chain, &[], &mut paths);
            paths
                .iter()
                .any(|p| !self.stored(NodeId::new(i), p).is_blank())
        })
    }

    fn collect(&self, all: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, n) in self.form.nodes.iter().enumerate() {
            let id = NodeId::new(i);
            if !(n.kind.takes_answer() || matches!(n.kind, Kind::Calculate(_))) {
                continue;
            }
            let mut paths = Vec::new();
            tree::expand(&self.form, &self.root, &n.chain, &[], &mut paths);
            for p in paths {
                let v = self.stored(id, &p);
                if !v.is_blank() && (all || self.is_relevant(id, &p)) {
                    out.push((self.key(id, &p), v.to_str().into_owned()));
                }
            }
        }
        out
    }

    /// The stable name of one answer (see [`Form::key_text`]).
    pub fn key(&self, node: NodeId, path: &[u32]) -> String {
        self.form.key_text(node, path)
    }

    /// Consent questions are answered in order; a blank one makes consent pending, anything
    /// but `yes` declines it.
    pub fn consent(&self) -> Consent {
        let mut state = Consent::Given;
        for (i, n) in self.form.nodes.iter().enumerate() {
            if !n.consent || !self.is_relevant(NodeId::new(i), &[]) {
                continue;
            }
            match self.stored(NodeId::new(i), &[]).to_str().as_ref() {
                "yes" => {}
                "" => state = Consent::Pending,
                _ => return Consent::Declined,
            }
        }
        state
    }

    /// The first consent question not yet answered `yes`, if any.
    pub fn open_consent(&self) -> Option<NodeId> {
        self.form.nodes.iter().enumerate().find_map(|(i, n)| {
            let id = NodeId::new(i);
            (n.consent && self.is_relevant(id, &[]) && self.stored(id, &[]).to_str() != "yes")
                .then_some(id)
        })
    }

    /// Whether the form's `not_eligible` condition holds (e.g. the child is under 7).
    pub fn not_eligible(&self) -> bool {
        self.form
            .not_eligible
            .as_ref()
            .is_some_and(|e| crate::expr::eval(e, &self.cx(ROOT, &[])).to_bool())
    }

    /// The form's `instance_name` for this interview so far (blank answers read as blank).
    pub fn instance_name(&self) -> Option<String> {
        let e = self.form.instance_name.as_ref()?;
        let name = crate::expr::eval(e, &self.cx(ROOT, &[]))
            .to_str()
            .into_owned();
        // Before anything it names is answered, a concat is only its separators.
        Some(name.trim().to_string()).filter(|n| n.chars().any(char::is_alphanumeric))
    }

    /// Takes the paradata events (enter/leave question) since the last call.
    pub fn take_events(&mut self) -> Vec<Paradata> {
        std::mem::take(&mut self.events)
    }
}
