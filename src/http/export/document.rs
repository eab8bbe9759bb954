//! What `/export` runs: the client's query, checked to be one root connection
//! (`publications`, `datasets` or `producers`) selecting `nodes` or `edges`, and rewritten with
//! async-graphql's parser so that every page also answers `pageInfo { hasNextPage endCursor }`
//! and `totalCount` (under aliases of ours) and takes its cursor from a variable of ours.

use std::collections::BTreeMap;

use async_graphql::parser::parse_query;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    Type, VariableDefinition,
};
use async_graphql::{Name, Pos, Positioned, Variables};
use async_graphql_value::{ConstValue, Value};

use super::flatten::{Column, Selections};

/// The root fields an export can page through.
pub const CONNECTIONS: [&str; 3] = ["publications", "datasets", "producers"];
/// Page size when the query does not say (the largest a page may be).
pub const PAGE_SIZE: i32 = 100;

/// The variable that carries each page's cursor, and the aliases of the fields we add.
pub const AFTER_VARIABLE: &str = "sgExportAfter";
pub const PAGE_INFO: &str = "sgExportPageInfo";
pub const TOTAL_COUNT: &str = "sgExportTotalCount";

/// The rewritten document and how to read its answers.
pub struct Plan {
    pub document: ExecutableDocument,
    /// Response key of the root connection ("publications", or the client's alias).
    pub root: String,
    /// Response key of the rows: `nodes` or `edges` (or the client's alias of either).
    pub items: String,
    /// The connection's name, for a file name.
    pub connection: String,
    pub columns: Vec<Column>,
    /// The cursor of the first page (the query's own `after`, if it has one).
    pub after: Option<String>,
}

/// Why a document cannot be exported (the message says what to write instead).
#[derive(Debug)]
pub struct Unsupported(pub String);

fn unsupported(message: impl Into<String>) -> Unsupported {
    Unsupported(message.into())
}

/// Parses and rewrites `query`. `Ok(None)`: it does not parse; running it as is reports why,
/// the way `/graphql` would.
pub fn plan(
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Result<Option<Plan>, Unsupported> {
    let Ok(mut document) = parse_query(query) else {
        return Ok(None);
    };
    let operation = &mut operation_mut(&mut document.operations, operation_name)?.node;
    if operation.ty != OperationType::Query {
        return Err(unsupported("export runs queries only"));
    }
    let values = variable_values(operation, variables);
    if operation
        .variable_definitions
        .iter()
        .any(|d| d.node.name.node == AFTER_VARIABLE)
    {
        return Err(unsupported(format!(
            "the variable name ${AFTER_VARIABLE} is reserved for export"
        )));
    }
    let [root] = operation.selection_set.node.items.as_mut_slice() else {
        return Err(unsupported(
            "export takes exactly one root field: publications, datasets or producers",
        ));
    };
    let Selection::Field(field) = &mut root.node else {
        return Err(unsupported(
            "write the root connection field directly in the operation, not through a fragment",
        ));
    };
    let field = &mut field.node;
    let connection = field.name.node.to_string();
    if !CONNECTIONS.contains(&connection.as_str()) {
        return Err(unsupported(format!(
            "export takes a root connection: publications, datasets or producers (not `{connection}`)"
        )));
    }
    let root = field.response_key().node.to_string();
    let after = page_arguments(field, &values)?;
    let item_fields: Vec<&Field> = field
        .selection_set
        .node
        .items
        .iter()
        .filter_map(|s| match &s.node {
            Selection::Field(f) if matches!(f.node.name.node.as_str(), "nodes" | "edges") => {
                Some(&f.node)
            }
            _ => None,
        })
        .collect();
    let [item] = item_fields.as_slice() else {
        return Err(unsupported(format!(
            "select the rows once, directly under `{connection}`: `nodes {{ … }}` (or `edges {{ node {{ … }} }}`)"
        )));
    };
    let selections = Selections {
        fragments: &document.fragments,
        variables: &values,
    };
    let columns = selections.columns(&item.selection_set.node);
    let items = item.response_key().node.to_string();
    if columns.is_empty() {
        return Err(unsupported("the rows select no fields"));
    }
    add_paging(operation)?;
    Ok(Some(Plan {
        document,
        root,
        items,
        connection,
        columns,
        after,
    }))
}

fn operation_mut<'d>(
    operations: &'d mut DocumentOperations,
    name: Option<&str>,
) -> Result<&'d mut Positioned<OperationDefinition>, Unsupported> {
    match (operations, name) {
        (DocumentOperations::Single(operation), _) => Ok(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .get_mut(name)
            .ok_or_else(|| unsupported(format!("the document has no operation named {name}"))),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            Ok(operations.values_mut().next().expect("one operation"))
        }
        (DocumentOperations::Multiple(_), None) => Err(unsupported(
            "the document has several operations: say which with operationName",
        )),
    }
}

