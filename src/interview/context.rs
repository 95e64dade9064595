//! How an expression inside an interview sees answers: repeat-relative, relevance-aware.

use super::Interview;
use super::tree::{common, expand, inst};
use crate::expr::{Context, NodeId, Value};
use crate::form::{Choice, ChoiceList};
use chrono::{DateTime, FixedOffset};

pub(crate) struct Cx<'a> {
    pub iv: &'a Interview,
    pub node: NodeId,
    pub path: &'a [u32],
    /// The value `.` stands for when it is not the stored one (a constraint on a new answer).
    pub current: Option<&'a Value>,
    /// The choice a `choice_filter` is testing.
    pub choice: Option<(&'a ChoiceList, &'a Choice)>,
}

impl Context for Cx<'_> {
    fn value(&self, f: NodeId) -> Value {
        let form = &*self.iv.form;
        let fchain = &form.node(f).chain;
        let k = common(&form.node(self.node).chain, fchain).min(self.path.len());
        if fchain.len() == k {
            return self.iv.effective(f, &self.path[..k]);
        }
        let mut paths = Vec::new();
        expand(form, &self.iv.root, fchain, &self.path[..k], &mut paths);
        Value::Nodes(paths.iter().map(|p| self.iv.effective(f, p)).collect())
    }

    fn current(&self) -> Value {
        match self.current {
            Some(v) => v.clone(),
            None => self.iv.stored(self.node, self.path),
        }
    }

    fn position(&self) -> f64 {
        let depth = self.iv.form.node(self.node).chain.len();
        match depth.checked_sub(1).and_then(|d| self.path.get(d)) {
            Some(i) => f64::from(*i) + 1.0,
            None => f64::NAN,
        }
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.iv.now
    }

    fn choice_label(&self, node: NodeId, value: &str) -> String {
        let lang = &self.iv.lang;
        self.iv
            .form
            .list_of(node)
            .and_then(|l| l.find(value))
            .map_or_else(String::new, |c| c.label.get(lang).to_string())
    }

    fn column(&self, name: &str) -> Value {
        self.choice
            .map_or_else(Value::blank, |(l, c)| l.column(c, name))
    }

    fn indexed(&self, f: NodeId, at: &[(NodeId, f64)]) -> Value {
        let form = &*self.iv.form;
        let own = &form.node(self.node).chain;
        let mut path = Vec::new();
        for (d, r) in form.node(f).chain.iter().enumerate() {
            let i = match at.iter().find(|(rep, _)| rep == r) {
                Some((_, i)) if i.is_finite() && *i >= 1.0 => *i as u32 - 1,
                Some(_) => return Value::blank(),
                // A repeat not named: the instance the expression sits in, else the first.
                None if own.get(d) == Some(r) => self.path.get(d).copied().unwrap_or(0),
                None => 0,
            };
            path.push(i);
        }
        self.iv.effective(f, &path)
    }

    fn lookup(&self, list: &str, filter: Option<&crate::expr::Expr>, column: &str) -> Value {
        let Some(l) = self.iv.form.lists.iter().find(|l| l.name == list) else {
            return Value::Nodes(Vec::new());
        };
        let lang = &self.iv.lang;
        let found = l
            .choices
            .iter()
            .filter(|c| {
                filter.is_none_or(|f| {
                    let cx = Cx {
                        choice: Some((l, c)),
                        ..*self
                    };
                    crate::expr::eval(f, &cx).to_bool()
                })
            })
            .map(|c| match column {
                "label" => Value::Str(c.label.get(lang).to_string()),
                col => l.column(c, col),
            })
            .collect();
        Value::Nodes(found)
    }

    fn last_saved(&self, f: NodeId) -> Value {
        let form = &*self.iv.form;
        // Inside repeats, the same instance of the last interview.
        let depth = form.node(f).chain.len().min(self.path.len());
        let key = form.key_text(f, &self.path[..depth]);
        self.iv
            .last_saved
            .get(&key)
            .map_or_else(Value::blank, |v| Value::Str(v.clone()))
    }
}

impl Interview {
    /// The stored value, ignoring relevance.
    pub(crate) fn stored(&self, node: NodeId, path: &[u32]) -> Value {
        let n = self.form.node(node);
        inst(&self.form, &self.root, &n.chain, path)
            .and_then(|i| i.vals.get(n.slot as usize))
            .cloned()
            .unwrap_or_else(Value::blank)
    }

    /// Whether the node is relevant at `path` (its own condition and its groups').
    pub(crate) fn is_relevant(&self, node: NodeId, path: &[u32]) -> bool {
        let n = self.form.node(node);
        inst(&self.form, &self.root, &n.chain, path)
            .and_then(|i| i.rel.get(n.slot as usize))
            .copied()
            .unwrap_or(false)
    }

    /// What an expression sees: the stored value, or blank when not relevant.
    pub(crate) fn effective(&self, node: NodeId, path: &[u32]) -> Value {
        if self.is_relevant(node, path) {
            self.stored(node, path)
        } else {
            Value::blank()
        }
    }

    pub(crate) fn cx<'a>(&'a self, node: NodeId, path: &'a [u32]) -> Cx<'a> {
        Cx {
            iv: self,
            node,
            path,
            current: None,
            choice: None,
        }
    }
}
