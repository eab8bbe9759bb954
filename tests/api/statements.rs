//! Batching: how many SQL statements a nested query costs must not depend on page sizes —
//! one per relationship level, plus counts.

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    report_query_costs_the_same_at_any_page_size,
    list_query_costs_one_statement_per_level,
    long_texts_are_read_with_a_list_only_when_asked,
    credited_producers_parents_come_with_the_credits,
    credits_come_with_the_rows_that_show_them,
    a_page_counts_its_list_in_the_same_statement,
    column_facets_and_the_count_are_one_statement_beside_the_page
);

/// SQLite answers a date range with a title substring (the count `publishedFrom` +
/// `publishedBefore` + `titleContains` writes) from a covering index, not from the wide rows.
#[tokio::test]
async fn date_range_with_title_substring_reads_an_index_alone() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, true)
        .await
        .expect("SQLite needs no set-up");
    // One connection, after a read: a pooled connection that cached the schema before the
    // migrations would explain with the old indexes (EXPLAIN does not check the schema).
    let txn = sea_orm::TransactionTrait::begin(&app.db.conn)
        .await
        .unwrap();
    let sqlite = |sql: &str| sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, sql);
    sea_orm::ConnectionTrait::query_all_raw(&txn, sqlite("SELECT COUNT(*) FROM publication"))
        .await
        .unwrap();
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &txn,
        sqlite(
            r"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM publication t WHERE 1 = 1
              AND (t.published_key >= 20060101 AND t.published_key < 20070101)
              AND t.title_key LIKE '%traffick%' ESCAPE '\'",
        ),
    )
    .await
    .unwrap();
    let plan: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "detail").unwrap())
        .collect();
    assert!(
        plan.iter()
            .any(|l| l.contains("COVERING INDEX publication_published_title_idx")),
        "{plan:?}"
    );
    drop(txn);
    app.finish().await;
}

fn report_query(n: usize) -> String {
    format!(
        r#"{{ publication(ncjNumber: "216547") {{
            title publishedOn {{ iso text }} physicalDescription placeOfProduction
            producers {{ role producer {{ name fullName ancestors {{ name }} }} }}
            relatedDatasets(first: {n}) {{ totalCount edges {{ relationType source node {{
              studyNumber doi title
              producers {{ role producer {{ name }} }}
              relatedPublications(first: {n}) {{ totalCount nodes {{ title }} }} }} }} }} }} }}"#
    )
}

async fn report_query_costs_the_same_at_any_page_size(app: &TestApp) {
    let small = app.statements_for(&report_query(5)).await;
    let large = app.statements_for(&report_query(50)).await;
    assert_eq!(small, large, "statements with first: 5 and first: 50");
    // The publication with its credits; the producers' ancestors; related datasets with
    // their credits and count; their publications and count (the report relates to one
    // dataset: a page of one parent counts its list in the same statement).
    assert_eq!(small, 4, "{small} statements (README says 4)");
}

fn list_query(n: usize) -> String {
    format!(
        r#"{{ publications(first: {n}) {{ totalCount nodes {{
              title authors subjects
              producers {{ role producer {{ name parent {{ name }} }} }}
              relatedDatasets(first: {n}) {{ totalCount nodes {{
                title subjects
                producers {{ producer {{ name }} }}
                relatedPublications(first: {n}) {{ totalCount nodes {{ title producers {{ role }} }} }} }} }} }} }} }}"#
    )
}

async fn list_query_costs_one_statement_per_level(app: &TestApp) {
    let small = app.statements_for(&list_query(5)).await;
    let large = app.statements_for(&list_query(30)).await;
    assert_eq!(small, large, "statements with first: 5 and first: 30");
    // Levels: publications + count; authors; subjects; credits; parents; related datasets +
    // count; their subjects; their credits; their publications + count; those credits.
    assert!(small <= 15, "{small} statements");
    let data = app.data(&list_query(30)).await;
    let nodes = data["publications"]["nodes"].as_array().unwrap();
    assert!(nodes.len() > 20, "the large page really has many parents");
}

