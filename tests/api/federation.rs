//! Apollo Federation v2: `_service { sdl }` with the `@key`s, and `_entities` resolving
//! publications, datasets and producers by global id or natural key, batched.

use serde_json::{Value, json};

use axum::body::Body;
use axum::http::Request;

use crate::helpers::{TestApp, send_to};
use crate::on_both_backends;

on_both_backends!(
    service_sdl_declares_the_keys,
    entities_by_id_and_natural_keys,
    entities_are_batched,
    no_introspection_hides_the_service_sdl
);

const ENTITIES: &str = "query($r: [_Any!]!) { _entities(representations: $r) { __typename \
    ... on Publication { ncjNumber title } ... on Dataset { studyNumber doi } \
    ... on Producer { name } } }";

async fn entities(app: &TestApp, representations: Value) -> Vec<Value> {
    app.data_with(ENTITIES, json!({ "r": representations }))
        .await["_entities"]
        .as_array()
        .unwrap()
        .clone()
}

/// The line that opens `type NAME` in `sdl`.
fn type_line<'s>(sdl: &'s str, name: &str) -> &'s str {
    sdl.lines()
        .find(|line| {
            line.strip_prefix("type ")
                .and_then(|rest| rest.split([' ', '{']).next())
                == Some(name)
        })
        .unwrap_or_else(|| panic!("no type {name} in\n{sdl}"))
}

async fn service_sdl_declares_the_keys(app: &TestApp) {
    let sdl = app.data("{ _service { sdl } }").await["_service"]["sdl"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, keys) in [
        ("Publication", vec!["id", "ncjNumber"]),
        ("Dataset", vec!["id", "studyNumber"]),
        ("Producer", vec!["id"]),
    ] {
        let line = type_line(&sdl, name);
        for key in keys {
            assert!(
                line.contains(&format!("@key(fields: \"{key}\")")),
                "{name} lacks @key {key}: {line}"
            );
        }
    }
    let words: Vec<&str> = sdl.split_whitespace().collect();
    assert!(
        words
            .join(" ")
            .contains("extend schema @link( url: \"https://specs.apollo.dev/federation/v2"),
        "{sdl}"
    );
    assert!(
        !sdl.contains("_entities"),
        "the plumbing stays out of the subgraph SDL"
    );
    // A router finds a subgraph's root fields under the default root names (the subgraph SDL
    // has no `schema { … }` block to name others): under `QueryRoot` they were lost.
    assert!(type_line(&sdl, "Query").contains("type Query"), "{sdl}");
    assert!(
        type_line(&sdl, "Mutation").contains("type Mutation"),
        "{sdl}"
    );
    assert!(
        !sdl.contains("QueryRoot") && !sdl.contains("MutationRoot"),
        "{sdl}"
    );
    assert_eq!(sdl, studygraph::graphql::schema::subgraph_sdl());
}

async fn entities_by_id_and_natural_keys(app: &TestApp) {
    let publication = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let dataset = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let producer = app.id_of(r#"producer(name: "NIJ")"#).await;
    let found = entities(
        app,
        json!([
            { "__typename": "Publication", "id": publication },
            { "__typename": "Publication", "ncjNumber": "216547" },
            { "__typename": "Publication", "ncjNumber": "NCJ 216547" },
            { "__typename": "Dataset", "studyNumber": "20423" },
            { "__typename": "Dataset", "id": dataset },
            { "__typename": "Producer", "id": producer },
            // Unknown keys, an id of another type, a malformed id: null.
            { "__typename": "Publication", "ncjNumber": "999999999" },
            { "__typename": "Dataset", "studyNumber": "99999" },
            { "__typename": "Dataset", "id": publication },
            { "__typename": "Producer", "id": "not-an-id" },
        ]),
    )
    .await;
    let title = "Law Enforcement Response to Human Trafficking and Implications for Victims: Current Practices and Lessons Learned";
    let publication = json!({ "__typename": "Publication", "ncjNumber": "216547", "title": title });
    let dataset =
        json!({ "__typename": "Dataset", "studyNumber": "20423", "doi": "10.3886/ICPSR20423.v1" });
    assert_eq!(
        found,
        vec![
            publication.clone(),
            publication.clone(),
            publication,
            dataset.clone(),
            dataset,
            json!({ "__typename": "Producer", "name": "National Institute of Justice" }),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ]
    );
}

async fn entities_are_batched(app: &TestApp) {
    let data = app
        .data("{ publications(first: 12) { nodes { id ncjNumber } } }")
        .await;
    let nodes = data["publications"]["nodes"].as_array().unwrap();
    let by_key: Vec<Value> = nodes
        .iter()
        .filter(|n| !n["ncjNumber"].is_null())
        .map(|n| json!({ "__typename": "Publication", "ncjNumber": n["ncjNumber"] }))
        .collect();
    let by_id: Vec<Value> = nodes
        .iter()
        .map(|n| json!({ "__typename": "Publication", "id": n["id"] }))
        .collect();
    assert!(by_key.len() > 3);
    let representations: Vec<Value> = by_key.iter().chain(&by_id).cloned().collect();
    let query = format!(
        "{{ _entities(representations: {}) {{ ... on Publication {{ title }} }} }}",
        graphql_literal(&Value::Array(representations.clone()))
    );
    // One statement for the natural keys, one for the ids, however many there are.
    assert_eq!(app.statements_for(&query).await, 2);
    let found = entities(app, Value::Array(representations.clone())).await;
    assert_eq!(found.len(), representations.len());
    assert!(found.iter().all(|f| f["__typename"] == "Publication"));
}

/// A JSON value written as a GraphQL input literal.
fn graphql_literal(value: &Value) -> String {
    match value {
        Value::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k}: {}", graphql_literal(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(graphql_literal).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

async fn no_introspection_hides_the_service_sdl(app: &TestApp) {
    let router = studygraph::app_with(
        app.db.clone(),
        studygraph::AppOptions {
            limits: studygraph::graphql::limits::Limits {
                introspection: false,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let post = |query: &str, variables: Value| {
        Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "query": query, "variables": variables }).to_string(),
            ))
            .unwrap()
    };
    let body = send_to(&router, post("{ _service { sdl } }", json!({})))
        .await
        .json();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("_service")
    );
    let representations = json!([{ "__typename": "Dataset", "studyNumber": "20423" }]);
    let body = send_to(&router, post(ENTITIES, json!({ "r": representations })))
        .await
        .json();
    assert_eq!(
        body["data"]["_entities"][0]["studyNumber"], "20423",
        "{body}"
    );
}
