//! The SQL of a page: one statement reading `limit + 1` children of every parent after (or
//! before) a keyset position, and what each row it returns says (its edge's fields, its
//! position).

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult};

use super::{
    Direction, EdgeData, KeyType, KeyValue, Link, LinkFields, ListSpec, Position, SortKey, Window,
};
use crate::db::carried::CarriedCredits;
use crate::db::list_spec::fts_relevance;
use crate::db::sql::Sql;

pub(super) fn edge_data(link: &Link, row: &QueryResult) -> Result<EdgeData, DbErr> {
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

pub(super) fn position(
    row: &QueryResult,
    sort: &[(String, KeyType, Direction)],
) -> Result<Position, DbErr> {
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

pub(super) fn page_statement(
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
    if backend != DatabaseBackend::Postgres
        && parents.len() <= 1
        && first_by_relevance
        && let Some(search) = spec.search_alone()
    {
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
