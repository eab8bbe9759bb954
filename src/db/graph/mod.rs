//! The records as one graph: publication–dataset links, producer credits and the producer
//! hierarchy are its edges. [`expand`] reads the neighbors of a whole breadth-first level in one
//! statement; [`neighborhood`] and [`paths`] are the bounded searches built on it.

mod neighborhood;
mod paths;

use std::cmp::Ordering;
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

pub use self::neighborhood::{Limits, Neighborhood, neighborhood};
pub use self::paths::{Path, paths};
use super::entities::CreditTable;
use super::list_spec::Table;
use super::sql::Sql;

/// Most nodes one statement expands; a longer frontier takes one statement per chunk. With
/// every side of the searches capped at this size, one hop is one statement.
pub const MAX_FRONTIER: usize = 1_000;

/// One node: a row of one of the three tables. Nodes sort by table (publications, datasets,
/// producers), then id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeRef {
    pub table: Table,
    pub id: i64,
}

impl NodeRef {
    pub fn new(table: Table, id: i64) -> Self {
        Self { table, id }
    }
}

fn table_code(table: Table) -> i32 {
    match table {
        Table::Publication => 0,
        Table::Dataset => 1,
        Table::Producer => 2,
    }
}

fn table_of(code: i32) -> Result<Table, DbErr> {
    match code {
        0 => Ok(Table::Publication),
        1 => Ok(Table::Dataset),
        2 => Ok(Table::Producer),
        _ => Err(DbErr::Custom(format!("unknown node table code {code}"))),
    }
}

impl Ord for NodeRef {
    fn cmp(&self, other: &Self) -> Ordering {
        (table_code(self.table), self.id).cmp(&(table_code(other.table), other.id))
    }
}

impl PartialOrd for NodeRef {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What an edge stands for (in this order wherever edges are sorted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// Publication → dataset; the detail is the stored relation type.
    RelatedDataset,
    /// Publication or dataset → a producer credited for it; the detail is the stored role.
    ProducerCredit,
    /// Producer → its parent unit.
    SubunitOf,
}

/// An edge in its own direction (publication → dataset, record → producer, subunit → parent),
/// whichever end it was found from. Sorts by kind, from, to, detail.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edge {
    pub kind: EdgeKind,
    pub from: NodeRef,
    pub to: NodeRef,
    /// The relation type or the role, as stored; none for the hierarchy.
    pub detail: Option<String>,
}

impl Edge {
    /// The end that is not `node`.
    pub fn other(&self, node: NodeRef) -> NodeRef {
        if self.from == node {
            self.to
        } else {
            self.from
        }
    }
}

/// What expanding one node found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Its first neighbors, in rank order: a producer's parent first, then by edge kind, table
    /// and id.
    pub neighbors: Vec<NodeRef>,
    /// Every edge to those neighbors (a producer may be credited in several roles).
    pub edges: Vec<Edge>,
    /// How many distinct neighbors it has in all.
    pub total: u64,
}

