//! The exports: native JSON Lines that an import turns back into the same graph, byte-stable
//! output, and Scholix packages, one per link.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use studygraph::export::{
    ExportOptions, write_native, write_native_with, write_scholix, write_scholix_with,
};
use studygraph::import::native::{ImportOptions, import_files, import_str};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::{on_both_backends, on_both_backends_empty};

on_both_backends!(
    native_export_round_trips_into_an_empty_database,
    exports_are_byte_identical,
    scholix_has_one_package_per_link
);
on_both_backends_empty!(
    records_without_keys_are_exported_and_their_links_skipped,
    records_without_keys_round_trip_by_title_and_url,
    keyless_records_are_found_by_their_credits_not_their_order,
    keyless_lines_of_one_file_are_records_of_their_own,
    unreachable_and_ambiguous_producers_are_reported,
    a_scholix_export_imports_again_onto_the_same_works
);

async fn native(app: &TestApp) -> (String, studygraph::export::ExportSummary) {
    let mut out = Vec::new();
    let summary = write_native(&app.db, &mut out)
        .await
        .expect("native export");
    (String::from_utf8(out).expect("UTF-8"), summary)
}

async fn scholix(app: &TestApp) -> (String, studygraph::export::ExportSummary) {
    let mut out = Vec::new();
    let summary = write_scholix(&app.db, &mut out)
        .await
        .expect("scholix export");
    (String::from_utf8(out).expect("UTF-8"), summary)
}

/// A fresh empty database on the same backend as `app`.
async fn empty_like(app: &TestApp) -> TestApp {
    let backend = match app.db.backend() {
        sea_orm::DatabaseBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    spawn_app(backend, false)
        .await
        .expect("the backend of the running test is configured")
}

/// The native export of an empty database of `app`'s backend into which `text` was imported.
async fn export_of_an_empty_database_given(app: &TestApp, text: &str) -> String {
    let copy = empty_like(app).await;
    import_str(&copy.db, "export.jsonl", text).await.unwrap();
    let exported = native(&copy).await.0;
    copy.finish().await;
    exported
}

const CREDITS: &str = "producers { role producer { fullName } }";

/// Every page of a root list, `fields` selected on each node.
async fn all(app: &TestApp, list: &str, fields: &str) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let query = format!(
            "query($after: String) {{ list: {list}(first: 100, after: $after) {{ \
             pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }} }}"
        );
        let data = app.data_with(&query, json!({ "after": after })).await;
        let page = &data["list"];
        nodes.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Sorts a JSON array in place by each element's text (a total order, since elements are
/// compared whole).
fn sort(list: &mut Value) {
    if let Some(items) = list.as_array_mut() {
        items.sort_by_cached_key(|item| item.to_string());
    }
}

/// Each node's related records: their edges sorted, with no page left over.
fn sort_edges(node: &mut Value, connection: &str) {
    let related = &mut node[connection];
    assert_eq!(
        related["pageInfo"]["hasNextPage"],
        json!(false),
        "all related records fit one page"
    );
    related.as_object_mut().unwrap().remove("pageInfo");
    sort(&mut related["edges"]);
}

/// The whole graph without ids: every field of every record, lists sorted where their order
/// is not data (credits, links, records), so two databases holding the same graph compare equal.
async fn graph(app: &TestApp) -> Value {
    let mut publications = all(
        app,
        "publications",
        &format!(
            "ncjNumber doi title subtitle publicationType publishedOn {{ iso text }} abstract \
             physicalDescription placeOfProduction language url synthetic authors subjects {CREDITS} \
             relatedDatasets(first: 100) {{ totalCount pageInfo {{ hasNextPage }} \
             edges {{ relationType source linkedOn node {{ studyNumber doi }} }} }}"
        ),
    )
    .await;
    for p in &mut publications {
        sort(&mut p["producers"]);
        sort_edges(p, "relatedDatasets");
    }
    let mut datasets = all(
        app,
        "datasets",
        &format!(
            "studyNumber doi title summary timePeriod {{ start end }} geographicCoverage \
             releasedOn {{ iso text }} version series dataTypes subjects url synthetic {CREDITS} \
             relatedPublications(first: 100) {{ totalCount pageInfo {{ hasNextPage }} \
             edges {{ relationType source linkedOn node {{ ncjNumber doi }} }} }}"
        ),
    )
    .await;
    for d in &mut datasets {
        sort(&mut d["producers"]);
        sort_edges(d, "relatedPublications");
    }
    let producers = all(
        app,
        "producers",
        "name fullName abbreviation aliases kind location url parent { fullName } \
         ancestors { name }",
    )
    .await;
    let mut graph =
        json!({ "publications": publications, "datasets": datasets, "producers": producers });
    for list in ["publications", "datasets", "producers"] {
        sort(&mut graph[list]);
    }
    graph
}

/// Compares two graphs list by list and record by record, so a failure names the record.
fn assert_same_graph(before: &Value, after: &Value) {
    for list in ["publications", "datasets", "producers"] {
        let (a, b) = (
            before[list].as_array().unwrap(),
            after[list].as_array().unwrap(),
        );
        assert_eq!(a.len(), b.len(), "number of {list}");
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x, y, "a record of {list} changed");
        }
    }
}