/// Abstracts and summaries: a list reads them in its page statement when a node asks for them
/// (also through a fragment), leaves them out otherwise, and a node that got its row without
/// them still answers the stored text (one batched read).
async fn long_texts_are_read_with_a_list_only_when_asked(app: &TestApp) {
    let listed = app
        .data("{ publications(first: 50) { nodes { id abstract } } }")
        .await;
    let nodes = listed["publications"]["nodes"].as_array().unwrap();
    assert!(nodes.iter().filter(|n| n["abstract"].is_string()).count() > 10);
    for node in nodes {
        let id = node["id"].as_str().unwrap();
        let detail = app
            .data(&format!(
                r#"{{ node(id: "{id}") {{ ... on Publication {{ abstract }} }} }}"#
            ))
            .await;
        assert_eq!(node["abstract"], detail["node"]["abstract"], "{id}");
    }
    let through_fragment = app
        .data(
            "{ publications(first: 50) { nodes { id ...Text } } }
             fragment Text on Publication { abstract }",
        )
        .await;
    assert_eq!(through_fragment, listed);
    for query in [
        "{ publications(first: 50) { nodes { title } } }",
        "{ publications(first: 50) { nodes { title abstract } } }",
        "{ publications(first: 50) { edges { node { title abstract } } } }",
        "{ datasets(first: 50) { nodes { title summary } } }",
    ] {
        assert_eq!(app.statements_for(query).await, 1, "{query}");
    }
    // Summaries of datasets listed without them, asked for one level down.
    let nested = app
        .data(
            "{ datasets(first: 50) { nodes { id
                 relatedPublications(first: 3) { nodes { datasets: relatedDatasets(first: 3) {
                   nodes { id summary } } } } } } }",
        )
        .await;
    let mut checked = 0;
    for dataset in nested["datasets"]["nodes"].as_array().unwrap() {
        for publication in dataset["relatedPublications"]["nodes"].as_array().unwrap() {
            for node in publication["datasets"]["nodes"].as_array().unwrap() {
                let id = node["id"].as_str().unwrap();
                let detail = app
                    .data(&format!(
                        r#"{{ node(id: "{id}") {{ ... on Dataset {{ summary }} }} }}"#
                    ))
                    .await;
                assert_eq!(node["summary"], detail["node"]["summary"], "{id}");
                checked += 1;
            }
        }
    }
    assert!(checked > 5, "{checked} nested datasets checked");
}

/// A credited producer's parent is read by the credits' statement when the query shows it, and
/// is the producer the `parent` field names anywhere else.
async fn credited_producers_parents_come_with_the_credits(app: &TestApp) {
    let shown = r#"{ publication(ncjNumber: "216547") {
        producers { role producer { id name parent { id name } } } } }"#;
    // The publication, its credits and their parents: one statement.
    assert_eq!(app.statements_for(shown).await, 1);
    // Values (a parent's own parent is read by id: it was not read along).
    let query = r#"{ publication(ncjNumber: "216547") {
        producers { role producer { id name parent { id name parent { id } } } } } }"#;
    let data = app.data(query).await;
    let credits = data["publication"]["producers"].as_array().unwrap();
    let mut with_parent = 0;
    for credit in credits {
        let producer = &credit["producer"];
        let id = producer["id"].as_str().unwrap();
        let alone = app
            .data(&format!(
                r#"{{ node(id: "{id}") {{ ... on Producer {{ parent {{ id name parent {{ id }} }} }} }} }}"#
            ))
            .await;
        assert_eq!(producer["parent"], alone["node"]["parent"], "{id}");
        with_parent += usize::from(!producer["parent"].is_null());
    }
    assert!(
        with_parent > 0,
        "NIJ is credited, and it has a parent: {credits:?}"
    );
    // Without `parent` in the query the credits statement does not join the parents.
    let plain = r#"{ publication(ncjNumber: "216547") { producers { producer { name } } } }"#;
    assert_eq!(app.statements_for(plain).await, 1);
}