/// One way to step from a node to its neighbors: a link table read from one side.
struct Step {
    from: Table,
    to: Table,
    kind: EdgeKind,
    /// The edge points from the expanded node to the neighbor.
    forward: bool,
    table: &'static str,
    /// The expanded node's column, the neighbor's column, and the detail expression.
    columns: (&'static str, &'static str, &'static str),
}

/// Every step, in rank order for each kind of expanded node (a neighbor's rank is its step's
/// index, then its id): a producer's parent comes first, so a busy agency keeps its place in
/// the hierarchy under any `perNodeLimit`.
fn steps() -> [Step; 8] {
    use EdgeKind::*;
    use Table::{Dataset, Producer, Publication};
    let (pub_credits, pub_owner, _) = CreditTable::Publication.table();
    let (ds_credits, ds_owner, _) = CreditTable::Dataset.table();
    let none = "CAST(NULL AS TEXT)";
    // from, to, kind, forward, table, (expanded node's column, neighbor's column, detail)
    #[rustfmt::skip]
    let steps = [
        (Producer, Producer, SubunitOf, true, "producer", ("id", "parent_id", none)),
        (Publication, Dataset, RelatedDataset, true, "publication_dataset", ("publication_id", "dataset_id", "relation_type")),
        (Dataset, Publication, RelatedDataset, false, "publication_dataset", ("dataset_id", "publication_id", "relation_type")),
        (Publication, Producer, ProducerCredit, true, pub_credits, (pub_owner, "producer_id", "role")),
        (Dataset, Producer, ProducerCredit, true, ds_credits, (ds_owner, "producer_id", "role")),
        (Producer, Publication, ProducerCredit, false, pub_credits, ("producer_id", pub_owner, "role")),
        (Producer, Dataset, ProducerCredit, false, ds_credits, ("producer_id", ds_owner, "role")),
        (Producer, Producer, SubunitOf, false, "producer", ("parent_id", "id", none)),
    ];
    steps.map(|(from, to, kind, forward, table, columns)| Step {
        from,
        to,
        kind,
        forward,
        table,
        columns,
    })
}

/// The neighbors of every node of `frontier`: at most `per_node` distinct neighbors each (in
/// rank order), with every edge to them and each node's total. Publication–dataset links are
/// only followed for `relation_types` (stored names; empty: all). One statement per
/// [`MAX_FRONTIER`] nodes: every step is a branch of one `UNION ALL`, ranked per expanded node
/// with `DENSE_RANK`. Nodes without neighbors are absent.
pub async fn expand(
    conn: &impl ConnectionTrait,
    frontier: &[NodeRef],
    relation_types: &[String],
    per_node: u64,
) -> Result<HashMap<NodeRef, Expansion>, DbErr> {
    let steps = steps();
    let mut out: HashMap<NodeRef, Expansion> = HashMap::new();
    for chunk in frontier.chunks(MAX_FRONTIER) {
        let Some(statement) = expand_statement(
            conn.get_database_backend(),
            &steps,
            chunk,
            relation_types,
            per_node,
        ) else {
            continue;
        };
        for row in conn.query_all_raw(statement).await? {
            let source = NodeRef::new(
                table_of(row.try_get("", "sg_src_type")?)?,
                row.try_get("", "sg_src")?,
            );
            let index: i32 = row.try_get("", "sg_step")?;
            let step = usize::try_from(index)
                .ok()
                .and_then(|i| steps.get(i))
                .ok_or_else(|| DbErr::Custom(format!("unknown graph step {index}")))?;
            let neighbor = NodeRef::new(step.to, row.try_get("", "sg_dst")?);
            let (from, to) = if step.forward {
                (source, neighbor)
            } else {
                (neighbor, source)
            };
            let expansion = out.entry(source).or_default();
            expansion.total = row.try_get::<i64>("", "sg_total")?.max(0) as u64;
            if expansion.neighbors.last() != Some(&neighbor) {
                expansion.neighbors.push(neighbor);
            }
            expansion.edges.push(Edge {
                kind: step.kind,
                from,
                to,
                detail: row.try_get("", "sg_detail")?,
            });
        }
    }
    Ok(out)
}

/// The statement for one chunk; `None` when no step applies.
fn expand_statement(
    backend: sea_orm::DatabaseBackend,
    steps: &[Step],
    frontier: &[NodeRef],
    relation_types: &[String],
    per_node: u64,
) -> Option<sea_orm::Statement> {
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT x.sg_src_type, x.sg_src, x.sg_step, x.sg_dst, x.sg_detail, x.sg_total FROM (\
         SELECT r.*, MAX(r.sg_rank) OVER (PARTITION BY r.sg_src_type, r.sg_src) AS sg_total FROM (\
         SELECT e.*, DENSE_RANK() OVER (PARTITION BY e.sg_src_type, e.sg_src \
         ORDER BY e.sg_step, e.sg_dst) AS sg_rank FROM (",
    );
    let mut branches = 0;
    for (index, step) in steps.iter().enumerate() {
        let ids: Vec<i64> = frontier
            .iter()
            .filter(|node| node.table == step.from)
            .map(|node| node.id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let (source, neighbor, detail) = step.columns;
        if branches > 0 {
            sql.push(" UNION ALL ");
        }
        branches += 1;
        sql.push(&format!(
            "SELECT {} AS sg_src_type, {source} AS sg_src, {index} AS sg_step, {neighbor} AS sg_dst, \
             {detail} AS sg_detail FROM {} WHERE {neighbor} IS NOT NULL AND {source} IN ",
            table_code(step.from),
            step.table,
        ))
        .bind_list(ids);
        if step.kind == EdgeKind::RelatedDataset && !relation_types.is_empty() {
            sql.push(" AND relation_type IN ")
                .bind_list(relation_types.iter().cloned());
        }
    }
    if branches == 0 {
        return None;
    }
    sql.push(") e) r) x WHERE x.sg_rank <= ")
        .bind(per_node.min(i64::MAX as u64) as i64)
        .push(" ORDER BY x.sg_src_type, x.sg_src, x.sg_rank, x.sg_detail");
    Some(sql.build())
}

/// Expanding a frontier: the database, or (in unit tests) a graph in memory.
pub(crate) trait Expand {
    async fn expand(
        &self,
        frontier: &[NodeRef],
        per_node: u64,
    ) -> Result<HashMap<NodeRef, Expansion>, DbErr>;
}

/// The database's links, publication–dataset links only of `relation_types` (empty: all).
struct Links<'a, C> {
    conn: &'a C,
    relation_types: &'a [String],
}

impl<C: ConnectionTrait> Expand for Links<'_, C> {
    async fn expand(
        &self,
        frontier: &[NodeRef],
        per_node: u64,
    ) -> Result<HashMap<NodeRef, Expansion>, DbErr> {
        expand(self.conn, frontier, self.relation_types, per_node).await
    }
}

#[cfg(test)]
pub(crate) mod memory {
    //! A graph in memory with the same ranking as the SQL, for the searches' unit tests.

    use super::*;

    #[derive(Default)]
    pub struct Memory(pub Vec<Edge>);

    pub fn node(table: Table, id: i64) -> NodeRef {
        NodeRef::new(table, id)
    }

    impl Memory {
        pub fn link(&mut self, kind: EdgeKind, from: NodeRef, to: NodeRef, detail: Option<&str>) {
            self.0.push(Edge {
                kind,
                from,
                to,
                detail: detail.map(str::to_owned),
            });
        }
    }

    impl Expand for Memory {
        async fn expand(
            &self,
            frontier: &[NodeRef],
            per_node: u64,
        ) -> Result<HashMap<NodeRef, Expansion>, DbErr> {
            let mut out = HashMap::new();
            for &source in frontier {
                // Rank: parent first, then kind, then the neighbor.
                let rank = |e: &Edge| {
                    let parent = e.kind == EdgeKind::SubunitOf && e.from == source;
                    (!parent, e.kind, e.other(source), e.detail.clone())
                };
                let mut edges: Vec<&Edge> = self
                    .0
                    .iter()
                    .filter(|e| e.from == source || e.to == source)
                    .collect();
                edges.sort_by_key(|e| rank(e));
                let mut expansion = Expansion::default();
                let mut seen = Vec::new();
                for edge in edges {
                    let neighbor = edge.other(source);
                    if !seen.contains(&neighbor) {
                        seen.push(neighbor);
                        if seen.len() as u64 <= per_node {
                            expansion.neighbors.push(neighbor);
                        }
                    }
                    if expansion.neighbors.contains(&neighbor) {
                        expansion.edges.push(edge.clone());
                    }
                }
                expansion.total = seen.len() as u64;
                if expansion.total > 0 {
                    out.insert(source, expansion);
                }
            }
            Ok(out)
        }
    }
}
