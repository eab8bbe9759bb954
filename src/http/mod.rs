//! HTTP: the axum router with the GraphQL endpoint, the playground and health checks. One
//! [`router`] function serves `main` and the tests alike.

pub mod graphql;
pub mod health;
pub mod playground;
pub mod rate_limit;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::db::Db;
use crate::graphql::schema::AppSchema;

/// Largest request body accepted (larger ones get 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares: the schema (built once), the database and the options.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: Db,
    pub options: crate::AppOptions,
}

pub fn router(state: AppState) -> Router {
    let mut graphql = get(graphql::get).post(graphql::post);
    if state.options.rate_limit_per_minute > 0 {
        let limiter = rate_limit::RateLimiter::new(state.options.rate_limit_per_minute);
        graphql = graphql.layer(axum::middleware::from_fn_with_state(
            limiter,
            rate_limit::limit,
        ));
    }
    Router::new()
        .route("/graphql", graphql)
        .route("/playground/assets/{name}", get(playground::asset))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
