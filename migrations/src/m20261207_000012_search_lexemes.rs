//! PostgreSQL: every lexeme the search vectors hold, so that a search can write each of its
//! prefix words (`traffick:*`) as the few lexemes it stands for (`'traffick' | 'trafficker'`).
//! A GIN index finds a prefix by collecting every matching lexeme's rows into a bitmap, and
//! the query then needs each candidate row read back and checked against its vector; exact
//! lexemes are intersected in the index and need no check. Counting the 38,467 matches of
//! "human trafficking" at 200,000 publications: 88 ms with prefixes, 38 ms with the exact
//! lexemes. The list may hold lexemes no vector holds any more (a search for them finds
//! nothing); it must hold every lexeme a vector holds, so whatever writes a vector notes its
//! lexemes in the same transaction, or commits them before it (`db::search::note_lexemes`).
//! SQLite's FTS5 index finds prefixes itself and needs no list.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if conn.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        // "C": byte order, the order in which a prefix's lexemes follow it (as `tsvector`
        // compares them).
        conn.execute_unprepared(
            "CREATE TABLE search_lexeme (lexeme text COLLATE \"C\" PRIMARY KEY)",
        )
        .await?;
        conn.execute_unprepared(
            "INSERT INTO search_lexeme (lexeme) SELECT word FROM ts_stat(\
               'SELECT search_vector FROM publication WHERE search_vector IS NOT NULL \
                UNION ALL SELECT search_vector FROM dataset WHERE search_vector IS NOT NULL \
                UNION ALL SELECT search_vector FROM producer WHERE search_vector IS NOT NULL')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if conn.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        conn.execute_unprepared("DROP TABLE IF EXISTS search_lexeme")
            .await?;
        Ok(())
    }
}
