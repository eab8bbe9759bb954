//! Exploring the graph: `neighborhood` (a bounded subgraph around one node) and `paths` (the
//! shortest connections between two nodes), with their types. The searches run in
//! [`crate::db::graph`]; the nodes they name load through the request's loaders.

use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use super::errors::{ApiError, ApiResult};
use super::ids::{decode_global_id, global_id};
use super::loaders::{ById, Loaders};
use super::types::common::{ProducerRole, RelationType};
use super::types::{Node, relation_types_filter};
use crate::db::Db;
use crate::db::entities::{Record, dataset, producer, publication};
use crate::db::graph::{self, NodeRef};
use crate::db::pages::Table;

/// Defaults of the arguments (also when given as null).
const DEFAULT_DEPTH: i32 = 1;
const DEFAULT_PER_NODE_LIMIT: i32 = 25;
const DEFAULT_MAX_NODES: i32 = 200;
const DEFAULT_MAX_HOPS: i32 = 4;
const DEFAULT_PATHS: i32 = 5;

/// Largest `depth` of a neighborhood.
pub const MAX_DEPTH: i32 = 3;
/// Largest `perNodeLimit`.
pub const MAX_PER_NODE_LIMIT: i32 = 100;
/// Largest `maxNodes` (also the frontier cap of one hop, see [`graph::MAX_FRONTIER`]).
pub const MAX_NODES: i32 = graph::MAX_FRONTIER as i32;
/// Largest `maxHops` of `paths`.
pub const MAX_HOPS: i32 = 4;
/// Largest `first` of `paths`.
pub const MAX_PATHS: i32 = 20;

/// What an edge of the graph stands for.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Publication → dataset it relates to; `relationType` says how.
    RelatedDataset,
    /// Publication or dataset → producer credited for it; `role` says as what.
    ProducerCredit,
    /// Producer → the unit it belongs to.
    SubunitOf,
}

/// One edge, in its own direction whichever end it was reached from.
#[derive(SimpleObject, Clone, Debug)]
pub struct GraphEdge {
    from: ID,
    to: ID,
    kind: EdgeKind,
    /// For `RELATED_DATASET` edges.
    relation_type: Option<RelationType>,
    /// For `PRODUCER_CREDIT` edges (a producer credited in two roles has two edges).
    role: Option<ProducerRole>,
}

impl GraphEdge {
    /// (Not `From`: the derive gives `GraphEdge` a `from` method of its own.)
    fn of(edge: &graph::Edge) -> Self {
        let detail = edge.detail.as_deref();
        let (kind, relation_type, role) = match edge.kind {
            graph::EdgeKind::RelatedDataset => (
                EdgeKind::RelatedDataset,
                detail.map(RelationType::from_db),
                None,
            ),
            graph::EdgeKind::ProducerCredit => (
                EdgeKind::ProducerCredit,
                None,
                detail.map(ProducerRole::from_db),
            ),
            graph::EdgeKind::SubunitOf => (EdgeKind::SubunitOf, None, None),
        };
        Self {
            from: global_id(edge.from.table, edge.from.id),
            to: global_id(edge.to.table, edge.to.id),
            kind,
            relation_type,
            role,
        }
    }
}

/// A node some of whose neighbors the subgraph leaves out.
#[derive(SimpleObject, Clone, Debug)]
pub struct NodeOverflow {
    id: ID,
    /// Neighbors joined to this node by no edge of the subgraph (left out by `perNodeLimit` or
    /// `maxNodes`).
    hidden_neighbors: i32,
}

/// A bounded neighborhood.
#[derive(SimpleObject)]
pub struct Subgraph {
    /// The root first, then by distance from it, then kind (publications, datasets, producers),
    /// then id.
    nodes: Vec<Node>,
    /// Each edge once, nearer ones first, then by kind, `from` and `to`.
    edges: Vec<GraphEdge>,
    /// True when `perNodeLimit` or `maxNodes` left neighbors out (listed in `hasMore`).
    truncated: bool,
    /// The expanded nodes with neighbors left out, in node order.
    has_more: Vec<NodeOverflow>,
}

/// One connection between two nodes.
#[derive(SimpleObject)]
pub struct GraphPath {
    /// From `from` to `to`.
    nodes: Vec<Node>,
    /// One per hop, in path order: `edges[i]` joins `nodes[i]` and `nodes[i + 1]` (its own
    /// `from`/`to` keep the edge's direction).
    edges: Vec<GraphEdge>,
}

