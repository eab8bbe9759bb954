//! Trace export by OTLP/HTTP (protobuf), the `otlp` feature: on when
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set (spans go to
//! `<endpoint>/v1/traces` with the latter). The exporter reads the other standard variables
//! (`OTEL_EXPORTER_OTLP_HEADERS`, `..._TIMEOUT`, `OTEL_BSP_*`, `OTEL_RESOURCE_ATTRIBUTES`);
//! `service.name` is `studygraph` unless `OTEL_SERVICE_NAME` (or the resource attributes) says
//! otherwise. A batch processor exports from its own thread; [`super::Guard`] flushes it.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

/// The service name when the environment names none.
pub const SERVICE_NAME: &str = "studygraph";

/// The variables that turn export on, the signal's own first (as the exporter reads them).
pub const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// The endpoint export goes to, if `var` (the environment) names one (empty counts as unset).
pub fn endpoint(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    ENDPOINT_VARS
        .iter()
        .find_map(|name| var(name).filter(|value| !value.trim().is_empty()))
}

/// Shuts the provider down when dropped: the batch processor exports what it still holds.
pub struct Exporting(SdkTracerProvider);

impl Drop for Exporting {
    fn drop(&mut self) {
        if let Err(err) = self.0.shutdown() {
            eprintln!("studygraph: flushing the OTLP trace exporter: {err}");
        }
    }
}

/// Installs logging plus the OpenTelemetry layer when an endpoint is configured; `None` when
/// not (or when the exporter cannot be built: then plain logging, with a message why).
pub(super) fn init() -> Option<super::Guard> {
    endpoint(|name| std::env::var(name).ok())?;
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
    {
        Ok(exporter) => exporter,
        Err(err) => {
            eprintln!("studygraph: OTLP trace export is off: {err}");
            return None;
        }
    };
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build();
    // The exporter's own HTTP client must not feed spans back into the export.
    let quiet = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_target("hyper", LevelFilter::OFF)
        .with_target("h2", LevelFilter::OFF)
        .with_target("reqwest", LevelFilter::OFF)
        .with_target("opentelemetry", LevelFilter::OFF);
    let traces = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(SERVICE_NAME))
        .with_filter(quiet);
    let logs = fmt::layer().with_writer(std::io::stderr);
    let logs = if super::json() {
        logs.json().flatten_event(true).boxed()
    } else {
        logs.boxed()
    };
    tracing_subscriber::registry()
        .with(super::filter())
        .with(logs)
        .with(traces)
        .try_init()
        .ok()?;
    Some(super::Guard {
        _otlp: Some(Exporting(provider)),
    })
}

/// The SDK's resource (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, SDK attributes), named
/// `studygraph` when those leave it `unknown_service`.
fn resource() -> Resource {
    let detected = Resource::builder().build();
    let unnamed = detected
        .get(&opentelemetry::Key::from_static_str("service.name"))
        .is_none_or(|name| name.as_str().starts_with("unknown_service"));
    if unnamed {
        Resource::builder().with_service_name(SERVICE_NAME).build()
    } else {
        detected
    }
}
