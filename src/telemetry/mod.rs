//! Logging on stderr, filtered by `RUST_LOG` (default `info`): human-readable lines, or one
//! JSON object per line with `STUDYGRAPH_LOG_FORMAT=json` (for log shippers).
//!
//! Built with the `otlp` feature and given `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), the spans `RUST_LOG` lets through are also exported
//! by OTLP/HTTP (see the `otlp` module). Without either, nothing else runs.

#[cfg(feature = "otlp")]
pub mod otlp;

use tracing_subscriber::EnvFilter;

/// The environment variable that picks the log format: `text` (default) or `json`.
pub const LOG_FORMAT_VAR: &str = "STUDYGRAPH_LOG_FORMAT";

/// Keep it until the process ends: dropping it flushes the spans not yet exported (without
/// trace export it holds nothing).
#[must_use = "dropping the guard stops trace export at once"]
#[derive(Default)]
pub struct Guard {
    #[cfg(feature = "otlp")]
    _otlp: Option<otlp::Exporting>,
}

/// Installs the global subscriber (once: later calls change nothing).
pub fn init() -> Guard {
    #[cfg(feature = "otlp")]
    if let Some(guard) = otlp::init() {
        return guard;
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr);
    let _ = if json() {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    Guard::default()
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"))
}

fn json() -> bool {
    std::env::var(LOG_FORMAT_VAR).is_ok_and(|v| v.eq_ignore_ascii_case("json"))
}
