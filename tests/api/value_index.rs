//! Facets of whole-table lists by multi-valued dimensions (subjects, coverage, data types,
//! producers at any level, relation types) are counted from in-memory value indexes once those
//! are built: the counts equal SQL's for every dimension and kind of list, and a write through
//! the API or an import shows in the next facet, never an index of the graph before it.

use serde_json::{Value, json};
use studygraph::auth::Scope;
use studygraph::db::entities::{CreditTable, ValueList};
use studygraph::db::facets::{Dimension, group_counts, rank};
use studygraph::db::list_spec::{Condition, Link, ListSpec, Table};
use studygraph::db::search::SearchQuery;
use studygraph::generate::{GenerateOptions, write_graph};
use studygraph::import::native::import_str;

use crate::helpers::TestApp;
use crate::mutations::{errors, key, mutate};
use crate::on_both_backends_empty;

on_both_backends_empty!(indexed_facets_equal_sql_counts, facets_follow_writes);

async fn load_generated_graph(app: &TestApp) {
    let options = GenerateOptions {
        publications: 600,
        datasets: 120,
        producers: 40,
        links: 900,
        seed: 11,
    };
    let mut graph = Vec::new();
    write_graph(&options, &mut graph).unwrap();
    import_str(&app.db, "graph.jsonl", &String::from_utf8(graph).unwrap())
        .await
        .unwrap();
}

fn dimensions(table: Table) -> Vec<Dimension> {
    let credits = match table {
        Table::Dataset => CreditTable::Dataset,
        _ => CreditTable::Publication,
    };
    let mut out = match table {
        Table::Dataset => vec![
            Dimension::List(ValueList::DatasetSubjects),
            Dimension::List(ValueList::DatasetCoverage),
            Dimension::List(ValueList::DatasetDataTypes),
        ],
        _ => vec![Dimension::List(ValueList::PublicationSubjects)],
    };
    for level in [None, Some(0), Some(1), Some(5)] {
        out.push(Dimension::Producer { credits, level });
    }
    out.push(Dimension::RelationType);
    out
}

fn list(table: Table, search: Option<&str>, conditions: Vec<Condition>) -> ListSpec {
    let mut spec = ListSpec::plain(Link::All(table));
    spec.search = search.map(|words| SearchQuery::parse(words).unwrap());
    spec.conditions = conditions;
    spec
}

async fn indexed_facets_equal_sql_counts(app: &TestApp) {
    load_generated_graph(app).await;
    let english = Condition::OneOf {
        column: "language",
        values: vec!["English".into()],
    };
    let specs = [
        list(Table::Publication, None, vec![]),
        list(Table::Publication, Some("survey"), vec![]),
        list(
            Table::Publication,
            Some("police OR victims -youth"),
            vec![english],
        ),
        list(Table::Publication, None, vec![Condition::HasLinks(false)]),
        list(Table::Publication, Some("nowhereword"), vec![]),
        list(Table::Dataset, None, vec![]),
        list(
            Table::Dataset,
            Some("survey"),
            vec![Condition::HasLinks(true)],
        ),
    ];
    let conn = &app.db.conn;
    let indexes = app.db.value_indexes();
    // The first facets start the builds (and are counted in SQL meanwhile).
    for spec in &specs {
        let table = spec.child_table();
        indexes
            .counts(conn, spec, &dimensions(table))
            .await
            .unwrap();
    }
    indexes.settled().await;
    let mut compared_values = 0;
    for spec in &specs {
        let dimensions = dimensions(spec.child_table());
        let counted = indexes.counts(conn, spec, &dimensions).await.unwrap();
        assert_eq!(counted.len(), dimensions.len(), "every index is current");
        for dimension in dimensions {
            let mut groups = counted[&dimension].clone();
            rank(&mut groups, None);
            let in_sql = group_counts(conn, spec, &[0], &[dimension], None)
                .await
                .unwrap()
                .remove(&0)
                .unwrap_or_default();
            assert_eq!(groups, in_sql, "{spec:?} by {dimension:?}");
            compared_values += in_sql.len();
        }
    }
    assert!(compared_values > 200, "the lists have many values to count");
}

