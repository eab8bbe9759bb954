//! The shortest connections between two nodes: breadth-first from both ends at once, one
//! statement per hop (always widening the side with the smaller frontier), then the shortest
//! paths read off the two search trees where they meet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{ConnectionTrait, DbErr};

use super::{Edge, Expand, Links, MAX_FRONTIER, NodeRef};

/// Neighbors read per expanded node while searching (a hub's first ones, in rank order).
pub const NEIGHBORS_PER_NODE: u64 = 100;

/// Most candidate paths put together before the first ones are picked, however many shortest
/// paths there are.
const MAX_CANDIDATES: usize = 1_000;

/// A path: its nodes from one end to the other, and for each hop the edge taken (in the edge's
/// own direction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub nodes: Vec<NodeRef>,
    pub edges: Vec<Edge>,
}

/// The first `first` shortest paths from `from` to `to` of at most `max_hops` hops, in node
/// order. Each side's frontier is capped at [`MAX_FRONTIER`] nodes and each node's neighbors at
/// `NEIGHBORS_PER_NODE`, so through very busy nodes a path may be missed or a longer one
/// found; the search stays bounded.
pub async fn paths(
    conn: &impl ConnectionTrait,
    from: NodeRef,
    to: NodeRef,
    max_hops: u32,
    first: usize,
) -> Result<Vec<Path>, DbErr> {
    let links = Links {
        conn,
        relation_types: &[],
    };
    search(&links, from, to, max_hops, first).await
}

/// One end's search tree.
struct Side {
    /// Hops from this end, of every node reached.
    reached: HashMap<NodeRef, u32>,
    /// For each node reached (but the end), its neighbors one hop nearer the end, in order.
    parents: HashMap<NodeRef, Vec<NodeRef>>,
    frontier: Vec<NodeRef>,
    depth: u32,
}

impl Side {
    fn new(end: NodeRef) -> Self {
        Self {
            reached: HashMap::from([(end, 0)]),
            parents: HashMap::new(),
            frontier: vec![end],
            depth: 0,
        }
    }

    /// Every chain from `node` up to the end through parents, at most `cap` of them.
    fn chains(&self, node: NodeRef, cap: usize) -> Vec<Vec<NodeRef>> {
        let mut out = Vec::new();
        let mut chain = vec![node];
        self.walk(&mut chain, cap, &mut out);
        out
    }

    fn walk(&self, chain: &mut Vec<NodeRef>, cap: usize, out: &mut Vec<Vec<NodeRef>>) {
        let last = chain[chain.len() - 1];
        let Some(parents) = self.parents.get(&last) else {
            out.push(chain.clone());
            return;
        };
        for parent in parents {
            if out.len() >= cap {
                return;
            }
            chain.push(*parent);
            self.walk(chain, cap, out);
            chain.pop();
        }
    }
}

/// Both ends' frontiers grow one hop at a time until the trees meet or `max_hops` is spent.
pub(crate) async fn search(
    graph: &impl Expand,
    from: NodeRef,
    to: NodeRef,
    max_hops: u32,
    first: usize,
) -> Result<Vec<Path>, DbErr> {
    if first == 0 {
        return Ok(Vec::new());
    }
    if from == to {
        let nodes = vec![from];
        return Ok(vec![Path {
            nodes,
            edges: Vec::new(),
        }]);
    }
    let mut sides = [Side::new(from), Side::new(to)];
    // The edge for a hop between two nodes: the first of those joining them.
    let mut links: HashMap<(NodeRef, NodeRef), Edge> = HashMap::new();
    while sides[0].depth + sides[1].depth < max_hops {
        if sides.iter().any(|side| side.frontier.is_empty()) {
            break;
        }
        let s = usize::from(sides[1].frontier.len() < sides[0].frontier.len());
        let side = &mut sides[s];
        let expansions = graph.expand(&side.frontier, NEIGHBORS_PER_NODE).await?;
        let mut next: BTreeMap<NodeRef, Vec<NodeRef>> = BTreeMap::new();
        for node in &side.frontier {
            for edge in expansions.get(node).into_iter().flat_map(|e| &e.edges) {
                let neighbor = edge.other(*node);
                let known = links.entry(pair(*node, neighbor)).or_insert(edge.clone());
                if *edge < *known {
                    *known = edge.clone();
                }
                if !side.reached.contains_key(&neighbor) {
                    let parents = next.entry(neighbor).or_default();
                    if parents.last() != Some(node) {
                        parents.push(*node);
                    }
                }
            }
        }
        side.depth += 1;
        side.frontier = next.keys().take(MAX_FRONTIER).copied().collect();
        for (node, parents) in next.into_iter().take(MAX_FRONTIER) {
            side.reached.insert(node, side.depth);
            side.parents.insert(node, parents);
        }
        let (this, other) = (&sides[s], &sides[1 - s]);
        let meeting: Vec<NodeRef> = this
            .frontier
            .iter()
            .filter(|node| other.reached.contains_key(node))
            .copied()
            .collect();
        if !meeting.is_empty() {
            return Ok(read_paths(&sides, &meeting, &links, first));
        }
    }
    Ok(Vec::new())
}

