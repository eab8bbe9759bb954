//! The `otlp` feature end to end: the real binary, pointed at a fake OTLP/HTTP collector by
//! `OTEL_EXPORTER_OTLP_ENDPOINT`, exports the `graphql` span of a named operation, flushed on
//! SIGTERM. Run with `cargo test --features otlp --test otlp`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use studygraph::telemetry::otlp;

type Bodies = Arc<Mutex<Vec<Vec<u8>>>>;

#[test]
fn a_named_operation_is_exported_as_a_graphql_span_when_the_server_stops() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bodies = Bodies::default();
    let collector = runtime.block_on(collector(bodies.clone()));
    let server = Server::start(collector);

    let answer = http(
        server.addr,
        "POST",
        "/graphql",
        r#"{"query":"query FindReport { publication(ncjNumber: \"216547\") { title } }"}"#,
    )
    .expect("the server answers /graphql");
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains(r#""title":"#),
        "{answer}"
    );
    assert!(
        bodies.lock().unwrap().is_empty(),
        "exported before the exit (OTEL_BSP_SCHEDULE_DELAY not honoured?)"
    );
    let log = server.stop();

    let bodies = bodies.lock().unwrap();
    assert!(
        !bodies.is_empty(),
        "nothing was exported; server log:\n{log}"
    );
    let spans: Vec<Span> = bodies.iter().flat_map(|body| spans(body)).collect();
    let graphql = spans
        .iter()
        .find(|span| span.name == "graphql")
        .unwrap_or_else(|| panic!("no graphql span in {spans:#?}; server log:\n{log}"));
    assert_eq!(graphql.service, "studygraph", "{graphql:?}");
    assert_eq!(
        graphql.attribute("operation"),
        Some("FindReport"),
        "{graphql:?}"
    );
    assert_eq!(
        graphql.attribute("request_id").map(str::len),
        Some(16),
        "{graphql:?}"
    );
}

#[test]
fn export_is_off_without_an_endpoint() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.to_string())
        }
    };
    assert_eq!(otlp::endpoint(env(&[])), None);
    assert_eq!(
        otlp::endpoint(env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "")])),
        None
    );
    assert_eq!(otlp::endpoint(env(&[("OTEL_SERVICE_NAME", "x")])), None);
    assert_eq!(
        otlp::endpoint(env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")])).as_deref(),
        Some("http://c:4318")
    );
    assert_eq!(
        otlp::endpoint(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://t:4318/v1/traces"
            ),
        ]))
        .as_deref(),
        Some("http://t:4318/v1/traces")
    );
}

/// A fake collector on a free port: keeps every body POSTed to `/v1/traces`.
async fn collector(bodies: Bodies) -> SocketAddr {
    async fn traces(
        axum::extract::State(bodies): axum::extract::State<Bodies>,
        body: axum::body::Bytes,
    ) -> impl axum::response::IntoResponse {
        bodies.lock().unwrap().push(body.to_vec());
        ([("content-type", "application/x-protobuf")], Vec::new())
    }
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .with_state(bodies);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// `studygraph serve` on the default (demo) SQLite file in a directory of its own; killed
/// and cleaned up when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Server {
    fn start(collector: SocketAddr) -> Self {
        let dir = std::env::temp_dir().join(format!("studygraph-otlp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_studygraph"));
        command
            .args(["serve", "--listen", &addr.to_string()])
            .current_dir(&dir)
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}"))
            .env("RUST_LOG", "info")
            // Nothing leaves before the exit: the flush on SIGTERM is what is tested.
            .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
            .stdout(Stdio::null())
            .stderr(log);
        for var in [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_SERVICE_NAME",
            "OTEL_RESOURCE_ATTRIBUTES",
            "OTEL_SDK_DISABLED",
            "OTEL_TRACES_SAMPLER",
            "STUDYGRAPH_DATABASE_URL",
            "STUDYGRAPH_LISTEN",
        ] {
            command.env_remove(var);
        }
        let server = Self {
            child: command.spawn().expect("the binary starts"),
            addr,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let ready = http(addr, "GET", "/readyz", "")
                .is_ok_and(|answer| answer.starts_with("HTTP/1.1 200"));
            if ready {
                return server;
            }
            assert!(Instant::now() < deadline, "not ready:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGTERM, then the exit (which must be clean); returns the server's log.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "no exit:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status}:\n{}", self.log());
        self.log()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 exchange (`Connection: close`): the whole answer, head and body.
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// An exported span, as read from an `ExportTraceServiceRequest`.
#[derive(Debug)]
struct Span {
    service: String,
    name: String,
    attributes: Vec<(String, String)>,
}

impl Span {
    fn attribute(&self, key: &str) -> Option<&str> {
        let found = self.attributes.iter().find(|(k, _)| k == key);
        found.map(|(_, value)| value.as_str())
    }
}

/// The spans of one OTLP/protobuf body: `resource_spans` (1) { `resource` (1) { `attributes`
/// (1) }, `scope_spans` (2) { `spans` (2) { `name` (5), `attributes` (9) } } }.
fn spans(body: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    for resource_spans in messages(body, 1) {
        let resource = messages(resource_spans, 1)
            .into_iter()
            .next()
            .unwrap_or(&[]);
        let service = attributes(resource, 1)
            .into_iter()
            .find(|(key, _)| key == "service.name")
            .map(|(_, value)| value)
            .unwrap_or_default();
        for scope_spans in messages(resource_spans, 2) {
            for span in messages(scope_spans, 2) {
                spans.push(Span {
                    service: service.clone(),
                    name: string(messages(span, 5).first().copied()),
                    attributes: attributes(span, 9),
                });
            }
        }
    }
    spans
}

/// `KeyValue { key (1), value (2): AnyValue { string_value (1) } }`, string values only.
fn attributes(message: &[u8], field: u64) -> Vec<(String, String)> {
    let pairs = messages(message, field).into_iter().map(|pair| {
        let value = messages(pair, 2).first().copied();
        let text = value.and_then(|value| messages(value, 1).first().copied());
        (string(messages(pair, 1).first().copied()), string(text))
    });
    pairs.collect()
}

fn string(bytes: Option<&[u8]>) -> String {
    String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned()
}

/// The length-delimited values of `field` in a protobuf message (the other fields skipped).
fn messages(mut buf: &[u8], field: u64) -> Vec<&[u8]> {
    let mut found = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf);
        let size = match key & 7 {
            0 => {
                varint(&mut buf);
                0
            }
            1 => 8,
            2 => varint(&mut buf) as usize,
            5 => 4,
            wire => panic!("unexpected protobuf wire type {wire}"),
        };
        let (value, rest) = buf.split_at(size);
        if key & 7 == 2 && key >> 3 == field {
            found.push(value);
        }
        buf = rest;
    }
    found
}

fn varint(buf: &mut &[u8]) -> u64 {
    let mut value = 0;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf.split_first().expect("a truncated varint");
        *buf = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
    }
    value
}
