//! Static checks on expressions: names resolve, types fit, choices exist.
//!
//! Catching `${sex} = 'mal'` when the list says `male` at check time saves a surveyor from a
//! question that silently never shows in the field.

use super::model::{ChoiceList, Kind, ListId, Node};
use super::suggest::suggest;
use crate::expr::value::str_to_num;
use crate::expr::{BinOp, Expr, Func, NodeId, UNRESOLVED};
use std::collections::HashMap;

/// Where an expression sits: its question, and for `choice_filter` the list it filters.
pub(crate) struct Site<'a> {
    pub filter: Option<ListId>,
    pub nodes: &'a [Node],
    pub by_name: &'a HashMap<String, NodeId>,
    /// Names several questions share (in different groups): a reference to one is an error.
    pub ambiguous: &'a std::collections::HashSet<String>,
    pub lists: &'a [ChoiceList],
}

type Found = Vec<(usize, String)>;

impl Site<'_> {
    pub fn check(&self, e: &mut Expr, out: &mut Found) {
        self.resolve(e, out);
        self.types(e, false, out);
    }

    fn resolve(&self, e: &mut Expr, out: &mut Found) {
        e.walk_mut(&mut |x| {
            let Expr::Ref { name, node, pos } = x else {
                return;
            };
            match self.by_name.get(name.as_str()) {
                Some(id) => *node = *id,
                None if self.ambiguous.contains(name.as_str()) => out.push((
                    *pos as usize,
                    format!("`${{{name}}}` is ambiguous: more than one question is named `{name}`; rename one to refer to it"),
                )),
                None => {
                    let names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
                    let hint = suggest(name, &names)
                        .map_or(String::new(), |s| format!(" (did you mean `${{{s}}}`?)"));
                    out.push((
                        *pos as usize,
                        format!("unknown question `${{{name}}}`{hint}"),
                    ));
                }
            }
        });
    }

    fn node(&self, e: &Expr) -> Option<&Node> {
        match e {
            Expr::Ref { node, .. } if *node != UNRESOLVED => Some(&self.nodes[node.index()]),
            _ => None,
        }
    }

    /// `instance('list')/root/item[filter]/column` on one of the form's lists.
    fn lookup(&self, list: &str, filter: Option<&Expr>, column: &str, pos: u32, out: &mut Found) {
        let Some(id) = self.lists.iter().position(|l| l.name == list) else {
            out.push((
                pos as usize,
                format!("unknown choice list `{list}` in instance('{list}')"),
            ));
            return;
        };
        let l = &self.lists[id];
        if !matches!(column, "name" | "label") && !l.columns.iter().any(|c| c == column) {
            out.push((
                pos as usize,
                format!("choice list `{list}` has no column `{column}`"),
            ));
        }
        if let Some(f) = filter {
            let inner = Site {
                filter: Some(super::model::ListId::new(id)),
                ..*self
            };
            inner.types(f, false, out);
        }
    }

    fn list_of(&self, e: &Expr) -> Option<(&ChoiceList, &Node)> {
        let n = self.node(e)?;
        n.kind.list().map(|l| (&self.lists[l.index()], n))
    }

    fn types(&self, e: &Expr, in_count: bool, out: &mut Found) {
        match e {
            Expr::Ref { node, name, pos } if *node != UNRESOLVED => match &self.nodes[node.index()].kind {
                Kind::Group => out.push((*pos as usize, format!("`${{{name}}}` is a group, not a question"))),
                Kind::Repeat(_) if !in_count => out.push((
                    *pos as usize,
                    format!("`${{{name}}}` is a repeat: use count(${{{name}}}) for how many"),
                )),
                _ => {}
            },
            Expr::Name { name, pos } => match self.filter {
                Some(l) => {
                    let list = &self.lists[l.index()];
                    if name != "name" && !list.columns.contains(name) {
                        out.push((*pos as usize, format!("choice list `{}` has no column `{name}`", list.name)));
                    }
                }
                None => out.push((
                    *pos as usize,
                    format!("`{name}` is not a function or a reference (write ${{{name}}} for a question)"),
                )),
            },
            Expr::Parent => {}
            Expr::Lookup { list, filter, column, pos } => self.lookup(list, filter.as_deref(), column, *pos, out),
            Expr::Neg(x) => self.types(x, false, out),
            Expr::Regex { subject, .. } => self.types(subject, false, out),
            Expr::Bin { op, lhs, rhs, .. } => {
                self.types(lhs, false, out);
                self.types(rhs, false, out);
                if matches!(op, BinOp::Eq | BinOp::Ne) {
                    self.choice_compare(lhs, rhs, out);
                    self.choice_compare(rhs, lhs, out);
                }
                if op.is_arithmetic() || op.is_relational() {
                    for side in [lhs, rhs] {
                        if let Expr::Str { text, pos: p } = side.as_ref()
                            && !text.is_empty()
                            && str_to_num(text).is_nan()
                            && super::answer::parse_date(text).is_none()
                        {
                            out.push((*p as usize, format!("text '{text}' is used as a number")));
                        }
                    }
                }
            }
            Expr::Call { func, args, pos } => self.call(*func, args, *pos, out),
            _ => {}
        }
    }

    fn call(&self, func: Func, args: &[Expr], pos: u32, out: &mut Found) {
        let counting = matches!(func, Func::Count | Func::Sum | Func::Min | Func::Max);
        for (i, a) in args.iter().enumerate() {
            if func == Func::Position && matches!(a, Expr::Parent) {
                continue;
            }
            if matches!(a, Expr::Parent) {
                out.push((pos as usize, "`..` only goes in position(..)".to_string()));
            }
            if func == Func::ChoiceName && i == 1 {
                continue;
            }
            // indexed-repeat(${q}, ${repeat}, i, …): the odd arguments name repeats.
            if func == Func::IndexedRepeat && i % 2 == 1 {
                if !matches!(self.node(a).map(|n| &n.kind), Some(Kind::Repeat(_))) {
                    let msg = "indexed-repeat() takes a question, then pairs of a repeat like ${repeat} and a number";
                    out.push((pos as usize, msg.to_string()));
                }
                continue;
            }
            self.types(a, counting, out);
        }
        match func {
            Func::Selected => {
                if let (Some((list, n)), Some(Expr::Str { text, pos })) =
                    (self.list_of(&args[0]), args.get(1))
                {
                    self.must_be_choice(list, n, text, *pos, out);
                }
            }
            Func::ChoiceName if self.list_of(&args[1]).is_none() => {
                let p = match &args[1] {
                    Expr::Ref { pos, .. } | Expr::Str { pos, .. } => *pos,
                    _ => pos,
                };
                out.push((p as usize, "jr:choice-name needs a select question as its second argument, like jr:choice-name(${q}, '${q}')".into()));
            }
            Func::Position if args.iter().any(|a| !matches!(a, Expr::Parent)) => {
                out.push((pos as usize, "position() takes `..` or nothing".into()));
            }
            _ => {}
        }
    }

    fn choice_compare(&self, a: &Expr, b: &Expr, out: &mut Found) {
        let (Some((list, n)), Expr::Str { text, pos }) = (self.list_of(a), b) else {
            return;
        };
        if text.is_empty() {
            return;
        }
        if matches!(n.kind, Kind::SelectMultiple(_)) {
            out.push((
                *pos as usize,
                format!(
                    "`${{{}}}` allows several answers: use selected(${{{}}}, '{text}')",
                    n.name, n.name
                ),
            ));
            return;
        }
        self.must_be_choice(list, n, text, *pos, out);
    }

    fn must_be_choice(&self, list: &ChoiceList, n: &Node, text: &str, pos: u32, out: &mut Found) {
        if list.find(text.trim()).is_none() {
            let names: Vec<&str> = list.choices.iter().map(|c| c.name.as_str()).collect();
            let hint =
                suggest(text, &names).map_or(String::new(), |s| format!(" (did you mean '{s}'?)"));
            out.push((
                pos as usize,
                format!(
                    "'{text}' is not a choice of `${{{}}}` (list `{}`){hint}",
                    n.name, list.name
                ),
            ));
        }
    }
}
