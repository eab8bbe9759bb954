//! The same questions get the same answers from both databases: one app on SQLite and one on
//! PostgreSQL, loaded alike (the demo data plus awkward titles), asked the same queries, and
//! their JSON answers compared whole — sort orders and their cursors, facets, stats, filters,
//! nested traversals and errors. Searches are compared as sets: SQLite ranks with bm25 and
//! PostgreSQL with `ts_rank`, so only their orders may differ. Their exports are the same bytes.

use serde_json::{Value, json};
use studygraph::export::{write_native, write_scholix};
use studygraph::import::native::import_str;

use crate::helpers::{Backend, TestApp, real_catalog, spawn_app};

/// Titles whose order, case folding and substrings differ most easily between the backends.
const AWKWARD: &str = r#"{"type":"publication","ncjNumber":"X-1","title":"Éclair studies of ÉTÉ policing","language":"French"}
{"type":"publication","ncjNumber":"X-2","title":"éclair: a lowercase start","language":"French"}
{"type":"publication","ncjNumber":"X-3","title":"Ångström and the ÖSTERREICH courts","language":"German"}
{"type":"publication","ncjNumber":"X-4","title":"apple report","publishedOn":"2006"}
{"type":"publication","ncjNumber":"X-5","title":"Apple Report","publishedOn":"2006-10"}
{"type":"publication","ncjNumber":"X-6","title":"_underscored 100% title","publishedOn":"2006-10-31"}
{"type":"publication","ncjNumber":"X-7","title":"Straße und Gerichte"}"#;

/// Queries whose whole answers must be equal (and free of errors).
const EXACT: &[&str] = &[
    "{ publications(first: 100, orderBy: [{field: TITLE, direction: ASC}]) { totalCount pageInfo { endCursor } nodes { id title } } }",
    "{ publications(first: 100, orderBy: [{field: TITLE, direction: DESC}]) { nodes { id } } }",
    "{ publications(first: 100, orderBy: [{field: PUBLISHED_ON, direction: ASC}]) { pageInfo { endCursor } nodes { id publishedOn { iso text } } } }",
    "{ publications(first: 100, orderBy: [{field: PUBLISHED_ON, direction: DESC}, {field: TITLE, direction: ASC}]) { nodes { id } } }",
    "{ publications(first: 100, orderBy: [{field: RELATED_DATASET_COUNT, direction: DESC}]) { nodes { id } } }",
    "{ publications(last: 7, orderBy: [{field: PUBLISHED_ON, direction: ASC}]) { pageInfo { hasPreviousPage startCursor } nodes { id } } }",
    "{ datasets(first: 100, orderBy: [{field: STUDY_NUMBER, direction: ASC}]) { nodes { id studyNumber } } }",
    "{ datasets(first: 100, orderBy: [{field: RELEASED_ON, direction: DESC}]) { nodes { id } } }",
    "{ datasets(first: 100, orderBy: [{field: TITLE, direction: ASC}]) { nodes { id title } } }",
    "{ datasets(first: 100, orderBy: [{field: RELATED_PUBLICATION_COUNT, direction: DESC}]) { nodes { id } } }",
    "{ producers(first: 100, orderBy: [{field: NAME, direction: ASC}]) { nodes { id name fullName ancestors { name } } } }",
    "{ producers(first: 100, orderBy: [{field: PUBLICATION_COUNT, direction: DESC}]) { nodes { id } } }",
    "{ producers(first: 100, orderBy: [{field: DATASET_COUNT, direction: DESC}]) { nodes { id } } }",
    "{ publications(first: 0) { totalCount facets { years { key label count } publicationTypes { key label count } languages { key count } subjects(first: 100) { key count } producers(first: 100) { key label count } } } }",
    "{ publications(first: 0) { facets { producers(first: 100, level: 0) { key label count } } } }",
    "{ publications(first: 0) { facets { producers(first: 100, level: 1) { key label count } } } }",
    "{ datasets(first: 0) { totalCount facets { subjects(first: 100) { key count } producers(first: 100) { key label count } } } }",
    "{ publicationStats(groupBy: [PRODUCER, YEAR]) { keys { dimension key label } count } }",
    "{ publicationStats(groupBy: [SUBJECT, LANGUAGE]) { keys { dimension key label } count } }",
    "{ publicationStats(groupBy: [RELATION_TYPE, PUBLICATION_TYPE]) { keys { dimension key label } count } }",
    "{ datasetStats(groupBy: [PRODUCER, SUBJECT]) { keys { dimension key label } count } }",
    "{ publications(filter: { publishedFrom: \"2006\", publishedTo: \"2006-10\" }, first: 100) { totalCount nodes { id } } }",
    "{ publications(filter: { hasRelatedDatasets: false }, first: 100) { totalCount nodes { id } } }",
    "{ publications(filter: { titleContains: \"ÉCLAIR\" }, first: 100) { totalCount nodes { id } } }",
    "{ publications(filter: { titleContains: \"österreich\" }, first: 100) { totalCount nodes { id } } }",
    "{ publications(filter: { titleContains: \"100%\" }, first: 100) { totalCount nodes { id } } }",
    "{ publications(filter: { titleContains: \"_under\" }, first: 100) { totalCount nodes { id } } }",
    "{ datasets(filter: { hasRelatedPublications: true }, first: 100) { totalCount nodes { id } } }",
    "{ producers(filter: { rootsOnly: true }, first: 100) { totalCount nodes { id name } } }",
    "{ publication(ncjNumber: \"216547\") { relatedPublications(first: 50) { totalCount edges { sharedDatasets node { id } } } relatedDatasets(first: 10) { edges { relationType source node { id producers { role producer { name publications(first: 50) { totalCount nodes { id } } } } } } } } }",
];

