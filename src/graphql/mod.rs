//! The GraphQL layer: schema, resolvers, per-request loaders and the generic connection.

pub mod batching;
pub mod connection;
pub mod cost;
pub mod errors;
pub mod filters;
pub mod ids;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod schema;
pub mod search;
pub mod stats;
pub mod types;

use crate::db::Db;

/// Longest a request may run before it is cancelled (its database work with it).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Executes one GraphQL request with its own loaders, batching each level into one statement,
/// cancelled after [`REQUEST_TIMEOUT`].
pub async fn execute(
    schema: &schema::AppSchema,
    db: &Db,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let gate = batching::Gate::default();
    let cost_only =
        request.extensions.get("costOnly") == Some(&async_graphql::Value::Boolean(true));
    let mut request = request.data(loaders::for_request(db, &gate));
    if cost_only {
        request = request.data(cost::CostOnly);
    }
    let id = request_id();
    let span = tracing::info_span!("graphql", request_id = %id);
    let run = tracing::Instrument::instrument(gate.run(schema.execute(request)), span);
    match tokio::time::timeout(REQUEST_TIMEOUT, run).await {
        Ok(response) => with_request_id(with_limit_codes(response), &id),
        Err(_) => {
            let message = format!(
                "the request timed out after {} s and was cancelled",
                REQUEST_TIMEOUT.as_secs()
            );
            async_graphql::Response::from_errors(vec![coded(message, "TIMEOUT")])
        }
    }
}

/// A short id that ties an `INTERNAL` error a client sees to the log line with its cause.
fn request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}

/// Internal errors say which request failed (the cause is logged under the same id).
fn with_request_id(mut response: async_graphql::Response, id: &str) -> async_graphql::Response {
    for error in &mut response.errors {
        let internal = error.extensions.as_ref().and_then(|e| e.get("code"))
            == Some(&async_graphql::Value::from("INTERNAL"));
        if internal {
            error.message =
                format!("internal error (request {id}; the cause is in the server log)");
            if let Some(extensions) = error.extensions.as_mut() {
                extensions.set("requestId", id);
            }
        }
    }
    response
}

fn coded(message: String, code: &str) -> async_graphql::ServerError {
    let mut error = async_graphql::ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// async-graphql reports its depth and complexity limits without a code: add it, and the limit.
fn with_limit_codes(mut response: async_graphql::Response) -> async_graphql::Response {
    for error in &mut response.errors {
        let message = error.message.as_str();
        let limit = match message {
            "Query is nested too deep." => format!(
                "the query is nested too deep (at most {} levels)",
                schema::MAX_DEPTH
            ),
            _ if message.contains("recursion limit exceeded")
                || message.starts_with("The recursion depth") =>
            {
                format!(
                    "the query is nested too deep (at most {} levels)",
                    schema::MAX_DEPTH
                )
            }
            "Query is too complex." => {
                format!(
                    "the query is too complex (at most {} fields, aliases included)",
                    schema::MAX_COMPLEXITY
                )
            }
            _ => continue,
        };
        *error = coded(limit, "QUERY_TOO_COMPLEX");
    }
    response
}
