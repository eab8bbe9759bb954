//! Records by global id and by natural key; not found is null, bad keys are BAD_USER_INPUT.

use serde_json::json;
use studygraph::import::native::import_str;

use crate::helpers::TestApp;
use crate::{on_both_backends, on_both_backends_empty};

on_both_backends!(
    natural_keys,
    dois_ignore_ascii_case_only,
    producer_names_and_aliases,
    names_written_as_one_string,
    node_round_trips,
    not_found_is_null,
    bad_keys_are_user_errors,
    nul_characters_are_bad_input,
    request_errors_carry_codes
);
on_both_backends_empty!(every_full_name_finds_its_producer);

/// Text with the NUL character is refused alike on both backends (PostgreSQL cannot hold it and
/// answered INTERNAL where SQLite went on), in variables and in the document.
async fn nul_characters_are_bad_input(app: &TestApp) {
    for (query, variables) in [
        (
            "query($t: String) { publications(filter: { titleContains: $t }) { totalCount } }",
            json!({ "t": "a\u{0}b" }),
        ),
        (
            "query($n: String) { publication(ncjNumber: $n) { id } }",
            json!({ "n": "1\u{0}" }),
        ),
        (
            "query($s: String) { publications(search: $s) { totalCount } }",
            json!({ "s": "nul\u{0}byte" }),
        ),
        (r#"{ producer(name: "a\u0000b") { id } }"#, json!({})),
    ] {
        let answer = app.post(query, variables).await.json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{query}: {answer}"
        );
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("NUL"),
            "{answer}"
        );
    }
    // The message names the variable's field, so that a form can mark it.
    let answer = app
        .post(
            "mutation($input: CreatePublicationInput!) { createPublication(input: $input) { userErrors { field } } }",
            json!({ "input": { "title": "ok", "subjects": ["fine", "bad\u{0}"] } }),
        )
        .await
        .json();
    assert_eq!(
        answer["errors"][0]["message"],
        "`$input.subjects[1]`: text may not contain the NUL character (U+0000)",
        "{answer}"
    );
}

/// Errors of the request itself (it does not parse, or does not validate against the schema)
/// carry a code like every other error: they had none.
async fn request_errors_carry_codes(app: &TestApp) {
    for (query, variables, code) in [
        (
            "{ publications { nope } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            r#"{ publications(first: "x") { totalCount } }"#,
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query($n: Int!) { publications(first: $n) { totalCount } }",
            json!({ "n": "abc" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("{ publications { ", json!({}), "GRAPHQL_PARSE_FAILED"),
    ] {
        let answer = app.post(query, variables).await.json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], code,
            "{query}: {answer}"
        );
    }
}

/// DOIs are the same without regard to ASCII case only (the DOI Handbook): "10.1234/Ü-x" and
/// "10.1234/ü-x" are two records on both backends (PostgreSQL's `lower()` made them one, and
/// a link by one found the other there and nothing on SQLite), and an ASCII case variant
/// finds its record in an import, a lookup and a batch of links alike.
async fn dois_ignore_ascii_case_only(app: &TestApp) {
    let file = [
        r#"{"type":"publication","doi":"10.1234/Ü-x","title":"Upper umlaut"}"#,
        r#"{"type":"publication","doi":"10.1234/ü-x","title":"Lower umlaut"}"#,
        r#"{"type":"dataset","doi":"10.5555/ÄÖ","title":"Umlaut data"}"#,
        r#"{"type":"link","publication":{"doi":"10.1234/Ü-X"},"dataset":{"doi":"10.5555/äö"},"relationType":"REFERENCES"}"#,
    ];
    let outcome = import_str(&app.db, "dois.jsonl", &file.join("\n")).await;
    let message = outcome.unwrap_err().to_string();
    assert!(
        message.starts_with("dois.jsonl:4: dataset.doi: no dataset \"10.5555/äö\""),
        "{message}"
    );
    let fixed = file[..3].join("\n")
        + "\n"
        + r#"{"type":"link","publication":{"doi":"10.1234/Ü-X"},"dataset":{"doi":"10.5555/ÄÖ"},"relationType":"REFERENCES"}"#;
    import_str(&app.db, "dois.jsonl", &fixed).await.unwrap();
    let data = app
        .data(
            r#"{ upper: publication(doi: "10.1234/Ü-X") { title relatedDatasets { nodes { title } } }
                lower: publication(doi: "10.1234/ü-X") { title relatedDatasets { nodes { title } } } }"#,
        )
        .await;
    assert_eq!(data["upper"]["title"], "Upper umlaut");
    assert_eq!(data["lower"]["title"], "Lower umlaut");
    assert_eq!(
        data["upper"]["relatedDatasets"]["nodes"],
        json!([{ "title": "Umlaut data" }])
    );
    assert_eq!(data["lower"]["relatedDatasets"]["nodes"], json!([]));
}

