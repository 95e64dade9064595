//! Where answers live: one instance per scope (the root, or one copy of a repeat).

use crate::expr::{NodeId, Value};
use crate::form::{Form, ROOT};

/// Instance indices along a node's repeat chain: `[2]` is the third copy of its repeat.
pub type Path = Vec<u32>;

#[derive(Debug, Clone)]
pub(crate) struct Inst {
    /// Answer or computed value per slot (blank when unanswered).
    pub vals: Vec<Value>,
    /// Effective relevance per slot (own condition and every enclosing group's).
    pub rel: Vec<bool>,
    /// Instances of each child repeat, by the repeat's `rslot`.
    pub reps: Vec<Vec<Inst>>,
}

impl Inst {
    /// A fresh instance of `scope` (the root or a repeat), holding its defaults.
    pub fn new(form: &Form, scope: NodeId) -> Inst {
        let s = form.scope(scope);
        let mut inst = Inst {
            vals: vec![Value::blank(); s.nslots as usize],
            rel: vec![true; s.nslots as usize],
            reps: vec![Vec::new(); s.child_repeats.len()],
        };
        for n in &form.nodes {
            if let Some(d) = &n.default
                && n.chain.last().copied().unwrap_or(ROOT) == scope
            {
                inst.vals[n.slot as usize] = d.clone();
            }
        }
        inst
    }
}

/// The instance holding the scope at the end of `chain`, reached through `path`.
pub fn inst<'a>(form: &Form, root: &'a Inst, chain: &[NodeId], path: &[u32]) -> Option<&'a Inst> {
    let mut cur = root;
    for (r, i) in chain.iter().zip(path) {
        cur = cur.reps.get(form.node(*r).rslot())?.get(*i as usize)?;
    }
    Some(cur)
}

pub(crate) fn inst_mut<'a>(
    form: &Form,
    root: &'a mut Inst,
    chain: &[NodeId],
    path: &[u32],
) -> Option<&'a mut Inst> {
    let mut cur = root;
    for (r, i) in chain.iter().zip(path) {
        cur = cur
            .reps
            .get_mut(form.node(*r).rslot())?
            .get_mut(*i as usize)?;
    }
    Some(cur)
}

/// Every instance path for `chain`, starting from the instances named by `prefix`.
pub(crate) fn expand(
    form: &Form,
    root: &Inst,
    chain: &[NodeId],
    prefix: &[u32],
    out: &mut Vec<Path>,
) {
    let k = prefix.len();
    if k >= chain.len() {
        out.push(prefix[..chain.len()].to_vec());
        return;
    }
    let Some(at) = inst(form, root, &chain[..k], prefix) else {
        return;
    };
    let n = at.reps.get(form.node(chain[k]).rslot()).map_or(0, Vec::len);
    let mut p = prefix.to_vec();
    for i in 0..n as u32 {
        p.push(i);
        expand(form, root, chain, &p, out);
        p.pop();
    }
}

/// Length of the shared start of two repeat chains.
pub fn common(a: &[NodeId], b: &[NodeId]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}
