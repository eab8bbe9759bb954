//! Exploring the graph on the demo data: `neighborhood` (nodes, edges, the limits and what they
//! hide) and `paths` (the shortest connections, in order), their argument checks, and what they
//! cost in statements.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    neighborhood_of_the_report,
    two_and_three_hops_climb_the_hierarchy,
    per_node_limit_counts_hidden_neighbors,
    max_nodes_bites,
    relation_types_filter_links,
    paths_are_shortest_and_ordered,
    paths_need_enough_hops,
    arguments_are_checked,
    statements_per_hop_not_per_node
);

const NODE_FIELDS: &str = "id __typename ... on Publication { ncjNumber doi } \
                           ... on Dataset { studyNumber } ... on Producer { name }";
const EDGE_FIELDS: &str = "from to kind relationType role";

/// A node as people name it: "NCJ 216547", "ICPSR 20423", or the producer's name.
fn label(node: &Value) -> String {
    match node["__typename"].as_str() {
        Some("Publication") => match node["ncjNumber"].as_str() {
            Some(ncj) => format!("NCJ {ncj}"),
            None => format!("doi:{}", node["doi"].as_str().unwrap_or("?")),
        },
        Some("Dataset") => format!("ICPSR {}", node["studyNumber"].as_str().unwrap_or("?")),
        _ => node["name"].as_str().unwrap_or("?").to_owned(),
    }
}

/// Edges as `(from, kind, detail, to)` with node labels.
fn edge_labels(
    edges: &Value,
    names: &HashMap<String, String>,
) -> Vec<(String, String, String, String)> {
    edges
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let name = |key: &str| {
                names
                    .get(e[key].as_str().unwrap())
                    .cloned()
                    .unwrap_or_else(|| panic!("edge end {key} is not among the nodes: {e}"))
            };
            let detail = e["relationType"]
                .as_str()
                .or(e["role"].as_str())
                .unwrap_or("")
                .to_owned();
            (
                name("from"),
                e["kind"].as_str().unwrap().to_owned(),
                detail,
                name("to"),
            )
        })
        .collect()
}

/// A subgraph read back: node labels in order, id → label, edges, truncated, hasMore by label.
struct Seen {
    nodes: Vec<String>,
    names: HashMap<String, String>,
    edges: Vec<(String, String, String, String)>,
    truncated: bool,
    has_more: Vec<(String, i64)>,
}

async fn neighborhood(app: &TestApp, root: &str, arguments: &str) -> Seen {
    let id = app.id_of(root).await;
    let query = format!(
        r#"{{ neighborhood(id: "{id}"{arguments}) {{ nodes {{ {NODE_FIELDS} }} edges {{ {EDGE_FIELDS} }}
              truncated hasMore {{ id hiddenNeighbors }} }} }}"#
    );
    let data = app.data(&query).await;
    let subgraph = &data["neighborhood"];
    let nodes: Vec<&Value> = subgraph["nodes"].as_array().unwrap().iter().collect();
    let names: HashMap<String, String> = nodes
        .iter()
        .map(|n| (n["id"].as_str().unwrap().to_owned(), label(n)))
        .collect();
    assert_eq!(names.len(), nodes.len(), "nodes are unique");
    assert_eq!(nodes[0]["id"], id.as_str(), "the root comes first");
    let edges = edge_labels(&subgraph["edges"], &names);
    let distinct: BTreeSet<_> = edges.iter().collect();
    assert_eq!(distinct.len(), edges.len(), "edges are unique: {edges:?}");
    let has_more = subgraph["hasMore"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                names[o["id"].as_str().unwrap()].clone(),
                o["hiddenNeighbors"].as_i64().unwrap(),
            )
        })
        .collect();
    Seen {
        nodes: nodes.iter().map(|n| label(n)).collect(),
        names,
        edges,
        truncated: subgraph["truncated"].as_bool().unwrap(),
        has_more,
    }
}

fn edge(from: &str, kind: &str, detail: &str, to: &str) -> (String, String, String, String) {
    (from.into(), kind.into(), detail.into(), to.into())
}

