//! `schema.graphql` is generated from the code and checked in; this keeps them equal.

#[test]
fn checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let generated = studygraph::graphql::schema::sdl();
    assert!(
        checked_in == generated,
        "schema.graphql is out of date with the code; regenerate it with\n    cargo run -- export-schema --out schema.graphql\nand review the diff"
    );
}
