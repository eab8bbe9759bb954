//! A producer's name is unique under its parent ignoring case, as the importer and the
//! mutations check it; the unique index on `(parent_key, name)` enforced it with case, so two
//! concurrent writes could store "Race Unit" and "race unit" side by side on PostgreSQL. The
//! index on `(parent_key, name_key)` (the name lowered by the write path) closes that race: the
//! losing write fails on it and runs again, and then sees the name taken.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "producer_parent_key_name_key_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
