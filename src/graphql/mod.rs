//! The GraphQL layer: schema, resolvers, per-request loaders and the generic connection.

pub mod connection;
pub mod errors;
pub mod ids;
pub mod loaders;
pub mod query;
pub mod schema;
pub mod types;
