//! Keyset pages of a list for many parents at once: one statement returns the first
//! `limit + 1` children of every parent (a window function per parent), so a nested connection
//! costs one statement per level whatever the page size or number of parents. Positions are
//! the sort key values plus the row id, so pages stay stable under inserts.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult};

use super::carried::{CarriedCredits, Credit};
use super::entities::Record;
use super::list_spec::fts_relevance;
pub use super::list_spec::{Direction, KeyType, Link, ListSpec, SortKey, Table};
use super::sql::{MAX_IN_LIST, Sql};

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

fn edge_data(link: &Link, row: &QueryResult) -> Result<EdgeData, DbErr> {
    Ok(match link {
        Link::PublicationDatasets { .. } | Link::DatasetPublications { .. } => {
            EdgeData::Link(LinkFields {
                relation_type: row.try_get("", "sg_relation_type")?,
                source: row.try_get("", "sg_source")?,
                linked_on: row.try_get("", "sg_linked_on")?,
            })
        }
        Link::CoUse => EdgeData::Shared(row.try_get("", "sg_shared")?),
        _ => EdgeData::None,
    })
}

fn position(row: &QueryResult, sort: &[(String, KeyType, Direction)]) -> Result<Position, DbErr> {
    let mut keys = Vec::with_capacity(sort.len() - 1);
    for (i, (_, key_type, _)) in sort[..sort.len() - 1].iter().enumerate() {
        let column = format!("sg_k{i}");
        let value = match key_type {
            KeyType::Int => row.try_get::<Option<i64>>("", &column)?.map(KeyValue::Int),
            KeyType::Text => row
                .try_get::<Option<String>>("", &column)?
                .map(KeyValue::Text),
            KeyType::Float => row
                .try_get::<Option<f64>>("", &column)?
                .map(|f| KeyValue::Float { f: f.to_bits() }),
        };
        keys.push(value.unwrap_or(KeyValue::Null));
    }
    Ok(Position {
        keys,
        id: row.try_get("", "id")?,
    })
}

fn bind_key(sql: &mut Sql, value: &KeyValue) {
    match value {
        KeyValue::Int(v) => sql.bind(*v),
        KeyValue::Text(v) => sql.bind(v.clone()),
        KeyValue::Float { f } => sql.bind(f64::from_bits(*f)),
        KeyValue::Null => sql.push("NULL"),
    };
}

/// Rows strictly after (or, with `before`, strictly before) `position` in the list order,
/// where every key sorts its nulls last.
fn write_keyset(
    sql: &mut Sql,
    sort: &[(String, KeyType, Direction)],
    position: &Position,
    before: bool,
) {
    let mut values: Vec<&KeyValue> = position.keys.iter().collect();
    let id = KeyValue::Int(position.id);
    values.push(&id);
    sql.push("(");
    for i in 0..sort.len() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push("(");
        for (j, ((expr, _, _), value)) in sort.iter().zip(&values).take(i).enumerate() {
            if j > 0 {
                sql.push(" AND ");
            }
            if **value == KeyValue::Null {
                sql.push(expr).push(" IS NULL");
            } else {
                sql.push(expr).push(" = ");
                bind_key(sql, value);
            }
        }
        if i > 0 {
            sql.push(" AND ");
        }
        let (expr, _, direction) = &sort[i];
        let value = values[i];
        let greater = (*direction == Direction::Asc) != before;
        match (value, before) {
            // After a null: only later ties (handled by the next keys).
            (KeyValue::Null, false) => {
                sql.push("1 = 0");
            }
            // Before a null: every non-null value.
            (KeyValue::Null, true) => {
                sql.push(expr).push(" IS NOT NULL");
            }
            (value, false) => {
                sql.push("(")
                    .push(expr)
                    .push(if greater { " > " } else { " < " });
                bind_key(sql, value);
                sql.push(" OR ").push(expr).push(" IS NULL)");
            }
            (value, true) => {
                sql.push(expr).push(if greater { " > " } else { " < " });
                bind_key(sql, value);
            }
        }
        sql.push(")");
    }
    sql.push(")");
}

