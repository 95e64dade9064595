//! The checked form: nodes in document order with resolved names and parsed expressions.

use super::graph::Graph;
use super::text::Text;
use crate::expr::{Expr, NodeId, Value};
use std::collections::HashMap;

/// The synthetic root group every form has; the root scope of answers.
pub const ROOT: NodeId = NodeId::new(0);

/// A choice list of the form: its place in [`Form::lists`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListId(u32);

impl ListId {
    pub(crate) const fn new(index: usize) -> ListId {
        ListId(index as u32)
    }
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where one answer lives: a question (or calculation) and, inside repeats, which copy of
/// each enclosing repeat (0-based). Stored as text ([`Form::key_text`]) so files stay
/// readable and stable across versions; parsed once, here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnswerKey {
    pub node: NodeId,
    pub path: Vec<u32>,
}

#[derive(Debug)]
pub struct Form {
    pub id: String,
    pub version: String,
    pub title: Text,
    pub default_language: String,
    pub languages: Vec<String>,
    /// Document order; `nodes[0]` is the root.
    pub nodes: Vec<Node>,
    pub lists: Vec<ChoiceList>,
    /// Each question by its key (see [`Node::key`]).
    pub by_name: HashMap<String, NodeId>,
    /// Names shared by questions in different groups.
    pub ambiguous: std::collections::HashSet<String>,
    pub graph: Graph,
    /// FNV-1a hash of the file's bytes: tells a changed file from the same version.
    pub source_hash: u64,
    /// The TOML it was built from (an XLSForm's after conversion): what the store keeps a
    /// copy of, so an interview can always be read with the exact form it was taken with.
    pub source: String,
    /// When true, the interview ends as "not eligible" (e.g. a child under 7).
    pub not_eligible: Option<Expr>,
    /// XLSForm's `instance_name`: a short name telling one interview from another
    /// (e.g. commune · sex · age), shown in draft lists and exported.
    pub instance_name: Option<Expr>,
    /// Per node, the questions its relevance depends on (see `inputs.rs`).
    pub relevance_inputs: Vec<Vec<NodeId>>,
    /// (question answered, node whose calculation it triggers), for every `trigger`; most
    /// forms have none, so answering checks an empty list.
    pub triggered: Vec<(NodeId, NodeId)>,
}

#[derive(Debug)]
pub struct Node {
    pub name: String,
    /// What answers are stored and looked up under: the name, or, when questions in
    /// different groups share a name (as XLSForm allows), the path of groups and repeats
    /// down to it joined with `:` (`child:name`), which no name can contain.
    pub key: String,
    pub kind: Kind,
    pub parent: NodeId,
    pub children: Vec<NodeId>,
    /// Repeats containing this node, outermost first; a repeat includes itself.
    pub chain: Vec<NodeId>,
    /// Index of this node's answer in its scope's slot table.
    pub slot: u32,
    /// Line of the row in the form file.
    pub line: u32,
    pub label: Option<Text>,
    pub hint: Option<Text>,
    /// XLSForm's `guidance_hint`: instructions for the surveyor, shown apart and never read
    /// aloud ("choose all that apply", "ask the adult").
    pub guidance: Option<Text>,
    pub required: Flag,
    pub required_message: Option<Text>,
    pub relevant: Option<Expr>,
    pub constraint: Option<Expr>,
    pub constraint_message: Option<Text>,
    pub default: Option<Value>,
    /// A `default` that is an expression (`today()`, `${other}`, `${last-saved#q}`):
    /// evaluated when the question is first reached and still blank.
    pub dynamic_default: Option<Expr>,
    /// XLSForm's `calculation` on a question (not a `calculate` row): the answer is computed
    /// and computed again whenever what it reads changes; the respondent may change it in
    /// between, as in ODK.
    pub calculation: Option<Expr>,
    /// XLSForm's `trigger`: the calculation runs only when one of these questions is
    /// answered (each an `Expr::Ref`), never on its own.
    pub trigger: Vec<Expr>,
    pub appearance: Option<String>,
    pub read_only: Flag,
    pub sensitive: bool,
    /// A consent question: nothing after it is reachable until it is answered `yes`.
    pub consent: bool,
    /// The form's referral question (a select_one with `yes`, outside repeats): the F9 key
    /// answers it, and the interview's referral flag is its answer.
    pub referral: bool,
}

