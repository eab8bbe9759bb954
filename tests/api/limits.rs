//! The operator's limits and switches (`serve --max-aliases … --no-introspection
//! --no-playground`): each refusal names the limit and by how much.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use studygraph::graphql::limits::Limits;

use crate::helpers::{Answer, TestApp, send_to};
use crate::on_both_backends;

on_both_backends!(
    ten_thousand_aliases_are_refused_at_once,
    fragments_that_double_are_refused_before_validation,
    a_refusal_for_cost_reports_the_estimate,
    long_texts_cost_ten,
    configured_limits_say_by_how_much,
    lists_of_ids_cost_their_length,
    switches_turn_off_introspection_and_playground,
    executions_wait_for_a_turn_within_the_time_limit
);

fn router_with(app: &TestApp, options: studygraph::AppOptions) -> Router {
    studygraph::app_with(app.db.clone(), options)
}

async fn post(router: &Router, body: String) -> Answer {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(Body::from(body))
        .unwrap();
    send_to(router, request).await
}

async fn query(router: &Router, query: &str) -> Value {
    post(router, json!({ "query": query }).to_string())
        .await
        .json()
}

/// `(code, message)` of the first error.
fn first_error(body: &Value) -> (String, String) {
    let error = &body["errors"][0];
    assert!(!error.is_null(), "expected an error: {body:#}");
    (
        error["extensions"]["code"].as_str().unwrap_or("").into(),
        error["message"].as_str().unwrap_or("").into(),
    )
}

/// The default alias limit stops a 10,000-alias document before validation could spend time
/// on it, and says how many there were.
async fn ten_thousand_aliases_are_refused_at_once(app: &TestApp) {
    let aliases: String = (0..10_000).map(|i| format!("a{i}: __typename ")).collect();
    let started = Instant::now();
    let answer = app.post(&format!("{{ {aliases} }}"), json!({})).await;
    let elapsed = started.elapsed();
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let (code, message) = first_error(&answer.json());
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert_eq!(message, "the query has 10000 aliases, the limit is 500");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    // Within the limit, aliases work.
    let data = app.data("{ a: __typename b: __typename }").await;
    assert!(data["a"].is_string() && data["a"] == data["b"], "{data}");
}

/// Fragments that each spread the one before twice select 2^n fields from a document of a few
/// hundred bytes: validation and execution expanded every spread (2^23 took 10 s and 1.7 GB,
/// past the request time; `__typename` costs nothing, so the cost estimate let it through).
/// They are refused after parsing, by the fields they would select.
async fn fragments_that_double_are_refused_before_validation(app: &TestApp) {
    let doubling = |levels: usize, on: &str, leaf: &str| {
        let mut fragments = vec![format!("fragment F0 on {on} {{ {leaf} }}")];
        fragments.extend((1..=levels).map(|i| {
            let previous = i - 1;
            format!("fragment F{i} on {on} {{ ...F{previous} ...F{previous} }}")
        }));
        fragments.join(" ")
    };
    for (document, fields) in [
        (
            format!("{{ ...F22 }} {}", doubling(22, "Query", "__typename")),
            1u64 << 22,
        ),
        (
            format!(
                r#"{{ producer(name: "NIJ") {{ ...F18 }} }} {}"#,
                doubling(18, "Producer", "name")
            ),
            (1u64 << 18) + 1,
        ),
    ] {
        let answer = app.post(&document, json!({})).await;
        let (code, message) = first_error(&answer.json());
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert_eq!(
            message,
            format!(
                "the operation selects {fields} fields once its fragments are expanded \
                 (each costs at least 1), the cost limit is 200000"
            )
        );
    }
    // A fragment spread a few times is fine, and so is one in a chain of many.
    let chain = doubling(3, "Producer", "name abbreviation");
    let data = app
        .data(&format!(
            r#"{{ a: producer(name: "NIJ") {{ ...F3 }} b: producer(name: "BJS") {{ ...F3 }} }} {chain}"#
        ))
        .await;
    assert_eq!(data["a"]["name"], "National Institute of Justice");
}