/// Queries that must fail alike (same message, same code).
const ERRORS: &[&str] = &[
    "{ publications(first: 3, after: \"not a cursor\") { totalCount } }",
    "{ publications(filter: { publishedFrom: \"2006-13\" }) { totalCount } }",
    "{ publications(search: \"the\") { totalCount } }",
    "{ datasets(filter: { producerIds: [\"UHJvZHVjZXI6OTk5OQ\"] }) { totalCount } }",
    "{ publications(first: 101) { totalCount } }",
];

/// Searches whose counts and sets of hits must be equal (their orders may differ).
const SEARCHES: &[&str] = &[
    "{ publications(search: \"police\", first: 100) { totalCount nodes { id } } }",
    "{ publications(search: \"trafficking -victims\", first: 100) { totalCount nodes { id } } }",
    "{ publications(search: \"\\\"law enforcement\\\" OR recidivism\", first: 100) { totalCount nodes { id } } }",
    "{ publications(search: \"the police of\", first: 100) { totalCount nodes { id } } }",
    "{ datasets(search: \"victimization survey\", first: 100) { totalCount nodes { id } } }",
    "{ producers(search: \"justice\", first: 100) { totalCount nodes { id } } }",
    "{ search(query: \"police\", first: 100) { totalCount edges { node { ... on Publication { id } ... on Dataset { id } ... on Producer { id } } } } }",
];

/// An answer without what may differ by backend and run (cost, timing).
fn comparable(mut answer: Value) -> Value {
    if let Some(object) = answer.as_object_mut() {
        object.remove("extensions");
    }
    answer
}

/// The ids of a searched list's hits, sorted, and its count.
fn hit_set(answer: &Value) -> (Value, Vec<String>) {
    let list = answer["data"]
        .as_object()
        .and_then(|data| data.values().next())
        .unwrap_or_else(|| panic!("no list in {answer}"));
    let items = list["nodes"]
        .as_array()
        .or_else(|| list["edges"].as_array())
        .expect("nodes or edges");
    let mut ids: Vec<String> = items
        .iter()
        .map(|item| {
            let node = if item["node"].is_null() {
                item
            } else {
                &item["node"]
            };
            node["id"].as_str().expect("an id").to_owned()
        })
        .collect();
    ids.sort();
    (list["totalCount"].clone(), ids)
}

/// One app per database, both with the demo data (`None` when PostgreSQL is not configured
/// outside CI).
async fn both_apps() -> Option<(TestApp, TestApp)> {
    let sqlite = spawn_app(Backend::Sqlite, true).await?;
    let Some(postgres) = spawn_app(Backend::Postgres, true).await else {
        sqlite.finish().await;
        return None;
    };
    Some((sqlite, postgres))
}

