//! The JSON Schema of the native format (`docs/native-record.schema.json`) says what the
//! importer reads: every record of the demo data, the generator and an export is valid, records
//! the importer refuses for their shape are invalid, and edge cases it accepts are valid.

use serde_json::Value;
use studygraph::generate::{GenerateOptions, write_graph};
use studygraph::import::native::import_str;

use crate::helpers::TestApp;
use crate::on_both_backends_empty;

on_both_backends_empty!(the_schema_accepts_what_the_importer_reads);

const SCHEMA: &str = include_str!("../../docs/native-record.schema.json");
const DEMO: &str = include_str!("../../demo/demo.jsonl");

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// The schema's complaints about `line` (empty: valid).
fn complaints(validator: &jsonschema::Validator, line: &str) -> Vec<String> {
    let record: Value = serde_json::from_str(line).expect("a JSON line");
    validator
        .iter_errors(&record)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

fn assert_all_valid(validator: &jsonschema::Validator, what: &str, text: &str) {
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let found = complaints(validator, line);
        assert!(found.is_empty(), "{what}:{}: {found:?}\n{line}", i + 1);
    }
}

#[test]
fn demo_and_generated_records_are_valid() {
    let validator = validator();
    assert_all_valid(&validator, "demo.jsonl", DEMO);
    let options = GenerateOptions {
        publications: 300,
        datasets: 60,
        producers: 40,
        links: 500,
        seed: 3,
    };
    let mut generated = Vec::new();
    write_graph(&options, &mut generated).unwrap();
    assert_all_valid(
        &validator,
        "generated",
        &String::from_utf8(generated).unwrap(),
    );
}

/// Records in the format's corners: the schema and the importer both accept them, and an
/// export of what they made is valid too.
async fn the_schema_accepts_what_the_importer_reads(app: &TestApp) {
    let validator = validator();
    let accepted = [
        r#"{"type":"producer","name":"Agency","abbreviation":"AG","aliases":["The Agency"],"kind":null,"location":"Washington, DC","url":null,"parent":null}"#,
        r#"{"type":"producer","name":"Office","parent":"AG"}"#,
        r#"{"type":"publication","ncjNumber":"NCJ 0099001","doi":null,"title":"Year only","publishedOn":"2006","authors":null,"subjects":["a"],"producers":[{"producer":"Agency > Office","role":"PRODUCER"}],"synthetic":true}"#,
        r#"{"type":"publication","doi":"10.1234/x","title":"Month","publishedOn":"2006-10","abstract":"text","physicalDescription":"24 p.","placeOfProduction":"DC","language":"English","publicationType":"Report","subtitle":"s","url":"https://example.org/p"}"#,
        r#"{"type":"publication","title":"Keyless","url":"https://example.org/k"}"#,
        r#"{"type":"dataset","studyNumber":"ICPSR 99002","title":"Study","summary":null,"timePeriod":{"start":2001,"end":null},"geographicCoverage":["United States"],"releasedOn":"2011-06-13","version":"v1","series":null,"dataTypes":[],"subjects":null,"url":null,"producers":[]}"#,
        r#"{"type":"link","publication":{"ncjNumber":"99001"},"dataset":{"studyNumber":"99002"},"relationType":"REFERENCES","source":"NCJRS","linkedOn":"2020-02-29"}"#,
        r#"{"type":"link","publication":{"url":"https://example.org/k"},"dataset":{"studyNumber":"99002"},"relationType":"DOCUMENTS","source":null,"linkedOn":null}"#,
    ];
    for line in accepted {
        assert_eq!(complaints(&validator, line), Vec::<String>::new(), "{line}");
    }
    import_str(&app.db, "corners.jsonl", &accepted.join("\n"))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let mut export = Vec::new();
    studygraph::export::write_native(&app.db, &mut export)
        .await
        .unwrap();
    assert_all_valid(&validator, "export", &String::from_utf8(export).unwrap());

    // Shapes the importer refuses: the schema refuses them too.
    let refused = [
        r#"{"name":"No type"}"#,
        r#"{"type":"journal","title":"Unknown type"}"#,
        r#"{"type":"producer","name":"A > B"}"#,
        r#"{"type":"producer","name":"X","aliases":["Y > Z"]}"#,
        r#"{"type":"producer","name":"X","colour":"red"}"#,
        r#"{"type":"publication","ncjNumber":"1"}"#,
        r#"{"type":"publication","title":"x","publishedOn":"Oct 2006"}"#,
        r#"{"type":"publication","title":"x","publishedOn":"2006-13"}"#,
        r#"{"type":"publication","title":"x","publishDate":"2006"}"#,
        r#"{"type":"publication","title":"x","producers":[{"producer":"Agency","role":"AUTHOR"}]}"#,
        r#"{"type":"publication","title":"x","producers":[{"producer":"Agency"}]}"#,
        r#"{"type":"dataset","title":"x","timePeriod":{"start":"2001"}}"#,
        r#"{"type":"dataset","title":"x","subjects":"one"}"#,
        r#"{"type":"publication","title":"x","publicationType":"unknown"}"#,
        r#"{"type":"dataset","title":"x","subjects":["crime","unknown"]}"#,
        r#"{"type":"producer","name":"X","kind":"unknown"}"#,
        r#"{"type":"link","publication":{"ncjNumber":"99001"},"dataset":{"studyNumber":"99002"},"relationType":"CITES"}"#,
        r#"{"type":"link","publication":{"ncjNumber":"99001","doi":"10.1234/x"},"dataset":{"studyNumber":"99002"},"relationType":"REFERENCES"}"#,
        r#"{"type":"link","publication":{},"dataset":{"studyNumber":"99002"},"relationType":"REFERENCES"}"#,
        r#"{"type":"link","publication":{"studyNumber":"99002"},"dataset":{"studyNumber":"99002"},"relationType":"REFERENCES"}"#,
        r#"{"type":"link","publication":{"ncjNumber":"99001"},"dataset":{"studyNumber":"99002"},"relationType":"REFERENCES","linkedOn":"2020-02"}"#,
        r#"{"type":"link","publication":{"ncjNumber":"99001"},"dataset":{"studyNumber":"99002"}}"#,
    ];
    for line in refused {
        assert!(
            !complaints(&validator, line).is_empty(),
            "the schema accepts {line}"
        );
        let outcome = import_str(&app.db, "refused.jsonl", line).await;
        assert!(outcome.is_err(), "the importer accepts {line}");
    }
}
