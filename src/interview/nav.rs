//! Moving through an interview: the visible items in order, and the cursor over them.

use super::Interview;
use super::propagate::{MAX_REPEAT, Queue};
use super::tree::{self, Inst, Path};
use crate::expr::NodeId;
use crate::form::{Kind, ROOT};

/// One stop in the interview.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    /// A question or note, at an instance path.
    Question { node: NodeId, path: Path },
    /// "Add another …?" after the instances of an open-ended repeat; `path` is the
    /// instance around the repeat.
    AddRepeat { repeat: NodeId, path: Path },
}

impl Item {
    pub fn node(&self) -> NodeId {
        match self {
            Item::Question { node, .. } => *node,
            Item::AddRepeat { repeat, .. } => *repeat,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    At(Item),
    /// Past the last question: the review screen.
    End,
}

/// Paradata: the respondent arrived at or left an item. Time-stamped by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paradata {
    Enter(Item),
    Leave(Item),
}

impl Interview {
    /// The items a respondent sees, in order: relevance applied, repeats expanded.
    pub fn items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        self.walk(ROOT, &mut Vec::new(), &mut out);
        out
    }

    fn walk(&self, container: NodeId, path: &mut Path, out: &mut Vec<Item>) {
        let form = &*self.form;
        for &c in &form.node(container).children {
            let n = form.node(c);
            match &n.kind {
                Kind::Repeat(rep) => {
                    let count = tree::inst(form, &self.root, &n.chain[..n.chain.len() - 1], path)
                        .map_or(0, |i| i.reps[n.rslot()].len());
                    for i in 0..count as u32 {
                        path.push(i);
                        if self.is_relevant(c, path) {
                            self.walk(c, path, out);
                        }
                        path.pop();
                    }
                    if rep.count.is_none() && count < MAX_REPEAT {
                        out.push(Item::AddRepeat {
                            repeat: c,
                            path: path.clone(),
                        });
                    }
                }
                Kind::Group if self.is_relevant(c, path) => self.walk(c, path, out),
                Kind::Group => {}
                _ if n.kind.is_shown() && self.is_relevant(c, path) => {
                    out.push(Item::Question {
                        node: c,
                        path: path.clone(),
                    });
                }
                _ => {}
            }
        }
    }

    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// The current item, or `None` on the review screen.
    pub fn current(&self) -> Option<&Item> {
        match &self.cursor {
            Cursor::At(i) => Some(i),
            Cursor::End => None,
        }
    }

    fn move_to(&mut self, to: Cursor) {
        if to == self.cursor {
            return;
        }
        if let Cursor::At(i) = &self.cursor {
            self.events.push(super::Paradata::Leave(i.clone()));
        }
        if let Cursor::At(i) = &to {
            self.events.push(super::Paradata::Enter(i.clone()));
        }
        self.cursor = to;
        self.arrive();
    }

    /// Index of the cursor among `items`; an item that vanished (made irrelevant by a
    /// later answer) counts as where its successor now is.
    fn index_in(&self, items: &[Item]) -> usize {
        match &self.cursor {
            Cursor::End => items.len(),
            Cursor::At(cur) => items.iter().position(|i| i == cur).unwrap_or_else(|| {
                items
                    .iter()
                    .position(|i| self.doc_after(i, cur))
                    .unwrap_or(items.len())
            }),
        }
    }

    /// Whether `a` comes after `b` in the form.
    fn doc_after(&self, a: &Item, b: &Item) -> bool {
        self.doc_key(a) > self.doc_key(b)
    }

    /// Document order across repeat instances: (repeat, instance) per level, then the node.
    fn doc_key(&self, item: &Item) -> Vec<(NodeId, u32)> {
        let (node, path, last) = match item {
            Item::Question { node, path } => (*node, path, 0),
            Item::AddRepeat { repeat, path } => (*repeat, path, u32::MAX),
        };
        let chain = &self.form.node(node).chain;
        let mut key: Vec<(NodeId, u32)> = chain.iter().zip(path).map(|(r, i)| (*r, *i)).collect();
        key.push((node, last));
        key
    }

