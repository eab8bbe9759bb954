//! The bounded neighborhood of one node: breadth-first, one statement per hop, with a limit on
//! the neighbors read per expanded node and on the nodes kept in all. What the limits leave out
//! is counted per node, never an error.

use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbErr};

use super::{Edge, Expand, Links, NodeRef};

/// How far and how wide a neighborhood may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Hops from the root.
    pub depth: u32,
    /// Distinct neighbors read per expanded node, in rank order (see [`super::Expansion`]).
    pub per_node: u64,
    /// Nodes kept, the root included (at most [`super::MAX_FRONTIER`] keeps a hop one statement).
    pub max_nodes: usize,
}

/// A neighborhood: nodes, the edges found between them, and what was left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Neighborhood {
    /// Every node with its distance from the root, by distance, then table, then id.
    pub nodes: Vec<(NodeRef, u32)>,
    /// Each edge once, by the distance of its farther end, then kind, from, to and detail.
    pub edges: Vec<Edge>,
    /// Expanded nodes with neighbors that no edge of `edges` joins them to (left out by the
    /// per-node limit or the node limit), with how many, in node order.
    pub hidden: Vec<(NodeRef, u64)>,
}

/// The neighborhood of `root` in the database, publication–dataset links only of
/// `relation_types` (stored names; empty: all).
pub async fn neighborhood(
    conn: &impl ConnectionTrait,
    root: NodeRef,
    relation_types: &[String],
    limits: Limits,
) -> Result<Neighborhood, DbErr> {
    let links = Links {
        conn,
        relation_types,
    };
    explore(&links, root, limits).await
}

/// Breadth-first from `root`, level by level. The nodes of each level are expanded (one
/// statement); their ranked neighbors not seen yet become the next level, taken in the order of
/// the expanded nodes (table, id), each one's neighbors in rank order, while fewer than
/// `max_nodes` nodes are kept.
pub(crate) async fn explore(
    graph: &impl Expand,
    root: NodeRef,
    limits: Limits,
) -> Result<Neighborhood, DbErr> {
    let mut distance: HashMap<NodeRef, u32> = HashMap::from([(root, 0)]);
    let mut found: BTreeSet<Edge> = BTreeSet::new();
    let mut expanded: Vec<(NodeRef, u64)> = Vec::new();
    let mut frontier = vec![root];
    for level in 1..=limits.depth {
        if frontier.is_empty() {
            break;
        }
        frontier.sort();
        let expansions = graph.expand(&frontier, limits.per_node).await?;
        let mut next = Vec::new();
        let mut queued = HashSet::new();
        for node in &frontier {
            let expansion = expansions.get(node);
            expanded.push((*node, expansion.map_or(0, |e| e.total)));
            for neighbor in expansion.iter().flat_map(|e| &e.neighbors) {
                if !distance.contains_key(neighbor) && queued.insert(*neighbor) {
                    next.push(*neighbor);
                }
            }
        }
        next.truncate(limits.max_nodes.saturating_sub(distance.len()));
        for node in &next {
            distance.insert(*node, level);
        }
        for edge in expansions.values().flat_map(|e| &e.edges) {
            if distance.contains_key(&edge.from) && distance.contains_key(&edge.to) {
                found.insert(edge.clone());
            }
        }
        frontier = next;
    }

    let mut joined: HashMap<NodeRef, HashSet<NodeRef>> = HashMap::new();
    for edge in &found {
        joined.entry(edge.from).or_default().insert(edge.to);
        joined.entry(edge.to).or_default().insert(edge.from);
    }
    let mut hidden: Vec<(NodeRef, u64)> = expanded
        .into_iter()
        .filter_map(|(node, total)| {
            let shown = joined.get(&node).map_or(0, |n| n.len() as u64);
            let left_out = total.saturating_sub(shown);
            (left_out > 0).then_some((node, left_out))
        })
        .collect();
    hidden.sort_by_key(|(node, _)| (distance[node], *node));
    let mut nodes: Vec<(NodeRef, u32)> = distance.iter().map(|(n, d)| (*n, *d)).collect();
    nodes.sort_by_key(|(node, d)| (*d, *node));
    let mut edges: Vec<Edge> = found.into_iter().collect();
    edges.sort_by_cached_key(|e| (distance[&e.from].max(distance[&e.to]), e.clone()));
    Ok(Neighborhood {
        nodes,
        edges,
        hidden,
    })
}

#[cfg(test)]
mod tests {
    use super::super::EdgeKind::*;
    use super::super::memory::{Memory, node};
    use super::*;
    use crate::db::list_spec::Table::{Dataset, Producer, Publication};

    /// A publication with three datasets and a producer under a parent agency.
    fn graph() -> Memory {
        let mut g = Memory::default();
        let p = node(Publication, 1);
        for d in 1..=3 {
            g.link(RelatedDataset, p, node(Dataset, d), Some("REFERENCES"));
        }
        g.link(ProducerCredit, p, node(Producer, 7), Some("PRODUCER"));
        g.link(ProducerCredit, p, node(Producer, 7), Some("FUNDER"));
        g.link(
            ProducerCredit,
            node(Dataset, 2),
            node(Producer, 7),
            Some("FUNDER"),
        );
        g.link(SubunitOf, node(Producer, 7), node(Producer, 6), None);
        g
    }

    async fn run(depth: u32, per_node: u64, max_nodes: usize) -> Neighborhood {
        let limits = Limits {
            depth,
            per_node,
            max_nodes,
        };
        explore(&graph(), node(Publication, 1), limits)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn whole_neighborhood_has_nothing_hidden() {
        let n = run(2, 25, 200).await;
        let ids: Vec<(NodeRef, u32)> = n.nodes.clone();
        assert_eq!(
            ids,
            vec![
                (node(Publication, 1), 0),
                (node(Dataset, 1), 1),
                (node(Dataset, 2), 1),
                (node(Dataset, 3), 1),
                (node(Producer, 7), 1),
                (node(Producer, 6), 2),
            ]
        );
        // Two credits in two roles stay two edges; the dataset's credit joins two level-1 nodes.
        assert_eq!(n.edges.len(), 7);
        assert_eq!(n.edges.last().unwrap().kind, SubunitOf);
        assert!(n.hidden.is_empty());
    }

    #[tokio::test]
    async fn per_node_limit_counts_what_it_hides() {
        let n = run(1, 2, 200).await;
        assert_eq!(n.nodes.len(), 3, "{:?}", n.nodes);
        assert_eq!(n.hidden, vec![(node(Publication, 1), 2)]);
    }

    #[tokio::test]
    async fn max_nodes_keeps_ranked_neighbors_first() {
        let n = run(2, 25, 3).await;
        let kept: Vec<NodeRef> = n.nodes.iter().map(|(node, _)| *node).collect();
        assert_eq!(
            kept,
            vec![node(Publication, 1), node(Dataset, 1), node(Dataset, 2)]
        );
        // The publication's dataset 3 and producer, and dataset 2's producer, did not fit.
        assert_eq!(
            n.hidden,
            vec![(node(Publication, 1), 2), (node(Dataset, 2), 1)]
        );
    }
}
