//! Text entered for a question but not accepted when the surveyor left it (invalid or
//! incomplete): kept with the interview so nothing typed is lost, shown again with its
//! message, listed in review, and never counted or exported as an answer.

use super::Interview;
use crate::expr::NodeId;
use crate::form::{AnswerKey, messages};

impl Interview {
    /// Keeps `raw` as the text entered for this question, without answering it.
    pub fn hold(&mut self, node: NodeId, path: &[u32], raw: &str) {
        let key = AnswerKey {
            node,
            path: path.to_vec(),
        };
        self.held.insert(key, raw.to_string());
    }

    /// The text held for this question, if any.
    pub fn held(&self, node: NodeId, path: &[u32]) -> Option<&str> {
        let key = AnswerKey {
            node,
            path: path.to_vec(),
        };
        self.held.get(&key).map(String::as_str)
    }

    /// Forgets the held text (the question was answered or cleared).
    pub(crate) fn release(&mut self, node: NodeId, path: &[u32]) {
        if !self.held.is_empty() {
            let key = AnswerKey {
                node,
                path: path.to_vec(),
            };
            self.held.remove(&key);
        }
    }

    /// Whether any text is held anywhere in the interview.
    pub fn has_held(&self) -> bool {
        !self.held.is_empty()
    }

    /// Held texts by answer key, for the draft.
    pub fn held_texts(&self) -> Vec<(String, String)> {
        self.held
            .iter()
            .map(|(k, raw)| (self.key(k.node, &k.path), raw.clone()))
            .collect()
    }

    /// Takes back held texts from a draft; keys that no longer fit the form are dropped.
    pub fn restore_held(&mut self, saved: &[(String, String)]) {
        for (key, raw) in saved {
            if let Some(k) = self.form.parse_key(key)
                && self.form.node(k.node).kind.takes_answer()
            {
                self.held.insert(k, raw.clone());
            }
        }
    }

    /// Why the held text is not an answer: the message its check gives now, or (when it
    /// would be accepted now) that it still needs Enter.
    pub fn held_problem(&self, node: NodeId, path: &[u32]) -> Option<String> {
        let raw = self.held(node, path)?;
        Some(match self.check_answer(node, path, raw) {
            Err(m) => m,
            Ok(_) => messages::not_confirmed(&self.lang).to_string(),
        })
    }
}