impl Node {
    /// What this node's value is computed from: a calculate row's expression, or a
    /// question's `calculation`.
    pub fn calc(&self) -> Option<&Expr> {
        self.kind.calculation().or(self.calculation.as_ref())
    }
    /// A calculation kept up to date as its inputs change: any without a `trigger`.
    pub fn live_calc(&self) -> Option<&Expr> {
        self.calc().filter(|_| self.trigger.is_empty())
    }
    /// The questions whose answering runs this node's calculation.
    pub fn triggers(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.trigger.iter().flat_map(|e| e.refs())
    }
    /// For a repeat: its index in the enclosing scope's repeat table (0 for other nodes,
    /// which have none).
    pub(crate) fn rslot(&self) -> usize {
        self.kind.repeat().map_or(0, |r| r.rslot as usize)
    }
}

/// `required` and `read_only`: a constant or a condition.
#[derive(Debug, Clone)]
pub enum Flag {
    No,
    Yes,
    When(Expr),
}

/// What a node is, with the data only that kind has.
#[derive(Debug, Clone)]
pub enum Kind {
    Root(Scope),
    Group,
    Repeat(Repeat),
    Text,
    Integer,
    Decimal,
    SelectOne(Select),
    SelectMultiple(Select),
    Rank(Select),
    Date,
    Time,
    DateTime,
    Note,
    /// A value computed from others. A `calculate` row without a `calculation` is an error,
    /// so a checked form always has the expression.
    Calculate(Expr),
    Acknowledge,
    Range(RangeSpec),
}

/// What the root and each repeat instance hold: answer slots and nested repeats.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// How many answer slots an instance holds.
    pub nslots: u32,
    /// Repeats directly inside, in document order; a repeat's `rslot` indexes this.
    pub child_repeats: Vec<NodeId>,
}

#[derive(Debug, Clone)]
pub struct Repeat {
    pub scope: Scope,
    /// Index in the enclosing scope's repeat table.
    pub rslot: u32,
    /// `repeat_count`: a fixed number of instances, or an expression; `None` lets the
    /// surveyor add instances.
    pub count: Option<Expr>,
}

/// A select or rank question: its choice list and optional `choice_filter`.
#[derive(Debug, Clone)]
pub struct Select {
    pub list: ListId,
    pub filter: Option<Expr>,
    /// `parameters = { randomize = true }`: choices shown in an order of their own for
    /// each interview (against order effects), the same every time it is shown.
    pub randomize: bool,
    /// `seed`: a number or `${q}` fixing that order (same seed, same order).
    pub seed: Option<Expr>,
}

impl Select {
    pub(crate) fn new(list: ListId) -> Select {
        Select {
            list,
            filter: None,
            randomize: false,
            seed: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeSpec {
    pub start: f64,
    pub end: f64,
    pub step: f64,
}

impl RangeSpec {
    /// The values a respondent can pick, in order.
    pub(crate) fn values(&self) -> Vec<f64> {
        let n = ((self.end - self.start) / self.step).abs().round() as usize;
        let dir = if self.end >= self.start { 1.0 } else { -1.0 };
        (0..=n)
            .map(|i| self.start + dir * self.step * i as f64)
            .collect()
    }
}

impl Kind {
    pub fn list(&self) -> Option<ListId> {
        self.select().map(|s| s.list)
    }
    pub fn select(&self) -> Option<&Select> {
        match self {
            Kind::SelectOne(s) | Kind::SelectMultiple(s) | Kind::Rank(s) => Some(s),
            _ => None,
        }
    }
    pub(crate) fn is_container(&self) -> bool {
        matches!(self, Kind::Root(_) | Kind::Group | Kind::Repeat(_))
    }
    pub fn is_repeat(&self) -> bool {
        matches!(self, Kind::Repeat(_))
    }
    pub fn repeat(&self) -> Option<&Repeat> {
        match self {
            Kind::Repeat(r) => Some(r),
            _ => None,
        }
    }
    /// The answer slots and nested repeats of the root or a repeat.
    pub(crate) fn scope(&self) -> Option<&Scope> {
        match self {
            Kind::Root(s) | Kind::Repeat(Repeat { scope: s, .. }) => Some(s),
            _ => None,
        }
    }
    pub(crate) fn scope_mut(&mut self) -> Option<&mut Scope> {
        match self {
            Kind::Root(s) | Kind::Repeat(Repeat { scope: s, .. }) => Some(s),
            _ => None,
        }
    }
    /// The expression a value is computed from (a `calculate` row).
    pub fn calculation(&self) -> Option<&Expr> {
        match self {
            Kind::Calculate(e) => Some(e),
            _ => None,
        }
    }
    /// Shown to the respondent as a screen of its own.
    pub(crate) fn is_shown(&self) -> bool {
        !self.is_container() && !matches!(self, Kind::Calculate(_))
    }
    /// Takes an answer typed or picked by the respondent.
    pub fn takes_answer(&self) -> bool {
        self.is_shown() && !matches!(self, Kind::Note)
    }
}

#[derive(Debug)]
pub struct ChoiceList {
    pub name: String,
    pub choices: Vec<Choice>,
    /// Extra columns (used by `choice_filter`), in first-seen order.
    pub columns: Vec<String>,
}

#[derive(Debug)]
pub struct Choice {
    pub name: String,
    pub label: Text,
    /// Values of `columns`, same order; blank where a choice lacks one.
    pub extra: Vec<String>,
}

impl ChoiceList {
    pub fn find(&self, name: &str) -> Option<&Choice> {
        self.choices.iter().find(|c| c.name == name)
    }
    pub fn column(&self, choice: &Choice, col: &str) -> Value {
        if col == "name" {
            return Value::Str(choice.name.clone());
        }
        self.columns
            .iter()
            .position(|c| c == col)
            .and_then(|i| choice.extra.get(i))
            .map_or_else(Value::blank, |v| Value::Str(v.clone()))
    }
}

impl Form {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }
    /// The answer slots and nested repeats of the root or a repeat (empty for other nodes).
    pub(crate) fn scope(&self, id: NodeId) -> &Scope {
        static NONE: Scope = Scope {
            nslots: 0,
            child_repeats: Vec::new(),
        };
        self.node(id).kind.scope().unwrap_or(&NONE)
    }
    /// The form's referral question, if it marks one.
    pub fn referral_question(&self) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.referral).map(NodeId::new)
    }

