//! The native importer: all or nothing per run, idempotent re-imports, clear line errors.

use serde_json::json;
use studygraph::import::native::{ImportError, ImportOptions, import_files, import_str};

use crate::helpers::TestApp;
use crate::{on_both_backends, on_both_backends_empty};

on_both_backends!(
    reimporting_the_demo_changes_nothing,
    a_bad_line_leaves_the_database_unchanged,
    changed_records_update_in_place
);
on_both_backends_empty!(
    errors_name_line_and_field,
    aliases_make_one_producer,
    skip_invalid_loads_the_rest,
    a_record_found_by_one_key_keeps_the_other,
    a_year_written_with_a_zero_fraction_is_that_year
);

async fn counts(app: &TestApp) -> serde_json::Value {
    app.data(
        r#"{ publications { totalCount } datasets { totalCount } producers { totalCount }
            p: publication(ncjNumber: "216547") { authors subjects producers { role } relatedDatasets { totalCount } } }"#,
    )
    .await
}

async fn reimporting_the_demo_changes_nothing(app: &TestApp) {
    let before = counts(app).await;
    let summary = studygraph::demo::load(&app.db).await.unwrap();
    assert_eq!(summary, Default::default(), "nothing new on a re-import");
    assert_eq!(counts(app).await, before);
}

async fn a_bad_line_leaves_the_database_unchanged(app: &TestApp) {
    let before = counts(app).await;
    let file = [
        r#"{"type":"producer","name":"Brand New Institute"}"#,
        r#"{"type":"publication","ncjNumber":"777001","title":"Fine"}"#,
        r#"{"type":"publication","ncjNumber":"777002","title":"Bad date","publishedOn":"Oct 2006"}"#,
    ]
    .join("\n");
    let err = import_str(&app.db, "batch.jsonl", &file).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("batch.jsonl:3: publishedOn: "),
        "{message}"
    );
    assert_eq!(
        counts(app).await,
        before,
        "nothing from lines 1-2 was written"
    );
    let missing = app.data(r#"{ publication(ncjNumber: "777001") { id } producer(name: "Brand New Institute") { id } }"#).await;
    assert_eq!(missing, json!({ "publication": null, "producer": null }));
}

