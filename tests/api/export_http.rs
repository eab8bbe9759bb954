//! `/export`: a root connection query answered as CSV or NDJSON, every page streamed, with
//! refusals before streaming as JSON errors with `extensions.code`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, send_to};
use crate::on_both_backends;

on_both_backends!(
    csv_flattens_nested_fields,
    every_page_is_streamed,
    gzip_answers_are_whole,
    ndjson_keeps_lists_and_types,
    edges_and_variables,
    refusals_before_streaming,
    row_cap_and_limit,
    same_gates_as_graphql,
    trusted_documents_only
);

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn get(app: &TestApp, params: &str) -> Answer {
    app.send(
        Request::get(format!("/export?{params}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn get_csv(app: &TestApp, query: &str) -> Answer {
    get(app, &format!("format=csv&query={}", encode(query))).await
}

fn post_request(format: &str, body: Value) -> Request<Body> {
    Request::post(format!("/export?format={format}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// RFC 4180 records (quoted fields, doubled quotes, CRLF line ends).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "records end with CRLF"
    );
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

/// The CSV as header + records by column name.
fn table(answer: &Answer) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type(), "text/csv; charset=utf-8");
    let mut records = parse_csv(&answer.body);
    let header = records.remove(0);
    let rows = records
        .into_iter()
        .map(|record| {
            assert_eq!(record.len(), header.len(), "every record has every column");
            header.iter().cloned().zip(record).collect()
        })
        .collect();
    (header, rows)
}

async fn total(app: &TestApp, list: &str) -> usize {
    app.data(&format!("{{ {list} {{ totalCount }} }}")).await[list]["totalCount"]
        .as_u64()
        .unwrap() as usize
}

async fn csv_flattens_nested_fields(app: &TestApp) {
    let answer = get_csv(
        app,
        "{ publications { nodes { ncjNumber title publishedOn { iso text } \
           producers { role producer { name abbreviation } } authors synthetic } } }",
    )
    .await;
    let (header, rows) = table(&answer);
    assert_eq!(
        header,
        [
            "ncjNumber",
            "title",
            "publishedOn.iso",
            "publishedOn.text",
            "producers.role",
            "producers.producer.name",
            "producers.producer.abbreviation",
            "authors",
            "synthetic"
        ]
    );
    assert_eq!(rows.len(), total(app, "publications").await);
    let row = rows.iter().find(|r| r["ncjNumber"] == "216547").unwrap();
    assert_eq!(
        row["title"],
        "Law Enforcement Response to Human Trafficking and Implications for Victims: Current Practices and Lessons Learned"
    );
    assert_eq!(row["publishedOn.iso"], "2006-10");
    assert_eq!(row["publishedOn.text"], "Oct 2006");
    assert_eq!(row["producers.role"], "PRODUCER");
    assert_eq!(
        row["producers.producer.name"],
        "National Institute of Justice"
    );
    assert_eq!(row["producers.producer.abbreviation"], "NIJ");
    assert_eq!(
        row["authors"],
        "Heather J. Clawson; Nicole Dutch; Megan Cummings"
    );
    assert_eq!(row["synthetic"], "false");
    // Several credits: one cell per column, the values in the same order in each.
    let row = rows.iter().find(|r| r["ncjNumber"] == "224393").unwrap();
    let roles: Vec<&str> = row["producers.role"].split("; ").collect();
    let names: Vec<&str> = row["producers.producer.name"].split("; ").collect();
    assert_eq!(roles.len(), 2);
    assert_eq!(names.len(), 2);
    let nij = names
        .iter()
        .position(|n| *n == "National Institute of Justice")
        .unwrap();
    assert_eq!(roles[nij], "FUNDER");
    assert!(
        answer
            .headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("publications.csv")
    );
    assert_eq!(
        answer.headers.get("x-studygraph-total-count").unwrap(),
        &rows.len().to_string()
    );
    assert!(answer.headers.get("x-studygraph-truncated").is_none());
}

async fn every_page_is_streamed(app: &TestApp) {
    // Two rows a page: every page is fetched, in the list's order, each row once.
    let answer = get_csv(app, "{ publications(first: 2) { nodes { id } } }").await;
    let (_, rows) = table(&answer);
    let exported: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    let total = total(app, "publications").await;
    assert!(total > 20, "the demo data has more than ten pages of two");
    assert_eq!(exported.len(), total);
    let listed = app
        .data("{ publications(first: 100) { nodes { id } } }")
        .await["publications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(exported, listed);
    // Starting from a cursor of the client's exports the rest of the list.
    let data = app
        .data("{ publications(first: 5) { pageInfo { endCursor } } }")
        .await;
    let cursor = data["publications"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let query = format!("{{ publications(first: 7, after: \"{cursor}\") {{ nodes {{ id }} }} }}");
    let (_, rows) = table(&get_csv(app, &query).await);
    let rest: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    assert_eq!(rest, listed[5..]);
}

/// A client that accepts gzip (browsers, `requests`, `curl --compressed`) gets the whole export:
/// the stream panicked when the compression layer polled it past its end, which cut a
/// many-page answer short and left a one-page answer empty.
async fn gzip_answers_are_whole(app: &TestApp) {
    use std::io::Read;
    use tower::ServiceExt;
    for query in [
        "{ publications(first: 2) { nodes { id title } } }",
        "{ publications(first: 100) { nodes { id title } } }",
    ] {
        let plain = get_csv(app, query).await;
        assert_eq!(plain.status, StatusCode::OK);
        let request = Request::get(format!("/export?format=csv&query={}", encode(query)))
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap();
        let response = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("the whole body")
            .to_bytes();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("a whole gzip stream");
        assert_eq!(text, plain.body, "{query}");
    }
}

async fn ndjson_keeps_lists_and_types(app: &TestApp) {
    let body = json!({
        "query": "query($types: [RelationType!]) { publications(filter: {hasRelatedDatasets: true}) { nodes { \
            ncjNumber publishedOn { year iso } subjects \
            relatedDatasets(relationType: $types) { totalCount nodes { studyNumber } } } } }",
        "variables": { "types": null }
    });
    let answer = app.send(post_request("ndjson", body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type(), "application/x-ndjson");
    assert!(answer.body.ends_with('\n'));
    let lines: Vec<Value> = answer
        .body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let expected = app
        .data("{ publications(filter: {hasRelatedDatasets: true}) { totalCount } }")
        .await["publications"]["totalCount"]
        .as_u64()
        .unwrap();
    assert_eq!(lines.len() as u64, expected);
    let first_line = answer.body.lines().next().unwrap();
    assert!(
        first_line.starts_with("{\"ncjNumber\":"),
        "keys in column order: {first_line}"
    );
    let line = lines
        .iter()
        .find(|l| l["ncjNumber"] == "216547")
        .expect("216547 links a dataset");
    assert_eq!(
        line,
        &json!({
            "ncjNumber": "216547",
            "publishedOn.year": 2006,
            "publishedOn.iso": "2006-10",
            "subjects": ["human trafficking", "law enforcement", "victim services"],
            "relatedDatasets.totalCount": 1,
            "relatedDatasets.nodes.studyNumber": ["20423"]
        })
    );
}

async fn edges_and_variables(app: &TestApp) {
    // Edges rows, an alias, a fragment, a variable and a GET with variables.
    let query = "query($first: Int) { list: datasets(first: $first) { edges { cursor node { ...D } } } } \
                 fragment D on Dataset { studyNumber timePeriod { start end } }";
    let params = format!(
        "format=csv&query={}&variables={}",
        encode(query),
        encode(r#"{"first": 3}"#)
    );
    let answer = get(app, &params).await;
    let (header, rows) = table(&answer);
    assert_eq!(
        header,
        [
            "cursor",
            "node.studyNumber",
            "node.timePeriod.start",
            "node.timePeriod.end"
        ]
    );
    assert_eq!(rows.len(), total(app, "datasets").await);
    let row = rows
        .iter()
        .find(|r| r["node.studyNumber"] == "20423")
        .unwrap();
    assert_eq!(
        (
            row["node.timePeriod.start"].as_str(),
            row["node.timePeriod.end"].as_str()
        ),
        ("2005", "2005")
    );
    assert!(rows.iter().all(|r| !r["cursor"].is_empty()));
}

/// Refused before streaming: 4xx, a JSON body, `extensions.code`.
fn refusal(answer: &Answer, status: StatusCode) -> (String, String) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(answer.content_type().starts_with("application/json"));
    let body = answer.json();
    let error = &body["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        error["message"].as_str().unwrap_or("").to_owned(),
    )
}

async fn refusals_before_streaming(app: &TestApp) {
    let bad = StatusCode::BAD_REQUEST;
    for (query, code, says) in [
        (
            "{ publications { nodes { title }",
            "GRAPHQL_PARSE_FAILED",
            "",
        ),
        (
            "{ publications { nodes { noSuchField } } }",
            "GRAPHQL_VALIDATION_FAILED",
            "noSuchField",
        ),
        (
            "{ publication(ncjNumber: \"216547\") { title } }",
            "BAD_REQUEST",
            "root connection",
        ),
        ("{ publications { totalCount } }", "BAD_REQUEST", "nodes"),
        (
            "{ publications(first: 500) { nodes { title } } }",
            "BAD_USER_INPUT",
            "",
        ),
        (
            "{ publications(after: \"not-a-cursor\") { nodes { title } } }",
            "BAD_USER_INPUT",
            "cursor",
        ),
        (
            "{ publications(first: 0) { nodes { title } } }",
            "BAD_REQUEST",
            "at least 1",
        ),
        (
            "mutation { deletePublication(input: {id: \"x\"}) { deletedId } }",
            "BAD_REQUEST",
            "queries only",
        ),
    ] {
        let (got, message) = refusal(&get_csv(app, query).await, bad);
        assert_eq!(got, code, "{query}: {message}");
        assert!(message.contains(says), "{query}: {message}");
    }
    let (code, message) = refusal(&get(app, "format=xlsx&query=%7B%7D").await, bad);
    assert_eq!(code, "BAD_REQUEST");
    assert!(message.contains("csv or ndjson"), "{message}");
    let (code, _) = refusal(&get(app, "format=csv").await, bad);
    assert_eq!(code, "BAD_REQUEST");
    let cost_only = json!({
        "query": "{ publications { nodes { id } } }",
        "extensions": { "costOnly": true }
    });
    let (code, _) = refusal(&app.send(post_request("csv", cost_only)).await, bad);
    assert_eq!(code, "BAD_REQUEST");
    let not_json = Request::post("/export?format=csv")
        .header("content-type", "text/plain")
        .body(Body::from("{ publications { nodes { id } } }"))
        .unwrap();
    let (code, _) = refusal(
        &app.send(not_json).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    assert_eq!(code, "BAD_REQUEST");
    let (code, _) = refusal(
        &app.send(post_request("csv", json!([{ "query": "{ __typename }" }])))
            .await,
        bad,
    );
    assert_eq!(code, "BAD_REQUEST");
}

async fn row_cap_and_limit(app: &TestApp) {
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            export_max_rows: 10,
            ..Default::default()
        },
    );
    let query = encode("{ publications(first: 3) { nodes { id } } }");
    let send = |params: String| {
        let router = router.clone();
        async move {
            send_to(
                &router,
                Request::get(format!("/export?{params}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let (code, message) = refusal(
        &send(format!("format=csv&query={query}")).await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(code, "EXPORT_TOO_LARGE");
    assert!(message.contains("limit=N"), "{message}");
    let answer = send(format!("format=csv&limit=7&query={query}")).await;
    let (_, rows) = table(&answer);
    assert_eq!(rows.len(), 7, "stops cleanly in the middle of a page");
    assert_eq!(
        answer.headers.get("x-studygraph-truncated").unwrap(),
        "true"
    );
    let answer = send(format!("format=ndjson&limit=4&query={query}")).await;
    assert_eq!(answer.body.lines().count(), 4);
    let (code, _) = refusal(
        &send(format!("format=csv&limit=11&query={query}")).await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(code, "EXPORT_TOO_LARGE");
    let (code, _) = refusal(
        &send(format!("format=csv&limit=0&query={query}")).await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(code, "BAD_REQUEST");
    // A list exactly as long as the cap needs no limit.
    let total = total(app, "publications").await;
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            export_max_rows: total,
            ..Default::default()
        },
    );
    let answer = send_to(
        &router,
        Request::get(format!("/export?format=csv&query={query}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(table(&answer).1.len(), total);
}

async fn same_gates_as_graphql(app: &TestApp) {
    // Reads that need a key need one here too.
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            require_key_for_reads: true,
            ..Default::default()
        },
    );
    let query = encode("{ publications { nodes { id } } }");
    let answer = send_to(
        &router,
        Request::get(format!("/export?format=csv&query={query}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let (code, _) = refusal(&answer, StatusCode::UNAUTHORIZED);
    assert_eq!(code, "UNAUTHENTICATED");
    // One rate-limit bucket per client for /graphql and /export together.
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            rate_limit_per_minute: 2,
            ..Default::default()
        },
    );
    let graphql = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", "Bearer same-client")
        .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
        .unwrap();
    assert_eq!(send_to(&router, graphql).await.status, StatusCode::OK);
    let export = || {
        Request::get(format!("/export?format=csv&query={query}"))
            .header("authorization", "Bearer same-client")
            .body(Body::empty())
            .unwrap()
    };
    // (An invalid key is still counted: the limit applies before the key is checked.)
    let answer = send_to(&router, export()).await;
    assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let (code, _) = refusal(
        &send_to(&router, export()).await,
        StatusCode::TOO_MANY_REQUESTS,
    );
    assert_eq!(code, "RATE_LIMITED");
    // Query limits apply to export documents.
    let deep = encode(&format!(
        "{{ publications {{ nodes {{ producers {{ producer {{ {} name {} }} }} }} }} }}",
        "parent { ".repeat(13),
        "} ".repeat(13)
    ));
    let (code, message) = refusal(
        &get(app, &format!("format=csv&query={deep}")).await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
}

async fn trusted_documents_only(app: &TestApp) {
    // With --persisted-only, an export runs a manifest's document (by text or by id) and
    // nothing else, though it pages with a rewritten copy.
    let document = "{ datasets(first: 4) { nodes { studyNumber } } }";
    let hash = studygraph::http::trusted_documents::hash_of(document);
    let mut manifest = serde_json::Map::new();
    manifest.insert(hash.clone(), document.into());
    let manifest = Value::Object(manifest).to_string();
    let documents =
        studygraph::http::trusted_documents::TrustedDocuments::parse(&manifest, "m.json").unwrap();
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            trusted_documents: std::sync::Arc::new(documents),
            persisted_only: true,
            ..Default::default()
        },
    );
    let get = |params: String| {
        let router = router.clone();
        async move {
            send_to(
                &router,
                Request::get(format!("/export?{params}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let datasets = total(app, "datasets").await;
    let (_, rows) = table(&get(format!("format=csv&query={}", encode(document))).await);
    assert_eq!(rows.len(), datasets);
    let (_, rows) = table(&get(format!("format=csv&documentId=sha256:{hash}")).await);
    assert_eq!(rows.len(), datasets);
    let other = encode("{ datasets { nodes { title } } }");
    let (code, _) = refusal(
        &get(format!("format=csv&query={other}")).await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(code, "PERSISTED_QUERY_NOT_ALLOWED");
}
