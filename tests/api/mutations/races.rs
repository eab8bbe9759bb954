//! The same mutation sent many times at once: one creates the record and the others answer
//! `TAKEN` (or, for links and credits, succeed as a repeat does), never `INTERNAL`, although
//! on PostgreSQL they run side by side and only the database's unique indexes decide.

use futures::future::join_all;
use serde_json::{Value, json};
use studygraph::auth::Scope;

use super::{call, errors, key, mutate, mutation_document};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(identical_mutations_at_once_never_fail_internally);

/// How many copies of a mutation are sent at once.
const COPIES: usize = 8;

/// Sends `field(input:)` [`COPIES`] times at once; returns each answer's user errors as
/// [`errors`] writes them (no top-level error allowed).
async fn at_once(app: &TestApp, key: &str, field: &str, input: Value) -> Vec<Vec<String>> {
    let query = mutation_document(field, "");
    let variables = json!({ "input": input });
    let answers =
        join_all((0..COPIES).map(|_| call(&app.router, Some(key), &query, variables.clone())))
            .await;
    answers
        .into_iter()
        .map(|(_, body)| {
            assert!(body.get("errors").is_none(), "{field}: {body:#}");
            errors(&body["data"][field])
        })
        .collect()
}

async fn identical_mutations_at_once_never_fail_internally(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let creates = [
        (
            "createPublication",
            json!({ "title": "Race", "ncjNumber": "NCJ 888221" }),
            "ncjNumber:TAKEN",
        ),
        (
            "createPublication",
            json!({ "title": "Race by DOI", "doi": "10.9999/race.0" }),
            "doi:TAKEN",
        ),
        (
            "createDataset",
            json!({ "title": "RaceD", "doi": "10.9999/race.1" }),
            "doi:TAKEN",
        ),
        (
            "createDataset",
            json!({ "title": "RaceS", "studyNumber": "888222" }),
            "studyNumber:TAKEN",
        ),
        (
            "createProducer",
            json!({ "name": "Race Producer" }),
            "name:TAKEN",
        ),
    ];
    for (field, input, taken) in creates {
        let answers = at_once(app, &writer, field, input.clone()).await;
        let created = answers.iter().filter(|e| e.is_empty()).count();
        assert_eq!(created, 1, "{field} {input}: {answers:?}");
        for refused in answers.iter().filter(|e| !e.is_empty()) {
            assert_eq!(refused, &[taken], "{field} {input}");
        }
    }

    // Linking and crediting twice change nothing the second time: every copy succeeds.
    let created = mutate(
        app,
        &writer,
        "createPublication",
        json!({ "title": "Race links" }),
        "publication { id }",
    )
    .await;
    let publication = created["publication"]["id"].clone();
    let dataset = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let producer = app.id_of(r#"producer(name: "Race Producer")"#).await;
    let repeats = [
        (
            "linkDataset",
            json!({ "publicationId": publication, "datasetId": dataset }),
        ),
        (
            "creditProducer",
            json!({ "publicationId": publication, "producerId": producer, "role": "PUBLISHER" }),
        ),
    ];
    for (field, input) in repeats {
        let answers = at_once(app, &writer, field, input).await;
        assert!(answers.iter().all(Vec::is_empty), "{field}: {answers:?}");
    }
    let read = format!(
        r#"{{ node(id: {publication}) {{ ... on Publication {{ relatedDatasets {{ totalCount }} producers {{ role }} }} }} }}"#
    );
    assert_eq!(
        app.data(&read).await["node"],
        json!({ "relatedDatasets": { "totalCount": 1 }, "producers": [{ "role": "PUBLISHER" }] })
    );
}
