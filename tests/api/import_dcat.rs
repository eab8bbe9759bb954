//! The DCAT-US (Project Open Data `data.json`) importer: the real justice.gov catalog whole and
//! idempotent, catalog publishers landing on existing producers, all or nothing with line
//! errors, and its text parsers (producer names, temporal coverage).

use std::time::Instant;

use serde_json::json;
use studygraph::import::dcat::{self, import_str, parse_temporal, split_producer_name};
use studygraph::import::native::{self, ImportError};

use crate::helpers::{TestApp, real_catalog, real_org_thesaurus};
use crate::{on_both_backends, on_both_backends_empty};

on_both_backends_empty!(
    the_justice_catalog_imports_whole,
    icpsr_names_land_on_the_justice_catalogs_producers,
    structural_errors_name_line_and_field,
    keyless_records_and_unreadable_values,
    numeric_identifiers_name_collections,
    a_bad_list_item_costs_only_itself
);
on_both_backends!(
    the_justice_catalog_merges_into_the_demo,
    a_catalog_lands_on_existing_producers_and_datasets,
    one_string_publishers_land_on_existing_producers,
    a_bad_record_leaves_the_database_unchanged
);

async fn count(app: &TestApp, sql: &str) -> i64 {
    let rows = app.sql_rows(sql).await;
    rows[0].try_get::<i64>("", "n").expect("n")
}

/// `(datasets, datasets with a DOI, root producers, roots named or aliased Department of Justice)`.
async fn catalog_counts(app: &TestApp) -> (i64, i64, i64, i64) {
    let data = app.data("{ datasets { totalCount } }").await;
    let datasets = data["datasets"]["totalCount"].as_i64().unwrap();
    (
        datasets,
        count(app, "SELECT COUNT(*) AS n FROM dataset WHERE doi IS NOT NULL").await,
        count(app, "SELECT COUNT(*) AS n FROM producer WHERE parent_id IS NULL").await,
        count(
            app,
            "SELECT COUNT(*) AS n FROM producer WHERE parent_id IS NULL AND (lower(name) = 'department of justice' \
             OR id IN (SELECT producer_id FROM producer_alias WHERE lower(value) = 'department of justice'))",
        )
        .await,
    )
}