/// Every `{ id producers }` object in `value`, by id.
fn shown_credits(value: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
    match value {
        serde_json::Value::Object(object) => {
            if let (Some(id), Some(producers)) = (object.get("id"), object.get("producers")) {
                out.push((id.as_str().unwrap().to_owned(), producers.clone()));
            }
            object.values().for_each(|v| shown_credits(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| shown_credits(v, out)),
        _ => {}
    }
}

/// Producers shown on the records of a page (any shape: a whole list, each of many parents'
/// link pages, a search page, a backward page) or of a lookup come with those records' rows,
/// and are what a record's own `producers` field gives when read alone.
async fn credits_come_with_the_rows_that_show_them(app: &TestApp) {
    const CREDITS: &str = "producers { role producer { id name parent { id name } } }";
    let cases = [
        (format!("{{ publications(first: 50) {{ nodes {{ id {CREDITS} }} }} }}"), Some(1)),
        (
            format!("{{ publications(last: 7) {{ edges {{ node {{ id {CREDITS} }} }} }} }}"),
            Some(1),
        ),
        (
            "{ datasets(first: 20) { nodes { id producers { role producer { id name } }
                 relatedPublications(first: 20) { nodes { id producers { role producer { name } } } } } } }"
                .to_owned(),
            Some(2),
        ),
        (
            format!(
                "{{ producers(first: 20) {{ nodes {{ publications(first: 5) {{ nodes {{ id {CREDITS} }} }}
                     datasets(first: 5) {{ nodes {{ id {CREDITS} }} }} }} }} }}"
            ),
            Some(3),
        ),
        (
            format!(r#"{{ publications(search: "trafficking", first: 10) {{ nodes {{ id {CREDITS} }} }} }}"#),
            None,
        ),
        (
            format!(r#"{{ publication(ncjNumber: "216547") {{ id {CREDITS} }} }}"#),
            Some(1),
        ),
    ];
    let mut checked = 0;
    for (query, statements) in &cases {
        if let Some(expected) = statements {
            assert_eq!(app.statements_for(query).await, *expected, "{query}");
        }
        let mut shown = Vec::new();
        shown_credits(&app.data(query).await, &mut shown);
        assert!(!shown.is_empty(), "{query}");
        for (id, producers) in shown {
            let fields = if producers
                .as_array()
                .unwrap()
                .first()
                .is_some_and(|c| c["producer"].get("parent").is_some())
            {
                "role producer { id name parent { id name } }"
            } else if producers
                .as_array()
                .unwrap()
                .first()
                .is_some_and(|c| c["producer"].get("id").is_some())
            {
                "role producer { id name }"
            } else {
                "role producer { name }"
            };
            let alone = app
                .data(&format!(
                    r#"{{ node(id: "{id}") {{ ... on Publication {{ producers {{ {fields} }} }}
                         ... on Dataset {{ producers {{ {fields} }} }} }} }}"#
                ))
                .await;
            assert_eq!(producers, alone["node"]["producers"], "{id} in {query}");
            checked += usize::from(!producers.as_array().unwrap().is_empty());
        }
    }
    assert!(checked > 50, "{checked} records with credits compared");
    // Pages whose rows carry credits keep their order (with nulls, ties and backward reads).
    for order in [
        "orderBy: [{field: PUBLISHED_ON, direction: DESC}], last: 30",
        "orderBy: [{field: RELATED_DATASET_COUNT, direction: ASC}, {field: TITLE, direction: DESC}], first: 40",
    ] {
        let ids = |data: serde_json::Value| -> Vec<serde_json::Value> {
            data["publications"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone())
                .collect()
        };
        let plain = ids(app
            .data(&format!("{{ publications({order}) {{ nodes {{ id }} }} }}"))
            .await);
        let carrying = ids(app
            .data(&format!(
                "{{ publications({order}) {{ nodes {{ id producers {{ role }} }} }} }}"
            ))
            .await);
        assert!(plain.len() >= 30, "{order}: {} nodes", plain.len());
        assert_eq!(plain, carrying, "{order}");
    }
    // A record that shows its producers twice (aliases) gets the same credits both times.
    let twice = app
        .data(
            "{ publications(first: 30) { nodes { a: producers { role producer { id } }
                 b: producers { role producer { id } } } } }",
        )
        .await;
    for node in twice["publications"]["nodes"].as_array().unwrap() {
        assert_eq!(node["a"], node["b"]);
    }
    // The same record's `id` lookup carries them too.
    let id = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let by_id = format!(r#"{{ publication(id: "{id}") {{ {CREDITS} }} }}"#);
    assert_eq!(app.statements_for(&by_id).await, 1);
}