    /// Moves forward. Refused, with the message to show, when the current question is
    /// required and blank or its answer breaks its constraint. On an "add another?"
    /// prompt, moving on means "no more".
    pub fn advance(&mut self) -> Result<(), String> {
        if let Some(Item::Question { node, path }) = self.current().cloned() {
            self.check_stored(node, &path)?;
        }
        let items = self.items();
        let i = self.index_in(&items);
        let at = match &self.cursor {
            Cursor::At(cur) if items.get(i) == Some(cur) => i + 1,
            _ => i,
        };
        self.move_to(items.get(at).cloned().map_or(Cursor::End, Cursor::At));
        Ok(())
    }

    /// Moves back one item (from the review screen: to the last item). Never refused.
    pub fn back(&mut self) {
        let items = self.items();
        let i = self.index_in(&items);
        if let Some(item) = i.checked_sub(1).and_then(|j| items.get(j)) {
            self.move_to(Cursor::At(item.clone()));
        }
    }

    /// Jumps to any visible item, or to the review screen with `Cursor::End`.
    pub fn jump(&mut self, to: Cursor) -> bool {
        if let Cursor::At(item) = &to
            && !self.items().contains(item)
        {
            return false;
        }
        self.move_to(to);
        true
    }

    /// On an "add another?" prompt: adds an instance and moves to its first item.
    pub fn add_repeat(&mut self) -> bool {
        let Some(Item::AddRepeat { repeat, path }) = self.current().cloned() else {
            return false;
        };
        let form = self.form.clone();
        let n = form.node(repeat);
        let Some(at) = tree::inst_mut(&form, &mut self.root, &n.chain[..n.chain.len() - 1], &path)
        else {
            return false;
        };
        let list = &mut at.reps[n.rslot()];
        if list.len() >= MAX_REPEAT {
            return false;
        }
        list.push(Inst::new(&form, repeat));
        let mut p = path.clone();
        p.push(list.len() as u32 - 1);
        let mut q = Queue::new();
        self.queue_scope(repeat, &p, &mut q);
        self.queue_members_changed(repeat, &path, &mut q);
        self.run(q);
        let items = self.items();
        let first = items.iter().find(|i| match i {
            Item::Question { path: ip, .. } => ip.starts_with(&p),
            Item::AddRepeat { path: ip, .. } => ip.starts_with(&p),
        });
        let to = first.cloned().unwrap_or(Item::AddRepeat { repeat, path });
        self.move_to(Cursor::At(to));
        true
    }

    /// Deletes one instance of an open-ended repeat (`path` ends with its index).
    /// Answers inside it are gone; later instances move up by one.
    pub fn remove_repeat(&mut self, repeat: NodeId, path: &[u32]) -> bool {
        let form = self.form.clone();
        let n = form.node(repeat);
        let open_ended = n.kind.repeat().is_some_and(|r| r.count.is_none());
        if !open_ended || path.len() != n.chain.len() {
            return false;
        }
        let (outer, idx) = path.split_at(path.len() - 1);
        let Some(at) = tree::inst_mut(&form, &mut self.root, &n.chain[..n.chain.len() - 1], outer)
        else {
            return false;
        };
        let list = &mut at.reps[n.rslot()];
        if idx[0] as usize >= list.len() {
            return false;
        }
        list.remove(idx[0] as usize);
        // Positions after the removed one shifted: recompute everything rather than track it.
        self.recompute_all();
        if let Cursor::At(cur) = &self.cursor
            && !self.items().contains(cur)
        {
            let to = Item::AddRepeat {
                repeat,
                path: outer.to_vec(),
            };
            self.move_to(Cursor::At(to));
        }
        true
    }

    /// How many instances an open or counted repeat has inside the instance `outer`.
    pub fn repeat_len(&self, repeat: NodeId, outer: &[u32]) -> usize {
        let n = self.form.node(repeat);
        tree::inst(
            &self.form,
            &self.root,
            &n.chain[..n.chain.len().saturating_sub(1)],
            outer,
        )
        .map_or(0, |i| i.reps.get(n.rslot()).map_or(0, Vec::len))
    }
}