async fn the_justice_catalog_imports_whole(app: &TestApp) {
    let Some(text) = real_catalog() else { return };
    let started = Instant::now();
    let report = dcat::import_report(&app.db, "justice.json", &text)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    eprintln!(
        "timing: first import of the justice.gov catalog took {:?} ({} warnings)",
        started.elapsed(),
        report.warnings.len()
    );
    assert_eq!(report.summary.datasets, 3287);
    assert_eq!(report.keyless, 3287 - 2890);
    let counts = catalog_counts(app).await;
    assert_eq!(
        counts,
        (3287, 2890, 1, 1),
        "3,287 datasets, 2,890 with a DOI, one tree rooted at the Department of Justice"
    );

    let tree = app
        .data(
            r#"{ nij: producer(name: "Department of Justice > Office of Justice Programs > National Institute of Justice") {
                   name kind ancestors { name abbreviation }
                   datasets(role: PUBLISHER) { totalCount } }
                 bjs: producer(name: "Department of Justice > Office of Justice Programs > Bureau of Justice Statistics") { name }
                 ojjdp: producer(name: "DOJ > OJP > Office of Juvenile Justice and Delinquency Prevention") { name }
                 ojp: producer(name: "DOJ > OJP") { datasets(includeSubunits: true) { totalCount } }
                 unicor: producer(name: "DOJ > BOP > FPI-UNICOR") { name }
                 doj: producer(name: "Department of Justice") { datasets(includeSubunits: true) { totalCount } }
                 study: dataset(studyNumber: "20423") { doi version url releasedOn { iso } producers { role producer { name } } } }"#,
        )
        .await;
    assert_eq!(
        tree["nij"],
        json!({ "name": "National Institute of Justice", "kind": "government agency",
                "ancestors": [{ "name": "Department of Justice", "abbreviation": "DOJ" },
                              { "name": "Office of Justice Programs", "abbreviation": "OJP" }],
                "datasets": { "totalCount": 1293 } })
    );
    assert_eq!(tree["bjs"]["name"], "Bureau of Justice Statistics");
    assert_eq!(
        tree["ojjdp"]["name"],
        "Office of Juvenile Justice and Delinquency Prevention"
    );
    assert_eq!(
        tree["ojp"]["datasets"]["totalCount"],
        1510 + 1293 + 153 + 32
    );
    assert_eq!(tree["unicor"]["name"], "FPI-UNICOR");
    assert_eq!(tree["doj"]["datasets"]["totalCount"], 3287);
    assert_eq!(
        tree["study"],
        json!({ "doi": "10.3886/ICPSR20423.v1", "version": "v1", "url": "https://doi.org/10.3886/ICPSR20423.v1",
                "releasedOn": { "iso": "2011-06-13" },
                "producers": [{ "role": "PUBLISHER", "producer": { "name": "National Institute of Justice" } }] })
    );
    let producers = count(app, "SELECT COUNT(*) AS n FROM producer").await;

    let started = Instant::now();
    let again = dcat::import_report(&app.db, "justice.json", &text)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    eprintln!(
        "timing: re-import of the justice.gov catalog took {:?}",
        started.elapsed()
    );
    assert_eq!(
        again.summary,
        Default::default(),
        "nothing new on a re-import"
    );
    assert_eq!(again.updated, 3287);
    assert_eq!(catalog_counts(app).await, counts);
    assert_eq!(
        count(app, "SELECT COUNT(*) AS n FROM producer").await,
        producers
    );

    // Its native export, imported (twice) where the catalog was and into an empty database:
    // the same graph. The 397 datasets without DOI or study number were added again by every
    // import of the export before keyless records were found again by title, URL and producer.
    let mut export = Vec::new();
    studygraph::export::write_native(&app.db, &mut export)
        .await
        .unwrap();
    let export = String::from_utf8(export).unwrap();
    for _ in 0..2 {
        native::import_str(&app.db, "justice.jsonl", &export)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(catalog_counts(app).await, counts);
    }
    let backend = match app.db.backend() {
        sea_orm::DatabaseBackend::Postgres => crate::helpers::Backend::Postgres,
        _ => crate::helpers::Backend::Sqlite,
    };
    let copy = crate::helpers::spawn_app(backend, false).await.unwrap();
    for _ in 0..2 {
        native::import_str(&copy.db, "justice.jsonl", &export)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(catalog_counts(&copy).await, counts);
    }
    copy.finish().await;
}

async fn the_justice_catalog_merges_into_the_demo(app: &TestApp) {
    let Some(text) = real_catalog() else { return };
    let doj = app.id_of(r#"producer(name: "DOJ")"#).await;
    let nij = app.id_of(r#"producer(name: "DOJ > OJP > NIJ")"#).await;
    let (datasets, ..) = catalog_counts(app).await;
    let report = dcat::import_report(&app.db, "justice.json", &text)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        report.updated, 15,
        "the demo's 15 real ICPSR studies are updated, not duplicated"
    );
    assert_eq!(report.summary.datasets, 3287 - 15);
    assert_eq!(
        report.summary.producers, 14,
        "only the DOJ components the demo lacks (EOUST, DEA, FBI, ..., BOP > FPI-UNICOR)"
    );
    let (after, _, _, doj_roots) = catalog_counts(app).await;
    assert_eq!(after, datasets + 3287 - 15);
    assert_eq!(doj_roots, 1);
    let data = app
        .data(
            r#"{ doj: producer(name: "Department of Justice") { id name }
                 nij: producer(name: "Department of Justice > Office of Justice Programs > National Institute of Justice") {
                   id datasets(role: PUBLISHER) { totalCount } }
                 unicor: producer(name: "DOJ > Federal Bureau of Prisons > FPI-UNICOR") { parent { name } } }"#,
        )
        .await;
    assert_eq!(
        data["doj"],
        json!({ "id": doj, "name": "United States Department of Justice" })
    );
    assert_eq!(
        data["nij"],
        json!({ "id": nij, "datasets": { "totalCount": 1293 } })
    );
    assert_eq!(
        data["unicor"]["parent"]["name"],
        "Federal Bureau of Prisons"
    );
}

