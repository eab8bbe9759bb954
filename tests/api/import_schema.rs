//! The JSON Schema of the native format (`docs/native-record.schema.json`) says what the
//! importer reads: every record of the demo data, the generator and an export is valid, and
//! edge cases it accepts are valid (`import_schema_cases` holds the records both refuse).

use serde_json::Value;
use studygraph::generate::{GenerateOptions, write_graph};
use studygraph::import::native::import_str;

use crate::helpers::TestApp;
use crate::on_both_backends_empty;

on_both_backends_empty!(the_schema_accepts_what_the_importer_reads);

const SCHEMA: &str = include_str!("../../docs/native-record.schema.json");
const DEMO: &str = include_str!("../../demo/demo.jsonl");

pub(crate) fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// The schema's complaints about `line` (empty: valid).
pub(crate) fn complaints(validator: &jsonschema::Validator, line: &str) -> Vec<String> {
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
}