/// The root fields that explore the graph (merged into the query root).
#[derive(Default)]
pub struct ExploreQuery;

#[Object]
impl ExploreQuery {
    /// The nodes within `depth` hops of `id` (at most 3) and the edges between them: links
    /// between publications and datasets (only of `relationTypes` when given), producer credits,
    /// and the producer hierarchy (both ways). Each expanded node shows at most `perNodeLimit`
    /// neighbors (at most 100: a producer's parent first, then by edge kind, kind of node and
    /// id), and the subgraph at most `maxNodes` nodes (at most 1000, the root included; nearer
    /// nodes first). What the limits leave out is flagged by `truncated` and counted in
    /// `hasMore`, never an error. One database statement per hop. The edges are those of the
    /// expanded nodes (every node nearer than `depth`): two nodes at distance `depth` are not
    /// joined here even when an edge links them; ask with a larger `depth` to see it.
    #[graphql(
        complexity = "1usize.saturating_add(bound(max_nodes, DEFAULT_MAX_NODES, MAX_NODES).saturating_mul(child_complexity))"
    )]
    async fn neighborhood(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default_with = "Some(DEFAULT_DEPTH)")] depth: Option<i32>,
        relation_types: Option<Vec<RelationType>>,
        #[graphql(default_with = "Some(DEFAULT_PER_NODE_LIMIT)")] per_node_limit: Option<i32>,
        #[graphql(default_with = "Some(DEFAULT_MAX_NODES)")] max_nodes: Option<i32>,
    ) -> ApiResult<Subgraph> {
        let depth = in_range("depth", depth.unwrap_or(DEFAULT_DEPTH), 1, MAX_DEPTH)?;
        let per_node = in_range(
            "perNodeLimit",
            per_node_limit.unwrap_or(DEFAULT_PER_NODE_LIMIT),
            1,
            MAX_PER_NODE_LIMIT,
        )?;
        let max_nodes = in_range(
            "maxNodes",
            max_nodes.unwrap_or(DEFAULT_MAX_NODES),
            1,
            MAX_NODES,
        )?;
        let root = existing_node(ctx, &id, "id").await?;
        let limits = graph::Limits {
            depth,
            per_node: per_node.into(),
            max_nodes: max_nodes as usize,
        };
        let relation_types = relation_types_filter(relation_types);
        let conn = &ctx.data_unchecked::<Db>().conn;
        let found = graph::neighborhood(conn, root, &relation_types, limits).await?;
        let refs: Vec<NodeRef> = found.nodes.iter().map(|(node, _)| *node).collect();
        let loaded = Loaded::load(ctx, &refs).await?;
        let has_more: Vec<NodeOverflow> = found
            .hidden
            .iter()
            .map(|(node, hidden)| NodeOverflow {
                id: global_id(node.table, node.id),
                hidden_neighbors: i32::try_from(*hidden).unwrap_or(i32::MAX),
            })
            .collect();
        Ok(Subgraph {
            nodes: refs.iter().filter_map(|node| loaded.node(*node)).collect(),
            edges: found
                .edges
                .iter()
                .filter(|edge| loaded.has(edge.from) && loaded.has(edge.to))
                .map(GraphEdge::of)
                .collect(),
            truncated: !has_more.is_empty(),
            has_more,
        })
    }

    /// The shortest connections from `from` to `to` over the same edges as `neighborhood`,
    /// searched from both ends at once: the first `first` (at most 20) of the paths with the
    /// fewest hops, if that is at most `maxHops` (at most 4), in node order; none when there
    /// is no such path (and the node alone when `from` is `to`). To stay bounded, each hop is
    /// one statement that expands at most 1000 nodes of one end and reads at most 100
    /// neighbors of each, so through very busy nodes a path can be missed.
    #[graphql(
        complexity = "1usize.saturating_add((bound(first, DEFAULT_PATHS, MAX_PATHS) * (bound(max_hops, DEFAULT_MAX_HOPS, MAX_HOPS) + 1)).saturating_mul(child_complexity))"
    )]
    async fn paths(
        &self,
        ctx: &Context<'_>,
        from: ID,
        to: ID,
        #[graphql(default_with = "Some(DEFAULT_MAX_HOPS)")] max_hops: Option<i32>,
        #[graphql(default_with = "Some(DEFAULT_PATHS)")] first: Option<i32>,
    ) -> ApiResult<Vec<GraphPath>> {
        let max_hops = in_range("maxHops", max_hops.unwrap_or(DEFAULT_MAX_HOPS), 1, MAX_HOPS)?;
        let first = in_range("first", first.unwrap_or(DEFAULT_PATHS), 1, MAX_PATHS)?;
        let (start, end) = futures::try_join!(
            existing_node(ctx, &from, "from"),
            existing_node(ctx, &to, "to")
        )?;
        let conn = &ctx.data_unchecked::<Db>().conn;
        let found = graph::paths(conn, start, end, max_hops, first as usize).await?;
        let mut refs: Vec<NodeRef> = found.iter().flat_map(|p| p.nodes.clone()).collect();
        refs.sort();
        refs.dedup();
        let loaded = Loaded::load(ctx, &refs).await?;
        Ok(found
            .iter()
            .filter_map(|path| {
                let nodes = path
                    .nodes
                    .iter()
                    .map(|node| loaded.node(*node))
                    .collect::<Option<Vec<Node>>>()?;
                let edges = path.edges.iter().map(GraphEdge::of).collect();
                Some(GraphPath { nodes, edges })
            })
            .collect())
    }
}