/// A small catalog in the shape of justice.gov's (written for this test).
pub(crate) const FIXTURE: &str = r#"{
  "@type": "dcat:Catalog",
  "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
  "dataset": [
    {
      "@type": "dcat:Dataset",
      "title": "Fixture  Trafficking Response Study,\r\n 2005",
      "description": "A catalog description that replaces the native summary.",
      "keyword": ["human trafficking", "fixtures"],
      "identifier": "900001",
      "issued": "2011-06-13T11:03:05",
      "accessLevel": "restricted public",
      "bureauCode": ["011:21"],
      "distribution": [{"@type": "dcat:Distribution", "accessURL": "https://doi.org/10.3886/ICPSR20423.v1"}],
      "publisher": {"@type": "org:Organization", "name": "National Institute of Justice",
                    "subOrganizationOf": {"acronym": "OJP", "name": "Office of Justice Programs",
                                          "parentOrganization": {"acronym": "DOJ", "name": "Department of Justice"}}},
      "_reconstructionNote": "not DCAT: ignored",
      "somethingElse": {"nested": [1, 2, 3]}
    },
    {
      "title": "Fixture Collection Series",
      "identifier": "900002",
      "issued": "2019",
      "publisher": {"name": "National Institute of Justice",
                    "subOrganizationOf": {"name": "Office of Justice Programs",
                                          "subOrganizationOf": {"name": "Department of Justice", "acronym": "DOJ"}}}
    },
    {
      "title": "Fixture Keyless Court Records, 2001-2003",
      "identifier": "900003",
      "isPartOf": "900002",
      "temporal": "2001-01-01T00:00:00.0000000/2003-12-31T00:00:00.0000000",
      "spatial": "United States; Washington, DC",
      "issued": "2020-05",
      "landingPage": "https://example.org/fixture/court-records",
      "publisher": {"name": "Bureau of Prisons", "acronym": "BOP",
                    "subOrganizationOf": {"name": "Department of Justice", "acronym": "DOJ"}}
    }
  ]
}"#;

async fn a_catalog_lands_on_existing_producers_and_datasets(app: &TestApp) {
    let shape = r#"{ datasets { totalCount } producers { totalCount } }"#;
    let before = app.data(shape).await;
    let id = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let nij = app.id_of(r#"producer(name: "DOJ > OJP > NIJ")"#).await;
    let bop = app
        .id_of(
            r#"producer(name: "United States Department of Justice > Federal Bureau of Prisons")"#,
        )
        .await;

    let report = dcat::import_report(&app.db, "fixture.json", FIXTURE)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(report.summary.producers, 0, "no new producer: {report:?}");
    assert_eq!(
        report.summary.datasets, 2,
        "the two keyless records are new"
    );
    assert_eq!(report.updated, 1, "the DOI matched the demo's study 20423");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let after = app.data(shape).await;
    assert_eq!(after["producers"], before["producers"]);
    assert_eq!(
        after["datasets"]["totalCount"],
        before["datasets"]["totalCount"].as_i64().unwrap() + 2
    );
    let data = app
        .data(
            r#"{ study: dataset(doi: "https://doi.org/10.3886/icpsr20423.v1") {
                   id studyNumber title summary subjects version releasedOn { iso }
                   producers { role producer { id name ancestors { name } } } }
                 nij: producer(name: "NIJ") { datasets(role: PUBLISHER) { nodes { title } } }
                 bop: producer(name: "BOP") { datasets(role: PUBLISHER) { nodes {
                   title timePeriod { start end } geographicCoverage releasedOn { iso } series url doi studyNumber } } } }"#,
        )
        .await;
    assert_eq!(
        data["study"],
        json!({ "id": id, "studyNumber": "20423", "title": "Fixture Trafficking Response Study, 2005",
                "summary": "A catalog description that replaces the native summary.",
                "subjects": ["human trafficking", "fixtures"], "version": "v1",
                "releasedOn": { "iso": "2011-06-13" },
                "producers": [{ "role": "PUBLISHER", "producer": { "id": nij, "name": "National Institute of Justice",
                   "ancestors": [{ "name": "United States Department of Justice" }, { "name": "Office of Justice Programs" }] } }] })
    );
    assert_eq!(
        data["nij"]["datasets"]["nodes"],
        json!([{ "title": "Fixture Trafficking Response Study, 2005" }, { "title": "Fixture Collection Series" }])
    );
    assert_eq!(
        data["bop"]["datasets"]["nodes"],
        json!([{ "title": "Fixture Keyless Court Records, 2001-2003", "timePeriod": { "start": 2001, "end": 2003 },
                 "geographicCoverage": ["United States", "Washington, DC"], "releasedOn": { "iso": "2020-05" },
                 "series": "Fixture Collection Series", "url": "https://example.org/fixture/court-records",
                 "doi": null, "studyNumber": null }])
    );
    let bop_check = app
        .data(r#"{ producer(name: "Department of Justice > Bureau of Prisons") { id } }"#)
        .await;
    assert_eq!(bop_check["producer"]["id"], bop.as_str(), "BOP by alias");

    // Re-importing changes nothing, keyless records included.
    let counts = app.data(shape).await;
    let again = import_str(&app.db, "fixture.json", FIXTURE).await.unwrap();
    assert_eq!(again, Default::default());
    assert_eq!(app.data(shape).await, counts);
}

