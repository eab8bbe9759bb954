//! User errors: missing titles, bad dates, taken keys, unknown or wrong ids, producers still in
//! use — each reported on its field with a code, and nothing of the mutation written.

use serde_json::{Value, json};
use studygraph::auth::Scope;

use super::{call, counts, errors, key, mutate};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    user_errors_write_nothing,
    each_taken_key_is_its_own_user_error,
    malformed_keys_and_year_zero_are_invalid,
    a_payload_page_too_large_writes_nothing
);

async fn user_errors_write_nothing(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let before = counts(app).await;
    let publication = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let dataset = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let doj = app.id_of(r#"producer(name: "DOJ")"#).await;
    let nij = app.id_of(r#"producer(name: "NIJ")"#).await;
    let ojp = app.id_of(r#"producer(name: "OJP")"#).await;
    // Publication:999999 and Dataset:999999, which do not exist.
    let (no_publication, no_dataset) = ("UHVibGljYXRpb246OTk5OTk5", "RGF0YXNldDo5OTk5OTk");
    let cases = [
        (
            "createPublication",
            json!({ "ncjNumber": "999002" }),
            vec!["title:BLANK"],
        ),
        (
            "createPublication",
            json!({ "title": "  ", "publishedOn": "Oct 2006" }),
            vec!["title:BLANK", "publishedOn:INVALID"],
        ),
        (
            "createPublication",
            json!({ "title": "Copy", "ncjNumber": "NCJ 216547" }),
            vec!["ncjNumber:TAKEN"],
        ),
        (
            "createDataset",
            json!({ "title": "Copy", "doi": "https://doi.org/10.3886/icpsr20423.V1" }),
            vec!["doi:TAKEN"],
        ),
        (
            "createDataset",
            json!({ "title": "Backwards", "timePeriod": { "start": 2010, "end": 2001 } }),
            vec!["timePeriod:INVALID"],
        ),
        (
            // Stored trimmed, this would be the facets' "unknown".
            "createDataset",
            json!({ "title": "Unknown kinds", "dataTypes": ["survey data", " unknown "] }),
            vec!["dataTypes:INVALID"],
        ),
        (
            "createProducer",
            json!({ "name": "national institute of justice", "parentId": ojp }),
            vec!["name:TAKEN"],
        ),
        (
            "updatePublication",
            json!({ "id": publication, "title": "Renamed", "publishedOn": "2006-13" }),
            vec!["publishedOn:INVALID"],
        ),
        (
            "updatePublication",
            json!({ "id": dataset, "title": "Renamed" }),
            vec!["id:INVALID"],
        ),
        (
            "updatePublication",
            json!({ "id": no_publication, "title": "Renamed" }),
            vec!["id:NOT_FOUND"],
        ),
        (
            "deleteDataset",
            json!({ "id": no_dataset }),
            vec!["id:NOT_FOUND"],
        ),
        (
            "linkDataset",
            json!({ "publicationId": publication, "datasetId": no_dataset, "linkedOn": "May 2024" }),
            vec!["datasetId:NOT_FOUND", "linkedOn:INVALID"],
        ),
        (
            // A day is written in full, as by every importer.
            "linkDataset",
            json!({ "publicationId": publication, "datasetId": dataset, "linkedOn": "2024-5-1" }),
            vec!["linkedOn:INVALID"],
        ),
        (
            "creditProducer",
            json!({ "publicationId": publication, "datasetId": dataset, "producerId": doj, "role": "FUNDER" }),
            vec![":INVALID"],
        ),
        (
            "deleteProducer",
            json!({ "id": doj }),
            vec!["onSubunits:IN_USE", "onCredits:IN_USE"],
        ),
        (
            "deleteProducer",
            json!({ "id": nij }),
            vec!["onCredits:IN_USE"],
        ),
    ];
    for (field, input, expected) in cases {
        let selection = match field {
            "deleteProducer" | "deleteDataset" => "deletedId",
            "linkDataset" | "creditProducer" => "publication { id }",
            _ if field.ends_with("Dataset") => "dataset { id }",
            _ if field.ends_with("Producer") => "producer { id }",
            _ => "publication { id }",
        };
        let payload = mutate(app, &writer, field, input.clone(), selection).await;
        assert_eq!(errors(&payload), expected, "{field} {input}");
        let object = payload
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| *k != "userErrors");
        assert_eq!(
            object.unwrap().1,
            &Value::Null,
            "{field}: no object with user errors"
        );
    }

    // A valid change and a taken key in one update: neither is written.
    let input = json!({ "title": "Other", "ncjNumber": "999003" });
    let other = mutate(
        app,
        &writer,
        "createPublication",
        input,
        "publication { id }",
    )
    .await;
    let other = other["publication"]["id"].as_str().unwrap().to_owned();
    let clash = json!({ "id": other, "title": "Changed", "ncjNumber": "216547" });
    let refused = mutate(
        app,
        &writer,
        "updatePublication",
        clash,
        "publication { id }",
    )
    .await;
    assert_eq!(errors(&refused), ["ncjNumber:TAKEN"]);
    let read =
        format!(r#"{{ node(id: "{other}") {{ ... on Publication {{ title ncjNumber }} }} }}"#);
    let kept = app.data(&read).await;
    assert_eq!(
        kept["node"],
        json!({ "title": "Other", "ncjNumber": "999003" })
    );
    mutate(
        app,
        &writer,
        "deletePublication",
        json!({ "id": other }),
        "deletedId",
    )
    .await;
    assert_eq!(counts(app).await, before, "nothing was written");
}

/// Asserts that each mutation (field, input) answers exactly `expected` user errors.
async fn expect_errors(app: &TestApp, key: &str, cases: Vec<(&str, Value, Vec<&str>)>) {
    for (field, input, expected) in cases {
        let payload = mutate(app, key, field, input.clone(), "").await;
        assert_eq!(errors(&payload), expected, "{field} {input}: {payload:#}");
    }
}

/// An NCJ number (or study number) and a DOI that two other records have: two `TAKEN`
/// entries, one per field, on create and on update.
async fn each_taken_key_is_its_own_user_error(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let before = counts(app).await;
    let publication = app.id_of(r#"publication(ncjNumber: "224393")"#).await;
    let dataset = app.id_of(r#"dataset(studyNumber: "4572")"#).await;
    let both = json!({ "ncjNumber": "216547", "doi": "10.1097/md.0000000000003352" });
    let mut update = both.clone();
    update["id"] = json!(publication);
    let keys = ["ncjNumber:TAKEN", "doi:TAKEN"];
    let cases = vec![
        (
            "createPublication",
            json!({ "title": "Dup", "ncjNumber": "216547", "doi": "10.1097/md.0000000000003352" }),
            keys.to_vec(),
        ),
        ("updatePublication", update, keys.to_vec()),
        (
            "updateDataset",
            json!({ "id": dataset, "studyNumber": "35308", "doi": "10.3886/ICPSR20423.v1" }),
            vec!["studyNumber:TAKEN", "doi:TAKEN"],
        ),
    ];
    expect_errors(app, &writer, cases).await;
    assert_eq!(counts(app).await, before, "nothing was written");
}

/// Keys that are no NCJ number, study number or DOI, and the year 0, are `INVALID` on their
/// field; a hyphen after the prefix is read as a space is.
async fn malformed_keys_and_year_zero_are_invalid(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let before = counts(app).await;
    let publication = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let dataset = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let update = |fields: Value| {
        let mut input = fields;
        input["id"] = json!(publication);
        input
    };
    let cases = vec![
        (
            "updatePublication",
            update(json!({ "ncjNumber": "abc" })),
            vec!["ncjNumber:INVALID"],
        ),
        (
            "updatePublication",
            update(json!({ "ncjNumber": "-999001" })),
            vec!["ncjNumber:INVALID"],
        ),
        (
            "updatePublication",
            update(json!({ "doi": "not a doi" })),
            vec!["doi:INVALID"],
        ),
        (
            "updatePublication",
            update(json!({ "publishedOn": "0000" })),
            vec!["publishedOn:INVALID"],
        ),
        (
            "createPublication",
            json!({ "title": "Bad keys", "ncjNumber": "NCJ 12a", "doi": "https://doi.org/11.1/x" }),
            vec!["ncjNumber:INVALID", "doi:INVALID"],
        ),
        (
            "updateDataset",
            json!({ "id": dataset, "studyNumber": "ICPSR twenty", "releasedOn": "0000-01" }),
            vec!["studyNumber:INVALID", "releasedOn:INVALID"],
        ),
    ];
    expect_errors(app, &writer, cases).await;
    assert_eq!(counts(app).await, before, "nothing was written");

    let hyphen = json!({ "title": "Hyphenated", "ncjNumber": "NCJ-999001" });
    let created = mutate(
        app,
        &writer,
        "createPublication",
        hyphen,
        "publication { ncjNumber }",
    )
    .await;
    assert_eq!(created["publication"]["ncjNumber"], "999001", "{created:#}");
}

/// A page size the payload's selection asks for that its field refuses: the mutation is
/// refused before it writes. It ran first, then the field's error nulled the payload's record:
/// `BAD_USER_INPUT` and no id for a record that had been created (a retry created another).
async fn a_payload_page_too_large_writes_nothing(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let before = counts(app).await;
    for (selection, named) in [
        (
            "publication { id relatedDatasets(first: 500) { totalCount } }",
            "`relatedDatasets(first:)` in a mutation's payload is 500, outside 0 to 100",
        ),
        (
            "publication { id relatedDatasets { facets { subjects(first: 5000) { key } } } }",
            "`subjects(first:)` in a mutation's payload is 5000, outside 0 to 1000",
        ),
    ] {
        let query = format!(
            "mutation($input: CreatePublicationInput!) {{ createPublication(input: $input) {{ {selection} userErrors {{ code }} }} }}"
        );
        let (_, body) = call(
            &app.router,
            Some(&writer),
            &query,
            json!({ "input": { "title": "Payload probe" } }),
        )
        .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(named), "{message}");
        assert_eq!(counts(app).await, before, "nothing was written");
    }
    // In a document of several mutations, before the first of them writes (the later one's
    // refusal nulled the whole answer, after the earlier one had written).
    let two = "mutation { a: createPublication(input: { title: \"Payload probe\", ncjNumber: \"991\" }) { publication { id } }
        b: createPublication(input: { title: \"Payload probe\" }) { ...Pages } }
        fragment Pages on PublicationPayload { publication { relatedDatasets(last: 101) { totalCount } } }";
    let (_, body) = call(&app.router, Some(&writer), two, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(counts(app).await, before, "nothing was written");
    // Within the limits (facet buckets go past a page's 100), the write happens.
    let created = mutate(
        app,
        &writer,
        "createPublication",
        json!({ "title": "Payload probe" }),
        "publication { relatedDatasets(first: 100) { facets { subjects(first: 500) { key } } } }",
    )
    .await;
    assert!(created["publication"].is_object(), "{created}");
}
