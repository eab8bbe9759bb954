//! Finding and counting: ranked search, filters, sort orders with stable cursors, facets,
//! group-by stats and co-use — each checked on both databases.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use studygraph::import::native::import_str;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    search_finds_the_report_first,
    search_syntax_and_ranking,
    common_words_are_ignored_alike,
    words_are_lowercased_as_the_index_lowercases_text,
    publication_filters,
    half_open_dates_and_title_substrings,
    dataset_and_producer_filters,
    unknown_ids_in_filters_are_named,
    sort_orders_with_nulls_last,
    producer_counts_count_each_record_once,
    sorted_pages_walk_both_ways,
    cursors_belong_to_their_list,
    cursors_fit_their_list_and_parent,
    single_valued_facets_add_up,
    facet_keys_drill_down_to_their_buckets,
    a_value_named_unknown_is_refused,
    multi_valued_and_rolled_up_facets,
    stats_match_direct_sql,
    co_use_counts_shared_datasets,
    root_search_across_kinds,
    root_search_pages_hold_every_hit_once,
    relevance_cursors_hold_across_writes,
    relevance_first_pages_rank_every_match,
    overlong_searches_are_bad_input,
    arguments_with_defaults_take_them_when_null,
    an_order_names_each_field_once,
    search_vectors_stay_in_their_rows,
    prefixes_find_the_words_writes_add,
    ranked_pages_show_their_producers
);

fn ids(list: &Value) -> Vec<String> {
    list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

fn total(list: &Value) -> i64 {
    list["totalCount"].as_i64().unwrap()
}

/// Test records with known dates, types and texts (added to the demo data).
async fn add_dated_records(app: &TestApp) {
    let file = [
        r#"{"type":"producer","name":"Test Agency","kind":"test kind"}"#,
        r#"{"type":"publication","ncjNumber":"T-2006","title":"Zeta year-only report","publishedOn":"2006","publicationType":"Test Type","language":"Esperanto","subjects":["test subject"],"producers":[{"producer":"Test Agency","role":"PRODUCER"}]}"#,
        r#"{"type":"publication","ncjNumber":"T-2006-10-31","title":"alpha end of October","publishedOn":"2006-10-31","publicationType":"Test Type","language":"Esperanto"}"#,
        r#"{"type":"publication","ncjNumber":"T-2006-11","title":"Beta November","publishedOn":"2006-11","publicationType":"Test Type","language":"Esperanto"}"#,
        r#"{"type":"publication","ncjNumber":"T-2005-12","title":"Gamma December","publishedOn":"2005-12","language":"Esperanto"}"#,
        r#"{"type":"publication","ncjNumber":"T-UNDATED","title":"Undated note","language":"Esperanto"}"#,
        r#"{"type":"publication","ncjNumber":"T-TITLE","title":"Recidivism among parolees","abstract":"A short note.","language":"Esperanto"}"#,
        r#"{"type":"publication","ncjNumber":"T-ABSTRACT","title":"A short note on parole","abstract":"This note mentions recidivism once.","language":"Esperanto"}"#,
    ]
    .join("\n");
    import_str(&app.db, "dated.jsonl", &file).await.unwrap();
}

async fn search_finds_the_report_first(app: &TestApp) {
    let data = app
        .data(r#"{ publications(search: "human trafficking", first: 5) { totalCount nodes { ncjNumber title } facets { years { key count } } } }"#)
        .await;
    let list = &data["publications"];
    let found: Vec<&str> = list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["ncjNumber"].as_str())
        .collect();
    assert!(
        found.contains(&"216547"),
        "NCJ 216547 among the first results: {found:?}"
    );
    let year_total: i64 = list["facets"]["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(
        year_total,
        total(list),
        "year buckets add up to the search's total"
    );
    assert!(
        total(list) < total(&app.data("{ publications { totalCount } }").await["publications"])
    );
}

/// The publications `search` finds: their count and NCJ numbers, best first.
async fn searched(app: &TestApp, search: &str) -> Value {
    let data = app
        .data_with(
            "query($s: String) { publications(search: $s) { totalCount nodes { ncjNumber } } }",
            json!({ "s": search }),
        )
        .await;
    data["publications"].clone()
}

async fn search_syntax_and_ranking(app: &TestApp) {
    add_dated_records(app).await;
    let count = |search: &'static str| searched(app, search);
    // Stems and prefixes: "traffic" finds "trafficking", "trafficked".
    assert!(total(&count("traffic").await) >= total(&count("trafficking").await));
    assert!(total(&count("trafficking").await) > 0);
    // Phrases are stricter than words.
    assert!(total(&count("\"law enforcement response\"").await) >= 1);
    assert!(
        total(&count("\"law enforcement response\"").await)
            <= total(&count("law enforcement response").await)
    );
    // OR widens, exclusion narrows.
    let both = total(&count("trafficking OR recidivism").await);
    assert!(both > total(&count("trafficking").await));
    assert!(total(&count("trafficking -victims").await) < total(&count("trafficking").await));
    // Title matches rank above abstract matches.
    let ranked = count("recidivism").await;
    let order: Vec<&str> = ranked["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["ncjNumber"].as_str())
        .collect();
    let title = order
        .iter()
        .position(|n| *n == "T-TITLE")
        .expect("title match found");
    let abstract_only = order
        .iter()
        .position(|n| *n == "T-ABSTRACT")
        .expect("abstract match found");
    assert!(title < abstract_only, "{order:?}");
    // Nothing to find is a clear error.
    for bad in ["-only", "   ", "\"\""] {
        let answer = app
            .post(
                "query($s: String) { publications(search: $s) { totalCount } }",
                json!({ "s": bad }),
            )
            .await
            .json();
        if bad.trim().is_empty() || bad == "\"\"" {
            // A blank search is no search.
            assert!(
                answer["errors"].is_null()
                    || answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT",
                "{answer}"
            );
        } else {
            assert_eq!(
                answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{bad}"
            );
        }
    }
}

/// Common words ("the", "of") are not in PostgreSQL's index: both backends leave them out of a
/// search, so the same search finds the same records on either.
async fn common_words_are_ignored_alike(app: &TestApp) {
    let total_of = |search: &'static str| async move { total(&searched(app, search).await) };
    let police = total_of("police").await;
    assert!(police > 0);
    for same in [
        "the police",
        "police -the",
        "police OR the",
        "\"the police\"",
        "police of",
    ] {
        assert_eq!(total_of(same).await, police, "{same}");
    }
    let phrase = total_of("\"contacts between police and the public\"").await;
    assert!(phrase > 0 && phrase < police, "{phrase}");
    for (query, field) in [
        (
            "query { publications(search: \"the\") { totalCount } }",
            "publications",
        ),
        (
            "query { search(query: \"of OR the\") { totalCount } }",
            "search",
        ),
    ] {
        let answer = app.post(query, json!({})).await.json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{answer}"
        );
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("only common words"), "{field}: {message}");
    }
}