/// The request's variables with the operation's defaults filled in.
fn variable_values(
    operation: &OperationDefinition,
    variables: &Variables,
) -> BTreeMap<Name, ConstValue> {
    let mut values: BTreeMap<Name, ConstValue> = variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        if let Some(default) = definition.default_value()
            && !values.contains_key(&definition.name.node)
        {
            values.insert(definition.name.node.clone(), default.clone());
        }
    }
    values
}

/// Checks the connection's paging arguments, takes its `after` out (returned, as the first
/// cursor) and puts `after: $sgExportAfter` in, with `first: 100` unless it has a `first`.
fn page_arguments(
    field: &mut Field,
    values: &BTreeMap<Name, ConstValue>,
) -> Result<Option<String>, Unsupported> {
    if field
        .arguments
        .iter()
        .any(|(name, _)| matches!(name.node.as_str(), "last" | "before"))
    {
        return Err(unsupported(
            "export pages forward: use first/after, not last/before",
        ));
    }
    let mut after = None;
    if let Some(index) = field.arguments.iter().position(|(n, _)| n.node == "after") {
        let (_, value) = field.arguments.remove(index);
        let value = match value.node {
            Value::Variable(name) => values.get(&name).cloned().unwrap_or(ConstValue::Null),
            other => other.into_const().unwrap_or(ConstValue::Null),
        };
        after = match value {
            ConstValue::Null => None,
            ConstValue::String(cursor) => Some(cursor),
            _ => return Err(unsupported("`after` must be a cursor (a string)")),
        };
    }
    field.arguments.push((
        positioned(Name::new("after")),
        positioned(Value::Variable(Name::new(AFTER_VARIABLE))),
    ));
    if let Some((_, value)) = field.arguments.iter().find(|(n, _)| n.node == "first") {
        // `first` is the export's page size: 0 exported no row and called the list truncated.
        let size = match &value.node {
            Value::Variable(name) => values.get(name).cloned().unwrap_or(ConstValue::Null),
            other => other.clone().into_const().unwrap_or(ConstValue::Null),
        };
        if size == ConstValue::from(0) {
            return Err(unsupported(
                "`first` is the size of each exported page: at least 1 (leave it out for 100)",
            ));
        }
    } else {
        field.arguments.push((
            positioned(Name::new("first")),
            positioned(Value::from(ConstValue::from(PAGE_SIZE))),
        ));
    }
    Ok(after)
}

/// Declares `$sgExportAfter: String` and selects the page info and count under our aliases.
fn add_paging(operation: &mut OperationDefinition) -> Result<(), Unsupported> {
    operation
        .variable_definitions
        .push(positioned(VariableDefinition {
            name: positioned(Name::new(AFTER_VARIABLE)),
            var_type: positioned(Type::new("String").expect("a type")),
            directives: Vec::new(),
            default_value: None,
        }));
    let added = parse_query(format!(
        "{{ c {{ {PAGE_INFO}: pageInfo {{ hasNextPage endCursor }} {TOTAL_COUNT}: totalCount }} }}"
    ))
    .map_err(|_| unsupported("internal: the paging fields do not parse"))?;
    let DocumentOperations::Single(added) = added.operations else {
        return Err(unsupported("internal: the paging fields do not parse"));
    };
    let Some(Selection::Field(added)) = added
        .node
        .selection_set
        .node
        .items
        .into_iter()
        .next()
        .map(|s| s.node)
    else {
        return Err(unsupported("internal: the paging fields do not parse"));
    };
    if let Some(Selection::Field(root)) = operation
        .selection_set
        .node
        .items
        .first_mut()
        .map(|s| &mut s.node)
    {
        root.node
            .selection_set
            .node
            .items
            .extend(added.node.selection_set.node.items);
    }
    Ok(())
}

