//! The link importers: Scholix v3 links (finding datasets and publications by DOI, creating
//! the missing side, relation types read from the publication) and CSV link sheets; both all or
//! nothing with line errors, and idempotent.

use serde_json::{Value, json};
use studygraph::import::native::ImportError;
use studygraph::import::{csv_links, scholix};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    scholix_links_an_existing_dataset_to_a_new_publication,
    scholix_reimport_changes_nothing,
    a_bad_scholix_record_leaves_the_database_unchanged,
    a_url_shared_by_works_without_keys_names_none,
    a_doi_and_a_number_that_disagree_link_nothing,
    a_csv_sheet_links_existing_records,
    a_csv_sheet_keeps_what_its_columns_do_not_give,
    csv_sheets_with_cr_line_ends_keep_their_separator,
    a_bad_csv_row_names_its_line,
);

/// The dataset (Source) is the demo's ICPSR 20423, found by DOI; the article (Target) is new.
/// "Dataset IsReferencedBy article" is, from the article, REFERENCES.
const DATASET_TO_ARTICLE: &str = r#"{"LinkPublicationDate":"2021-03-04T10:11:12Z","LinkProvider":[{"Name":"DataCite"}],"RelationshipType":{"Name":"IsReferencedBy","SubType":"IsCitedBy","SubTypeSchema":"DataCite"},"Source":{"Identifier":[{"ID":"10.3886/icpsr20423.v1","IDScheme":"doi","IDURL":"https://doi.org/10.3886/ICPSR20423.v1"}],"Type":{"Name":"dataset"},"Title":"A title that must not replace the demo's"},"Target":{"Identifier":[{"ID":"https://doi.org/10.5555/trafficking.2020.7","IDScheme":"doi"}],"Type":{"Name":"literature","SubType":"journal-article"},"Title":"Police  Responses to\nTrafficking","Creator":[{"Name":"Ada Lovelace"},{"Name":"Alan Turing"}],"PublicationDate":"2020-05"}}"#;

/// Literature first, a dataset known only by its DOI (and a newer ICPSR version of a demo study).
const ARTICLE_TO_DATASETS: &str = r#"{"LinkProvider":[{"Name":"Crossref"}],"RelationshipType":{"Name":"IsRelatedTo","SubType":"Documents","SubTypeSchema":"DataCite"},"Source":{"Identifier":[{"ID":"10.5555/trafficking.2020.7","IDScheme":"doi"}],"Type":{"Name":"literature"}},"Target":{"Identifier":[{"ID":"10.3886/ICPSR99901.v1","IDScheme":"doi"}],"Type":{"Name":"dataset"},"PublicationDate":"2019-11-02"}}
{"RelationshipType":{"Name":"IsSupplementTo"},"Source":{"Identifier":{"ID":"10.3886/ICPSR35308.v3","IDScheme":"doi"},"Type":"dataset"},"Target":{"Identifier":[{"ID":"10.5555/trafficking.2020.7","IDScheme":"doi"}],"Type":"publication"}}"#;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let rows = app.sql_rows(sql).await;
    rows[0].try_get::<i64>("", "n").expect("n")
}

/// Record and link counts, and every link as `(publication id, dataset id, type, source, date)`.
async fn snapshot(app: &TestApp) -> Value {
    let data = app
        .data("{ publications { totalCount } datasets { totalCount } producers { totalCount } }")
        .await;
    let links = count(app, "SELECT COUNT(*) AS n FROM publication_dataset").await;
    let rows = app
        .sql_rows(
            "SELECT publication_id, dataset_id, relation_type, source, linked_on FROM publication_dataset \
             ORDER BY publication_id, dataset_id",
        )
        .await;
    let rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!([
                row.try_get::<i64>("", "publication_id").unwrap(),
                row.try_get::<i64>("", "dataset_id").unwrap(),
                row.try_get::<String>("", "relation_type").unwrap(),
                row.try_get::<Option<String>>("", "source").unwrap(),
                row.try_get::<Option<chrono::NaiveDate>>("", "linked_on")
                    .unwrap()
                    .map(|d| d.to_string()),
            ])
        })
        .collect();
    json!({ "counts": data, "links": links, "rows": rows })
}