/// Line 13 starts the third dataset, which has no title.
const BAD: &str = r#"{
  "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
  "dataset": [
    {
      "title": "Fixture Survey of Court Clerks, 2019",
      "distribution": [{"accessURL": "https://doi.org/10.99999/fixture.clerks.2019"}],
      "publisher": {"name": "Office of Fixture Studies", "subOrganizationOf": {"name": "Department of Justice"}}
    },
    {
      "title": "Fixture Survey of Court Clerks, 2020",
      "publisher": {"name": "Office of Fixture Studies", "subOrganizationOf": {"name": "Department of Justice"}}
    },
    {
      "description": "This record has no title.",
      "keyword": ["courts"]
    }
  ]
}"#;

async fn a_bad_record_leaves_the_database_unchanged(app: &TestApp) {
    let shape = r#"{ datasets { totalCount } producers { totalCount } }"#;
    let before = app.data(shape).await;
    let err = import_str(&app.db, "bad.json", BAD).await.unwrap_err();
    assert!(matches!(err, ImportError::Record(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("bad.json:13: dataset[2].title: missing"),
        "{message}"
    );
    assert_eq!(app.data(shape).await, before, "nothing was written");
    let missing = app
        .data(
            r#"{ dataset(doi: "10.99999/fixture.clerks.2019") { id } producer(name: "Office of Fixture Studies") { id } }"#,
        )
        .await;
    assert_eq!(missing, json!({ "dataset": null, "producer": null }));

    // Fixed, the same catalog loads.
    let fixed = BAD.replace(
        r#""description": "This record has no title.""#,
        r#""title": "Fixture Survey of Court Clerks, 2021""#,
    );
    let summary = import_str(&app.db, "bad.json", &fixed).await.unwrap();
    assert_eq!((summary.datasets, summary.producers), (3, 1));
}

async fn structural_errors_name_line_and_field(app: &TestApp) {
    for (text, expected) in [
        (
            "{\n  \"dataset\": [\n    {\"title\": \"x\",}\n  ]\n}",
            "c.json:3: catalog: invalid JSON",
        ),
        (
            "{\"dataset\": {\"title\": \"x\"}}",
            "c.json:1: dataset: must be an array",
        ),
        (
            "{\n\n  \"dataset\": \"x\"\n}",
            "c.json:3: dataset: must be an array",
        ),
        ("{\"conformsTo\": \"x\"}", "c.json:1: dataset: missing"),
        (
            "\"catalog\"",
            "c.json:1: catalog: must be a DCAT-US catalog",
        ),
        (
            "{\"dataset\": [{\"title\": \"x\"},\n 42]}",
            "c.json:2: dataset[1]: must be a JSON object",
        ),
        (
            "{\"dataset\": [{\"title\": \"x\"},\n\n {\"title\": 7}]}",
            "c.json:3: dataset[1].title: must be a string",
        ),
        (
            "[{\"title\": \"x\"},\n {\"title\": \"  \"}]",
            "c.json:2: dataset[1].title: must not be empty",
        ),
        // JSON keeps the last value of a repeated key: the first would be dropped silently.
        (
            "{\"dataset\": [{\"title\": \"x\"},\n {\"title\": \"y\", \"title\": \"z\"}]}",
            "c.json:2: dataset[1].title: field given twice",
        ),
        (
            "[{\"title\": \"x\", \"publisher\": {\"name\": \"A\", \"name\": \"B\"}}]",
            "c.json:1: dataset[0].publisher.name: field given twice",
        ),
        (
            "{\"dataset\": [],\n \"dataset\": [{\"title\": \"x\"}]}",
            "c.json:1: dataset: field given twice",
        ),
        (
            "{\"dataset\": [{\"title\": \"x\", \"identifier\": \"ICPSR 4242\"},\n {\"title\": \"y\", \"identifier\": \"doi:10.1234/y\"},\n {\"title\": \"z\", \"identifier\": \"10.1234/y\", \"landingPage\": \"https://www.icpsr.umich.edu/web/NACJD/studies/4242\"}]}",
            "c.json:3: dataset[2].doi: \"10.1234/y\" belongs to another record",
        ),
    ] {
        let err = import_str(&app.db, "c.json", text).await.unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(expected),
            "for {text}\n  got: {message}\n want: {expected}…"
        );
    }
    let empty = app
        .data("{ datasets { totalCount } producers { totalCount } }")
        .await;
    assert_eq!(
        empty,
        json!({ "datasets": { "totalCount": 0 }, "producers": { "totalCount": 0 } }),
        "every failed run left nothing behind"
    );
}

async fn keyless_records_and_unreadable_values(app: &TestApp) {
    let catalog = json!({ "dataset": [
        { "title": "Fixture Annual Report", "identifier": "1", "temporal": "sometime in the nineties",
          "issued": "last spring", "spatial": 12, "isPartOf": "999",
          "publisher": { "name": "Fixture Division", "subOrganizationOf": { "name": "Department of Fixtures", "acronym": "DOF" } } },
        { "title": "Fixture Annual Report", "identifier": "2",
          "publisher": { "name": "Other Fixture Division", "subOrganizationOf": { "name": "Department of Fixtures" } } },
        { "title": "Fixture Archive Copy", "identifier": "3", "temporal": "2010",
          "publisher": "Inter-university Consortium for Political and Social Research" },
        { "title": "Fixture Open Period", "identifier": "4", "temporal": "2015-06/..",
          "publisher": { "name": "Fixture Division", "subOrganizationOf": { "name": "DOF" } } }
    ] })
    .to_string();
    // With a byte order mark, as some agencies serve it.
    let report = dcat::import_report(&app.db, "k.json", &format!("\u{feff}{catalog}"))
        .await
        .unwrap();
    assert_eq!(
        report.summary.datasets, 4,
        "same title, different publishers: two datasets"
    );
    assert_eq!(report.summary.producers, 4, "DOF, its two divisions, ICPSR");
    assert_eq!(report.keyless, 4);
    let fields: Vec<String> = report
        .warnings
        .iter()
        .map(|w| w.splitn(3, ": ").take(2).collect::<Vec<_>>().join(": "))
        .collect();
    assert_eq!(
        fields,
        [
            "k.json:1: dataset[0].temporal",
            "k.json:1: dataset[0].spatial",
            "k.json:1: dataset[0].issued",
            "k.json:1: dataset[0].isPartOf"
        ],
        "{:?}",
        report.warnings
    );
    let data = app
        .data(
            r#"{ datasets { nodes { title timePeriod { start end } releasedOn { iso } geographicCoverage series
                   producers { role producer { name kind fullName } } } } }"#,
        )
        .await;
    assert_eq!(
        data["datasets"]["nodes"],
        json!([
            { "title": "Fixture Annual Report", "timePeriod": null, "releasedOn": null, "geographicCoverage": [], "series": null,
              "producers": [{ "role": "PUBLISHER", "producer": { "name": "Fixture Division", "kind": "government agency",
                              "fullName": "Department of Fixtures, Fixture Division" } }] },
            { "title": "Fixture Annual Report", "timePeriod": null, "releasedOn": null, "geographicCoverage": [], "series": null,
              "producers": [{ "role": "PUBLISHER", "producer": { "name": "Other Fixture Division", "kind": "government agency",
                              "fullName": "Department of Fixtures, Other Fixture Division" } }] },
            { "title": "Fixture Archive Copy", "timePeriod": { "start": 2010, "end": 2010 }, "releasedOn": null,
              "geographicCoverage": [], "series": null,
              "producers": [{ "role": "DISTRIBUTOR", "producer": { "name": "Inter-university Consortium for Political and Social Research",
                              "kind": "data archive", "fullName": "Inter-university Consortium for Political and Social Research" } }] },
            { "title": "Fixture Open Period", "timePeriod": { "start": 2015, "end": null }, "releasedOn": null,
              "geographicCoverage": [], "series": null,
              "producers": [{ "role": "PUBLISHER", "producer": { "name": "Fixture Division", "kind": "government agency",
                              "fullName": "Department of Fixtures, Fixture Division" } }] }
        ])
    );
    let again = dcat::import_report(&app.db, "k.json", &catalog)
        .await
        .unwrap();
    assert_eq!(
        again.summary,
        Default::default(),
        "keyless records matched by title and publisher"
    );
    assert_eq!(again.updated, 4);
}

