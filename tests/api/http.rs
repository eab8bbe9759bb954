//! GraphQL over HTTP: methods, media types, status codes, limits, the playground and health.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    metrics_after_queries,
    persisted_queries,
    query_limits,
    get_runs_queries,
    get_refuses_mutations,
    post_needs_json,
    media_types,
    request_errors,
    oversized_bodies,
    playground_and_health,
    readiness_follows_the_database,
    answers_are_compressed_when_accepted,
    a_read_can_hold_writes_back,
    a_key_that_cannot_be_checked_is_answered_like_other_errors,
    a_timeout_is_no_bad_request,
    connections_that_stall_are_closed
);

fn encode(query: &str) -> String {
    url::form_urlencoded::byte_serialize(query.as_bytes()).collect()
}

async fn get_runs_queries(app: &TestApp) {
    let uri = format!(
        "/graphql?query={}",
        encode(r#"{ publication(ncjNumber: "216547") { ncjNumber } }"#)
    );
    let answer = app
        .send(
            Request::get(uri)
                .header("accept", "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json()["data"],
        json!({ "publication": { "ncjNumber": "216547" } })
    );
    assert!(answer.content_type().starts_with("application/json"));
}

async fn get_refuses_mutations(app: &TestApp) {
    let uri = format!(
        "/graphql?query={}",
        encode("mutation { deletePublication(id: 1) }")
    );
    let answer = app
        .send(Request::get(uri).body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers.get("allow").unwrap(), "POST");
    assert!(
        answer.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("POST")
    );
}

async fn post_needs_json(app: &TestApp) {
    let body = json!({ "query": "{ publications { totalCount } }" }).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ] {
        let mut request = Request::post("/graphql");
        if !content_type.is_empty() {
            request = request.header("content-type", content_type);
        }
        let answer = app
            .send(request.body(Body::from(body.clone())).unwrap())
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?} must not execute"
        );
        assert!(answer.json()["data"].is_null());
    }
    let ok = app
        .send(
            Request::post("/graphql")
                .header("content-type", "application/json; charset=utf-8")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(
        ok.json()["data"]["publications"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0
    );
}

async fn media_types(app: &TestApp) {
    let body = json!({ "query": "{ publications { totalCount } }" }).to_string();
    for (accept, expected) in [
        (
            "application/graphql-response+json",
            "application/graphql-response+json",
        ),
        (
            "application/graphql-response+json, application/json;q=0.9",
            "application/graphql-response+json",
        ),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
    ] {
        let answer = app
            .send(
                Request::post("/graphql")
                    .header("content-type", "application/json")
                    .header("accept", accept)
                    .body(Body::from(body.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.content_type(), expected, "Accept: {accept}");
    }
    let refused = app
        .send(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .header("accept", "text/csv")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
}

async fn request_errors(app: &TestApp) {
    let invalid = json!({ "query": "{ publications { noSuchField } }" }).to_string();
    let send = |accept: &'static str, body: String| {
        Request::post("/graphql")
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(Body::from(body))
            .unwrap()
    };
    let strict = app
        .send(send("application/graphql-response+json", invalid.clone()))
        .await;
    assert_eq!(
        strict.status,
        StatusCode::BAD_REQUEST,
        "graphql-response+json: invalid documents are 400"
    );
    assert!(
        strict.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("noSuchField")
    );
    let legacy = app.send(send("application/json", invalid)).await;
    assert_eq!(legacy.status, StatusCode::OK, "application/json keeps 200");
    let batch = app
        .send(send(
            "application/json",
            json!([{ "query": "{ __typename }" }]).to_string(),
        ))
        .await;
    assert_eq!(batch.status, StatusCode::BAD_REQUEST);
    let garbage = app
        .send(send("application/json", "{ not json".into()))
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    // No query at all is the request's fault, said plainly (it was a parse error of "").
    for body in ["{}", r#"{"variables":{}}"#, r#"{"query":"  "}"#] {
        let empty = app.send(send("application/json", body.into())).await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{body}");
        let answer = empty.json();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("no query"),
            "{answer}"
        );
    }
    // A field error still answers 200 with the data that could be resolved.
    let field_error = app
        .send(send(
            "application/graphql-response+json",
            json!({ "query": "{ publications(first: 101) { totalCount } a: __typename }" })
                .to_string(),
        ))
        .await;
    assert_eq!(field_error.status, StatusCode::OK);
    assert_eq!(
        field_error.json()["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
}

/// A body over the limit gets 413 with the JSON error body of every other refusal, on both
/// endpoints that read one.
async fn oversized_bodies(app: &TestApp) {
    let padding = " ".repeat(2 * 1024 * 1024);
    let body = format!(r#"{{"query": "{{ __typename }}{padding}"}}"#);
    for uri in ["/graphql", "/export?format=csv"] {
        let answer = app
            .send(
                Request::post(uri)
                    .header("content-type", "application/json")
                    .body(Body::from(body.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert_eq!(answer.content_type(), "application/json", "{uri}");
        let error = &answer.json()["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_REQUEST", "{uri}");
        assert!(
            error["message"].as_str().unwrap().contains("1048576 bytes"),
            "{uri}: {error}"
        );
    }
}

async fn playground_and_health(app: &TestApp) {
    let page = app
        .send(
            Request::get("/graphql")
                .header("accept", "text/html,application/xhtml+xml")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.body.contains("studygraph playground"));
    assert!(
        page.body.contains("216547"),
        "example queries are preloaded"
    );
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !page.body.contains(external),
            "no external asset ({external})"
        );
    }
    let alive = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(alive.status, StatusCode::OK);
    let ready = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(ready.status, StatusCode::OK);
}

async fn readiness_follows_the_database(app: &TestApp) {
    app.db.conn.close_by_ref().await.unwrap();
    let ready = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let alive = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(alive.status, StatusCode::OK);
    let answer = app.post("{ publications { totalCount } }", json!({})).await;
    let body = answer.json();
    // A database that cannot be reached is a retryable code of its own, not INTERNAL.
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "DATABASE_UNAVAILABLE"
    );
    let error = &body["errors"][0];
    let id = error["extensions"]["requestId"]
        .as_str()
        .expect("a request id");
    assert_eq!(id.len(), 16);
    let message = error["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "the database is not reachable or busy with another write right now; try again in a few seconds (request {id})"
        ),
        "no database text leaks out"
    );
    assert!(!message.to_lowercase().contains("pool") && !message.contains("SELECT"));
}

async fn query_limits(app: &TestApp) {
    let mut deep = String::from("{ producer(name: \"NIJ\") { ");
    for _ in 0..40 {
        deep.push_str("parent { ");
    }
    deep.push_str("name");
    for _ in 0..41 {
        deep.push_str(" }");
    }
    deep.push_str(" }");
    let (code, message) = app.error_code(&deep).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(message.contains("16"), "{message}");
    let aliases: String = (0..6000)
        .map(|i| format!("a{i}: publications {{ totalCount }} "))
        .collect();
    let (code, message) = app.error_code(&format!("{{ {aliases} }}")).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    // The standard introspection query stays within the limits.
    let introspection = "query IntrospectionQuery { __schema { queryType { name } types { ...FullType } directives { name locations args { ...InputValue } } } }
      fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } isDeprecated }
        inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
      fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
      fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let data = app.data(introspection).await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 20);
}

/// Past its budget a client gets 429 with Retry-After and RATE_LIMITED; other clients do not. A
/// client is a valid key, else an address: made-up keys do not buy a fresh budget (each one had
/// its own bucket, and reads ignore bad keys, so any client could read without limit).
#[tokio::test]
async fn rate_limit_per_client() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, false).await else {
        return;
    };
    let options = studygraph::AppOptions {
        rate_limit_per_minute: 3,
        ..Default::default()
    };
    let router = studygraph::app_with(app.db.clone(), options);
    let key = |name: &'static str| {
        let db = app.db.clone();
        async move {
            let key = studygraph::auth::create_key(&db, name, studygraph::auth::Scope::Read)
                .await
                .unwrap()
                .key;
            format!("Bearer {key}")
        }
    };
    let (client_a, client_b) = (key("client-a").await, key("client-b").await);
    let send = |authorization: Option<String>| {
        let router = router.clone();
        async move {
            let mut request = Request::post("/graphql").header("content-type", "application/json");
            if let Some(authorization) = authorization {
                request = request.header("authorization", authorization);
            }
            let request = request
                .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
                .unwrap();
            tower::ServiceExt::oneshot(router, request).await.unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(send(Some(client_a.clone())).await.status(), StatusCode::OK);
    }
    let limited = send(Some(client_a.clone())).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    let body = http_body_util::BodyExt::collect(limited.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(
        send(Some(client_b)).await.status(),
        StatusCode::OK,
        "each key has its own budget"
    );
    // Without a valid key, requests count against the address, whatever header they carry.
    for _ in 0..3 {
        assert_eq!(send(None).await.status(), StatusCode::OK);
    }
    for made_up in ["Bearer sg_made-up-1", "Bearer sg_made-up-2", "Basic abc"] {
        assert_eq!(
            send(Some(made_up.to_owned())).await.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{made_up}"
        );
    }
    // The refusal comes in the media type the client accepts.
    let graphql_response = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
        .unwrap();
    let limited = tower::ServiceExt::oneshot(router.clone(), graphql_response)
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        limited.headers()["content-type"],
        "application/graphql-response+json"
    );
    // The playground page is no API request: a browser past its budget still gets it.
    let page = Request::get("/graphql")
        .header("accept", "text/html,application/xhtml+xml")
        .body(Body::empty())
        .unwrap();
    let page = tower::ServiceExt::oneshot(router.clone(), page)
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let health = tower::ServiceExt::oneshot(
        router.clone(),
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "health checks are not limited"
    );
    app.finish().await;
}