async fn natural_keys(app: &TestApp) {
    let data = app
        .data(
            r#"{ a: publication(ncjNumber: "NCJ 216547") { ncjNumber } b: publication(ncjNumber: "216547") { ncjNumber }
                c: dataset(studyNumber: "ICPSR 20423") { studyNumber } d: dataset(doi: "10.3886/icpsr20423.V1") { studyNumber }
                e: dataset(doi: "https://doi.org/10.3886/ICPSR20423.v1") { studyNumber } }"#,
        )
        .await;
    assert_eq!(data["a"], json!({ "ncjNumber": "216547" }));
    assert_eq!(data["b"], data["a"]);
    assert_eq!(data["c"], json!({ "studyNumber": "20423" }));
    assert_eq!(data["d"], data["c"], "DOIs match without regard to case");
    assert_eq!(data["e"], data["c"], "resolver prefixes are ignored");
    // Numbers lose their leading zeros wherever they come from (a native record kept "0042" as
    // a second study beside "42", which link sheets could not reach).
    let file = [
        r#"{"type":"dataset","studyNumber":"0042","title":"Zero-padded study"}"#,
        r#"{"type":"publication","ncjNumber":"NCJ 0216547","title":"Keyed report"}"#,
        r#"{"type":"link","publication":{"ncjNumber":"216547"},"dataset":{"studyNumber":"ICPSR 00042"},"relationType":"REFERENCES"}"#,
    ];
    import_str(&app.db, "zeros.jsonl", &file.join("\n"))
        .await
        .unwrap();
    let padded = app
        .data(
            r#"{ a: dataset(studyNumber: "42") { studyNumber title } b: dataset(studyNumber: "ICPSR 0042") { studyNumber }
                c: publication(ncjNumber: "NCJ 0216547") { ncjNumber title relatedDatasets { nodes { studyNumber } } } }"#,
        )
        .await;
    assert_eq!(
        padded,
        json!({ "a": { "studyNumber": "42", "title": "Zero-padded study" }, "b": { "studyNumber": "42" },
                "c": { "ncjNumber": "216547", "title": "Keyed report",
                       "relatedDatasets": { "nodes": [{ "studyNumber": "20423" }, { "studyNumber": "42" }] } } })
    );

    let with_doi = app
        .data(r#"{ publications(first: 100) { nodes { doi } } }"#)
        .await;
    let doi = with_doi["publications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|n| n["doi"].as_str())
        .expect("a publication with a DOI");
    let found = app
        .data_with(
            "query($doi: String) { publication(doi: $doi) { doi } }",
            json!({ "doi": doi.to_uppercase() }),
        )
        .await;
    assert_eq!(found["publication"]["doi"], doi);
}

async fn producer_names_and_aliases(app: &TestApp) {
    let data = app
        .data(
            r#"{ a: producer(name: "United States Department of Justice") { id }
                b: producer(name: "Department of Justice") { id }
                c: producer(name: "doj") { id }
                d: producer(name: "U.S. Department of Justice > Office of Justice Programs > National Institute of Justice") { id name }
                e: producer(name: "DOJ > OJP > NIJ") { id }
                f: producer(name: "NIJ") { id } }"#,
        )
        .await;
    assert!(data["a"]["id"].is_string());
    assert_eq!(data["b"], data["a"], "an alias names the same producer");
    assert_eq!(
        data["c"], data["a"],
        "so does the abbreviation, in any case"
    );
    assert_eq!(data["d"]["name"], "National Institute of Justice");
    assert_eq!(data["e"]["id"], data["d"]["id"]);
    assert_eq!(data["f"]["id"], data["d"]["id"]);
}

