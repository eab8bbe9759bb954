//! Covering indexes for a date range with a title substring (`publishedFrom`/`publishedBefore`
//! with `titleContains`, and the dataset mirror): the `LIKE` on the lowercased title is checked
//! in the index entries of the range, never in the wide rows (SQLite: a covering index search,
//! 19 → 0.8 ms for a year of 200,000 publications; PostgreSQL: an index-only count). Each
//! replaces the plain date index it starts with, so planners without statistics (a fresh
//! SQLite file) cannot pick the narrower one and read the rows anyway.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(index, table, date column, the plain date index it replaces)`.
const INDEXES: [(&str, &str, &str, &str); 2] = [
    (
        "publication_published_title_idx",
        "publication",
        "published_key",
        "publication_published_key_idx",
    ),
    (
        "dataset_released_title_idx",
        "dataset",
        "released_key",
        "dataset_released_key_idx",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, date, plain) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(plain)
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(date))
                        .col(Alias::new("title_key"))
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, date, plain) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(plain)
                        .table(Alias::new(table))
                        .col(Alias::new(date))
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
