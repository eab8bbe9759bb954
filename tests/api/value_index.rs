//! Facets of whole-table lists (by subjects, coverage, data types, producers at any level,
//! relation types, and the joint counts of single-valued columns) are counted from in-memory
//! value indexes once those are built: the counts equal SQL's for every dimension and kind of
//! list, and a write through the API or an import shows in the next facet, never an index of
//! the graph before it.

use serde_json::{Value, json};
use studygraph::auth::Scope;
use studygraph::db::entities::{CreditTable, ValueList};
use studygraph::db::facets::{Dimension, Group, group_counts, rank};
use studygraph::db::list_spec::{Condition, Link, ListSpec, Table};
use studygraph::db::search::SearchQuery;
use studygraph::db::value_index::{Indexed, Matches};
use studygraph::generate::{GenerateOptions, write_graph};
use studygraph::import::native::import_str;

use crate::helpers::TestApp;
use crate::mutations::{errors, key, mutate};
use crate::on_both_backends_empty;

on_both_backends_empty!(
    indexed_facets_equal_sql_counts,
    facets_follow_writes,
    whether_rows_have_links_is_read_from_an_index
);

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

/// Everything a facet of the table's whole list counts from an index.
fn indexed(table: Table) -> Vec<Indexed> {
    let credits = match table {
        Table::Dataset => CreditTable::Dataset,
        _ => CreditTable::Publication,
    };
    let (lists, columns) = match table {
        Table::Dataset => (
            vec![
                ValueList::DatasetSubjects,
                ValueList::DatasetCoverage,
                ValueList::DatasetDataTypes,
            ],
            vec![vec!["released_year"]],
        ),
        _ => (
            vec![ValueList::PublicationSubjects],
            vec![
                vec!["published_year", "publication_type", "language"],
                vec!["language"],
            ],
        ),
    };
    let mut out: Vec<Indexed> = lists
        .into_iter()
        .map(|list| Indexed::Values(Dimension::List(list)))
        .collect();
    for level in [None, Some(0), Some(1), Some(5)] {
        out.push(Indexed::Values(Dimension::Producer { credits, level }));
    }
    out.push(Indexed::Values(Dimension::RelationType));
    out.extend(columns.into_iter().map(Indexed::Columns));
    out
}

/// The same counts in SQL.
async fn in_sql(app: &TestApp, spec: &ListSpec, indexed: &Indexed) -> Vec<Group> {
    let dimensions = match indexed {
        Indexed::Values(dimension) => vec![*dimension],
        Indexed::Columns(columns) => columns.iter().map(|c| Dimension::Column(c)).collect(),
    };
    group_counts(&app.db.conn, spec, &[0], &dimensions, None)
        .await
        .unwrap()
        .remove(&0)
        .unwrap_or_default()
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
    let mut compared_values = 0;
    // One table at a time: the server keeps at most 12 indexes.
    for table in [Table::Publication, Table::Dataset] {
        let wanted = indexed(table);
        let lists: Vec<&ListSpec> = specs.iter().filter(|s| s.child_table() == table).collect();
        // The first facets start the builds (and are counted in SQL meanwhile).
        for spec in &lists {
            let matches = Matches::default();
            indexes.counts(conn, &matches, spec, &wanted).await.unwrap();
        }
        indexes.settled().await;
        for spec in lists {
            let matches = Matches::default(); // one read of the matches for all of them
            let counted = indexes.counts(conn, &matches, spec, &wanted).await.unwrap();
            assert_eq!(counted.len(), wanted.len(), "every index is current");
            for indexed in &wanted {
                let mut groups = counted[indexed].clone();
                rank(&mut groups, None);
                let in_sql = in_sql(app, spec, indexed).await;
                assert_eq!(groups, in_sql, "{spec:?} by {indexed:?}");
                compared_values += in_sql.len();
            }
        }
    }
    assert!(compared_values > 200, "the lists have many values to count");
}

