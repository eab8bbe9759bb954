//! The schema (`docs/native-record.schema.json`) and the importer give the same verdict on every
//! record of a table of the format's corners: blank and bare-prefix values, DOIs, years,
//! "unknown" facets, producer names and paths, lengths. A rule changed on one side only fails
//! here. Rules that span lines (order, paths, keys), byte limits and dates that do not exist
//! are the importer's alone (see import-format.md) and are not in the table.

use crate::helpers::TestApp;
use crate::import_schema::{complaints, validator};
use crate::on_both_backends_empty;
use studygraph::import::native::import_str;

on_both_backends_empty!(the_schema_and_the_importer_agree);

/// What both must do with a record.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    Accept,
    Refuse,
}
use Verdict::{Accept, Refuse};

/// Records the cases refer to: a producer to credit, a publication and a dataset to link.
const EARLIER: &str = r#"{"type":"producer","name":"Agency","abbreviation":"AG"}
{"type":"publication","ncjNumber":"99001","title":"Linked publication"}
{"type":"dataset","studyNumber":"99002","doi":"10.1234/d","title":"Linked dataset"}"#;

fn publication(fields: &str) -> String {
    format!(r#"{{"type":"publication",{fields}}}"#)
}

fn dataset(fields: &str) -> String {
    format!(r#"{{"type":"dataset",{fields}}}"#)
}

fn producer(fields: &str) -> String {
    format!(r#"{{"type":"producer",{fields}}}"#)
}

fn link(publication: &str, dataset: &str, rest: &str) -> String {
    format!(
        r#"{{"type":"link","publication":{publication},"dataset":{dataset},"relationType":"REFERENCES"{rest}}}"#
    )
}

/// `n` copies of `c`.
fn long(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// Titles, keys, DOIs and years.
fn record_cases() -> Vec<(Verdict, String)> {
    let titled = |fields: &str| publication(&format!(r#""title":"t",{fields}"#));
    let study = |fields: &str| dataset(&format!(r#""title":"s",{fields}"#));
    vec![
        (Refuse, publication(r#""title":"""#)),
        (Refuse, publication(r#""title":"   ""#)),
        (Refuse, dataset(r#""title":" \t ""#)),
        (Refuse, publication(r#""ncjNumber":"1""#)),
        (
            Accept,
            publication(&format!(r#""title":"{}""#, long('a', 2000))),
        ),
        (
            Refuse,
            publication(&format!(r#""title":"{}""#, long('a', 2001))),
        ),
        (
            Refuse,
            dataset(&format!(r#""title":"{}""#, long('b', 2001))),
        ),
        (
            Accept,
            titled(&format!(r#""abstract":"{}""#, long('c', 100_000))),
        ),
        (
            Refuse,
            titled(&format!(r#""abstract":"{}""#, long('c', 100_001))),
        ),
        (
            Refuse,
            study(&format!(r#""summary":"{}""#, long('c', 100_001))),
        ),
        (Refuse, titled(r#""doi":"N/A""#)),
        (Refuse, titled(r#""doi":"10.1234""#)),
        (Refuse, titled(r#""doi":"10.1234/a b""#)),
        (Refuse, titled(r#""doi":"10.x/y""#)),
        (Refuse, titled(r#""doi":"11.1/x""#)),
        (Refuse, titled(r#""doi":"doi:""#)),
        (Refuse, titled(r#""doi":"https://doi.org/""#)),
        (Refuse, titled(r#""doi":"doi:https://doi.org/10.1234/p0""#)),
        (Accept, titled(r#""doi":"10.1234/p1""#)),
        (Accept, titled(r#""doi":" https://doi.org/10.1234/P2 ""#)),
        (Accept, titled(r#""doi":"HTTP://DX.DOI.ORG/10.1.2/p3""#)),
        (Accept, titled(r#""doi":"DOI: 10.1234/p4""#)),
        (Accept, titled(r#""doi":"https://doi.org/doi:10.1234/p5""#)),
        (Accept, titled(r#""doi":"  ""#)),
        (Accept, study(r#""doi":"doi:10.1234/d6""#)),
        (Refuse, study(r#""doi":"unknown""#)),
        (Refuse, titled(r#""ncjNumber":"NCJ""#)),
        (Refuse, titled(r#""ncjNumber":" ncj - ""#)),
        (Accept, titled(r#""ncjNumber":"NCJ 0099003""#)),
        (Accept, titled(r#""ncjNumber":"T-2006""#)),
        (Accept, titled(r#""ncjNumber":"NCJ--1""#)),
        (Accept, titled(r#""ncjNumber":" ""#)),
        (Refuse, study(r#""studyNumber":"ICPSR""#)),
        (Refuse, study(r#""studyNumber":"icpsr-""#)),
        (Accept, study(r#""studyNumber":"ICPSR-99004""#)),
        (Accept, study(r#""studyNumber":"""#)),
        (Refuse, study(r#""timePeriod":{"start":99999999999}"#)),
        (Refuse, study(r#""timePeriod":{"end":-2147483649}"#)),
        (Refuse, study(r#""timePeriod":{"start":2005.5}"#)),
        (Refuse, study(r#""timePeriod":{"start":"2001"}"#)),
        (
            Accept,
            study(r#""timePeriod":{"start":-2147483648,"end":2147483647}"#),
        ),
        (
            Accept,
            study(r#""timePeriod":{"start":2005.0,"end":2.006e3}"#),
        ),
        (Accept, study(r#""timePeriod":{"start":null,"end":null}"#)),
        (Accept, study(r#""timePeriod":null"#)),
        (Refuse, titled(r#""publishedOn":"Oct 2006""#)),
        (Refuse, titled(r#""publishedOn":"2006-13""#)),
        (Refuse, titled(r#""publishedOn":"2006-1""#)),
        (Accept, titled(r#""publishedOn":" 2006-10 ""#)),
        (Accept, titled(r#""publishedOn":"""#)),
        // There is no year 0 (the schema took it after the importer refused it).
        (Refuse, titled(r#""publishedOn":"0000""#)),
        (Refuse, titled(r#""publishedOn":"0000-05-02""#)),
        (Accept, titled(r#""publishedOn":"0001""#)),
        (Refuse, study(r#""releasedOn":"0000""#)),
        (Refuse, titled(r#""publishDate":"2006""#)),
        (Refuse, study(r#""subjects":"one""#)),
        (
            Accept,
            titled(
                r#""ncjNumber":null,"doi":null,"publicationType":null,"language":null,"publishedOn":null,"abstract":null,"authors":null,"subjects":null,"producers":null"#,
            ),
        ),
        (
            Accept,
            study(
                r#""studyNumber":null,"doi":null,"summary":null,"series":null,"releasedOn":null,"dataTypes":null,"geographicCoverage":null"#,
            ),
        ),
    ]
}

/// Faceted values, lists and their lengths.
fn value_cases() -> Vec<(Verdict, String)> {
    let titled = |fields: &str| publication(&format!(r#""title":"t",{fields}"#));
    let study = |fields: &str| dataset(&format!(r#""title":"s",{fields}"#));
    vec![
        (Refuse, titled(r#""publicationType":"unknown""#)),
        (Refuse, titled(r#""publicationType":"unknown ""#)),
        (Refuse, titled(r#""language":" unknown""#)),
        (Refuse, titled(r#""subjects":["crime","unknown"]"#)),
        (Refuse, titled(r#""subjects":["unknown\t"]"#)),
        (Refuse, study(r#""dataTypes":[" unknown "]"#)),
        (Refuse, study(r#""geographicCoverage":[" unknown"]"#)),
        (Refuse, study(r#""subjects":["  unknown"]"#)),
        (Refuse, study(r#""series":" unknown ""#)),
        (Refuse, producer(r#""name":"Kind","kind":" unknown ""#)),
        (
            Accept,
            titled(r#""publicationType":"Unknown","language":"UNKNOWN""#),
        ),
        (
            Accept,
            study(r#""dataTypes":["Unknown"],"subjects":["unknowns"],"series":"un known""#),
        ),
        (Accept, producer(r#""name":"Kind","kind":"Unknown""#)),
        (
            Accept,
            titled(r#""publicationType":" ","language":"","subjects":["", " "]"#),
        ),
        (
            Accept,
            titled(&format!(r#""publicationType":"{}""#, long('p', 1000))),
        ),
        (
            Refuse,
            titled(&format!(r#""publicationType":"{}""#, long('p', 1001))),
        ),
        (
            Refuse,
            titled(&format!(r#""language":"{}""#, long('l', 1001))),
        ),
        (
            Accept,
            titled(&format!(r#""authors":["{}"]"#, long('a', 2000))),
        ),
        (
            Refuse,
            titled(&format!(r#""authors":["{}"]"#, long('a', 2001))),
        ),
        (
            Refuse,
            titled(&format!(r#""subjects":["{}"]"#, long('s', 2001))),
        ),
        (
            Refuse,
            study(&format!(r#""dataTypes":["{}"]"#, long('d', 2001))),
        ),
        (
            Refuse,
            study(&format!(r#""geographicCoverage":["{}"]"#, long('g', 2001))),
        ),
        (Refuse, study(&format!(r#""series":"{}""#, long('s', 2001)))),
    ]
}

/// Producers, their names and paths, credits and links.
fn producer_cases() -> Vec<(Verdict, String)> {
    let credited = |credit: &str| publication(&format!(r#""title":"t","producers":[{credit}]"#));
    let key = |ncj: &str| {
        link(
            &format!(r#"{{"ncjNumber":"{ncj}"}}"#),
            r#"{"studyNumber":"99002"}"#,
            "",
        )
    };
    let study_key = |key: &str| link(r#"{"ncjNumber":"99001"}"#, key, "");
    vec![
        (Refuse, producer(r#""name":"  ""#)),
        (Refuse, producer(r#""name":"A > B""#)),
        (Refuse, producer(r#""name":"A  >  B""#)),
        (Refuse, producer(r#""name":"A\t>\nB""#)),
        (Accept, producer(r#""name":"A >B""#)),
        (Accept, producer(r#""name":"Trailing >  ""#)),
        (Refuse, producer(r#""name":"X","aliases":["Y > Z"]"#)),
        (Refuse, producer(r#""name":"X","abbreviation":"Y  > Z""#)),
        (Refuse, producer(r#""name":"X","colour":"red""#)),
        (Accept, producer(r#""name":"Blank abbreviation","abbreviation":"""#)),
        (Accept, producer(r#""name":"Spaced abbreviation","abbreviation":"  ""#)),
        (Accept, producer(r#""name":"Blank aliases","aliases":[""," "]"#)),
        (Accept, producer(&format!(r#""name":"{}""#, long('n', 2000)))),
        (Refuse, producer(&format!(r#""name":"{}""#, long('n', 2001)))),
        (Refuse, producer(&format!(r#""name":"X","abbreviation":"{}""#, long('a', 2001)))),
        (Refuse, producer(&format!(r#""name":"X","aliases":["{}"]"#, long('a', 2001)))),
        (Refuse, producer(&format!(r#""name":"X","kind":"{}""#, long('k', 2001)))),
        (Refuse, producer(r#""name":"Office","parent":"""#)),
        (Refuse, producer(r#""name":"Office","parent":"   ""#)),
        (Accept, producer(r#""name":"Office","parent":"AG""#)),
        (
            Accept,
            producer(r#""name":"Root","abbreviation":null,"aliases":null,"kind":null,"parent":null"#),
        ),
        (Refuse, credited(r#"{"producer":"  ","role":"PRODUCER"}"#)),
        (Refuse, credited(r#"{"producer":"","role":"PRODUCER"}"#)),
        (Refuse, credited(r#"{"producer":"Agency","role":"AUTHOR"}"#)),
        (Refuse, credited(r#"{"producer":"Agency"}"#)),
        (Accept, credited(r#"{"producer":"Agency > Office","role":"FUNDER"}"#)),
        (Refuse, key("NCJ")),
        (Refuse, key("  ")),
        (Refuse, link(r#"{"ncjNumber":null}"#, r#"{"studyNumber":"99002"}"#, "")),
        (Accept, key("NCJ 99001")),
        (Refuse, study_key(r#"{"studyNumber":"ICPSR "}"#)),
        (Refuse, study_key(r#"{"doi":"N/A"}"#)),
        (Accept, study_key(r#"{"doi":"https://doi.org/10.1234/D"}"#)),
        (Refuse, study_key(r#"{"studyNumber":"99002","doi":"10.1234/d"}"#)),
        (Refuse, study_key("{}")),
        (Refuse, study_key(r#"{"ncjNumber":"99001"}"#)),
        (Refuse, link(r#"{"ncjNumber":"99001"}"#, r#"{"studyNumber":"99002"}"#, r#","linkedOn":"2020-02""#)),
        (Accept, link(r#"{"ncjNumber":"99001"}"#, r#"{"studyNumber":"99002"}"#, r#","linkedOn":"""#)),
        (Refuse, link(r#"{"ncjNumber":"99001"}"#, r#"{"studyNumber":"99002"}"#, r#","linkedOn":"0000-01-01""#)),
        (Refuse, r#"{"type":"link","publication":{"ncjNumber":"99001"},"dataset":{"studyNumber":"99002"},"relationType":"CITES"}"#.into()),
        (Refuse, r#"{"type":"link","publication":{"ncjNumber":"99001"},"dataset":{"studyNumber":"99002"}}"#.into()),
        (Refuse, r#"{"name":"No type"}"#.into()),
        (Refuse, r#"{"type":"journal","title":"Unknown type"}"#.into()),
    ]
}

/// Each record alone, after [`EARLIER`]: the schema's verdict and the importer's are the
/// table's.
async fn the_schema_and_the_importer_agree(app: &TestApp) {
    let validator = validator();
    import_str(&app.db, "earlier.jsonl", EARLIER)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let cases = [record_cases(), value_cases(), producer_cases()].concat();
    let mut disagreements = Vec::new();
    for (expected, line) in &cases {
        let shown: String = line.chars().take(160).collect();
        let found = complaints(&validator, line);
        let schema = if found.is_empty() { Accept } else { Refuse };
        if schema != *expected {
            disagreements.push(format!(
                "the schema: {schema:?} (expected {expected:?}) {found:?}\n  {shown}"
            ));
        }
        let outcome = import_str(&app.db, "case.jsonl", line).await;
        let importer = if outcome.is_ok() { Accept } else { Refuse };
        if importer != *expected {
            let why = outcome.err().map(|err| err.to_string());
            disagreements.push(format!(
                "the importer: {importer:?} (expected {expected:?}) {why:?}\n  {shown}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