/// Only the listed origins get CORS headers; a preflight from them is answered.
#[tokio::test]
async fn cors_allow_list() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, false).await else {
        return;
    };
    let options = studygraph::AppOptions {
        cors_origins: vec!["https://dashboard.example.org".into()],
        ..Default::default()
    };
    let router = studygraph::app_with(app.db.clone(), options);
    let preflight = |origin: &'static str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/graphql")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed =
        tower::ServiceExt::oneshot(router.clone(), preflight("https://dashboard.example.org"))
            .await
            .unwrap();
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://dashboard.example.org"
    );
    let other = tower::ServiceExt::oneshot(router.clone(), preflight("https://evil.example.com"))
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A script on the allowed origin may read the headers the API documents (an export's size
    // and truncation, Retry-After, ETag): none were exposed.
    let request = Request::post("/graphql")
        .header("origin", "https://dashboard.example.org")
        .header("content-type", "application/json")
        .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
        .unwrap();
    let answer = tower::ServiceExt::oneshot(router.clone(), request)
        .await
        .unwrap();
    let exposed = answer.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in [
        "x-studygraph-total-count",
        "x-studygraph-truncated",
        "retry-after",
        "etag",
    ] {
        assert!(exposed.contains(header), "{exposed}");
    }
    // `*` allows any origin (it was a panic at start-up).
    let any = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            cors_origins: vec!["*".into()],
            ..Default::default()
        },
    );
    let anyone = tower::ServiceExt::oneshot(any, preflight("https://evil.example.com"))
        .await
        .unwrap();
    assert_eq!(anyone.headers()["access-control-allow-origin"], "*");
    let plain = tower::ServiceExt::oneshot(
        app.router.clone(),
        preflight("https://dashboard.example.org"),
    )
    .await
    .unwrap();
    assert!(
        plain.headers().get("access-control-allow-origin").is_none(),
        "no CORS unless configured"
    );
    app.finish().await;
}

