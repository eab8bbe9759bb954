//! DOIs are the same without regard to ASCII case only (the DOI Handbook), as SQLite's
//! `lower()` already compares them. PostgreSQL's `lower()` folds every letter, so
//! "10.1234/Ü" and "10.1234/ü" were one DOI there and two on SQLite: its unique DOI indexes are
//! built again on `lower(doi COLLATE "C")`, which folds ASCII letters only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["publication", "dataset"];

async fn rebuild(manager: &SchemaManager<'_>, key: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in TABLES {
        conn.execute_unprepared(&format!("DROP INDEX {table}_doi_key"))
            .await?;
        conn.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX {table}_doi_key ON {table} ({key})"
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
        rebuild(manager, "lower(doi COLLATE \"C\")").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, "lower(doi)").await
    }
}