/// A producer's name as catalogs write it in one string: ICPSR with periods, NCJRS with commas
/// (and often without the Office of Justice Programs between the department and NIJ).
async fn names_written_as_one_string(app: &TestApp) {
    let data = app
        .data(
            r#"{ nij: producer(name: "NIJ") { id } bjs: producer(name: "BJS") { id }
                bop: producer(name: "United States Department of Justice > Federal Bureau of Prisons") { id }
                a: producer(name: "United States Department of Justice. Office of Justice Programs. National Institute of Justice") { id }
                b: producer(name: "United States Department of Justice, National Institute of Justice") { id }
                c: producer(name: "United States Department of Justice, Office of Justice Programs, National Institute of Justice") { id }
                d: producer(name: "U.S. Department of Justice. Office of Justice Programs. Bureau of Justice Statistics.") { id }
                e: producer(name: "Department of Justice, Federal Bureau of Prisons") { id }
                none1: producer(name: "United States Department of Justice, Office of Nothing") { id }
                none2: producer(name: "Ministry of Nowhere. Office of Justice Programs") { id } }"#,
        )
        .await;
    assert!(data["nij"]["id"].is_string() && data["bop"]["id"].is_string());
    for (key, expected) in [
        ("a", "nij"),
        ("b", "nij"),
        ("c", "nij"),
        ("d", "bjs"),
        ("e", "bop"),
    ] {
        assert_eq!(data[key], data[expected], "{key}");
    }
    assert_eq!(data["none1"], json!(null));
    assert_eq!(data["none2"], json!(null));
    // An import's credit by such a name lands on the same producer.
    let record = r#"{"type":"publication","ncjNumber":"T-1","title":"Fixture report","producers":[{"producer":"United States Department of Justice, National Institute of Justice","role":"PRODUCER"}]}"#;
    studygraph::import::native::import_str(&app.db, "one-string.jsonl", record)
        .await
        .unwrap();
    let credited = app
        .data(r#"{ publication(ncjNumber: "T-1") { producers { producer { id } } } }"#)
        .await;
    assert_eq!(
        credited["publication"]["producers"][0]["producer"],
        data["nij"]
    );
}

/// `Producer.fullName` (the levels' own names, root first, joined by ", ") finds its producer
/// whatever words its levels hold ("FPI-UNICOR" names no unit), and with levels whose own
/// names hold commas; a name with a comma still finds the producer so named, and a full name
/// of levels that do not exist finds nothing.
async fn every_full_name_finds_its_producer(app: &TestApp) {
    let records = [
        r#"{"type":"producer","name":"Department of Justice"}"#,
        r#"{"type":"producer","name":"Bureau of Prisons","parent":"Department of Justice"}"#,
        r#"{"type":"producer","name":"FPI-UNICOR","parent":"Department of Justice > Bureau of Prisons"}"#,
        r#"{"type":"producer","name":"Office of Justice Programs, Research Division","parent":"Department of Justice"}"#,
        r#"{"type":"producer","name":"Data Team","parent":"Department of Justice > Office of Justice Programs, Research Division"}"#,
        r#"{"type":"producer","name":"University of California"}"#,
        r#"{"type":"producer","name":"Davis","parent":"University of California"}"#,
        r#"{"type":"producer","name":"University of California, Berkeley"}"#,
        r#"{"type":"producer","name":"Survey Research Center","parent":"University of California, Berkeley"}"#,
    ];
    import_str(&app.db, "full-names.jsonl", &records.join("\n"))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let all = app
        .data("{ producers(first: 100) { nodes { id name fullName } } }")
        .await;
    let nodes = all["producers"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), records.len());
    for node in nodes {
        let found = app
            .data_with(
                "query($n: String) { producer(name: $n) { id } }",
                json!({ "n": node["fullName"] }),
            )
            .await;
        assert_eq!(found["producer"]["id"], node["id"], "{}", node["fullName"]);
    }
    let id_named = |name: &str| {
        nodes
            .iter()
            .find(|node| node["name"] == name)
            .map(|node| node["id"].clone())
            .unwrap()
    };
    for (name, expected) in [
        (
            "Department of Justice, Bureau of Prisons, FPI-UNICOR",
            json!({ "id": id_named("FPI-UNICOR") }),
        ),
        (
            "United States Department of Justice,  Bureau of Prisons, FPI-UNICOR",
            json!({ "id": id_named("FPI-UNICOR") }),
        ),
        (
            "Department of Justice. Bureau of Prisons. FPI-UNICOR",
            json!({ "id": id_named("FPI-UNICOR") }),
        ),
        (
            "University of California, Berkeley",
            json!({ "id": id_named("University of California, Berkeley") }),
        ),
        (
            "Office of Justice Programs, Research Division",
            json!({ "id": id_named("Office of Justice Programs, Research Division") }),
        ),
        ("University of California, San Francisco", json!(null)),
        ("Department of Justice, Research Division", json!(null)),
        (
            "Department of Justice, Bureau of Prisons, Data Team",
            json!(null),
        ),
    ] {
        let found = app
            .data_with(
                "query($n: String) { producer(name: $n) { id } }",
                json!({ "n": name }),
            )
            .await;
        assert_eq!(found["producer"], expected, "{name}");
    }
    // A producer named "University of California, Berkeley" and another whose full name is
    // that (Berkeley under University of California): the text names both. The first was
    // returned silently, and the second could not be found by its own full name.
    let berkeley = r#"{"type":"producer","name":"Berkeley","parent":"University of California"}"#;
    import_str(&app.db, "berkeley.jsonl", berkeley)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let answer = app
        .post(
            r#"{ producer(name: "University of California, Berkeley") { id } }"#,
            json!({}),
        )
        .await
        .json();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("\"University of California, Berkeley\" names 2 producers;"),
        "{message}"
    );
    // An import's credit by a full name lands on the same producer.
    let record = r#"{"type":"publication","ncjNumber":"T-2","title":"Fixture report","producers":[{"producer":"Department of Justice, Bureau of Prisons, FPI-UNICOR","role":"PRODUCER"}]}"#;
    import_str(&app.db, "full-name-credit.jsonl", record)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let credited = app
        .data(r#"{ publication(ncjNumber: "T-2") { producers { producer { id } } } }"#)
        .await;
    assert_eq!(
        credited["publication"]["producers"][0]["producer"]["id"],
        id_named("FPI-UNICOR")
    );
}

