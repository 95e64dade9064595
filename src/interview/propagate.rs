//! Incremental re-evaluation: when a value changes, recompute only what depends on it,
//! each dependent once, in dependency order, in the repeat instances it concerns.

use super::Interview;
use super::tree::{Inst, Path, common, expand, inst_mut};
use crate::expr::{NodeId, Value, eval};
use crate::form::ROOT;
use crate::form::graph::{Part, Vertex};
use std::collections::BTreeSet;

/// Most instances a computed `repeat_count` may create; guards against a typo like 10000.
pub const MAX_REPEAT: usize = 500;

/// Pending work: (topological rank, vertex, instance path).
pub(crate) type Queue = BTreeSet<(u32, Vertex, Path)>;

impl Interview {
    /// The instance chain a vertex is evaluated in. A repeat's count lives in the scope
    /// around the repeat; everything else in the node's own scope.
    fn vertex_chain(&self, v: Vertex) -> &[NodeId] {
        let chain = &self.form.node(v.node()).chain;
        if v.part() == Part::Count {
            &chain[..chain.len().saturating_sub(1)]
        } else {
            chain
        }
    }

    /// Queues everything that depends on vertex `v`, which changed at `path`.
    pub(crate) fn queue_dependents(&self, v: Vertex, path: &[u32], q: &mut Queue) {
        let src = self.vertex_chain(v);
        for &d in &self.form.graph.dependents[v.index()] {
            let chain = self.vertex_chain(d);
            let k = common(src, chain).min(path.len());
            let mut paths = Vec::new();
            expand(&self.form, &self.root, chain, &path[..k], &mut paths);
            let rank = self.form.graph.rank[d.index()];
            q.extend(paths.into_iter().map(|p| (rank, d, p)));
        }
    }

    /// Queues every vertex of the nodes living directly in the scope instance at `path`.
    pub(crate) fn queue_scope(&self, scope: NodeId, path: &[u32], q: &mut Queue) {
        for (i, n) in self.form.nodes.iter().enumerate() {
            let id = NodeId::new(i);
            if id == ROOT {
                continue;
            }
            let own = n.chain.last().copied().unwrap_or(ROOT);
            let around = n.chain.len().checked_sub(2).map_or(ROOT, |k| n.chain[k]);
            let g = &self.form.graph;
            if own == scope {
                for v in [Vertex::rel(id), Vertex::val(id)] {
                    q.insert((g.rank[v.index()], v, path.to_vec()));
                }
            }
            if n.kind.is_repeat() && around == scope && n.chain.len() == path.len() + 1 {
                let v = Vertex::count(id);
                q.insert((g.rank[v.index()], v, path.to_vec()));
            }
        }
    }

    pub(crate) fn run(&mut self, mut q: Queue) {
        while let Some((_, v, path)) = q.pop_first() {
            if self.eval_vertex(v, &path, &mut q) {
                self.queue_dependents(v, &path, &mut q);
            }
        }
    }

    /// Recomputes one vertex; says whether its value changed.
    fn eval_vertex(&mut self, v: Vertex, path: &[u32], q: &mut Queue) -> bool {
        let id = v.node();
        let n = self.form.node(id);
        match v.part() {
            Part::Rel => {
                let parent_ok = n.parent == ROOT || {
                    let pc = self.form.node(n.parent).chain.len();
                    self.is_relevant(n.parent, &path[..pc.min(path.len())])
                };
                let now = parent_ok
                    && n.relevant
                        .as_ref()
                        .is_none_or(|e| eval(e, &self.cx(id, path)).to_bool());
                let form = self.form.clone();
                let Some(i) = inst_mut(&form, &mut self.root, &n.chain, path) else {
                    return false;
                };
                let slot = &mut i.rel[n.slot as usize];
                let changed = *slot != now;
                *slot = now;
                changed
            }
            Part::Val => {
                let Some(calc) = n.live_calc() else {
                    return true;
                };
                let now = if self.is_relevant(id, path) {
                    self.computed(id, calc, path)
                } else {
                    Value::blank()
                };
                let form = self.form.clone();
                let Some(i) = inst_mut(&form, &mut self.root, &n.chain, path) else {
                    return false;
                };
                let slot = &mut i.vals[n.slot as usize];
                if same(slot, &now) {
                    return false;
                }
                *slot = now;
                true
            }
            Part::Count => {
                let Some(e) = n.kind.repeat().and_then(|r| r.count.as_ref()) else {
                    return false;
                };
                let want = eval(e, &self.cx(id, path)).to_num();
                let want = if want.is_finite() && want > 0.0 {
                    (want as usize).min(MAX_REPEAT)
                } else {
                    0
                };
                self.resize_repeat(id, path, want, q)
            }
        }
    }

    /// Grows or shrinks the instances of `repeat` under `outer` to `want`; new instances get
    /// their vertices queued.
    pub(crate) fn resize_repeat(
        &mut self,
        repeat: NodeId,
        outer: &[u32],
        want: usize,
        q: &mut Queue,
    ) -> bool {
        let form = self.form.clone();
        let n = form.node(repeat);
        let outer_chain = &n.chain[..n.chain.len() - 1];
        let Some(at) = inst_mut(&form, &mut self.root, outer_chain, outer) else {
            return false;
        };
        let list = &mut at.reps[n.rslot()];
        let had = list.len();
        if had == want {
            return false;
        }
        list.truncate(want);
        while list.len() < want {
            list.push(Inst::new(&form, repeat));
        }
        for i in had..want {
            let mut p = outer.to_vec();
            p.push(i as u32);
            self.queue_scope(repeat, &p, q);
        }
        self.queue_members_changed(repeat, outer, q);
        true
    }

    /// After instances of `repeat` appear or vanish: whatever reads its questions from
    /// outside (`sum`, `count`) must look again.
    pub(crate) fn queue_members_changed(&self, repeat: NodeId, outer: &[u32], q: &mut Queue) {
        for (i, n) in self.form.nodes.iter().enumerate() {
            if n.chain.contains(&repeat) {
                self.queue_dependents(Vertex::val(NodeId::new(i)), outer, q);
            }
        }
    }
}

/// Equality that treats NaN as equal to NaN, so a NaN result does not re-trigger forever.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}
