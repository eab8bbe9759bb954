//! The bulk native import (`import_files` without `--skip-invalid`) stores exactly what the
//! per-record path stores, counts the same, re-imports to nothing new, and still stops at a bad
//! line with nothing written.

use studygraph::export::write_native;
use studygraph::generate::{GenerateOptions, write_graph};
use studygraph::import::native::{ImportOptions, import_files, import_str};

use sea_orm::ConnectionTrait;

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends_empty;

on_both_backends_empty!(
    bulk_matches_the_per_record_path,
    bulk_bad_link_names_its_line
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
        let rows = app
            .db
            .conn
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                sql,
            ))
            .await
            .expect("read the vectors");
        for row in rows {
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

async fn bulk_matches_the_per_record_path(app: &TestApp) {
    let text = graph();
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
    other.finish().await;
    assert!(
        bulk_vectors == per_record_vectors,
        "the stored search vectors differ (half of a bulk batch's are computed on another connection)"
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
