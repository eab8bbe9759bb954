//! The `import` command's run: files of different formats in one transaction (each file's
//! format guessed on its own), and `--skip-invalid`'s rejects file, written before the commit.

use std::path::{Path, PathBuf};

use studygraph::import::run::{RunOptions, import};

use crate::helpers::TestApp;
use crate::import_dcat::FIXTURE;
use crate::on_both_backends_empty;

on_both_backends_empty!(
    one_run_loads_a_catalog_records_and_a_link_sheet,
    rejects_that_cannot_be_written_load_nothing,
    rejects_never_overwrite_an_input_file,
    a_run_without_rejects_removes_an_earlier_rejects_file,
    a_line_that_is_not_utf8_is_rejected_with_its_number
);

/// A scratch directory for one test's files.
fn scratch() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("studygraph-run-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

/// `--skip-invalid` with its rejects written to `rejects`.
fn skipping(rejects: &Path) -> RunOptions {
    RunOptions {
        format: None,
        rejects: Some(rejects.to_owned()),
    }
}

async fn counts(app: &TestApp) -> serde_json::Value {
    app.data("{ publications { totalCount } datasets { totalCount } producers { totalCount } }")
        .await
}

/// A good line, a bad one and another good one.
const MIXED: &str = r#"{"type":"producer","name":"Agency"}
{"type":"publication","ncjNumber":"1","title":"Bad","publishedOn":"Oct 2006"}
{"type":"publication","ncjNumber":"2","title":"Good"}
"#;

/// A catalog, then native records crediting its producers, then a CSV sheet linking a record
/// of each: one run, each file in its own format; a bad last row loads none of them.
async fn one_run_loads_a_catalog_records_and_a_link_sheet(app: &TestApp) {
    let dir = scratch();
    let catalog = write(&dir, "catalog.json", FIXTURE);
    let records = write(
        &dir,
        "records.jsonl",
        r#"{"type":"publication","ncjNumber":"216547","title":"A report","producers":[{"producer":"DOJ > OJP > National Institute of Justice","role":"PRODUCER"}]}"#,
    );
    let bad_sheet = write(
        &dir,
        "bad.csv",
        "publication,dataset,relation_type\nNCJ 216547,10.3886/ICPSR20423.v1,REFERENCES\n216547,ICPSR 99999,REFERENCES\n",
    );
    let empty = counts(app).await;
    let err = import(
        &app.db,
        &[catalog.clone(), records.clone(), bad_sheet],
        &RunOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("bad.csv:3: dataset: "), "{err:#}");
    assert_eq!(
        counts(app).await,
        empty,
        "nothing of the three files was written"
    );

    let sheet = write(
        &dir,
        "links.csv",
        "publication,dataset,relation_type\nNCJ 216547,10.3886/ICPSR20423.v1,REFERENCES\n",
    );
    let outcome = import(&app.db, &[catalog, records, sheet], &RunOptions::default())
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(
        (
            outcome.summary.datasets,
            outcome.summary.publications,
            outcome.summary.links
        ),
        (3, 1, 1)
    );
    let data = app
        .data(
            r#"{ publication(ncjNumber: "216547") { producers { producer { abbreviation } }
                 relatedDatasets { edges { relationType node { doi } } } } }"#,
        )
        .await;
    assert_eq!(
        data["publication"],
        serde_json::json!({ "producers": [{ "producer": { "abbreviation": null } }],
            "relatedDatasets": { "edges": [{ "relationType": "REFERENCES", "node": { "doi": "10.3886/ICPSR20423.v1" } }] } })
    );
    std::fs::remove_dir_all(&dir).ok();
}

async fn rejects_that_cannot_be_written_load_nothing(app: &TestApp) {
    let dir = scratch();
    let file = write(&dir, "mixed.jsonl", MIXED);
    let empty = counts(app).await;
    let unwritable = dir.join("no-such-directory").join("rejects.jsonl");
    let err = import(&app.db, std::slice::from_ref(&file), &skipping(&unwritable))
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("rejects.jsonl") && message.contains("nothing was loaded"),
        "{message}"
    );
    assert_eq!(
        counts(app).await,
        empty,
        "the good lines were not committed"
    );
    std::fs::remove_dir_all(&dir).ok();
}

