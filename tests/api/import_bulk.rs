//! The bulk native import (`import_files` without `--skip-invalid`) stores exactly what the
//! per-record path stores, counts the same, re-imports to nothing new, and still stops at a bad
//! line with nothing written.

use studygraph::export::write_native;
use studygraph::generate::{GenerateOptions, write_graph};
use studygraph::import::native::{ImportOptions, import_files, import_str};

use sea_orm::ConnectionTrait;

use crate::helpers::{Backend, TestApp, real_catalog, spawn_app};
use crate::on_both_backends_empty;

on_both_backends_empty!(
    bulk_matches_the_per_record_path,
    bulk_bad_link_names_its_line,
    bulk_refuses_a_field_given_twice,
    an_unreadable_file_stops_the_run_with_nothing_written
);

fn graph() -> String {
    let options = GenerateOptions {
        publications: 2_000,
        datasets: 400,
        producers: 100,
        links: 4_000,
        seed: 7,
    };
    let mut out = Vec::new();
    write_graph(&options, &mut out).expect("generate");
    String::from_utf8(out).expect("UTF-8")
}

fn temp_file(text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "studygraph-bulk-{}.jsonl",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, text).expect("write the graph");
    path
}

async fn export(app: &TestApp) -> String {
    let mut out = Vec::new();
    write_native(&app.db, &mut out).await.expect("export");
    String::from_utf8(out).expect("UTF-8")
}

/// How many records a few searches find, per table.
async fn searches(app: &TestApp) -> Vec<i64> {
    use studygraph::db::pages::Table;
    use studygraph::db::search::{SearchQuery, count_all};
    let mut counts = Vec::new();
    for text in [
        "crime",
        "justice",
        "survey",
        "data",
        "police OR court",
        "SYN",
    ] {
        let query = SearchQuery::parse(text).expect("a search");
        for table in [Table::Publication, Table::Dataset, Table::Producer] {
            counts.push(
                count_all(&app.db.conn, &query, &[table])
                    .await
                    .expect("search"),
            );
        }
    }
    counts
}

