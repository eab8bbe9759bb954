//! Which format a file is read in: guessed per file from its content (a native file by its
//! first record's `"type"`), and a byte-order mark at the start of a file is not data.

use studygraph::config::ImportFormat;
use studygraph::import::guess_format;
use studygraph::import::native::{ImportOptions, import_files, import_str};

use crate::helpers::TestApp;
use crate::on_both_backends_empty;

on_both_backends_empty!(a_native_file_may_start_with_a_byte_order_mark);

/// A scratch directory for one test's files.
fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "studygraph-formats-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn a_native_file_may_start_with_a_byte_order_mark(app: &TestApp) {
    let text = "\u{feff}{\"type\":\"producer\",\"name\":\"Agency\"}\n{\"type\":\"publication\",\"ncjNumber\":\"1\",\"title\":\"x\"}\n";
    let summary = import_str(&app.db, "bom.jsonl", text).await.unwrap();
    assert_eq!((summary.producers, summary.publications), (1, 1));
    let dir = scratch();
    let file = dir.join("bom.jsonl");
    std::fs::write(
        &file,
        text.replace("Agency", "Other").replace("\"1\"", "\"2\""),
    )
    .unwrap();
    for skip_invalid in [false, true] {
        let outcome = import_files(
            &app.db,
            std::slice::from_ref(&file),
            ImportOptions { skip_invalid },
        )
        .await
        .unwrap();
        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
    }
    assert_eq!(guess_format(&file).unwrap(), ImportFormat::Native);
    let data = app
        .data(r#"{ producers { totalCount } publications { totalCount } }"#)
        .await;
    assert_eq!(data["producers"]["totalCount"], 2);
    assert_eq!(data["publications"]["totalCount"], 2);
    std::fs::remove_dir_all(&dir).ok();
}

/// A native file is known by its first record's `"type"`, whatever else the line says and
/// however long it is; catalogs, Scholix files and CSV sheets are still told apart.
#[test]
fn native_files_are_known_by_their_first_record_type() {
    let dir = scratch();
    let long_title = "x".repeat(70_000);
    let cases = [
        (
            "dsonly.jsonl",
            r#"{"type":"dataset","studyNumber":"20423","title":"x"}"#.to_owned(),
            ImportFormat::Native,
        ),
        (
            "linkonly.jsonl",
            r#"{"type":"link","publication":{"ncjNumber":"216547"},"dataset":{"studyNumber":"20423"},"relationType":"REFERENCES"}"#.to_owned(),
            ImportFormat::Native,
        ),
        (
            "subj.jsonl",
            r#"{"type":"publication","ncjNumber":"5","title":"x","subjects":["dataset","research"]}"#.to_owned(),
            ImportFormat::Native,
        ),
        (
            "long.jsonl",
            format!("{{\"type\":\"publication\",\"ncjNumber\":\"5\",\"title\":\"{long_title}\"}}\n{{\"type\":\"producer\",\"name\":\"A\"}}"),
            ImportFormat::Native,
        ),
        // An empty file (the export of an empty graph) is a native file of no records: it
        // could not be imported back ("cannot tell the format").
        ("empty.jsonl", String::new(), ImportFormat::Native),
        // Quoted header names (R's write.csv, pandas with QUOTE_ALL) read as a catalog.
        (
            "quoted.csv",
            "\"publication\",\"dataset\",\"relation_type\"\n\"NCJ 1\",\"ICPSR 1\",\"documents\"\n".to_owned(),
            ImportFormat::Csv,
        ),
        ("blank.jsonl", "\n  \n".to_owned(), ImportFormat::Native),
        (
            "catalog.json",
            r#"{"conformsTo":"https://project-open-data.cio.gov/v1.1/schema","dataset":[{"title":"x"}]}"#.to_owned(),
            ImportFormat::DcatUs,
        ),
        (
            "pretty.json",
            "{\n  \"dataset\": []\n}".to_owned(),
            ImportFormat::DcatUs,
        ),
        (
            "links.jsonl",
            r#"{"RelationshipType":{"Name":"References"},"Source":{"Type":{"Name":"literature"}},"Target":{"Type":{"Name":"dataset"}}}"#.to_owned(),
            ImportFormat::Scholix,
        ),
        (
            "sheet.csv",
            "publication,dataset,relation_type\n216547,20423,REFERENCES".to_owned(),
            ImportFormat::Csv,
        ),
    ];
    for (name, text, expected) in cases {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        assert_eq!(guess_format(&file).unwrap(), expected, "{name}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