/// `value` when it lies in `min..=max`; a `BAD_USER_INPUT` naming the limit otherwise.
/// For the cost estimate: how many nodes an argument lets a field return (the default when
/// not given; out-of-range values count as the maximum, the resolver refuses them anyway).
fn bound(value: Option<i32>, default: i32, max: i32) -> usize {
    value.unwrap_or(default).clamp(1, max) as usize
}

fn in_range(name: &str, value: i32, min: i32, max: i32) -> ApiResult<u32> {
    if (min..=max).contains(&value) {
        Ok(value as u32)
    } else {
        Err(ApiError::bad_input(format!(
            "`{name}` must be between {min} and {max} (got {value})"
        )))
    }
}

/// The node a global id names; `BAD_USER_INPUT` when the id is not valid or names no record.
async fn existing_node(ctx: &Context<'_>, id: &ID, argument: &str) -> ApiResult<NodeRef> {
    let (table, number) = decode_global_id(id)?;
    let node = NodeRef::new(table, number);
    let loaded = Loaded::load(ctx, &[node]).await?;
    if loaded.has(node) {
        Ok(node)
    } else {
        Err(ApiError::bad_input(format!(
            "`{argument}`: no record has the id \"{}\"",
            id.as_str()
        )))
    }
}

/// Rows of the nodes of a result, loaded through the request's loaders (one statement per
/// kind of node, shared with every other field that loads the same rows).
#[derive(Default)]
struct Loaded {
    publications: HashMap<i64, publication::Model>,
    datasets: HashMap<i64, dataset::Model>,
    producers: HashMap<i64, producer::Model>,
}

impl Loaded {
    async fn load(ctx: &Context<'_>, nodes: &[NodeRef]) -> ApiResult<Self> {
        let (publications, datasets, producers) = futures::try_join!(
            rows::<publication::Model>(ctx, nodes),
            rows::<dataset::Model>(ctx, nodes),
            rows::<producer::Model>(ctx, nodes),
        )?;
        Ok(Self {
            publications,
            datasets,
            producers,
        })
    }

    fn has(&self, node: NodeRef) -> bool {
        match node.table {
            Table::Publication => self.publications.contains_key(&node.id),
            Table::Dataset => self.datasets.contains_key(&node.id),
            Table::Producer => self.producers.contains_key(&node.id),
        }
    }

    fn node(&self, node: NodeRef) -> Option<Node> {
        Some(match node.table {
            Table::Publication => {
                Node::Publication(self.publications.get(&node.id)?.clone().into())
            }
            Table::Dataset => Node::Dataset(self.datasets.get(&node.id)?.clone().into()),
            Table::Producer => Node::Producer(self.producers.get(&node.id)?.clone().into()),
        })
    }
}

/// The rows of `R`'s table among `nodes`, by id; no statement when there are none.
async fn rows<R: Record>(ctx: &Context<'_>, nodes: &[NodeRef]) -> ApiResult<HashMap<i64, R>> {
    let ids: Vec<ById<R>> = nodes
        .iter()
        .filter(|node| node.table == R::TABLE)
        .map(|node| ById::new(node.id))
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found = ctx.data_unchecked::<Loaders>().load_many(ids).await?;
    Ok(found.into_iter().map(|(key, row)| (key.0, row)).collect())
}