/// The bundled SQLite is built (`.cargo/config.toml`) without the option that puts every
/// connection's page cache behind one global mutex and without allocation statistics: the
/// statements of one request run side by side instead of taking turns (measured in
/// bench/README.md, not timed here).
#[tokio::test]
async fn sqlite_connections_keep_their_own_page_caches() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, false)
        .await
        .expect("SQLite needs no set-up");
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.db.conn,
        sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, "PRAGMA compile_options"),
    )
    .await
    .unwrap();
    let options: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "{options:?}"
    );
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
    assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    app.finish().await;
}

/// PostgreSQL walks the "newest first" index for a searched list sorted by date descending
/// when its words are common (the first page is found after a few rows instead of sorting every
/// match), and still matches first when they are rare; each statement is planned for its own
/// words, which our statements allow by writing the search as a literal (`tsquery_literal`).
#[tokio::test]
async fn newest_first_pages_walk_the_date_index_on_postgres() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres, false).await
    else {
        return;
    };
    let options = studygraph::generate::GenerateOptions {
        publications: 4_000,
        datasets: 200,
        producers: 50,
        links: 2_000,
        seed: 3,
    };
    let mut graph = Vec::new();
    studygraph::generate::write_graph(&options, &mut graph).unwrap();
    studygraph::import::native::import_str(
        &app.db,
        "graph.jsonl",
        &String::from_utf8(graph).unwrap(),
    )
    .await
    .unwrap();
    let pg = |sql: String| sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql);
    sea_orm::ConnectionTrait::execute_raw(&app.db.conn, pg("ANALYZE publication".into()))
        .await
        .unwrap();
    let plan = |words: &str| {
        let query = studygraph::db::search::SearchQuery::parse(words).unwrap();
        pg(format!(
            "EXPLAIN SELECT t.id FROM publication t CROSS JOIN (SELECT {} AS q) sg_q \
             WHERE t.search_vector @@ sg_q.q AND t.published_key IS NOT NULL \
             ORDER BY t.published_key DESC NULLS LAST, t.id ASC NULLS LAST LIMIT 21",
            query.tsquery_literal()
        ))
    };
    let explain = |words: &'static str| {
        let app = &app;
        async move {
            let rows = sea_orm::ConnectionTrait::query_all_raw(&app.db.conn, plan(words))
                .await
                .unwrap();
            rows.iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    // The generator writes "crime" into most records, and no record has this made-up word.
    let common = explain("crime").await;
    assert!(common.contains("publication_newest_idx"), "{common}");
    let rare = explain("zzquokkaqq").await;
    assert!(!rare.contains("publication_newest_idx"), "{rare}");
    app.finish().await;
}

