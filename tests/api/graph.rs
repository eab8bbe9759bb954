//! Every field of the read API on the demo data, starting from the record the project began
//! with (NCJ 216547 → ICPSR 20423).

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    report_to_datasets_to_producers,
    every_publication_field,
    every_dataset_field,
    producer_hierarchy,
    producer_records_with_subunits,
    relation_type_filter,
    fields_keep_query_order
);

const DONE_WHEN_QUERY: &str = r#"{ publication(ncjNumber: "216547") {
    title publishedOn { iso text } physicalDescription placeOfProduction
    producers { role producer { name fullName ancestors { name } } }
    relatedDatasets(first: 5) { totalCount edges { relationType source node {
      studyNumber doi title
      producers { role producer { name } }
      relatedPublications(first: 5) { totalCount nodes { title } } } } } } }"#;

async fn report_to_datasets_to_producers(app: &TestApp) {
    let data = app.data(DONE_WHEN_QUERY).await;
    let publication = &data["publication"];
    assert_eq!(
        publication["title"],
        "Law Enforcement Response to Human Trafficking and Implications for Victims: Current Practices and Lessons Learned"
    );
    assert_eq!(
        publication["publishedOn"],
        json!({ "iso": "2006-10", "text": "Oct 2006" })
    );
    assert_eq!(
        publication["physicalDescription"],
        "24 figures, 11 references, and appended study instruments"
    );
    assert_eq!(publication["placeOfProduction"], "Washington, DC");
    assert_eq!(
        publication["producers"],
        json!([{ "role": "PRODUCER", "producer": {
            "name": "National Institute of Justice",
            "fullName": "United States Department of Justice, Office of Justice Programs, National Institute of Justice",
            "ancestors": [{ "name": "United States Department of Justice" }, { "name": "Office of Justice Programs" }]
        } }])
    );
    let related = &publication["relatedDatasets"];
    assert_eq!(related["totalCount"], 1);
    let edge = &related["edges"][0];
    assert_eq!(edge["relationType"], "IS_RELATED_TO");
    assert_eq!(edge["source"], "NCJRS");
    let dataset = &edge["node"];
    assert_eq!(dataset["studyNumber"], "20423");
    assert_eq!(dataset["doi"], "10.3886/ICPSR20423.v1");
    assert_eq!(
        dataset["title"],
        "Law Enforcement Response to Human Trafficking and the Implications for Victims in the United States, 2005"
    );
    let credits: Vec<(String, String)> = dataset["producers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["role"].as_str().unwrap().to_owned(),
                c["producer"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        credits.contains(&("PRINCIPAL_INVESTIGATOR".into(), "Caliber Associates".into())),
        "{credits:?}"
    );
    assert!(
        credits.contains(&("FUNDER".into(), "National Institute of Justice".into())),
        "{credits:?}"
    );
    let back = &dataset["relatedPublications"];
    assert!(back["totalCount"].as_i64().unwrap() >= 1);
    assert!(
        back["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["title"] == publication["title"])
    );
}

async fn every_publication_field(app: &TestApp) {
    let data = app
        .data(
            r#"{ publication(ncjNumber: "216547") { id ncjNumber doi title subtitle publicationType
                publishedOn { year month day iso text } abstract physicalDescription placeOfProduction
                language url authors subjects synthetic producers(role: FUNDER) { role } } }"#,
        )
        .await;
    let p = &data["publication"];
    assert!(
        p["id"].as_str().is_some_and(|id| !id.contains("216547")),
        "ids are opaque"
    );
    assert_eq!(p["ncjNumber"], "216547");
    assert_eq!(p["doi"], json!(null));
    assert_eq!(
        p["publicationType"],
        json!(null),
        "blank on the catalog page"
    );
    assert_eq!(
        p["publishedOn"],
        json!({ "year": 2006, "month": 10, "day": null, "iso": "2006-10", "text": "Oct 2006" })
    );
    assert!(p["abstract"].as_str().is_some_and(|a| a.contains("121")));
    assert_eq!(p["language"], "English");
    assert_eq!(
        p["authors"],
        json!(["Heather J. Clawson", "Nicole Dutch", "Megan Cummings"])
    );
    assert!(
        p["subjects"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "human trafficking"))
    );
    assert_eq!(p["synthetic"], false);
    assert_eq!(p["producers"], json!([]), "no FUNDER credit on the report");

    let synthetic = app
        .data(r#"{ publication(ncjNumber: "SYN-0001") { title synthetic } }"#)
        .await;
    assert_eq!(synthetic["publication"]["synthetic"], true);
    assert!(
        synthetic["publication"]["title"]
            .as_str()
            .unwrap()
            .starts_with("[Synthetic]")
    );
}

