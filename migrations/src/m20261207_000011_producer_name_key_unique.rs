//! A producer's name is unique under its parent ignoring case, as the importer and the
//! mutations check it; the unique index on `(parent_key, name)` enforced it with case, so two
//! concurrent writes could store "Race Unit" and "race unit" side by side on PostgreSQL. The
//! index on `(parent_key, name_key)` (the name lowered by the write path) closes that race: the
//! losing write fails on it and runs again, and then sees the name taken.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "producer_parent_key_name_key_key";

/// A database that already holds such a pair (the race this closes could store one) cannot
/// take the index: the migration stops naming the producers, so that they can be renamed or
/// merged (it said only that the index could not be built).
async fn refuse_clashes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
    let conn = manager.get_connection();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n, MIN(name) AS name \
             FROM producer GROUP BY parent_key, name_key HAVING COUNT(*) > 1 ORDER BY MIN(id)",
        ))
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let clashes = rows
        .iter()
        .map(|row| {
            let first: i64 = row.try_get("", "first")?;
            let last: i64 = row.try_get("", "last")?;
            let n: i64 = row.try_get("", "n")?;
            let name: String = row.try_get("", "name")?;
            Ok(format!(
                "{n} producers named \"{name}\" (ids {first} to {last})"
            ))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Err(DbErr::Migration(format!(
        "producer names must be unique under their parent ignoring case, and these are not: {}; \
         rename or merge them (with the previous version's updateProducer / deleteProducer, or in SQL: both name and name_key), then start again",
        clashes.join("; ")
    )))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        refuse_clashes(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Alias::new("producer"))
                    .col(Alias::new("parent_key"))
                    .col(Alias::new("name_key"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(Alias::new("producer"))
                    .to_owned(),
            )
            .await
    }
}
