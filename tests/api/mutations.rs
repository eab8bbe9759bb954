//! Authenticated writes: API keys (none, bad, read-only, revoked, write) and
//! `--require-key-for-reads` here; every mutation's effect on reads and search in [`records`];
//! user errors that write nothing in [`validation`]; the same mutation sent many times at once
//! in [`races`]; crossed moves in the producer hierarchy in [`hierarchy`].

mod hierarchy;
mod races;
mod records;
mod validation;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use studygraph::auth::{self, Scope};
use tower::ServiceExt;

use crate::helpers::{TestApp, send_to};
use crate::on_both_backends;

on_both_backends!(mutations_need_a_write_key, reads_can_require_a_key);

/// POSTs a GraphQL request, with `Authorization: Bearer key` when given.
pub async fn call(
    router: &Router,
    key: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).expect("a JSON body"))
}

/// A new key, created through the library as the `apikey create` command does.
pub async fn key(app: &TestApp, name: &str, scope: Scope) -> String {
    auth::create_key(&app.db, name, scope).await.unwrap().key
}

/// The document that runs one mutation field on `$input` and selects `selection` and its
/// user errors.
pub fn mutation_document(field: &str, selection: &str) -> String {
    let input_type = match field {
        "deletePublication" | "deleteDataset" => "DeleteInput".to_owned(),
        "uncreditProducer" => "CreditProducerInput".to_owned(),
        _ => format!("{}{}Input", field[..1].to_ascii_uppercase(), &field[1..]),
    };
    format!(
        "mutation($input: {input_type}!) {{ {field}(input: $input) {{ {selection} userErrors {{ field message code }} }} }}"
    )
}