/// A query over the cost or depth limit is refused with its estimate in `extensions.cost`, as
/// every validated query answers; `costOnly` is how a client asks by how much it is over. The
/// refusal came without it.
async fn a_refusal_for_cost_reports_the_estimate(app: &TestApp) {
    let over = "{ publications(first: 100) { nodes { relatedDatasets(first: 100) { nodes { relatedPublications(first: 100) { nodes { title } } } } } } }";
    for extensions in [json!({}), json!({ "costOnly": true })] {
        let body = json!({ "query": over, "extensions": extensions });
        let answer = app.post_body(body).await.json();
        assert_eq!(first_error(&answer).0, "QUERY_TOO_COMPLEX");
        let cost = &answer["extensions"]["cost"];
        assert!(cost["estimated"].as_u64().unwrap() > 200_000, "{answer}");
        assert_eq!(cost["limit"], 200_000);
    }
    // `_entities` representations multiply the estimate in the report too.
    let representations: Vec<Value> = (0..50)
        .map(|_| json!({ "__typename": "Publication", "ncjNumber": "216547" }))
        .collect();
    let body = json!({
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on Publication { title } } }",
        "variables": { "r": representations },
        "extensions": { "costOnly": true },
    });
    let answer = app.post_body(body).await.json();
    let one = json!([{ "__typename": "Publication", "ncjNumber": "216547" }]);
    let single = json!({
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on Publication { title } } }",
        "variables": { "r": one },
        "extensions": { "costOnly": true },
    });
    let single = app.post_body(single).await.json();
    let estimate = |a: &Value| a["extensions"]["cost"]["estimated"].as_u64().unwrap();
    assert_eq!(
        estimate(&answer),
        50 * estimate(&single),
        "{answer} {single}"
    );
}

/// An abstract or a summary counts 10 towards the cost (every other field 1): a 200-byte query
/// of nested pages of them answered 47 MB in 3 s within the limit.
async fn long_texts_cost_ten(app: &TestApp) {
    let estimate = |query: &'static str| async move {
        let body = json!({ "query": query, "extensions": { "costOnly": true } });
        let answer = app.post_body(body).await.json();
        answer["extensions"]["cost"]["estimated"].as_u64().unwrap()
    };
    let titles = estimate(
        "{ publications(first: 10) { nodes { title } } datasets(first: 10) { nodes { title } } }",
    )
    .await;
    let texts = estimate("{ publications(first: 10) { nodes { abstract } } datasets(first: 10) { nodes { summary } } }").await;
    assert_eq!(texts - titles, 2 * 10 * 9);
    let wide = "{ datasets(first: 100) { nodes { summary relatedPublications(first: 100) { nodes { abstract relatedDatasets(first: 8) { nodes { summary } } } } } } }";
    let answer = app.post_body(json!({ "query": wide })).await.json();
    assert_eq!(first_error(&answer).0, "QUERY_TOO_COMPLEX");
}

