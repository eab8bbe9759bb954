//! Moves in the producer hierarchy made at the same moment: never a cycle.

use futures::future::join;
use serde_json::{Value, json};
use studygraph::auth::Scope;

use super::{call, errors, key, mutate};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    concurrent_moves_never_make_a_cycle,
    a_move_waits_for_another_move,
    reparented_subunits_keep_every_name_unique
);

/// Producer writes take turns (PostgreSQL: each waits for the hierarchy's advisory lock, held
/// here by a transaction standing in for another producer write), so a move checks the
/// hierarchy, and a create its siblings' names, only once the others have ended. Opposite
/// moves locked each other's rows and deadlocked; concurrent creates stored siblings whose
/// abbreviations named each other.
async fn a_move_waits_for_another_move(app: &TestApp) {
    if app.db.backend() != sea_orm::DatabaseBackend::Postgres {
        return; // SQLite runs one writing transaction at a time
    }
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let writer = key(app, "mover", Scope::Write).await;
    let bjs = app.id_of(r#"producer(name: "BJS")"#).await;
    let nij = app.id_of(r#"producer(name: "NIJ")"#).await;
    let writes = [
        (
            "mutation($input: UpdateProducerInput!) { updateProducer(input: $input) { userErrors { code } } }",
            json!({ "input": { "id": bjs, "parentId": nij } }),
            "updateProducer",
        ),
        (
            "mutation($input: CreateProducerInput!) { createProducer(input: $input) { userErrors { code } } }",
            json!({ "input": { "name": "Waiting Unit", "abbreviation": "WU" } }),
            "createProducer",
        ),
    ];
    for (query, input, field) in writes {
        let other_write = app.db.conn.begin().await.unwrap();
        other_write
            .execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({})",
                studygraph::graphql::mutation::producer::HIERARCHY_LOCK
            ))
            .await
            .unwrap();
        let router = app.router.clone();
        let writer = writer.clone();
        let mut writing =
            tokio::spawn(async move { call(&router, Some(&writer), query, input).await });
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(300), &mut writing).await;
        assert!(
            waited.is_err(),
            "{field} ran while another producer write held the hierarchy"
        );
        other_write.commit().await.unwrap();
        let (_, body) = writing.await.unwrap();
        assert_eq!(body["data"][field]["userErrors"], json!([]), "{body}");
    }
}

