//! Answering one question: type, offered choices, constraint, required, read-only.

use super::Interview;
use super::context::Cx;
use crate::expr::{NodeId, Value, eval};
use crate::form::answer::parse_answer;
use crate::form::messages;
use crate::form::text::interpolate;
use crate::form::{Choice, Flag, Kind};

impl Interview {
    /// Records an answer typed or picked for question `node` at `path`.
    ///
    /// Refused (with the message to show, in the current language) when the text does not
    /// fit the question type, picks a choice not offered, breaks the constraint, or the
    /// question is read-only. A refused answer changes nothing.
    pub fn answer(&mut self, node: NodeId, path: &[u32], raw: &str) -> Result<(), String> {
        let value = self.check_answer(node, path, raw)?;
        self.store(node, path, value);
        self.release(node, path);
        Ok(())
    }

    /// What [`Interview::answer`] would store for `raw`, or its refusal; changes nothing.
    pub fn check_answer(&self, node: NodeId, path: &[u32], raw: &str) -> Result<Value, String> {
        let form = self.form.clone();
        let n = form.node(node);
        if !n.kind.takes_answer() {
            return Err(messages::answer_error(
                &crate::form::answer::AnswerError::NotAnswerable,
                &self.lang,
            ));
        }
        if self.is_read_only(node, path) {
            return Err(messages::read_only(&self.lang).into());
        }
        let value = parse_answer(&n.kind, form.list_of(node), raw, *self.now.offset())
            .map_err(|e| messages::answer_error(&e, &self.lang))?;
        if !value.is_blank() && n.kind.list().is_some() {
            let offered = self.choices(node, path);
            let s = value.to_str();
            let picked: Vec<&str> = s.split_ascii_whitespace().collect();
            if picked.iter().any(|p| !offered.iter().any(|c| c.name == *p)) {
                return Err(messages::filtered_out(&self.lang).into());
            }
            if matches!(n.kind, Kind::Rank(_)) && picked.len() != offered.len() {
                return Err(messages::rank_incomplete(&self.lang).into());
            }
        }
        self.constraint_ok(node, path, &value)?;
        Ok(value)
    }

    /// Clears an answer (allowed even when required: `next` is what insists).
    pub fn clear(&mut self, node: NodeId, path: &[u32]) {
        if self.form.node(node).kind.takes_answer() {
            self.store(node, path, Value::blank());
            self.release(node, path);
        }
    }

    fn store(&mut self, node: NodeId, path: &[u32], value: Value) {
        self.set_value(node, path, value, 0);
    }

    /// Checks a value against the question's constraint; blank values are not checked.
    fn constraint_ok(&self, node: NodeId, path: &[u32], value: &Value) -> Result<(), String> {
        let n = self.form.node(node);
        let Some(c) = &n.constraint else {
            return Ok(());
        };
        if value.is_blank() {
            return Ok(());
        }
        let cx = Cx {
            iv: self,
            node,
            path,
            current: Some(value),
            choice: None,
        };
        if eval(c, &cx).to_bool() {
            Ok(())
        } else {
            Err(self.text_or(
                node,
                path,
                n.constraint_message.as_ref(),
                messages::constraint_failed(&self.lang),
            ))
        }
    }

    /// Whether the stored answer may be left behind: required filled, constraint holds.
    pub(crate) fn check_stored(&self, node: NodeId, path: &[u32]) -> Result<(), String> {
        let n = self.form.node(node);
        let v = self.stored(node, path);
        if v.is_blank() && self.is_required(node, path) {
            return Err(self.text_or(
                node,
                path,
                n.required_message.as_ref(),
                messages::required(&self.lang),
            ));
        }
        self.constraint_ok(node, path, &v)
    }

    fn flag(&self, f: &Flag, node: NodeId, path: &[u32]) -> bool {
        match f {
            Flag::No => false,
            Flag::Yes => true,
            Flag::When(e) => eval(e, &self.cx(node, path)).to_bool(),
        }
    }

    pub(crate) fn is_required(&self, node: NodeId, path: &[u32]) -> bool {
        let n = self.form.node(node);
        // A consent question is always required: silence is not consent.
        n.kind.takes_answer() && (n.consent || self.flag(&n.required, node, path))
    }

    pub fn is_read_only(&self, node: NodeId, path: &[u32]) -> bool {
        self.flag(&self.form.node(node).read_only, node, path)
    }

    /// The choices offered for a select question here, after `choice_filter`.
    pub fn choices(&self, node: NodeId, path: &[u32]) -> Vec<&Choice> {
        let Some(list) = self.form.list_of(node) else {
            return Vec::new();
        };
        let select = self.form.node(node).kind.select();
        let filter = select.and_then(|s| s.filter.as_ref());
        let offered: Vec<&Choice> = list
            .choices
            .iter()
            .filter(|c| {
                filter.is_none_or(|f| {
                    let cx = Cx {
                        iv: self,
                        node,
                        path,
                        current: None,
                        choice: Some((list, c)),
                    };
                    eval(f, &cx).to_bool()
                })
            })
            .collect();
        match select {
            Some(s) if s.randomize => {
                let seed = s.seed.as_ref().map_or(self.seed, |e| {
                    eval(e, &self.cx(node, path)).to_num().to_bits()
                });
                shuffled(
                    offered,
                    seed ^ (node.index() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                )
            }
            _ => offered,
        }
    }

    /// A form text in the current language with `${name}` filled in.
    pub fn render(&self, node: NodeId, path: &[u32], text: &crate::form::Text) -> String {
        use crate::expr::Context;
        interpolate(text.get(&self.lang), |name| {
            let (q, last) = match name.strip_prefix("last-saved#") {
                Some(q) => (q, true),
                None => (name, false),
            };
            self.form.by_name.get(q).map_or_else(String::new, |f| {
                let cx = self.cx(node, path);
                let v = if last {
                    cx.last_saved(*f)
                } else {
                    cx.value(*f)
                };
                v.to_str().into_owned()
            })
        })
    }

    fn text_or(
        &self,
        node: NodeId,
        path: &[u32],
        t: Option<&crate::form::Text>,
        fallback: &str,
    ) -> String {
        t.map_or_else(|| fallback.to_string(), |t| self.render(node, path, t))
    }

    pub fn label(&self, node: NodeId, path: &[u32]) -> String {
        let n = self.form.node(node);
        n.label
            .as_ref()
            .map_or_else(|| n.name.clone(), |t| self.render(node, path, t))
    }

    pub fn hint(&self, node: NodeId, path: &[u32]) -> Option<String> {
        self.form
            .node(node)
            .hint
            .as_ref()
            .map(|t| self.render(node, path, t))
    }

    /// The surveyor's instructions for this question (`guidance_hint`), if any.
    pub fn guidance(&self, node: NodeId, path: &[u32]) -> Option<String> {
        self.form
            .node(node)
            .guidance
            .as_ref()
            .map(|t| self.render(node, path, t))
    }
}

/// Fisher–Yates with SplitMix64: the same seed gives the same order on every device.
fn shuffled<T>(mut v: Vec<T>, seed: u64) -> Vec<T> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..v.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}