    pub fn list_of(&self, id: NodeId) -> Option<&ChoiceList> {
        self.node(id).kind.list().map(|l| &self.lists[l.index()])
    }
    /// Questions a person answers or reads (not groups, not calculations).
    pub fn question_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.kind.is_shown()).count()
    }
    /// The stable name of one answer: `age`, or `children[2]/child_age` inside repeats
    /// (1-based, like ODK's instance paths). [`Form::parse_key`] reads it back.
    pub fn key_text(&self, node: NodeId, path: &[u32]) -> String {
        let n = self.node(node);
        let mut s = String::new();
        for (r, i) in n.chain.iter().zip(path) {
            if *r == node {
                break;
            }
            s.push_str(&self.node(*r).name);
            s.push_str(&format!("[{}]/", i + 1));
        }
        s.push_str(&n.key);
        if n.kind.is_repeat()
            && let Some(i) = path.last()
        {
            s.push_str(&format!("[{}]", i + 1));
        }
        s
    }

    /// Reads an answer key (`age`, `forum[2]/forum_date`) back into the question and its
    /// instance path (0-based). `None` when the key does not fit this form.
    pub fn parse_key(&self, key: &str) -> Option<AnswerKey> {
        let mut path = Vec::new();
        let mut parts = key.split('/').peekable();
        let mut last = None;
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                last = Some(part);
                break;
            }
            let (name, idx) = part.strip_suffix(']')?.split_once('[')?;
            let i: u32 = idx.parse().ok()?;
            // A repeat's name is unique among repeats, though a question elsewhere may share it.
            let r = match self.by_name.get(name) {
                Some(r) if self.node(*r).kind.is_repeat() => *r,
                _ => NodeId::new(
                    self.nodes
                        .iter()
                        .position(|n| n.kind.is_repeat() && n.name == name)?,
                ),
            };
            if !self.node(r).kind.is_repeat() || i == 0 {
                return None;
            }
            path.push(i - 1);
        }
        let node = *self.by_name.get(last?)?;
        // Only questions and calculations hold values; a key naming a group or a repeat (data
        // from another version of the form, or a hand-edited file) fits nothing here.
        if self.node(node).kind.is_container() {
            return None;
        }
        let expect: Vec<NodeId> = self
            .node(node)
            .chain
            .iter()
            .copied()
            .filter(|r| *r != node)
            .collect();
        let chain_ok = expect.len() == path.len()
            && key
                .split('/')
                .zip(&expect)
                .all(|(part, r)| part.split('[').next() == Some(self.node(*r).name.as_str()));
        chain_ok.then_some(AnswerKey { node, path })
    }
}