/// Runs one mutation field with `key` and returns its payload (no top-level errors allowed).
pub async fn mutate(app: &TestApp, key: &str, field: &str, input: Value, selection: &str) -> Value {
    let query = mutation_document(field, selection);
    let (status, body) = call(&app.router, Some(key), &query, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{field}: {body:#}");
    assert_eq!(status, StatusCode::OK);
    body["data"][field].clone()
}

/// A payload's user errors as "field:CODE" ("field" empty when the whole input is wrong).
pub fn errors(payload: &Value) -> Vec<String> {
    let errors = payload["userErrors"].as_array().expect("userErrors");
    errors
        .iter()
        .map(|e| {
            let path: Vec<&str> = e["field"]
                .as_array()
                .map_or(vec![], |f| f.iter().map(|p| p.as_str().unwrap()).collect());
            format!("{}:{}", path.join("."), e["code"].as_str().unwrap())
        })
        .collect()
}

/// What the mutations below could have changed.
pub async fn counts(app: &TestApp) -> Value {
    app.data(r#"{ publications { totalCount } datasets { totalCount } producers { totalCount }
        p: publication(ncjNumber: "216547") { title relatedDatasets { totalCount } producers { role } } }"#)
        .await
}

const CREATE: &str = "mutation($input: CreatePublicationInput!) { createPublication(input: $input) { publication { id } userErrors { code } } }";
const READ: &str = "{ publications { totalCount } }";

async fn mutations_need_a_write_key(app: &TestApp) {
    let before = counts(app).await;
    let input = json!({ "input": { "title": "Should not exist" } });
    let reader = key(app, "dashboard", Scope::Read).await;
    let revoked = key(app, "old-loader", Scope::Write).await;
    assert!(auth::revoke_key(&app.db, "old-loader").await.unwrap());
    assert!(
        !auth::revoke_key(&app.db, "old-loader").await.unwrap(),
        "revoked once"
    );
    let cases = [
        (None, "UNAUTHENTICATED", "needs an API key"),
        (Some("sg_not-a-key"), "UNAUTHENTICATED", "not valid"),
        (Some(revoked.as_str()), "UNAUTHENTICATED", "revoked"),
        (Some(reader.as_str()), "FORBIDDEN", "write scope"),
    ];
    for (key, code, says) in cases {
        let (status, body) = call(&app.router, key, CREATE, input.clone()).await;
        let error = &body["errors"][0];
        assert_eq!(
            (status, &error["extensions"]["code"]),
            (StatusCode::OK, &json!(code)),
            "{body:#}"
        );
        assert_eq!(
            (&error["path"], &body["data"]),
            (&json!(["createPublication"]), &Value::Null)
        );
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{body:#}"
        );
        assert!(
            !body.to_string().contains("sg_"),
            "no key is echoed: {body}"
        );
    }
    for key in [None, Some(reader.as_str()), Some("sg_not-a-key")] {
        let (_, body) = call(&app.router, key, READ, json!({})).await;
        assert!(body.get("errors").is_none(), "reads stay open: {body:#}");
    }
    assert_eq!(counts(app).await, before, "nothing was written");

    let listed = auth::list_keys(&app.db).await.unwrap();
    let seen: Vec<_> = listed
        .iter()
        .map(|k| (k.name.as_str(), k.scope, k.revoked_at.is_some()))
        .collect();
    assert_eq!(
        seen,
        [
            ("dashboard", Scope::Read, false),
            ("old-loader", Scope::Write, true)
        ]
    );
    assert!(
        listed
            .iter()
            .all(|k| k.prefix.len() == 8 && k.prefix.starts_with("sg_"))
    );
    assert_eq!(listed[0].prefix, reader[..8]);
    let again = auth::create_key(&app.db, "dashboard", Scope::Write).await;
    assert!(matches!(again, Err(auth::KeyError::NameTaken(_))));
    assert!(matches!(
        auth::revoke_key(&app.db, "nobody").await,
        Err(auth::KeyError::NotFound(_))
    ));
}

async fn reads_can_require_a_key(app: &TestApp) {
    let options = studygraph::AppOptions {
        require_key_for_reads: true,
        ..Default::default()
    };
    let router = studygraph::app_with(app.db.clone(), options);
    let reader = key(app, "dashboard", Scope::Read).await;
    let writer = key(app, "loader", Scope::Write).await;
    for bad in [None, Some("sg_not-a-key")] {
        let (status, body) = call(&router, bad, READ, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert_eq!(body.get("data"), None);
    }
    for good in [&reader, &writer] {
        let (status, body) = call(&router, Some(good), READ, json!({})).await;
        assert_eq!(
            (status, body.get("errors")),
            (StatusCode::OK, None),
            "{body:#}"
        );
    }
    let input = json!({ "input": { "title": "Keyed" } });
    let (_, body) = call(&router, Some(&reader), CREATE, input.clone()).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = call(&router, Some(&writer), CREATE, input).await;
    assert_eq!(
        body["data"]["createPublication"]["userErrors"],
        json!([]),
        "{body:#}"
    );
    let (_, body) = call(&app.router, None, READ, json!({})).await;
    assert!(
        body.get("errors").is_none(),
        "the default app keeps reads open"
    );

    // A stored document's id is looked up only for a caller with a key: without one, a known
    // and an unknown id both answer 401 (a known one answered 401 and an unknown one 200
    // PERSISTED_QUERY_NOT_FOUND, which told anyone which documents keyed clients ran).
    let document = "{ publications(first: 1) { totalCount } }";
    let hash = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(document.as_bytes()))
    };
    let register = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {reader}"))
        .body(Body::from(
            json!({ "query": document, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } })
                .to_string(),
        ))
        .unwrap();
    assert_eq!(send_to(&router, register).await.status, StatusCode::OK);
    let unknown = "0".repeat(64);
    for id in [hash.as_str(), unknown.as_str()] {
        for uri in [
            format!("/graphql?documentId=sha256:{id}"),
            format!("/export?documentId=sha256:{id}"),
        ] {
            let request = Request::get(&uri)
                .header("accept", "application/json")
                .body(Body::empty())
                .unwrap();
            let answer = send_to(&router, request).await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{uri}: {}",
                answer.body
            );
        }
        let by_hash = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": id } } })
                    .to_string(),
            ))
            .unwrap();
        assert_eq!(
            send_to(&router, by_hash).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}