fn order_by(sort: &[(String, KeyType, Direction)], backward: bool) -> String {
    sort.iter()
        .map(|(expr, _, direction)| {
            let ascending = (*direction == Direction::Asc) != backward;
            format!(
                "{expr} {} {}",
                if ascending { "ASC" } else { "DESC" },
                if backward {
                    "NULLS FIRST"
                } else {
                    "NULLS LAST"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SELECT x.*{outer} FROM (VALUES (p1), (p2), …) sg_p(id) CROSS JOIN LATERAL (`: one row per
/// parent, for a per-parent subquery that reads `sg_p.id`.
fn write_parent_values(sql: &mut Sql, parents: &[i64], outer: &str) {
    sql.push("SELECT x.*").push(outer).push(" FROM (VALUES ");
    for (i, parent) in parents.iter().enumerate() {
        sql.push(if i == 0 { "(CAST(" } else { ", (CAST(" })
            .bind(*parent)
            .push(" AS BIGINT))");
    }
    sql.push(") sg_p(id) CROSS JOIN LATERAL (");
}

fn page_statement(
    conn: &impl ConnectionTrait,
    spec: &ListSpec,
    window: &Window,
    parents: &[i64],
    columns: &str,
    credits: Option<&CarriedCredits>,
    total: bool,
) -> sea_orm::Statement {
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    // Carried credits are computed for the rows a page returns, never for the rows a window
    // or a limit drops (SQLite would compute a select list's subquery for every row it
    // sorts): in an outer select over the page's rows (`x`).
    let carried = |row: &str| -> String {
        credits
            .map(|c| format!(", {}", c.select_expr(backend, &format!("{row}.id"))))
            .unwrap_or_default()
    };
    // The whole list's count, once per statement (an uncorrelated subquery).
    let count = |sql: &mut Sql| {
        if total {
            sql.push(", (SELECT COUNT(*) FROM ");
            spec.write_count_from_where(sql, parents);
            sql.push(") AS sg_total");
        }
    };
    let sort = spec.sort_exprs(backend);
    let order = order_by(&sort, window.backward);
    // The row limit is written as a literal, never bound: PostgreSQL's generic plan for a
    // prepared statement with a bound LIMIT reads every matching row and sorts them (it must
    // assume a large limit), which it prefers once the statement also counts the whole list
    // (a filtered page with its count: 135 ms instead of 60 ms at 200,000 publications).
    let fetch = (window.limit + 1).to_string();
    // `keys`: the sort's expressions as this select reads them (the last is the id).
    let select = |sql: &mut Sql,
                  row_number: Option<&str>,
                  keys: &[(String, KeyType, Direction)]| {
        let parent = spec.link.parent_expr();
        sql.push("SELECT ").push(parent).push(" AS sg_parent");
        match spec.link {
            Link::PublicationDatasets { .. } | Link::DatasetPublications { .. } => {
                sql.push(", l.relation_type AS sg_relation_type, l.source AS sg_source, l.linked_on AS sg_linked_on");
            }
            Link::CoUse => {
                sql.push(", l.shared AS sg_shared");
            }
            _ => {}
        }
        sql.push(", ").push(columns);
        if row_number.is_none() {
            count(sql);
        }
        for (i, (expr, key_type, _)) in keys[..keys.len() - 1].iter().enumerate() {
            // Read back with one type on both backends (PostgreSQL's length() is INT4, ts_rank FLOAT4).
            let read = match key_type {
                KeyType::Int => format!("CAST({expr} AS BIGINT)"),
                KeyType::Float => format!("CAST({expr} AS DOUBLE PRECISION)"),
                KeyType::Text => expr.clone(),
            };
            sql.push(", ").push(&read).push(&format!(" AS sg_k{i}"));
        }
        if let Some(partition) = row_number {
            sql.push(", ROW_NUMBER() OVER (")
                .push(partition)
                .push("ORDER BY ")
                .push(&order)
                .push(") AS sg_rn");
        }
        sql.push(" FROM ");
    };
    let keyset = |sql: &mut Sql| {
        if let Some(after) = &window.after {
            sql.push(" AND ");
            write_keyset(sql, &sort, after, false);
        }
        if let Some(before) = &window.before {
            sql.push(" AND ");
            write_keyset(sql, &sort, before, true);
        }
    };
    let first_by_relevance = spec.order == [(SortKey::Relevance, Direction::Desc)]
        && window.after.is_none()
        && window.before.is_none()
        && !window.backward;
    if let (true, true, Some(search)) = (
        backend != DatabaseBackend::Postgres && parents.len() <= 1,
        first_by_relevance,
        spec.search_alone(),
    ) {
        // SQLite, the first page of a whole-table search ranked by relevance alone: the best
        // matches from the FTS5 index (bm25 read there), then only their rows, where ranking
        // the joined rows would read every match's wide row. Same order: score, then id.
        let table = spec.child_table();
        let fts = format!("{}_fts", table.name());
        sql.push("SELECT ")
            .push(spec.link.parent_expr())
            .push(" AS sg_parent, ")
            .push(columns)
            .push(&carried("t"));
        count(&mut sql);
        sql.push(
            ", CAST(sg_top.sg_score AS DOUBLE PRECISION) AS sg_k0 FROM (SELECT rowid AS sg_id, ",
        )
        .push(&fts_relevance(table))
        .push(" AS sg_score FROM ")
        .push(&fts)
        .push(" WHERE ")
        .push(&fts)
        .push(" MATCH ")
        .bind(search.render(backend))
        .push(" ORDER BY sg_score DESC, rowid ASC LIMIT ")
        .push(&fetch)
        .push(") sg_top JOIN ")
        .push(table.name())
        .push(" t ON t.id = sg_top.sg_id ORDER BY sg_top.sg_score DESC, t.id ASC");
        return sql.build();
    }
    if parents.len() <= 1 {
        if credits.is_some() {
            sql.push("SELECT x.*").push(&carried("x")).push(" FROM (");
        }
        if let Some(columns) = spec.narrow_page_columns(backend) {
            // SQLite: the page's ids and sort keys through the narrow covering index
            // (`sg_top`), then only those wide rows, in the same order.
            let mut top_keys = sort.clone();
            for (i, (expr, _, _)) in top_keys[..sort.len() - 1].iter_mut().enumerate() {
                *expr = format!("sg_top.sg_kv{i}");
            }
            select(&mut sql, None, &top_keys);
            sql.push("(SELECT t.id AS sg_id");
            for (i, (expr, _, _)) in sort[..sort.len() - 1].iter().enumerate() {
                sql.push(", ").push(expr).push(&format!(" AS sg_kv{i}"));
            }
            sql.push(" FROM ");
            spec.write_narrow_from_joins_where(&mut sql, parents, &columns, &|_| {});
            keyset(&mut sql);
            sql.push(" ORDER BY ")
                .push(&order)
                .push(" LIMIT ")
                .push(&fetch)
                .push(") sg_top JOIN ")
                .push(spec.child_table().name())
                .push(" t ON t.id = sg_top.sg_id ORDER BY ")
                .push(&order_by(&top_keys, window.backward));
        } else {
            select(&mut sql, None, &sort);
            spec.write_from_where(&mut sql, parents);
            keyset(&mut sql);
            sql.push(" ORDER BY ")
                .push(&order)
                .push(" LIMIT ")
                .push(&fetch);
        }
        if credits.is_some() {
            // The page's order again, by the key values it reads (ids break ties).
            let read_back: Vec<_> = sort
                .iter()
                .enumerate()
                .map(|(i, (_, key_type, direction))| {
                    let column = if i + 1 == sort.len() {
                        "x.id".to_owned()
                    } else {
                        format!("x.sg_k{i}")
                    };
                    (column, *key_type, *direction)
                })
                .collect();
            sql.push(") x ORDER BY ")
                .push(&order_by(&read_back, window.backward));
        }
    } else if backend == DatabaseBackend::Postgres && spec.pages_by_links_alone() {
        // Each parent's first links by child id from the (parent, child) index, then only
        // those children: a popular dataset's hundreds of links are neither read nor joined
        // (the planner, expecting a dozen links a parent, would otherwise sort them all).
        let link_sort = [("l.child_id".to_owned(), KeyType::Int, Direction::Asc)];
        write_parent_values(&mut sql, parents, &carried("x"));
        select(&mut sql, Some(""), &sort);
        sql.push("(SELECT * FROM ");
        spec.write_links(&mut sql);
        sql.push(" WHERE l.parent_id = sg_p.id");
        if let Some(after) = &window.after {
            sql.push(" AND ");
            write_keyset(&mut sql, &link_sort, after, false);
        }
        if let Some(before) = &window.before {
            sql.push(" AND ");
            write_keyset(&mut sql, &link_sort, before, true);
        }
        sql.push(" ORDER BY ")
            .push(&order_by(&link_sort, window.backward))
            .push(" LIMIT ")
            .push(&fetch)
            .push(") l JOIN ")
            .push(spec.child_table().name())
            .push(" t ON t.id = l.child_id ORDER BY ")
            .push(&order)
            .push(") x ORDER BY x.sg_parent, x.sg_rn");
    } else if backend == DatabaseBackend::Postgres && spec.link_takes_outer_parent() {
        // One index range scan per parent that stops after `fetch` rows, where a window over
        // every child would read all links of a popular parent.
        write_parent_values(&mut sql, parents, &carried("x"));
        select(&mut sql, Some(""), &sort);
        spec.write_from_where_for_outer(&mut sql, "sg_p.id");
        keyset(&mut sql);
        sql.push(" ORDER BY ")
            .push(&order)
            .push(" LIMIT ")
            .push(&fetch)
            .push(") x ORDER BY x.sg_parent, x.sg_rn");
    } else {
        let partition = format!("PARTITION BY {} ", spec.link.parent_expr());
        sql.push("SELECT x.*").push(&carried("x")).push(" FROM (");
        select(&mut sql, Some(&partition), &sort);
        spec.write_from_where(&mut sql, parents);
        keyset(&mut sql);
        sql.push(") x WHERE x.sg_rn <= ")
            .push(&fetch)
            .push(" ORDER BY x.sg_parent, x.sg_rn");
    }
    sql.build()
}
