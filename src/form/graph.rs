//! The dependency graph between live values, for incremental re-evaluation.
//!
//! Each node has three vertices: its relevance, its value and (for repeats) its count.
//! An edge `a → b` means "b must be recomputed when a changes". The graph is built once per
//! form; a topological order doubles as the cycle check.

use super::model::{Node, ROOT};
use crate::expr::NodeId;

pub(crate) type Vertex = u32;

pub const fn rel(n: NodeId) -> Vertex {
    n * 3
}
pub const fn val(n: NodeId) -> Vertex {
    n * 3 + 1
}
pub const fn count(n: NodeId) -> Vertex {
    n * 3 + 2
}
pub const fn node_of(v: Vertex) -> NodeId {
    v / 3
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Rel,
    Val,
    Count,
}

pub const fn part(v: Vertex) -> Part {
    match v % 3 {
        0 => Part::Rel,
        1 => Part::Val,
        _ => Part::Count,
    }
}

#[derive(Debug, Default)]
pub struct Graph {
    pub dependents: Vec<Vec<Vertex>>,
    /// Position of each vertex in `order`.
    pub rank: Vec<u32>,
    /// All vertices, each after everything it depends on.
    pub order: Vec<Vertex>,
}

/// Builds the graph, or returns each cycle as (first node, message).
pub fn build(nodes: &[Node]) -> Result<Graph, Vec<(NodeId, String)>> {
    let nv = nodes.len() * 3;
    let mut dependents: Vec<Vec<Vertex>> = vec![Vec::new(); nv];
    let mut edge = |from: Vertex, to: Vertex| {
        let d = &mut dependents[from as usize];
        if !d.contains(&to) {
            d.push(to);
        }
    };
    for (i, n) in nodes.iter().enumerate() {
        let id = i as NodeId;
        if id == ROOT {
            continue;
        }
        if n.parent != ROOT {
            edge(rel(n.parent), rel(id));
        }
        for f in n.relevant.iter().flat_map(|e| e.refs()) {
            edge(val(f), rel(id));
        }
        edge(rel(id), val(id));
        for f in n.kind.calculation().iter().flat_map(|e| e.refs()) {
            edge(val(f), val(id));
        }
        if let Some(rep) = n.kind.repeat() {
            for f in rep.count.iter().flat_map(|e| e.refs()) {
                edge(val(f), count(id));
            }
            edge(count(id), val(id));
        }
    }
    let mut indeg = vec![0u32; nv];
    for ds in &dependents {
        for d in ds {
            indeg[*d as usize] += 1;
        }
    }
    let mut order: Vec<Vertex> = (0..nv as Vertex)
        .filter(|v| indeg[*v as usize] == 0)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let v = order[head];
        head += 1;
        for &d in &dependents[v as usize] {
            indeg[d as usize] -= 1;
            if indeg[d as usize] == 0 {
                order.push(d);
            }
        }
    }
    if order.len() < nv {
        return Err(cycles(nodes, &dependents, &indeg));
    }
    let mut rank = vec![0u32; nv];
    for (i, v) in order.iter().enumerate() {
        rank[*v as usize] = i as u32;
    }
    Ok(Graph {
        dependents,
        rank,
        order,
    })
}

/// Finds the cycles among the vertices Kahn's algorithm could not order.
fn cycles(nodes: &[Node], deps: &[Vec<Vertex>], indeg: &[u32]) -> Vec<(NodeId, String)> {
    let mut left: Vec<bool> = indeg.iter().map(|d| *d > 0).collect();
    let mut out = Vec::new();
    while let Some(start) = left.iter().position(|l| *l) {
        match find_cycle(start as Vertex, deps, &left) {
            Some(path) => {
                for v in &path {
                    left[*v as usize] = false;
                }
                let mut names: Vec<&str> = Vec::new();
                for v in path.iter().chain(path.first()) {
                    let name = nodes[node_of(*v) as usize].name.as_str();
                    if names.last() != Some(&name) {
                        names.push(name);
                    }
                }
                if names.len() == 1 {
                    names.push(names[0]);
                }
                let first = path.iter().map(|v| node_of(*v)).min().unwrap_or(ROOT);
                let via = if path.iter().any(|v| part(*v) == Part::Rel) {
                    " (through `relevant`)"
                } else {
                    ""
                };
                let chain: Vec<String> = names.iter().map(|n| format!("${{{n}}}")).collect();
                out.push((first, format!("cycle{via}: {}", chain.join(" → "))));
            }
            None => left[start] = false,
        }
    }
    out
}

/// Depth-first search from `start` for a path that returns to a vertex on the stack.
fn find_cycle(start: Vertex, deps: &[Vec<Vertex>], left: &[bool]) -> Option<Vec<Vertex>> {
    let mut stack: Vec<(Vertex, usize)> = vec![(start, 0)];
    let mut on_stack = vec![false; left.len()];
    let mut done = vec![false; left.len()];
    on_stack[start as usize] = true;
    while let Some((v, i)) = stack.last_mut() {
        let v = *v;
        let ds = &deps[v as usize];
        if *i < ds.len() {
            let d = ds[*i];
            *i += 1;
            if !left[d as usize] || done[d as usize] {
                continue;
            }
            if on_stack[d as usize] {
                let from = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                return Some(stack[from..].iter().map(|(x, _)| *x).collect());
            }
            on_stack[d as usize] = true;
            stack.push((d, 0));
        } else {
            on_stack[v as usize] = false;
            done[v as usize] = true;
            stack.pop();
        }
    }
    None
}
