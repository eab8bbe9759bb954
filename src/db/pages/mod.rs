//! Keyset pages of a list for many parents at once: one statement returns the first
//! `limit + 1` children of every parent (a window function per parent), so a nested connection
//! costs one statement per level whatever the page size or number of parents. Positions are
//! the sort key values plus the row id, so pages stay stable under inserts.

mod statement;

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use super::carried::{CarriedCredits, Credit};
use super::entities::Record;
pub use super::list_spec::{Direction, KeyType, Link, ListSpec, SortKey, Table};
use super::sql::{MAX_IN_LIST, Sql};
use statement::{edge_data, page_statement, position};

/// A sort key value as read from a row (floats by their bits, so positions can be hashed).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Null,
    Int(i64),
    Text(String),
    Float { f: u64 },
}

/// Where a row sits in its list's order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub keys: Vec<KeyValue>,
    pub id: i64,
}

impl Position {
    /// Whether the position has a key of the right type (or null) for each sort key of a list
    /// sorted by `types` (its sort keys before the id): a position read from a cursor of
    /// another shape would make a wrong keyset condition.
    pub fn fits(&self, types: &[KeyType]) -> bool {
        self.keys.len() == types.len()
            && self.keys.iter().zip(types).all(|(key, key_type)| {
                matches!(
                    (key, key_type),
                    (KeyValue::Null, _)
                        | (KeyValue::Int(_), KeyType::Int)
                        | (KeyValue::Text(_), KeyType::Text)
                        | (KeyValue::Float { .. }, KeyType::Float)
                )
            })
    }
}

/// Which slice of a list to read: `limit` rows after/before positions, forward or backward.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    pub limit: u64,
    pub backward: bool,
    pub after: Option<Position>,
    pub before: Option<Position>,
}

/// The link's own columns on a publication↔dataset edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkFields {
    pub relation_type: String,
    pub source: Option<String>,
    pub linked_on: Option<chrono::NaiveDate>,
}

/// What an edge carries besides its node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeData {
    None,
    Link(LinkFields),
    /// Co-use: how many datasets the two publications share.
    Shared(i64),
}

/// One row of a page.
#[derive(Clone, Debug)]
pub struct PageRow<M> {
    pub row: M,
    pub edge: EdgeData,
    pub position: Position,
}

/// One page of one parent's children, in list order.
#[derive(Clone, Debug)]
pub struct PageRows<M> {
    pub rows: Vec<PageRow<M>>,
    /// More rows exist beyond the window in the reading direction.
    pub has_more: bool,
    /// The whole list's length, when the page's statement counted it (see [`PageReads`]).
    pub total: Option<i64>,
}

impl<M> Default for PageRows<M> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            has_more: false,
            total: None,
        }
    }
}

/// What a page statement reads besides its rows' own columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PageReads {
    /// Leave the row type's deferred long texts out (see [`Record::DEFERRED`]).
    pub lean: bool,
    /// Every row brings its credits (returned beside the pages).
    pub credits: Option<CarriedCredits>,
    /// The page's statement also counts the whole list where that plans well (see
    /// `counts_with_page`): one statement for a page and its `totalCount`. An empty page after
    /// a cursor says nothing of the count, which is then read on its own.
    pub total: bool,
}

/// Credits carried by a page's rows, by row id (see [`super::carried`]).
pub type CarriedByRow = Vec<(i64, Vec<Credit>)>;

/// Reads one page per parent, with what `reads` adds. Parents without children are absent
/// from the map.
pub async fn load_pages<M: Record>(
    conn: &impl ConnectionTrait,
    spec: &ListSpec,
    window: &Window,
    parents: &[i64],
    reads: &PageReads,
) -> Result<(HashMap<i64, PageRows<M>>, CarriedByRow), DbErr> {
    let window = &*crate::db::search::anchor::anchored(conn, spec, window).await?;
    let sort = spec.sort_exprs(conn.get_database_backend());
    let credits = reads.credits;
    let total = reads.total && counts_with_page(spec, parents, conn.get_database_backend());
    let columns = if reads.lean {
        M::lean_select_list("t")
    } else {
        M::select_list("t")
    };
    let mut pages: HashMap<i64, PageRows<M>> = HashMap::new();
    let mut carried = Vec::new();
    for chunk in parents.chunks(MAX_IN_LIST) {
        let statement =
            page_statement(conn, spec, window, chunk, &columns, credits.as_ref(), total);
        for row in conn.query_all_raw(statement).await? {
            let parent: i64 = row.try_get("", "sg_parent")?;
            let page = pages.entry(parent).or_default();
            if total && page.total.is_none() {
                page.total = Some(row.try_get("", "sg_total")?);
            }
            if page.rows.len() as u64 == window.limit {
                page.has_more = true;
                continue;
            }
            let edge = edge_data(&spec.link, &row)?;
            let position = position(&row, &sort)?;
            if credits.is_some() {
                carried.push((position.id, CarriedCredits::read(&row)?));
            }
            page.rows.push(PageRow {
                row: M::from_query_result(&row, "")?,
                edge,
                position,
            });
        }
    }
    if window.backward {
        for page in pages.values_mut() {
            page.rows.reverse();
        }
    }
    Ok((pages, carried))
}

/// Whether a page statement may count its whole list too (see [`PageReads::total`]): one
/// parent, and on PostgreSQL no filter or search. PostgreSQL reuses a generic plan for a
/// prepared statement once it costs about as much as the custom ones, which a statement that
/// counts many rows soon does; that plan cannot know how many rows a filter's bound values
/// select, and for a filtered page it sorts every match instead of walking the order's index
/// (a filtered page with its count: ~115 ms in one statement, ~50 ms as two side by side, at
/// 200,000 publications). Unfiltered lists and one record's links plan the same either way.
fn counts_with_page(spec: &ListSpec, parents: &[i64], backend: DatabaseBackend) -> bool {
    parents.len() == 1
        && (backend != DatabaseBackend::Postgres
            || (spec.conditions.is_empty() && spec.search.is_none()))
}

/// Counts every parent's children (ignoring the window). Parents without children are absent.
pub async fn count_children(
    conn: &impl ConnectionTrait,
    spec: &ListSpec,
    parents: &[i64],
) -> Result<HashMap<i64, i64>, DbErr> {
    let mut counts = HashMap::new();
    let parent = spec.link.parent_expr();
    for chunk in parents.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("SELECT ")
            .push(parent)
            .push(" AS sg_parent, COUNT(*) AS sg_count FROM ");
        spec.write_count_from_where(&mut sql, chunk);
        if !matches!(spec.link, Link::All(_)) {
            sql.push(" GROUP BY ").push(parent);
        }
        for row in conn.query_all_raw(sql.build()).await? {
            counts.insert(
                row.try_get::<i64>("", "sg_parent")?,
                row.try_get::<i64>("", "sg_count")?,
            );
        }
    }
    Ok(counts)
}