async fn changed_records_update_in_place(app: &TestApp) {
    let before = counts(app).await;
    let id = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let update = r#"{"type":"dataset","studyNumber":"20423","doi":"10.3886/ICPSR20423.v1","title":"Renamed","subjects":["only one"],"producers":[{"producer":"NIJ","role":"FUNDER"}]}"#;
    let summary = import_str(&app.db, "update.jsonl", update).await.unwrap();
    assert_eq!(summary.datasets, 0, "updated, not created");
    let after = app.data(r#"{ dataset(studyNumber: "20423") { id title subjects producers { role producer { abbreviation } } } }"#).await;
    assert_eq!(
        after["dataset"],
        json!({ "id": id, "title": "Renamed", "subjects": ["only one"], "producers": [{ "role": "FUNDER", "producer": { "abbreviation": "NIJ" } }] })
    );
    assert_eq!(counts(app).await["datasets"], before["datasets"]);
}

/// One work from three sources: an NCJ number alone, both keys, the DOI alone. The third
/// record, found by its DOI, cleared the NCJ number, so the same file failed on its next run
/// (line 2's keys named two records) and with `--skip-invalid` split the work in two. A
/// record keeps the key it leaves out; its other fields still take the record's values.
async fn a_record_found_by_one_key_keeps_the_other(app: &TestApp) {
    let file = [
        r#"{"type":"publication","ncjNumber":"100","title":"P"}"#,
        r#"{"type":"publication","ncjNumber":"100","doi":"10.1/abc","title":"P","language":"English"}"#,
        r#"{"type":"publication","doi":"10.1/abc","title":"P"}"#,
        r#"{"type":"dataset","studyNumber":"200","doi":"10.2/def","title":"D"}"#,
        r#"{"type":"dataset","doi":"10.2/def","title":"D2"}"#,
    ]
    .join("\n");
    let query = r#"{ publications { totalCount nodes { ncjNumber doi language } }
        datasets { totalCount nodes { studyNumber doi title } } }"#;
    import_str(&app.db, "w.jsonl", &file).await.unwrap();
    let first = app.data(query).await;
    assert_eq!(
        first,
        json!({
            "publications": { "totalCount": 1, "nodes": [{ "ncjNumber": "100", "doi": "10.1/abc", "language": null }] },
            "datasets": { "totalCount": 1, "nodes": [{ "studyNumber": "200", "doi": "10.2/def", "title": "D2" }] },
        })
    );
    import_str(&app.db, "w.jsonl", &file).await.unwrap();
    assert_eq!(
        app.data(query).await,
        first,
        "the same file again changes nothing"
    );

    // A DOI that finds a work with another number does not replace the number (the work was
    // no longer found by it); a number that finds a work takes its new DOI (a new version).
    for (record, expected) in [
        (
            r#"{"type":"publication","ncjNumber":"101","doi":"10.1/ABC","title":"P"}"#,
            "n.jsonl:1: ncjNumber: \"101\" differs from NCJ 100, the number of the work its doi names; one work keeps one number (change it through the API if it is wrong)",
        ),
        (
            r#"{"type":"dataset","studyNumber":"201","doi":"10.2/def","title":"D"}"#,
            "n.jsonl:1: studyNumber: \"201\" differs from ICPSR 200, the number of the work its doi names; one work keeps one number (change it through the API if it is wrong)",
        ),
    ] {
        let err = import_str(&app.db, "n.jsonl", record).await.unwrap_err();
        assert_eq!(err.to_string(), expected);
    }
    assert_eq!(app.data(query).await, first);
    let new_version = r#"{"type":"dataset","studyNumber":"200","doi":"10.2/def.v2","title":"D"}"#;
    import_str(&app.db, "v.jsonl", new_version).await.unwrap();
    let data = app.data(query).await;
    assert_eq!(data["datasets"]["nodes"][0]["doi"], "10.2/def.v2");
    // A work without a number takes the one a record found by its DOI gives it.
    let numbered = [
        r#"{"type":"publication","doi":"10.1/new","title":"Q"}"#,
        r#"{"type":"publication","ncjNumber":"102","doi":"10.1/new","title":"Q"}"#,
    ]
    .join("\n");
    import_str(&app.db, "q.jsonl", &numbered).await.unwrap();
    let q = app
        .data(r#"{ publication(doi: "10.1/new") { ncjNumber } }"#)
        .await;
    assert_eq!(q["publication"]["ncjNumber"], "102");
}

async fn errors_name_line_and_field(app: &TestApp) {
    let producer = r#"{"type":"producer","name":"Agency"}"#;
    // Texts past their limits (a longer abstract outgrew PostgreSQL's search vectors and
    // failed there alone), by the bulk path (a keyed record) and record by record (keyless).
    let long = "word ".repeat(20_001);
    let long_abstract =
        format!(r#"{{"type":"publication","ncjNumber":"777","title":"x","abstract":"{long}"}}"#);
    let long_summary = format!(r#"{{"type":"dataset","title":"x","summary":"{long}"}}"#);
    let long_title = format!(
        r#"{{"type":"dataset","studyNumber":"778","title":"{}"}}"#,
        "t".repeat(2_001)
    );
    // Indexed values past PostgreSQL's btree entry size stopped a run there with a database
    // error (and loaded on SQLite): a 950-character CJK title, a consortium in one author.
    let cjk_title = format!(
        r#"{{"type":"publication","ncjNumber":"779","title":"{}"}}"#,
        "研".repeat(950)
    );
    let long_author = format!(
        r#"{{"type":"publication","title":"y","authors":["A. B.","{}"]}}"#,
        "Name, ".repeat(400)
    );
    let long_name = format!(r#"{{"type":"producer","name":"{}"}}"#, "n".repeat(2_001));
    // A type and a language share one entry of the covering facet index: 1,000 bytes each.
    let long_type = format!(
        r#"{{"type":"publication","title":"z","publicationType":"{}","language":"{}"}}"#,
        "p".repeat(1_001),
        "l".repeat(900)
    );
    for (line, expected) in [
        (
            cjk_title.as_str(),
            "t.jsonl:2: title: is 2850 bytes long (UTF-8); a value that is indexed holds at most 2000",
        ),
        (
            long_author.as_str(),
            "t.jsonl:2: authors[1]: is 2400 bytes long",
        ),
        (long_name.as_str(), "t.jsonl:2: name: is 2001 bytes long"),
        (
            long_type.as_str(),
            "t.jsonl:2: publicationType: is 1001 bytes long (UTF-8); a value that is indexed holds at most 1000",
        ),
        (
            long_abstract.as_str(),
            "t.jsonl:2: abstract: is 100004 characters long; at most 100000 are allowed",
        ),
        (
            long_summary.as_str(),
            "t.jsonl:2: summary: is 100004 characters long; at most 100000 are allowed",
        ),
        (
            long_title.as_str(),
            "t.jsonl:2: title: is 2001 characters long; at most 2000 are allowed",
        ),
        (
            r#"{"type":"publication","title":"x","colour":"red"}"#,
            "t.jsonl:2: colour: unknown field `colour`",
        ),
        (
            r#"{"type":"publication"}"#,
            "t.jsonl:2: title: missing field `title`",
        ),
        // JSON keeps one value of a repeated key: the other would be dropped silently.
        (
            r#"{"type":"publication","title":"a","title":"b"}"#,
            "t.jsonl:2: title: field given twice",
        ),
        (
            r#"{"type":"publication","type":"dataset","title":"a"}"#,
            "t.jsonl:2: type: field given twice",
        ),
        (
            r#"{"type":"dataset","title":"x","producers":[{"producer":"Agency","role":"FUNDER","role":"PRODUCER"}]}"#,
            "t.jsonl:2: producers[0].role: field given twice",
        ),
        (
            r#"{"type":"dataset","title":"x","timePeriod":{"start":2001,"start":2002}}"#,
            "t.jsonl:2: timePeriod.start: field given twice",
        ),
        (
            r#"{"type":"link","publication":{"ncjNumber":"1","ncjNumber":"2"},"dataset":{"studyNumber":"2"},"relationType":"REFERENCES"}"#,
            "t.jsonl:2: publication.ncjNumber: field given twice",
        ),
        (
            r#"{"type":"link","publication":{"ncjNumber":"1"},"dataset":{"studyNumber":"2"}}"#,
            "t.jsonl:2: relationType: missing field `relationType`",
        ),
        (
            r#"{"type":"publication","title":"x","producers":[{"producer":"Agency"}]}"#,
            "t.jsonl:2: producers[0].role: missing field `role`",
        ),
        (r#"[1, 2]"#, "t.jsonl:2: record: not a JSON object"),
        (r#"42"#, "t.jsonl:2: record: not a JSON object"),
        (r#"{"title":"x"}"#, "t.jsonl:2: type: missing"),
        (
            r#"{"type":"thing"}"#,
            "t.jsonl:2: type: unknown record type \"thing\"",
        ),
        (r#"garbage"#, "t.jsonl:2: record: expected value"),
        // Mutations refused year 0, the importer stored it: a record it loaded could not be
        // saved back through the API unchanged.
        (
            r#"{"type":"publication","ncjNumber":"9000","title":"x","publishedOn":"0000"}"#,
            "t.jsonl:2: publishedOn: \"0000\": there is no year 0",
        ),
        (
            r#"{"type":"dataset","studyNumber":"9000","title":"x","releasedOn":"0000-02-29"}"#,
            "t.jsonl:2: releasedOn: \"0000-02-29\": there is no year 0",
        ),
        (
            r#"{"type":"publication","title":"x","subjects":["ok","nul\u0000"]}"#,
            "t.jsonl:2: subjects[1]: holds the NUL character",
        ),
        // A key that is only its prefix was stored as "" (merging every such work); a DOI
        // that is not one ("N/A") was a key shared by every record that wrote it.
        (
            r#"{"type":"publication","ncjNumber":"NCJ-","title":"x"}"#,
            "t.jsonl:2: ncjNumber: \"NCJ-\" has no number after its prefix",
        ),
        (
            r#"{"type":"dataset","studyNumber":"ICPSR","title":"x"}"#,
            "t.jsonl:2: studyNumber: \"ICPSR\" has no number after its prefix",
        ),
        (
            r#"{"type":"publication","doi":"https://doi.org/","title":"x"}"#,
            "t.jsonl:2: doi: \"https://doi.org/\" is not a DOI",
        ),
        (
            r#"{"type":"dataset","doi":"N/A","title":"x"}"#,
            "t.jsonl:2: doi: \"N/A\" is not a DOI",
        ),
        (
            r#"{"type":"link","publication":{"doi":"10.x/y"},"dataset":{"studyNumber":"2"},"relationType":"REFERENCES"}"#,
            "t.jsonl:2: publication.doi: \"10.x/y\" is not a DOI",
        ),
        (
            r#"{"type":"publication","title":" "}"#,
            "t.jsonl:2: title: must not be empty",
        ),
        (
            r#"{"type":"dataset","title":"x","releasedOn":"2011-02-30"}"#,
            "t.jsonl:2: releasedOn: \"2011-02-30\" is not a calendar date",
        ),
        (
            r#"{"type":"dataset","title":"x","timePeriod":{"start":2010,"end":2000}}"#,
            "t.jsonl:2: timePeriod: start 2010 is after end 2000",
        ),
        (
            r#"{"type":"publication","title":"x","producers":[{"producer":"Agency","role":"BOSS"}]}"#,
            "t.jsonl:2: producers[0].role: unknown role \"BOSS\"",
        ),
        (
            r#"{"type":"publication","title":"x","producers":[{"producer":"Agency > Office","role":"PRODUCER"}]}"#,
            "t.jsonl:2: producers[0].producer: no producer \"Agency > Office\"",
        ),
        (
            r#"{"type":"producer","name":"Office","parent":"Nowhere"}"#,
            "t.jsonl:2: parent: no producer \"Nowhere\"",
        ),
        // A blank parent was read as none: the record became a root without a word.
        (
            r#"{"type":"producer","name":"Office","parent":" "}"#,
            "t.jsonl:2: parent: must not be blank; leave it out for a root",
        ),
        (
            r#"{"type":"dataset","title":"x","timePeriod":{"start":99999999999}}"#,
            "t.jsonl:2: timePeriod.start: invalid value: integer `99999999999`, expected a year: a whole number from -2147483648 to 2147483647",
        ),
        (
            r#"{"type":"dataset","title":"x","timePeriod":{"end":2005.5}}"#,
            "t.jsonl:2: timePeriod.end: invalid value: floating point `2005.5`, expected a year",
        ),
        (
            r#"{"type":"link","publication":{"ncjNumber":"1"},"dataset":{"studyNumber":"2"},"relationType":"CITES"}"#,
            "t.jsonl:2: relationType: unknown relation type \"CITES\"",
        ),
        (
            r#"{"type":"link","publication":{"ncjNumber":"1"},"dataset":{"studyNumber":"2"},"relationType":"REFERENCES"}"#,
            "t.jsonl:2: publication.ncjNumber: no publication \"1\"",
        ),
        (
            r#"{"type":"publication","title":"x","authors":"Ann"}"#,
            "t.jsonl:2: authors: invalid type: string \"Ann\", expected a sequence",
        ),
    ] {
        let err = import_str(&app.db, "t.jsonl", &format!("{producer}\n{line}\n"))
            .await
            .unwrap_err();
        assert!(matches!(err, ImportError::Record(_)), "{err}");
        let message = err.to_string();
        assert!(
            message.starts_with(expected),
            "for {line}\n  got: {message}\n want: {expected}…"
        );
    }
    let empty = app.data("{ producers { totalCount } }").await;
    assert_eq!(
        empty["producers"]["totalCount"], 0,
        "every failed run left nothing behind"
    );
}

/// Catalogs name one body differently: a later record whose alias is an existing name updates
/// that producer instead of creating a second root.
async fn aliases_make_one_producer(app: &TestApp) {
    import_str(
        &app.db,
        "a.jsonl",
        r#"{"type":"producer","name":"Department of Justice"}"#,
    )
    .await
    .unwrap();
    let before = app
        .id_of(r#"producer(name: "Department of Justice")"#)
        .await;
    let full = r#"{"type":"producer","name":"United States Department of Justice","abbreviation":"DOJ","aliases":["Department of Justice"]}"#;
    let summary = import_str(&app.db, "b.jsonl", full).await.unwrap();
    assert_eq!(summary.producers, 0, "merged, not created");
    let data = app
        .data(r#"{ producers { totalCount } producer(name: "DOJ") { id name aliases } }"#)
        .await;
    assert_eq!(data["producers"]["totalCount"], 1);
    assert_eq!(
        data["producer"],
        json!({ "id": before, "name": "United States Department of Justice", "aliases": ["Department of Justice"] })
    );
    // Two existing producers named by one record's aliases is an error, not a guess.
    import_str(
        &app.db,
        "c.jsonl",
        r#"{"type":"producer","name":"Office A"}
{"type":"producer","name":"Office B"}"#,
    )
    .await
    .unwrap();
    let err = import_str(
        &app.db,
        "d.jsonl",
        r#"{"type":"producer","name":"Office C","aliases":["Office A","Office B"]}"#,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("d.jsonl:1: name: "), "{err}");
}

async fn skip_invalid_loads_the_rest(app: &TestApp) {
    let dir =
        std::env::temp_dir().join(format!("studygraph-skip-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mixed.jsonl");
    let lines = [
        r#"{"type":"producer","name":"Agency"}"#,
        r#"{"type":"publication","ncjNumber":"1","title":"Good","producers":[{"producer":"Agency","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","ncjNumber":"2","title":"Bad","producers":[{"producer":"Nobody","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","ncjNumber":"3","title":"Also good","publishedOn":"2006-10"}"#,
        r#"{"type":"publication","ncjNumber":"4","title":"Bad date","publishedOn":"Oct 2006"}"#,
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let options = ImportOptions { skip_invalid: true };
    let outcome = import_files(&app.db, std::slice::from_ref(&file), options)
        .await
        .unwrap();
    assert_eq!(outcome.summary.publications, 2);
    let rejected: Vec<(usize, &str)> = outcome
        .rejected
        .iter()
        .map(|r| (r.line, r.field.as_str()))
        .collect();
    assert_eq!(rejected, [(3, "producers[0].producer"), (5, "publishedOn")]);
    assert_eq!(outcome.rejected[0].record, lines[2]);
    let data = app
        .data(r#"{ publications { totalCount } a: publication(ncjNumber: "2") { id } }"#)
        .await;
    assert_eq!(
        data,
        json!({ "publications": { "totalCount": 2 }, "a": null })
    );
    // Without --skip-invalid the same file loads nothing.
    let strict = import_files(
        &app.db,
        std::slice::from_ref(&file),
        ImportOptions::default(),
    )
    .await;
    assert!(
        strict
            .unwrap_err()
            .to_string()
            .contains("mixed.jsonl:3: producers[0].producer")
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The command line: a bad line 3 fails the run, names the file, line and field, and writes nothing.
#[test]
fn cli_names_the_bad_line_and_writes_nothing() {
    let dir =
        std::env::temp_dir().join(format!("studygraph-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("records.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"type":"producer","name":"Agency"}"#,
            r#"{"type":"publication","ncjNumber":"1","title":"Fine"}"#,
            r#"{"type":"publication","ncjNumber":"2","title":"Bad","publishedOn":"Oct 2006"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.join("cli.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_studygraph"))
            .args(args)
            .env("STUDYGRAPH_DATABASE_URL", &database)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let failed = run(&["import", file.to_str().unwrap()]);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("records.jsonl:3: publishedOn: "),
        "{stderr}"
    );
    let skipped = run(&["import", "--skip-invalid", file.to_str().unwrap()]);
    assert!(!skipped.status.success(), "rejections still fail the run");
    let rejects = std::fs::read_to_string(dir.join("records.jsonl.rejected.jsonl")).unwrap();
    assert_eq!(rejects.lines().count(), 1);
    assert!(rejects.contains("\"line\":3"), "{rejects}");
    let again = run(&["import", "--skip-invalid", file.to_str().unwrap()]);
    assert!(!again.status.success());
    // From a pipe, the rejects file needs a place: beside it is none.
    let piped = run(&[
        "import",
        "--format",
        "native",
        "--skip-invalid",
        "/dev/null",
    ]);
    assert!(!piped.status.success());
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        stderr.contains("/dev/null is not a regular file (a pipe?): pass --rejects FILE"),
        "{stderr}"
    );
    assert!(!std::path::Path::new("/dev/null.rejected.jsonl").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// `STUDYGRAPH_LOG_FORMAT=json`: every log line is one JSON object, fields included.
#[test]
fn logs_can_be_json_lines() {
    let dir =
        std::env::temp_dir().join(format!("studygraph-log-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("records.jsonl");
    std::fs::write(&file, r#"{"type":"producer","name":"Agency"}"#).unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.join("log.db").display());
    let run = |format: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_studygraph"))
            .args(["import", file.to_str().unwrap()])
            .env("STUDYGRAPH_DATABASE_URL", &database)
            .env("STUDYGRAPH_LOG_FORMAT", format)
            .env("RUST_LOG", "info")
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stderr).unwrap()
    };
    let json = run("json");
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let finished = lines
        .iter()
        .find(|l| l["message"] == "import finished")
        .unwrap_or_else(|| panic!("no import line in {json}"));
    assert_eq!(finished["level"], "INFO");
    assert!(
        finished["summary"]
            .as_str()
            .unwrap()
            .contains("1 producers"),
        "{finished}"
    );
    let text = run("text");
    assert!(
        text.contains("import finished") && !text.trim_start().starts_with('{'),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// JSON has one kind of number, and JSON Schema (which checks records before an import) counts
/// `2005.0` as the integer 2005: the importer reads it so too (it refused it, "expected i32").
async fn a_year_written_with_a_zero_fraction_is_that_year(app: &TestApp) {
    let line = r#"{"type":"dataset","studyNumber":"99005","title":"x","timePeriod":{"start":2005.0,"end":2.006e3}}"#;
    import_str(&app.db, "y.jsonl", line)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let found = app
        .data(r#"{ dataset(studyNumber: "99005") { timePeriod { start end } } }"#)
        .await;
    assert_eq!(
        found["dataset"]["timePeriod"],
        json!({ "start": 2005, "end": 2006 })
    );
}