const ARTICLE: &str = r#"{ p: publication(doi: "10.5555/TRAFFICKING.2020.7") {
    title authors url publishedOn { iso }
    relatedDatasets { totalCount edges { relationType source linkedOn node { studyNumber doi title version } } } } }"#;

async fn scholix_links_an_existing_dataset_to_a_new_publication(app: &TestApp) {
    let before = snapshot(app).await;
    let dataset_id = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let summary = scholix::import_str(&app.db, "links.jsonl", DATASET_TO_ARTICLE)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        (summary.publications, summary.datasets, summary.links),
        (1, 0, 1),
        "the dataset was found by DOI, not duplicated"
    );
    let after = snapshot(app).await;
    assert_eq!(
        after["counts"]["datasets"], before["counts"]["datasets"],
        "no dataset created"
    );
    let data = app.data(ARTICLE).await;
    assert_eq!(
        data["p"],
        json!({
            "title": "Police Responses to Trafficking",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "url": "https://doi.org/10.5555/trafficking.2020.7",
            "publishedOn": { "iso": "2020-05" },
            "relatedDatasets": { "totalCount": 1, "edges": [{
                "relationType": "REFERENCES",
                "source": "DataCite",
                "linkedOn": "2021-03-04",
                "node": {
                    "studyNumber": "20423",
                    "doi": "10.3886/ICPSR20423.v1",
                    "title": "Law Enforcement Response to Human Trafficking and the Implications for Victims in the United States, 2005",
                    "version": "v1"
                }
            }] }
        })
    );
    let dataset = app
        .data(r#"{ dataset(studyNumber: "20423") { id relatedPublications { totalCount } } }"#)
        .await;
    assert_eq!(dataset["dataset"]["id"], json!(dataset_id));
    assert_eq!(
        dataset["dataset"]["relatedPublications"]["totalCount"], 2,
        "NCJ 216547 and the new article"
    );

    // The article as Source: a SubType refines IsRelatedTo; a dataset known only by its DOI is
    // created (titled by its DOI, with the ICPSR study number); a newer version's DOI of a demo
    // study lands on that study; a plain-string Type and one Identifier object are read too.
    let summary = scholix::import_str(&app.db, "more.jsonl", ARTICLE_TO_DATASETS)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        (summary.publications, summary.datasets, summary.links),
        (0, 1, 2)
    );
    let data = app.data(ARTICLE).await;
    let edges = data["p"]["relatedDatasets"]["edges"].as_array().unwrap();
    let edge = |study: &str| {
        edges
            .iter()
            .find(|e| e["node"]["studyNumber"] == study)
            .unwrap_or_else(|| panic!("no link to {study}: {edges:#?}"))
            .clone()
    };
    assert_eq!(edge("99901")["relationType"], "DOCUMENTS");
    assert_eq!(edge("99901")["source"], "Crossref");
    assert_eq!(
        edge("99901")["node"],
        json!({ "studyNumber": "99901", "doi": "10.3886/ICPSR99901.v1", "title": "10.3886/ICPSR99901.v1", "version": "v1" })
    );
    assert_eq!(
        edge("35308")["relationType"],
        "IS_SUPPLEMENTED_BY",
        "dataset IsSupplementTo article: the article is supplemented by it"
    );
    assert_eq!(edge("35308")["node"]["doi"], "10.3886/ICPSR35308.v1");
    let created = app
        .data(r#"{ dataset(doi: "10.3886/ICPSR99901.v1") { releasedOn { iso } } }"#)
        .await;
    assert_eq!(created["dataset"]["releasedOn"]["iso"], "2019-11-02");
}

async fn scholix_reimport_changes_nothing(app: &TestApp) {
    let array = format!(
        "[\n{},\n{}\n]\n",
        DATASET_TO_ARTICLE,
        ARTICLE_TO_DATASETS.replace('\n', ",\n")
    );
    let first = scholix::import_str(&app.db, "links.json", &array)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((first.publications, first.datasets, first.links), (1, 1, 3));
    let before = snapshot(app).await;
    let again = scholix::import_str(&app.db, "links.json", &array)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(again, Default::default(), "nothing new on a re-import");
    assert_eq!(snapshot(app).await, before);
    // The same links as JSON Lines and as a ScholeXplorer API page: still nothing new.
    let lines = format!("{DATASET_TO_ARTICLE}\n\n{ARTICLE_TO_DATASETS}\n");
    let again = scholix::import_str(&app.db, "links.jsonl", &lines)
        .await
        .unwrap();
    assert_eq!(again, Default::default());
    let page = format!(
        r#"{{"currentPage":0,"totalLinks":3,"totalPages":1,"result":{}}}"#,
        array.trim()
    );
    let again = scholix::import_str(&app.db, "page.json", &page)
        .await
        .unwrap();
    assert_eq!(again, Default::default());
    assert_eq!(snapshot(app).await, before);
}

