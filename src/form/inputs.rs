//! For each node, the questions its relevance depends on (through calculations and
//! enclosing groups): while one of them is unanswered, whether the node applies is not yet
//! decided, so progress counts it instead of letting the total grow as answers come in.

use super::model::{Kind, Node, ROOT};
use crate::expr::NodeId;

/// `inputs[i]`: the answerable questions node `i`'s relevance reads, directly or through
/// calculations and its enclosing groups. Nodes are in document order, so a parent comes
/// before its children.
pub(crate) fn relevance_inputs(nodes: &[Node]) -> Vec<Vec<NodeId>> {
    let mut calc_memo: Vec<Option<Vec<NodeId>>> = vec![None; nodes.len()];
    let mut out: Vec<Vec<NodeId>> = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let mut acc: Vec<NodeId> = if i == 0 || n.parent == ROOT {
            Vec::new()
        } else {
            out[n.parent.index()].clone()
        };
        for r in n.relevant.iter().flat_map(|e| e.refs()) {
            answerable_behind(nodes, r, &mut calc_memo, &mut acc);
        }
        acc.sort();
        acc.dedup();
        out.push(acc);
    }
    out
}

/// The questions behind value `r`: itself if it is answered, else what its calculation
/// reads (memoized; the dependency graph has no cycles, so this ends).
fn answerable_behind(
    nodes: &[Node],
    r: NodeId,
    memo: &mut Vec<Option<Vec<NodeId>>>,
    acc: &mut Vec<NodeId>,
) {
    let Some(n) = nodes.get(r.index()) else {
        return;
    };
    match &n.kind {
        Kind::Calculate(e) => {
            if memo[r.index()].is_none() {
                let mut inner = Vec::new();
                // Mark as in progress so a (rejected) cycle cannot recurse forever.
                memo[r.index()] = Some(Vec::new());
                for x in e.refs() {
                    answerable_behind(nodes, x, memo, &mut inner);
                }
                memo[r.index()] = Some(inner);
            }
            if let Some(v) = &memo[r.index()] {
                acc.extend(v.iter().copied());
            }
        }
        k if k.takes_answer() => acc.push(r),
        _ => {}
    }
}