/// Both databases' native and Scholix exports.
async fn exports(apps: [&TestApp; 2]) -> Vec<(String, String)> {
    let mut exports = Vec::new();
    for app in apps {
        let (mut native, mut scholix) = (Vec::new(), Vec::new());
        write_native(&app.db, &mut native)
            .await
            .expect("native export");
        write_scholix(&app.db, &mut scholix)
            .await
            .expect("Scholix export");
        exports.push((
            String::from_utf8(native).unwrap(),
            String::from_utf8(scholix).unwrap(),
        ));
    }
    exports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_databases_answer_alike() {
    let Some((sqlite, postgres)) = both_apps().await else {
        return;
    };
    for app in [&sqlite, &postgres] {
        import_str(&app.db, "awkward.jsonl", AWKWARD).await.unwrap();
    }
    // The graph around the report, by its id (the same on both: loaded in the same order).
    let report = sqlite.id_of("publication(ncjNumber: \"216547\")").await;
    let nij = sqlite.id_of("producer(name: \"NIJ\")").await;
    let around = [
        format!(
            "{{ neighborhood(id: \"{report}\", depth: 3) {{ truncated nodes {{ id }} edges {{ from to kind relationType role }} hasMore {{ id hiddenNeighbors }} }} }}"
        ),
        format!(
            "{{ paths(from: \"{report}\", to: \"{nij}\", maxHops: 4, first: 5) {{ nodes {{ id }} edges {{ from to kind }} }} }}"
        ),
        format!(
            "{{ nodes(ids: [\"{report}\", \"{nij}\"]) {{ id }} node(id: \"{nij}\") {{ ... on Producer {{ publications(includeSubunits: true, first: 100) {{ totalCount nodes {{ id }} }} datasets(includeSubunits: true, first: 100) {{ totalCount nodes {{ id }} }} }} }} }}"
        ),
    ];
    let around: Vec<&str> = around.iter().map(String::as_str).collect();
    for (queries, fail) in [(EXACT, false), (&around[..], false), (ERRORS, true)] {
        for query in queries {
            let on_sqlite = comparable(sqlite.post(query, json!({})).await.json());
            assert_eq!(on_sqlite["errors"].is_array(), fail, "{query}: {on_sqlite}");
            let on_postgres = comparable(postgres.post(query, json!({})).await.json());
            assert_eq!(on_sqlite, on_postgres, "{query}");
        }
    }
    for query in SEARCHES {
        let on_sqlite = sqlite.post(query, json!({})).await.json();
        let on_postgres = postgres.post(query, json!({})).await.json();
        let (count, hits) = hit_set(&on_sqlite);
        assert!(!hits.is_empty(), "{query} finds something: {on_sqlite}");
        assert_eq!((count, hits), hit_set(&on_postgres), "{query}");
    }
    // What each stored: both exports, byte for byte.
    let exports = exports([&sqlite, &postgres]).await;
    assert!(exports[0].0.contains("X-3") && exports[0].1.contains("216547"));
    assert!(exports[0] == exports[1], "the exports differ");
    sqlite.finish().await;
    postgres.finish().await;
}

/// The real justice.gov catalog imported into both: the same graph stored (the same exports),
/// the same facets and stats over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_catalog_is_stored_alike() {
    let Some(text) = real_catalog() else { return };
    let Some((sqlite, postgres)) = both_apps().await else {
        return;
    };
    for app in [&sqlite, &postgres] {
        studygraph::import::dcat::import_str(&app.db, "justice.json", &text)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
    }
    let exports = exports([&sqlite, &postgres]).await;
    assert!(exports[0].0.lines().count() > 3287);
    assert!(exports[0] == exports[1], "the exports differ");
    for query in [
        "{ datasets(first: 100, orderBy: [{field: RELEASED_ON, direction: DESC}]) { totalCount nodes { id studyNumber releasedOn { iso } } facets { subjects(first: 50) { key count } producers(first: 50, level: 1) { key label count } } } }",
        "{ datasetStats(groupBy: [RELEASE_YEAR, PRODUCER], limit: 500) { keys { key label } count } }",
        "{ producers(first: 100, orderBy: [{field: DATASET_COUNT, direction: DESC}]) { nodes { id name fullName } } }",
    ] {
        let on_sqlite = comparable(sqlite.post(query, json!({})).await.json());
        assert!(on_sqlite["errors"].is_null(), "{query}: {on_sqlite}");
        assert_eq!(
            on_sqlite,
            comparable(postgres.post(query, json!({})).await.json()),
            "{query}"
        );
    }
    sqlite.finish().await;
    postgres.finish().await;
}

/// Every word of the demo data's titles and abstracts that PostgreSQL leaves out of a search
/// is one the query parser leaves out on both backends (see `db::search::is_stop_word`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_words_postgres_ignores_are_ignored_on_both() {
    let Some(postgres) = spawn_app(Backend::Postgres, true).await else {
        return;
    };
    let rows = postgres
        .sql_rows(
            "SELECT DISTINCT w FROM (SELECT regexp_split_to_table(lower(title || ' ' || \
             coalesce(abstract, '')), '[^[:alnum:]]+') AS w FROM publication) words \
             WHERE w <> '' AND numnode(plainto_tsquery('english', w)) = 0",
        )
        .await;
    let ignored: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("", "w").unwrap())
        .collect();
    assert!(
        ignored.len() > 20 && ignored.iter().any(|w| w == "the"),
        "{ignored:?}"
    );
    let kept: Vec<&String> = ignored
        .iter()
        .filter(|w| !studygraph::db::search::is_stop_word(w))
        .collect();
    assert!(
        kept.is_empty(),
        "PostgreSQL ignores these, the parser does not: {kept:?}"
    );
    postgres.finish().await;
}
