//! API keys for authenticated writes: a name, a scope, and only the SHA-256 of the key itself
//! (the key is shown once, when created); `key_prefix` lets operators recognise a key in lists.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_key")
                    .col(big_pk_auto("id"))
                    .col(text("name").unique_key())
                    .col(
                        text("scope")
                            .check(Expr::col("scope").is_in(["read", "write"]))
                            .to_owned(),
                    )
                    // Lowercase hex SHA-256 of the whole key: what a request's key is looked up by.
                    .col(text("key_hash").unique_key())
                    // The key's first 8 characters ("sg_AbCdE"), for listing; not enough to use it.
                    .col(text("key_prefix"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("api_key").to_owned())
            .await
    }
}
