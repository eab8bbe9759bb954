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
    a_line_that_is_not_utf8_is_rejected_with_its_number,
    every_format_skips_bad_records_and_keeps_them,
    a_skipped_catalog_record_takes_its_new_producers_with_it,
    lines_that_are_not_utf8_or_not_json_are_named_in_every_format,
    unnamed_empty_columns_are_allowed,
    a_stream_needs_its_format_named,
    every_format_refuses_the_nul_character,
    imports_at_once_run_one_after_the_other,
    a_run_waits_for_another_past_the_statement_timeout
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

/// Guessing a format reads the start of the input and loading opens it again: from a pipe
/// (`<(zcat …)`, `/dev/stdin`) the load began where the guess stopped and lost the first
/// records (a whole CSV sheet, exit 0). Input that is not a regular file needs `--format`.
async fn a_stream_needs_its_format_named(app: &TestApp) {
    let stream = PathBuf::from("/dev/null");
    let err = import(
        &app.db,
        std::slice::from_ref(&stream),
        &RunOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("/dev/null: not a regular file (a pipe?), so its format cannot be guessed"),
        "{err:#}"
    );
    let named = RunOptions {
        format: Some(studygraph::config::ImportFormat::Native),
        ..RunOptions::default()
    };
    import(&app.db, std::slice::from_ref(&stream), &named)
        .await
        .unwrap();
}

