//! Relevance cursors re-anchored at their row's current score. SQLite's bm25 weighs a match
//! by the whole table's statistics (its row count, its average length), so any write to the
//! table moves every score: a cursor's stored score then no longer falls between the same
//! rows, and the next page skips or repeats matches. Before a page after (or before) a
//! relevance cursor is read, the cursor's own row is scored again; the page starts from that
//! score, in the order the list has now. PostgreSQL's `ts_rank` scores a row by its own text
//! alone: its cursors keep their score.

use std::borrow::Cow;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use super::{HitPosition, SearchQuery};
use crate::db::list_spec::{ListSpec, SortKey, fts_relevance};
use crate::db::pages::{KeyValue, Position, Table, Window};
use crate::db::sql::Sql;

/// `row`'s score for `query` now (SQLite; the value a list orders by), `None` when it no
/// longer matches (then its cursor keeps the score it had).
pub async fn current_score(
    conn: &impl ConnectionTrait,
    table: Table,
    query: &SearchQuery,
    row: i64,
) -> Result<Option<f64>, DbErr> {
    let fts = format!("{}_fts", table.name());
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT CAST(")
        .push(&fts_relevance(table))
        .push(" AS DOUBLE PRECISION) AS score FROM ")
        .push(&fts)
        .push(" WHERE ")
        .push(&fts)
        .push(" MATCH ")
        .bind(query.render(DatabaseBackend::Sqlite))
        .push(" AND rowid = ")
        .bind(row);
    match conn.query_one_raw(sql.build()).await? {
        Some(found) => Ok(Some(found.try_get("", "score")?)),
        None => Ok(None),
    }
}

/// Whether relevance cursors of this backend need re-anchoring.
fn drifts(backend: DatabaseBackend) -> bool {
    backend != DatabaseBackend::Postgres
}

/// `window` with its cursors' relevance keys set to their rows' current scores, where scores
/// drift and `spec` is ordered by relevance.
pub async fn anchored<'w>(
    conn: &impl ConnectionTrait,
    spec: &ListSpec,
    window: &'w Window,
) -> Result<Cow<'w, Window>, DbErr> {
    let Some(query) = &spec.search else {
        return Ok(Cow::Borrowed(window));
    };
    let by_relevance = spec.order.iter().any(|(key, _)| *key == SortKey::Relevance);
    let cursors = window.after.is_some() || window.before.is_some();
    if !drifts(conn.get_database_backend()) || !by_relevance || !cursors {
        return Ok(Cow::Borrowed(window));
    }
    let mut window = window.clone();
    for position in window.after.iter_mut().chain(window.before.iter_mut()) {
        reanchor(conn, spec, query, position).await?;
    }
    Ok(Cow::Owned(window))
}

/// `position` (a cursor of `spec`, searched by `query`) with its relevance key set to its
/// row's current score.
async fn reanchor(
    conn: &impl ConnectionTrait,
    spec: &ListSpec,
    query: &SearchQuery,
    position: &mut Position,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let table = spec.child_table();
    let mut index = 0;
    for (key, _) in &spec.order {
        let width = key.exprs(table, backend).len();
        if *key == SortKey::Relevance {
            let stored = position.keys.get(index);
            if matches!(stored, Some(KeyValue::Float { .. }))
                && let Some(score) = current_score(conn, table, query, position.id).await?
            {
                position.keys[index] = KeyValue::Float { f: score.to_bits() };
            }
        }
        index += width;
    }
    Ok(())
}

/// A root search's cursor with its score set to its row's current score, where scores drift.
pub async fn anchored_hit(
    conn: &impl ConnectionTrait,
    query: &SearchQuery,
    mut after: HitPosition,
) -> Result<HitPosition, DbErr> {
    if drifts(conn.get_database_backend())
        && let Some(table) = super::across::table_of_kind(after.kind)
        && let Some(score) = current_score(conn, table, query, after.id).await?
    {
        after.score = score;
    }
    Ok(after)
}