/// A collection whose `identifier` is a number is named by `isPartOf` as that number or as its
/// decimal string, and a string identifier by the number: the series is the collection's title.
async fn numeric_identifiers_name_collections(app: &TestApp) {
    let catalog = json!({ "dataset": [
        { "identifier": 600, "title": "Numeric collection" },
        { "identifier": "601", "title": "Member by string", "isPartOf": "600" },
        { "identifier": "602", "title": "Member by number", "isPartOf": 600 },
        { "identifier": "603", "title": "String collection" },
        { "identifier": "604", "title": "Member of a string identifier", "isPartOf": 603 },
        { "identifier": 605.0, "title": "Whole float collection" },
        { "identifier": "606", "title": "Member of a whole float", "isPartOf": 605 },
        { "identifier": "607", "title": "Member by a whole float", "isPartOf": 603.0 }
    ] })
    .to_string();
    let report = dcat::import_report(&app.db, "numeric.json", &catalog)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let about_collections: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("isPartOf"))
        .collect();
    assert!(about_collections.is_empty(), "{about_collections:?}");
    let data = app
        .data(r#"{ datasets(orderBy: [{ field: TITLE, direction: ASC }]) { nodes { title series } } }"#)
        .await;
    assert_eq!(
        data["datasets"]["nodes"],
        json!([
            { "title": "Member by a whole float", "series": "String collection" },
            { "title": "Member by number", "series": "Numeric collection" },
            { "title": "Member by string", "series": "Numeric collection" },
            { "title": "Member of a string identifier", "series": "String collection" },
            { "title": "Member of a whole float", "series": "Whole float collection" },
            { "title": "Numeric collection", "series": null },
            { "title": "String collection", "series": null },
            { "title": "Whole float collection", "series": null }
        ])
    );
}