/// One publication facet through the API (`subjects` or `relationTypes`), as `key → count`.
async fn facet(app: &TestApp, field: &str) -> Vec<(String, i64)> {
    let arguments = if field == "subjects" {
        "(first: 100)"
    } else {
        ""
    };
    let data = app
        .data(&format!(
            "{{ publications {{ facets {{ {field}{arguments} {{ key count }} }} }} }}"
        ))
        .await;
    let buckets = data["publications"]["facets"][field].as_array().unwrap();
    buckets
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap().to_owned(),
                b["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn count_of(buckets: &[(String, i64)], key: &str) -> i64 {
    buckets
        .iter()
        .find(|(k, _)| k == key)
        .map_or(0, |(_, count)| *count)
}

/// Builds the indexes the subjects and relation type facets use, and checks they are current.
async fn build_indexes(app: &TestApp) {
    let before = facet(app, "subjects").await;
    facet(app, "relationTypes").await;
    app.db.value_indexes().settled().await;
    let dimensions = [
        Dimension::List(ValueList::PublicationSubjects),
        Dimension::RelationType,
    ];
    let spec = ListSpec::plain(Link::All(Table::Publication));
    let current = app
        .db
        .value_indexes()
        .counts(&app.db.conn, &spec, &dimensions)
        .await
        .unwrap();
    assert_eq!(current.len(), 2, "the indexes are built and current");
    assert_eq!(
        facet(app, "subjects").await,
        before,
        "same counts from the index"
    );
}

async fn facets_follow_writes(app: &TestApp) {
    load_generated_graph(app).await;
    build_indexes(app).await;

    // A mutation: a new subject, counted by the very next facet.
    let writer = key(app, "curator", Scope::Write).await;
    let input = json!({ "title": "Counting Lanterns in Quillfeather", "ncjNumber": "NCJ 990001",
        "subjects": ["lantern counts", "police"] });
    let created = mutate(
        app,
        &writer,
        "createPublication",
        input,
        "publication { id }",
    )
    .await;
    assert_eq!(errors(&created), Vec::<String>::new());
    let id = created["publication"]["id"].clone();
    assert_eq!(
        count_of(&facet(app, "subjects").await, "lantern counts"),
        1,
        "a created publication's subject is counted at once"
    );

    // A link through the API changes the relation types at once.
    let references = count_of(&facet(app, "relationTypes").await, "REFERENCES");
    let dataset = app.data("{ datasets(first: 1) { nodes { id } } }").await["datasets"]["nodes"][0]
        ["id"]
        .clone();
    let link = json!({ "publicationId": id, "datasetId": dataset, "relationType": "REFERENCES" });
    let linked = mutate(app, &writer, "linkDataset", link, "dataset { id }").await;
    assert_eq!(errors(&linked), Vec::<String>::new());
    assert_eq!(
        count_of(&facet(app, "relationTypes").await, "REFERENCES"),
        references + 1
    );

    // Rebuilt after the writes, then an import: seen at once too.
    build_indexes(app).await;
    let file = r#"{"type":"publication","ncjNumber":"T-LANTERN","title":"More lanterns","subjects":["lantern counts"]}"#;
    import_str(&app.db, "more.jsonl", file).await.unwrap();
    assert_eq!(count_of(&facet(app, "subjects").await, "lantern counts"), 2);

    // And a deletion.
    build_indexes(app).await;
    let deleted: Value = mutate(
        app,
        &writer,
        "deletePublication",
        json!({ "id": id }),
        "deletedId",
    )
    .await;
    assert_eq!(errors(&deleted), Vec::<String>::new());
    assert_eq!(count_of(&facet(app, "subjects").await, "lantern counts"), 1);
}
