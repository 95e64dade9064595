//! Values the form fills in rather than the respondent: dynamic defaults (once, when a
//! question is first reached blank), calculations on questions, and `trigger`s (a
//! calculation that runs only when another question is answered).

use super::Interview;
use super::nav::{Cursor, Item};
use super::propagate::Queue;
use super::tree::{self, common, expand};
use crate::expr::{Expr, NodeId, Value, eval};
use crate::form::answer::parse_answer;
use crate::form::graph::Vertex;
use crate::form::{AnswerKey, Kind};

/// How deep one answer may set off triggers that set off triggers (a form where two
/// questions trigger each other must not hang the interview).
const MAX_TRIGGER_DEPTH: u8 = 8;

impl Interview {
    /// A calculation's result as node `node` holds it: as it is for a calculate row; for a
    /// question, read as an answer of its type (blank when it does not fit, as ODK leaves a
    /// question whose calculation gives something it cannot hold).
    pub(crate) fn computed(&self, node: NodeId, calc: &Expr, path: &[u32]) -> Value {
        let v = eval(calc, &self.cx(node, path));
        let n = self.form.node(node);
        if matches!(n.kind, Kind::Calculate(_)) || v.is_blank() {
            return v;
        }
        parse_answer(
            &n.kind,
            self.form.list_of(node),
            &v.to_str(),
            *self.now.offset(),
        )
        .unwrap_or_else(|_| Value::blank())
    }

    /// Stores a value and brings everything that depends on it up to date.
    pub(crate) fn set_value(&mut self, node: NodeId, path: &[u32], value: Value, depth: u8) {
        let form = self.form.clone();
        let n = form.node(node);
        let Some(i) = tree::inst_mut(&form, &mut self.root, &n.chain, path) else {
            return;
        };
        let slot = &mut i.vals[n.slot as usize];
        if *slot == value {
            return;
        }
        *slot = value;
        let mut q = Queue::new();
        self.queue_dependents(Vertex::val(node), path, &mut q);
        self.run(q);
        self.fire_triggers(node, path, depth);
    }

    /// `source` changed at `path`: runs the calculation of every node it triggers, in the
    /// instances it concerns.
    pub(crate) fn fire_triggers(&mut self, source: NodeId, path: &[u32], depth: u8) {
        if depth >= MAX_TRIGGER_DEPTH {
            return;
        }
        let form = self.form.clone();
        for &(_, target) in form.triggered.iter().filter(|(s, _)| *s == source) {
            let n = form.node(target);
            let k = common(&form.node(source).chain, &n.chain).min(path.len());
            let mut paths = Vec::new();
            expand(&form, &self.root, &n.chain, &path[..k], &mut paths);
            for p in paths {
                // A trigger without a calculation clears the question, as in ODK.
                let v = n
                    .calc()
                    .map_or_else(Value::blank, |c| self.computed(target, c, &p));
                self.set_value(target, &p, v, depth + 1);
            }
        }
    }

    /// The cursor arrived at an item: a blank question with a dynamic default gets it, once.
    pub(crate) fn arrive(&mut self) {
        let Cursor::At(Item::Question { node, path }) = &self.cursor else {
            return;
        };
        let (node, path) = (*node, path.clone());
        let form = self.form.clone();
        let Some(e) = &form.node(node).dynamic_default else {
            return;
        };
        if !self.stored(node, &path).is_blank() {
            return;
        }
        let key = AnswerKey {
            node,
            path: path.clone(),
        };
        if !self.seeded.insert(key) {
            return;
        }
        let v = self.computed(node, e, &path);
        if !v.is_blank() {
            self.set_value(node, &path, v, 0);
        }
    }
}