/// A connection that shows a page and `totalCount` costs one statement when it has one parent
/// (on PostgreSQL only without a filter or search: there two side by side plan better, and a
/// search's first page by relevance looks its words' lexemes up, reads its ranked matches in
/// two halves of the table's ids side by side, then the page's rows by id), and
/// the count is the one a count-only read gives (searches, filters, cursors, `first: 0`, a
/// nested list of one record); an empty page after a cursor still answers the count.
async fn a_page_counts_its_list_in_the_same_statement(app: &TestApp) {
    let postgres = app.db.conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let lists = [
        "publications",
        r#"publications(search: "trafficking")"#,
        r#"publications(filter: { publishedFrom: "2000" }, orderBy: [{field: TITLE, direction: DESC}])"#,
        "datasets",
        r#"datasets(search: "crime victims")"#,
    ];
    for list in lists {
        let (name, args) = match list.split_once('(') {
            Some((name, args)) => (name, format!("{}, ", args.trim_end_matches(')'))),
            None => (list, String::new()),
        };
        let count_only = app.data(&format!("{{ {list} {{ totalCount }} }}")).await;
        let expected = count_only[name]["totalCount"].as_i64().unwrap();
        assert!(expected > 0, "{list}");
        let first =
            format!("{{ {name}({args}first: 3) {{ totalCount pageInfo {{ endCursor }} }} }}");
        let filtered = list.contains('(');
        // On PostgreSQL a search also looks up the lexemes its words stand for.
        let searched = list.contains("search:");
        let statements = match (postgres, filtered, searched) {
            (true, _, true) => 4,
            (true, true, false) => 2,
            _ => 1,
        };
        assert_eq!(app.statements_for(&first).await, statements, "{first}");
        let page = app.data(&first).await;
        assert_eq!(page[name]["totalCount"], expected, "{first}");
        let none = format!("{{ {name}({args}first: 0) {{ totalCount nodes {{ id }} }} }}");
        assert_eq!(
            app.data(&none).await[name]["totalCount"],
            expected,
            "{none}"
        );
        let after = page[name]["pageInfo"]["endCursor"].as_str().unwrap();
        let next = format!(
            r#"{{ {name}({args}first: 3, after: "{after}") {{ totalCount pageInfo {{ endCursor }} }} }}"#
        );
        assert_eq!(
            app.data(&next).await[name]["totalCount"],
            expected,
            "{next}"
        );
        // Past the end: no row to carry the count, which is then read on its own.
        let all = format!("{{ {name}({args}last: 1) {{ pageInfo {{ endCursor }} }} }}");
        let last = app.data(&all).await[name]["pageInfo"]["endCursor"]
            .as_str()
            .unwrap()
            .to_owned();
        let past = format!(
            r#"{{ {name}({args}first: 3, after: "{last}") {{ totalCount nodes {{ id }} }} }}"#
        );
        let data = app.data(&past).await;
        assert_eq!(data[name]["nodes"], serde_json::json!([]), "{past}");
        assert_eq!(data[name]["totalCount"], expected, "{past}");
    }
    // A nested list of one record.
    let nested = r#"{ publication(ncjNumber: "216547") {
        relatedDatasets(first: 1) { totalCount nodes { id } } } }"#;
    assert_eq!(
        app.statements_for(nested).await,
        2,
        "the publication, then its datasets"
    );
    let counted = r#"{ publication(ncjNumber: "216547") { relatedDatasets { totalCount } } }"#;
    assert_eq!(
        app.data(nested).await["publication"]["relatedDatasets"]["totalCount"],
        app.data(counted).await["publication"]["relatedDatasets"]["totalCount"]
    );
}

/// A facet's buckets as sorted `(key, count)` pairs.
fn buckets(facet: &serde_json::Value) -> Vec<(String, i64)> {
    sorted_counts(facet, |bucket| &bucket["key"])
}

/// One-dimension stats rows as sorted `(key, count)` pairs, comparable with [`buckets`].
fn stat_rows(rows: &serde_json::Value) -> Vec<(String, i64)> {
    sorted_counts(rows, |row| &row["keys"][0]["key"])
}

