//! PostgreSQL keeps each row's search vector inside the row (compressed when needed) and moves
//! its long texts (abstracts, summaries) to TOAST instead. With the default storage a
//! publication of ~1 KB abstract and ~1.4 KB vector was wider than the 2 KB TOAST threshold,
//! and the vector — the larger value — went out of line: every search match then read it back
//! through the TOAST index (~3.5 TOAST pages per match) to re-check and rank it. With `MAIN`
//! storage for the vector, at 200,000 publications counting 119,911 matches took 106 ms
//! instead of 407, and ranking them 126 ms instead of 577; long texts are read only by nodes
//! that show them. Rows already stored are rewritten once so that the rule applies to them
//! too (a one-time cost proportional to the table; PostgreSQL before 17 cannot tell which
//! vectors live out of line). SQLite has no such storage: nothing to do there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables with a search vector.
const TABLES: [&str; 3] = ["publication", "dataset", "producer"];

async fn set_storage(manager: &SchemaManager<'_>, storage: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in TABLES {
        conn.execute_unprepared(&format!(
            "ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE {storage}"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_storage(manager, "MAIN").await?;
        let conn = manager.get_connection();
        if conn.get_database_backend() == DatabaseBackend::Postgres {
            for table in TABLES {
                // A new value (the concatenation builds one) is stored by the new rule.
                conn.execute_unprepared(&format!(
                    "UPDATE {table} SET search_vector = search_vector || ''::tsvector \
                     WHERE search_vector IS NOT NULL"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_storage(manager, "EXTENDED").await
    }
}
