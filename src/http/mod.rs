//! HTTP: the axum router with the GraphQL endpoint, the playground, the explorer and health
//! checks. One [`router`] function serves `main` and the tests alike.

pub mod cache;
pub mod consistent;
pub mod explore;
pub mod export;
pub mod graphql;
pub mod health;
pub mod key_check;
pub mod metrics;
pub mod persisted;
pub mod playground;
pub mod rate_limit;
pub mod server;
pub mod trusted_documents;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::db::Db;
use crate::graphql::schema::AppSchema;

/// Largest request body accepted by default (larger ones get 413; `--body-limit-bytes`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares: the schema (built once), the database and the options.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    /// Permits for GraphQL executions running at once (`--max-concurrent-requests`).
    pub executions: std::sync::Arc<tokio::sync::Semaphore>,
    pub db: Db,
    pub options: crate::AppOptions,
    pub metrics: metrics::Metrics,
    pub persisted: persisted::PersistedQueries,
}

impl AppState {
    /// Runs one GraphQL request (its turn, its loaders, its limits) and counts it in the
    /// metrics under `operation` with its error codes: `/graphql` and every `/export` page.
    pub(crate) async fn execute(
        &self,
        operation: Option<&str>,
        request: async_graphql::Request,
    ) -> async_graphql::Response {
        let started = std::time::Instant::now();
        let response = crate::graphql::execute(
            &self.schema,
            &self.executions,
            &self.db,
            &self.options.limits,
            operation,
            request,
        )
        .await;
        let codes = response.errors.iter().map(|e| {
            match e.extensions.as_ref().and_then(|x| x.get("code")) {
                Some(async_graphql::Value::String(code)) => code.clone(),
                _ => "GRAPHQL_VALIDATION_FAILED".to_owned(),
            }
        });
        self.metrics.record(operation, started.elapsed(), codes);
        response
    }
}

pub fn router(state: AppState) -> Router {
    // Answers to POST and every `/export` are gzip-compressed for clients that accept it (a
    // page of nested lists shrinks about tenfold); GET-by-hash answers are not, so their
    // strong ETag always names the same bytes.
    let compressed = || tower_http::compression::CompressionLayer::new().gzip(true);
    let mut graphql = get(graphql::get).merge(post(graphql::post).layer(compressed()));
    // `/export` runs GraphQL too: the same rate limit (one bucket per client for both), CORS.
    let mut export = get(export::get).post(export::post).layer(compressed());
    if state.options.rate_limit_per_minute > 0 {
        let limiter = rate_limit::RateLimiter::new(state.options.rate_limit_per_minute);
        let limited = (
            limiter,
            state.db.clone(),
            state.options.limits.request_timeout,
        );
        graphql = graphql.layer(axum::middleware::from_fn_with_state(
            limited.clone(),
            rate_limit::limit,
        ));
        export = export.layer(axum::middleware::from_fn_with_state(
            limited,
            rate_limit::limit,
        ));
    }
    if let Some(cors) = cors_layer(&state.options.cors_origins) {
        graphql = graphql.layer(cors.clone());
        export = export.layer(cors);
    }
    let mut router = Router::new()
        .route("/graphql", graphql)
        .route("/export", export);
    if !state.options.no_playground {
        router = router.route("/playground/assets/{name}", get(playground::asset));
    }
    let body_limit = state.options.body_limit_bytes;
    router
        .route("/explore", get(explore::page))
        .route("/explore/assets/{name}", get(explore::asset))
        .route("/healthz", get(health::alive))
        .route("/metrics", get(metrics::render))
        .route("/readyz", get(health::ready))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// CORS for the listed origins only (preflight answered, credentials not allowed); invalid
/// origins are logged and skipped.
fn cors_layer(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderValue, Method, header};
    use tower_http::cors::AllowOrigin;
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .collect();
    // `*`: any origin (keys travel in a header, never in cookies, so no credentials mode).
    let allowed = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        let listed: Vec<HeaderValue> = origins
            .into_iter()
            .filter_map(|origin| match HeaderValue::from_str(origin) {
                Ok(value) => Some(value),
                Err(_) => {
                    tracing::warn!(origin, "ignoring an invalid CORS origin");
                    None
                }
            })
            .collect();
        if listed.is_empty() {
            return None;
        }
        AllowOrigin::list(listed)
    };
    // What a browser script may read besides the safelisted headers: an export's size and
    // truncation, when to retry, and the validator to revalidate with.
    let exposed = [
        header::HeaderName::from_static("x-studygraph-total-count"),
        header::HeaderName::from_static("x-studygraph-truncated"),
        header::RETRY_AFTER,
        header::ETAG,
    ];
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(allowed)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
            .expose_headers(exposed)
            .max_age(std::time::Duration::from_secs(600)),
    )
}
