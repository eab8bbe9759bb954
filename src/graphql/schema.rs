//! Building the schema once at start-up (with its limits), and exporting its SDL.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use super::explore::ExploreQuery;
use super::federation::FederationQuery;
use super::limits::Limits;
use super::mutation::MutationRoot;
use super::query::QueryRoot;
use crate::db::Db;

// The query root clients see: records, lists, search and stats (`QueryRoot`) merged with
// graph exploration (`ExploreQuery`) and the Apollo Federation entity resolvers
// (`FederationQuery`, behind `_entities`; `_service { sdl }` gives the subgraph schema).
#[derive(MergedObject)]
#[graphql(name = "QueryRoot")]
pub struct Query(QueryRoot, ExploreQuery, FederationQuery);

fn query() -> Query {
    Query(QueryRoot, ExploreQuery, FederationQuery)
}

pub type AppSchema = Schema<Query, MutationRoot, EmptySubscription>;

pub use super::limits::{MAX_COMPLEXITY, MAX_DEPTH};

/// The schema over `db`, enforcing `limits` (see [`super::limits`]).
pub fn build(db: Db, limits: &Limits) -> AppSchema {
    let mut builder = Schema::build(query(), MutationRoot, EmptySubscription)
        .enable_federation()
        .data(db)
        // Depth and complexity are checked by `limits::Enforce`, which says by how much.
        .limit_recursive_depth(limits.recursive_depth())
        .limit_directives(16)
        .extension(super::cost::Cost(*limits))
        .extension(super::limits::Enforce(*limits));
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as checked in at `schema.graphql`: what introspection shows, so the
/// federation plumbing (`_service`, `_entities`, `_Any`, `_Entity`, `_Service`) is in it but
/// the `@key` directives are not (see [`subgraph_sdl`]).
pub fn sdl() -> String {
    Schema::build(query(), MutationRoot, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl()
}

/// The schema as an Apollo Federation v2 subgraph (`@key`s, `extend schema @link(…)`), the
/// same text `_service { sdl }` answers.
pub fn subgraph_sdl() -> String {
    use async_graphql::SDLExportOptions;
    Schema::build(query(), MutationRoot, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}
