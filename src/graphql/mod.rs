//! The GraphQL layer: schema, resolvers, per-request loaders and the generic connection.

pub mod batch_loader;
pub mod batch_stats;
pub mod batching;
pub mod connection;
pub mod cost;
pub mod documents;
pub mod errors;
pub mod explore;
pub mod federation;
pub mod filters;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod schema;
pub mod search;
pub mod stats;
pub mod types;

use crate::db::Db;

pub use limits::REQUEST_TIMEOUT;

/// Executes one GraphQL request with its own loaders, batching each level into one statement,
/// cancelled after `limits.request_timeout` (the schema was built with the same `limits`).
/// `operation` (the operation's name, if known) is a field of its `graphql` span.
pub async fn execute(
    schema: &schema::AppSchema,
    executions: &tokio::sync::Semaphore,
    db: &Db,
    limits: &limits::Limits,
    operation: Option<&str>,
    request: async_graphql::Request,
) -> async_graphql::Response {
    if let Some(refusal) = refuse_nul(&request) {
        return async_graphql::Response::from_errors(vec![refusal]);
    }
    let gate = batching::Gate::default();
    let cost_only =
        request.extensions.get("costOnly") == Some(&async_graphql::Value::Boolean(true));
    let request = request.data(loaders::for_request(db, &gate, schema.batch_stats()));
    let id = request_id();
    let span =
        tracing::info_span!("graphql", request_id = %id, operation = operation.unwrap_or(""));
    // Waiting for a turn counts towards the request's time limit.
    let run = tracing::Instrument::instrument(
        async {
            let _turn = executions
                .acquire()
                .await
                .expect("the semaphore is never closed");
            gate.run(schema.execute(request, cost_only)).await
        },
        span,
    );
    match tokio::time::timeout(limits.request_timeout, run).await {
        Ok(response) => {
            with_request_id(with_request_codes(with_limit_codes(response, limits)), &id)
        }
        Err(_) => {
            let message = format!(
                "the request timed out after {} s (the limit) and was cancelled",
                limits.request_timeout.as_secs_f64()
            );
            async_graphql::Response::from_errors(vec![coded(message, "TIMEOUT")])
        }
    }
}

/// A short id that ties an `INTERNAL` (or `DATABASE_UNAVAILABLE`) error a client sees to the log line with its cause.
pub fn request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}

/// Internal and database-unavailable errors say which request failed (the cause is logged
/// under the same id).
fn with_request_id(mut response: async_graphql::Response, id: &str) -> async_graphql::Response {
    for error in &mut response.errors {
        let code = error.extensions.as_ref().and_then(|e| e.get("code"));
        let internal = code == Some(&async_graphql::Value::from("INTERNAL"));
        let unavailable = code == Some(&async_graphql::Value::from("DATABASE_UNAVAILABLE"));
        if internal {
            error.message =
                format!("internal error (request {id}; the cause is in the server log)");
        } else if unavailable {
            error.message = format!("{} (request {id})", error.message);
        }
        if let (true, Some(extensions)) = (internal || unavailable, error.extensions.as_mut()) {
            extensions.set("requestId", id);
        }
    }
    response
}

/// A request whose text holds the NUL character (U+0000), in its document or its variables,
/// is refused before it runs: PostgreSQL cannot store or compare such text (it answered
/// `INTERNAL` where SQLite went on), and no catalog value holds one. The message names the
/// variable's path (`$input.abstract`), so a form can mark the field.
fn refuse_nul(request: &async_graphql::Request) -> Option<async_graphql::ServerError> {
    fn path_in(value: &async_graphql::Value, path: String) -> Option<String> {
        use async_graphql::Value;
        match value {
            Value::String(text) => text.contains('\0').then_some(path),
            Value::List(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| path_in(item, format!("{path}[{i}]"))),
            Value::Object(fields) => fields.iter().find_map(|(name, value)| {
                let here = format!("{path}.{name}");
                if name.contains('\0') {
                    Some(here)
                } else {
                    path_in(value, here)
                }
            }),
            _ => None,
        }
    }
    let nul = "may not contain the NUL character (U+0000)";
    if request.query.contains('\0') || request.query.contains("\\u0000") {
        return Some(coded(format!("the query's text {nul}"), "BAD_USER_INPUT"));
    }
    request
        .variables
        .iter()
        .find_map(|(name, value)| path_in(value, format!("${name}")))
        .map(|path| coded(format!("`{path}`: text {nul}"), "BAD_USER_INPUT"))
}