/// Every stored PostgreSQL search vector, by natural key (nothing on SQLite).
async fn vectors(app: &TestApp) -> Vec<String> {
    if backend_of(app) != Backend::Postgres {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (table, key) in [("publication", "ncj_number"), ("dataset", "study_number")] {
        let sql = format!(
            "SELECT {key} AS k, CAST(search_vector AS TEXT) AS v FROM {table} ORDER BY {key}"
        );
        for row in app.sql_rows(sql).await {
            let key: Option<String> = row.try_get("", "k").unwrap();
            let vector: Option<String> = row.try_get("", "v").unwrap();
            out.push(format!("{key:?} {vector:?}"));
        }
    }
    out
}

fn backend_of(app: &TestApp) -> Backend {
    match app.db.conn.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// The generated graph with some texts PostgreSQL's vectors cannot be assembled for (a tag in
/// every third publication's abstract, a title starting with `~` in every fifth), so that a
/// bulk batch holds rows of every kind of vector source.
fn graph_with_unassembled_texts() -> String {
    let mut publications = 0;
    let mut out = String::new();
    for line in graph().lines() {
        let mut record: serde_json::Value = serde_json::from_str(line).expect("a record");
        if record["type"] == "publication" {
            publications += 1;
            if publications % 3 == 0 {
                let abstract_ = record["abstract"].as_str().unwrap_or("").to_owned();
                record["abstract"] = format!("{abstract_} <em>tagged</em> text").into();
            }
            if publications % 5 == 0 {
                let title = record["title"].as_str().expect("a title").to_owned();
                record["title"] = format!("~{title}").into();
            }
        }
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

async fn bulk_matches_the_per_record_path(app: &TestApp) {
    let text = graph_with_unassembled_texts();
    let path = temp_file(&text);
    let files = [path.clone()];
    let bulk = import_files(&app.db, &files, ImportOptions::default())
        .await
        .expect("bulk import");
    assert!(bulk.rejected.is_empty());
    assert_eq!(bulk.summary.publications, 2_000);
    assert_eq!(bulk.summary.datasets, 400);
    assert!(bulk.summary.links > 0 && bulk.summary.producers > 0);

    let other = spawn_app(backend_of(app), false)
        .await
        .expect("a second database");
    let per_record = import_str(&other.db, "graph.jsonl", &text)
        .await
        .expect("per-record import");
    assert_eq!(bulk.summary, per_record);
    let (bulk_out, per_record_out) = (export(app).await, export(&other).await);
    let (bulk_found, per_record_found) = (searches(app).await, searches(&other).await);
    let (bulk_vectors, per_record_vectors) = (vectors(app).await, vectors(&other).await);
    let (bulk_unlisted, per_record_unlisted) =
        (app.unlisted_lexemes().await, other.unlisted_lexemes().await);
    other.finish().await;
    assert_eq!(
        (bulk_unlisted, per_record_unlisted),
        (vec![], vec![]),
        "every lexeme of a stored vector is listed for searches' prefix words, however the \
         vector was made"
    );
    assert!(
        bulk_vectors == per_record_vectors,
        "the stored search vectors differ (a bulk batch's are assembled, computed on another \
         connection, or computed by the insert)"
    );
    assert_eq!(bulk_found, per_record_found, "the search indexes agree");
    assert!(
        bulk_found.iter().any(|n| *n > 0),
        "the search index is filled"
    );
    assert!(
        bulk_out == per_record_out,
        "the bulk and per-record imports export differently"
    );

    let again = import_files(&app.db, &files, ImportOptions::default())
        .await
        .expect("re-import");
    assert_eq!(
        again.summary,
        Default::default(),
        "nothing new on a re-import"
    );
    assert!(export(app).await == bulk_out, "a re-import changes nothing");
    let _ = std::fs::remove_file(path);
}

async fn bulk_bad_link_names_its_line(app: &TestApp) {
    let empty = export(app).await;
    let text = graph();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Break one link in the middle of the link batches.
    let links: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(r#""type":"link""#))
        .map(|(i, _)| i)
        .collect();
    assert!(!links.is_empty(), "the graph has links");
    let bad = links[links.len() / 2];
    let mut record: serde_json::Value = serde_json::from_str(&lines[bad]).unwrap();
    record["dataset"] = serde_json::json!({ "studyNumber": "99999999" });
    lines[bad] = record.to_string();
    let path = temp_file(&(lines.join("\n") + "\n"));
    let err = import_files(
        &app.db,
        std::slice::from_ref(&path),
        ImportOptions::default(),
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    let expected = format!(
        "{}:{}: dataset.studyNumber: no dataset \"99999999\"",
        path.display(),
        bad + 1
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(export(app).await == empty, "nothing was written");
    let _ = std::fs::remove_file(path);
}

/// A record that gives a field twice stops a bulk run too (the reading thread parses it), named
/// by its line and field, with nothing written.
async fn bulk_refuses_a_field_given_twice(app: &TestApp) {
    let text = [
        r#"{"type":"producer","name":"Agency"}"#,
        r#"{"type":"publication","ncjNumber":"1","title":"Fine"}"#,
        r#"{"type":"publication","ncjNumber":"2","title":"a","title":"b"}"#,
    ]
    .join("\n");
    let path = temp_file(&text);
    let err = import_files(
        &app.db,
        std::slice::from_ref(&path),
        ImportOptions::default(),
    )
    .await
    .unwrap_err();
    let expected = format!("{}:3: title: field given twice", path.display());
    assert_eq!(err.to_string(), expected);
    let data = app
        .data("{ producers { totalCount } publications { totalCount } }")
        .await;
    assert_eq!(
        data,
        serde_json::json!({ "producers": { "totalCount": 0 }, "publications": { "totalCount": 0 } })
    );
    let _ = std::fs::remove_file(path);
}

/// Files are read on a thread of their own: a file that cannot be read after a good one still
/// stops the run, names the file, and leaves nothing of the good one behind.
async fn an_unreadable_file_stops_the_run_with_nothing_written(app: &TestApp) {
    let empty = export(app).await;
    let good = temp_file(&graph());
    let missing = std::env::temp_dir().join("studygraph-no-such-file.jsonl");
    for skip_invalid in [false, true] {
        let err = import_files(
            &app.db,
            &[good.clone(), missing.clone()],
            ImportOptions { skip_invalid },
        )
        .await
        .unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with(&format!("cannot read {}", missing.display())),
            "{message}"
        );
        assert!(export(app).await == empty, "nothing was written");
    }
    let _ = std::fs::remove_file(good);
}

/// The real justice.gov catalog's titles, descriptions and keywords, or nothing (skip) when it
/// is missing outside CI.
fn real_catalog_texts() -> Vec<String> {
    let Some(text) = real_catalog() else {
        return Vec::new();
    };
    let catalog: serde_json::Value = serde_json::from_str(&text).expect("the catalog is JSON");
    let mut texts = Vec::new();
    for dataset in catalog["dataset"].as_array().expect("a dataset array") {
        for field in ["title", "description"] {
            if let Some(text) = dataset[field].as_str() {
                texts.push(text.to_owned());
            }
        }
        if let Some(keywords) = dataset["keyword"].as_array() {
            let words: Vec<&str> = keywords.iter().filter_map(|k| k.as_str()).collect();
            texts.push(words.join(" "));
        }
    }
    texts
}

/// Texts written to trip a tokenizer: hyphens, apostrophes, hosts, paths, e-mail addresses,
/// numbers of every kind, punctuation against words, repeated words and stop words.
const AWKWARD: &[&str] = &[
    "",
    "   ",
    "the of and",
    "The co-use of U.S. data (2006-2010), e.g. 3.5 \"human\" trafficking",
    "children's rights; the courts' - rights' -5 +7 a--b. Courts! --x x-- -",
    "See https://www.ojp.gov/ncjrs/virtual-library/abstracts/216547 or nij.ojp.gov/topics.",
    "Contact askncjrs@ncjrs.gov, or write to /usr/local/share/data.csv and C:\\data\\x.sav",
    "Version 1.2.3, 1,000 cases, 12.5% of 3e5 arrests, 1990s, 2nd wave, ICPSR20423, v2.",
    "Wave 1 - 2 -- 3 ... 4 : 5 ; 6 (7) [8] {9} #10 $11 &12 *13 =14 ~15 `16 ^17 |18 _19",
    "Intimate-partner violence-related re-arrest co-occurring self-reported post-release",
    "Caf\u{e9} na\u{ef}ve r\u{e9}sum\u{e9} \u{c5}ngstr\u{f6}m stra\u{df}e \u{201c}quoted\u{201d} \u{2014} dash",
    "non\u{a0}breaking\u{a0}space and\u{2009}thin space, tabs\tand\nnewlines\r\nhere",
    "&amp; entities &lt; and &#39; numeric &#x27;",
    "trafficking trafficked traffickers traffic TRAFFICKING Trafficking",
    // How a text starts matters to the parser: each of these is its own text.
    "-5 below",
    "+7 above",
    "/usr/local path",
    "&amp; first",
    "_under score",
    "'quoted' start",
    "\"double\" start",
    "(aside) start",
    "#1 @home %x $5 *star",
    " ~15 after a space",
    "\t.5 after a tab",
];

/// Texts holding a tag, which the lexicon leaves to PostgreSQL.
/// Texts left to PostgreSQL: a tag anywhere, `~` or `.` first.
const LEFT_TO_POSTGRES: &[&str] = &[
    "a <b>bold</b> claim",
    "1 < 2 and 3 > 2",
    "<!-- note --> text",
    "~15 first",
    ".5 first",
    "...and so on",
];

/// Every vector the bulk importer assembles from PostgreSQL's own parse of each chunk equals
/// `to_tsvector('english', ...)` of the whole text: for awkward hand-written texts, the
/// generated graph's titles and bodies, and the real justice.gov catalog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assembled_search_vectors_equal_postgres_own() {
    use studygraph::import::vectors::Lexicon;
    let Some(app) = spawn_app(Backend::Postgres, false).await else {
        return;
    };
    let generated: Vec<String> = graph()
        .lines()
        .flat_map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a record");
            let fields = ["title", "subtitle", "abstract", "summary", "ncjNumber"];
            let parts: Vec<String> = fields
                .iter()
                .filter_map(|f| record[f].as_str().map(str::to_owned))
                .collect();
            let whole = parts.join(" ");
            parts.into_iter().chain([whole])
        })
        .collect();
    let real = real_catalog_texts();
    let groups: [(&str, Vec<String>); 4] = [
        ("awkward", AWKWARD.iter().map(|t| t.to_string()).collect()),
        (
            "left",
            LEFT_TO_POSTGRES.iter().map(|t| t.to_string()).collect(),
        ),
        ("generated", generated),
        ("real catalog", real),
    ];
    let mut lexicon = Lexicon::default();
    for (group, texts) in &groups {
        lexicon
            .learn(&app.db.conn, texts.iter().map(String::as_str))
            .await
            .expect("look the chunks up");
        let assembled: Vec<Option<String>> = texts.iter().map(|t| lexicon.vector(t)).collect();
        let sql = "SELECT u.n, CAST(to_tsvector('english', u.t) AS TEXT) AS own, \
              to_tsvector('english', u.t) = CAST(a.v AS tsvector) AS same \
            FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS u(t, n) \
            JOIN (SELECT j #>> '{}' AS v, n FROM jsonb_array_elements($2::jsonb) \
                  WITH ORDINALITY AS e(j, n)) AS a ON a.n = u.n \
            ORDER BY u.n";
        let statement = sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            sql,
            [
                serde_json::json!(texts).into(),
                serde_json::json!(assembled).into(),
            ],
        );
        let rows = app.db.conn.query_all_raw(statement).await.expect("compare");
        assert_eq!(rows.len(), texts.len());
        let mut count = 0;
        for (row, (text, mine)) in rows.iter().zip(texts.iter().zip(&assembled)) {
            let own: String = row.try_get("", "own").unwrap();
            let same: Option<bool> = row.try_get("", "same").unwrap();
            if let Some(mine) = mine {
                count += 1;
                assert_eq!(
                    same,
                    Some(true),
                    "{group}: {text:?}\n  assembled: {mine}\n  PostgreSQL: {own}"
                );
            }
        }
        eprintln!("{group}: {count} of {} texts assembled", texts.len());
        match *group {
            "left" => assert_eq!(count, 0, "these texts are left to PostgreSQL"),
            "real catalog" => assert!(
                texts.is_empty() || count * 10 >= texts.len() * 9,
                "most real texts are assembled ({count} of {})",
                texts.len()
            ),
            _ => assert_eq!(count, texts.len(), "{group}: every text is assembled"),
        }
    }
    app.finish().await;
}

/// A role that may read and write the tables but does not own them (a deployment that keeps
/// the schema to the migrating role) imports in bulk: merging the search indexes' pending
/// entries, which only their owner may do, is left to autovacuum for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_only_writes_imports_in_bulk() {
    let Some(app) = spawn_app(Backend::Postgres, false).await else {
        return;
    };
    let role = format!("studygraph_writer_{}", uuid::Uuid::new_v4().simple());
    for sql in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
    ] {
        app.db.conn.execute_unprepared(&sql).await.expect(&sql);
    }
    let mut url = url::Url::parse(&app.url).expect("the test database's URL");
    url.set_username(&role).expect("a user name");
    let _ = url.set_password(None);
    let writer = studygraph::db::Db::connect(url.as_str())
        .await
        .expect("connect as the writing role");
    let path = temp_file(&graph());
    let outcome = import_files(
        &writer,
        std::slice::from_ref(&path),
        ImportOptions::default(),
    )
    .await;
    writer.conn.close_by_ref().await.ok();
    for sql in [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")] {
        app.db.conn.execute_unprepared(&sql).await.expect(&sql);
    }
    let outcome = outcome.expect("a role that only writes imports");
    assert_eq!(outcome.summary.publications, 2_000);
    let found = searches(&app).await;
    assert!(found.iter().any(|n| *n > 0), "what it imported is found");
    let _ = std::fs::remove_file(path);
    app.finish().await;
}