async fn every_dataset_field(app: &TestApp) {
    let data = app
        .data(
            r#"{ dataset(studyNumber: "20423") { id studyNumber doi title summary timePeriod { start end }
                geographicCoverage releasedOn { year month day iso text } version series dataTypes subjects url
                synthetic producers(role: PRINCIPAL_INVESTIGATOR) { role producer { name aliases } } } }"#,
        )
        .await;
    let d = &data["dataset"];
    assert_eq!(d["timePeriod"], json!({ "start": 2005, "end": 2005 }));
    assert_eq!(d["geographicCoverage"], json!(["United States"]));
    assert_eq!(
        d["releasedOn"],
        json!({ "year": 2011, "month": 6, "day": 13, "iso": "2011-06-13", "text": "Jun 13, 2011" })
    );
    assert_eq!(d["version"], "v1");
    assert_eq!(d["url"], "https://doi.org/10.3886/ICPSR20423.v1");
    assert!(d["summary"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(d["dataTypes"].as_array().is_some_and(|t| !t.is_empty()));
    assert!(d["subjects"].as_array().is_some_and(|t| !t.is_empty()));
    let credits = d["producers"].as_array().unwrap();
    assert_eq!(
        credits.len(),
        1,
        "only the PRINCIPAL_INVESTIGATOR credit: {credits:?}"
    );
    assert_eq!(credits[0]["producer"]["name"], "Caliber Associates");
    assert!(
        credits[0]["producer"]["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("Caliber"))
    );
}

async fn producer_hierarchy(app: &TestApp) {
    let data = app
        .data(
            r#"{ producer(name: "NIJ") { name fullName abbreviation aliases kind location url
                  parent { name abbreviation } ancestors { abbreviation }
                  children { totalCount nodes { name } } }
                root: producer(name: "Department of Justice") { name aliases parent { name }
                  ancestors { name } children(first: 100) { totalCount nodes { abbreviation } } } }"#,
        )
        .await;
    let nij = &data["producer"];
    assert_eq!(nij["name"], "National Institute of Justice");
    assert_eq!(nij["abbreviation"], "NIJ");
    assert_eq!(nij["kind"], "government agency");
    assert_eq!(nij["location"], "Washington, DC");
    assert_eq!(
        nij["parent"],
        json!({ "name": "Office of Justice Programs", "abbreviation": "OJP" })
    );
    assert_eq!(
        nij["ancestors"],
        json!([{ "abbreviation": "DOJ" }, { "abbreviation": "OJP" }])
    );
    assert_eq!(nij["children"], json!({ "totalCount": 0, "nodes": [] }));

    let root = &data["root"];
    assert_eq!(root["name"], "United States Department of Justice");
    assert!(
        root["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("Department of Justice"))
    );
    assert_eq!(root["parent"], json!(null));
    assert_eq!(root["ancestors"], json!([]));
    let children: Vec<&str> = root["children"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["abbreviation"].as_str())
        .collect();
    assert!(children.contains(&"OJP"), "{children:?}");
    assert_eq!(
        root["children"]["totalCount"].as_u64().unwrap() as usize,
        root["children"]["nodes"].as_array().unwrap().len()
    );

    let ojp = app.data(r#"{ producer(name: "DOJ > OJP") { children(first: 100) { nodes { abbreviation } } } }"#).await;
    let units: Vec<&str> = ojp["producer"]["children"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["abbreviation"].as_str())
        .collect();
    for unit in ["NIJ", "BJS", "OJJDP"] {
        assert!(units.contains(&unit), "{units:?}");
    }
}

async fn producer_records_with_subunits(app: &TestApp) {
    let query = r#"{
        producer(name: "United States Department of Justice") {
          own: publications { totalCount }
          all: publications(includeSubunits: true, first: 100) { totalCount nodes { id } }
          produced: publications(includeSubunits: true, role: PRODUCER) { totalCount }
          datasets(includeSubunits: true) { totalCount } }
        nij: producer(name: "NIJ") { publications(first: 100) { totalCount nodes { id } } datasets(role: FUNDER) { totalCount } } }"#;
    let data = app.data(query).await;
    let doj = &data["producer"];
    let all = doj["all"]["totalCount"].as_i64().unwrap();
    let nij = data["nij"]["publications"]["totalCount"].as_i64().unwrap();
    assert!(nij > 0);
    assert!(
        all >= nij,
        "the department counts its institute's publications ({all} < {nij})"
    );
    assert!(doj["own"]["totalCount"].as_i64().unwrap() < all);
    assert!(doj["produced"]["totalCount"].as_i64().unwrap() <= all);
    assert!(doj["datasets"]["totalCount"].as_i64().unwrap() > 0);
    assert!(data["nij"]["datasets"]["totalCount"].as_i64().unwrap() > 0);
    let ids: Vec<&str> = doj["all"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "each publication once, even when credited to several units"
    );
    assert_eq!(ids.len() as i64, all);
    for nij_pub in data["nij"]["publications"]["nodes"].as_array().unwrap() {
        assert!(ids.contains(&nij_pub["id"].as_str().unwrap()));
    }
}

async fn relation_type_filter(app: &TestApp) {
    let data = app
        .data(
            r#"{ dataset(studyNumber: "20423") {
                 any: relatedPublications { totalCount }
                 related: relatedPublications(relationType: [IS_RELATED_TO]) { totalCount edges { relationType } }
                 none: relatedPublications(relationType: [DOCUMENTS, IS_SUPPLEMENT_TO]) { totalCount edges { relationType } } } }"#,
        )
        .await;
    let d = &data["dataset"];
    assert_eq!(d["related"]["totalCount"], d["any"]["totalCount"]);
    assert!(
        d["related"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["relationType"] == "IS_RELATED_TO")
    );
    assert_eq!(d["none"]["totalCount"], 0);
    assert_eq!(d["none"]["edges"], json!([]));
}

/// async-graphql 7.1–7.2 answer in resolver completion order; the spec (and we) keep query order.
async fn fields_keep_query_order(app: &TestApp) {
    let answer = app
        .post(r#"{ publication(ncjNumber: "216547") { url subjects title producers { role } ncjNumber authors id } }"#, json!({}))
        .await;
    let body = &answer.body;
    let order = [
        "\"url\"",
        "\"subjects\"",
        "\"title\"",
        "\"producers\"",
        "\"ncjNumber\"",
        "\"authors\"",
        "\"id\"",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|key| body.find(key).unwrap_or_else(|| panic!("{key} in {body}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "fields out of query order: {body}"
    );
}