/// One publication facet through the API (`subjects`, `relationTypes` or `years`), as
/// `key → count`. Years are counted over a search (column facets of searched lists come from
/// an index; a filtered list's from SQL).
async fn facet(app: &TestApp, field: &str) -> Vec<(String, i64)> {
    let (list, arguments) = match field {
        "subjects" => ("", "(first: 100)"),
        "years" => (r#"(search: "survey OR lanterns")"#, ""),
        _ => ("", ""),
    };
    let data = app
        .data(&format!(
            "{{ publications{list} {{ facets {{ {field}{arguments} {{ key count }} }} }} }}"
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

/// Builds the indexes the subjects, relation type and years facets use, and checks they are
/// current. Facets start the builds; a build that read the graph just before a write is of an
/// older revision and the next facet starts another, hence the rounds.
async fn build_indexes(app: &TestApp) {
    let wanted = [
        Indexed::Values(Dimension::List(ValueList::PublicationSubjects)),
        Indexed::Values(Dimension::RelationType),
        Indexed::Columns(vec!["published_year"]),
    ];
    let spec = ListSpec::plain(Link::All(Table::Publication));
    let mut searched = spec.clone();
    searched.search = Some(SearchQuery::parse("survey OR lanterns").unwrap());
    for _ in 0..5 {
        let subjects = facet(app, "subjects").await;
        facet(app, "relationTypes").await;
        let years = facet(app, "years").await;
        app.db.value_indexes().settled().await;
        let current = app
            .db
            .value_indexes()
            .counts(&app.db.conn, &Matches::default(), &searched, &wanted)
            .await
            .unwrap();
        if current.len() == wanted.len() {
            let from_indexes = facet(app, "subjects").await;
            assert_eq!(from_indexes, subjects, "same counts from the index");
            assert_eq!(facet(app, "years").await, years);
            return;
        }
    }
    panic!("the indexes are not current after five rounds");
}

async fn facets_follow_writes(app: &TestApp) {
    load_generated_graph(app).await;
    build_indexes(app).await;

    // A mutation: a new subject, counted by the very next facet.
    let writer = key(app, "curator", Scope::Write).await;
    let input = json!({ "title": "Counting Lanterns in Quillfeather", "ncjNumber": "NCJ 990001",
        "publishedOn": "2041-05", "subjects": ["lantern counts", "police"] });
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
    assert_eq!(
        count_of(&facet(app, "years").await, "2041"),
        1,
        "and its year"
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
    assert_eq!(count_of(&facet(app, "years").await, "2041"), 0);
}

/// `hasRelatedDatasets` in a list whose facets or stats come from value indexes is read from
/// the index of relation types (the rows with a link), not by probing every row's links in SQL:
/// lists and stats that differ only by it share one read of their matches, and their counts
/// stay SQL's, also right after a write.
async fn whether_rows_have_links_is_read_from_an_index(app: &TestApp) {
    load_generated_graph(app).await;
    let filter = |present: bool| {
        format!("filter: {{ publishedFrom: \"1990\", hasRelatedDatasets: {present} }}")
    };
    let list = |alias: &str, present: bool| {
        format!(
            "{alias}: publications({}) {{ totalCount facets {{ years {{ key count }} subjects(first: 3) {{ key count }} }} }}",
            filter(present)
        )
    };
    let stats = |alias: &str, present: bool| {
        format!(
            "{alias}: publicationStats(groupBy: [YEAR, PUBLICATION_TYPE], limit: 10000, {}) {{ keys {{ key }} count }}",
            filter(present)
        )
    };
    let one = format!("{{ {} }}", list("linked", true));
    let all = format!(
        "{{ {} {} {} {} }}",
        list("linked", true),
        list("unlinked", false),
        stats("linkedStats", true),
        stats("unlinkedStats", false)
    );
    // Facets start the builds of their indexes, then the relation types' (hence the rounds).
    for _ in 0..3 {
        app.data(&all).await;
        app.db.value_indexes().settled().await;
    }
    assert_eq!(
        app.statements_for(&all).await,
        app.statements_for(&one).await,
        "the other list and the stats read no matches of their own"
    );
    let since = app
        .data(r#"{ publications(filter: { publishedFrom: "1990" }) { totalCount } }"#)
        .await["publications"]["totalCount"]
        .as_i64()
        .unwrap();
    let check = |data: &Value, in_sql: [Vec<(String, i64)>; 2]| {
        let mut sum = 0;
        for ((alias, stats), in_sql) in [("linked", "linkedStats"), ("unlinked", "unlinkedStats")]
            .into_iter()
            .zip(in_sql)
        {
            let list = &data[alias];
            let mut years: Vec<(String, i64)> = list["facets"]["years"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    (
                        b["key"].as_str().unwrap().to_owned(),
                        b["count"].as_i64().unwrap(),
                    )
                })
                .collect();
            years.sort();
            assert_eq!(years, in_sql, "{alias}: years as SQL counts them");
            let mut by_year = std::collections::BTreeMap::<String, i64>::new();
            for row in data[stats].as_array().unwrap() {
                *by_year
                    .entry(row["keys"][0]["key"].as_str().unwrap().to_owned())
                    .or_default() += row["count"].as_i64().unwrap();
            }
            assert_eq!(by_year.into_iter().collect::<Vec<_>>(), in_sql, "{stats}");
            let total = list["totalCount"].as_i64().unwrap();
            assert_eq!(total, in_sql.iter().map(|(_, n)| n).sum::<i64>(), "{alias}");
            assert!(total > 0, "{alias}");
            sum += total;
        }
        assert_eq!(
            sum, since,
            "every publication since 1990 is in one of the two lists"
        );
    };
    let data = app.data(&all).await;
    let linked_before = data["linked"]["totalCount"].as_i64().unwrap();
    check(
        &data,
        [
            years_with_links(app, true).await,
            years_with_links(app, false).await,
        ],
    );

    // A link through the API moves a publication between the two lists at once.
    let unlinked = app
        .data(r#"{ publications(first: 1, filter: { publishedFrom: "1990", hasRelatedDatasets: false }) { nodes { id } } }"#)
        .await["publications"]["nodes"][0]["id"]
        .clone();
    let dataset = app.data("{ datasets(first: 1) { nodes { id } } }").await["datasets"]["nodes"][0]
        ["id"]
        .clone();
    let writer = key(app, "curator", Scope::Write).await;
    let link =
        json!({ "publicationId": unlinked, "datasetId": dataset, "relationType": "REFERENCES" });
    let linked = mutate(app, &writer, "linkDataset", link, "dataset { id }").await;
    assert_eq!(errors(&linked), Vec::<String>::new());
    let data = app.data(&all).await;
    assert_eq!(data["linked"]["totalCount"], linked_before + 1);
    check(
        &data,
        [
            years_with_links(app, true).await,
            years_with_links(app, false).await,
        ],
    );
}

/// Publications since 1990 by year, with (`present`) or without links, counted in plain SQL.
async fn years_with_links(app: &TestApp, present: bool) -> Vec<(String, i64)> {
    let sql = format!(
        "SELECT CAST(published_year AS TEXT) AS y, COUNT(*) AS n FROM publication t \
         WHERE published_year >= 1990 AND {}EXISTS \
         (SELECT 1 FROM publication_dataset x WHERE x.publication_id = t.id) \
         GROUP BY published_year ORDER BY 1",
        if present { "" } else { "NOT " }
    );
    app.sql_rows(sql)
        .await
        .iter()
        .map(|row| (row.try_get("", "y").unwrap(), row.try_get("", "n").unwrap()))
        .collect()
}