async fn a_bad_scholix_record_leaves_the_database_unchanged(app: &TestApp) {
    let before = snapshot(app).await;
    let literature_only = r#"{
    "RelationshipType": {"Name": "References"},
    "Source": {"Identifier": [{"ID": "10.5555/one", "IDScheme": "doi"}], "Type": {"Name": "literature"}},
    "Target": {"Identifier": [{"ID": "10.5555/two", "IDScheme": "doi"}], "Type": {"Name": "literature"}}
  }"#;
    let file = format!("[\n  {DATASET_TO_ARTICLE},\n\n  {literature_only}\n]\n");
    let err = scholix::import_str(&app.db, "links.json", &file)
        .await
        .unwrap_err();
    assert!(matches!(err, ImportError::Record(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("links.json:4: [1].Target.Type: \"literature\": "),
        "the line where the record starts: {message}"
    );
    assert_eq!(
        snapshot(app).await,
        before,
        "nothing from the first record was written"
    );
    let missing = app
        .data(r#"{ publication(doi: "10.5555/trafficking.2020.7") { id } }"#)
        .await;
    assert_eq!(missing["publication"], Value::Null);

    let given_twice = DATASET_TO_ARTICLE.replace(
        r#""Title":"A title"#,
        r#""Title":"Another title","Title":"A title"#,
    );
    // Scholix fields are read ignoring case: a key in other case is the same field again.
    let other_case = DATASET_TO_ARTICLE.replace(
        r#""Title":"A title"#,
        r#""title":"Another title","Title":"A title"#,
    );
    for (file, expected) in [
        (
            format!(
                "{DATASET_TO_ARTICLE}\n{}",
                DATASET_TO_ARTICLE.replace("2020-05", "May 2020")
            ),
            "t.jsonl:2: Target.PublicationDate: \"May 2020\" is not a date",
        ),
        (
            format!(
                "\n\n{}",
                DATASET_TO_ARTICLE.replace("IsReferencedBy", "Likes")
            ),
            "t.jsonl:3: RelationshipType.Name: unknown relationship type \"Likes\"",
        ),
        (
            DATASET_TO_ARTICLE.replace(
                r#""Type":{"Name":"dataset"}"#,
                r#""Type":{"Name":"software"}"#,
            ),
            "t.jsonl:1: Source.Type: \"software\": ",
        ),
        (
            DATASET_TO_ARTICLE
                .replace(r#""IDScheme":"doi","IDURL""#, r#""IDScheme":"ark","IDURL""#)
                .replace("https://doi.org/10.3886/ICPSR20423.v1", "")
                .replace("10.3886/icpsr20423.v1", "ark:/1234/x"),
            "t.jsonl:1: Source.Identifier: no DOI or URL to find the work by (schemes: ark)",
        ),
        (
            DATASET_TO_ARTICLE.replace("2021-03-04T10:11:12Z", "2021"),
            "t.jsonl:1: LinkPublicationDate: \"2021\" is not a date like",
        ),
        (
            format!("{DATASET_TO_ARTICLE}\n{{\"Source\": "),
            "t.jsonl:2: record: EOF while parsing",
        ),
        // JSON keeps the last value of a repeated key: the first would be dropped silently.
        (
            given_twice.clone(),
            "t.jsonl:1: Source.Title: field given twice",
        ),
        (
            format!("[\n{DATASET_TO_ARTICLE},\n{given_twice}\n]"),
            "t.jsonl:3: [1].Source.Title: field given twice",
        ),
        (
            other_case.clone(),
            "t.jsonl:1: Source.title: field given twice",
        ),
        (
            format!("[\n{DATASET_TO_ARTICLE},\n{other_case}\n]"),
            "t.jsonl:3: [1].Source.title: field given twice",
        ),
        (
            format!("{{\"result\": [],\n\"result\": [{DATASET_TO_ARTICLE}]}}"),
            "t.jsonl:1: result: field given twice",
        ),
    ] {
        let err = scholix::import_str(&app.db, "t.jsonl", &file)
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(expected),
            "\n  got: {message}\n want: {expected}…"
        );
    }
    let native = r#"{"type":"link","publication":{"ncjNumber":"216547"},"dataset":{"studyNumber":"20423"},"relationType":"REFERENCES","linkedOn":"2024-1-15"}"#;
    let err = studygraph::import::native::import_str(&app.db, "l.jsonl", native)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "l.jsonl:1: linkedOn: \"2024-1-15\" is not a YYYY-MM-DD date"
    );
    assert_eq!(snapshot(app).await, before);
}

/// A link by a URL that several works without keys share names none of them: a Scholix record
/// was linked to the oldest, silently (the native format refuses it), and the Scholix export
/// wrote such a link with the shared URL, which its import then linked to the oldest.
async fn a_url_shared_by_works_without_keys_names_none(app: &TestApp) {
    let shared = "https://example.gov/division-operations";
    let records = format!(
        r#"{{"type":"dataset","title":"Workload 1990-1999","url":"{shared}"}}
{{"type":"publication","ncjNumber":"URL-1","title":"On the workload"}}
{{"type":"link","publication":{{"ncjNumber":"URL-1"}},"dataset":{{"url":"{shared}"}},"relationType":"REFERENCES"}}"#
    );
    studygraph::import::native::import_str(&app.db, "first.jsonl", &records)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let later = format!(r#"{{"type":"dataset","title":"Workload 2000-2009","url":"{shared}"}}"#);
    studygraph::import::native::import_str(&app.db, "later.jsonl", &later)
        .await
        .unwrap_or_else(|err| panic!("{err}"));

    let before = snapshot(app).await;
    let link = format!(
        r#"{{"RelationshipType":{{"Name":"References"}},"Source":{{"Identifier":[{{"ID":"10.5555/paper.2005","IDScheme":"doi"}}],"Type":{{"Name":"literature"}}}},"Target":{{"Identifier":[{{"ID":"{shared}","IDScheme":"url"}}],"Type":{{"Name":"dataset"}},"Title":"Workload 2000-2009"}}}}"#
    );
    let err = scholix::import_str(&app.db, "t.jsonl", &link)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "t.jsonl:1: Target.Identifier: several datasets without a natural key have the URL \"{shared}\"; name the work by a DOI or number"
        )
    );
    assert_eq!(snapshot(app).await, before);

    // The link made while the URL was one work's is not exported by that URL any more.
    let mut out = Vec::new();
    let summary = studygraph::export::write_scholix(&app.db, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains(shared), "{text}");
    assert_eq!(summary.skipped_links, 1);

    // A URL that one work without keys has still finds it.
    let unique = link.replace(shared, "https://example.gov/other");
    let other = r#"{"type":"dataset","title":"Other","url":"https://example.gov/other"}"#;
    studygraph::import::native::import_str(&app.db, "other.jsonl", other)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    scholix::import_str(&app.db, "u.jsonl", &unique)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let linked = app
        .data(
            r#"{ publication(doi: "10.5555/paper.2005") { relatedDatasets { nodes { title } } } }"#,
        )
        .await;
    assert_eq!(
        linked["publication"]["relatedDatasets"]["nodes"],
        json!([{ "title": "Other" }])
    );
}