async fn configured_limits_say_by_how_much(app: &TestApp) {
    let router = router_with(
        app,
        studygraph::AppOptions {
            limits: Limits {
                max_depth: 3,
                max_complexity: 10,
                max_aliases: 2,
                max_root_fields: 3,
                ..Limits::default()
            },
            body_limit_bytes: 2_000,
            ..Default::default()
        },
    );
    let cases = [
        (
            "{ a: __typename b: __typename c: __typename }",
            "the query has 3 aliases, the limit is 2",
        ),
        (
            "query Four { __typename publications { totalCount } ...F } fragment F on Query { datasets { totalCount } producers { totalCount } }",
            "the operation Four selects 4 root fields, the limit is 3",
        ),
        (
            r#"{ publication(ncjNumber: "216547") { producers { producer { name } } } }"#,
            "the query is nested 4 levels deep, the limit is 3 levels",
        ),
        (
            "{ publications { nodes { id title subtitle doi ncjNumber abstract language url authors subjects } } }",
            "the query's estimated cost is 401 (every field, aliases and fragments included, once per item of the pages it asks for), the limit is 10",
        ),
    ];
    for (text, expected) in cases {
        let (code, message) = first_error(&query(&router, text).await);
        assert_eq!(
            (code.as_str(), message.as_str()),
            ("QUERY_TOO_COMPLEX", expected),
            "{text}"
        );
    }
    let fine = query(&router, "{ publication(ncjNumber: \"216547\") { title } }").await;
    assert!(fine.get("errors").is_none(), "{fine:#}");
    assert_eq!(fine["extensions"]["cost"]["limit"], 10);
    assert_eq!(fine["extensions"]["cost"]["maxDepth"], 3);
    // Far too deep to measure: still the depth limit, by name.
    let deep = format!(
        "{{ {}__typename{} }}",
        "publication(ncjNumber: \"1\") { producers { producer { ".repeat(20),
        " } } }".repeat(20)
    );
    let (code, message) = first_error(&query(&router, &deep).await);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(message.contains("the limit is 3 levels"), "{message}");
    // The body limit.
    let padded = |size: usize| {
        let body = json!({ "query": "{ __typename }" }).to_string();
        format!("{}{}", " ".repeat(size - body.len()), body)
    };
    assert_eq!(post(&router, padded(1_999)).await.status, StatusCode::OK);
    assert_eq!(
        post(&router, padded(2_001)).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // The request timeout (zero: anything that waits for the database times out).
    let impatient = router_with(
        app,
        studygraph::AppOptions {
            limits: Limits {
                request_timeout: Duration::ZERO,
                ..Limits::default()
            },
            ..Default::default()
        },
    );
    // (A zero deadline fires on the timer's next tick, so a very quick answer can come first
    // on a loaded machine: the configured limit is shown by any timed-out attempt;
    // `executions_wait_for_a_turn_within_the_time_limit` checks the timeout exactly.)
    let mut timed_out = None;
    for _ in 0..20 {
        let body = query(&impatient, "{ publications { totalCount } }").await;
        if !body["errors"].is_null() {
            timed_out = Some(first_error(&body));
            break;
        }
    }
    let (code, message) = timed_out.expect("a zero request timeout cancels queries");
    assert_eq!(code, "TIMEOUT");
    assert!(message.contains("timed out after 0 s"), "{message}");
}

/// `nodes(ids:)` and `_entities(representations:)` run their selection once per id, and
/// `neighborhood` and `paths` once per node they may return: the estimate counts that. They
/// counted once, so 2,000 ids under a nested page (a 40 KB request) ran 15 s and answered
/// 63 MB where the same selection under `publications(first: 100)` is refused.
async fn lists_of_ids_cost_their_length(app: &TestApp) {
    let estimate = |query: &'static str, variables: Value| async move {
        let body =
            json!({ "query": query, "variables": variables, "extensions": { "costOnly": true } });
        let answer = post(&app.router, body.to_string()).await.json();
        answer["extensions"]["cost"]["estimated"]
            .as_u64()
            .unwrap_or_else(|| panic!("{answer:#}"))
    };
    let id = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let ids = |n: usize| json!({ "ids": vec![id.clone(); n] });
    let nodes = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Publication { relatedDatasets(first: 10) { nodes { id } } } } }";
    let one = estimate(nodes, ids(1)).await;
    assert_eq!(estimate(nodes, ids(300)).await, 1 + 300 * (one - 1));
    let representations = |n: usize| json!({ "r": vec![json!({ "__typename": "Publication", "ncjNumber": "216547" }); n] });
    let entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Publication { relatedDatasets(first: 10) { nodes { id } } } } }";
    let one = estimate(entities, representations(1)).await;
    assert_eq!(estimate(entities, representations(300)).await, 300 * one);
    let around = |max: usize| {
        format!(
            r#"{{ neighborhood(id: "{id}", maxNodes: {max}) {{ nodes {{ ... on Publication {{ title }} }} }} }}"#
        )
    };
    let only_cost = |query: String| async move {
        let body = json!({ "query": query, "extensions": { "costOnly": true } });
        post(&app.router, body.to_string()).await.json()
    };
    let small = only_cost(around(10)).await;
    let large = only_cost(around(1000)).await;
    let cost = |answer: &Value| {
        answer["extensions"]["cost"]["estimated"]
            .as_u64()
            .unwrap_or_else(|| panic!("{answer:#}"))
    };
    assert_eq!(
        cost(&large) - 1,
        100 * (cost(&small) - 1),
        "{small} {large}"
    );
    // Past the limit: refused before anything runs.
    let nested = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Publication { relatedPublications(first: 100) { nodes { relatedPublications(first: 20) { nodes { id } } } } } } }";
    let body = json!({ "query": nested, "variables": ids(300) });
    let (code, _) = first_error(&post(&app.router, body.to_string()).await.json());
    assert_eq!(code, "QUERY_TOO_COMPLEX");
}