const NIJ: &str = "National Institute of Justice";
const OJP: &str = "Office of Justice Programs";
const DOJ: &str = "United States Department of Justice";

async fn neighborhood_of_the_report(app: &TestApp) {
    let seen = neighborhood(app, r#"publication(ncjNumber: "216547")"#, "").await;
    assert_eq!(seen.nodes, ["NCJ 216547", "ICPSR 20423", NIJ]);
    assert_eq!(
        seen.edges,
        [
            edge(
                "NCJ 216547",
                "RELATED_DATASET",
                "IS_RELATED_TO",
                "ICPSR 20423"
            ),
            edge("NCJ 216547", "PRODUCER_CREDIT", "PRODUCER", NIJ),
        ]
    );
    assert!(!seen.truncated);
    assert!(seen.has_more.is_empty());

    // From the dataset's side the same link keeps its direction; credits carry their roles.
    let seen = neighborhood(app, r#"dataset(studyNumber: "20423")"#, "").await;
    let mut edges = seen.edges.clone();
    edges.sort();
    assert_eq!(
        edges,
        [
            edge(
                "ICPSR 20423",
                "PRODUCER_CREDIT",
                "DISTRIBUTOR",
                "Inter-university Consortium for Political and Social Research"
            ),
            edge("ICPSR 20423", "PRODUCER_CREDIT", "FUNDER", NIJ),
            edge(
                "ICPSR 20423",
                "PRODUCER_CREDIT",
                "PRINCIPAL_INVESTIGATOR",
                "Caliber Associates"
            ),
            edge(
                "NCJ 216547",
                "RELATED_DATASET",
                "IS_RELATED_TO",
                "ICPSR 20423"
            ),
        ]
    );
    assert_eq!(seen.nodes.len(), 5);
}

async fn two_and_three_hops_climb_the_hierarchy(app: &TestApp) {
    let report = r#"publication(ncjNumber: "216547")"#;
    let two = neighborhood(app, report, ", depth: 2").await;
    // 1 + 2 + 16 nodes and 19 edges (counted independently from demo/demo.jsonl).
    assert_eq!(
        (two.nodes.len(), two.edges.len()),
        (19, 19),
        "{:?}",
        two.nodes
    );
    assert!(two.nodes.contains(&OJP.to_owned()));
    assert!(
        !two.nodes.contains(&DOJ.to_owned()),
        "DOJ is three hops away"
    );
    assert!(two.edges.contains(&edge(NIJ, "SUBUNIT_OF", "", OJP)));
    // The dataset's credit to NIJ joins two nodes of the first hop.
    assert!(
        two.edges
            .contains(&edge("ICPSR 20423", "PRODUCER_CREDIT", "FUNDER", NIJ))
    );
    assert!(!two.truncated && two.has_more.is_empty());
    // Nearer nodes first: the root, then the first hop, then the second.
    assert_eq!(two.nodes[..3], ["NCJ 216547", "ICPSR 20423", NIJ]);

    let three = neighborhood(app, report, ", depth: 3").await;
    assert_eq!((three.nodes.len(), three.edges.len()), (57, 78));
    assert!(three.edges.contains(&edge(OJP, "SUBUNIT_OF", "", DOJ)));
    assert!(!three.truncated);
    let again = neighborhood(app, report, ", depth: 3").await;
    assert_eq!(
        (again.nodes, again.edges),
        (three.nodes, three.edges),
        "deterministic"
    );
}

/// For every node listed in `hasMore`: its hidden count is its number of neighbors (from an
/// unlimited depth-1 neighborhood) minus those an edge of the subgraph joins it to.
async fn check_hidden_counts(app: &TestApp, seen: &Seen) {
    let ids: HashMap<&String, &String> = seen.names.iter().map(|(id, name)| (name, id)).collect();
    for (name, hidden) in &seen.has_more {
        let id = ids[name];
        let all = neighborhood(app, &format!(r#"node(id: "{id}")"#), ", perNodeLimit: 100").await;
        let neighbors = all.nodes.len() as i64 - 1;
        let joined: BTreeSet<&String> = seen
            .edges
            .iter()
            .filter_map(|(from, _, _, to)| {
                (from == name)
                    .then_some(to)
                    .or((to == name).then_some(from))
            })
            .collect();
        assert_eq!(
            *hidden,
            neighbors - joined.len() as i64,
            "{name}: {neighbors} neighbors, {} shown",
            joined.len()
        );
    }
}

async fn per_node_limit_counts_hidden_neighbors(app: &TestApp) {
    let report = r#"publication(ncjNumber: "216547")"#;
    // Links to datasets rank before credits.
    let one = neighborhood(app, report, ", perNodeLimit: 1").await;
    assert_eq!(one.nodes, ["NCJ 216547", "ICPSR 20423"]);
    assert!(one.truncated);
    assert_eq!(one.has_more, [("NCJ 216547".to_owned(), 1)]);

    // A producer's parent comes first, so the hierarchy survives any limit.
    let agency = neighborhood(
        app,
        &format!(r#"producer(name: "{NIJ}")"#),
        ", perNodeLimit: 1",
    )
    .await;
    assert_eq!(agency.nodes, [NIJ, OJP]);
    assert_eq!(agency.edges, [edge(NIJ, "SUBUNIT_OF", "", OJP)]);
    assert_eq!(
        agency.has_more,
        [(NIJ.to_owned(), 15)],
        "7 publications + 8 datasets"
    );

    let two = neighborhood(app, report, ", depth: 2, perNodeLimit: 2").await;
    assert!(two.truncated);
    assert!(
        two.has_more.iter().any(|(name, _)| name == NIJ),
        "{:?}",
        two.has_more
    );
    assert!(two.has_more.iter().all(|(_, n)| *n > 0));
    check_hidden_counts(app, &two).await;
}

async fn max_nodes_bites(app: &TestApp) {
    let report = r#"publication(ncjNumber: "216547")"#;
    let root_only = neighborhood(app, report, ", maxNodes: 1").await;
    assert_eq!(root_only.nodes, ["NCJ 216547"]);
    assert!(root_only.edges.is_empty());
    assert!(root_only.truncated);
    assert_eq!(root_only.has_more, [("NCJ 216547".to_owned(), 2)]);

    // Two hops would hold 19 nodes: the root's two neighbors fit, then the dataset's credited
    // producers (it is expanded first), and none of NIJ's 16 neighbors but the two it already
    // has an edge to.
    let five = neighborhood(app, report, ", depth: 2, maxNodes: 5").await;
    assert_eq!(five.nodes.len(), 5);
    assert_eq!(five.nodes[..3], ["NCJ 216547", "ICPSR 20423", NIJ]);
    let mut rest = five.nodes[3..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        [
            "Caliber Associates",
            "Inter-university Consortium for Political and Social Research"
        ]
    );
    assert!(five.truncated);
    assert_eq!(five.has_more, [(NIJ.to_owned(), 14)]);
    check_hidden_counts(app, &five).await;
}

async fn relation_types_filter_links(app: &TestApp) {
    let report = r#"publication(ncjNumber: "216547")"#;
    let other = neighborhood(app, report, ", relationTypes: [REFERENCES, DOCUMENTS]").await;
    assert_eq!(
        other.nodes,
        ["NCJ 216547", NIJ],
        "credits are always followed"
    );
    assert!(!other.truncated, "filtered links are not hidden ones");
    let same = neighborhood(app, report, ", relationTypes: [IS_RELATED_TO]").await;
    assert_eq!(same.nodes, ["NCJ 216547", "ICPSR 20423", NIJ]);
}

/// `paths` as lists of node labels, and the edges of each as `(from, kind, detail, to)`.
async fn paths(
    app: &TestApp,
    from: &str,
    to: &str,
    arguments: &str,
) -> Vec<(Vec<String>, Vec<(String, String, String, String)>)> {
    let (from, to) = (app.id_of(from).await, app.id_of(to).await);
    let query = format!(
        r#"{{ paths(from: "{from}", to: "{to}"{arguments}) {{ nodes {{ {NODE_FIELDS} }} edges {{ {EDGE_FIELDS} }} }} }}"#
    );
    let data = app.data(&query).await;
    data["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|path| {
            let nodes: Vec<&Value> = path["nodes"].as_array().unwrap().iter().collect();
            assert_eq!(nodes.first().unwrap()["id"], from.as_str());
            assert_eq!(nodes.last().unwrap()["id"], to.as_str());
            let names: HashMap<String, String> = nodes
                .iter()
                .map(|n| (n["id"].as_str().unwrap().to_owned(), label(n)))
                .collect();
            let edges = edge_labels(&path["edges"], &names);
            assert_eq!(edges.len() + 1, nodes.len(), "one edge per hop");
            for (hop, (a, _, _, b)) in edges.iter().enumerate() {
                let (x, y) = (label(nodes[hop]), label(nodes[hop + 1]));
                assert!(
                    (a, b) == (&x, &y) || (a, b) == (&y, &x),
                    "edge {hop} joins {x} and {y}"
                );
            }
            (nodes.iter().map(|n| label(n)).collect(), edges)
        })
        .collect()
}

fn labels(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

async fn paths_are_shortest_and_ordered(app: &TestApp) {
    let report = r#"publication(ncjNumber: "216547")"#;
    let direct = paths(app, report, r#"dataset(studyNumber: "20423")"#, "").await;
    assert_eq!(direct.len(), 1);
    assert_eq!(direct[0].0, labels(&["NCJ 216547", "ICPSR 20423"]));

    let caliber = paths(app, report, r#"producer(name: "Caliber Associates")"#, "").await;
    assert_eq!(caliber.len(), 1);
    assert_eq!(
        caliber[0].0,
        labels(&["NCJ 216547", "ICPSR 20423", "Caliber Associates"])
    );
    assert_eq!(
        caliber[0].1,
        [
            edge(
                "NCJ 216547",
                "RELATED_DATASET",
                "IS_RELATED_TO",
                "ICPSR 20423"
            ),
            edge(
                "ICPSR 20423",
                "PRODUCER_CREDIT",
                "PRINCIPAL_INVESTIGATOR",
                "Caliber Associates"
            ),
        ]
    );

    // Three hops up the hierarchy; walked the other way, edges keep their direction.
    let doj = format!(r#"producer(name: "{DOJ}")"#);
    let up = paths(app, report, &doj, "").await;
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].0, labels(&["NCJ 216547", NIJ, OJP, DOJ]));
    assert_eq!(
        up[0].1,
        [
            edge("NCJ 216547", "PRODUCER_CREDIT", "PRODUCER", NIJ),
            edge(NIJ, "SUBUNIT_OF", "", OJP),
            edge(OJP, "SUBUNIT_OF", "", DOJ),
        ]
    );
    let down = paths(app, &doj, report, "").await;
    assert_eq!(down[0].0, labels(&[DOJ, OJP, NIJ, "NCJ 216547"]));
    assert_eq!(down[0].1[0], edge(OJP, "SUBUNIT_OF", "", DOJ));

    // Two reports connected three ways in two hops: datasets before producers, then by id.
    let (a, b) = (
        r#"publication(ncjNumber: "148826")"#,
        r#"publication(ncjNumber: "176981")"#,
    );
    let all = paths(app, a, b, "").await;
    let middles: Vec<&str> = all.iter().map(|(nodes, _)| nodes[1].as_str()).collect();
    assert_eq!(
        middles,
        ["ICPSR 2038", "ICPSR 25521", "Bureau of Justice Statistics"]
    );
    assert!(
        all.iter().all(|(nodes, _)| nodes.len() == 3),
        "all shortest"
    );
    let two = paths(app, a, b, ", first: 2").await;
    assert_eq!(
        two,
        all[..2],
        "`first` takes the first ones in the same order"
    );

    let same = paths(app, report, report, "").await;
    assert_eq!(same, [(labels(&["NCJ 216547"]), vec![])]);
}

async fn paths_need_enough_hops(app: &TestApp) {
    let report = r#"publication(ncjNumber: "216547")"#;
    let doj = format!(r#"producer(name: "{DOJ}")"#);
    assert!(paths(app, report, &doj, ", maxHops: 2").await.is_empty());
    assert_eq!(paths(app, report, &doj, ", maxHops: 3").await.len(), 1);
    assert!(
        paths(
            app,
            report,
            r#"producer(name: "Caliber Associates")"#,
            ", maxHops: 1"
        )
        .await
        .is_empty()
    );
}

async fn arguments_are_checked(app: &TestApp) {
    let id = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let cases = [
        (
            format!(r#"neighborhood(id: "{id}", depth: 4)"#),
            "between 1 and 3",
        ),
        (
            format!(r#"neighborhood(id: "{id}", depth: 0)"#),
            "between 1 and 3",
        ),
        (
            format!(r#"neighborhood(id: "{id}", perNodeLimit: 101)"#),
            "between 1 and 100",
        ),
        (
            format!(r#"neighborhood(id: "{id}", maxNodes: 1001)"#),
            "between 1 and 1000",
        ),
        (
            r#"neighborhood(id: "nope")"#.to_owned(),
            "not a studygraph id",
        ),
        // "Publication:999999", a valid id of no record.
        (
            r#"neighborhood(id: "UHVibGljYXRpb246OTk5OTk5")"#.to_owned(),
            "no record",
        ),
    ];
    for (field, message) in cases {
        let query = format!("{{ {field} {{ truncated }} }}");
        let (code, text) = app.error_code(&query).await;
        assert_eq!(code, "BAD_USER_INPUT", "{query}: {text}");
        assert!(text.contains(message), "{query}: {text}");
    }
    let cases = [
        (
            format!(r#"paths(from: "{id}", to: "{id}", maxHops: 5)"#),
            "between 1 and 4",
        ),
        (
            format!(r#"paths(from: "{id}", to: "{id}", first: 21)"#),
            "between 1 and 20",
        ),
        (
            format!(r#"paths(from: "{id}", to: "UHVibGljYXRpb246OTk5OTk5")"#),
            "`to`",
        ),
    ];
    for (field, message) in cases {
        let query = format!("{{ {field} {{ edges {{ kind }} }} }}");
        let (code, text) = app.error_code(&query).await;
        assert_eq!(code, "BAD_USER_INPUT", "{query}: {text}");
        assert!(text.contains(message), "{query}: {text}");
    }
    // Explicit nulls take the defaults.
    let data = app
        .data_with(
            r#"query($id: ID!) { neighborhood(id: $id, depth: null, perNodeLimit: null) { nodes { id } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["neighborhood"]["nodes"].as_array().unwrap().len(), 3);
}

async fn statements_per_hop_not_per_node(app: &TestApp) {
    let nij = app.id_of(&format!(r#"producer(name: "{NIJ}")"#)).await;
    let query = |limit: u32| {
        format!(
            r#"{{ neighborhood(id: "{nij}", depth: 2, perNodeLimit: {limit}) {{
                  nodes {{ id ... on Publication {{ title }} ... on Dataset {{ title }} ... on Producer {{ name }} }}
                  edges {{ from to kind }} truncated }} }}"#
        )
    };
    let small = app.statements_for(&query(2)).await;
    let large = app.statements_for(&query(100)).await;
    // The root; one statement per hop; one per kind of node loaded.
    assert_eq!((small, large), (6, 6), "perNodeLimit 2 and 100");
    let data = app.data(&query(100)).await;
    assert!(data["neighborhood"]["nodes"].as_array().unwrap().len() > 30);

    let report = app.id_of(r#"publication(ncjNumber: "216547")"#).await;
    let doj = app.id_of(&format!(r#"producer(name: "{DOJ}")"#)).await;
    let paths = app
        .statements_for(&format!(
            r#"{{ paths(from: "{report}", to: "{doj}") {{ nodes {{ id }} edges {{ kind }} }} }}"#
        ))
        .await;
    // Both ends; three hops; publications and producers.
    assert!(paths <= 7, "{paths} statements");
}