/// A side whose DOI names a work with another number than the side gives is refused, as a
/// native record is: the link was made to the DOI's work, silently.
async fn a_doi_and_a_number_that_disagree_link_nothing(app: &TestApp) {
    let before = snapshot(app).await;
    let conflicting = DATASET_TO_ARTICLE.replace(
        r#"{"ID":"10.3886/icpsr20423.v1","IDScheme":"doi","IDURL":"https://doi.org/10.3886/ICPSR20423.v1"}"#,
        r#"{"ID":"10.3886/icpsr20423.v1","IDScheme":"doi"},{"ID":"ICPSR 779","IDScheme":"icpsr"}"#,
    );
    assert_ne!(conflicting, DATASET_TO_ARTICLE);
    let err = scholix::import_str(&app.db, "t.jsonl", &conflicting)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.jsonl:1: Source.Identifier: \"779\" differs from ICPSR 20423, the number of the work its doi names; one work keeps one number (change it through the API if it is wrong)"
    );
    assert_eq!(snapshot(app).await, before);
    // The same number agrees.
    let agreeing = conflicting.replace("ICPSR 779", "ICPSR 20423");
    scholix::import_str(&app.db, "t.jsonl", &agreeing)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
}

const RELATED: &str = r#"{ p: publication(ncjNumber: "216547") {
    relatedDatasets { totalCount edges { relationType source linkedOn node { studyNumber } } } } }"#;

