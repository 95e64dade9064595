//! The parsed form of an expression: a small tree, built once and evaluated many times.

use super::func::Func;

/// Byte offset of a token inside the expression text, for error messages.
pub(crate) type Pos = u32;

/// A node of a form (question, group or repeat): its place in the form's node table,
/// assigned when the form is built. A type of its own so it cannot be mixed up with a
/// count, a slot or a choice list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    pub const fn new(index: usize) -> NodeId {
        NodeId(index as u32)
    }
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Marker for a `${name}` not yet resolved to a node.
pub const UNRESOLVED: NodeId = NodeId(u32::MAX);

#[derive(Debug, Clone)]
pub enum Expr {
    Num(f64),
    Str {
        text: String,
        pos: Pos,
    },
    /// `${name}`; `node` is filled in by the form builder.
    Ref {
        name: String,
        node: NodeId,
        pos: Pos,
    },
    /// `.`: the question the expression belongs to.
    Current,
    /// `..`: only meaningful as the argument of `position(..)`.
    Parent,
    /// A bare name. Only valid inside `choice_filter`, where it names a choice column.
    Name {
        name: String,
        pos: Pos,
    },
    Neg(Box<Expr>),
    Bin {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        pos: Pos,
    },
    Call {
        func: Func,
        args: Vec<Expr>,
        pos: Pos,
    },
    /// `instance('list')/root/item[filter]/column`: the `column` of every choice of `list`
    /// for which `filter` holds (bare names in it are the list's columns).
    Lookup {
        list: String,
        filter: Option<Box<Expr>>,
        column: String,
        pos: Pos,
    },
    /// `regex(subject, 'literal')`, compiled once when parsed.
    Regex {
        subject: Box<Expr>,
        re: Box<regex::Regex>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinOp {
    pub(crate) fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod
        )
    }
    pub(crate) fn is_relational(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }
}

impl Expr {
    /// Calls `f` on this expression and every sub-expression, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Neg(e) => e.walk(f),
            Expr::Bin { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            Expr::Regex { subject, .. } => subject.walk(f),
            Expr::Lookup {
                filter: Some(e), ..
            } => e.walk(f),
            _ => {}
        }
    }

    /// Mutable version of [`Expr::walk`], used to resolve names.
    pub fn walk_mut(&mut self, f: &mut impl FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Neg(e) => e.walk_mut(f),
            Expr::Bin { lhs, rhs, .. } => {
                lhs.walk_mut(f);
                rhs.walk_mut(f);
            }
            Expr::Call { args, .. } => args.iter_mut().for_each(|a| a.walk_mut(f)),
            Expr::Regex { subject, .. } => subject.walk_mut(f),
            Expr::Lookup {
                filter: Some(e), ..
            } => e.walk_mut(f),
            _ => {}
        }
    }

    /// The nodes this expression reads in this interview, each once, in order of
    /// appearance. `${last-saved#q}` reads another interview, so it names no input here.
    pub(crate) fn refs(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        self.live_refs(&mut out);
        out
    }

    fn live_refs(&self, out: &mut Vec<NodeId>) {
        match self {
            Expr::Ref { node, .. } if *node != UNRESOLVED && !out.contains(node) => out.push(*node),
            Expr::Neg(e) => e.live_refs(out),
            Expr::Bin { lhs, rhs, .. } => {
                lhs.live_refs(out);
                rhs.live_refs(out);
            }
            Expr::Call {
                func: super::func::Func::LastSaved,
                ..
            } => {}
            Expr::Call { args, .. } => args.iter().for_each(|a| a.live_refs(out)),
            Expr::Regex { subject, .. } => subject.live_refs(out),
            Expr::Lookup {
                filter: Some(e), ..
            } => e.live_refs(out),
            _ => {}
        }
    }
}
