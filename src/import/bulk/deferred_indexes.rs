//! SQLite: the secondary indexes a large bulk run builds once, before its commit, instead of
//! entry by entry. Records arrive in no order of title, date, subject or producer, so each new
//! row put an entry on a page of every such index at random (and the page cache spilled them to
//! the log and read them back); building an index sorts its entries once. The 642,000-record
//! benchmark file, alternated: 30.2–30.6 s with them deferred (~2.5 s of it building them)
//! against 32.3–33.3 s with them kept.
//!
//! An index stays when it checks uniqueness (the run looks its keys up), when new rows arrive
//! in its order (one led by the row id or by the owning record's id: its entries are appended),
//! or when the per-record path looks rows up by its first column (a record without natural keys
//! is found again by its title). The others of a group of tables are dropped once the run has
//! inserted [`DEFER_AFTER`] rows into the group's first table, and at least as many as it held
//! before (a small run into a large table keeps them: building them again would cost more).
//! They are dropped and built again from their own SQL inside the run's transaction: SQLite's
//! schema changes are transactional, so readers keep the last committed graph with its
//! indexes, and a run that fails rolls the drop back with its rows.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr};

use crate::db::sql::Sql;

/// Rows a run inserts into a group's first table before that group's indexes are deferred: a
/// full batch.
const DEFER_AFTER: usize = super::BATCH;

/// Tables a bulk run writes together (the first counts their rows), and the columns whose
/// indexes stay: new rows arrive in their order, or the run looks rows up by them.
pub(super) struct Group<'a> {
    pub tables: &'a [&'static str],
    pub kept: &'a [&'static str],
}

/// A group's rows so far in this run.
enum Progress {
    Inserting { before: i64, inserted: usize },
    Deferred,
}

/// The indexes one run has dropped, to build again before it commits.
#[derive(Default)]
pub(super) struct DeferredIndexes {
    groups: HashMap<&'static str, Progress>,
    /// `(name, CREATE INDEX statement)`, in the order they were dropped.
    dropped: Vec<(String, String)>,
}

impl DeferredIndexes {
    /// Notes that `rows` new rows went into the group's first table; defers the group's
    /// indexes once the run is large enough (SQLite only).
    pub(super) async fn inserted(
        &mut self,
        txn: &DatabaseTransaction,
        group: &Group<'_>,
        rows: usize,
    ) -> Result<(), DbErr> {
        let Some(&counted) = group.tables.first() else {
            return Ok(());
        };
        if rows == 0 || txn.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        if !self.groups.contains_key(counted) {
            let now = count_rows(txn, counted).await?;
            let before = now - rows as i64;
            self.groups.insert(
                counted,
                Progress::Inserting {
                    before,
                    inserted: 0,
                },
            );
        }
        let progress = self.groups.get_mut(counted).expect("inserted above");
        let Progress::Inserting { before, inserted } = progress else {
            return Ok(());
        };
        *inserted += rows;
        if *inserted < DEFER_AFTER || (*inserted as i64) < *before {
            return Ok(());
        }
        *progress = Progress::Deferred;
        for table in group.tables {
            for (name, sql) in deferrable(txn, table, group.kept).await? {
                txn.execute_unprepared(&format!("DROP INDEX {}", quoted(&name)))
                    .await?;
                self.dropped.push((name, sql));
            }
        }
        Ok(())
    }

    /// Builds every dropped index again, as it was.
    pub(super) async fn rebuild(&mut self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        if self.dropped.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let count = self.dropped.len();
        for (_, sql) in self.dropped.drain(..) {
            txn.execute_unprepared(&sql).await?;
        }
        tracing::info!(
            indexes = count,
            ms = started.elapsed().as_millis() as u64,
            "built the indexes deferred during the import"
        );
        Ok(())
    }
}

async fn count_rows(txn: &DatabaseTransaction, table: &str) -> Result<i64, DbErr> {
    let sql = format!("SELECT COUNT(*) AS n FROM {}", quoted(table));
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            DatabaseBackend::Sqlite,
            sql,
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}

/// `table`'s indexes that may be deferred, with their SQL: made by `CREATE INDEX`, not unique,
/// and led by a column other than `kept` (an index led by an expression stays).
async fn deferrable(
    txn: &DatabaseTransaction,
    table: &str,
    kept: &[&str],
) -> Result<Vec<(String, String)>, DbErr> {
    let mut sql = Sql::new(DatabaseBackend::Sqlite);
    sql.push("SELECT m.name AS name, m.sql AS sql FROM pragma_index_list(")
        .bind(table.to_owned())
        .push(
            ") il JOIN sqlite_master m ON m.type = 'index' AND m.name = il.name \
         WHERE il.\"unique\" = 0 AND il.origin = 'c' AND m.sql IS NOT NULL \
         AND (SELECT ii.name FROM pragma_index_info(il.name) ii WHERE ii.seqno = 0) IS NOT NULL",
        );
    if !kept.is_empty() {
        sql.push(
            " AND (SELECT ii.name FROM pragma_index_info(il.name) ii WHERE ii.seqno = 0) NOT IN ",
        )
        .bind_list(kept.iter().map(|c| (*c).to_owned()));
    }
    sql.push(" ORDER BY m.name");
    let mut out = Vec::new();
    for row in txn.query_all_raw(sql.build()).await? {
        out.push((row.try_get("", "name")?, row.try_get("", "sql")?));
    }
    Ok(out)
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
