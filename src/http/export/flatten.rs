//! Flattening GraphQL results into table rows for `/export`. The columns come from the query's
//! selection (so every row has the same columns, whatever is null): one per leaf field, named
//! by the dotted response keys from the row down (`publishedOn.iso`,
//! `producers.producer.name`). A cell holds the leaf's value; a path through a list (or a list
//! of scalars) gathers every element's value in order, and a CSV cell joins them with `"; "`
//! (a null element as an empty string, so that columns from the same list line up) where
//! NDJSON keeps a JSON array.

use std::collections::{BTreeMap, HashMap, HashSet};

use async_graphql::parser::types::{FragmentDefinition, Selection, SelectionSet};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};

/// The separator between a list's values in one CSV cell.
pub const LIST_SEPARATOR: &str = "; ";

/// One column: its header and the response keys leading to it from the row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    path: Vec<String>,
}

impl Column {
    fn new(path: Vec<String>) -> Self {
        Self {
            name: path.join("."),
            path,
        }
    }
}

/// What the column derivation needs from the document besides the row's selection.
pub struct Selections<'a> {
    pub fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// Variable values (defaults included), for `@skip(if:)` and `@include(if:)`.
    pub variables: &'a BTreeMap<Name, ConstValue>,
}

impl Selections<'_> {
    /// The columns of a row selected by `set`, in selection order (fields selected twice, or
    /// through fragments, are merged as GraphQL merges them).
    pub fn columns(&self, set: &SelectionSet) -> Vec<Column> {
        let mut out = Vec::new();
        self.columns_of(&[set], &mut Vec::new(), &mut out);
        out
    }

    fn columns_of(&self, sets: &[&SelectionSet], prefix: &mut Vec<String>, out: &mut Vec<Column>) {
        let mut fields: Vec<(String, Vec<&SelectionSet>)> = Vec::new();
        for set in sets {
            self.collect(set, &mut fields, &mut HashSet::new());
        }
        for (key, subsets) in fields {
            prefix.push(key);
            let nested: Vec<&SelectionSet> = subsets
                .into_iter()
                .filter(|s| !s.items.is_empty())
                .collect();
            if nested.is_empty() {
                out.push(Column::new(prefix.clone()));
            } else {
                self.columns_of(&nested, prefix, out);
            }
            prefix.pop();
        }
    }

    /// The fields `set` selects by response key, with their sub-selections, through fragments.
    fn collect<'s>(
        &'s self,
        set: &'s SelectionSet,
        fields: &mut Vec<(String, Vec<&'s SelectionSet>)>,
        spread: &mut HashSet<&'s Name>,
    ) {
        for selection in &set.items {
            if self.skipped(selection.node.directives()) {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.to_string();
                    let sub = &field.node.selection_set.node;
                    match fields.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, subsets)) => subsets.push(sub),
                        None => fields.push((key, vec![sub])),
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.collect(&inline.node.selection_set.node, fields, spread)
                }
                Selection::FragmentSpread(fragment) => {
                    let name = &fragment.node.fragment_name.node;
                    if spread.insert(name)
                        && let Some(definition) = self.fragments.get(name)
                    {
                        self.collect(&definition.node.selection_set.node, fields, spread);
                    }
                }
            }
        }
    }

    /// `@skip(if: true)` or `@include(if: false)`, with literal or variable conditions.
    fn skipped(&self, directives: &[Positioned<async_graphql::parser::types::Directive>]) -> bool {
        directives.iter().any(|directive| {
            let condition = directive
                .node
                .arguments
                .iter()
                .find(|(name, _)| name.node == "if")
                .map(|(_, value)| match &value.node {
                    Value::Boolean(b) => *b,
                    Value::Variable(name) => {
                        matches!(self.variables.get(name), Some(ConstValue::Boolean(true)))
                    }
                    _ => false,
                });
            match directive.node.name.node.as_str() {
                "skip" => condition == Some(true),
                "include" => condition == Some(false),
                _ => false,
            }
        })
    }
}

/// The values one column takes in one row.
pub struct Cell<'v> {
    /// The path went through a list: several values (possibly none).
    pub list: bool,
    pub values: Vec<Option<&'v ConstValue>>,
}

impl<'v> Cell<'v> {
    pub fn of(row: &'v ConstValue, column: &Column) -> Self {
        let mut cell = Cell {
            list: false,
            values: Vec::new(),
        };
        cell.gather(row, &column.path);
        cell
    }

    fn gather(&mut self, value: &'v ConstValue, path: &[String]) {
        match value {
            ConstValue::List(items) => {
                self.list = true;
                for item in items {
                    self.gather(item, path);
                }
            }
            ConstValue::Null => self.values.push(None),
            _ if path.is_empty() => self.values.push(Some(value)),
            ConstValue::Object(fields) => match fields.get(path[0].as_str()) {
                Some(inner) => self.gather(inner, &path[1..]),
                None => self.values.push(None),
            },
            _ => self.values.push(None),
        }
    }

    /// The cell as CSV text (before quoting): empty for null, list values joined.
    pub fn text(&self) -> String {
        if !self.list {
            return self
                .values
                .first()
                .copied()
                .flatten()
                .map(scalar_text)
                .unwrap_or_default();
        }
        let texts: Vec<String> = self
            .values
            .iter()
            .map(|value| value.map(scalar_text).unwrap_or_default())
            .collect();
        texts.join(LIST_SEPARATOR)
    }

    /// The cell as JSON: the value, or an array of them for a list.
    pub fn json(&self) -> serde_json::Value {
        let json = |value: Option<&ConstValue>| {
            value
                .and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or(serde_json::Value::Null)
        };
        if self.list {
            serde_json::Value::Array(self.values.iter().map(|v| json(*v)).collect())
        } else {
            json(self.values.first().copied().flatten())
        }
    }
}