async fn native_export_round_trips_into_an_empty_database(app: &TestApp) {
    let (text, summary) = native(app).await;
    assert_eq!(
        (
            summary.skipped_links,
            summary.keyless_publications,
            summary.keyless_datasets
        ),
        (0, 0, 0),
        "every demo record has a key"
    );
    assert_eq!(summary.ambiguous_producers, 0);
    assert_eq!(
        text.lines().count(),
        summary.producers + summary.publications + summary.datasets + summary.links
    );

    let copy = empty_like(app).await;
    let imported = import_str(&copy.db, "export.jsonl", &text)
        .await
        .unwrap_or_else(|err| panic!("the export imports: {err}"));
    assert_eq!(
        (
            imported.producers,
            imported.publications,
            imported.datasets,
            imported.links
        ),
        (
            summary.producers,
            summary.publications,
            summary.datasets,
            summary.links
        ),
        "every exported record was created"
    );

    let before = graph(app).await;
    let after = graph(&copy).await;
    assert!(before["publications"].as_array().unwrap().len() >= 50);
    let links: usize = before["publications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["relatedDatasets"]["edges"].as_array().unwrap().len())
        .sum();
    assert_eq!(links, summary.links);
    assert_same_graph(&before, &after);

    // Dates kept their precision through the file.
    let p = copy
        .data(r#"{ publication(ncjNumber: "216547") { publishedOn { iso text } } }"#)
        .await;
    assert_eq!(
        p["publication"]["publishedOn"],
        json!({ "iso": "2006-10", "text": "Oct 2006" })
    );
    assert!(
        text.contains(r#""publishedOn":"2006-10""#),
        "month precision in the file"
    );

    // The copy exports to the very same bytes: ids differ, order and content do not.
    let (again, _) = native(&copy).await;
    assert!(again == text, "the re-imported graph exports identically");
    copy.finish().await;
}

async fn exports_are_byte_identical(app: &TestApp) {
    let (first, summary) = native(app).await;
    let (second, _) = native(app).await;
    assert!(first == second, "two native exports differ");

    // Small pages (many keyset steps) write the same bytes as the default.
    for page_size in [1, 7] {
        let mut out = Vec::new();
        let paged = write_native_with(&app.db, &ExportOptions { page_size }, &mut out)
            .await
            .unwrap();
        assert_eq!(paged, summary, "page size {page_size}");
        assert!(
            out == first.as_bytes(),
            "page size {page_size} changed the native export"
        );
    }

    let (links, _) = scholix(app).await;
    let (links_again, _) = scholix(app).await;
    assert!(links == links_again, "two Scholix exports differ");
    let mut out = Vec::new();
    write_scholix_with(&app.db, &ExportOptions { page_size: 5 }, &mut out)
        .await
        .unwrap();
    assert!(
        out == links.as_bytes(),
        "page size changed the Scholix export"
    );

    // Every line is one record of the import format, producers before the records naming them.
    let mut kinds = Vec::new();
    for line in first.lines() {
        let record: Value = serde_json::from_str(line).expect("each line is JSON");
        let kind = record["type"].as_str().expect("a type").to_owned();
        if kinds.last() != Some(&kind) {
            kinds.push(kind);
        }
    }
    assert_eq!(kinds, ["producer", "publication", "dataset", "link"]);
}

async fn scholix_has_one_package_per_link(app: &TestApp) {
    let (text, summary) = scholix(app).await;
    let (_, native_summary) = native(app).await;
    assert_eq!(summary.links, native_summary.links);
    assert_eq!(summary.skipped_links, 0);
    let packages: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(packages.len(), summary.links, "one line per link");

    for package in &packages {
        assert_eq!(package["Source"]["Type"]["Name"], "literature");
        assert_eq!(package["Target"]["Type"]["Name"], "dataset");
        for side in ["Source", "Target"] {
            let id = &package[side]["Identifier"];
            assert!(
                id["ID"].is_string() && id["IDScheme"].is_string(),
                "{side} identifier: {package}"
            );
            assert!(package[side]["Title"].is_string());
        }
        let name = package["RelationshipType"]["Name"].as_str().unwrap();
        assert!(
            [
                "IsRelatedTo",
                "References",
                "IsReferencedBy",
                "IsSupplementTo",
                "IsSupplementedBy"
            ]
            .contains(&name),
            "{name}"
        );
    }

    let demo: Vec<&Value> = packages
        .iter()
        .filter(|p| p["Source"]["Identifier"]["ID"] == "NCJ 216547")
        .collect();
    assert_eq!(demo.len(), 1, "NCJ 216547 has one link");
    let demo = demo[0];
    assert_eq!(
        demo["Source"]["Identifier"],
        json!({ "ID": "NCJ 216547", "IDScheme": "ncj" })
    );
    assert_eq!(
        demo["Target"]["Identifier"],
        json!({ "ID": "10.3886/ICPSR20423.v1", "IDScheme": "doi", "IDURL": "https://doi.org/10.3886/ICPSR20423.v1" })
    );
    assert_eq!(demo["RelationshipType"], json!({ "Name": "IsRelatedTo" }));
    assert_eq!(demo["LinkProvider"], json!([{ "Name": "NCJRS" }]));
    assert!(
        demo.get("LinkPublicationDate").is_none(),
        "the demo link has no date"
    );
    assert_eq!(demo["Source"]["PublicationDate"], "2006-10");
    assert_eq!(demo["Source"]["Creator"][0]["Name"], "Heather J. Clawson");
    assert_eq!(demo["Target"]["PublicationDate"], "2011-06-13");

    // DOCUMENTS has no Scholix name of its own: IsRelatedTo with DataCite's subtype.
    let documents: u64 = all(
        app,
        "publications",
        "relatedDatasets(relationType: [DOCUMENTS]) { totalCount }",
    )
    .await
    .iter()
    .map(|p| p["relatedDatasets"]["totalCount"].as_u64().unwrap())
    .sum();
    let subtyped: Vec<&Value> = packages
        .iter()
        .filter(|p| p["RelationshipType"]["SubType"] == "Documents")
        .collect();
    assert!(!subtyped.is_empty(), "the demo has DOCUMENTS links");
    assert_eq!(subtyped.len() as u64, documents);
    for p in &subtyped {
        assert_eq!(
            p["RelationshipType"],
            json!({ "Name": "IsRelatedTo", "SubType": "Documents", "SubTypeSchema": "DataCite" })
        );
    }
    let dated = packages
        .iter()
        .find(|p| p.get("LinkPublicationDate").is_some())
        .expect("some demo links are dated");
    let date = dated["LinkPublicationDate"].as_str().unwrap();
    assert!(
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
        "{date}"
    );
}

/// Records without any natural key are exported; links to them cannot name them and are
/// skipped (counted), and the file still imports.
async fn records_without_keys_are_exported_and_their_links_skipped(app: &TestApp) {
    let file = [
        r#"{"type":"producer","name":"Agency","abbreviation":"AG"}"#,
        r#"{"type":"producer","name":"Office","parent":"Agency"}"#,
        r#"{"type":"publication","title":"Orphan report","publishedOn":"1999","producers":[{"producer":"AG > Office","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","ncjNumber":"99002","title":"Keyed report","publishedOn":"2006-10-15"}"#,
        r#"{"type":"dataset","studyNumber":"99001","title":"Study","timePeriod":{"start":2001}}"#,
        r#"{"type":"link","publication":{"ncjNumber":"99002"},"dataset":{"studyNumber":"99001"},"relationType":"DOCUMENTS","linkedOn":"2020-02-29"}"#,
    ]
    .join("\n");
    import_str(&app.db, "keys.jsonl", &file).await.unwrap();
    // A link an import cannot express (no key names the publication), written directly.
    app.db
        .conn
        .execute_unprepared(
            "INSERT INTO publication_dataset (publication_id, dataset_id, relation_type) \
             SELECT p.id, d.id, 'REFERENCES' FROM publication p, dataset d \
             WHERE p.title = 'Orphan report' AND d.study_number = '99001'",
        )
        .await
        .unwrap();

    let (text, summary) = native(app).await;
    assert_eq!(
        (
            summary.producers,
            summary.publications,
            summary.datasets,
            summary.links,
            summary.skipped_links,
            summary.keyless_publications
        ),
        (2, 2, 1, 1, 1, 1)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"type":"producer","name":"Agency","abbreviation":"AG"}"#,
            r#"{"type":"producer","name":"Office","parent":"Agency"}"#,
            r#"{"type":"publication","title":"Orphan report","publishedOn":"1999","producers":[{"producer":"Agency > Office","role":"PRODUCER"}]}"#,
            r#"{"type":"publication","ncjNumber":"99002","title":"Keyed report","publishedOn":"2006-10-15"}"#,
            r#"{"type":"dataset","studyNumber":"99001","title":"Study","timePeriod":{"start":2001}}"#,
            r#"{"type":"link","publication":{"ncjNumber":"99002"},"dataset":{"studyNumber":"99001"},"relationType":"DOCUMENTS","linkedOn":"2020-02-29"}"#,
        ]
    );

    let copy = empty_like(app).await;
    import_str(&copy.db, "export.jsonl", &text).await.unwrap();
    let orphan = copy
        .data(r#"{ publications(search: "orphan") { nodes { title publishedOn { iso } producers { producer { fullName } } relatedDatasets { totalCount } } } }"#)
        .await;
    assert_eq!(
        orphan["publications"]["nodes"],
        json!([{ "title": "Orphan report", "publishedOn": { "iso": "1999" },
                 "producers": [{ "producer": { "fullName": "Agency, Office" } }],
                 "relatedDatasets": { "totalCount": 0 } }])
    );
    copy.finish().await;

    let (links, summary) = scholix(app).await;
    assert_eq!((summary.links, summary.skipped_links), (1, 1));
    let package: Value = serde_json::from_str(links.trim_end()).unwrap();
    assert_eq!(package["LinkPublicationDate"], "2020-02-29");
    assert!(
        package.get("LinkProvider").is_none(),
        "no source, no provider"
    );
    assert_eq!(
        package["Target"]["Identifier"],
        json!({ "ID": "ICPSR 99001", "IDScheme": "icpsr", "IDURL": "https://www.icpsr.umich.edu/web/ICPSR/studies/99001" })
    );
}

/// Records without natural keys are found again by title, URL and first credited producer, and
/// linked by a URL of their own: re-importing an export changes nothing (it added every keyless
/// record again: 397 datasets of the justice.gov catalog), and their links are exported
/// (they were dropped) except where a URL names two such records.
async fn records_without_keys_round_trip_by_title_and_url(app: &TestApp) {
    let file = [
        r#"{"type":"producer","name":"Agency"}"#,
        r#"{"type":"publication","title":"Orphan report","url":"https://example.org/a","producers":[{"producer":"Agency","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","title":"Orphan report","url":"https://example.org/b"}"#,
        r#"{"type":"publication","title":"Orphan report"}"#,
        r#"{"type":"dataset","title":"Keyless data","url":"https://example.org/d"}"#,
        r#"{"type":"dataset","title":"Shared page 1","url":"https://example.org/s"}"#,
        r#"{"type":"dataset","title":"Shared page 2","url":"https://example.org/s"}"#,
        r#"{"type":"dataset","studyNumber":"99001","title":"Study"}"#,
        r#"{"type":"link","publication":{"url":"https://example.org/a"},"dataset":{"studyNumber":"99001"},"relationType":"REFERENCES"}"#,
        r#"{"type":"link","publication":{"url":"https://example.org/b"},"dataset":{"url":"https://example.org/d"},"relationType":"DOCUMENTS"}"#,
    ]
    .join("\n");
    import_str(&app.db, "keyless.jsonl", &file).await.unwrap();
    // A URL two keyless records share names neither; two keys in one link object are refused.
    for (line, expected) in [
        (
            r#"{"type":"link","publication":{"url":"https://example.org/a"},"dataset":{"url":"https://example.org/s"},"relationType":"REFERENCES"}"#,
            "one.jsonl:1: dataset.url: several datasets without a natural key have the URL",
        ),
        (
            r#"{"type":"link","publication":{"url":"https://example.org/zzz"},"dataset":{"studyNumber":"99001"},"relationType":"REFERENCES"}"#,
            "one.jsonl:1: publication.url: no publication without a natural key",
        ),
        (
            r#"{"type":"link","publication":{"url":"https://example.org/a","doi":"10.1/x"},"dataset":{"studyNumber":"99001"},"relationType":"REFERENCES"}"#,
            "one.jsonl:1: publication: give exactly one key",
        ),
    ] {
        let message = import_str(&app.db, "one.jsonl", line)
            .await
            .unwrap_err()
            .to_string();
        assert!(message.starts_with(expected), "{message}");
    }
    // The same keyless records again (same title, URL and producer): nothing new.
    import_str(&app.db, "keyless.jsonl", &file).await.unwrap();
    let (text, summary) = native(app).await;
    assert_eq!(
        (
            summary.publications,
            summary.datasets,
            summary.links,
            summary.skipped_links
        ),
        (3, 4, 2, 0)
    );
    assert!(
        text.contains(r#"{"type":"link","publication":{"url":"https://example.org/b"},"dataset":{"url":"https://example.org/d"},"relationType":"DOCUMENTS"}"#),
        "{text}"
    );
    import_str(&app.db, "export.jsonl", &text).await.unwrap();
    assert_eq!(
        native(app).await.0,
        text,
        "re-importing the export changes nothing"
    );
    assert_eq!(
        export_of_an_empty_database_given(app, &text).await,
        text,
        "the export rebuilds the same graph"
    );
    // Scholix names them by URL too.
    let (packages, summary) = scholix(app).await;
    assert_eq!((summary.links, summary.skipped_links), (2, 0));
    assert!(
        packages.contains(r#""Identifier":{"ID":"https://example.org/d","IDScheme":"url","IDURL":"https://example.org/d"}"#),
        "{packages}"
    );
}

/// Producers in a cycle of parents have no path: they and their credits are left out (counted),
/// and the rest still imports. A root that shares its name with a unit deeper down ("Unit" and
/// "Bureau > Unit") is not ambiguous: a one-segment path names the root.
async fn unreachable_and_ambiguous_producers_are_reported(app: &TestApp) {
    let file = [
        r#"{"type":"producer","name":"Bureau"}"#,
        r#"{"type":"producer","name":"Unit","parent":"Bureau"}"#,
        r#"{"type":"producer","name":"Unit"}"#,
        r#"{"type":"producer","name":"Loop A"}"#,
        r#"{"type":"producer","name":"Loop B","parent":"Loop A"}"#,
        r#"{"type":"dataset","studyNumber":"1","title":"Study","producers":[{"producer":"Loop A > Loop B","role":"FUNDER"},{"producer":"Bureau > Unit","role":"DISTRIBUTOR"}]}"#,
    ]
    .join("\n");
    import_str(&app.db, "producers.jsonl", &file).await.unwrap();
    app.db
        .conn
        .execute_unprepared(
            "UPDATE producer SET parent_id = (SELECT id FROM producer WHERE name = 'Loop B'), \
             parent_key = (SELECT id FROM producer WHERE name = 'Loop B') WHERE name = 'Loop A'",
        )
        .await
        .unwrap();

    let (text, summary) = native(app).await;
    assert_eq!(
        (
            summary.producers,
            summary.unreachable_producers,
            summary.skipped_credits,
            summary.ambiguous_producers
        ),
        (3, 2, 1, 0),
        "{text}"
    );
    assert!(!text.contains("Loop"), "{text}");
    assert!(text.contains(r#""producers":[{"producer":"Bureau > Unit","role":"DISTRIBUTOR"}]"#));
    let copy = empty_like(app).await;
    let imported = import_str(&copy.db, "export.jsonl", &text).await.unwrap();
    assert_eq!((imported.producers, imported.datasets), (3, 1));
    copy.finish().await;
}

/// `export` and `apikey list`/`revoke` read an existing database: a SQLite file that is not
/// there (a mistyped path, the wrong working directory) fails, naming it, and neither the
/// database nor `--out` is created or touched.
#[test]
fn read_only_commands_refuse_a_missing_database() {
    let dir = std::env::temp_dir().join(format!(
        "studygraph-missing-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("existing.out");
    std::fs::write(&out, "keep\n").unwrap();
    let missing = dir.join("never.db");
    let run = |args: &[&str], url: Option<String>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_studygraph"));
        command
            .args(args)
            .current_dir(&dir)
            .env_remove("STUDYGRAPH_DATABASE_URL");
        if let Some(url) = url {
            command.arg("--database-url").arg(url);
        }
        command.output().unwrap()
    };
    let url = || Some(format!("sqlite://{}", missing.display()));
    for args in [
        &["export", "--out", out.to_str().unwrap()][..],
        &["apikey", "list"],
        &["apikey", "revoke", "--name", "x"],
    ] {
        let output = run(args, url());
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("no database at") && stderr.contains("never.db"),
            "{stderr}"
        );
    }
    // The default database, from a directory that has none.
    let output = run(&["export", "--out", out.to_str().unwrap()], None);
    assert!(!output.status.success());
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["existing.out"], "no database was created");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep\n");
    // An existing database still exports.
    let created = run(
        &["migrate"],
        Some(format!("sqlite://{}?mode=rwc", missing.display())),
    );
    assert!(created.status.success());
    let exported = run(&["export", "--out", out.to_str().unwrap()], url());
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    // The database's own file, as the export or the rejects file: refused, the database kept
    // (it was replaced by the export, exit 0). A directory leaves no partial file behind.
    let database = missing.to_str().unwrap();
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"type\":\"publication\"}\n").unwrap();
    for args in [
        &["export", "--out", database][..],
        &[
            "import",
            "--skip-invalid",
            "--rejects",
            database,
            bad.to_str().unwrap(),
        ],
    ] {
        let output = run(args, url());
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("is the database's own file"), "{stderr}");
    }
    let still = run(&["export", "--out", out.to_str().unwrap()], url());
    assert!(still.status.success(), "the database is intact");
    let into_dir = run(&["export", "--out", dir.to_str().unwrap()], url());
    assert!(!into_dir.status.success());
    let mut partial = dir.clone().into_os_string();
    partial.push(".partial");
    assert!(!std::path::Path::new(&partial).exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// Two keyless records with one title and URL, both crediting "Alpha" (one as producer, one
/// as funder beside "Zulu"): an export lists credits by role and name, not in the file's
/// order, and the second record's export was found again as the first (merged into it in an
/// empty database; the first overwritten on re-import). A record's first credit is now the
/// least by role, whatever the order.
async fn keyless_records_are_found_by_their_credits_not_their_order(app: &TestApp) {
    let file = [
        r#"{"type":"producer","name":"Alpha"}"#,
        r#"{"type":"producer","name":"Zulu"}"#,
        r#"{"type":"publication","title":"Annual Report","url":"https://x.example/r","producers":[{"producer":"Alpha","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","title":"Annual Report","url":"https://x.example/r","producers":[{"producer":"Zulu","role":"PRODUCER"},{"producer":"Alpha","role":"FUNDER"}]}"#,
        // Producer ids that an export renumbers (it writes parents first): the first credit
        // by id was Child's here and Root Two's after export → import, and merged these two.
        r#"{"type":"producer","name":"Root One"}"#,
        r#"{"type":"producer","name":"Child","parent":"Root One"}"#,
        r#"{"type":"producer","name":"Root Two"}"#,
        r#"{"type":"publication","title":"Shared Title","abstract":"X","producers":[{"producer":"Root One > Child","role":"PRODUCER"},{"producer":"Root Two","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","title":"Shared Title","abstract":"Y","producers":[{"producer":"Root Two","role":"PRODUCER"}]}"#,
        // A record without credits found the credited one of its title.
        r#"{"type":"publication","title":"Plain Title","producers":[{"producer":"Alpha","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","title":"Plain Title"}"#,
    ]
    .join("\n");
    import_str(&app.db, "keyless.jsonl", &file).await.unwrap();
    let (exported, _) = native(app).await;
    for title in ["Annual Report", "Shared Title", "Plain Title"] {
        assert_eq!(exported.matches(title).count(), 2, "{title}: {exported}");
    }

    let again = import_str(&app.db, "keyless.jsonl", &file).await.unwrap();
    assert_eq!(again.publications, 0);
    let reimported = import_str(&app.db, "export.jsonl", &exported)
        .await
        .unwrap();
    assert_eq!(reimported.publications, 0);
    assert_eq!(native(app).await.0, exported, "re-imports change nothing");

    assert_eq!(
        export_of_an_empty_database_given(app, &exported).await,
        exported,
        "the same graph in an empty database"
    );
}

/// Two lines of one file without natural keys are two records, even when their title, URL
/// and credits are alike: a yearly report of 2005 and of 2006 (no key, no URL), and three
/// datasets, two of them identical. The later line was found again as the earlier record and
/// overwrote it (one report, dated 2006; one "Survey"), and an export of identical records
/// came back as one. The n-th such line of a run is the n-th oldest such record: re-imports
/// change nothing, a later run's single line updates the oldest, and the bulk path and a run
/// that skips bad lines write the same graph.
async fn keyless_lines_of_one_file_are_records_of_their_own(app: &TestApp) {
    let credit = r#""producers":[{"producer":"Bureau of Justice Statistics","role":"PRODUCER"}]"#;
    let lines = [
        r#"{"type":"producer","name":"Bureau of Justice Statistics"}"#.to_owned(),
        format!(
            r#"{{"type":"publication","title":"Annual Report","publishedOn":"2005",{credit}}}"#
        ),
        format!(
            r#"{{"type":"publication","title":"Annual Report","publishedOn":"2006",{credit}}}"#
        ),
        r#"{"type":"dataset","title":"Survey"}"#.to_owned(),
        r#"{"type":"dataset","title":"Survey"}"#.to_owned(),
        r#"{"type":"dataset","title":"Survey","summary":"The third"}"#.to_owned(),
    ];
    let file = lines.join("\n");
    let first = import_str(&app.db, "keyless.jsonl", &file).await.unwrap();
    assert_eq!((first.publications, first.datasets), (2, 3));
    let (exported, _) = native(app).await;
    for dated in [r#""publishedOn":"2005""#, r#""publishedOn":"2006""#] {
        assert_eq!(exported.matches(dated).count(), 1, "{dated}: {exported}");
    }
    assert_eq!(
        exported
            .matches(r#"{"type":"dataset","title":"Survey"}"#)
            .count(),
        2,
        "{exported}"
    );
    assert!(exported.contains("The third"), "{exported}");

    let again = import_str(&app.db, "keyless.jsonl", &file).await.unwrap();
    assert_eq!((again.publications, again.datasets), (0, 0));
    assert_eq!(
        native(app).await.0,
        exported,
        "re-importing changes nothing"
    );

    assert_eq!(
        export_of_an_empty_database_given(app, &exported).await,
        exported,
        "export → import round-trips"
    );

    // The bulk path, and a run that skips bad lines (a bad one between the reports).
    let dir = std::env::temp_dir().join(format!(
        "studygraph-keyless-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut with_bad = lines.to_vec();
    with_bad.insert(
        2,
        r#"{"type":"publication","title":"Annual Report","publishedOn":"Oct 2005"}"#.to_owned(),
    );
    for (skip_invalid, text) in [(false, file.clone()), (true, with_bad.join("\n"))] {
        let path = dir.join(format!("keyless-{skip_invalid}.jsonl"));
        std::fs::write(&path, text).unwrap();
        let copy = empty_like(app).await;
        let outcome = import_files(
            &copy.db,
            std::slice::from_ref(&path),
            ImportOptions { skip_invalid },
        )
        .await
        .unwrap();
        assert_eq!(outcome.rejected.len(), usize::from(skip_invalid));
        assert_eq!(
            native(&copy).await.0,
            exported,
            "skip_invalid: {skip_invalid}"
        );
        copy.finish().await;
    }
    std::fs::remove_dir_all(&dir).ok();

    // A later run's one line is the oldest record of its kind.
    let later = format!(
        r#"{{"type":"publication","title":"Annual Report","publishedOn":"2007",{credit}}}"#
    );
    let updated = import_str(&app.db, "later.jsonl", &later).await.unwrap();
    assert_eq!(updated.publications, 0);
    let (now, _) = native(app).await;
    for (dated, count) in [("2005", 0), ("2006", 1), ("2007", 1)] {
        let field = format!(r#""publishedOn":"{dated}""#);
        assert_eq!(now.matches(&field).count(), count, "{dated}: {now}");
    }
}

/// A Scholix export names a work without keys by its URL; importing it again linked the
/// oldest work with that URL, a keyed report that shares it, which nobody had linked. A side
/// known by URL now finds the keyless work first. And a dataset side with neither a key nor a
/// title (an NCJ number is no dataset key) is refused: it made one untitled dataset that every
/// such link shared.
async fn a_scholix_export_imports_again_onto_the_same_works(app: &TestApp) {
    let file = [
        r#"{"type":"publication","ncjNumber":"1","title":"Keyed report","url":"https://www.ojp.gov/library"}"#,
        r#"{"type":"publication","title":"Keyless note","url":"https://www.ojp.gov/library"}"#,
        r#"{"type":"dataset","studyNumber":"2","title":"D2"}"#,
        r#"{"type":"link","publication":{"url":"https://www.ojp.gov/library"},"dataset":{"studyNumber":"2"},"relationType":"REFERENCES"}"#,
    ]
    .join("\n");
    import_str(&app.db, "su2.jsonl", &file).await.unwrap();
    let (before, _) = native(app).await;
    let (links, _) = scholix(app).await;
    studygraph::import::scholix::import_str(&app.db, "su2.sx", &links)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        native(app).await.0,
        before,
        "the same links, on the same works"
    );

    let untitled = r#"{"RelationshipType":{"Name":"References"},"Source":{"Identifier":[{"ID":"10.9/zz","IDScheme":"doi"}],"Type":"literature","Title":"Z"},"Target":{"Identifier":[{"ID":"NCJ 216547","IDScheme":"ncj"}],"Type":"dataset"}}"#;
    let err = studygraph::import::scholix::import_str(&app.db, "sxw.jsonl", untitled)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("sxw.jsonl:1: Target.Title: must not be empty"),
        "{err}"
    );
    assert_eq!(native(app).await.0, before);
}
