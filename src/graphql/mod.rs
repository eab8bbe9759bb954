//! The GraphQL layer: schema, resolvers, per-request loaders and the generic connection.

pub mod batching;
pub mod connection;
pub mod errors;
pub mod filters;
pub mod ids;
pub mod loaders;
pub mod query;
pub mod schema;
pub mod search;
pub mod stats;
pub mod types;

use crate::db::Db;

/// Executes one GraphQL request with its own loaders, batching each level into one statement.
pub async fn execute(
    schema: &schema::AppSchema,
    db: &Db,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let gate = batching::Gate::default();
    let request = request.data(loaders::for_request(db, &gate));
    gate.run(schema.execute(request)).await
}