/// Every response says what the query cost; `costOnly` gets the estimate without running it.
#[tokio::test]
async fn cost_preview() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, true).await else {
        return;
    };
    let query = "{ publications(first: 3) { nodes { title } } }";
    let answer = app.post(query, json!({})).await.json();
    let cost = &answer["extensions"]["cost"];
    assert!(cost["estimated"].as_i64().unwrap() >= 3, "{cost}");
    assert_eq!(cost["limit"], 200_000);
    // The cost grows with the page sizes asked for: nested lists multiply.
    let estimate = |query: &'static str| {
        let app = &app;
        async move {
            let body = json!({ "query": query, "extensions": { "costOnly": true } });
            let request = Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            app.send(request).await.json()["extensions"]["cost"]["estimated"]
                .as_i64()
                .unwrap()
        }
    };
    let small = estimate("{ publications(first: 3) { nodes { title abstract } } }").await;
    let large = estimate("{ publications(first: 30) { nodes { title abstract } } }").await;
    // `abstract` counts 10, `nodes` and `title` 1 each.
    assert_eq!((small, large), (1 + 3 * 12, 1 + 30 * 12));
    let nested = "{ publications(first: 100) { nodes { relatedPublications(first: 100) { nodes { title relatedPublications(first: 100) { nodes { title } } } } } } }";
    let refused = app.post(nested, json!({})).await.json();
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{refused}"
    );
    assert_eq!(
        answer["data"]["publications"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let body = json!({ "query": "mutation { deletePublication(input: { id: \"UHVibGljYXRpb246MQ\" }) { deletedId } }", "extensions": { "costOnly": true } });
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let estimate = app.send(request).await.json();
    assert!(estimate["data"].is_null(), "not run: {estimate}");
    assert!(
        estimate["errors"].is_null(),
        "not even the key check ran: {estimate}"
    );
    assert!(
        estimate["extensions"]["cost"]["estimated"]
            .as_i64()
            .unwrap()
            >= 1
    );
    let still_there = app
        .data(r#"{ node(id: "UHVibGljYXRpb246MQ") { id } }"#)
        .await;
    assert!(!still_there["node"].is_null(), "the mutation did not run");
    app.finish().await;
}

/// Our PostgreSQL sessions: statements cannot outlive a request, the planner costs random
/// reads as on SSDs, and loopback connections skip TLS.
#[tokio::test]
async fn postgres_session_settings() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres, false).await
    else {
        return;
    };
    let text = |sql: &'static str| {
        let conn = app.db.conn.clone();
        async move {
            let row = sea_orm::ConnectionTrait::query_one_raw(
                &conn,
                sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql),
            )
            .await
            .unwrap()
            .unwrap();
            row.try_get_by_index::<String>(0).unwrap()
        }
    };
    assert_eq!(text("SHOW statement_timeout").await, "10s");
    assert_eq!(text("SHOW random_page_cost").await, "1.1");
    assert_eq!(
        text("SELECT CAST(ssl AS TEXT) FROM pg_stat_ssl WHERE pid = pg_backend_pid()").await,
        "false",
        "the test URL is loopback without an sslmode"
    );
    app.finish().await;
}

