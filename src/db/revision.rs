//! The graph's revision: a counter every transaction that writes the graph raises just before
//! it commits ([`commit_write`]). Whatever the server keeps in memory about the graph (the
//! facet value indexes, [`super::value_index`]) records the revision it was read at, and a
//! statement that reads the revision beside its matches tells whether that copy is current.
//! A hand-made change in SQL should raise it too: `UPDATE graph_revision SET revision =
//! revision + 1`.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Statement};

/// The SQL expression of the current revision (a scalar subquery).
pub const CURRENT: &str = "(SELECT revision FROM graph_revision WHERE id = 1)";

/// This process's commits of graph writes: each takes it alone, and a read that must see one
/// state of the graph holds it shared while it runs ([`hold_commits`]; `http::consistent`).
/// Tokio's lock is fair: a waiting commit goes before later readers.
static COMMITS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Holds back this process's commits of graph writes while the guard lives; readers share it.
pub async fn hold_commits() -> tokio::sync::RwLockReadGuard<'static, ()> {
    COMMITS.read().await
}

/// Raises the revision and commits `txn`: the end of every transaction that writes the graph
/// (the row is taken by every writer in turn, held only until its commit).
pub async fn commit_write(txn: DatabaseTransaction) -> Result<(), DbErr> {
    let _turn = COMMITS.write().await;
    let backend = txn.get_database_backend();
    txn.execute_raw(Statement::from_string(
        backend,
        "UPDATE graph_revision SET revision = revision + 1 WHERE id = 1",
    ))
    .await?;
    txn.commit().await
}

/// The revision now (in a snapshot: the revision of what the snapshot reads).
pub async fn current(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT {CURRENT} AS revision"),
        ))
        .await?;
    row.map(|row| row.try_get("", "revision"))
        .transpose()?
        .ok_or_else(|| DbErr::RecordNotFound("graph_revision".into()))
}