fn pair(a: NodeRef, b: NodeRef) -> (NodeRef, NodeRef) {
    if a <= b { (a, b) } else { (b, a) }
}

/// The shortest paths through the nodes where the trees met. Usually every meeting node lies on
/// a shortest path; with capped frontiers some may lie on longer ones, which are left out.
fn read_paths(
    sides: &[Side; 2],
    meeting: &[NodeRef],
    links: &HashMap<(NodeRef, NodeRef), Edge>,
    first: usize,
) -> Vec<Path> {
    let length = |node: &NodeRef| sides[0].reached[node] + sides[1].reached[node];
    let Some(shortest) = meeting.iter().map(length).min() else {
        return Vec::new();
    };
    let mut candidates: BTreeSet<Vec<NodeRef>> = BTreeSet::new();
    for node in meeting.iter().filter(|node| length(node) == shortest) {
        for head in sides[0].chains(*node, MAX_CANDIDATES) {
            for tail in sides[1].chains(*node, MAX_CANDIDATES) {
                if candidates.len() >= MAX_CANDIDATES {
                    break;
                }
                let mut nodes: Vec<NodeRef> = head.iter().rev().copied().collect();
                nodes.extend(&tail[1..]);
                candidates.insert(nodes);
            }
        }
    }
    candidates
        .into_iter()
        .filter_map(|nodes| {
            let edges = nodes
                .windows(2)
                .map(|hop| links.get(&pair(hop[0], hop[1])).cloned())
                .collect::<Option<Vec<Edge>>>()?;
            Some(Path { nodes, edges })
        })
        .take(first)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::EdgeKind::*;
    use super::super::memory::{Memory, node};
    use super::*;
    use crate::db::list_spec::Table::{Dataset, Producer, Publication};

    /// Publication 1 reaches producer 9 directly and through datasets 1 and 2; publication 2
    /// only through its dataset 3 and producer 8, a subunit of 9.
    fn graph() -> Memory {
        let mut g = Memory::default();
        let (p1, p2) = (node(Publication, 1), node(Publication, 2));
        g.link(RelatedDataset, p1, node(Dataset, 1), Some("REFERENCES"));
        g.link(RelatedDataset, p1, node(Dataset, 2), Some("REFERENCES"));
        g.link(RelatedDataset, p2, node(Dataset, 3), Some("DOCUMENTS"));
        g.link(ProducerCredit, p1, node(Producer, 9), Some("PRODUCER"));
        g.link(ProducerCredit, p1, node(Producer, 9), Some("FUNDER"));
        for d in 1..=2 {
            g.link(
                ProducerCredit,
                node(Dataset, d),
                node(Producer, 9),
                Some("FUNDER"),
            );
        }
        g.link(
            ProducerCredit,
            node(Dataset, 3),
            node(Producer, 8),
            Some("FUNDER"),
        );
        g.link(SubunitOf, node(Producer, 8), node(Producer, 9), None);
        g
    }

    async fn run(from: NodeRef, to: NodeRef, max_hops: u32, first: usize) -> Vec<Path> {
        search(&graph(), from, to, max_hops, first).await.unwrap()
    }

    #[tokio::test]
    async fn a_direct_link_is_the_shortest_path() {
        let found = run(node(Publication, 1), node(Producer, 9), 4, 5).await;
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].nodes,
            vec![node(Publication, 1), node(Producer, 9)]
        );
        // Of two credits, the first by role name.
        assert_eq!(found[0].edges[0].detail.as_deref(), Some("FUNDER"));
    }

    #[tokio::test]
    async fn every_shortest_path_in_node_order() {
        let found = run(node(Dataset, 1), node(Dataset, 2), 4, 5).await;
        let nodes: Vec<Vec<NodeRef>> = found.iter().map(|p| p.nodes.clone()).collect();
        assert_eq!(
            nodes,
            vec![
                vec![node(Dataset, 1), node(Publication, 1), node(Dataset, 2)],
                vec![node(Dataset, 1), node(Producer, 9), node(Dataset, 2)],
            ]
        );
        assert_eq!(run(node(Dataset, 1), node(Dataset, 2), 4, 1).await.len(), 1);
    }

    #[tokio::test]
    async fn long_paths_need_enough_hops() {
        let (p1, p2) = (node(Publication, 1), node(Publication, 2));
        let found = run(p2, p1, 4, 5).await;
        assert_eq!(found.len(), 1);
        let path = &found[0];
        assert_eq!(
            path.nodes,
            vec![
                p2,
                node(Dataset, 3),
                node(Producer, 8),
                node(Producer, 9),
                p1
            ]
        );
        // Edges keep their own direction along the path.
        assert_eq!(path.edges[2].kind, SubunitOf);
        assert_eq!(path.edges[2].from, node(Producer, 8));
        assert_eq!(path.edges[3].from, p1);
        assert!(run(p2, p1, 3, 5).await.is_empty());
        assert_eq!(run(p1, p1, 1, 5).await[0].nodes, vec![p1]);
    }
}