async fn metrics_after_queries(app: &TestApp) {
    app.data("query Dashboard { publications { totalCount } }")
        .await;
    app.data("query Dashboard { publications { totalCount } }")
        .await;
    let _ = app
        .post("{ publications(first: 101) { totalCount } }", json!({}))
        .await;
    // Five publications' credits read by id (a page would bring them with its rows): one
    // batch of five keys.
    let listed = app
        .data("{ publications(first: 5) { nodes { id } } }")
        .await;
    let ids: Vec<&str> = listed["publications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    app.data(&format!(
        "{{ nodes(ids: {ids:?}) {{ ... on Publication {{ producers {{ role }} }} }} }}"
    ))
    .await;
    let answer = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type().starts_with("text/plain"));
    let body = &answer.body;
    assert!(
        body.contains("studygraph_graphql_requests_total{operation=\"Dashboard\"} 2"),
        "{body}"
    );
    assert!(
        body.contains("studygraph_graphql_requests_total{operation=\"anonymous\"} 3"),
        "{body}"
    );
    assert!(
        body.contains("studygraph_graphql_errors_total{code=\"BAD_USER_INPUT\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("studygraph_graphql_request_seconds_count{operation=\"Dashboard\"} 2"),
        "{body}"
    );
    assert!(
        body.contains("studygraph_db_pool_connections{state=\"idle\"}"),
        "{body}"
    );
    for line in [
        "studygraph_dataloader_batch_keys_count{loader=\"credits\"} 1",
        "studygraph_dataloader_batch_keys_sum{loader=\"credits\"} 5",
        "studygraph_dataloader_batch_keys_bucket{loader=\"credits\",le=\"2\"} 0",
        "studygraph_dataloader_batch_keys_bucket{loader=\"credits\",le=\"5\"} 1",
        "studygraph_dataloader_batch_keys_count{loader=\"page\"} 1",
    ] {
        assert!(body.contains(line), "{line} in {body}");
    }
    let statements = body
        .lines()
        .find(|l| l.starts_with("studygraph_sql_statements_total "))
        .unwrap();
    assert!(
        statements
            .split(' ')
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

/// Apollo's automatic persisted queries: an unknown hash asks for the text, then the hash
/// alone works — by POST and by a cacheable GET — and a persisted mutation stays POST-only.
async fn persisted_queries(app: &TestApp) {
    use sha2::Digest;
    let query = r#"{ publication(ncjNumber: "216547") { ncjNumber } }"#;
    let hash = format!("{:x}", sha2::Sha256::digest(query.as_bytes()));
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let post = |body: serde_json::Value| {
        Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let unknown = app
        .send(post(json!({ "extensions": extensions })))
        .await
        .json();
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    let registered = app
        .send(post(json!({ "query": query, "extensions": extensions })))
        .await
        .json();
    assert_eq!(registered["data"]["publication"]["ncjNumber"], "216547");
    let by_hash = app
        .send(post(json!({ "extensions": extensions })))
        .await
        .json();
    assert_eq!(by_hash["data"], registered["data"]);
    let uri = format!("/graphql?extensions={}", encode(&extensions.to_string()));
    let get = app
        .send(
            Request::get(uri)
                .header("accept", "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(get.json()["data"], registered["data"]);
    assert_eq!(
        get.headers.get("cache-control").unwrap(),
        "public, max-age=60"
    );
    let wrong = app
        .send(post(
            json!({ "query": "{ __typename }", "extensions": extensions }),
        ))
        .await
        .json();
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // A mutation registered by POST is still refused over GET.
    let mutation =
        "mutation { deletePublication(input: { id: \"UHVibGljYXRpb246MQ\" }) { deletedId } }";
    let mutation_hash = format!("{:x}", sha2::Sha256::digest(mutation.as_bytes()));
    let mutation_extensions =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": mutation_hash } });
    let _ = app
        .send(post(
            json!({ "query": mutation, "extensions": mutation_extensions }),
        ))
        .await;
    let uri = format!(
        "/graphql?extensions={}",
        encode(&mutation_extensions.to_string())
    );
    let refused = app
        .send(Request::get(uri).body(Body::empty()).unwrap())
        .await;
    assert_eq!(refused.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// A POST answer is gzip-compressed when the client accepts gzip (and decompresses to the
/// plain answer); without `Accept-Encoding` it is plain. GET answers (cached by ETag) never are.
async fn answers_are_compressed_when_accepted(app: &TestApp) {
    use http_body_util::BodyExt;
    use std::io::Read;
    use tower::ServiceExt;
    let query = json!({ "query": "{ publications(first: 50) { nodes { id title abstract } } }" });
    let raw = |encoding: Option<&'static str>, get: bool| {
        let mut request = if get {
            Request::get(format!(
                "/graphql?query={}",
                encode("{ publications(first: 50) { nodes { id title abstract } } }")
            ))
        } else {
            Request::post("/graphql").header("content-type", "application/json")
        }
        .header("accept", "application/json");
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        let body = if get {
            Body::empty()
        } else {
            Body::from(query.to_string())
        };
        let router = app.router.clone();
        async move {
            let response = router.oneshot(request.body(body).unwrap()).await.unwrap();
            let encoding = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (encoding, bytes)
        }
    };
    let (plain_encoding, plain) = raw(None, false).await;
    assert_eq!(plain_encoding, None);
    let (encoding, gzipped) = raw(Some("gzip"), false).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(
        gzipped.len() * 2 < plain.len(),
        "{} vs {}",
        gzipped.len(),
        plain.len()
    );
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain.to_vec());
    let (get_encoding, _) = raw(Some("gzip"), true).await;
    assert_eq!(get_encoding, None, "GET answers keep their ETag's bytes");
}

/// The last run of a read that writes kept changing under holds writes back: a write waits
/// for it, and commits once it is released (see `http::consistent`).
async fn a_read_can_hold_writes_back(app: &TestApp) {
    use studygraph::http::consistent::WritesHeld;
    let count = "{ publications { totalCount } }";
    let before = app.data(count).await["publications"]["totalCount"].clone();
    let held = WritesHeld::take(&app.db).await;
    // Reads that hold writes back do not hold each other back.
    let other = tokio::time::timeout(std::time::Duration::from_secs(3), WritesHeld::take(&app.db))
        .await
        .expect("a second read holds writes back at once");
    other.release().await;
    let db = app.db.clone();
    let write = tokio::spawn(async move {
        studygraph::import::native::import_str(
            &db,
            "held.jsonl",
            r#"{"type":"publication","ncjNumber":"T-HELD","title":"Written after the read"}"#,
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    if write.is_finished() {
        panic!("the write did not wait: {:?}", write.await.unwrap().err());
    }
    assert_eq!(
        app.data(count).await["publications"]["totalCount"],
        before,
        "reads go on, and see no new record"
    );
    held.release().await;
    write.await.unwrap().unwrap();
    assert_eq!(
        app.data(count).await["publications"]["totalCount"],
        before.as_i64().unwrap() + 1
    );
}

/// A key lookup that fails or waits answers as a GraphQL request would: `TIMEOUT` (504) within
/// the request's time, `INTERNAL` (500) with the request id of the logged cause. It answered a
/// bare 500 "internal error", after PostgreSQL's 10 s statement timeout. Both ways in: the
/// rate limiter's lookup, and the handler's when rate limiting is off.
async fn a_key_that_cannot_be_checked_is_answered_like_other_errors(app: &TestApp) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use std::time::{Duration, Instant};
    let routers = [600, 0].map(|rate_limit_per_minute| {
        studygraph::app_with(
            app.db.clone(),
            studygraph::AppOptions {
                rate_limit_per_minute,
                limits: studygraph::graphql::limits::Limits {
                    request_timeout: Duration::from_secs(1),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
    });
    async fn send(router: &axum::Router) -> crate::helpers::Answer {
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", "Bearer sg_not_a_key_anyone_has")
            .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
            .unwrap();
        crate::helpers::send_to(router, request).await
    }
    let backend = app.db.conn.get_database_backend();
    if backend == sea_orm::DatabaseBackend::Postgres {
        let holder = app.db.conn.begin().await.unwrap();
        holder
            .execute_unprepared("LOCK TABLE api_key IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
        for router in &routers {
            let started = Instant::now();
            let answer = send(router).await;
            assert_eq!(answer.status, StatusCode::GATEWAY_TIMEOUT);
            assert_eq!(answer.json()["errors"][0]["extensions"]["code"], "TIMEOUT");
            assert!(started.elapsed() < Duration::from_secs(5));
        }
        holder.rollback().await.unwrap();
    }
    app.db
        .conn
        .execute_unprepared("DROP TABLE api_key")
        .await
        .unwrap();
    for router in &routers {
        let answer = send(router).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        let error = &answer.json()["errors"][0];
        assert_eq!(error["extensions"]["code"], "INTERNAL");
        let id = error["extensions"]["requestId"].as_str().unwrap();
        assert_eq!(
            error["message"],
            format!("internal error (request {id}; the cause is in the server log)")
        );
    }
}

/// Under `application/graphql-response+json` a request that timed out without data is 504,
/// as on `/export`: it was 400, as if the document were invalid (clients do not retry those).
async fn a_timeout_is_no_bad_request(app: &TestApp) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use std::time::Duration;
    // The read must wait past its time: on PostgreSQL for a table another transaction holds.
    // SQLite's readers never wait for a writer, and a zero time limit let some reads finish
    // on their first poll, so there the status rule is checked by `server_failure_status`'s
    // unit test alone.
    if app.db.conn.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return;
    }
    let holder = app.db.conn.begin().await.unwrap();
    holder
        .execute_unprepared("LOCK TABLE publication IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let request_timeout = Duration::from_millis(500);
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            limits: studygraph::graphql::limits::Limits {
                request_timeout,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    for (accept, status) in [
        (
            "application/graphql-response+json",
            StatusCode::GATEWAY_TIMEOUT,
        ),
        ("application/json", StatusCode::OK),
    ] {
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(Body::from(
                json!({ "query": r#"{ publication(ncjNumber: "216547") { title } }"# }).to_string(),
            ))
            .unwrap();
        let answer = crate::helpers::send_to(&router, request).await;
        assert_eq!(answer.status, status, "{accept}");
        assert_eq!(answer.json()["errors"][0]["extensions"]["code"], "TIMEOUT");
    }
    holder.rollback().await.unwrap();
    // A document that is invalid is still the request's fault.
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(Body::from(json!({ "query": "{ nothing }" }).to_string()))
        .unwrap();
    let answer = crate::helpers::send_to(&router, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

/// The server closes a connection whose request headers or body do not arrive in time, and
/// takes at most its cap of connections at once: half-sent requests stayed open for good, and
/// 300 of them used up the process's files.
async fn connections_that_stall_are_closed(app: &TestApp) {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let limits = studygraph::http::server::ServeLimits {
        max_connections: 2,
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(500),
    };
    let router = studygraph::app(app.db.clone());
    tokio::spawn(studygraph::http::server::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    /// What the server sends before it closes the connection (within 5 s).
    async fn until_closed(stream: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
            .await
            .expect("the server closes the connection")
            .ok();
        String::from_utf8_lossy(&answer).into_owned()
    }
    let body = json!({ "query": "{ __typename }" }).to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // Half of the headers, then nothing.
    let mut headers = TcpStream::connect(address).await.unwrap();
    headers
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x")
        .await
        .unwrap();
    // All the headers, then part of the body.
    let mut part = TcpStream::connect(address).await.unwrap();
    part.write_all(&request.as_bytes()[..request.len() - 5])
        .await
        .unwrap();
    // Both places are taken: a third client waits until the stalled ones are closed.
    let started = Instant::now();
    let mut whole = TcpStream::connect(address).await.unwrap();
    whole.write_all(request.as_bytes()).await.unwrap();
    let answer = until_closed(&mut whole).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""__typename":"Query""#), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    until_closed(&mut headers).await;
    let stalled_body = until_closed(&mut part).await;
    assert!(stalled_body.starts_with("HTTP/1.1 408"), "{stalled_body}");
    assert!(
        stalled_body.contains("the request body did not arrive in time"),
        "{stalled_body}"
    );

    // Once it is told to stop, the server refuses new connections at once while an open
    // request finishes (they waited in the backlog for the whole drain, then were reset).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = studygraph::http::server::ServeLimits {
        body_read_timeout: Duration::from_secs(3),
        ..limits
    };
    let server = tokio::spawn(studygraph::http::server::serve(
        listener,
        studygraph::app(app.db.clone()),
        limits,
        async {
            stopped.await.ok();
        },
    ));
    let mut open = TcpStream::connect(address).await.unwrap();
    open.write_all(&request.as_bytes()[..request.len() - 5])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(address).await.is_err(),
        "a new connection during the drain is refused"
    );
    assert!(!server.is_finished(), "the open request is still draining");
    until_closed(&mut open).await;
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops once the open request ends")
        .unwrap()
        .unwrap();
}