/// No text may hold the NUL character (PostgreSQL cannot store it). Native lines were
/// checked; a Scholix link, a catalog record or a CSV row holding one was stored on SQLite
/// (whose export then did not import) and stopped the run on PostgreSQL with a database
/// error. Each is now refused like any bad record, with its line and field.
async fn every_format_refuses_the_nul_character(app: &TestApp) {
    let dir = scratch();
    let files = [
        (
            "links.jsonl",
            r#"{"RelationshipType":{"Name":"References"},"LinkProvider":[{"Name":"Prov\u0000ider"}],"Source":{"Identifier":[{"ID":"10.9/nul","IDScheme":"doi"}],"Type":"literature","Title":"A"},"Target":{"Identifier":[{"ID":"10.9/nul.d","IDScheme":"doi"}],"Type":"dataset"}}"#
                .to_owned(),
            "links.jsonl:1: LinkProvider[0].Name: holds the NUL character",
        ),
        (
            "catalog.json",
            r#"{"conformsTo":"https://project-open-data.cio.gov/v1.1/schema","dataset":[{"title":"Nul","identifier":"x-1","description":"d\u0000","publisher":{"name":"Pub"}}]}"#
                .to_owned(),
            "description: holds the NUL character",
        ),
        (
            "sheet.csv",
            "publication,dataset,relation_type,source\nNCJ 1,ICPSR 2,REFERENCES,a\0b\n".to_owned(),
            "sheet.csv:2: source: holds the NUL character",
        ),
    ];
    for (name, text, named) in files {
        let file = write(&dir, name, text);
        let err = import(&app.db, std::slice::from_ref(&file), &RunOptions::default())
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains(named), "{name}: {err:#}");
    }
    assert_eq!(
        counts(app).await,
        serde_json::json!({ "publications": { "totalCount": 0 }, "datasets": { "totalCount": 0 }, "producers": { "totalCount": 0 } })
    );
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
    // A run that stops (a sheet whose quoting cannot be read) removes it too.
    import(&app.db, std::slice::from_ref(&file), &skipping(&rejects))
        .await
        .unwrap();
    std::fs::write(&file, MIXED).unwrap();
    import(&app.db, std::slice::from_ref(&file), &skipping(&rejects))
        .await
        .unwrap();
    assert!(rejects.exists());
    let unreadable = write(
        &dir,
        "open.csv",
        "publication,dataset,relation_type\n\"1,2,REFERENCES\n",
    );
    import(&app.db, &[file.clone(), unreadable], &skipping(&rejects))
        .await
        .unwrap_err();
    assert!(!rejects.exists(), "a stopped run leaves no earlier rejects");
    // So does a run that stops before loading: a file missing, or of no known format.
    for stopper in [
        dir.join("missing.jsonl"),
        write(&dir, "junk.txt", "hello world\n"),
    ] {
        import(&app.db, std::slice::from_ref(&file), &skipping(&rejects))
            .await
            .unwrap();
        assert!(rejects.exists());
        import(
            &app.db,
            &[file.clone(), stopper.clone()],
            &skipping(&rejects),
        )
        .await
        .unwrap_err();
        assert!(!rejects.exists(), "{}", stopper.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Two imports at once: the second waits for the first (on PostgreSQL it raced it for the
/// same new keys and stopped with a raw unique-violation error), and the graph is as after one.
async fn imports_at_once_run_one_after_the_other(app: &TestApp) {
    let dir = scratch();
    let lines: Vec<String> = (0..300)
        .map(|i| format!(r#"{{"type":"publication","ncjNumber":"{i}","title":"T{i}","producers":[{{"producer":"Agency","role":"PRODUCER"}}]}}"#))
        .collect();
    let file = write(
        &dir,
        "many.jsonl",
        format!(
            "{{\"type\":\"producer\",\"name\":\"Agency\"}}\n{}\n",
            lines.join("\n")
        ),
    );
    let options = RunOptions::default();
    let (a, b) = tokio::join!(
        import(&app.db, std::slice::from_ref(&file), &options),
        import(&app.db, std::slice::from_ref(&file), &options)
    );
    a.unwrap_or_else(|err| panic!("{err:#}"));
    b.unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(counts(app).await["publications"]["totalCount"], 300);
    std::fs::remove_dir_all(&dir).ok();
}

/// Spreadsheets write unnamed empty columns after the last one (`a,b,c,,`): allowed while
/// they stay empty; a value under one is the row's error.
async fn unnamed_empty_columns_are_allowed(app: &TestApp) {
    let dir = scratch();
    let records = write(
        &dir,
        "records.jsonl",
        "{\"type\":\"publication\",\"ncjNumber\":\"1\",\"title\":\"One\"}\n{\"type\":\"dataset\",\"studyNumber\":\"2\",\"title\":\"Two\"}\n{\"type\":\"dataset\",\"studyNumber\":\"3\",\"title\":\"Three\"}\n",
    );
    let sheet = write(
        &dir,
        "excel.csv",
        "publication,dataset,relation_type,,\n1,2,REFERENCES,,\n1,3,REFERENCES,,note\n",
    );
    let rejects = dir.join("rejects.jsonl");
    let outcome = import(&app.db, &[records, sheet], &skipping(&rejects))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(outcome.summary.links, 1);
    assert_eq!(
        (
            outcome.rejected.len(),
            outcome.rejected[0].line,
            outcome.rejected[0].field.as_str()
        ),
        (1, 3, "record")
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

/// The rejects file's records: (file name, line, field, start of the reason, record text).
fn read_rejects(path: &Path) -> Vec<(String, u64, String, String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = |key: &str| value[key].as_str().unwrap().to_owned();
            let file = Path::new(&text("file"))
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                file,
                value["line"].as_u64().unwrap(),
                text("field"),
                text("reason"),
                text("record"),
            )
        })
        .collect()
}

/// A Scholix link from a new article (by DOI) to a dataset: `dataset_title` names a dataset
/// the link creates.
fn scholix(article: &str, dataset_doi: &str, dataset_title: &str) -> String {
    serde_json::json!({
        "RelationshipType": {"Name": "References"},
        "Source": {"Identifier": [{"ID": article, "IDScheme": "doi"}], "Type": {"Name": "literature"},
                   "Title": format!("Article {article}")},
        "Target": {"Identifier": [{"ID": dataset_doi, "IDScheme": "doi"}], "Type": {"Name": "dataset"},
                   "Title": dataset_title},
    })
    .to_string()
}

/// `--skip-invalid` in a sheet, a Scholix file and a catalog: the good records load, each bad
/// one is in the rejects file with its file, line, field and text, and whatever a bad record
/// wrote before it failed is undone (the article of a link whose dataset cannot be created).
/// Without `--skip-invalid` the same files load nothing.
async fn every_format_skips_bad_records_and_keeps_them(app: &TestApp) {
    let dir = scratch();
    let catalog = write(
        &dir,
        "catalog.json",
        r#"{"dataset": [
  {"title": "Kept Study", "identifier": "a", "distribution": [{"accessURL": "https://doi.org/10.3886/ICPSR70001.v1"}],
   "publisher": {"name": "Skip Agency"}},
  {"identifier": "no title", "publisher": {"name": "Skip Agency"}},
  {"title": "Second Kept Study", "identifier": "c", "distribution": [{"accessURL": "https://doi.org/10.3886/ICPSR70002.v1"}]}
]}"#,
    );
    let too_long = "T".repeat(2_001);
    let links = write(
        &dir,
        "links.jsonl",
        [
            scholix(
                "10.5555/kept.1",
                "10.3886/ICPSR70001.v1",
                "ignored: the study exists",
            ),
            r#"{"RelationshipType": {"Name": "References"}, "Source": {"#.to_owned(),
            scholix("10.5555/undone.2", "10.5555/new-dataset", &too_long),
            scholix("10.5555/kept.3", "10.3886/ICPSR70002.v1", "ignored"),
            // A record of JSON Lines with misspelled keys: rejected alone (it stopped the run).
            r#"{"Relationship": "oops", "Sorce": {}}"#.to_owned(),
        ]
        .join("\n"),
    );
    let sheet = write(
        &dir,
        "sheet.csv",
        "publication,dataset,relation_type\n\
         10.5555/kept.1,ICPSR 70002,IS_RELATED_TO\n\
         10.5555/kept.1,ICPSR 99999,IS_RELATED_TO\n\
         10.5555/kept.3,ICPSR 70001,REFERENCES,extra\n\
         10.5555/kept.3,ICPSR 70001,\"Cites, maybe\"\n\
         10.5555/kept.3,ICPSR 70001,DOCUMENTS\n",
    );
    let files = [catalog, links, sheet];
    let empty = counts(app).await;
    let err = import(&app.db, &files, &RunOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("catalog.json:4: dataset[1].title: "),
        "{err:#}"
    );
    assert_eq!(
        counts(app).await,
        empty,
        "a run that does not skip loads nothing"
    );

    let rejects = dir.join("rejects.jsonl");
    let outcome = import(&app.db, &files, &skipping(&rejects))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    let rejected = read_rejects(&rejects);
    let places: Vec<(&str, u64, &str)> = rejected
        .iter()
        .map(|(file, line, field, _, _)| (file.as_str(), *line, field.as_str()))
        .collect();
    assert_eq!(
        places,
        [
            ("catalog.json", 4, "dataset[1].title"),
            ("links.jsonl", 2, "record"),
            ("links.jsonl", 3, "Target.Title"),
            ("links.jsonl", 5, "record"),
            ("sheet.csv", 3, "dataset"),
            ("sheet.csv", 4, "record"),
            ("sheet.csv", 5, "relation_type"),
        ],
        "{rejected:#?}"
    );
    assert_eq!(outcome.rejected.len(), 7);
    // Each record is kept as it could be loaded again.
    let catalog_record: serde_json::Value = serde_json::from_str(&rejected[0].4).unwrap();
    assert_eq!(catalog_record["identifier"], "no title");
    assert_eq!(
        rejected[1].4,
        r#"{"RelationshipType": {"Name": "References"}, "Source": {"#
    );
    let link: serde_json::Value = serde_json::from_str(&rejected[2].4).unwrap();
    assert_eq!(link["Source"]["Identifier"][0]["ID"], "10.5555/undone.2");
    assert_eq!(rejected[3].4, r#"{"Relationship": "oops", "Sorce": {}}"#);
    assert_eq!(rejected[5].4, "10.5555/kept.3,ICPSR 70001,REFERENCES,extra");
    assert_eq!(rejected[6].4, "10.5555/kept.3,ICPSR 70001,\"Cites, maybe\"");

    assert_eq!(
        (
            outcome.summary.datasets,
            outcome.summary.publications,
            outcome.summary.links
        ),
        (2, 2, 4),
        "two studies, the two kept articles, two Scholix links and two sheet links"
    );
    let data = app
        .data(
            r#"{ undone: publication(doi: "10.5555/undone.2") { id }
                 kept: publication(doi: "10.5555/kept.1") {
                   relatedDatasets(orderBy: [{field: STUDY_NUMBER, direction: ASC}]) { edges { relationType node { studyNumber } } } }
                 datasets { totalCount } publications { totalCount } }"#,
        )
        .await;
    assert_eq!(
        data["undone"],
        serde_json::Value::Null,
        "the bad link's article was undone"
    );
    assert_eq!(
        data["kept"]["relatedDatasets"]["edges"],
        serde_json::json!([
            {"relationType": "REFERENCES", "node": {"studyNumber": "70001"}},
            {"relationType": "IS_RELATED_TO", "node": {"studyNumber": "70002"}},
        ])
    );
    assert_eq!(data["datasets"]["totalCount"], 2);
    assert_eq!(data["publications"]["totalCount"], 2);
    std::fs::remove_dir_all(&dir).ok();
}

/// A catalog record whose publisher chain is new but which cannot be written takes the
/// producers it created with it; a later record with the same publisher creates them again
/// and is credited to them (not to the undone ones the run had resolved).
async fn a_skipped_catalog_record_takes_its_new_producers_with_it(app: &TestApp) {
    let dir = scratch();
    let publisher =
        r#"{"name": "Office of Skips", "subOrganizationOf": {"name": "Department of Skips"}}"#;
    let too_long = "T".repeat(2_001);
    let catalog = write(
        &dir,
        "catalog.json",
        format!(
            r#"{{"dataset": [
  {{"title": "{too_long}", "identifier": "a", "publisher": {publisher}}},
  {{"title": "Credited Study", "identifier": "b", "distribution": [{{"accessURL": "https://doi.org/10.3886/ICPSR70003.v1"}}], "publisher": {publisher}}}
]}}"#
        ),
    );
    let rejects = dir.join("rejects.jsonl");
    let outcome = import(&app.db, std::slice::from_ref(&catalog), &skipping(&rejects))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].field, "dataset[0].title");
    assert_eq!(
        (outcome.summary.producers, outcome.summary.datasets),
        (2, 1),
        "the two producers are counted once, for the record that kept them"
    );
    let data = app
        .data(
            r#"{ dataset(studyNumber: "70003") { producers { role producer { name parent { name } } } }
                 producers { totalCount } }"#,
        )
        .await;
    assert_eq!(
        data["dataset"]["producers"],
        serde_json::json!([{"role": "PUBLISHER",
            "producer": {"name": "Office of Skips", "parent": {"name": "Department of Skips"}}}])
    );
    assert_eq!(data["producers"]["totalCount"], 2);
    std::fs::remove_dir_all(&dir).ok();
}

