//! Producer records: matched by their path, never by an abbreviation or alias a sibling has
//! (siblings must not share one), and names that cannot be path segments are refused.

use studygraph::import::native::{ImportOptions, import_files, import_str};

use crate::helpers::TestApp;
use crate::on_both_backends_empty;

on_both_backends_empty!(
    a_sibling_s_abbreviation_or_alias_is_an_error,
    names_a_path_allows_still_match,
    a_name_with_the_path_separator_is_refused,
    names_with_capital_letters_beyond_ascii_are_found,
    aliases_are_found_whatever_the_case_of_letters_beyond_ascii,
    a_root_keeps_its_name_when_a_unit_below_another_shares_it,
    names_are_stored_with_their_whitespace_collapsed
);

const DOJ: &str = r#"{"type":"producer","name":"Department of Justice","abbreviation":"DOJ"}"#;

/// Every producer's path-free name, sorted.
async fn producer_names(app: &TestApp) -> Vec<String> {
    let data = app
        .data("{ producers(first: 100) { nodes { name } } }")
        .await;
    let mut names: Vec<String> = data["producers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Writes `lines` to a scratch file.
fn file_of(lines: &[&str]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "studygraph-producers-{}.jsonl",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

async fn a_sibling_s_abbreviation_or_alias_is_an_error(app: &TestApp) {
    let cases = [
        (
            [
                DOJ,
                r#"{"type":"producer","name":"Bureau of Justice Statistics","abbreviation":"BJS","parent":"DOJ"}"#,
                r#"{"type":"producer","name":"Bureau of Justice Assistance","abbreviation":"BJS","parent":"DOJ"}"#,
            ],
            r#":3: abbreviation: "BJS" already names Bureau of Justice Statistics under Department of Justice"#,
        ),
        (
            [
                DOJ,
                r#"{"type":"producer","name":"Bureau X","aliases":["The Bureau"],"parent":"DOJ"}"#,
                r#"{"type":"producer","name":"Bureau Y","aliases":["the bureau"],"parent":"Department of Justice"}"#,
            ],
            r#":3: aliases: "the bureau" already names Bureau X under Department of Justice"#,
        ),
        (
            [
                DOJ,
                r#"{"type":"producer","name":"Agency Two","aliases":["DOJ"]}"#,
                r#"{"type":"producer","name":"Agency Three"}"#,
            ],
            r#":2: aliases: "DOJ" already names Department of Justice among the root producers"#,
        ),
    ];
    for (lines, expected) in cases {
        let text = lines.join("\n");
        let err = import_str(&app.db, "p.jsonl", &text).await.unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("p.jsonl{expected}")),
            "{err}"
        );
        assert!(producer_names(app).await.is_empty(), "nothing was written");
        // The bulk path (files, stopping at the first bad record) says the same.
        let file = file_of(&lines);
        let err = import_files(
            &app.db,
            std::slice::from_ref(&file),
            ImportOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
        assert!(producer_names(app).await.is_empty(), "nothing was written");
        // Skipping invalid records rejects that line and keeps the sibling as it was.
        let outcome = import_files(
            &app.db,
            std::slice::from_ref(&file),
            ImportOptions { skip_invalid: true },
        )
        .await
        .unwrap();
        assert_eq!(outcome.rejected.len(), 1, "{expected}");
        let mut expected_names: Vec<String> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i + 1 != outcome.rejected[0].line)
            .map(|(_, line)| {
                serde_json::from_str::<serde_json::Value>(line).unwrap()["name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        expected_names.sort();
        assert_eq!(producer_names(app).await, expected_names);
        std::fs::remove_file(&file).ok();
        clear(app).await;
    }
}

/// Empties the producer table between cases.
async fn clear(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    for sql in [
        "DELETE FROM producer_alias",
        "DELETE FROM producer WHERE parent_id IS NOT NULL",
        "DELETE FROM producer",
    ] {
        app.db.conn.execute_unprepared(sql).await.unwrap();
    }
}

/// What the format allows stays: a record named by an abbreviation or alias of an existing
/// producer is that producer (a path segment may be either), and a record may repeat its own.
async fn names_a_path_allows_still_match(app: &TestApp) {
    let lines = [
        DOJ,
        r#"{"type":"producer","name":"Office of Justice Programs","abbreviation":"OJP","parent":"DOJ"}"#,
        r#"{"type":"producer","name":"Office of Justice Programs","abbreviation":"OJP","aliases":["Justice Programs"],"parent":"DOJ"}"#,
        r#"{"type":"producer","name":"Bureau of Prisons","abbreviation":"BOP","parent":"DOJ"}"#,
        r#"{"type":"producer","name":"Federal Bureau of Prisons","aliases":["Bureau of Prisons"],"abbreviation":"BOP","parent":"DOJ"}"#,
    ];
    let summary = import_str(&app.db, "ok.jsonl", &lines.join("\n"))
        .await
        .unwrap();
    assert_eq!(summary.producers, 3);
    assert_eq!(
        producer_names(app).await,
        [
            "Department of Justice",
            "Federal Bureau of Prisons",
            "Office of Justice Programs"
        ]
    );
}

async fn a_name_with_the_path_separator_is_refused(app: &TestApp) {
    for (line, expected) in [
        (
            r#"{"type":"producer","name":"A > B"}"#,
            r#"s.jsonl:1: name: "A > B" contains " > ""#,
        ),
        (
            r#"{"type":"producer","name":"A","aliases":["A > B"]}"#,
            r#"s.jsonl:1: aliases: "A > B" contains " > ""#,
        ),
    ] {
        let err = import_str(&app.db, "s.jsonl", line).await.unwrap_err();
        assert!(err.to_string().starts_with(expected), "{err}");
    }
    assert!(producer_names(app).await.is_empty());
}

/// Names, aliases and paths with capital letters beyond ASCII ("Ä", "Ö") are found by the
/// names they were written with, so a file of them loads and loads again unchanged (SQLite's
/// `lower()` lowers ASCII letters only).
async fn names_with_capital_letters_beyond_ascii_are_found(app: &TestApp) {
    let lines = [
        r#"{"type":"producer","name":"Ärzte Verband","aliases":["Österreichische Ärzte"]}"#,
        r#"{"type":"producer","name":"Sub","parent":"Ärzte Verband"}"#,
        r#"{"type":"producer","name":"Unter","parent":"Österreichische Ärzte"}"#,
        r#"{"type":"publication","ncjNumber":"1","title":"Bericht","producers":[{"producer":"Österreichische Ärzte > Sub","role":"PRODUCER"}]}"#,
    ]
    .join("\n");
    let first = import_str(&app.db, "umlauts.jsonl", &lines)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((first.producers, first.publications), (3, 1));
    let again = import_str(&app.db, "umlauts.jsonl", &lines)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((again.producers, again.publications), (0, 0));
    assert_eq!(producer_names(app).await, ["Sub", "Unter", "Ärzte Verband"]);
    let data = app
        .data(r#"{ publication(ncjNumber: "1") { producers { producer { name parent { name } } } } }"#)
        .await;
    assert_eq!(
        data["publication"]["producers"][0]["producer"],
        serde_json::json!({"name": "Sub", "parent": {"name": "Ärzte Verband"}})
    );
}

/// An alias or abbreviation is found by a name that writes its letters beyond ASCII in
/// another case, on both backends: SQLite's `lower()` leaves "Ö" and "Ä" as they are, so there
/// "österreichische ärztekammer" did not find the alias "ÖSTERREICHISCHE ÄRZTEKAMMER" (a credit
/// to it failed) and a sibling could take it in other letters.
async fn aliases_are_found_whatever_the_case_of_letters_beyond_ascii(app: &TestApp) {
    let lines = [
        r#"{"type":"producer","name":"Medical Association","abbreviation":"ÖÄK","aliases":["ÖSTERREICHISCHE ÄRZTEKAMMER"]}"#,
        r#"{"type":"publication","ncjNumber":"1","title":"Bericht","producers":[{"producer":"österreichische ärztekammer","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","ncjNumber":"2","title":"Jahresbericht","producers":[{"producer":"öäk","role":"FUNDER"}]}"#,
    ]
    .join("\n");
    let loaded = import_str(&app.db, "aliases.jsonl", &lines)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((loaded.producers, loaded.publications), (1, 2));
    let data = app
        .data(r#"{ a: publication(ncjNumber: "1") { producers { producer { name } } } b: publication(ncjNumber: "2") { producers { producer { name } } } }"#)
        .await;
    for record in ["a", "b"] {
        assert_eq!(
            data[record]["producers"][0]["producer"]["name"], "Medical Association",
            "{data}"
        );
    }
    let taken =
        r#"{"type":"producer","name":"Other Body","aliases":["Österreichische Ärztekammer"]}"#;
    let err = import_str(&app.db, "taken.jsonl", taken).await.unwrap_err();
    assert!(err.to_string().contains("already names"), "{err}");
    assert_eq!(producer_names(app).await, ["Medical Association"]);
}

/// A name with a double space or a tab was stored as written but looked up collapsed: it was
/// never found by its own name (a credit to it failed, a re-import hit the unique index with
/// a database error). Names, abbreviations and aliases are stored collapsed.
async fn names_are_stored_with_their_whitespace_collapsed(app: &TestApp) {
    let lines = [
        r#"{"type":"producer","name":"Foo  Bar","aliases":["Quux \t Agency"]}"#,
        r#"{"type":"publication","ncjNumber":"1","title":"t","producers":[{"producer":"Foo  Bar","role":"PRODUCER"},{"producer":"Quux Agency","role":"FUNDER"}]}"#,
    ]
    .join("\n");
    let first = import_str(&app.db, "spaces.jsonl", &lines)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((first.producers, first.publications), (1, 1));
    let again = import_str(&app.db, "spaces.jsonl", &lines)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((again.producers, again.publications), (0, 0));
    assert_eq!(producer_names(app).await, ["Foo Bar"]);
}

/// A root "Acme" is still named "Acme" once "Holding > Acme" exists: a one-segment path is a
/// path from the root. So the file that made them loads again unchanged, and a credit to
/// "Acme" stays the root's.
async fn a_root_keeps_its_name_when_a_unit_below_another_shares_it(app: &TestApp) {
    let lines = [
        r#"{"type":"producer","name":"Acme"}"#,
        r#"{"type":"producer","name":"Lab","parent":"Acme"}"#,
        r#"{"type":"publication","ncjNumber":"1","title":"Report by Acme","producers":[{"producer":"Acme","role":"PRODUCER"}]}"#,
        r#"{"type":"producer","name":"Holding"}"#,
        r#"{"type":"producer","name":"Acme","parent":"Holding"}"#,
        r#"{"type":"publication","ncjNumber":"2","title":"Report by the other","producers":[{"producer":"Holding > Acme","role":"PRODUCER"}]}"#,
    ]
    .join("\n");
    import_str(&app.db, "acme.jsonl", &lines)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let again = import_str(&app.db, "acme.jsonl", &lines)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((again.producers, again.publications), (0, 0));
    let data = app
        .data(
            r#"{ one: publication(ncjNumber: "1") { producers { producer { name parent { name } } } }
                 two: publication(ncjNumber: "2") { producers { producer { name parent { name } } } }
                 producers { totalCount } }"#,
        )
        .await;
    assert_eq!(data["producers"]["totalCount"], 4);
    assert_eq!(
        data["one"]["producers"][0]["producer"],
        serde_json::json!({"name": "Acme", "parent": null})
    );
    assert_eq!(
        data["two"]["producers"][0]["producer"],
        serde_json::json!({"name": "Acme", "parent": {"name": "Holding"}})
    );
}
