//! Building the schema once at start-up (with its limits), and exporting its SDL.

use async_graphql::{EmptySubscription, Schema};

use super::mutation::MutationRoot;
use super::query::QueryRoot;
use crate::db::Db;

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deepest query accepted; the standard introspection query needs about 13.
pub const MAX_DEPTH: usize = 16;
/// Most fields (aliases included) one query may select.
pub const MAX_COMPLEXITY: usize = 5_000;

pub fn build(db: Db) -> AppSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(db)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(16)
        .extension(super::cost::Cost)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .finish()
        .sdl()
}