/// A word typed as the record spells it finds the record: "ΟΔΟΣ" (a final capital sigma) and
/// "İstanbul" (a dotted capital I) found nothing on PostgreSQL, where the search lowercased
/// them otherwise than the index had lowercased the text.
async fn words_are_lowercased_as_the_index_lowercases_text(app: &TestApp) {
    let file = [
        r#"{"type":"publication","ncjNumber":"CASE-1","title":"ΟΔΟΣ ΚΑΙ ΝΟΜΟΣ"}"#,
        r#"{"type":"publication","ncjNumber":"CASE-2","title":"İstanbul crime survey"}"#,
    ]
    .join("\n");
    import_str(&app.db, "cases.jsonl", &file).await.unwrap();
    for (search, ncj) in [
        ("ΟΔΟΣ", "CASE-1"),
        ("ΝΟΜΟΣ", "CASE-1"),
        ("\"ΟΔΟΣ ΚΑΙ ΝΟΜΟΣ\"", "CASE-1"),
        ("İstanbul", "CASE-2"),
        ("istanbul", "CASE-2"),
        ("İSTANBUL", "CASE-2"),
    ] {
        let list = searched(app, search).await;
        let found: Vec<&str> = list["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["ncjNumber"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(found, [ncj], "{search}");
    }
}

async fn publication_filters(app: &TestApp) {
    add_dated_records(app).await;
    let list = |filter: Value| async move {
        let data = app
            .data_with("query($f: PublicationFilter) { publications(filter: $f, first: 100) { totalCount nodes { id ncjNumber } } }", json!({ "f": filter }))
            .await;
        let mut keys: Vec<String> = data["publications"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["ncjNumber"].as_str().map(str::to_owned))
            .collect();
        keys.sort();
        (total(&data["publications"]), keys)
    };
    let esperanto = json!({ "languages": ["Esperanto"] });
    assert_eq!(list(esperanto.clone()).await.0, 7);
    // "2006" includes the year-only record and every 2006 date; "2006-10" ends with October.
    let (_, from_2006) = list(json!({ "languages": ["Esperanto"], "publishedFrom": "2006" })).await;
    assert_eq!(from_2006, ["T-2006", "T-2006-10-31", "T-2006-11"]);
    let (_, to_october) =
        list(json!({ "languages": ["Esperanto"], "publishedTo": "2006-10" })).await;
    assert_eq!(to_october, ["T-2005-12", "T-2006", "T-2006-10-31"]);
    let (_, in_2006) =
        list(json!({ "languages": ["Esperanto"], "publishedFrom": "2006", "publishedTo": "2006" }))
            .await;
    assert_eq!(in_2006, ["T-2006", "T-2006-10-31", "T-2006-11"]);
    let (_, typed) = list(json!({ "publicationTypes": ["Test Type"] })).await;
    assert_eq!(typed, ["T-2006", "T-2006-10-31", "T-2006-11"]);
    let (_, subject) = list(json!({ "subjects": ["test subject", "no such subject"] })).await;
    assert_eq!(subject, ["T-2006"]);
    // Producers, with and without subunits.
    let doj = app.id_of(r#"producer(name: "DOJ")"#).await;
    let nij = app.id_of(r#"producer(name: "NIJ")"#).await;
    let (nij_only, _) = list(json!({ "producerIds": [nij] })).await;
    let (doj_tree, _) = list(json!({ "producerIds": [doj], "includeSubunits": true })).await;
    let (doj_own, _) = list(json!({ "producerIds": [doj] })).await;
    assert!(
        nij_only > 0 && doj_tree > nij_only && doj_tree > doj_own,
        "{nij_only} {doj_tree} {doj_own}"
    );
    let nij_list = app
        .data(r#"{ producer(name: "NIJ") { publications { totalCount } } }"#)
        .await;
    assert_eq!(nij_only, total(&nij_list["producer"]["publications"]));
    // Links.
    let (with, _) = list(json!({ "hasRelatedDatasets": true })).await;
    let (without, _) = list(json!({ "hasRelatedDatasets": false })).await;
    let everything = total(&app.data("{ publications { totalCount } }").await["publications"]);
    assert_eq!(with + without, everything);
    assert!(without >= 7, "the test records have no datasets");
    let study = app.id_of(r#"dataset(studyNumber: "20423")"#).await;
    let (_, linked) = list(json!({ "relatedToDatasetIds": [study] })).await;
    assert_eq!(linked, ["216547"]);
    // Bad dates are user errors.
    let answer = app
        .post(
            r#"{ publications(filter: { publishedFrom: "Oct 2006" }) { totalCount } }"#,
            json!({}),
        )
        .await
        .json();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("publishedFrom")
    );
}

/// `publishedBefore` is exclusive and compares each record by the first day it can fall on (as
/// `publishedFrom` does): "2006" and "2006-11" records start on their first day.
/// `titleContains` is a case-insensitive substring with LIKE's wildcards taken literally.
async fn half_open_dates_and_title_substrings(app: &TestApp) {
    add_dated_records(app).await;
    let keys = |filter: Value| async move {
        let mut f = filter;
        f["languages"] = json!(["Esperanto"]);
        let data = app
            .data_with("query($f: PublicationFilter) { publications(filter: $f, first: 100) { totalCount nodes { ncjNumber } } }", json!({ "f": f }))
            .await;
        let mut keys: Vec<String> = data["publications"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["ncjNumber"].as_str().unwrap().to_owned())
            .collect();
        keys.sort();
        assert_eq!(total(&data["publications"]), keys.len() as i64);
        keys
    };
    // The peer benchmark's Q4 range: [2006-01-01, 2007-01-01).
    assert_eq!(
        keys(json!({ "publishedFrom": "2006-01-01", "publishedBefore": "2007-01-01" })).await,
        ["T-2006", "T-2006-10-31", "T-2006-11"]
    );
    assert_eq!(
        keys(json!({ "publishedBefore": "2006-11-01" })).await,
        ["T-2005-12", "T-2006", "T-2006-10-31"]
    );
    assert_eq!(
        keys(json!({ "publishedBefore": "2006-11-02" })).await,
        ["T-2005-12", "T-2006", "T-2006-10-31", "T-2006-11"]
    );
    assert_eq!(
        keys(json!({ "publishedBefore": "2006" })).await,
        ["T-2005-12"]
    );
    assert_eq!(
        keys(json!({ "publishedFrom": "2006-11-01" })).await,
        ["T-2006-11"]
    );
    // Both upper bounds: the tighter one wins.
    assert_eq!(
        keys(json!({ "publishedTo": "2006", "publishedBefore": "2006-11" })).await,
        ["T-2005-12", "T-2006", "T-2006-10-31"]
    );
    assert_eq!(
        keys(json!({ "titleContains": "NOTE" })).await,
        ["T-ABSTRACT", "T-UNDATED"]
    );
    assert_eq!(
        keys(json!({ "titleContains": "  of oct " })).await,
        ["T-2006-10-31"]
    );
    assert!(keys(json!({ "titleContains": "%" })).await.is_empty());
    assert!(keys(json!({ "titleContains": "a_short" })).await.is_empty());
    assert_eq!(
        keys(json!({ "titleContains": "   " })).await.len(),
        7,
        "blank: no condition"
    );
    let error = app
        .post(
            "{ publications(filter: { publishedBefore: \"Oct 2006\" }) { totalCount } }",
            json!({}),
        )
        .await
        .json();
    assert_eq!(error["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        error["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("publishedBefore")
    );
}

async fn dataset_and_producer_filters(app: &TestApp) {
    let datasets = |filter: Value| async move {
        let data = app
            .data_with("query($f: DatasetFilter) { datasets(filter: $f, first: 100) { totalCount nodes { studyNumber timePeriod { start end } series } } }", json!({ "f": filter }))
            .await;
        data["datasets"].clone()
    };
    let overlapping =
        datasets(json!({ "timePeriodOverlaps": { "start": 2005, "end": 2005 } })).await;
    assert!(total(&overlapping) >= 1);
    for node in overlapping["nodes"].as_array().unwrap() {
        let (start, end) = (
            node["timePeriod"]["start"].as_i64(),
            node["timePeriod"]["end"].as_i64(),
        );
        assert!(
            start.or(end).unwrap() <= 2005 && end.or(start).unwrap() >= 2005,
            "{node}"
        );
    }
    let studies: Vec<&str> = overlapping["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["studyNumber"].as_str())
        .collect();
    assert!(studies.contains(&"20423"));
    let covered = datasets(json!({ "geographicCoverage": ["United States"] })).await;
    assert!(total(&covered) >= 1);
    let all = datasets(json!({})).await;
    let series = all["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|n| n["series"].as_str())
        .expect("a dataset with a series")
        .to_owned();
    let in_series = datasets(json!({ "series": [series] })).await;
    assert!(
        in_series["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["series"] == json!(series))
    );
    let released = datasets(json!({ "releasedFrom": "2011-06", "releasedTo": "2011-06" })).await;
    assert!(
        released["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["studyNumber"] == "20423")
    );
    let with = total(&datasets(json!({ "hasRelatedPublications": true })).await);
    let without = total(&datasets(json!({ "hasRelatedPublications": false })).await);
    assert_eq!(with + without, total(&all));
    let report = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let used = datasets(json!({ "relatedToPublicationIds": [report] })).await;
    assert_eq!(
        used["nodes"],
        json!([{ "studyNumber": "20423", "timePeriod": { "start": 2005, "end": 2005 }, "series": used["nodes"][0]["series"] }])
    );
    let nij = app.id_of(r#"producer(name: "NIJ")"#).await;
    assert!(total(&datasets(json!({ "producerIds": [nij] })).await) > 0);

    let producers = |filter: Value| async move {
        let data = app.data_with("query($f: ProducerFilter) { producers(filter: $f, first: 100) { totalCount nodes { name kind parent { name } } } }", json!({ "f": filter })).await;
        data["producers"].clone()
    };
    let roots = producers(json!({ "rootsOnly": true })).await;
    assert!(
        roots["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["parent"].is_null())
    );
    let ojp = app.id_of(r#"producer(name: "DOJ > OJP")"#).await;
    let under_ojp = producers(json!({ "parentId": ojp })).await;
    assert!(total(&under_ojp) >= 3);
    assert!(
        under_ojp["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["parent"]["name"] == "Office of Justice Programs")
    );
    let agencies = producers(json!({ "kinds": ["government agency"] })).await;
    assert!(
        agencies["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] == "government agency")
    );
}

async fn unknown_ids_in_filters_are_named(app: &TestApp) {
    let missing = "UHJvZHVjZXI6OTk5OTk5"; // Producer:999999
    let answer = app
        .post(
            "query($f: PublicationFilter) { publications(filter: $f) { totalCount } }",
            json!({ "f": { "producerIds": [missing] } }),
        )
        .await
        .json();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(missing),
        "{answer}"
    );
    // Every unknown id is named, not only the first.
    let also_missing = "UHJvZHVjZXI6OTk5OTk4"; // Producer:999998
    let doj = app.id_of(r#"producer(name: "DOJ")"#).await;
    let answer = app
        .post(
            "query($f: PublicationFilter) { publications(filter: $f) { totalCount } }",
            json!({ "f": { "producerIds": [missing, doj, also_missing] } }),
        )
        .await
        .json();
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(missing) && message.contains(also_missing),
        "{message}"
    );
    // A reversed date range is an error, as a reversed time period is (it answered 0).
    for (filter, named) in [
        (
            r#"{ publishedFrom: "2010", publishedTo: "2005" }"#,
            "`publishedFrom` is after `publishedTo`",
        ),
        (
            r#"{ publishedFrom: "2006-10-15", publishedBefore: "2006-10-15" }"#,
            "`publishedFrom` is after `publishedBefore`",
        ),
    ] {
        let (code, message) = app
            .error_code(&format!(
                "{{ publications(filter: {filter}) {{ totalCount }} }}"
            ))
            .await;
        assert_eq!(code, "BAD_USER_INPUT", "{message}");
        assert!(message.contains(named), "{message}");
    }
    let same_day = app
        .data(r#"{ publications(filter: { publishedFrom: "2006-10", publishedTo: "2006-10" }) { totalCount } }"#)
        .await;
    assert!(same_day["publications"]["totalCount"].as_i64().unwrap() > 0);
    // A dimension named twice in a group-by is refused (its rows held each key twice).
    let (code, message) = app
        .error_code("{ publicationStats(groupBy: [YEAR, YEAR]) { count } }")
        .await;
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
    assert!(message.contains("YEAR twice"), "{message}");
    // Lists past the bind limits of the databases answered INTERNAL; too long a title
    // substring did on SQLite. Both are the user's error, named.
    let many: Vec<String> = (0..1_001).map(|i| format!("s{i}")).collect();
    for (query, variables, named) in [
        (
            "query($v: [String!]) { publications(filter: { subjects: $v }) { totalCount } }",
            json!({ "v": many }),
            "`subjects` gives 1001 different values, the most a filter field takes is 1000",
        ),
        (
            "query($v: [ID!]) { datasets(filter: { producerIds: $v }) { totalCount } }",
            json!({ "v": (0..1_001).map(|i| format!("x{i}")).collect::<Vec<_>>() }),
            "`producerIds` gives 1001 different values",
        ),
        (
            "query($v: String) { publications(filter: { titleContains: $v }) { totalCount } }",
            json!({ "v": "a".repeat(50_000) }),
            "`titleContains` is longer than a title can be",
        ),
    ] {
        let answer = app.post(query, variables).await.json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{answer}"
        );
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(named), "{message}");
    }
    // The same value many times is one value.
    let repeated = app
        .post(
            "query($v: [String!]) { publications(filter: { subjects: $v }) { totalCount } }",
            json!({ "v": vec!["no such subject"; 5_000] }),
        )
        .await
        .json();
    assert_eq!(
        repeated["data"]["publications"]["totalCount"], 0,
        "{repeated}"
    );
    // Facet keys a list does not have are refused, naming the key (they matched nothing).
    for (query, named) in [
        (
            r#"{ publications(filter: { years: ["2006", "20O6"] }) { totalCount } }"#,
            "`years`: \"20O6\" is not a year",
        ),
        (
            r#"{ datasets(filter: { releaseYears: ["later"] }) { totalCount } }"#,
            "`releaseYears`: \"later\" is not a year",
        ),
        (
            r#"{ publications(filter: { relationTypes: ["USES"] }) { totalCount } }"#,
            "`relationTypes`: \"USES\" is not a relation type",
        ),
    ] {
        let (code, message) = app.error_code(query).await;
        assert_eq!(code, "BAD_USER_INPUT", "{message}");
        assert!(message.contains(named), "{message}");
    }
    let wrong_kind = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let answer = app
        .post(
            "query($f: DatasetFilter) { datasets(filter: $f) { totalCount } }",
            json!({ "f": { "producerIds": [wrong_kind] } }),
        )
        .await
        .json();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn sort_orders_with_nulls_last(app: &TestApp) {
    add_dated_records(app).await;
    let sorted = |order: Value| async move {
        let data = app
            .data_with(
                "query($o: [PublicationOrder!]) { publications(filter: { languages: [\"Esperanto\"] }, orderBy: $o, first: 100) { nodes { ncjNumber title publishedOn { iso } } } }",
                json!({ "o": order }),
            )
            .await;
        data["publications"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["ncjNumber"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let newest = sorted(json!([{ "field": "PUBLISHED_ON", "direction": "DESC" }])).await;
    assert_eq!(
        &newest[..4],
        ["T-2006-11", "T-2006-10-31", "T-2006", "T-2005-12"]
    );
    assert!(
        newest[4..]
            .iter()
            .all(|n| ["T-UNDATED", "T-TITLE", "T-ABSTRACT"].contains(&n.as_str())),
        "undated last: {newest:?}"
    );
    let oldest = sorted(json!([{ "field": "PUBLISHED_ON", "direction": "ASC" }])).await;
    assert_eq!(
        &oldest[..4],
        ["T-2005-12", "T-2006", "T-2006-10-31", "T-2006-11"]
    );
    assert!(
        oldest[4..]
            .iter()
            .all(|n| ["T-UNDATED", "T-TITLE", "T-ABSTRACT"].contains(&n.as_str())),
        "undated last in both directions"
    );
    // Titles ignore case, the same way on both databases.
    let by_title = sorted(json!([{ "field": "TITLE", "direction": "ASC" }])).await;
    assert_eq!(
        by_title,
        [
            "T-ABSTRACT",
            "T-2006-10-31",
            "T-2006-11",
            "T-2005-12",
            "T-TITLE",
            "T-UNDATED",
            "T-2006"
        ]
    );
    // Several keys: newest first, ties by title.
    let combined = sorted(json!([{ "field": "RELATED_DATASET_COUNT", "direction": "DESC" }, { "field": "TITLE", "direction": "DESC" }])).await;
    assert_eq!(combined[0], "T-2006", "Zeta first among equals");
    // Counts order the demo: most datasets first.
    let data = app
        .data(r#"{ publications(orderBy: [{ field: RELATED_DATASET_COUNT, direction: DESC }], first: 100) { nodes { relatedDatasets { totalCount } } } }"#)
        .await;
    let counts: Vec<i64> = data["publications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| total(&n["relatedDatasets"]))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    // Study numbers in numeric order.
    let data = app.data(r#"{ datasets(orderBy: [{ field: STUDY_NUMBER, direction: ASC }], filter: { hasRelatedPublications: true }, first: 100) { nodes { studyNumber } } }"#).await;
    let numbers: Vec<i64> = data["datasets"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["studyNumber"].as_str()?.parse().ok())
        .collect();
    assert!(
        numbers.len() > 3 && numbers.windows(2).all(|w| w[0] <= w[1]),
        "{numbers:?}"
    );
    let (code, _) = app
        .error_code(
            r#"{ publications(orderBy: [{ field: RELEVANCE, direction: DESC }]) { totalCount } }"#,
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT", "relevance needs a search");
}

/// Walks `list`'s pages forward (7 at a time) and backward (6 at a time) and checks both give
/// the whole list in order. `list` is a `publications(...)` argument list without paging.
async fn walk_both_ways(app: &TestApp, list: &str) {
    let query = format!(
        "query($first: Int, $after: String, $last: Int, $before: String) {{
        publications({list}first: $first, after: $after, last: $last, before: $before) {{
          pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} nodes {{ id }} }} }}"
    );
    let everything = ids(&app.data_with(&query, json!({ "first": 100 })).await["publications"]);
    assert!(everything.len() > 7, "{list}: several pages");
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .data_with(&query, json!({ "first": 7, "after": after }))
            .await;
        walked.extend(ids(&page["publications"]));
        if page["publications"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["publications"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, everything, "forward pages of {list}");
    let mut backward: Vec<String> = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = app
            .data_with(&query, json!({ "last": 6, "before": before }))
            .await;
        backward.splice(0..0, ids(&page["publications"]));
        if page["publications"]["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = page["publications"]["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backward, everything, "backward pages of {list}");
}

/// `PUBLICATION_COUNT` and `DATASET_COUNT` order producers by the records credited to them,
/// each once: they counted credits, so a producer credited in two roles on 2 records sorted
/// above one with 3 records, against its own `totalCount`s.
async fn producer_counts_count_each_record_once(app: &TestApp) {
    let mut lines = vec![
        r#"{"type":"producer","name":"Twice Credited","kind":"count test"}"#.to_owned(),
        r#"{"type":"producer","name":"Once Credited","kind":"count test"}"#.to_owned(),
    ];
    for kind in ["publication", "dataset"] {
        let key = if kind == "publication" {
            "ncjNumber"
        } else {
            "studyNumber"
        };
        for i in 0..2 {
            lines.push(format!(
                r#"{{"type":"{kind}","{key}":"77{i}01","title":"Twice {i}","producers":[{{"producer":"Twice Credited","role":"PRODUCER"}},{{"producer":"Twice Credited","role":"FUNDER"}}]}}"#
            ));
        }
        for i in 0..3 {
            lines.push(format!(
                r#"{{"type":"{kind}","{key}":"77{i}02","title":"Once {i}","producers":[{{"producer":"Once Credited","role":"PRODUCER"}}]}}"#
            ));
        }
    }
    import_str(&app.db, "counts.jsonl", &lines.join("\n"))
        .await
        .unwrap();
    for field in ["PUBLICATION_COUNT", "DATASET_COUNT"] {
        let data = app
            .data(&format!(
                r#"{{ producers(filter: {{ kinds: ["count test"] }}, orderBy: [{{ field: {field}, direction: DESC }}]) {{
                    nodes {{ name publications {{ totalCount }} datasets {{ totalCount }} }} }} }}"#
            ))
            .await;
        assert_eq!(
            data["producers"]["nodes"],
            json!([
                { "name": "Once Credited", "publications": { "totalCount": 3 }, "datasets": { "totalCount": 3 } },
                { "name": "Twice Credited", "publications": { "totalCount": 2 }, "datasets": { "totalCount": 2 } },
            ]),
            "{field}"
        );
    }
}

async fn sorted_pages_walk_both_ways(app: &TestApp) {
    walk_both_ways(
        app,
        "orderBy: [{ field: PUBLISHED_ON, direction: DESC }, { field: TITLE, direction: ASC }], ",
    )
    .await;
    // Searched and filtered, by date and by relevance (SQLite picks these pages' rows through
    // its covering index first).
    let searched = r#"search: "justice OR crime OR survey", filter: { publishedFrom: "1900", languages: ["English"] }, "#;
    walk_both_ways(
        app,
        &format!("{searched}orderBy: [{{ field: PUBLISHED_ON, direction: DESC }}], "),
    )
    .await;
    walk_both_ways(
        app,
        &format!("{searched}orderBy: [{{ field: RELEVANCE, direction: DESC }}], "),
    )
    .await;
    // A searched list walks by relevance too.
    let searched = "query($after: String) { publications(search: \"survey\", first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let total_found = loop {
        let page = app.data_with(searched, json!({ "after": after })).await;
        seen.extend(ids(&page["publications"]));
        if page["publications"]["pageInfo"]["hasNextPage"] == false {
            break total(&page["publications"]);
        }
        after = page["publications"]["pageInfo"]["endCursor"].clone();
    };
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    assert_eq!(seen.len() as i64, total_found);
}

async fn cursors_belong_to_their_list(app: &TestApp) {
    let page = app.data(r#"{ publications(orderBy: [{ field: TITLE, direction: ASC }], first: 2) { pageInfo { endCursor } } }"#).await;
    let cursor = page["publications"]["pageInfo"]["endCursor"].clone();
    for query in [
        "query($c: String) { publications(orderBy: [{ field: TITLE, direction: DESC }], after: $c) { totalCount } }",
        "query($c: String) { publications(after: $c) { totalCount } }",
        "query($c: String) { publications(orderBy: [{ field: TITLE, direction: ASC }], filter: { languages: [\"English\"] }, after: $c) { totalCount } }",
    ] {
        let answer = app.post(query, json!({ "c": cursor })).await.json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{query}"
        );
    }
    let same = app.data_with("query($c: String) { publications(orderBy: [{ field: TITLE, direction: ASC }], after: $c, first: 1) { nodes { id } } }", json!({ "c": cursor })).await;
    assert_eq!(same["publications"]["nodes"].as_array().unwrap().len(), 1);
}

/// A cursor turned into another of the same list with its position's keys replaced.
fn with_keys(cursor: &Value, keys: Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut body: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(cursor.as_str().unwrap()).unwrap()).unwrap();
    body["p"]["keys"] = keys;
    URL_SAFE_NO_PAD.encode(body.to_string())
}

/// A cursor whose keys do not fit its list's order, or that comes from another parent's list,
/// is refused (it made a wrong keyset condition: an empty page, an internal error or a page
/// that skipped the other parent's rows).
async fn cursors_fit_their_list_and_parent(app: &TestApp) {
    let sorted = |field: &str| {
        format!(
            "query($c: String) {{ publications(orderBy: [{{ field: {field}, direction: ASC }}], first: 2, after: $c) {{ totalCount nodes {{ id }} pageInfo {{ endCursor }} }} }}"
        )
    };
    for (field, keys) in [
        ("TITLE", json!([])),
        ("TITLE", json!([1])),
        ("PUBLISHED_ON", json!(["abc"])),
        ("PUBLISHED_ON", json!([1, 2])),
    ] {
        let page = app.data_with(&sorted(field), json!({ "c": null })).await;
        let forged = with_keys(&page["publications"]["pageInfo"]["endCursor"], keys.clone());
        let answer = app
            .post(&sorted(field), json!({ "c": forged }))
            .await
            .json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{field} {keys}: {answer}"
        );
    }
    // A null key is a position (nulls sort last), not an error.
    let page = app
        .data_with(&sorted("PUBLISHED_ON"), json!({ "c": null }))
        .await;
    let at_nulls = with_keys(
        &page["publications"]["pageInfo"]["endCursor"],
        json!([null]),
    );
    app.data_with(&sorted("PUBLISHED_ON"), json!({ "c": at_nulls }))
        .await;
    // Nested lists: a cursor of OJP's children is not one of DOJ's.
    let children = "query($name: String!, $c: String) { producer(name: $name) { children(first: 1, after: $c) { nodes { name } pageInfo { endCursor } } } }";
    let ojp = app
        .data_with(children, json!({ "name": "OJP", "c": null }))
        .await;
    let cursor = ojp["producer"]["children"]["pageInfo"]["endCursor"].clone();
    assert!(cursor.is_string(), "{ojp}");
    let answer = app
        .post(children, json!({ "name": "DOJ", "c": cursor }))
        .await
        .json();
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );
    let own = app
        .data_with(children, json!({ "name": "OJP", "c": cursor }))
        .await;
    assert!(own["producer"]["children"]["nodes"].is_array());
}

async fn single_valued_facets_add_up(app: &TestApp) {
    add_dated_records(app).await;
    for filter in [
        json!({}),
        json!({ "languages": ["Esperanto"] }),
        json!({ "publishedFrom": "2000" }),
    ] {
        let data = app
            .data_with(
                "query($f: PublicationFilter) { publications(filter: $f) { totalCount facets { years { key label count } publicationTypes { key label count } languages { key count } } } }",
                json!({ "f": filter }),
            )
            .await;
        let list = &data["publications"];
        for facet in ["years", "publicationTypes", "languages"] {
            let buckets = list["facets"][facet].as_array().unwrap();
            let sum: i64 = buckets.iter().map(|b| b["count"].as_i64().unwrap()).sum();
            assert_eq!(sum, total(list), "{facet} with {filter}");
        }
    }
    let esperanto = app.data(r#"{ publications(filter: { languages: ["Esperanto"] }) { facets { years { key label count } publicationTypes { key label count } } } }"#).await;
    let years = &esperanto["publications"]["facets"]["years"];
    assert_eq!(
        *years,
        json!([
            { "key": "2005", "label": "2005", "count": 1 },
            { "key": "2006", "label": "2006", "count": 3 },
            { "key": "unknown", "label": "Unknown", "count": 3 }
        ])
    );
    let types = &esperanto["publications"]["facets"]["publicationTypes"];
    assert_eq!(
        *types,
        json!([{ "key": "unknown", "label": "Unknown", "count": 4 }, { "key": "Test Type", "label": "Test Type", "count": 3 }]),
        "largest first"
    );
    // Dataset facets add up too.
    let data = app
        .data("{ datasets { totalCount facets { releaseYears { count } } } }")
        .await;
    let sum: i64 = data["datasets"]["facets"]["releaseYears"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total(&data["datasets"]));
}

async fn multi_valued_and_rolled_up_facets(app: &TestApp) {
    let data = app.data("{ publications { facets { subjects(first: 3) { key count } producers(first: 50) { key label count } top: producers(first: 50, level: 0) { key label count } } } }").await;
    let facets = &data["publications"]["facets"];
    let subjects = facets["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), 3);
    for bucket in subjects {
        let filtered = app
            .data_with(
                "query($s: String!) { publications(filter: { subjects: [$s] }) { totalCount } }",
                json!({ "s": bucket["key"] }),
            )
            .await;
        assert_eq!(
            bucket["count"], filtered["publications"]["totalCount"],
            "subject {}",
            bucket["key"]
        );
    }
    let doj = app.id_of(r#"producer(name: "DOJ")"#).await;
    let top = facets["top"].as_array().unwrap();
    let doj_bucket = top
        .iter()
        .find(|b| b["key"] == doj.as_str())
        .expect("DOJ bucket at level 0");
    let doj_tree = app
        .data_with("query($p: ID!) { publications(filter: { producerIds: [$p], includeSubunits: true }) { totalCount } }", json!({ "p": doj }))
        .await;
    assert_eq!(
        doj_bucket["count"], doj_tree["publications"]["totalCount"],
        "rolled up to the department"
    );
    assert_eq!(doj_bucket["label"], "United States Department of Justice");
    let nij = app.id_of(r#"producer(name: "NIJ")"#).await;
    assert!(
        facets["producers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["key"] == nij.as_str()),
        "unrolled buckets name the institute"
    );
    assert!(
        !top.iter().any(|b| b["key"] == nij.as_str()),
        "rolled up, the institute is counted under its department"
    );
    // Link lists facet by the edges' relation types.
    let data = app.data(r#"{ dataset(studyNumber: "20423") { relatedPublications { totalCount facets { relationTypes { key count } } } } }"#).await;
    let list = &data["dataset"]["relatedPublications"];
    let sum: i64 = list["facets"]["relationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total(list));
}

async fn stats_match_direct_sql(app: &TestApp) {
    let data = app.data("{ publicationStats(groupBy: [PRODUCER, YEAR]) { keys { dimension key label } count } }").await;
    let rows = data["publicationStats"].as_array().unwrap();
    assert!(!rows.is_empty());
    let counts = rows
        .windows(2)
        .all(|w| w[0]["count"].as_i64() >= w[1]["count"].as_i64());
    assert!(counts, "largest groups first");
    // The same counts straight from SQL, producer names and years as keys.
    let sql = "SELECT pr.name AS producer, CAST(p.published_year AS TEXT) AS year, COUNT(DISTINCT p.id) AS n \
               FROM publication p LEFT JOIN publication_producer c ON c.publication_id = p.id \
               LEFT JOIN producer pr ON pr.id = c.producer_id GROUP BY pr.name, p.published_year";
    let direct = app.sql_rows(sql).await;
    let mut expected: HashMap<(String, String), i64> = HashMap::new();
    for row in direct {
        let producer: Option<String> = row.try_get("", "producer").unwrap();
        let year: Option<String> = row.try_get("", "year").unwrap();
        let key = (
            producer.unwrap_or_else(|| "Unknown".into()),
            year.unwrap_or_else(|| "Unknown".into()),
        );
        expected.insert(key, row.try_get("", "n").unwrap());
    }
    let mut actual: HashMap<(String, String), i64> = HashMap::new();
    for row in rows {
        assert_eq!(row["keys"][0]["dimension"], "PRODUCER");
        assert_eq!(row["keys"][1]["dimension"], "YEAR");
        let key = (
            row["keys"][0]["label"].as_str().unwrap().to_owned(),
            row["keys"][1]["label"].as_str().unwrap().to_owned(),
        );
        actual.insert(key, row["count"].as_i64().unwrap());
    }
    assert_eq!(actual, expected);
    // Filters, search and limits apply.
    let limited = app.data(r#"{ publicationStats(groupBy: [YEAR], limit: 2, filter: { publishedFrom: "2000" }) { keys { key } count } }"#).await;
    assert_eq!(limited["publicationStats"].as_array().unwrap().len(), 2);
    let datasets = app
        .data("{ datasetStats(groupBy: [RELEASE_YEAR]) { count } datasets { totalCount } }")
        .await;
    let sum: i64 = datasets["datasetStats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total(&datasets["datasets"]));
    let (code, _) = app
        .error_code("{ publicationStats(groupBy: []) { count } }")
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

async fn co_use_counts_shared_datasets(app: &TestApp) {
    let data = app
        // Pages sized to the demo data (60 publications, at most 7 datasets each), so the
        // query stays under the default cost limit.
        .data(r#"{ publications(first: 60) { nodes { id relatedDatasets(first: 10) { nodes { id } }
              relatedPublications(first: 60) { totalCount edges { sharedDatasets node { id relatedDatasets(first: 10) { nodes { id } } } } } } } }"#)
        .await;
    let mut checked = 0;
    for publication in data["publications"]["nodes"].as_array().unwrap() {
        let mine: Vec<&Value> = publication["relatedDatasets"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["id"])
            .collect();
        let edges = publication["relatedPublications"]["edges"]
            .as_array()
            .unwrap();
        assert!(
            edges
                .windows(2)
                .all(|w| w[0]["sharedDatasets"].as_i64() >= w[1]["sharedDatasets"].as_i64()),
            "most shared first"
        );
        for edge in edges {
            assert_ne!(edge["node"]["id"], publication["id"], "not itself");
            let theirs = edge["node"]["relatedDatasets"]["nodes"].as_array().unwrap();
            let shared = theirs.iter().filter(|d| mine.contains(&&d["id"])).count() as i64;
            assert_eq!(edge["sharedDatasets"].as_i64().unwrap(), shared);
            checked += 1;
        }
    }
    assert!(checked > 10, "the demo has co-used datasets");
}

async fn root_search_across_kinds(app: &TestApp) {
    let query = "query($q: String!, $t: [SearchType!], $after: String) { search(query: $q, types: $t, first: 4, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { score snippet node { __typename ... on Publication { id } ... on Dataset { id } ... on Producer { id } } } } }";
    let first = app.data_with(query, json!({ "q": "justice" })).await;
    let kinds: Vec<&str> = first["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["__typename"].as_str().unwrap())
        .collect();
    assert!(!kinds.is_empty());
    let total = first["search"]["totalCount"].clone();
    let mut all = Vec::new();
    let mut after = Value::Null;
    let mut typenames = std::collections::HashSet::new();
    loop {
        let page = app
            .data_with(query, json!({ "q": "justice", "after": after }))
            .await;
        assert_eq!(page["search"]["totalCount"], total, "after {after}");
        for edge in page["search"]["edges"].as_array().unwrap() {
            all.push((
                edge["node"]["__typename"].as_str().unwrap().to_owned(),
                edge["node"]["id"].as_str().unwrap().to_owned(),
                edge["score"].as_f64().unwrap(),
            ));
            typenames.insert(edge["node"]["__typename"].as_str().unwrap().to_owned());
        }
        after = page["search"]["pageInfo"]["endCursor"].clone();
        if page["search"]["pageInfo"]["hasNextPage"] == false {
            assert_eq!(
                all.len() as i64,
                page["search"]["totalCount"].as_i64().unwrap()
            );
            break;
        }
    }
    // Past the end: no row, the same count.
    let past = app
        .data_with(query, json!({ "q": "justice", "after": after }))
        .await;
    assert_eq!(past["search"]["edges"], json!([]));
    assert_eq!(past["search"]["totalCount"], total);
    // PostgreSQL counts in the page's statement (it ranks every match anyway); SQLite's count
    // is a statement of its own.
    let counted = r#"{ search(query: "justice", first: 3) { totalCount edges { score } } }"#;
    let uncounted = r#"{ search(query: "justice", first: 3) { edges { score } } }"#;
    let postgres = app.db.conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    assert_eq!(
        app.statements_for(counted).await,
        app.statements_for(uncounted).await + u64::from(!postgres)
    );
    assert!(
        all.windows(2).all(|w| w[0].2 >= w[1].2),
        "best first across pages"
    );
    assert!(
        typenames.contains("Producer") && typenames.contains("Publication"),
        "{typenames:?}"
    );
    let only = app
        .data_with(query, json!({ "q": "justice", "t": ["PRODUCER"] }))
        .await;
    assert!(
        only["search"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["__typename"] == "Producer")
    );
    let snippets = app
        .data_with(query, json!({ "q": "trafficking", "t": ["PUBLICATION"] }))
        .await;
    assert!(
        snippets["search"]["edges"][0]["snippet"]
            .as_str()
            .unwrap_or("")
            .to_lowercase()
            .contains("<mark>traffick"),
        "{snippets}"
    );
    // Markup in a record is text in its snippet: escaped (SQLite passed it through, so a
    // title holding `<mark>` looked like a match and `<img onerror>` ran in a client that
    // renders the snippet) or left out (PostgreSQL drops tag-shaped text). Nor can the text
    // forge a mark: one private-use character each had marked matches before.
    let record = json!({ "type": "publication", "ncjNumber": "T-MARKUP",
        "title": "Wombatqq survey of <mark>fake</mark> <img src=x onerror=alert(1)> & \"quotes\" \u{E000}forged\u{E001}" });
    import_str(&app.db, "markup.jsonl", &record.to_string())
        .await
        .unwrap();
    let marked = app
        .data_with(query, json!({ "q": "wombatqq", "t": ["PUBLICATION"] }))
        .await;
    let snippet = marked["search"]["edges"][0]["snippet"].as_str().unwrap();
    assert!(snippet.starts_with("<mark>Wombatqq</mark>"), "{snippet}");
    let text = snippet.replacen("<mark>", "", 1).replacen("</mark>", "", 1);
    assert!(
        !text.contains(['<', '>', '"']),
        "only the tags of the match: {snippet}"
    );
    let (code, _) = app
        .error_code(r#"{ search(query: "-nothing") { totalCount } }"#)
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

/// Hits of a root search as `(typename, id, score, snippet)`, page by page with `first` (with
/// `first: 100` and no cursor: one page).
async fn root_search_hits(
    app: &TestApp,
    search: &str,
    types: Value,
    first: usize,
) -> Vec<(String, String, f64, String)> {
    let query = "query($q: String!, $t: [SearchType!], $first: Int, $after: String) { search(query: $q, types: $t, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { score snippet node { __typename ... on Publication { id } ... on Dataset { id } ... on Producer { id } } } } }";
    let mut hits = Vec::new();
    let mut after = Value::Null;
    for _ in 0..200 {
        let variables = json!({ "q": search, "t": types, "first": first, "after": after });
        let page = app.data_with(query, variables).await;
        for edge in page["search"]["edges"].as_array().unwrap() {
            hits.push((
                edge["node"]["__typename"].as_str().unwrap().to_owned(),
                edge["node"]["id"].as_str().unwrap().to_owned(),
                edge["score"].as_f64().unwrap(),
                edge["snippet"].as_str().unwrap_or("").to_owned(),
            ));
        }
        if page["search"]["pageInfo"]["hasNextPage"] == false {
            assert_eq!(
                hits.len() as i64,
                page["search"]["totalCount"].as_i64().unwrap(),
                "{search}: every hit once"
            );
            return hits;
        }
        after = page["search"]["pageInfo"]["endCursor"].clone();
    }
    panic!("{search}: the pages never end");
}

/// Paging a root search one hit (or a few) at a time gives the one-page answer: every hit once,
/// in the same order, ties included. The cursor carried the score as a decimal that did not
/// always read back as the same number, so pages repeated a hit forever or skipped its ties.
/// Exclusions leave the other hits' scores as they are (PostgreSQL ranked them 1e-20 each).
async fn root_search_pages_hold_every_hit_once(app: &TestApp) {
    for (search, types, first) in [
        ("police", json!(["PUBLICATION"]), 1),
        ("police", Value::Null, 1),
        ("justice", json!(["DATASET"]), 1),
        ("justice", Value::Null, 1),
        ("\"use of force\"", Value::Null, 7),
        ("police -force", Value::Null, 3),
        ("police OR force -use", Value::Null, 7),
    ] {
        let whole = root_search_hits(app, search, types.clone(), 100).await;
        assert!(whole.len() > first, "{search}: {}", whole.len());
        let paged = root_search_hits(app, search, types, first).await;
        assert_eq!(paged, whole, "{search} by {first}");
    }
    let police = root_search_hits(app, "police", Value::Null, 100).await;
    let without_force = root_search_hits(app, "police -force", Value::Null, 100).await;
    assert!(without_force.len() < police.len());
    for (kind, id, score, _) in &without_force {
        let same = police
            .iter()
            .find(|hit| (&hit.0, &hit.1) == (kind, id))
            .unwrap();
        assert_eq!(
            *score, same.2,
            "{kind} {id}: an exclusion changed its score"
        );
    }
    // A match in a title is marked in the snippet.
    let titles = "{ publications(search: \"police\", first: 100) { nodes { id title } } }";
    let titled: std::collections::HashSet<String> = app.data(titles).await["publications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["title"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("police")
        })
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!titled.is_empty());
    for (_, id, _, snippet) in police.iter().filter(|hit| titled.contains(&hit.1)) {
        assert!(snippet.contains("<mark>"), "{id}: {snippet}");
    }
}

/// Searches past the length or term limits are the user's error, not an internal one (SQLite
/// refused ~97 exclusions, PostgreSQL a search of 140 KB).
async fn overlong_searches_are_bad_input(app: &TestApp) {
    let exclusions: Vec<String> = (0..97).map(|i| format!("-w{i}")).collect();
    let many = format!("police {}", exclusions.join(" "));
    let long = "police ".repeat(20_000);
    for search in [many, long] {
        for query in [
            "query($s: String) { publications(search: $s) { totalCount } }",
            "query($s: String!) { search(query: $s) { totalCount } }",
        ] {
            let answer = app.post(query, json!({ "s": search })).await.json();
            assert_eq!(
                answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{answer}"
            );
        }
    }
}

/// PostgreSQL keeps search vectors in their rows (`MAIN` storage: compressed inline; long
/// texts such as abstracts go to TOAST first), since every search match re-checks and ranks
/// its vector while abstracts are read only by nodes that show them. A record with a long,
/// hardly compressible abstract is still found by a word deep in it.
async fn search_vectors_stay_in_their_rows(app: &TestApp) {
    let words: Vec<String> = (0..400u64)
        .map(|i| format!("w{:x}q{}", i.wrapping_mul(0x9e37_79b9) % 0xfffff, i))
        .collect();
    let record = json!({
        "type": "publication",
        "ncjNumber": "T-LONG",
        "title": "Quokka census methods",
        "abstract": words.join(" "),
    });
    import_str(&app.db, "long.jsonl", &record.to_string())
        .await
        .unwrap();
    let found = app
        .data(&format!(
            r#"{{ publications(search: "quokka {}") {{ nodes {{ ncjNumber }} }} }}"#,
            words[397]
        ))
        .await;
    assert_eq!(
        found["publications"]["nodes"],
        json!([{ "ncjNumber": "T-LONG" }])
    );
    if app.db.conn.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return;
    }
    for table in ["publication", "dataset", "producer"] {
        let row = app
            .db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                format!(
                    "SELECT CAST(attstorage AS TEXT) AS storage FROM pg_attribute \
                     WHERE attrelid = '{table}'::regclass AND attname = 'search_vector'"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get::<String>("", "storage").unwrap(),
            "m",
            "{table}"
        );
    }
}

/// Every facet bucket's key, given back to its list's filter, finds exactly the bucket's
/// records, "unknown" (records without a value) included: a dashboard drills down by the keys
/// it was given.
async fn facet_keys_drill_down_to_their_buckets(app: &TestApp) {
    add_dated_records(app).await;
    let bare = [
        r#"{"type":"publication","ncjNumber":"T-BARE","title":"Bare publication"}"#,
        r#"{"type":"dataset","studyNumber":"T-ROOT","title":"Credited to a root","producers":[{"producer":"Test Agency","role":"PRODUCER"}]}"#,
        r#"{"type":"dataset","studyNumber":"T-BARE","title":"Bare dataset"}"#,
        r#"{"type":"producer","name":"Kindless"}"#,
    ];
    import_str(&app.db, "bare.jsonl", &bare.join("\n"))
        .await
        .unwrap();
    let cases = [
        ("publications", "publicationTypes", "publicationTypes"),
        ("publications", "languages", "languages"),
        ("publications", "subjects(first: 100)", "subjects"),
        ("datasets", "series(first: 100)", "series"),
        ("datasets", "subjects(first: 100)", "subjects"),
        ("datasets", "dataTypes(first: 100)", "dataTypes"),
        (
            "datasets",
            "geographicCoverage(first: 100)",
            "geographicCoverage",
        ),
        ("producers", "kinds", "kinds"),
        ("publications", "years", "years"),
        ("datasets", "releaseYears", "releaseYears"),
        ("publications", "relationTypes", "relationTypes"),
        ("datasets", "relationTypes", "relationTypes"),
        ("publications", "producers(first: 100)", "producerIds"),
        ("datasets", "producers(first: 100)", "producerIds"),
        (
            "publications",
            "producers(first: 100, level: 0)",
            "includeSubunits: true, producerIds",
        ),
        (
            "datasets",
            "producers(first: 100, level: 1)",
            "includeSubunits: true, producerIds",
        ),
    ];
    for (list, facet, filter) in cases {
        let field = facet.split('(').next().unwrap();
        let data = app
            .data(&format!(
                "{{ {list} {{ facets {{ {facet} {{ key count }} }} }} }}"
            ))
            .await;
        let buckets = data[list]["facets"][field].as_array().unwrap();
        assert!(
            buckets.iter().any(|b| b["key"] == "unknown") && buckets.len() > 1,
            "{list}.{field} has an unknown bucket and others: {buckets:?}"
        );
        let query = format!(
            "query($keys: [String!]) {{ {list}(filter: {{ {filter}: $keys }}) {{ totalCount }} }}"
        );
        for bucket in buckets {
            let key = bucket["key"].as_str().unwrap();
            let found = app.data_with(&query, json!({ "keys": [key] })).await;
            assert_eq!(
                found[list]["totalCount"], bucket["count"],
                "{list} filtered by {filter}: [{key}]"
            );
        }
        // A key and "unknown" together: either.
        let key = buckets.iter().find(|b| b["key"] != "unknown").unwrap();
        let unknown = buckets.iter().find(|b| b["key"] == "unknown").unwrap();
        let both = app
            .data_with(&query, json!({ "keys": [key["key"], "unknown"] }))
            .await;
        assert_eq!(
            total(&both[list]),
            key["count"].as_i64().unwrap() + unknown["count"].as_i64().unwrap(),
            "{list} filtered by {filter}: [{}, unknown]",
            key["key"]
        );
    }
}

/// A relevance cursor taken before a write pages on from its own row, in the order the list
/// has after the write: SQLite's bm25 weighs by the whole table, so any insert (even one that
/// does not match) moves every score, and the stored score skipped 13 of 27 "police" hits.
/// Checked for a list and for the root search, after an unrelated insert and after a matching
/// one that ranks first.
async fn relevance_cursors_hold_across_writes(app: &TestApp) {
    let list = "query($after: String, $first: Int) { publications(search: \"police\", first: $first, after: $after) {
        pageInfo { endCursor } nodes { id } } }";
    let root = "query($after: String, $first: Int) { search(query: \"police\", types: [PUBLICATION], first: $first, after: $after) {
        pageInfo { endCursor } edges { node { ... on Publication { id } } } } }";
    let ids_of = |data: &Value| -> Vec<String> {
        let (nodes, key) = match data.get("publications") {
            Some(list) => (list["nodes"].clone(), None),
            None => (data["search"]["edges"].clone(), Some("node")),
        };
        nodes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let node = key.map_or(n, |k| &n[k]);
                node["id"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    let cursor_of = |data: &Value| -> Value {
        let field = if data.get("publications").is_some() {
            "publications"
        } else {
            "search"
        };
        data[field]["pageInfo"]["endCursor"].clone()
    };
    // An unrelated insert, then one that ranks first; each once per query.
    let writes = [
        r#"{"type":"publication","ncjNumber":"T-ZEBRA-N","title":"Zebra migration notes","abstract":"Herds on the move across the plains."}"#,
        r#"{"type":"publication","ncjNumber":"T-POLICE-N","title":"Police police police","abstract":"Police."}"#,
    ];
    for (round, write) in writes.iter().enumerate() {
        for (n, query) in [list, root].into_iter().enumerate() {
            let first = app.data_with(query, json!({ "first": 5 })).await;
            let anchor = ids_of(&first)[4].clone();
            let cursor = cursor_of(&first);
            let write = write.replace("-N", &format!("-{n}"));
            import_str(&app.db, "write.jsonl", &write).await.unwrap();
            let now = ids_of(&app.data_with(query, json!({ "first": 100 })).await);
            let at = now.iter().position(|id| *id == anchor).unwrap();
            let expected: Vec<String> = now[at + 1..].iter().take(5).cloned().collect();
            assert_eq!(expected.len(), 5);
            let next = app
                .data_with(query, json!({ "first": 5, "after": cursor }))
                .await;
            assert_eq!(ids_of(&next), expected, "round {round}: {query}");
        }
    }
}

/// A first page ranked by relevance holds the best matches of the whole table, ties broken
/// by id, wherever they sit in it (matches among the first and the last records, with
/// fillers between), and says whether more follow.
async fn relevance_first_pages_rank_every_match(app: &TestApp) {
    let record = |key: &str, title: &str| {
        format!(
            r#"{{"type":"publication","ncjNumber":"{key}","title":"{title}","abstract":"Nesting birds along the coast."}}"#
        )
    };
    let early = [
        record("T-TIED-1", "Kestrel survey"),
        record("T-BEST-1", "Kestrel kestrel survey"),
        record("T-TIED-2", "Kestrel survey"),
    ];
    let fillers: Vec<String> = (0..200)
        .map(|n| record(&format!("T-FILLER-{n}"), "Harbour seal count"))
        .collect();
    let late = [
        record("T-TIED-3", "Kestrel survey"),
        record("T-BEST-2", "Kestrel kestrel survey"),
        record("T-TIED-4", "Kestrel survey"),
    ];
    for (name, lines) in [
        ("early", &early[..]),
        ("fillers", &fillers),
        ("late", &late),
    ] {
        import_str(&app.db, &format!("{name}.jsonl"), &lines.join("\n"))
            .await
            .unwrap();
    }
    let query = "query($first: Int) { publications(search: \"kestrel\", first: $first) {
        totalCount pageInfo { hasNextPage } nodes { ncjNumber } } }";
    let best_first = [
        "T-BEST-1", "T-BEST-2", "T-TIED-1", "T-TIED-2", "T-TIED-3", "T-TIED-4",
    ];
    for first in 1..=7 {
        let list = &app.data_with(query, json!({ "first": first })).await["publications"];
        let found: Vec<&str> = list["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["ncjNumber"].as_str().unwrap())
            .collect();
        let shown = first.min(best_first.len());
        assert_eq!(found, best_first[..shown], "first: {first}");
        assert_eq!(
            list["pageInfo"]["hasNextPage"],
            json!(first < best_first.len()),
            "first: {first}"
        );
        assert_eq!(total(list), 6);
    }
}

/// "unknown" is the facets' key for records without a value: a value of that name would make
/// a second bucket with the same key, and drilling into either would find both. Refused in
/// every faceted field, naming it.
async fn a_value_named_unknown_is_refused(app: &TestApp) {
    let records = [
        (
            r#"{"type":"publication","ncjNumber":"U-1","title":"A","publicationType":"unknown"}"#,
            "publicationType",
        ),
        (
            r#"{"type":"publication","ncjNumber":"U-2","title":"B","subjects":["crime","unknown"]}"#,
            "subjects",
        ),
        (
            r#"{"type":"dataset","studyNumber":"U-3","title":"C","dataTypes":["unknown"]}"#,
            "dataTypes",
        ),
        // List values are trimmed when stored: "unknown " would be stored as "unknown".
        (
            r#"{"type":"publication","ncjNumber":"U-6","title":"F","subjects":["unknown "]}"#,
            "subjects",
        ),
        (
            r#"{"type":"dataset","studyNumber":"U-7","title":"G","geographicCoverage":["\tunknown"]}"#,
            "geographicCoverage",
        ),
        (
            r#"{"type":"dataset","studyNumber":"U-8","title":"H","subjects":[" unknown  "]}"#,
            "subjects",
        ),
        (
            r#"{"type":"dataset","studyNumber":"U-4","title":"D","series":"unknown"}"#,
            "series",
        ),
        (
            r#"{"type":"producer","name":"Unknown kind","kind":"unknown"}"#,
            "kind",
        ),
    ];
    for (record, field) in records {
        let err = import_str(&app.db, "unknown.jsonl", record)
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "unknown.jsonl:1: {field}: \"unknown\" is how facets"
            )),
            "{record}: {err}"
        );
    }
    // "Unknown" (another key) is a value like any other.
    import_str(
        &app.db,
        "known.jsonl",
        r#"{"type":"publication","ncjNumber":"U-5","title":"E","publicationType":"Unknown"}"#,
    )
    .await
    .unwrap();
}

/// `includeSubunits`, a facet's `first` and a stats query's `limit` are nullable with their
/// defaults, as the contract writes them: a client's nullable variable left out or null takes
/// the default (they were `Boolean!`/`Int!`, so such a document failed validation).
async fn arguments_with_defaults_take_them_when_null(app: &TestApp) {
    let query = r#"query($subunits: Boolean, $first: Int, $limit: Int) {
        producer(name: "OJP") {
            publications(includeSubunits: $subunits) { totalCount facets { subjects(first: $first) { key } } }
            datasets(includeSubunits: $subunits) { totalCount }
        }
        publicationStats(groupBy: [YEAR], limit: $limit) { count }
    }"#;
    let defaults = r#"{
        producer(name: "OJP") {
            publications { totalCount facets { subjects { key } } }
            datasets { totalCount }
        }
        publicationStats(groupBy: [YEAR]) { count }
    }"#;
    let expected = app.data(defaults).await;
    for variables in [
        json!({}),
        json!({ "subunits": null, "first": null, "limit": null }),
    ] {
        assert_eq!(
            app.data_with(query, variables.clone()).await,
            expected,
            "{variables}"
        );
    }
    let explicit = app
        .data_with(query, json!({ "subunits": true, "first": 1, "limit": 1 }))
        .await;
    let ojp = &explicit["producer"];
    assert!(
        ojp["publications"]["totalCount"].as_i64()
            > expected["producer"]["publications"]["totalCount"].as_i64()
    );
    assert_eq!(
        ojp["publications"]["facets"]["subjects"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(explicit["publicationStats"].as_array().unwrap().len(), 1);
}

/// A field repeated in `orderBy` is refused, in every kind's list: a repeat never decides, and
/// each key added to every later one's cursor condition, so 99 repeated keys with `after` kept
/// a PostgreSQL backend busy for a minute past the client's TIMEOUT (5,000 were INTERNAL).
async fn an_order_names_each_field_once(app: &TestApp) {
    let repeated = |field: &str, times: usize| -> Value {
        (0..times)
            .map(|_| json!({ "field": field, "direction": "ASC" }))
            .collect()
    };
    for (list, order_type, field) in [
        ("publications", "PublicationOrder", "TITLE"),
        ("datasets", "DatasetOrder", "STUDY_NUMBER"),
        ("producers", "ProducerOrder", "NAME"),
    ] {
        let query = format!(
            "query($o: [{order_type}!]) {{ {list}(orderBy: $o, first: 2) {{ totalCount }} }}"
        );
        for times in [2, 5_000] {
            let answer = app
                .post(&query, json!({ "o": repeated(field, times) }))
                .await
                .json();
            let error = &answer["errors"][0];
            assert_eq!(
                error["extensions"]["code"], "BAD_USER_INPUT",
                "{list}: {answer}"
            );
            assert_eq!(
                error["message"],
                "`orderBy` sorts by one field twice (keys 1 and 2); each field may appear once"
            );
        }
        app.data_with(&query, json!({ "o": repeated(field, 1) }))
            .await;
    }
    // Opposite directions of one field are the same field twice too.
    let both = json!([
        { "field": "TITLE", "direction": "ASC" },
        { "field": "TITLE", "direction": "DESC" },
    ]);
    let answer = app
        .post(
            "query($o: [PublicationOrder!]) { publications(orderBy: $o) { totalCount } }",
            json!({ "o": both }),
        )
        .await
        .json();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// Every word matches as a prefix, also a word that a write has just added or rewritten. On
/// PostgreSQL a search writes its words out as the lexemes that start with them, from the list
/// every write of a search vector adds its lexemes to: a write that left its lexemes out would
/// leave its records unfound by their words' prefixes. Prefixes that many lexemes start with
/// stay prefixes, and find the same records.
async fn prefixes_find_the_words_writes_add(app: &TestApp) {
    use studygraph::auth::Scope;
    let key = crate::mutations::key(app, "curator", Scope::Write).await;
    let count = |kind: &'static str, search: &'static str| async move {
        let data = app
            .data(&format!(
                r#"{{ {kind}(search: "{search}") {{ totalCount }} }}"#
            ))
            .await;
        data[kind]["totalCount"].as_i64().unwrap()
    };
    assert_eq!(count("publications", "quokkazz").await, 0);
    let created = crate::mutations::mutate(
        app,
        &key,
        "createPublication",
        json!({ "title": "Quokkazzian field notes", "abstract": "On numbatzzery." }),
        "publication { id }",
    )
    .await;
    let id = created["publication"]["id"].clone();
    for search in [
        "quokkazz",
        "quokkazzian",
        "numbatzz",
        "quokkazz numbatzzery",
    ] {
        assert_eq!(count("publications", search).await, 1, "{search}");
    }
    crate::mutations::mutate(
        app,
        &key,
        "updatePublication",
        json!({ "id": id, "title": "Wombatzzish field notes" }),
        "publication { id }",
    )
    .await;
    assert_eq!(count("publications", "wombatzz").await, 1);
    assert_eq!(count("publications", "quokkazz").await, 0);
    crate::mutations::mutate(
        app,
        &key,
        "createDataset",
        json!({ "title": "Bilbyzzic survey", "summary": "Dunnartzz counts." }),
        "dataset { id }",
    )
    .await;
    crate::mutations::mutate(
        app,
        &key,
        "createProducer",
        json!({ "name": "Potoroozz Institute", "aliases": ["Bettongzz Office"] }),
        "producer { id }",
    )
    .await;
    assert_eq!(count("datasets", "bilbyzz dunnartzz").await, 1);
    assert_eq!(count("producers", "potoroozz").await, 1);
    assert_eq!(count("producers", "bettongzz").await, 1);
    assert_eq!(app.unlisted_lexemes().await, Vec::<String>::new());
    // A short prefix that many words start with stays a prefix: every record is found by
    // any word that starts with it, alike on both backends.
    let short = count("publications", "c").await;
    let by_words = app
        .data(r#"{ publications(search: "crime OR court OR courts OR criminal OR community OR corrections OR cases") { totalCount } }"#)
        .await["publications"]["totalCount"]
        .as_i64()
        .unwrap();
    assert!(short >= by_words && by_words > 0, "{short} {by_words}");
}

/// A searched first page by relevance whose nodes show their producers (with parents) shows
/// each record's own credits. On PostgreSQL, with its count asked, that page is chosen from the
/// ranked matches, read in two halves side by side, and its rows and their credits are read by
/// id: the lexemes, two halves, the rows, the credits.
async fn ranked_pages_show_their_producers(app: &TestApp) {
    let credits = "producers { role producer { name parent { name } } }";
    let query = format!(
        r#"{{ publications(search: "justice", first: 8) {{ totalCount nodes {{ id {credits} }} }} }}"#
    );
    let nodes = app.data(&query).await["publications"]["nodes"].clone();
    let nodes = nodes.as_array().unwrap();
    assert!(nodes.len() > 1, "the demo data has matches: {nodes:?}");
    assert!(
        nodes
            .iter()
            .any(|n| !n["producers"].as_array().unwrap().is_empty()),
        "some match is credited: {nodes:?}"
    );
    for node in nodes {
        let id = node["id"].as_str().unwrap();
        let own = app
            .data(&format!(
                r#"{{ node(id: "{id}") {{ ... on Publication {{ {credits} }} }} }}"#
            ))
            .await;
        assert_eq!(node["producers"], own["node"]["producers"], "{id}");
    }
    if app.db.conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        assert_eq!(app.statements_for(&query).await, 5, "{query}");
        // Without its count (nor facets) the page reads no other match: one statement that
        // ranks them and carries the credits of its rows, after the lexemes.
        let page_alone = query.replace("totalCount ", "");
        assert_eq!(app.statements_for(&page_alone).await, 2, "{page_alone}");
    }
}