/// Errors async-graphql reports itself, before any resolver runs, carry no code: a document
/// that does not parse is `GRAPHQL_PARSE_FAILED`, every other (unknown fields, wrong argument
/// types, bad variables, a missing operation) `GRAPHQL_VALIDATION_FAILED`. Resolvers' errors
/// always have a code.
fn with_request_codes(mut response: async_graphql::Response) -> async_graphql::Response {
    for error in &mut response.errors {
        error.message = shortened(std::mem::take(&mut error.message));
        if error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some())
        {
            continue;
        }
        let code = if error.message.trim_start().starts_with("-->") {
            "GRAPHQL_PARSE_FAILED"
        } else {
            "GRAPHQL_VALIDATION_FAILED"
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
    response
}

/// Longest error message sent, in characters.
const MAX_MESSAGE_CHARS: usize = 1_000;

/// `message` with its middle left out past [`MAX_MESSAGE_CHARS`]: messages quote the input they
/// refuse, and a 900 KB cursor or id came back whole (a parse error quotes its whole line).
fn shortened(message: String) -> String {
    let chars = message.chars().count();
    if chars <= MAX_MESSAGE_CHARS {
        return message;
    }
    let (head, tail) = (600, 300);
    let start: String = message.chars().take(head).collect();
    let end: String = message.chars().skip(chars - tail).collect();
    format!(
        "{start} … ({} characters left out) … {end}",
        chars - head - tail
    )
}

fn coded(message: String, code: &str) -> async_graphql::ServerError {
    let mut error = async_graphql::ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// async-graphql's own nesting guards (while parsing) report without a code: add it, and the
/// limit. Depth and complexity are reported by [`limits::Enforce`] already.
fn with_limit_codes(
    mut response: async_graphql::Response,
    limits: &limits::Limits,
) -> async_graphql::Response {
    for error in &mut response.errors {
        let message = error.message.as_str();
        if message.contains("recursion limit exceeded")
            || message.starts_with("The recursion depth")
        {
            *error = coded(limits.too_deep_to_measure(), "QUERY_TOO_COMPLEX");
        }
    }
    response
}

#[cfg(test)]
mod request_id_tests {
    use super::*;

    #[test]
    fn long_messages_keep_their_start_and_end() {
        let short = "\"abc\" is not a valid cursor".to_owned();
        assert_eq!(shortened(short.clone()), short);
        let long = format!("\"{}\" is not a valid cursor", "x".repeat(900_000));
        let cut = shortened(long);
        assert!(
            cut.chars().count() < MAX_MESSAGE_CHARS + 100,
            "{}",
            cut.len()
        );
        assert!(cut.starts_with("\"xxx"));
        assert!(cut.ends_with("xxx\" is not a valid cursor"));
        assert!(cut.contains("(899124 characters left out)"), "{cut}");
    }

    fn response_with(code: &str) -> async_graphql::Response {
        async_graphql::Response::from_errors(vec![coded("secret cause".into(), code)])
    }

    #[test]
    fn internal_errors_hide_the_cause_behind_a_request_id() {
        let response = with_request_id(response_with("INTERNAL"), "00000000000000ab");
        let error = &response.errors[0];
        assert_eq!(
            error.message,
            "internal error (request 00000000000000ab; the cause is in the server log)"
        );
        let extensions = error.extensions.as_ref().unwrap();
        assert_eq!(
            extensions.get("requestId"),
            Some(&async_graphql::Value::from("00000000000000ab"))
        );
    }

    #[test]
    fn client_errors_keep_their_message_and_get_no_request_id() {
        let response = with_request_id(response_with("BAD_USER_INPUT"), "00000000000000ab");
        let error = &response.errors[0];
        assert_eq!(error.message, "secret cause");
        assert!(
            error
                .extensions
                .as_ref()
                .unwrap()
                .get("requestId")
                .is_none()
        );
    }
}