/// "A under B" and "B under A" sent together: one of them is refused. On PostgreSQL each
/// checked the hierarchy before the other committed, both passed and the producers became each
/// other's parent (ancestors without end, rollups timing out for every client).
async fn concurrent_moves_never_make_a_cycle(app: &TestApp) {
    let writer = key(app, "mover", Scope::Write).await;
    // Open pooled connections first: with one, the second move waited for a new connection
    // while the first ran to its end, and never raced it.
    let warm = (0..4).map(|_| app.data("{ producers(first: 100) { totalCount } }"));
    futures::future::join_all(warm).await;
    for round in 0..12 {
        let create = |name: String| {
            let writer = writer.clone();
            async move {
                mutate(
                    app,
                    &writer,
                    "createProducer",
                    json!({ "name": name }),
                    "producer { id }",
                )
                .await["producer"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let a = create(format!("Cycle A{round}")).await;
        let b = create(format!("Cycle B{round}")).await;
        // Each move on a task of its own, so both run at once on the two worker threads.
        let under = |child: &str, parent: &str| {
            let (router, writer) = (app.router.clone(), writer.clone());
            let query = "mutation($input: UpdateProducerInput!) { updateProducer(input: $input) { userErrors { field message code } } }";
            let input = json!({ "input": { "id": child, "parentId": parent } });
            tokio::spawn(async move { call(&router, Some(&writer), query, input).await })
        };
        let (first, second) = join(under(&a, &b), under(&b, &a)).await;
        let payload = |outcome: Result<(_, serde_json::Value), _>| {
            outcome.unwrap().1["data"]["updateProducer"].clone()
        };
        let mut outcomes = [errors(&payload(first)), errors(&payload(second))];
        outcomes.sort();
        assert_eq!(
            outcomes,
            [vec![], vec!["parentId:INVALID".to_owned()]],
            "round {round}: exactly one move lands"
        );
        let ancestors = app
            .data_with(
                "query($id: ID!) { node(id: $id) { ... on Producer { ancestors { name } } } }",
                json!({ "id": a }),
            )
            .await;
        assert!(
            ancestors["node"]["ancestors"].as_array().unwrap().len() <= 1,
            "{ancestors}"
        );
    }
}

/// Deleting a producer moves its subunits up (`onSubunits: REPARENT`) only when none of a
/// subunit's names (name, abbreviation, aliases) names a new sibling, ignoring case. Only the
/// names were compared: the graph left behind exported a file its own import refused, or
/// merged two producers on import.
async fn reparented_subunits_keep_every_name_unique(app: &TestApp) {
    let writer = key(app, "editor", Scope::Write).await;
    let file = [
        r#"{"type":"producer","name":"Root R"}"#,
        r#"{"type":"producer","name":"Middle M","parent":"Root R"}"#,
        r#"{"type":"producer","name":"Middle N","parent":"Root R"}"#,
        r#"{"type":"producer","name":"Unit A","abbreviation":"UA","aliases":["Foo"],"parent":"Root R > Middle M"}"#,
        r#"{"type":"producer","name":"Unit B","abbreviation":"FB","parent":"Root R > Middle N"}"#,
        r#"{"type":"producer","name":"Foo","parent":"Root R"}"#,
        r#"{"type":"producer","name":"Gadget","aliases":["fb"],"parent":"Root R"}"#,
    ]
    .join("\n");
    studygraph::import::native::import_str(&app.db, "r.jsonl", &file)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    for middle in ["Middle M", "Middle N"] {
        let id = app.id_of(&format!(r#"producer(name: "{middle}")"#)).await;
        let input = json!({ "id": id, "onSubunits": "REPARENT" });
        let refused = mutate(app, &writer, "deleteProducer", input, "deletedId").await;
        assert_eq!(errors(&refused), ["onSubunits:TAKEN"], "{middle}");
        let still = app
            .data(&format!(
                r#"{{ producer(name: "{middle}") {{ children {{ totalCount }} }} }}"#
            ))
            .await;
        assert_eq!(still["producer"]["children"]["totalCount"], 1, "{middle}");
    }

    // A subunit bearing the deleted producer's own name (in any case) takes its place: the
    // deleted one is no sibling of it. This answered INTERNAL from the unique name index.
    let file = [
        r#"{"type":"producer","name":"Twin Root"}"#,
        r#"{"type":"producer","name":"Field Office","parent":"Root R"}"#,
        r#"{"type":"producer","name":"FIELD office","parent":"Root R > Field Office"}"#,
        r#"{"type":"producer","name":"Twin root","parent":"Twin Root"}"#,
    ]
    .join("\n");
    studygraph::import::native::import_str(&app.db, "twins.jsonl", &file)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    for (deleted, parent) in [
        ("Root R > Field Office", json!({ "name": "Root R" })),
        ("Twin Root", Value::Null),
    ] {
        let id = app.id_of(&format!(r#"producer(name: "{deleted}")"#)).await;
        let children =
            format!(r#"{{ producer(name: "{deleted}") {{ children {{ nodes {{ id }} }} }} }}"#);
        let moved_id = app.data(&children).await["producer"]["children"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let input = json!({ "id": id, "onSubunits": "REPARENT" });
        let done = mutate(app, &writer, "deleteProducer", input, "deletedId").await;
        assert_eq!(done["deletedId"], json!(id), "{deleted}: {done}");
        let query = format!(
            r#"{{ node(id: "{moved_id}") {{ ... on Producer {{ parent {{ name }} }} }} }}"#
        );
        assert_eq!(
            app.data(&query).await["node"]["parent"],
            parent,
            "{deleted}"
        );
    }
}