async fn rejects_never_overwrite_an_input_file(app: &TestApp) {
    let dir = scratch();
    let file = write(&dir, "mixed.jsonl", MIXED);
    let err = import(&app.db, std::slice::from_ref(&file), &skipping(&file))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("is one of the files to import"),
        "{err:#}"
    );
    // The same file by another path.
    let other = dir.join(".").join("mixed.jsonl");
    assert!(
        import(&app.db, std::slice::from_ref(&file), &skipping(&other))
            .await
            .is_err()
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MIXED);
    assert_eq!(counts(app).await["producers"]["totalCount"], 0);
    std::fs::remove_dir_all(&dir).ok();
}

async fn a_run_without_rejects_removes_an_earlier_rejects_file(app: &TestApp) {
    let dir = scratch();
    let file = write(&dir, "mixed.jsonl", MIXED);
    let rejects = dir.join("rejects.jsonl");
    let outcome = import(&app.db, std::slice::from_ref(&file), &skipping(&rejects))
        .await
        .unwrap();
    assert_eq!(outcome.rejected.len(), 1);
    let written = std::fs::read_to_string(&rejects).unwrap();
    assert!(written.contains(r#""line":2"#), "{written}");
    // Fixed: the next run rejects nothing, and the stale file goes.
    std::fs::write(&file, MIXED.replace("Oct 2006", "2006-10")).unwrap();
    let outcome = import(&app.db, std::slice::from_ref(&file), &skipping(&rejects))
        .await
        .unwrap();
    assert!(outcome.rejected.is_empty());
    assert!(
        !rejects.exists(),
        "the earlier run's rejects file was removed"
    );
    std::fs::remove_dir_all(&dir).ok();
}

async fn a_line_that_is_not_utf8_is_rejected_with_its_number(app: &TestApp) {
    let dir = scratch();
    let mut bytes = MIXED.replace("Oct 2006", "2006-10").into_bytes();
    bytes.extend_from_slice(b"{\"type\":\"publication\",\"title\":\"\xff\xfe\"}\n");
    bytes
        .extend_from_slice(b"{\"type\":\"publication\",\"ncjNumber\":\"3\",\"title\":\"After\"}\n");
    let file = write(&dir, "badutf.jsonl", bytes);
    let empty = counts(app).await;
    let strict = import(&app.db, std::slice::from_ref(&file), &RunOptions::default())
        .await
        .unwrap_err();
    assert!(
        strict
            .to_string()
            .contains("badutf.jsonl:4: record: not valid UTF-8"),
        "{strict:#}"
    );
    assert_eq!(counts(app).await, empty);
    let rejects = dir.join("rejects.jsonl");
    let outcome = import(&app.db, std::slice::from_ref(&file), &skipping(&rejects))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    let rejected: Vec<(usize, &str)> = outcome
        .rejected
        .iter()
        .map(|r| (r.line, r.field.as_str()))
        .collect();
    assert_eq!(rejected, [(4, "record")]);
    assert_eq!(
        outcome.summary.publications, 3,
        "the lines around it were loaded"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--rejects` means nothing without `--skip-invalid`: the command refuses it.
#[test]
fn rejects_without_skip_invalid_is_an_error() {
    let dir = scratch();
    let file = write(&dir, "mixed.jsonl", MIXED);
    let database = format!("sqlite://{}?mode=rwc", dir.join("cli.db").display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_studygraph"))
        .args(["import", "--rejects"])
        .arg(dir.join("r.jsonl"))
        .arg(&file)
        .env("STUDYGRAPH_DATABASE_URL", &database)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--skip-invalid"), "{stderr}");
    assert!(!dir.join("cli.db").exists(), "nothing was opened");
    std::fs::remove_dir_all(&dir).ok();
}