/// A `null` in a `spatial` or `keyword` list is skipped and another unusable item is skipped
/// with a warning naming it; the other places and keywords stay.
async fn a_bad_list_item_costs_only_itself(app: &TestApp) {
    let catalog = json!({ "dataset": [
        { "identifier": "602", "title": "Spatial with a null", "spatial": ["United States", null],
          "keyword": [null, "prisons"] },
        { "identifier": "603", "title": "Spatial with a number", "spatial": ["Ohio", 12, "Iowa; Utah"],
          "keyword": ["jails", {}] }
    ] })
    .to_string();
    let report = dcat::import_report(&app.db, "lists.json", &catalog)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let about_lists: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| !w.contains(".publisher:"))
        .collect();
    assert_eq!(
        about_lists,
        [
            "lists.json:1: dataset[1].keyword[1]: must be a string, not an object; skipped",
            "lists.json:1: dataset[1].spatial[1]: must be a string, not a number; skipped"
        ]
    );
    let data = app
        .data(r#"{ datasets { nodes { title geographicCoverage subjects } } }"#)
        .await;
    assert_eq!(
        data["datasets"]["nodes"],
        json!([
            { "title": "Spatial with a null", "geographicCoverage": ["United States"], "subjects": ["prisons"] },
            { "title": "Spatial with a number", "geographicCoverage": ["Ohio", "Iowa", "Utah"], "subjects": ["jails"] }
        ])
    );
}

