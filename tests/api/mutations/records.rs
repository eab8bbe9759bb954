//! A write key creates, updates, links, credits and deletes records; each change shows in
//! reads and in search at once, and updates keep what they do not name.

use serde_json::{Value, json};
use studygraph::auth::Scope;

use super::{errors, key, mutate};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_write_key_edits_a_publication,
    datasets_and_producers_are_edited_the_same_way,
    concurrent_writes_all_land
);

/// How many publications a search finds.
async fn found(app: &TestApp, words: &str) -> Value {
    let data = app
        .data(&format!(
            r#"{{ publications(search: "{words}") {{ totalCount }} }}"#
        ))
        .await;
    data["publications"]["totalCount"].clone()
}

async fn a_write_key_edits_a_publication(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let input = json!({ "title": "Hidden Labor in Quillfeather Courthouses", "ncjNumber": "NCJ 999001",
        "publishedOn": "2024-03", "authors": ["A. Author", "B. Author"], "subjects": ["courts"] });
    let created = mutate(
        app,
        &writer,
        "createPublication",
        input,
        "publication { id ncjNumber publishedOn { iso text } }",
    )
    .await;
    assert_eq!(errors(&created), Vec::<String>::new());
    let id = created["publication"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["publication"]["ncjNumber"], "999001");
    assert_eq!(
        created["publication"]["publishedOn"],
        json!({ "iso": "2024-03", "text": "Mar 2024" })
    );
    let read = app
        .data(
            r#"{ publication(ncjNumber: "999001") { id }
        search(query: "quillfeather") { edges { node { ... on Publication { id } } } } }"#,
        )
        .await;
    assert_eq!(read["publication"]["id"], id.as_str());
    assert_eq!(
        read["search"]["edges"][0]["node"]["id"],
        id.as_str(),
        "searchable by title"
    );

    let change = json!({ "id": id, "title": "Hidden Labor in Marrowind Tribunals", "subtitle": "Second look" });
    let updated = mutate(
        app,
        &writer,
        "updatePublication",
        change,
        "publication { title subtitle authors publishedOn { iso } }",
    )
    .await;
    let expected = json!({ "title": "Hidden Labor in Marrowind Tribunals", "subtitle": "Second look",
        "authors": ["A. Author", "B. Author"], "publishedOn": { "iso": "2024-03" } });
    assert_eq!(updated["publication"], expected, "fields left out are kept");
    assert_eq!(
        found(app, "marrowind").await,
        1,
        "the index follows the update"
    );
    assert_eq!(found(app, "quillfeather").await, 0);

    let dataset = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let link = json!({ "publicationId": id, "datasetId": dataset, "relationType": "REFERENCES",
        "source": "test suite", "linkedOn": "2024-05-01" });
    let linked = mutate(app, &writer, "linkDataset", link, "dataset { studyNumber }").await;
    assert_eq!(linked["dataset"]["studyNumber"], "20423");
    let related = format!(
        r#"{{ node(id: "{id}") {{ ... on Publication {{ relatedDatasets {{ totalCount
        edges {{ relationType source linkedOn node {{ studyNumber }} }} }} }} }} }}"#
    );
    let edge = json!({ "relationType": "REFERENCES", "source": "test suite", "linkedOn": "2024-05-01",
        "node": { "studyNumber": "20423" } });
    let edges = app.data(&related).await["node"]["relatedDatasets"].clone();
    assert_eq!(edges, json!({ "totalCount": 1, "edges": [edge] }));
    // Relinking without a relation type, source or date keeps the link's own; null clears one.
    let retype = json!({ "publicationId": id, "datasetId": dataset, "relationType": "DOCUMENTS" });
    mutate(app, &writer, "linkDataset", retype, "dataset { id }").await;
    let edges = app.data(&related).await["node"]["relatedDatasets"].clone();
    assert_eq!(
        edges["edges"][0],
        json!({ "relationType": "DOCUMENTS", "source": "test suite", "linkedOn": "2024-05-01",
            "node": { "studyNumber": "20423" } })
    );
    let undated = json!({ "publicationId": id, "datasetId": dataset, "linkedOn": null });
    mutate(app, &writer, "linkDataset", undated, "dataset { id }").await;
    let edges = app.data(&related).await["node"]["relatedDatasets"].clone();
    assert_eq!(
        edges["edges"][0],
        json!({ "relationType": "DOCUMENTS", "source": "test suite", "linkedOn": null,
            "node": { "studyNumber": "20423" } }),
        "the relation type stays too"
    );
    let ends = json!({ "publicationId": id, "datasetId": dataset });
    let unlinked = mutate(
        app,
        &writer,
        "unlinkDataset",
        ends.clone(),
        "dataset { id }",
    )
    .await;
    assert_eq!(errors(&unlinked), Vec::<String>::new());
    assert_eq!(
        app.data(&related).await["node"]["relatedDatasets"]["totalCount"],
        0
    );
    let again = mutate(app, &writer, "unlinkDataset", ends, "dataset { id }").await;
    assert_eq!(errors(&again), [":NOT_FOUND"]);

    let nij = app.id_of(r#"producer(name: "NIJ")"#).await;
    let credit = json!({ "publicationId": id, "producerId": nij, "role": "FUNDER" });
    let funder = json!([{ "role": "FUNDER", "producer": { "abbreviation": "NIJ" } }]);
    for _ in 0..2 {
        let credited = mutate(
            app,
            &writer,
            "creditProducer",
            credit.clone(),
            "publication { producers { role producer { abbreviation } } } producer { name }",
        )
        .await;
        assert_eq!(
            credited["publication"]["producers"], funder,
            "crediting twice is one credit"
        );
    }
    mutate(
        app,
        &writer,
        "updatePublication",
        json!({ "id": id, "language": "English" }),
        "publication { id }",
    )
    .await;
    let credits = format!(
        r#"{{ node(id: "{id}") {{ ... on Publication {{ language producers {{ role }} }} }} }}"#
    );
    let after = app.data(&credits).await["node"].clone();
    assert_eq!(
        after,
        json!({ "language": "English", "producers": [{ "role": "FUNDER" }] }),
        "updates keep credits"
    );
    let uncredited = mutate(
        app,
        &writer,
        "uncreditProducer",
        credit.clone(),
        "publication { producers { role } }",
    )
    .await;
    assert_eq!(uncredited["publication"]["producers"], json!([]));
    let again = mutate(
        app,
        &writer,
        "uncreditProducer",
        credit,
        "publication { id }",
    )
    .await;
    assert_eq!(errors(&again), ["role:NOT_FOUND"]);

    let deleted = mutate(
        app,
        &writer,
        "deletePublication",
        json!({ "id": id }),
        "deletedId",
    )
    .await;
    assert_eq!(deleted["deletedId"], id.as_str());
    let gone = app
        .data(&format!(
            r#"{{ node(id: "{id}") {{ id }} publication(ncjNumber: "999001") {{ id }} }}"#
        ))
        .await;
    assert_eq!(gone, json!({ "node": null, "publication": null }));
    assert_eq!(
        found(app, "marrowind").await,
        0,
        "deleted records leave the index"
    );
}