fn scalar_text(value: &ConstValue) -> String {
    match value {
        ConstValue::String(text) => text.clone(),
        ConstValue::Enum(name) => name.to_string(),
        ConstValue::Number(number) => number.to_string(),
        ConstValue::Boolean(b) => b.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// Appends one CSV field, quoted as RFC 4180 says when it holds a comma, quote or line break.
fn push_csv_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// The CSV header line (CRLF-terminated).
pub fn csv_header(columns: &[Column]) -> String {
    let mut line = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_csv_field(&mut line, &column.name);
    }
    line.push_str("\r\n");
    line
}

/// One CSV record (CRLF-terminated).
pub fn push_csv_row(out: &mut String, columns: &[Column], row: &ConstValue) {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_csv_field(out, &Cell::of(row, column).text());
    }
    out.push_str("\r\n");
}

/// One NDJSON line: an object with the columns as keys, in column order.
pub fn push_ndjson_row(out: &mut String, columns: &[Column], row: &ConstValue) {
    out.push('{');
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::String(column.name.clone()).to_string());
        out.push(':');
        out.push_str(&Cell::of(row, column).json().to_string());
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;

    use super::*;

    /// The columns of the first field's selection in `query`.
    fn columns(query: &str, variables: serde_json::Value) -> Vec<String> {
        let document = parse_query(query).unwrap();
        let DocumentOperations::Single(operation) = &document.operations else {
            panic!("one operation")
        };
        let Selection::Field(field) = &operation.node.selection_set.node.items[0].node else {
            panic!("a field")
        };
        let variables = match ConstValue::from_json(variables).unwrap() {
            ConstValue::Object(map) => map.into_iter().collect(),
            _ => BTreeMap::new(),
        };
        let selections = Selections {
            fragments: &document.fragments,
            variables: &variables,
        };
        selections
            .columns(&field.node.selection_set.node)
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    fn row(json: serde_json::Value) -> ConstValue {
        ConstValue::from_json(json).unwrap()
    }

    #[test]
    fn columns_are_dotted_leaf_paths_in_selection_order() {
        let names = columns(
            "{ nodes { title publishedOn { iso text } date: publishedOn { year } \
               producers { role producer { name ancestors { name } } } authors } }",
            serde_json::json!({}),
        );
        assert_eq!(
            names,
            [
                "title",
                "publishedOn.iso",
                "publishedOn.text",
                "date.year",
                "producers.role",
                "producers.producer.name",
                "producers.producer.ancestors.name",
                "authors"
            ]
        );
    }

    #[test]
    fn fragments_merge_and_directives_skip() {
        let names = columns(
            "query($x: Boolean) { nodes { id ...F ... on Publication { title publishedOn { text } } \
               doi @skip(if: true) url @include(if: $x) subjects @include(if: false) } } \
             fragment F on Publication { title publishedOn { iso } ...F }",
            serde_json::json!({ "x": true }),
        );
        assert_eq!(
            names,
            ["id", "title", "publishedOn.iso", "publishedOn.text", "url"]
        );
    }

    #[test]
    fn lists_join_and_nulls_keep_their_place() {
        let cols: Vec<Column> = [
            "title",
            "publishedOn.iso",
            "producers.role",
            "producers.producer.abbr",
            "authors",
        ]
        .iter()
        .map(|n| Column::new(n.split('.').map(str::to_owned).collect()))
        .collect();
        let node = row(serde_json::json!({
            "title": "A \"quoted\", title",
            "publishedOn": null,
            "producers": [
                { "role": "FUNDER", "producer": { "abbr": "NIJ" } },
                { "role": "PRODUCER", "producer": { "abbr": null } },
                { "role": "SPONSOR", "producer": { "abbr": "BJS" } }
            ],
            "authors": []
        }));
        let mut csv = csv_header(&cols);
        push_csv_row(&mut csv, &cols, &node);
        assert_eq!(
            csv,
            "title,publishedOn.iso,producers.role,producers.producer.abbr,authors\r\n\
             \"A \"\"quoted\"\", title\",,FUNDER; PRODUCER; SPONSOR,NIJ; ; BJS,\r\n"
        );
        let mut ndjson = String::new();
        push_ndjson_row(&mut ndjson, &cols, &node);
        let line: serde_json::Value = serde_json::from_str(ndjson.trim_end()).unwrap();
        assert_eq!(
            line,
            serde_json::json!({
                "title": "A \"quoted\", title",
                "publishedOn.iso": null,
                "producers.role": ["FUNDER", "PRODUCER", "SPONSOR"],
                "producers.producer.abbr": ["NIJ", null, "BJS"],
                "authors": []
            })
        );
        assert!(ndjson.starts_with("{\"title\":"), "column order is kept");
        assert!(ndjson.ends_with("}\n"));
    }

    #[test]
    fn scalars_render_plainly_and_line_breaks_are_quoted() {
        let cols = vec![
            Column::new(vec!["n".into()]),
            Column::new(vec!["b".into()]),
            Column::new(vec!["e".into()]),
            Column::new(vec!["t".into()]),
        ];
        let node = ConstValue::Object(
            [
                (Name::new("n"), ConstValue::from(2006)),
                (Name::new("b"), ConstValue::Boolean(false)),
                (Name::new("e"), ConstValue::Enum(Name::new("IS_RELATED_TO"))),
                (Name::new("t"), ConstValue::from("line one\nline two")),
            ]
            .into_iter()
            .collect(),
        );
        let mut csv = String::new();
        push_csv_row(&mut csv, &cols, &node);
        assert_eq!(csv, "2006,false,IS_RELATED_TO,\"line one\nline two\"\r\n");
    }
}