/// Publishers written as one string, ICPSR's way and NCJRS's (which leaves out the Office of
/// Justice Programs between the department and NIJ), land on the demo's producers.
async fn one_string_publishers_land_on_existing_producers(app: &TestApp) {
    let record = |id: &str, publisher: &str| {
        json!({ "title": format!("Fixture study {id}"), "identifier": id, "description": "A fixture.",
                "keyword": ["fixtures"], "modified": "2020-01-01", "publisher": publisher,
                "accessLevel": "public" })
    };
    let catalog = json!({ "dataset": [
        record("fx-ncjrs", "United States Department of Justice, National Institute of Justice"),
        record("fx-icpsr", "United States Department of Justice. Office of Justice Programs. Bureau of Justice Statistics"),
    ] })
    .to_string();
    let producers = r#"{ producers(first: 0) { totalCount } }"#;
    let before = app.data(producers).await;
    let report = dcat::import_report(&app.db, "one-string.json", &catalog)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(report.summary.datasets, 2);
    assert_eq!(
        report.summary.producers, 0,
        "no second NIJ or BJS: {report:?}"
    );
    assert_eq!(app.data(producers).await, before);
    let data = app
        .data(
            r#"{ nij: producer(name: "DOJ > OJP > NIJ") { datasets(role: PUBLISHER) { nodes { title } } }
                 bjs: producer(name: "DOJ > OJP > BJS") { datasets(role: PUBLISHER) { nodes { title } } } }"#,
        )
        .await;
    let titles = |who: &str| -> Vec<String> {
        data[who]["datasets"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        titles("nij").contains(&"Fixture study fx-ncjrs".to_owned()),
        "{data}"
    );
    assert!(
        titles("bjs").contains(&"Fixture study fx-icpsr".to_owned()),
        "{data}"
    );
}