async fn datasets_and_producers_are_edited_the_same_way(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let input = json!({ "title": "Brindlewick Staffing Panel", "studyNumber": "ICPSR 99001",
        "timePeriod": { "start": 2019, "end": 2021 }, "releasedOn": "2023" });
    let created = mutate(
        app,
        &writer,
        "createDataset",
        input,
        "dataset { id studyNumber timePeriod { start end } }",
    )
    .await;
    assert_eq!(created["dataset"]["studyNumber"], "99001");
    assert_eq!(
        created["dataset"]["timePeriod"],
        json!({ "start": 2019, "end": 2021 })
    );
    let id = created["dataset"]["id"].as_str().unwrap().to_owned();
    let change = json!({ "id": id, "series": "Panel Studies", "timePeriod": null });
    let updated = mutate(
        app,
        &writer,
        "updateDataset",
        change,
        "dataset { title series timePeriod { start } }",
    )
    .await;
    let expected = json!({ "title": "Brindlewick Staffing Panel", "series": "Panel Studies", "timePeriod": null });
    assert_eq!(updated["dataset"], expected, "null clears, left out keeps");
    let searched = app
        .data(r#"{ datasets(search: "brindlewick") { nodes { studyNumber } } }"#)
        .await;
    assert_eq!(
        searched["datasets"]["nodes"],
        json!([{ "studyNumber": "99001" }])
    );

    let ojp = app.id_of(r#"producer(name: "OJP")"#).await;
    let input =
        json!({ "name": "Office of Test Programs", "abbreviation": "OTP", "parentId": ojp });
    let unit = mutate(
        app,
        &writer,
        "createProducer",
        input,
        "producer { id fullName }",
    )
    .await;
    let full_name =
        "United States Department of Justice, Office of Justice Programs, Office of Test Programs";
    assert_eq!(unit["producer"]["fullName"], full_name);
    let unit_id = unit["producer"]["id"].as_str().unwrap().to_owned();
    let input = json!({ "name": "Test Lab", "parentId": unit_id });
    let lab = mutate(app, &writer, "createProducer", input, "producer { id }").await;
    let lab_id = lab["producer"]["id"].as_str().unwrap().to_owned();
    let cycle = json!({ "id": unit_id, "parentId": lab_id });
    let refused = mutate(app, &writer, "updateProducer", cycle, "producer { id }").await;
    assert_eq!(errors(&refused), ["parentId:INVALID"]);
    let aliased = json!({ "id": unit_id, "aliases": ["Test Office"] });
    let updated = mutate(
        app,
        &writer,
        "updateProducer",
        aliased,
        "producer { name aliases }",
    )
    .await;
    assert_eq!(
        updated["producer"],
        json!({ "name": "Office of Test Programs", "aliases": ["Test Office"] })
    );
    let by_alias = app
        .data(r#"{ producer(name: "Test Office") { abbreviation } }"#)
        .await;
    assert_eq!(by_alias["producer"]["abbreviation"], "OTP");
    let credit = json!({ "datasetId": id, "producerId": unit_id, "role": "FUNDER" });
    mutate(app, &writer, "creditProducer", credit, "dataset { id }").await;

    // Both refusals at once (a form marks both rules; the second came only on a second try).
    let rules = [
        (json!({}), vec!["onSubunits:IN_USE", "onCredits:IN_USE"]),
        (
            json!({ "onSubunits": "REPARENT" }),
            vec!["onCredits:IN_USE"],
        ),
        (json!({ "onCredits": "REMOVE" }), vec!["onSubunits:IN_USE"]),
    ];
    for (rule, expected) in rules {
        let mut input = json!({ "id": unit_id });
        input
            .as_object_mut()
            .unwrap()
            .extend(rule.as_object().unwrap().clone());
        let refused = mutate(app, &writer, "deleteProducer", input, "deletedId").await;
        assert_eq!(
            (&refused["deletedId"], errors(&refused)),
            (
                &Value::Null,
                expected.iter().map(|e| e.to_string()).collect()
            )
        );
    }
    let input = json!({ "id": unit_id, "onSubunits": "REPARENT", "onCredits": "REMOVE" });
    let deleted = mutate(app, &writer, "deleteProducer", input, "deletedId").await;
    assert_eq!(deleted["deletedId"], unit_id.as_str());
    let after = app.data(&format!(r#"{{ lab: node(id: "{lab_id}") {{ ... on Producer {{ parent {{ abbreviation }} }} }}
        d: node(id: "{id}") {{ ... on Dataset {{ producers {{ role }} }} }} producers(search: "OTP") {{ totalCount }} }}"#)).await;
    let expected = json!({ "lab": { "parent": { "abbreviation": "OJP" } }, "d": { "producers": [] },
        "producers": { "totalCount": 0 } });
    assert_eq!(
        after, expected,
        "subunits moved up, credits removed, index forgot it"
    );
    let deleted = mutate(
        app,
        &writer,
        "deleteDataset",
        json!({ "id": id }),
        "deletedId",
    )
    .await;
    assert_eq!(deleted["deletedId"], id.as_str());
    let gone = app
        .data(r#"{ dataset(studyNumber: "99001") { id } }"#)
        .await;
    assert_eq!(gone["dataset"], Value::Null);
}

async fn concurrent_writes_all_land(app: &TestApp) {
    let writer = key(app, "loader", Scope::Write).await;
    let before = app.data("{ publications { totalCount } }").await["publications"]["totalCount"]
        .as_i64()
        .unwrap();
    let writes = (0..8).map(|i| {
        let input =
            json!({ "title": format!("Parallel report {i}"), "ncjNumber": format!("88800{i}") });
        mutate(
            app,
            &writer,
            "createPublication",
            input,
            "publication { id }",
        )
    });
    for payload in futures::future::join_all(writes).await {
        assert_eq!(errors(&payload), Vec::<String>::new());
    }
    let after = app.data("{ publications { totalCount } }").await["publications"]["totalCount"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 8);
}
