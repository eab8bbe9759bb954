//! Trusted documents (`--trusted-documents`, `--persisted-only`) and the HTTP caching of
//! queries sent by hash over GET.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use studygraph::http::trusted_documents::{TrustedDocuments, hash_of};

use crate::helpers::{Answer, TestApp, send_to};
use crate::on_both_backends;

on_both_backends!(
    persisted_only_runs_manifest_documents_only,
    manifest_pre_registers_documents_for_apq,
    get_by_hash_is_cached_with_etags
);

const REPORT: &str = r#"query Report { publication(ncjNumber: "216547") { ncjNumber } }"#;
const COUNT: &str = "query Count { publications { totalCount } }";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A router over the app's database with these trusted documents.
fn router_with(app: &TestApp, manifest: Value, persisted_only: bool) -> Router {
    let documents = TrustedDocuments::parse(&manifest.to_string(), "manifest.json").unwrap();
    let options = studygraph::AppOptions {
        trusted_documents: Arc::new(documents),
        persisted_only,
        ..Default::default()
    };
    studygraph::app_with(app.db.clone(), options)
}

async fn post(router: &Router, accept: &str, body: Value) -> Answer {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", accept)
        .body(Body::from(body.to_string()))
        .unwrap();
    send_to(router, request).await
}

async fn get(router: &Router, query_string: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(format!("/graphql?{query_string}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send_to(router, request.body(Body::empty()).unwrap()).await
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn code(answer: &Answer) -> String {
    answer.json()["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// With `--persisted-only`, documents run by `documentId` (prefixed or not, POST and GET), by
/// Apollo's hash, or as their exact text; anything else is refused with a clear code.
async fn persisted_only_runs_manifest_documents_only(app: &TestApp) {
    let hash = hash_of(REPORT);
    let router = router_with(app, json!({ hash.clone(): REPORT }), true);
    let expected = json!({ "publication": { "ncjNumber": "216547" } });
    for body in [
        json!({ "documentId": format!("sha256:{hash}") }),
        json!({ "documentId": hash }),
        json!({ "extensions": apq(&hash) }),
        json!({ "query": REPORT }),
        json!({ "query": REPORT, "extensions": apq(&hash) }),
    ] {
        let answer = post(&router, GRAPHQL_RESPONSE, body.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
        assert_eq!(answer.json()["data"], expected, "{body}");
    }
    let by_id = get(
        &router,
        &format!("documentId={}", encode(&format!("sha256:{hash}"))),
        &[],
    )
    .await;
    assert_eq!(by_id.json()["data"], expected);

    // Any other text is not allowed: 400 with graphql-response+json, 200 with plain JSON.
    let other = json!({ "query": "{ publications { totalCount } }" });
    let refused = post(&router, GRAPHQL_RESPONSE, other.clone()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&refused), "PERSISTED_QUERY_NOT_ALLOWED");
    assert!(refused.json().get("data").is_none());
    let refused = post(&router, "application/json", other).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(code(&refused), "PERSISTED_QUERY_NOT_ALLOWED");
    let refused = get(&router, &format!("query={}", encode(COUNT)), &[]).await;
    assert_eq!(code(&refused), "PERSISTED_QUERY_NOT_ALLOWED");
    // A whitespace change is another document.
    let refused = post(
        &router,
        GRAPHQL_RESPONSE,
        json!({ "query": format!("{REPORT} ") }),
    )
    .await;
    assert_eq!(code(&refused), "PERSISTED_QUERY_NOT_ALLOWED");

    // Registering a new document (APQ) is not allowed, so its hash stays unknown.
    let count_hash = hash_of(COUNT);
    let register = json!({ "query": COUNT, "extensions": apq(&count_hash) });
    let refused = post(&router, GRAPHQL_RESPONSE, register).await;
    assert_eq!(code(&refused), "PERSISTED_QUERY_NOT_ALLOWED");
    for body in [
        json!({ "extensions": apq(&count_hash) }),
        json!({ "documentId": format!("sha256:{count_hash}") }),
    ] {
        let unknown = post(&router, GRAPHQL_RESPONSE, body).await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    }
    let unknown = get(&router, &format!("documentId={count_hash}"), &[]).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    let both = post(
        &router,
        GRAPHQL_RESPONSE,
        json!({ "documentId": hash, "query": REPORT }),
    )
    .await;
    assert_eq!(code(&both), "BAD_USER_INPUT");
}

/// Without `--persisted-only` an (Apollo-shaped) manifest pre-registers its documents: their
/// hash works on the first try, and other queries still run.
async fn manifest_pre_registers_documents_for_apq(app: &TestApp) {
    let hash = hash_of(REPORT);
    let manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": hash, "body": REPORT, "name": "Report", "type": "query" }]
    });
    let router = router_with(app, manifest, false);
    let first = post(
        &router,
        GRAPHQL_RESPONSE,
        json!({ "extensions": apq(&hash) }),
    )
    .await;
    assert_eq!(first.json()["data"]["publication"]["ncjNumber"], "216547");
    let raw = post(&router, GRAPHQL_RESPONSE, json!({ "query": COUNT })).await;
    assert!(raw.json()["data"]["publications"]["totalCount"].as_i64() > Some(0));
    // An unknown hash is still Apollo's PersistedQueryNotFound round trip (200).
    let unknown = post(
        &router,
        GRAPHQL_RESPONSE,
        json!({ "extensions": apq(&hash_of(COUNT)) }),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(
        unknown.json()["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
}

/// A successful anonymous GET by hash is public for `max-age` with a strong ETag, and
/// `If-None-Match` gets 304 without a body; errors and credentials make it `no-store`.
async fn get_by_hash_is_cached_with_etags(app: &TestApp) {
    let failing = "query TooBig { publications(first: 101) { totalCount } }";
    let manifest = json!({ hash_of(REPORT): REPORT, hash_of(failing): failing });
    let documents = TrustedDocuments::parse(&manifest.to_string(), "manifest.json").unwrap();
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            trusted_documents: Arc::new(documents),
            cache_max_age_secs: 300,
            ..Default::default()
        },
    );
    let by_hash = format!("extensions={}", encode(&apq(&hash_of(REPORT)).to_string()));
    let by_id = format!("documentId=sha256:{}", hash_of(REPORT));
    for query_string in [&by_hash, &by_id] {
        let first = get(&router, query_string, &[("accept", GRAPHQL_RESPONSE)]).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(
            first.headers.get("cache-control").unwrap(),
            "public, max-age=300"
        );
        let etag = first.headers.get("etag").unwrap().to_str().unwrap();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
            "a strong ETag: {etag}"
        );
        let again = get(&router, query_string, &[("accept", GRAPHQL_RESPONSE)]).await;
        assert_eq!(
            again.headers.get("etag").unwrap(),
            etag,
            "same body, same tag"
        );
        let revalidated = get(
            &router,
            query_string,
            &[("accept", GRAPHQL_RESPONSE), ("if-none-match", etag)],
        )
        .await;
        assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
        assert!(revalidated.body.is_empty());
        assert_eq!(revalidated.headers.get("etag").unwrap(), etag);
        // The same answer as application/json is another representation: another tag, and
        // the graphql-response+json one does not revalidate it.
        let as_json = get(
            &router,
            query_string,
            &[("accept", "application/json"), ("if-none-match", etag)],
        )
        .await;
        assert_eq!(as_json.status, StatusCode::OK);
        assert_eq!(as_json.body, first.body, "the same bytes");
        assert_ne!(as_json.headers.get("etag").unwrap(), etag);
        assert_eq!(
            revalidated.headers.get("cache-control").unwrap(),
            "public, max-age=300"
        );
        let changed = get(
            &router,
            query_string,
            &[("accept", GRAPHQL_RESPONSE), ("if-none-match", "\"stale\"")],
        )
        .await;
        assert_eq!(changed.status, StatusCode::OK);
        assert_eq!(changed.json()["data"]["publication"]["ncjNumber"], "216547");
        // The same request with credentials is not stored anywhere.
        let keyed = get(
            &router,
            query_string,
            &[
                ("authorization", "Bearer sg_whatever"),
                ("if-none-match", etag),
            ],
        )
        .await;
        assert_eq!(keyed.status, StatusCode::OK);
        assert_eq!(keyed.headers.get("cache-control").unwrap(), "no-store");
        assert!(keyed.headers.get("etag").is_none());
    }
    let with_errors = get(&router, &format!("documentId={}", hash_of(failing)), &[]).await;
    assert_eq!(code(&with_errors), "BAD_USER_INPUT");
    assert_eq!(
        with_errors.headers.get("cache-control").unwrap(),
        "no-store"
    );
    assert!(with_errors.headers.get("etag").is_none());
    // A raw query over GET is not marked cacheable.
    let raw = get(&router, &format!("query={}", encode(REPORT)), &[]).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert!(raw.headers.get("cache-control").is_none());
}

/// A manifest whose hash does not match its document stops `serve` at start-up, naming the
/// file and the entry; `--persisted-only` needs a manifest.
#[tokio::test]
async fn bad_manifests_stop_start_up() {
    use clap::Parser;
    let dir = std::env::temp_dir().join(format!("studygraph-trusted-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = hash_of(REPORT);
    let cases = [
        (json!({ "0123abcd": REPORT }), "entry \"0123abcd\""),
        (
            json!({ good.clone(): REPORT, hash_of("{ x"): "{ x" }),
            "does not parse",
        ),
        (
            json!({ "format": "apollo-persisted-query-manifest", "version": 1,
                    "operations": [{ "id": good, "body": REPORT, "name": "Report" },
                                   { "id": good, "body": COUNT, "name": "Count" }] }),
            "operations[1] (Count)",
        ),
    ];
    for (i, (manifest, entry)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("manifest-{i}.json"));
        std::fs::write(&path, manifest.to_string()).unwrap();
        let cli = studygraph::config::Cli::try_parse_from([
            "studygraph",
            "serve",
            "--database-url",
            "sqlite::memory:",
            "--listen",
            "127.0.0.1:0",
            "--persisted-only",
            "--trusted-documents",
            path.to_str().unwrap(),
        ])
        .unwrap();
        let started =
            tokio::time::timeout(std::time::Duration::from_secs(10), studygraph::run(cli))
                .await
                .expect("start-up stops at once");
        let message = format!("{:#}", started.unwrap_err());
        assert!(
            message.contains(path.to_str().unwrap()) && message.contains(entry),
            "{message}"
        );
    }
    let without =
        studygraph::config::Cli::try_parse_from(["studygraph", "serve", "--persisted-only"]);
    let message = without.unwrap_err().to_string();
    assert!(message.contains("--trusted-documents"), "{message}");
    std::fs::remove_dir_all(&dir).ok();
}
