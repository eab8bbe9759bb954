//! Covering indexes for filtered, searched and faceted publication lists, so counting and
//! grouping read narrow index entries, never the wide publication rows:
//!
//! - `publication_facet_cover_idx` (`published_key`, `published_year`, `publication_type`,
//!   `language`, `id`), both backends: a date range with counts by year, type or language
//!   (SQLite: a covering index search; PostgreSQL: an index-only scan once vacuumed);
//! - `publication_id_cover_idx` (`id`, the same columns), SQLite only: the counts and facets of
//!   a search look up each FTS5 match by id here (`INDEXED BY`, see `ListSpec`). PostgreSQL
//!   reads its matches from a bitmap of heap pages and has no use for it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FACET_COVER: &str = "publication_facet_cover_idx";
const ID_COVER: &str = "publication_id_cover_idx";
const COLUMNS: [&str; 4] = [
    "published_year",
    "publication_type",
    "language",
    "published_key",
];

fn index(name: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(name)
        .table(Alias::new("publication"))
        .if_not_exists();
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                FACET_COVER,
                &[
                    "published_key",
                    "published_year",
                    "publication_type",
                    "language",
                    "id",
                ],
            ))
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            let mut columns = vec!["id"];
            columns.extend(COLUMNS);
            manager.create_index(index(ID_COVER, &columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [ID_COVER, FACET_COVER] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Alias::new("publication"))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