/// A sheet that re-types links without `source` or `linked_on` columns keeps the links' own
/// (they cleared them: a curator's sheet wiped what NCJRS or a Scholix dump had said); a
/// column that is there but empty clears them, as a native record does.
async fn a_csv_sheet_keeps_what_its_columns_do_not_give(app: &TestApp) {
    let edge = |data: &Value| {
        data["p"]["relatedDatasets"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["studyNumber"] == "35308")
            .cloned()
            .expect("a link to ICPSR 35308")
    };
    let full = "publication,dataset,relation_type,source,linked_on\n216547,35308,REFERENCES,NCJRS,2024-01-15\n";
    csv_links::import_str(&app.db, "full.csv", full)
        .await
        .unwrap();
    let retyped = "publication,dataset,relation_type\n216547,35308,DOCUMENTS\n";
    csv_links::import_str(&app.db, "retyped.csv", retyped)
        .await
        .unwrap();
    assert_eq!(
        edge(&app.data(RELATED).await),
        json!({ "relationType": "DOCUMENTS", "source": "NCJRS", "linkedOn": "2024-01-15",
                "node": { "studyNumber": "35308" } })
    );
    let dated = "publication,dataset,relation_type,linked_on\n216547,35308,DOCUMENTS,\n";
    csv_links::import_str(&app.db, "dated.csv", dated)
        .await
        .unwrap();
    assert_eq!(
        edge(&app.data(RELATED).await),
        json!({ "relationType": "DOCUMENTS", "source": "NCJRS", "linkedOn": null,
                "node": { "studyNumber": "35308" } })
    );
}

/// Excel's "CSV (Macintosh)" ends rows with CR alone. The separator was chosen from the first
/// LF-ended line, the whole file there, so a comma in any row made a tab or semicolon sheet's
/// header one unknown column.
async fn csv_sheets_with_cr_line_ends_keep_their_separator(app: &TestApp) {
    for (name, sheet) in [
        (
            "cr.tsv",
            "publication\tdataset\trelation_type\tsource\rNCJ 216547\tICPSR 35308\tREFERENCES\tEngel, Calnon and Bernard\r",
        ),
        (
            "cr.csv",
            "publication;dataset;relation_type;source\rNCJ 216547;ICPSR 35308;DOCUMENTS;Engel, Calnon\r",
        ),
    ] {
        csv_links::import_str(&app.db, name, sheet)
            .await
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        let data = app.data(RELATED).await;
        let edges = data["p"]["relatedDatasets"]["edges"].as_array().unwrap();
        let edge = edges
            .iter()
            .find(|e| e["node"]["studyNumber"] == "35308")
            .expect("a link to ICPSR 35308");
        assert!(
            edge["source"]
                .as_str()
                .unwrap()
                .starts_with("Engel, Calnon"),
            "{name}: {edge}"
        );
    }
}

