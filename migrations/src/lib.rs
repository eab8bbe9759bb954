//! Database migrations for studygraph: the same schema on SQLite and PostgreSQL.
//!
//! Rules we keep (see the project's design notes on pitfalls): foreign keys are declared in
//! `create_table`, one change per `ALTER TABLE`, and every migration runs in a transaction on
//! both backends.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_graph;
mod m20261128_000002_api_keys;
mod m20261128_000004_publication_facet_cover;
mod m20261128_000005_date_title_cover;
mod m20261206_000006_search_vectors_inline;
mod m20261206_000007_newest_first;
mod m20261206_000008_list_owner_value;
mod m20261206_000009_graph_revision;
mod m20261206_000010_doi_ascii_case;
mod m20261207_000011_producer_name_key_unique;
mod m20261207_000012_search_lexemes;
mod m20261207_000013_search_write_buffer;

/// Runs every migration of the project in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_graph::Migration),
            Box::new(m20261128_000002_api_keys::Migration),
            Box::new(m20261128_000004_publication_facet_cover::Migration),
            Box::new(m20261128_000005_date_title_cover::Migration),
            Box::new(m20261206_000006_search_vectors_inline::Migration),
            Box::new(m20261206_000007_newest_first::Migration),
            Box::new(m20261206_000008_list_owner_value::Migration),
            Box::new(m20261206_000009_graph_revision::Migration),
            Box::new(m20261206_000010_doi_ascii_case::Migration),
            Box::new(m20261207_000011_producer_name_key_unique::Migration),
            Box::new(m20261207_000012_search_lexemes::Migration),
            Box::new(m20261207_000013_search_write_buffer::Migration),
        ]
    }
}
