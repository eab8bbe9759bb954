//! SQLite: each FTS5 search index gathers up to 64 MiB of new entries in memory before it
//! writes them out as a segment, instead of 1 MiB (a few hundred publications' worth). A large
//! import wrote many small segments and spent time merging them. Into an FTS5 table alone,
//! 100,000 rows of 160 words: 9.1–10.3 s → 6.4–7.0 s; with statement journals kept in memory
//! (`db::Db::connect_pooled`) the 642,000-record benchmark file loads in ~50 s instead of
//! ~54–57 s (see `bench/README.md`, "Import speed"). Entries are written at every commit
//! anyway, so a small write holds as little as before. The setting is stored with each index
//! (FTS5's `hashsize`). PostgreSQL has no such index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The bytes of new entries an index holds in memory (FTS5's default is 1 MiB).
const BUFFER_BYTES: u32 = 64 * 1024 * 1024;

/// FTS5's default, restored by `down`.
const DEFAULT_BUFFER_BYTES: u32 = 1024 * 1024;

async fn set_buffer(manager: &SchemaManager<'_>, bytes: u32) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    if conn.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(());
    }
    for index in ["publication_fts", "dataset_fts", "producer_fts"] {
        conn.execute_unprepared(&format!(
            "INSERT INTO {index} ({index}, rank) VALUES ('hashsize', {bytes})"
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
        set_buffer(manager, BUFFER_BYTES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_buffer(manager, DEFAULT_BUFFER_BYTES).await
    }
}