fn positioned<T>(node: T) -> Positioned<T> {
    Positioned::new(node, Pos::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(query: &str) -> Result<Option<Plan>, Unsupported> {
        plan(query, None, &Variables::default())
    }

    #[test]
    fn rewrites_the_connection_for_paging() {
        let plan = plan_of(
            "query Q($a: String = \"c1\") { pubs: publications(first: 2, after: $a) { totalCount rows: nodes { title } } }",
        )
        .unwrap()
        .unwrap();
        assert_eq!(plan.root, "pubs");
        assert_eq!(plan.items, "rows");
        assert_eq!(plan.connection, "publications");
        assert_eq!(plan.after.as_deref(), Some("c1"));
        let text = plan.document.operations.iter().next().unwrap().1;
        let operation = &text.node;
        assert!(
            operation
                .variable_definitions
                .iter()
                .any(|d| d.node.name.node == AFTER_VARIABLE)
        );
        let Selection::Field(root) = &operation.selection_set.node.items[0].node else {
            panic!()
        };
        let arguments: Vec<String> = root
            .node
            .arguments
            .iter()
            .map(|(n, v)| format!("{}: {}", n.node, v.node))
            .collect();
        assert_eq!(arguments, ["first: 2", "after: $sgExportAfter"]);
        let keys: Vec<String> = root
            .node
            .selection_set
            .node
            .items
            .iter()
            .filter_map(|s| match &s.node {
                Selection::Field(f) => Some(f.node.response_key().node.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(keys, ["totalCount", "rows", PAGE_INFO, TOTAL_COUNT]);
    }

    #[test]
    fn the_page_size_defaults_to_the_largest() {
        let plan = plan_of("{ datasets { edges { node { title } } } }")
            .unwrap()
            .unwrap();
        assert_eq!(plan.items, "edges");
        let operation = &plan.document.operations.iter().next().unwrap().1.node;
        let Selection::Field(root) = &operation.selection_set.node.items[0].node else {
            panic!()
        };
        assert!(
            root.node
                .arguments
                .iter()
                .any(|(n, v)| n.node == "first"
                    && v.node == Value::from(ConstValue::from(PAGE_SIZE)))
        );
        assert_eq!(plan.columns[0].name, "node.title");
    }

    #[test]
    fn refuses_what_it_cannot_page() {
        for (query, says) in [
            (
                "{ search(query: \"x\") { edges { node { __typename } } } }",
                "root connection",
            ),
            (
                "{ a: publications { nodes { id } } b: datasets { nodes { id } } }",
                "exactly one",
            ),
            (
                "{ ...F } fragment F on Query { publications { nodes { id } } }",
                "fragment",
            ),
            ("{ publications { totalCount } }", "select the rows"),
            (
                "{ publications(last: 2) { nodes { id } } }",
                "pages forward",
            ),
            (
                "mutation { deletePublication(input: {id: \"x\"}) { deletedId } }",
                "queries only",
            ),
            (
                "query A { publications { nodes { id } } } query B { datasets { nodes { id } } }",
                "operationName",
            ),
        ] {
            let err = plan_of(query)
                .err()
                .unwrap_or_else(|| panic!("accepted {query}"));
            assert!(err.0.contains(says), "{query}: {}", err.0);
        }
        assert!(plan_of("{ publications { nodes { id }").unwrap().is_none());
    }
}
