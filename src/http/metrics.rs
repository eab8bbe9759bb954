//! `/metrics` in the Prometheus text format: GraphQL requests and their latency by operation
//! name, errors by code, DataLoader batch sizes, SQL statements run, and the database pool's
//! connections.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use sea_orm::DatabaseBackend;

use super::AppState;
use crate::graphql::batch_stats::{self, Histogram};

/// Latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// Distinct operation names kept; the rest count as "other" (names come from clients).
const MAX_OPERATIONS: usize = 100;
/// Longest operation name kept as a label; longer ones, and text that is no GraphQL name,
/// count as "invalid".
const MAX_NAME_BYTES: usize = 64;

/// Whether `name` is a GraphQL name (`/[_A-Za-z][_0-9A-Za-z]*/`).
fn is_graphql_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

#[derive(Clone, Default)]
pub struct Metrics(Arc<Mutex<Counters>>);

#[derive(Default)]
struct Counters {
    operations: BTreeMap<String, Operation>,
    errors: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Operation {
    count: u64,
    seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

impl Metrics {
    /// Records one GraphQL request: its operation name, how long it took, its error codes.
    pub fn record(
        &self,
        operation: Option<&str>,
        elapsed: Duration,
        codes: impl Iterator<Item = String>,
    ) {
        let mut counters = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut name = match operation {
            None | Some("") => "anonymous",
            Some(name) if is_graphql_name(name) && name.len() <= MAX_NAME_BYTES => name,
            // A client's text that names no operation a document could hold: kept whole, one
            // label of 1 MB made every scrape 13 MB larger.
            Some(_) => "invalid",
        }
        .to_owned();
        if !counters.operations.contains_key(&name) && counters.operations.len() >= MAX_OPERATIONS {
            name = "other".to_owned();
        }
        let entry = counters.operations.entry(name).or_default();
        let seconds = elapsed.as_secs_f64();
        entry.count += 1;
        entry.seconds += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                entry.buckets[i] += 1;
            }
        }
        for code in codes {
            *counters.errors.entry(code).or_default() += 1;
        }
    }
}

/// `studygraph_dataloader_batch_keys`: keys per DataLoader batch, by loader.
fn write_batch_sizes(out: &mut String, loaders: &[(&'static str, Histogram)]) {
    out.push_str("# HELP studygraph_dataloader_batch_keys Keys per DataLoader batch (one SQL statement each), by loader.\n");
    out.push_str("# TYPE studygraph_dataloader_batch_keys histogram\n");
    for (loader, histogram) in loaders {
        for (bound, count) in batch_stats::BUCKETS.iter().zip(histogram.buckets) {
            let _ = writeln!(
                out,
                "studygraph_dataloader_batch_keys_bucket{{loader=\"{loader}\",le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "studygraph_dataloader_batch_keys_bucket{{loader=\"{loader}\",le=\"+Inf\"}} {}",
            histogram.batches
        );
        let _ = writeln!(
            out,
            "studygraph_dataloader_batch_keys_sum{{loader=\"{loader}\"}} {}",
            histogram.keys
        );
        let _ = writeln!(
            out,
            "studygraph_dataloader_batch_keys_count{{loader=\"{loader}\"}} {}",
            histogram.batches
        );
    }
}

/// Label values are quoted Prometheus strings.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    {
        let counters = state.metrics.0.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str(
            "# HELP studygraph_graphql_requests_total GraphQL requests by operation name.\n",
        );
        out.push_str("# TYPE studygraph_graphql_requests_total counter\n");
        for (name, op) in &counters.operations {
            let _ = writeln!(
                out,
                "studygraph_graphql_requests_total{{operation=\"{}\"}} {}",
                label(name),
                op.count
            );
        }
        out.push_str("# HELP studygraph_graphql_request_seconds GraphQL request latency by operation name.\n");
        out.push_str("# TYPE studygraph_graphql_request_seconds histogram\n");
        for (name, op) in &counters.operations {
            let name = label(name);
            for (bound, count) in BUCKETS.iter().zip(op.buckets) {
                let _ = writeln!(
                    out,
                    "studygraph_graphql_request_seconds_bucket{{operation=\"{name}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "studygraph_graphql_request_seconds_bucket{{operation=\"{name}\",le=\"+Inf\"}} {}",
                op.count
            );
            let _ = writeln!(
                out,
                "studygraph_graphql_request_seconds_sum{{operation=\"{name}\"}} {}",
                op.seconds
            );
            let _ = writeln!(
                out,
                "studygraph_graphql_request_seconds_count{{operation=\"{name}\"}} {}",
                op.count
            );
        }
        out.push_str("# HELP studygraph_graphql_errors_total GraphQL errors by extensions.code.\n");
        out.push_str("# TYPE studygraph_graphql_errors_total counter\n");
        for (code, count) in &counters.errors {
            let _ = writeln!(
                out,
                "studygraph_graphql_errors_total{{code=\"{}\"}} {count}",
                label(code)
            );
        }
    }
    write_batch_sizes(&mut out, &state.schema.batch_stats().snapshot());
    out.push_str("# HELP studygraph_sql_statements_total SQL statements run for requests (not background facet index builds).\n");
    out.push_str("# TYPE studygraph_sql_statements_total counter\n");
    let _ = writeln!(
        out,
        "studygraph_sql_statements_total {}",
        state.db.statement_count()
    );
    let (size, idle) = match state.db.backend() {
        DatabaseBackend::Postgres => {
            let pool = state.db.conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = state.db.conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    out.push_str("# HELP studygraph_db_pool_connections Database pool connections by state.\n");
    out.push_str("# TYPE studygraph_db_pool_connections gauge\n");
    let _ = writeln!(
        out,
        "studygraph_db_pool_connections{{state=\"idle\"}} {idle}"
    );
    let _ = writeln!(
        out,
        "studygraph_db_pool_connections{{state=\"busy\"}} {}",
        (size as usize).saturating_sub(idle)
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_capped() {
        let metrics = Metrics::default();
        for i in 0..(MAX_OPERATIONS + 5) {
            metrics.record(
                Some(&format!("op{i}")),
                Duration::from_millis(3),
                std::iter::empty(),
            );
        }
        let counters = metrics.0.lock().unwrap();
        assert_eq!(counters.operations.len(), MAX_OPERATIONS + 1);
        assert_eq!(counters.operations["other"].count, 5);
    }

    /// A client's operation name becomes a label only when it is a short GraphQL name: five
    /// names of 1 MB made `/metrics` 70 MB.
    #[test]
    fn only_short_graphql_names_become_labels() {
        let metrics = Metrics::default();
        let long = format!("M{}", "y".repeat(1_000_000));
        let just_short_enough = "N".repeat(MAX_NAME_BYTES);
        for name in [
            long.as_str(),
            "two words",
            "9lives",
            "quote\"",
            "",
            "GetReport_2",
            &just_short_enough,
        ] {
            metrics.record(Some(name), Duration::from_millis(1), std::iter::empty());
        }
        let counters = metrics.0.lock().unwrap();
        let names: Vec<&str> = counters.operations.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "GetReport_2",
                just_short_enough.as_str(),
                "anonymous",
                "invalid"
            ]
        );
        assert_eq!(counters.operations["invalid"].count, 4);
    }
}
