//! Batched reads that loaders build on: rows by id, value lists, producer credits and
//! producer ancestors — each one statement for any number of owners.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::entities::{CreditTable, Record, ValueList, prefixed_select_list, producer};
use super::sql::{MAX_IN_LIST, Sql};

/// Rows of `R`'s table by id.
pub async fn by_ids<R: Record>(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, R>, DbErr> {
    by_ids_reading(conn, ids, &R::select_list("t")).await
}

/// Rows of `R`'s table by id, reading `columns` of `t` (`R::lean_select_list` leaves the long
/// texts to be read when asked).
pub async fn by_ids_reading<R: Record>(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    columns: &str,
) -> Result<HashMap<i64, R>, DbErr> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("SELECT ")
            .push(columns)
            .push(" FROM ")
            .push(R::TABLE.name())
            .push(" t WHERE t.id IN ")
            .bind_list(chunk.iter().copied());
        for row in conn.query_all_raw(sql.build()).await? {
            let record = R::from_query_result(&row, "")?;
            out.insert(record.id(), record);
        }
    }
    Ok(out)
}

/// The row of `R`'s table with this id, locked for the rest of the transaction: on
/// PostgreSQL `FOR UPDATE`, so that concurrent writes to one record run one after another
/// (each reads what the one before it committed, and a record deleted meanwhile is not
/// found); SQLite's write transactions already take the whole database.
pub async fn locked<R: Record>(conn: &impl ConnectionTrait, id: i64) -> Result<Option<R>, DbErr> {
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("SELECT ")
        .push(&R::select_list("t"))
        .push(" FROM ")
        .push(R::TABLE.name())
        .push(" t WHERE t.id = ")
        .bind(id);
    if backend == sea_orm::DatabaseBackend::Postgres {
        sql.push(" FOR UPDATE OF t");
    }
    conn.query_one_raw(sql.build())
        .await?
        .map(|row| R::from_query_result(&row, ""))
        .transpose()
}

/// One text column of rows of `table` by id (ids whose value is NULL are absent).
pub async fn texts(
    conn: &impl ConnectionTrait,
    table: super::pages::Table,
    column: &str,
    ids: &[i64],
) -> Result<HashMap<i64, String>, DbErr> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("SELECT id, ")
            .push(column)
            .push(" AS sg_text FROM ")
            .push(table.name())
            .push(" WHERE id IN ")
            .bind_list(chunk.iter().copied())
            .push(" AND ")
            .push(column)
            .push(" IS NOT NULL");
        for row in conn.query_all_raw(sql.build()).await? {
            out.insert(row.try_get("", "id")?, row.try_get("", "sg_text")?);
        }
    }
    Ok(out)
}

/// Each owner's list, in position order. Owners with an empty list are absent.
pub async fn value_lists(
    conn: &impl ConnectionTrait,
    list: ValueList,
    owners: &[i64],
) -> Result<HashMap<i64, Vec<String>>, DbErr> {
    let (table, owner) = list.table();
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in owners.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("SELECT ")
            .push(owner)
            .push(" AS owner, value FROM ")
            .push(table)
            .push(" WHERE ")
            .push(owner)
            .push(" IN ")
            .bind_list(chunk.iter().copied())
            .push(" ORDER BY ")
            .push(owner)
            .push(", position");
        for row in conn.query_all_raw(sql.build()).await? {
            out.entry(row.try_get("", "owner")?)
                .or_default()
                .push(row.try_get("", "value")?);
        }
    }
    Ok(out)
}

/// Each owner's credited producers with their roles (by role, then name).
pub type Credits = HashMap<i64, Vec<(String, producer::Model)>>;

/// The producers credited to each owner in `table`, with their roles (by role, then name).
pub async fn credits(
    conn: &impl ConnectionTrait,
    table: CreditTable,
    owners: &[i64],
) -> Result<Credits, DbErr> {
    Ok(credits_and_parents(conn, table, owners, false).await?.0)
}

/// [`credits`], and with `parents` the credited producers' parents too, read by the same
/// statement (a query that shows each credited producer's parent needs no second one).
pub async fn credits_and_parents(
    conn: &impl ConnectionTrait,
    table: CreditTable,
    owners: &[i64],
    parents: bool,
) -> Result<(Credits, Vec<producer::Model>), DbErr> {
    const PARENT: &str = "sg_parent_";
    let (credits, owner, _) = table.table();
    let mut out = Credits::new();
    let mut parent_rows = Vec::new();
    for chunk in owners.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("SELECT c.")
            .push(owner)
            .push(" AS sg_owner, c.role AS sg_role, ")
            .push(&producer::Model::select_list("p"));
        if parents {
            sql.push(", ")
                .push(&prefixed_select_list::<producer::Entity>("pp", PARENT));
        }
        sql.push(" FROM ")
            .push(credits)
            .push(" c JOIN producer p ON p.id = c.producer_id");
        if parents {
            sql.push(" LEFT JOIN producer pp ON pp.id = p.parent_id");
        }
        sql.push(" WHERE c.")
            .push(owner)
            .push(" IN ")
            .bind_list(chunk.iter().copied())
            .push(" ORDER BY c.")
            .push(owner)
            .push(", c.role, p.name, p.id");
        for row in conn.query_all_raw(sql.build()).await? {
            if parents && row.try_get::<Option<i64>>(PARENT, "id")?.is_some() {
                parent_rows.push(producer::Model::from_query_result(&row, PARENT)?);
            }
            let entry = (
                row.try_get("", "sg_role")?,
                producer::Model::from_query_result(&row, "")?,
            );
            out.entry(row.try_get("", "sg_owner")?)
                .or_default()
                .push(entry);
        }
    }
    Ok((out, parent_rows))
}

/// Each producer's ancestors, root first (one recursive statement for all of them).
pub async fn ancestors(
    conn: &impl ConnectionTrait,
    producers: &[i64],
) -> Result<HashMap<i64, Vec<producer::Model>>, DbErr> {
    let mut out: HashMap<i64, Vec<producer::Model>> = HashMap::new();
    for chunk in producers.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("WITH RECURSIVE up(start_id, id, depth) AS (SELECT id, parent_id, 1 FROM producer WHERE id IN ")
            .bind_list(chunk.iter().copied())
            .push(" AND parent_id IS NOT NULL UNION ALL SELECT up.start_id, p.parent_id, up.depth + 1 ")
            .push("FROM up JOIN producer p ON p.id = up.id WHERE p.parent_id IS NOT NULL AND up.depth < 64) ")
            .push("SELECT up.start_id AS sg_start, up.depth AS sg_depth, ")
            .push(&producer::Model::select_list("p"))
            .push(" FROM up JOIN producer p ON p.id = up.id ")
            .push("ORDER BY up.start_id, up.depth DESC");
        for row in conn.query_all_raw(sql.build()).await? {
            let ancestor = producer::Model::from_query_result(&row, "")?;
            out.entry(row.try_get("", "sg_start")?)
                .or_default()
                .push(ancestor);
        }
    }
    Ok(out)
}
