//! Logging on stderr, filtered by `RUST_LOG` (default `info`): human-readable lines, or one
//! JSON object per line with `STUDYGRAPH_LOG_FORMAT=json` (for log shippers).

use tracing_subscriber::EnvFilter;

/// The environment variable that picks the log format: `text` (default) or `json`.
pub const LOG_FORMAT_VAR: &str = "STUDYGRAPH_LOG_FORMAT";

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = std::env::var(LOG_FORMAT_VAR).is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