/// ICPSR names the Department of Justice's components "United States Department of Justice.
/// Office of Justice Programs. …"; the justice.gov catalog calls the root "Department of
/// Justice". After importing that catalog, ICPSR's own names (from its organization
/// thesaurus) find its producers, and a catalog written with them adds none.
async fn icpsr_names_land_on_the_justice_catalogs_producers(app: &TestApp) {
    let (Some(catalog), Some(thesaurus)) = (real_catalog(), real_org_thesaurus()) else {
        return;
    };
    dcat::import_str(&app.db, "justice.json", &catalog)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let names: Vec<&str> = thesaurus
        .split("<DESCRIPTOR>")
        .skip(1)
        .filter_map(|rest| rest.split("</DESCRIPTOR>").next())
        .filter(|name| name.starts_with("United States Department of Justice."))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    let mut found = Vec::new();
    for name in &names {
        let data = app
            .data_with(
                "query($n: String) { producer(name: $n) { name fullName } }",
                json!({ "n": name }),
            )
            .await;
        if let Some(full_name) = data["producer"]["fullName"].as_str() {
            // The producer found is the one the name ends with, below the catalog's root.
            let leaf = name.rsplit(". ").next().unwrap();
            assert_eq!(data["producer"]["name"], leaf, "{name}");
            assert!(
                full_name.starts_with("Department of Justice, "),
                "{full_name}"
            );
            found.push(leaf);
        }
    }
    for component in [
        "Office of Justice Programs",
        "Bureau of Justice Statistics",
        "National Institute of Justice",
        "Office of Juvenile Justice and Delinquency Prevention",
        "Federal Bureau of Investigation",
    ] {
        assert!(found.contains(&component), "{component}: found {found:?}");
    }
    // A catalog whose publishers are written ICPSR's way lands on the same producers.
    let records: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .filter(|(_, name)| found.iter().any(|leaf| name.ends_with(leaf)))
        .map(|(i, name)| {
            json!({ "title": format!("Fixture study {i}"), "identifier": format!("fx-{i}"),
                    "description": "A fixture.", "keyword": ["fixtures"], "publisher": name,
                    "accessLevel": "public" })
        })
        .collect();
    let report = dcat::import_report(
        &app.db,
        "icpsr-names.json",
        &json!({ "dataset": records }).to_string(),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(report.summary.datasets, found.len());
    assert_eq!(report.summary.producers, 0, "{report:?}");
}

#[test]
fn producer_names_split_into_their_hierarchy() {
    let doj_nij = [
        "United States Department of Justice",
        "Office of Justice Programs",
        "National Institute of Justice",
    ];
    for (text, expected) in [
        (
            "United States Department of Justice. Office of Justice Programs. National Institute of Justice",
            &doj_nij[..],
        ),
        (
            "United States Department of Justice. Office of Justice Programs. National Institute of Justice.",
            &doj_nij[..],
        ),
        (
            "United States Department of Justice, Office of Justice Programs, National Institute of Justice",
            &doj_nij[..],
        ),
        (
            "United States Department of Justice, National Institute of Justice",
            &[
                "United States Department of Justice",
                "National Institute of Justice",
            ][..],
        ),
        (
            "United States Department of Justice, Office of Justice Programs. National  Institute of Justice",
            &doj_nij[..],
        ),
        (
            "U.S. Department of Justice. Office of Justice Programs. Bureau of Justice Statistics",
            &[
                "U.S. Department of Justice",
                "Office of Justice Programs",
                "Bureau of Justice Statistics",
            ][..],
        ),
        (
            "U.S. Dept. of Justice, Federal Bureau of Investigation",
            &["U.S. Dept. of Justice", "Federal Bureau of Investigation"][..],
        ),
        (
            "United States Department of Commerce. Bureau of the Census",
            &[
                "United States Department of Commerce",
                "Bureau of the Census",
            ][..],
        ),
        (
            "University of California, San Francisco",
            &["University of California, San Francisco"][..],
        ),
        (
            "University of Maryland, College Park. Department of Criminology and Criminal Justice",
            &[
                "University of Maryland, College Park",
                "Department of Criminology and Criminal Justice",
            ][..],
        ),
        (
            "United States Department of Justice. Bureau of Alcohol, Tobacco, Firearms and Explosives",
            &[
                "United States Department of Justice",
                "Bureau of Alcohol, Tobacco, Firearms and Explosives",
            ][..],
        ),
        (
            "Caliber, an ICF International Company",
            &["Caliber, an ICF International Company"][..],
        ),
        ("Westat, Inc.", &["Westat, Inc."][..]),
        (
            "Abt Associates, Inc. Cambridge, MA",
            &["Abt Associates, Inc. Cambridge, MA"][..],
        ),
        (
            "NORC at the University of Chicago",
            &["NORC at the University of Chicago"][..],
        ),
        (
            "Jane Q. Public Research Institute. Policy Division",
            &["Jane Q. Public Research Institute", "Policy Division"][..],
        ),
        ("  ", &[][..]),
    ] {
        assert_eq!(split_producer_name(text), expected, "{text}");
    }
}

#[test]
fn temporal_coverage_reads_as_years() {
    for (text, expected) in [
        ("2005-01-01/2005-12-31", (Some(2005), Some(2005))),
        (
            "2021-12-01T00:00:00.0000000/2021-12-31T00:00:00.0000000",
            (Some(2021), Some(2021)),
        ),
        (
            "1999-07-01T00:00:00Z/2004-06-30T23:59:59Z",
            (Some(1999), Some(2004)),
        ),
        ("2005/2010", (Some(2005), Some(2010))),
        ("2005-2010", (Some(2005), Some(2010))),
        ("2005 - 2010", (Some(2005), Some(2010))),
        ("2005–2010", (Some(2005), Some(2010))),
        ("2005 to 2010", (Some(2005), Some(2010))),
        ("2005-03 - 2006-11", (Some(2005), Some(2006))),
        ("2005", (Some(2005), Some(2005))),
        ("2005-10", (Some(2005), Some(2005))),
        ("2005-10-15", (Some(2005), Some(2005))),
        ("2005-10-15T12:00:00", (Some(2005), Some(2005))),
        ("2000/..", (Some(2000), None)),
        ("../2000", (None, Some(2000))),
        ("2000-01-01/P1Y", (Some(2000), Some(2000))),
        ("2000-07-01/P1Y", (Some(2000), Some(2001))),
        ("2000/P2Y", (Some(2000), Some(2001))),
        ("P1Y/2000-12-31", (Some(2000), Some(2000))),
        ("R/2010-01-01/P1M", (Some(2010), Some(2010))),
    ] {
        assert_eq!(parse_temporal(text), Ok(expected), "{text}");
    }
    for bad in [
        "",
        "sometime in the nineties",
        "2010/2005",
        "2010-2005",
        "2005-13",
        "2005-02-30/2006",
        "05-10",
        "2005/2006/2007",
        "P1Y/P2Y",
        "2005-01-01/P",
    ] {
        assert!(parse_temporal(bad).is_err(), "{bad}");
    }
    assert!(
        parse_temporal("2010/2005")
            .unwrap_err()
            .contains("start 2010 is after end 2005")
    );
}