/// SQLite's indexes as its schema holds them: name, SQL and root page. An index built again
/// gets a new root page (after the pages of the rows written before it); one kept keeps its.
async fn sqlite_indexes(app: &TestApp) -> Vec<(String, String, i64)> {
    let rows = app
        .db
        .conn
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT name, coalesce(sql, '') AS sql, rootpage FROM sqlite_master \
             WHERE type = 'index' ORDER BY name",
        ))
        .await
        .expect("the schema");
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "name").unwrap(),
                row.try_get("", "sql").unwrap(),
                row.try_get("", "rootpage").unwrap(),
            )
        })
        .collect()
}

/// The names of the indexes whose root page moved between `before` and `after`, which must
/// otherwise be the same indexes with the same SQL.
fn rebuilt(before: &[(String, String, i64)], after: &[(String, String, i64)]) -> Vec<String> {
    let definitions = |indexes: &[(String, String, i64)]| -> Vec<(String, String)> {
        indexes
            .iter()
            .map(|(name, sql, _)| (name.clone(), sql.clone()))
            .collect()
    };
    assert_eq!(
        definitions(before),
        definitions(after),
        "the same indexes, as the migrations made them"
    );
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b.2 != a.2)
        .map(|(b, _)| b.0.clone())
        .collect()
}