fn sorted_counts(
    items: &serde_json::Value,
    key: impl Fn(&serde_json::Value) -> &serde_json::Value,
) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let key = key(item).as_str().unwrap().to_owned();
            (key, item["count"].as_i64().unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The facets by a single-valued column (years, types, languages) and a whole list's
/// `totalCount` come from one statement, run beside the page's: two statements for a page with
/// its count and three such facets, on both backends (and the lookup of a search's lexemes on
/// PostgreSQL; a facet with a `first` keeps its limit;
/// other facets stay statements of their own). Each answer equals what `publicationStats`
/// counts by that dimension alone and the count a count-only read gives, for searched,
/// filtered and whole lists, for datasets, and for a nested list.
async fn column_facets_and_the_count_are_one_statement_beside_the_page(app: &TestApp) {
    let postgres = app.db.conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let facets = "years { key count } publicationTypes { key count } languages { key count }";
    for args in [
        "",
        r#"search: "human trafficking""#,
        r#"filter: { publishedFrom: "2000", publishedTo: "2010-06" }, orderBy: [{field: TITLE, direction: ASC}]"#,
    ] {
        let sep = if args.is_empty() { "" } else { ", " };
        let query = format!(
            "{{ publications({args}{sep}first: 3) {{ totalCount nodes {{ id }} facets {{ {facets} }} }} }}"
        );
        // On PostgreSQL a search's first page by relevance also looks up the lexemes its
        // words stand for and reads its ranked matches in two halves side by side; its page is
        // then read by id.
        let lookup = u64::from(args.contains("search:") && postgres);
        assert_eq!(app.statements_for(&query).await, 2 + 3 * lookup, "{query}");
        let list = app.data(&query).await["publications"].clone();
        let paren = if args.is_empty() {
            String::new()
        } else {
            format!("({args})")
        };
        let counted = app
            .data(&format!("{{ publications{paren} {{ totalCount }} }}"))
            .await;
        assert_eq!(
            list["totalCount"], counted["publications"]["totalCount"],
            "{query}"
        );
        assert!(list["totalCount"].as_i64().unwrap() > 0, "{query}");
        for (facet, dimension) in [
            ("years", "YEAR"),
            ("publicationTypes", "PUBLICATION_TYPE"),
            ("languages", "LANGUAGE"),
        ] {
            let stats_args = args.replace(", orderBy: [{field: TITLE, direction: ASC}]", "");
            let stats = app
                .data(&format!(
                    "{{ publicationStats(groupBy: [{dimension}]{sep}{stats_args}) {{ keys {{ key }} count }} }}"
                ))
                .await;
            assert_eq!(
                buckets(&list["facets"][facet]),
                stat_rows(&stats["publicationStats"]),
                "{facet} of {query}"
            );
        }
        // Only counts: one statement.
        let counts = format!("{{ publications{paren} {{ totalCount facets {{ {facets} }} }} }}");
        assert_eq!(app.statements_for(&counts).await, 1 + lookup, "{counts}");
        let only = app.data(&counts).await["publications"].clone();
        assert_eq!(only["totalCount"], list["totalCount"]);
        assert_eq!(only["facets"], list["facets"]);
    }
    // Facets of other kinds beside them: one more statement each, counted in SQL, until their
    // value indexes are built; then one statement reads the list's matches for all of them
    // (and, when the list is searched, for its column facets too).
    let mixed = r#"{ publications(first: 2) { totalCount nodes { id } facets {
        years { key count } subjects(first: 3) { key count } producers(first: 3) { key count } } } }"#;
    assert_eq!(app.statements_for(mixed).await, 4, "{mixed}");
    app.db.value_indexes().settled().await;
    assert_eq!(app.statements_for(mixed).await, 3, "{mixed}");
    let searched = mixed.replace("(first: 2)", r#"(search: "justice", first: 2)"#);
    app.data(&searched).await;
    app.db.value_indexes().settled().await;
    // PostgreSQL: the lexemes, two halves of the ranked matches (the page's and the facets'),
    // the page's rows.
    assert_eq!(
        app.statements_for(&searched).await,
        2 + 2 * u64::from(postgres),
        "{searched}"
    );
    // Datasets: release years and the count.
    let datasets =
        "{ datasets(first: 2) { totalCount nodes { id } facets { releaseYears { key count } } } }";
    assert_eq!(app.statements_for(datasets).await, 2);
    let data = app.data(datasets).await["datasets"].clone();
    let stats = app
        .data("{ datasetStats(groupBy: [RELEASE_YEAR]) { keys { key } count } }")
        .await;
    assert_eq!(
        buckets(&data["facets"]["releaseYears"]),
        stat_rows(&stats["datasetStats"])
    );
    let counted = app.data("{ datasets { totalCount } }").await;
    assert_eq!(data["totalCount"], counted["datasets"]["totalCount"]);
    // A nested list: the facets from one statement, its count from its own.
    let nested = r#"{ dataset(studyNumber: "20423") { id relatedPublications(first: 2) {
        totalCount nodes { id } facets { years { key count } languages { key count } } } } }"#;
    let data = app.data(nested).await["dataset"].clone();
    let list = &data["relatedPublications"];
    let id = data["id"].as_str().unwrap();
    let stats = app
        .data(&format!(
            r#"{{ publicationStats(groupBy: [YEAR], filter: {{ relatedToDatasetIds: ["{id}"] }}) {{ keys {{ key }} count }} }}"#
        ))
        .await;
    assert_eq!(
        buckets(&list["facets"]["years"]),
        stat_rows(&stats["publicationStats"])
    );
    let sum: i64 = buckets(&list["facets"]["languages"])
        .iter()
        .map(|(_, count)| count)
        .sum();
    assert_eq!(sum, list["totalCount"].as_i64().unwrap());
}
