//! The same mutation sent many times at once: one creates the record and the others answer
//! `TAKEN` (or, for links and credits, succeed as a repeat does), never `INTERNAL`, although
//! on PostgreSQL they run side by side and only the database's unique indexes decide.

use futures::future::join_all;
use serde_json::{Value, json};
use studygraph::auth::Scope;

use super::{call, errors, key, mutate, mutation_document};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    identical_mutations_at_once_never_fail_internally,
    a_link_to_a_record_deleted_meanwhile_is_not_found,
    a_mutation_behind_a_concurrent_write_sees_it
);

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

/// A link (or credit) to a publication a concurrent transaction is deleting: on PostgreSQL the
/// link found the publication, then its foreign key failed once the delete committed, which
/// answered `INTERNAL`. It now waits for the delete (it locks the records it edits) and answers
/// `NOT_FOUND`, as SQLite (where writers queue) always did.
async fn a_link_to_a_record_deleted_meanwhile_is_not_found(app: &TestApp) {
    let writer = key(app, "linker", Scope::Write).await;
    let dataset = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    for field in ["linkDataset", "creditProducer"] {
        let title = format!("Deleted meanwhile {field}");
        let created = mutate(
            app,
            &writer,
            "createPublication",
            json!({ "title": title }),
            "publication { id }",
        )
        .await;
        let publication = created["publication"]["id"].clone();
        let raw_id = row_id(
            app,
            &format!("SELECT id FROM publication WHERE title = '{title}'"),
        )
        .await;
        let input = match field {
            "linkDataset" => json!({ "publicationId": publication, "datasetId": dataset }),
            _ => {
                let producer = app
                    .id_of(r#"producer(name: "National Institute of Justice")"#)
                    .await;
                json!({ "publicationId": publication, "producerId": producer, "role": "FUNDER" })
            }
        };
        let deleting = [format!("DELETE FROM publication WHERE id = {raw_id}")];
        let (_, refused) = behind_a_write(app, &writer, &deleting, field, input, "").await;
        assert_eq!(refused.len(), 1, "{field}: {refused:?}");
        assert!(refused[0].ends_with(":NOT_FOUND"), "{field}: {refused:?}");
    }
}

/// Runs `statements` in a write transaction, sends `field(input:)` while it is open and
/// commits it 300 ms later; returns the mutation's answer (no top-level error allowed) and its
/// user errors.
async fn behind_a_write(
    app: &TestApp,
    key: &str,
    statements: &[String],
    field: &'static str,
    input: Value,
    selection: &'static str,
) -> (Value, Vec<String>) {
    use sea_orm::ConnectionTrait;
    let writing = studygraph::db::begin_write(&app.db.conn).await.unwrap();
    for statement in statements {
        writing.execute_unprepared(statement).await.unwrap();
    }
    let router = app.router.clone();
    let key = key.to_owned();
    let mutation = tokio::spawn(async move {
        let query = mutation_document(field, selection);
        call(&router, Some(&key), &query, json!({ "input": input })).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    writing.commit().await.unwrap();
    let (_, body) = mutation.await.unwrap();
    assert!(body.get("errors").is_none(), "{field}: {body:#}");
    let refused = errors(&body["data"][field]);
    (body["data"][field].clone(), refused)
}

/// A record's row id, by a raw query.
async fn row_id(app: &TestApp, sql: &str) -> i64 {
    app.sql_rows(sql).await[0].try_get("", "id").unwrap()
}

/// A mutation sent while another transaction writes the same record runs after it and sees
/// its write, as if sent one after the other. On PostgreSQL mutations read the record
/// without waiting and wrote it back whole: an update of another field undid the concurrent
/// one (lost update), a second delete answered success, an update of a record deleted
/// meanwhile answered `INTERNAL`, and a producer name in other letter case was stored beside
/// the concurrent one. They now lock the records they edit, and names are unique by their
/// lowered form in the database too.
async fn a_mutation_behind_a_concurrent_write_sees_it(app: &TestApp) {
    let writer = key(app, "racer", Scope::Write).await;
    let created = mutate(
        app,
        &writer,
        "createPublication",
        json!({ "title": "Written twice at once" }),
        "publication { id }",
    )
    .await;
    let publication = created["publication"]["id"].clone();
    let id = row_id(
        app,
        "SELECT id FROM publication WHERE title = 'Written twice at once'",
    )
    .await;

    // Two updates of different fields: both land.
    let (updated, refused) = behind_a_write(
        app,
        &writer,
        &[format!(
            "UPDATE publication SET subtitle = 'First' WHERE id = {id}"
        )],
        "updatePublication",
        json!({ "id": publication, "language": "Esperanto" }),
        "publication { subtitle language }",
    )
    .await;
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(
        updated["publication"],
        json!({ "subtitle": "First", "language": "Esperanto" })
    );
    let stored = app
        .data(&format!(
            r#"{{ node(id: {publication}) {{ ... on Publication {{ subtitle language }} }} }}"#
        ))
        .await;
    assert_eq!(
        stored["node"],
        json!({ "subtitle": "First", "language": "Esperanto" })
    );

    // An update, then a delete, of a record deleted meanwhile: not found.
    let gone = [format!("DELETE FROM publication WHERE id = {id}")];
    for (field, input) in [
        (
            "updatePublication",
            json!({ "id": publication, "subtitle": "Late" }),
        ),
        ("deletePublication", json!({ "id": publication })),
    ] {
        let (_, refused) = behind_a_write(app, &writer, &gone, field, input, "").await;
        assert_eq!(refused, ["id:NOT_FOUND"], "{field}");
        let (_, refused) =
            behind_a_write(app, &writer, &[], field, json!({ "id": publication }), "").await;
        assert_eq!(refused, ["id:NOT_FOUND"], "{field}, afterwards");
    }

    // A producer named as a concurrent one in other letter case: taken.
    let (_, refused) = behind_a_write(
        app,
        &writer,
        &["INSERT INTO producer (parent_key, name, name_key) VALUES (0, 'Case Race', 'case race')"
            .to_owned()],
        "createProducer",
        json!({ "name": "CASE RACE" }),
        "",
    )
    .await;
    assert_eq!(refused, ["name:TAKEN"]);
}

/// SQLite: a mutation that waits past the busy timeout behind another writer (an import from
/// another process holds the database's one write lock for its whole run) answers
/// `DATABASE_UNAVAILABLE`, which says to try again, not `INTERNAL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mutation_behind_a_long_write_is_unavailable_on_sqlite() {
    use crate::helpers::{Backend, spawn_app};
    let Some(app) = spawn_app(Backend::Sqlite, true).await else {
        return;
    };
    let writer = key(&app, "behind", Scope::Write).await;
    let long_write = studygraph::db::begin_write(&app.db.conn).await.unwrap();
    let query = mutation_document("createPublication", "publication { id }");
    let (_, body) = call(
        &app.router,
        Some(&writer),
        &query,
        json!({ "input": { "title": "Behind a long write" } }),
    )
    .await;
    long_write.rollback().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "DATABASE_UNAVAILABLE",
        "{body:#}"
    );
    app.finish().await;
}