/// Imports one file in bulk (the run stops at its first bad record).
async fn import_one(
    app: &TestApp,
    path: &std::path::Path,
) -> anyhow::Result<studygraph::import::native::Outcome> {
    import_files(&app.db, &[path.to_owned()], ImportOptions::default()).await
}

fn generated(publications: usize, links: usize) -> String {
    let options = GenerateOptions {
        publications,
        datasets: 400,
        producers: 100,
        links,
        seed: 7,
    };
    let mut out = Vec::new();
    write_graph(&options, &mut out).expect("generate");
    String::from_utf8(out).expect("UTF-8")
}

async fn integrity(app: &TestApp) -> String {
    let row = app
        .db
        .conn
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .expect("integrity check")
        .expect("a row");
    row.try_get_by_index(0).unwrap()
}

/// A large SQLite run drops the indexes its records reach at random (by date, title, subject,
/// producer, dataset) once it has written a full batch of a kind, and builds them again, the
/// same, before it commits; indexes its rows reach in order (by id, by owner), those it looks
/// titles up by, unique ones, and those of a kind it wrote little of stay. A run that fails
/// after the drop leaves every index as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_sqlite_run_builds_the_indexes_it_reaches_at_random_once() {
    let app = spawn_app(Backend::Sqlite, false)
        .await
        .expect("SQLite always runs");
    let text = generated(5_000, 5_000);
    let before = sqlite_indexes(&app).await;

    // A bad last line: the run stops after both groups dropped their indexes.
    let broken = format!(
        "{text}{}\n",
        r#"{"type":"link","publication":{"ncjNumber":"SYN-P0000001"},"dataset":{"studyNumber":"none"},"relationType":"REFERENCES"}"#
    );
    let path = temp_file(&broken);
    let err = import_one(&app, &path).await.unwrap_err();
    assert!(err.to_string().contains("no dataset \"none\""), "{err}");
    assert_eq!(
        sqlite_indexes(&app).await,
        before,
        "a failed run keeps every index"
    );
    assert_eq!(export(&app).await.lines().count(), 0, "nothing was written");
    let _ = std::fs::remove_file(path);

    let path = temp_file(&text);
    let outcome = import_one(&app, &path).await.expect("import");
    assert_eq!(
        (outcome.summary.publications, outcome.summary.links),
        (5_000, 5_000)
    );
    let after = sqlite_indexes(&app).await;
    assert_eq!(
        rebuilt(&before, &after),
        [
            "publication_author_value_publication_id_idx",
            "publication_dataset_dataset_id_publication_id_idx",
            "publication_facet_cover_idx",
            "publication_producer_producer_id_publication_id_idx",
            "publication_published_title_idx",
            "publication_subject_value_publication_id_idx",
        ]
    );
    assert_eq!(integrity(&app).await, "ok", "every index holds its rows");
    let _ = std::fs::remove_file(path);
    app.finish().await;
}

/// A run that writes fewer rows than its tables hold keeps their indexes (building them again
/// would read every row already there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_run_smaller_than_its_tables_keeps_their_indexes() {
    let app = spawn_app(Backend::Sqlite, false)
        .await
        .expect("SQLite always runs");
    let first = temp_file(&generated(6_000, 6_000));
    import_one(&app, &first).await.expect("first import");
    let before = sqlite_indexes(&app).await;
    // Other publications (new keys) and their links: a full batch of each, fewer than stored.
    let second = generated(5_000, 5_000)
        .replace("\"SYN-P", "\"SYN-Q")
        .replace("/syn.p.", "/syn.q.");
    let second = temp_file(&second);
    let outcome = import_one(&app, &second).await.expect("second import");
    assert_eq!(
        (outcome.summary.publications, outcome.summary.links),
        (5_000, 5_000)
    );
    assert_eq!(
        rebuilt(&before, &sqlite_indexes(&app).await),
        Vec::<String>::new()
    );
    assert_eq!(integrity(&app).await, "ok");
    let _ = std::fs::remove_file(first);
    let _ = std::fs::remove_file(second);
    app.finish().await;
}
