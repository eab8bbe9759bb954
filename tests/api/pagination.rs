//! Keyset pagination over root and nested lists: forward, backward, edges of the list, and
//! the page-size rules.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::{on_both_backends, on_both_backends_empty};

on_both_backends!(
    forward_through_everything,
    backward_through_everything,
    page_edges,
    nested_pages,
    nested_pages_of_many_parents,
    page_size_rules,
    stable_under_inserts
);
on_both_backends_empty!(empty_lists);

/// Ids of a full walk through `publications` with pages of `size`, and the number of pages.
async fn walk_forward(app: &TestApp, size: usize) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let data = app
            .data_with(
                "query($first: Int, $after: String) { publications(first: $first, after: $after) {
                   totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }",
                json!({ "first": size, "after": after }),
            )
            .await;
        let page = &data["publications"];
        let edges = page["edges"].as_array().unwrap();
        assert!(edges.len() <= size);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
        if let (Some(first), Some(last)) = (edges.first(), edges.last()) {
            assert_eq!(page["pageInfo"]["startCursor"], first["cursor"]);
            assert_eq!(page["pageInfo"]["endCursor"], last["cursor"]);
        }
        ids.extend(
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        if page["pageInfo"]["hasNextPage"] == false {
            assert_eq!(page["totalCount"].as_u64().unwrap() as usize, ids.len());
            return (ids, pages);
        }
        assert_eq!(edges.len(), size, "a page before the last is full");
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn all_ids(app: &TestApp) -> Vec<String> {
    let data = app
        .data("{ publications(first: 100) { totalCount nodes { id } } }")
        .await;
    assert!(
        data["publications"]["totalCount"].as_u64().unwrap() <= 100,
        "demo data fits one page"
    );
    data["publications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn forward_through_everything(app: &TestApp) {
    let everything = all_ids(app).await;
    assert!(everything.len() > 20);
    let (walked, pages) = walk_forward(app, 7).await;
    assert_eq!(walked, everything);
    assert_eq!(pages, everything.len().div_ceil(7));
    let default = app
        .data("{ publications { nodes { id } pageInfo { hasNextPage } } }")
        .await;
    assert_eq!(
        default["publications"]["nodes"].as_array().unwrap().len(),
        20,
        "default page size"
    );
    assert_eq!(default["publications"]["pageInfo"]["hasNextPage"], true);
}

async fn backward_through_everything(app: &TestApp) {
    let everything = all_ids(app).await;
    let mut collected: Vec<String> = Vec::new();
    let mut before = Value::Null;
    loop {
        let data = app
            .data_with(
                "query($before: String) { publications(last: 9, before: $before) {
                   pageInfo { hasNextPage hasPreviousPage startCursor } nodes { id } } }",
                json!({ "before": before }),
            )
            .await;
        let page = &data["publications"];
        let ids: Vec<String> = page["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(page["pageInfo"]["hasNextPage"], !before.is_null());
        collected.splice(0..0, ids);
        if page["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(
        collected, everything,
        "pages read backward are in list order"
    );
}

async fn page_edges(app: &TestApp) {
    let everything = all_ids(app).await;
    let n = everything.len();
    // Exactly one page.
    let one = app
        .data_with(
            "query($n: Int) { publications(first: $n) { pageInfo { hasNextPage } nodes { id } } }",
            json!({ "n": n }),
        )
        .await;
    assert_eq!(one["publications"]["nodes"].as_array().unwrap().len(), n);
    assert_eq!(one["publications"]["pageInfo"]["hasNextPage"], false);
    // The last page, then past the end.
    let cursors = app
        .data("{ publications(first: 100) { edges { cursor } } }")
        .await;
    let edges = cursors["publications"]["edges"].as_array().unwrap();
    let second_last = edges[n - 2]["cursor"].clone();
    let last = edges[n - 1]["cursor"].clone();
    let tail = app.data_with("query($a: String) { publications(first: 5, after: $a) { pageInfo { hasNextPage } nodes { id } } }", json!({ "a": second_last })).await;
    assert_eq!(
        tail["publications"]["nodes"],
        json!([{ "id": everything[n - 1] }])
    );
    assert_eq!(tail["publications"]["pageInfo"]["hasNextPage"], false);
    let past = app.data_with("query($a: String) { publications(first: 5, after: $a) { totalCount pageInfo { hasNextPage startCursor endCursor } nodes { id } } }", json!({ "a": last })).await;
    assert_eq!(past["publications"]["nodes"], json!([]));
    assert_eq!(
        past["publications"]["pageInfo"],
        json!({ "hasNextPage": false, "startCursor": null, "endCursor": null })
    );
    assert_eq!(
        past["publications"]["totalCount"].as_u64().unwrap() as usize,
        n,
        "totalCount is the whole list"
    );
    // first: 0 is an empty page that still knows more exist.
    let zero = app
        .data("{ publications(first: 0) { pageInfo { hasNextPage } nodes { id } } }")
        .await;
    assert_eq!(
        zero["publications"],
        json!({ "pageInfo": { "hasNextPage": true }, "nodes": [] })
    );
    // after + before: the items strictly between.
    let between = app
        .data_with("query($a: String, $b: String) { publications(after: $a, before: $b) { nodes { id } } }", json!({ "a": edges[2]["cursor"], "b": edges[6]["cursor"] }))
        .await;
    assert_eq!(
        between["publications"]["nodes"],
        json!(
            everything[3..6]
                .iter()
                .map(|id| json!({ "id": id }))
                .collect::<Vec<_>>()
        )
    );
}

async fn nested_pages(app: &TestApp) {
    // A dataset used by many publications: page through its related publications both ways.
    let data = app
        .data(
            "{ datasets(first: 100) { nodes { studyNumber relatedPublications { totalCount } } } }",
        )
        .await;
    let busiest = data["datasets"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|d| d["relatedPublications"]["totalCount"].as_i64().unwrap())
        .unwrap();
    let total = busiest["relatedPublications"]["totalCount"]
        .as_i64()
        .unwrap() as usize;
    assert!(
        total >= 5,
        "the demo has a dataset used by several publications"
    );
    let study = busiest["studyNumber"].as_str().unwrap();
    let query = "query($s: String, $first: Int, $after: String, $last: Int, $before: String) { dataset(studyNumber: $s) {
        relatedPublications(first: $first, after: $after, last: $last, before: $before) {
          pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { relationType node { id } } } } }";
    let full = app
        .data_with(query, json!({ "s": study, "first": 100 }))
        .await;
    let all: Vec<Value> = full["dataset"]["relatedPublications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert_eq!(all.len(), total);
    let first = app
        .data_with(query, json!({ "s": study, "first": 2 }))
        .await;
    let page = &first["dataset"]["relatedPublications"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = app
        .data_with(
            query,
            json!({ "s": study, "first": 2, "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let second_ids: Vec<Value> = second["dataset"]["relatedPublications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert_eq!(second_ids, all[2..4].to_vec());
    let last = app.data_with(query, json!({ "s": study, "last": 2 })).await;
    let last_page = &last["dataset"]["relatedPublications"];
    let last_ids: Vec<Value> = last_page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert_eq!(last_ids, all[total - 2..].to_vec());
    assert_eq!(last_page["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(last_page["pageInfo"]["hasNextPage"], false);
}

async fn page_size_rules(app: &TestApp) {
    let ok = app
        .data("{ publications(first: 100) { nodes { id } } }")
        .await;
    assert!(!ok["publications"]["nodes"].as_array().unwrap().is_empty());
    for query in [
        "{ publications(first: 101) { nodes { id } } }",
        "{ publications(last: 1000) { nodes { id } } }",
        "{ publications(first: -1) { nodes { id } } }",
        "{ publications(first: 1, last: 1) { nodes { id } } }",
        r#"{ publications(after: "bm90IGEgY3Vyc29y") { nodes { id } } }"#,
        r#"{ publication(ncjNumber: "216547") { relatedDatasets(first: 500) { totalCount } } }"#,
        r#"{ producer(name: "DOJ") { children(first: 101) { totalCount } } }"#,
    ] {
        let (code, message) = app.error_code(query).await;
        assert_eq!(code, "BAD_USER_INPUT", "{query}: {message}");
    }
    let (_, message) = app
        .error_code("{ publications(first: 101) { nodes { id } } }")
        .await;
    assert!(
        message.contains("101") && message.contains("100"),
        "says the limit and the value: {message}"
    );
}

/// A cursor keeps its place when records are added before it.
async fn stable_under_inserts(app: &TestApp) {
    let page = app
        .data("{ publications(first: 3) { pageInfo { endCursor } } }")
        .await;
    let cursor = page["publications"]["pageInfo"]["endCursor"].clone();
    let before = app
        .data_with(
            "query($a: String) { publications(first: 3, after: $a) { nodes { id } } }",
            json!({ "a": cursor }),
        )
        .await;
    let extra = r#"{"type":"publication","ncjNumber":"TEST-NEW","title":"Inserted later"}"#;
    studygraph::import::native::import_str(&app.db, "extra.jsonl", extra)
        .await
        .unwrap();
    let after = app
        .data_with(
            "query($a: String) { publications(first: 3, after: $a) { nodes { id } } }",
            json!({ "a": cursor }),
        )
        .await;
    assert_eq!(before, after);
}

async fn empty_lists(app: &TestApp) {
    let data = app
        .data("{ publications { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } nodes { id } } datasets { totalCount } producers { totalCount } }")
        .await;
    assert_eq!(
        data["publications"],
        json!({ "totalCount": 0, "pageInfo": { "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null }, "edges": [], "nodes": [] })
    );
    assert_eq!(data["datasets"]["totalCount"], 0);
    assert_eq!(data["producers"]["totalCount"], 0);
}

/// Per-parent pages read for many parents in one statement (on PostgreSQL: each parent's links
/// first, then their rows) equal each parent's own list, forward and backward, with the right
/// `hasNextPage`/`hasPreviousPage`.
async fn nested_pages_of_many_parents(app: &TestApp) {
    let ids = |list: &Value| -> Vec<Value> {
        list["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].clone())
            .collect()
    };
    let data = app
        .data(
            "{ datasets(first: 30) { nodes { id
                head: relatedPublications(first: 2) { nodes { id } pageInfo { hasNextPage } }
                tail: relatedPublications(last: 2) { nodes { id } pageInfo { hasPreviousPage } } } } }",
        )
        .await;
    let mut busy = 0;
    for dataset in data["datasets"]["nodes"].as_array().unwrap() {
        let alone = app
            .data_with(
                "query($id: ID!) { dataset(id: $id) { relatedPublications(first: 100) { nodes { id } } } }",
                json!({ "id": dataset["id"] }),
            )
            .await;
        let all = ids(&alone["dataset"]["relatedPublications"]);
        let head = ids(&dataset["head"]);
        let tail = ids(&dataset["tail"]);
        assert_eq!(head, all[..all.len().min(2)].to_vec(), "{dataset}");
        assert_eq!(
            tail,
            all[all.len().saturating_sub(2)..].to_vec(),
            "{dataset}"
        );
        assert_eq!(dataset["head"]["pageInfo"]["hasNextPage"], all.len() > 2);
        assert_eq!(
            dataset["tail"]["pageInfo"]["hasPreviousPage"],
            all.len() > 2
        );
        busy += usize::from(all.len() > 2);
    }
    assert!(busy > 0, "some dataset has more than a page");
}
