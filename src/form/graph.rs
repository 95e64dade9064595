//! The dependency graph between live values, for incremental re-evaluation.
//!
//! Each node has three vertices: its relevance, its value and (for repeats) its count.
//! An edge `a → b` means "b must be recomputed when a changes". The graph is built once per
//! form; a topological order doubles as the cycle check.

use super::model::{Node, ROOT};
use crate::expr::NodeId;

/// One live value of a node: its relevance, its value or (for repeats) its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vertex(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Rel,
    Val,
    Count,
}

impl Vertex {
    const PARTS: u32 = 3;
    pub const fn rel(n: NodeId) -> Vertex {
        Vertex(n.index() as u32 * Self::PARTS)
    }
    pub const fn val(n: NodeId) -> Vertex {
        Vertex(n.index() as u32 * Self::PARTS + 1)
    }
    pub const fn count(n: NodeId) -> Vertex {
        Vertex(n.index() as u32 * Self::PARTS + 2)
    }
    pub const fn node(self) -> NodeId {
        NodeId::new((self.0 / Self::PARTS) as usize)
    }
    pub const fn part(self) -> Part {
        match self.0 % Self::PARTS {
            0 => Part::Rel,
            1 => Part::Val,
            _ => Part::Count,
        }
    }
    /// Its place in the graph's tables.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
    /// How many vertices a form of `nodes` nodes has.
    const fn count_for(nodes: usize) -> usize {
        nodes * Self::PARTS as usize
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
    let nv = Vertex::count_for(nodes.len());
    let mut dependents: Vec<Vec<Vertex>> = vec![Vec::new(); nv];
    let mut edge = |from: Vertex, to: Vertex| {
        let d = &mut dependents[from.index()];
        if !d.contains(&to) {
            d.push(to);
        }
    };
    for (i, n) in nodes.iter().enumerate() {
        let id = NodeId::new(i);
        if id == ROOT {
            continue;
        }
        if n.parent != ROOT {
            edge(Vertex::rel(n.parent), Vertex::rel(id));
        }
        for f in n.relevant.iter().flat_map(|e| e.refs()) {
            edge(Vertex::val(f), Vertex::rel(id));
        }
        edge(Vertex::rel(id), Vertex::val(id));
        for f in n.live_calc().iter().flat_map(|e| e.refs()) {
            edge(Vertex::val(f), Vertex::val(id));
        }
        if let Some(rep) = n.kind.repeat() {
            for f in rep.count.iter().flat_map(|e| e.refs()) {
                edge(Vertex::val(f), Vertex::count(id));
            }
            edge(Vertex::count(id), Vertex::val(id));
        }
    }
    let mut indeg = vec![0u32; nv];
    for ds in &dependents {
        for d in ds {
            indeg[d.index()] += 1;
        }
    }
    let mut order: Vec<Vertex> = (0..nv as u32)
        .map(Vertex)
        .filter(|v| indeg[v.index()] == 0)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let v = order[head];
        head += 1;
        for &d in &dependents[v.index()] {
            indeg[d.index()] -= 1;
            if indeg[d.index()] == 0 {
                order.push(d);
            }
        }
    }
    if order.len() < nv {
        return Err(cycles(nodes, &dependents, &indeg));
    }
    let mut rank = vec![0u32; nv];
    for (i, v) in order.iter().enumerate() {
        rank[v.index()] = i as u32;
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
        match find_cycle(Vertex(start as u32), deps, &left) {
            Some(path) => {
                for v in &path {
                    left[v.index()] = false;
                }
                let mut names: Vec<&str> = Vec::new();
                for v in path.iter().chain(path.first()) {
                    let name = nodes[v.node().index()].name.as_str();
                    if names.last() != Some(&name) {
                        names.push(name);
                    }
                }
                if names.len() == 1 {
                    names.push(names[0]);
                }
                let first = path.iter().map(|v| v.node()).min().unwrap_or(ROOT);
                let via = if path.iter().any(|v| v.part() == Part::Rel) {
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
    on_stack[start.index()] = true;
    while let Some((v, i)) = stack.last_mut() {
        let v = *v;
        let ds = &deps[v.index()];
        if *i < ds.len() {
            let d = ds[*i];
            *i += 1;
            if !left[d.index()] || done[d.index()] {
                continue;
            }
            if on_stack[d.index()] {
                let from = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                return Some(stack[from..].iter().map(|(x, _)| *x).collect());
            }
            on_stack[d.index()] = true;
            stack.push((d, 0));
        } else {
            on_stack[v.index()] = false;
            done[v.index()] = true;
            stack.pop();
        }
    }
    None
}