async fn a_csv_sheet_links_existing_records(app: &TestApp) {
    let before = snapshot(app).await;
    let sheet = "\u{feff}Publication,Dataset,Relation Type,Source,Linked_On\r\n\
        NCJ 216547,ICPSR 35308,References,\"Clawson, H. J. (curator, \"\"NIJ\"\")\",2024-01-15\r\n\
        \r\n\
        https://doi.org/10.1111/j.1745-9125.2003.tb00986.x,03151,is_referenced_by,,\r\n";
    let summary = csv_links::import_str(&app.db, "sheet.csv", sheet)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let after = snapshot(app).await;
    assert_eq!(after["counts"], before["counts"], "no record created");
    let data = app.data(RELATED).await;
    let edges = data["p"]["relatedDatasets"]["edges"].as_array().unwrap();
    assert_eq!(data["p"]["relatedDatasets"]["totalCount"], 2);
    let new = edges
        .iter()
        .find(|e| e["node"]["studyNumber"] == "35308")
        .expect("a link to ICPSR 35308");
    assert_eq!(
        new,
        &json!({ "relationType": "REFERENCES", "source": "Clawson, H. J. (curator, \"NIJ\")",
                 "linkedOn": "2024-01-15", "node": { "studyNumber": "35308" } })
    );
    let by_doi = app
        .data(
            r#"{ publication(doi: "10.1111/j.1745-9125.2003.tb00986.x") {
            relatedDatasets(relationType: [IS_REFERENCED_BY]) { nodes { studyNumber } } } }"#,
        )
        .await;
    assert_eq!(
        by_doi["publication"]["relatedDatasets"]["nodes"],
        json!([{ "studyNumber": "3151" }])
    );
    // The demo already links that article to ICPSR 3151 (REFERENCES): the row updates it.
    assert_eq!(summary.links, 1, "one new link, one updated");
    assert_eq!(
        after["links"].as_i64().unwrap(),
        before["links"].as_i64().unwrap() + 1
    );
    // Re-importing changes nothing.
    let again = csv_links::import_str(&app.db, "sheet.csv", sheet)
        .await
        .unwrap();
    assert_eq!(again, Default::default());
    assert_eq!(snapshot(app).await, after);
}

async fn a_bad_csv_row_names_its_line(app: &TestApp) {
    let before = snapshot(app).await;
    // Row 2 is fine and spans two lines (a quoted line break); row 3 names a missing study.
    let sheet = "publication,dataset,relation_type,source\n\
        216547,35308,IS_RELATED_TO,\"first line\nsecond line\"\n\
        216547,99999,IS_RELATED_TO,x\n";
    let err = csv_links::import_str(&app.db, "sheet.csv", sheet)
        .await
        .unwrap_err();
    assert!(matches!(err, ImportError::Record(_)), "{err}");
    assert!(
        err.to_string()
            .starts_with("sheet.csv:4: dataset: no dataset \"99999\""),
        "{err}"
    );
    assert_eq!(snapshot(app).await, before, "row 2 was not written");

    for (sheet, expected) in [
        (
            "publication,dataset,relation_type\n216547,20423,CITES\n",
            "s.csv:2: relation_type: unknown relation type \"CITES\"",
        ),
        (
            "publication,dataset,relation_type\nNCJ 999999,20423,REFERENCES\n",
            "s.csv:2: publication: no publication \"999999\"",
        ),
        (
            "publication,dataset,relation_type\nreport seven,20423,REFERENCES\n",
            "s.csv:2: publication: \"report seven\" is not an NCJ number",
        ),
        (
            "publication,dataset,relation_type,linked_on\n216547,20423,REFERENCES,15/01/2024\n",
            "s.csv:2: linked_on: \"15/01/2024\" is not a YYYY-MM-DD date",
        ),
        (
            // A day is written in full, as in mutations and native records.
            "publication,dataset,relation_type,linked_on\n216547,20423,REFERENCES,2024-1-15\n",
            "s.csv:2: linked_on: \"2024-1-15\" is not a YYYY-MM-DD date",
        ),
        (
            "publication,dataset,relation_type\n216547,20423,REFERENCES,NIJ, 2024\n",
            "s.csv:2: record: 5 fields, but the header has 3 columns",
        ),
        (
            "publication,dataset,relation_type,linkedon,notes\n",
            "s.csv:1: notes: unknown column",
        ),
        (
            "publication,relation_type\n216547,REFERENCES\n",
            "s.csv:1: dataset: missing column",
        ),
        (
            "publication,dataset,relation_type\n\n216547,20423,\"REFERENCES\n",
            "s.csv:3: record: a quoted field is never closed",
        ),
    ] {
        let err = csv_links::import_str(&app.db, "s.csv", sheet)
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(expected),
            "\n  got: {message}\n want: {expected}…"
        );
    }
    assert_eq!(snapshot(app).await, before);
}
