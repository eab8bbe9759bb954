//! Batching: how many SQL statements a nested query costs must not depend on page sizes —
//! one per relationship level, plus counts.

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    report_query_costs_the_same_at_any_page_size,
    list_query_costs_one_statement_per_level
);

fn report_query(n: usize) -> String {
    format!(
        r#"{{ publication(ncjNumber: "216547") {{
            title publishedOn {{ iso text }} physicalDescription placeOfProduction
            producers {{ role producer {{ name fullName ancestors {{ name }} }} }}
            relatedDatasets(first: {n}) {{ totalCount edges {{ relationType source node {{
              studyNumber doi title
              producers {{ role producer {{ name }} }}
              relatedPublications(first: {n}) {{ totalCount nodes {{ title }} }} }} }} }} }} }}"#
    )
}

async fn report_query_costs_the_same_at_any_page_size(app: &TestApp) {
    let small = app.statements_for(&report_query(5)).await;
    let large = app.statements_for(&report_query(50)).await;
    assert_eq!(small, large, "statements with first: 5 and first: 50");
    // publication; its credits; the producers' ancestors; related datasets + count;
    // their credits; their publications + count.
    assert_eq!(small, 8, "{small} statements (README says 8)");
}

fn list_query(n: usize) -> String {
    format!(
        r#"{{ publications(first: {n}) {{ totalCount nodes {{
              title authors subjects
              producers {{ role producer {{ name parent {{ name }} }} }}
              relatedDatasets(first: {n}) {{ totalCount nodes {{
                title subjects
                producers {{ producer {{ name }} }}
                relatedPublications(first: {n}) {{ totalCount nodes {{ title producers {{ role }} }} }} }} }} }} }} }}"#
    )
}

async fn list_query_costs_one_statement_per_level(app: &TestApp) {
    let small = app.statements_for(&list_query(5)).await;
    let large = app.statements_for(&list_query(30)).await;
    assert_eq!(small, large, "statements with first: 5 and first: 30");
    // Levels: publications + count; authors; subjects; credits; parents; related datasets +
    // count; their subjects; their credits; their publications + count; those credits.
    assert!(small <= 15, "{small} statements");
    let data = app.data(&list_query(30)).await;
    let nodes = data["publications"]["nodes"].as_array().unwrap();
    assert!(nodes.len() > 20, "the large page really has many parents");
}