/// `--no-introspection` refuses `__schema` and `__type` (even inside fragments) with a clear
/// message and keeps `__typename`; `--no-playground` answers a browser with 404.
async fn switches_turn_off_introspection_and_playground(app: &TestApp) {
    let router = router_with(
        app,
        studygraph::AppOptions {
            limits: Limits {
                introspection: false,
                ..Limits::default()
            },
            no_playground: true,
            ..Default::default()
        },
    );
    for text in [
        "{ __schema { types { name } } }",
        r#"{ __type(name: "Publication") { name } }"#,
        "query Q { ...F } fragment F on Query { s: __schema { queryType { name } } }",
    ] {
        let (code, message) = first_error(&query(&router, text).await);
        assert_eq!(code, "GRAPHQL_VALIDATION_FAILED", "{text}");
        assert!(
            message.starts_with("introspection is turned off on this server"),
            "{message}"
        );
    }
    let typename = query(&router, "{ __typename publications { totalCount } }").await;
    assert!(typename["data"]["__typename"].is_string(), "{typename:#}");
    // The default server still answers introspection.
    let open = query(&app.router, "{ __schema { queryType { name } } }").await;
    assert!(
        open["data"]["__schema"]["queryType"]["name"].is_string(),
        "{open:#}"
    );

    let browser = |uri: &str| {
        Request::get(uri)
            .header(
                "accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            )
            .body(Body::empty())
            .unwrap()
    };
    let page = send_to(&router, browser("/graphql")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.content_type().starts_with("text/plain"));
    assert!(!page.body.contains("<html"), "{}", page.body);
    let asset = send_to(&router, browser("/playground/assets/graphiql.min.js")).await;
    assert_eq!(asset.status, StatusCode::NOT_FOUND);
    // Queries over GET still work from a browser.
    let by_get = send_to(&router, browser("/graphql?query=%7B__typename%7D")).await;
    assert_eq!(by_get.status, StatusCode::OK, "{}", by_get.body);
    let default_page = send_to(&app.router, browser("/graphql")).await;
    assert_eq!(default_page.status, StatusCode::OK);
}

/// Every limit is a `serve` flag whose default is the built-in value.
#[test]
fn limit_flags_default_to_the_built_in_values() {
    use clap::Parser;
    let parse = |args: &[&str]| {
        let mut all = vec!["studygraph", "serve"];
        all.extend_from_slice(args);
        match studygraph::config::Cli::try_parse_from(all)
            .unwrap()
            .command
        {
            Some(studygraph::config::Command::Serve(args)) => args,
            other => panic!("{other:?}"),
        }
    };
    let defaults = parse(&[]);
    let built_in = Limits::default();
    assert_eq!(defaults.limits.max_depth, built_in.max_depth);
    assert_eq!(defaults.limits.max_complexity, built_in.max_complexity);
    assert_eq!(defaults.limits.max_aliases, built_in.max_aliases);
    assert_eq!(defaults.limits.max_root_fields, built_in.max_root_fields);
    assert_eq!(
        defaults.limits.request_timeout_secs,
        built_in.request_timeout.as_secs()
    );
    assert_eq!(defaults.limits.body_limit_bytes, 1024 * 1024);
    assert_eq!(defaults.cache_max_age_secs, 60);
    assert!(!defaults.no_introspection && !defaults.no_playground && !defaults.persisted_only);
    let set = parse(&[
        "--max-depth=20",
        "--max-complexity=100",
        "--max-aliases=7",
        "--max-root-fields=5",
        "--request-timeout-secs=3",
        "--body-limit-bytes=4096",
        "--cache-max-age-secs=0",
        "--no-introspection",
        "--no-playground",
    ]);
    assert_eq!(
        (
            set.limits.max_depth,
            set.limits.max_complexity,
            set.limits.max_aliases,
            set.limits.max_root_fields,
            set.limits.request_timeout_secs,
            set.limits.body_limit_bytes,
            set.cache_max_age_secs,
        ),
        (20, 100, 7, 5, 3, 4096, 0)
    );
    assert!(set.no_introspection && set.no_playground);
}

/// `--max-concurrent-requests`: an execution waits for a free turn, the wait counts towards
/// the request timeout, and it runs as soon as a turn is free.
async fn executions_wait_for_a_turn_within_the_time_limit(app: &TestApp) {
    let limits = Limits {
        request_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let schema = studygraph::graphql::schema::build(app.db.clone(), &limits);
    let turns = tokio::sync::Semaphore::new(1);
    let run = || {
        studygraph::graphql::execute(
            &schema,
            &turns,
            &app.db,
            &limits,
            None,
            async_graphql::Request::new("{ publications { totalCount } }"),
        )
    };
    let held = turns.acquire().await.unwrap();
    let started = Instant::now();
    let waited = run().await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let codes: Vec<_> = waited
        .errors
        .iter()
        .map(|e| e.extensions.as_ref().and_then(|x| x.get("code")).cloned())
        .collect();
    assert_eq!(
        codes,
        vec![Some(async_graphql::Value::from("TIMEOUT"))],
        "{waited:?}"
    );
    drop(held);
    let ran = run().await;
    assert!(ran.errors.is_empty(), "{:?}", ran.errors);
    assert_eq!(turns.available_permits(), 1, "the turn is given back");
}