async fn node_round_trips(app: &TestApp) {
    let publication = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let dataset = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let producer = app.id_of(r#"producer(name: "NIJ")"#).await;
    for (id, typename) in [
        (&publication, "Publication"),
        (&dataset, "Dataset"),
        (&producer, "Producer"),
    ] {
        let data = app
            .data_with(
                "query($id: ID!) { node(id: $id) { __typename id ... on Publication { ncjNumber } ... on Dataset { studyNumber } ... on Producer { abbreviation } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["node"]["__typename"], typename);
        assert_eq!(data["node"]["id"], id.as_str());
    }
    let by_id = app
        .data_with(
            "query($id: ID) { publication(id: $id) { ncjNumber } }",
            json!({ "id": publication }),
        )
        .await;
    assert_eq!(by_id["publication"]["ncjNumber"], "216547");

    let data = app
        .data_with(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": [producer, "UHVibGljYXRpb246OTk5OTk5", publication, dataset] }),
        )
        .await;
    let nodes = data["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4);
    assert_eq!(nodes[0]["id"], producer.as_str());
    assert_eq!(nodes[1], json!(null), "Publication:999999 does not exist");
    assert_eq!(nodes[2]["id"], publication.as_str());
    assert_eq!(nodes[3]["__typename"], "Dataset");
    // As many ids as a page holds (38,000 answered 44 MB under the cost limit).
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
    let hundred = app
        .data_with(query, json!({ "ids": vec![publication.clone(); 100] }))
        .await;
    assert_eq!(hundred["nodes"].as_array().unwrap().len(), 100);
    let answer = app
        .post(query, json!({ "ids": vec![publication.clone(); 101] }))
        .await
        .json();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        answer["errors"][0]["message"],
        "`nodes` takes at most 100 ids (got 101); ask in pages"
    );
}

async fn not_found_is_null(app: &TestApp) {
    let data = app
        .data(
            r#"{ a: publication(ncjNumber: "999999999") { id } b: publication(doi: "10.0000/none") { id }
                c: dataset(studyNumber: "99999999") { id } d: producer(name: "Ministry of Nowhere") { id }
                e: producer(name: "DOJ > Ministry of Nowhere") { id } f: node(id: "RGF0YXNldDo5OTk5OTk") { id } }"#,
        )
        .await;
    for key in ["a", "b", "c", "d", "e", "f"] {
        assert_eq!(data[key], json!(null), "{key}");
    }
}

async fn bad_keys_are_user_errors(app: &TestApp) {
    for query in [
        r#"{ publication { id } }"#,
        r#"{ publication(ncjNumber: "216547", doi: "10.1/x") { id } }"#,
        r#"{ dataset { id } }"#,
        r#"{ producer(id: "UHJvZHVjZXI6MQ", name: "NIJ") { id } }"#,
        r#"{ node(id: "not an id") { id } }"#,
        r#"{ nodes(ids: ["UHJvZHVjZXI6MQ", "???"]) { id } }"#,
        r#"{ publication(id: "UHJvZHVjZXI6MQ") { id } }"#,
    ] {
        let (code, message) = app.error_code(query).await;
        assert_eq!(code, "BAD_USER_INPUT", "{query}: {message}");
        assert!(!message.is_empty());
    }
    let (_, message) = app
        .error_code(r#"{ publication(id: "UHJvZHVjZXI6MQ") { id } }"#)
        .await;
    assert!(message.contains("not a Publication id"), "{message}");
}