/// A byte that is not UTF-8 rejects its row or link (CSV, Scholix) and stops a catalog, each
/// naming the line; a Scholix line that is not JSON is rejected, whatever it starts with, and
/// named by its own line when it runs into the next; a broken first native line is read as
/// native (it was taken for a DCAT catalog, and named by the next line).
async fn lines_that_are_not_utf8_or_not_json_are_named_in_every_format(app: &TestApp) {
    let dir = scratch();
    let records = write(
        &dir,
        "records.jsonl",
        [
            r#"{"type":"publication","ncjNumber":"1001","title":"One"}"#,
            r#"{"type":"publication","ncjNumber":"1002","title":"Two"}"#,
            r#"{"type":"dataset","studyNumber":"6999","title":"Study A"}"#,
            r#"{"type":"dataset","studyNumber":"20423","title":"Study B"}"#,
        ]
        .join("\n"),
    );
    let mut sheet = b"publication,dataset,relation_type,source\n1001,6999,References,ok\n".to_vec();
    sheet.extend_from_slice(b"1002,6999,References,M\xfcller\n1002,20423,References,ok\n");
    let sheet = write(&dir, "latin1.csv", sheet);
    // A good link, a line that is not JSON, a link with a Latin-1 byte, a good link.
    let latin1 = scholix("10.5555/two", "10.3886/ICPSR06999.v1", "M-ller");
    let (before, after) = latin1.split_once("M-ller").unwrap();
    let mut links = format!(
        "{}\ngarbage here\n{before}M",
        scholix("10.5555/one", "10.3886/ICPSR06999.v1", "x")
    )
    .into_bytes();
    links.push(0xfc);
    links.extend_from_slice(
        format!(
            "ller{after}\n{}\n",
            scholix("10.5555/three", "10.3886/ICPSR20423.v1", "y")
        )
        .as_bytes(),
    );
    let links = write(&dir, "links.jsonl", links);
    let rejects = dir.join("rejects.jsonl");
    let files = [records.clone(), sheet.clone(), links.clone()];
    let empty = counts(app).await;
    let err = import(&app.db, &files, &RunOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("latin1.csv:3: record: not valid UTF-8"),
        "{err:#}"
    );
    assert_eq!(counts(app).await, empty);

    let outcome = import(&app.db, &files, &skipping(&rejects))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    let places: Vec<(String, u64, String)> = read_rejects(&rejects)
        .into_iter()
        .map(|(file, line, field, reason, _)| (file, line, format!("{field}: {reason}")))
        .collect();
    assert_eq!(places.len(), 3, "{places:#?}");
    assert_eq!((places[0].0.as_str(), places[0].1), ("latin1.csv", 3));
    assert!(
        places[0].2.starts_with("record: not valid UTF-8"),
        "{places:#?}"
    );
    assert_eq!((places[1].0.as_str(), places[1].1), ("links.jsonl", 2));
    assert_eq!((places[2].0.as_str(), places[2].1), ("links.jsonl", 3));
    assert!(
        places[2].2.starts_with("record: not valid UTF-8"),
        "{places:#?}"
    );
    assert_eq!(outcome.summary.links, 4, "two rows and two links");

    // A catalog is one document: a line that is not UTF-8 stops it, named.
    let catalog = write(
        &dir,
        "catalog.json",
        b"{\"dataset\": [\n{\"title\": \"M\xfcller\"}\n]}",
    );
    let err = import(&app.db, std::slice::from_ref(&catalog), &skipping(&rejects))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("catalog.json:2: catalog: not valid UTF-8"),
        "{err:#}"
    );

    // Without --skip-invalid, a cut-off Scholix line is named by its own line, not the next.
    let cut = scholix("10.5555/cut", "10.3886/ICPSR20423.v1", "z");
    let cut_file = write(
        &dir,
        "cut.jsonl",
        format!(
            "{}\n{}\n{}\n",
            scholix("10.5555/a", "10.3886/ICPSR20423.v1", "a"),
            &cut[..80],
            cut
        ),
    );
    let err = import(
        &app.db,
        std::slice::from_ref(&cut_file),
        &RunOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cut.jsonl:2: record: "), "{err:#}");

    // A broken first native line is a native line: rejected as line 1, the rest loads.
    let native = write(
        &dir,
        "broken.jsonl",
        "{\"type\":\"publication\",\"ncjNumber\":\"91\",\"title\":\"cut off\n{\"type\":\"publication\",\"ncjNumber\":\"92\",\"title\":\"ok\"}\n",
    );
    let outcome = import(&app.db, std::slice::from_ref(&native), &skipping(&rejects))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(
        (
            outcome.rejected.len(),
            outcome.rejected[0].line,
            outcome.summary.publications
        ),
        (1, 1, 1)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A run queued behind a long one waits as long as it takes: on PostgreSQL its wait for the
/// import lock ran under the 10 s statement timeout and was cancelled with a database error;
/// on SQLite the write lock's 5 s busy timeout stopped it with "database is locked".
async fn a_run_waits_for_another_past_the_statement_timeout(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    let dir = scratch();
    let file = write(&dir, "one.jsonl", r#"{"type":"producer","name":"Queued"}"#);
    // Another run: on PostgreSQL its import lock, on SQLite the database's write lock (held
    // past the 5 s busy timeout, after which the run stopped with "database is locked").
    let other_run = studygraph::db::begin_write(&app.db.conn).await.unwrap();
    if app.db.backend() == sea_orm::DatabaseBackend::Postgres {
        other_run
            .execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({})",
                studygraph::import::run::IMPORT_LOCK
            ))
            .await
            .unwrap();
    }
    let finished = std::sync::atomic::AtomicBool::new(false);
    let queued = async {
        let result = import(&app.db, std::slice::from_ref(&file), &RunOptions::default()).await;
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
        let early = finished.load(std::sync::atomic::Ordering::SeqCst);
        other_run.commit().await.unwrap();
        early
    };
    let (result, early) = tokio::join!(queued, release);
    assert!(!early, "the run waited for the other one");
    result.unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(counts(app).await["producers"]["totalCount"], 1);
    std::fs::remove_dir_all(&dir).ok();
}
