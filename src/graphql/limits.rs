//! What one GraphQL request may ask for: depth, complexity, aliases, root fields, run time and
//! introspection. Aliases, root fields, expanded fragments and introspection are checked right
//! after parsing (before async-graphql's validation, which a document of ten thousand aliases
//! would keep busy); depth and complexity once validation has measured them. Each refusal is `QUERY_TOO_COMPLEX`
//! (introspection: `GRAPHQL_VALIDATION_FAILED`) and says which limit, and by how much.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, ServerError, ServerResult, ValidationResult, Variables};

use super::errors::ApiError;

/// Deepest query accepted; the standard introspection query needs about 13.
pub const MAX_DEPTH: usize = 16;
/// Highest estimated cost of one query: every field (aliases included) counts once, and a
/// connection's selection once per item of the page it asks for (see `cost::page_cost`).
pub const MAX_COMPLEXITY: usize = 200_000;
/// Most aliases one document may use.
pub const MAX_ALIASES: usize = 500;
/// Most fields the operation may select at its root (fragments at the root included).
pub const MAX_ROOT_FIELDS: usize = 100;
/// Longest a request may run before it is cancelled (its database work with it).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The limits a server runs with (`serve --max-depth …`); the default is the values above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub request_timeout: Duration,
    /// `__schema` and `__type` are answered (`--no-introspection` turns this off).
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: MAX_DEPTH,
            max_complexity: MAX_COMPLEXITY,
            max_aliases: MAX_ALIASES,
            max_root_fields: MAX_ROOT_FIELDS,
            request_timeout: REQUEST_TIMEOUT,
            introspection: true,
        }
    }
}

impl Limits {
    /// async-graphql's parse-time nesting guard: deep enough for `max_depth` fields (a field and
    /// a fragment each count a level there), so that our own depth message is the one seen.
    pub fn recursive_depth(&self) -> usize {
        (self.max_depth * 2).max(32)
    }

    /// The message for a document nested too deep to measure (parsing stopped before the depth
    /// could be counted).
    pub fn too_deep_to_measure(&self) -> String {
        format!(
            "the query is nested too deep to measure, the limit is {} levels",
            self.max_depth
        )
    }
}

/// The extension factory registered on the schema.
pub struct Enforce(pub Limits);

impl ExtensionFactory for Enforce {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(EnforceExtension { limits: self.0 })
    }
}

/// Registered before [`super::cost::Cost`], so that it wraps it: the estimate it checks is
/// the cost extension's, which is then reported with a refusal too.
struct EnforceExtension {
    limits: Limits,
}

#[async_trait::async_trait]
impl Extension for EnforceExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        check_document(&self.limits, &document)?;
        payload_pages(&document, variables)?;
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let limits = &self.limits;
        if result.depth > limits.max_depth {
            return Err(vec![too_complex(format!(
                "the query is nested {} levels deep, the limit is {} levels",
                result.depth, limits.max_depth
            ))]);
        }
        if result.complexity > limits.max_complexity {
            return Err(vec![too_complex(format!(
                "the query's estimated cost is {} (every field, aliases and fragments included, once per item of the pages it asks for), the limit is {}",
                result.complexity, limits.max_complexity
            ))]);
        }
        Ok(result)
    }
}

/// Fills an argument's variables in (`into_const_with`); a missing one is `Null`.
fn from_variables(
    variables: &Variables,
) -> impl FnMut(async_graphql::Name) -> Result<async_graphql::Value, std::convert::Infallible> + '_
{
    |name| Ok(variables.get(&name).cloned().unwrap_or_default())
}

/// A page size in a mutation's payload that its field would refuse is refused before the
/// operation runs: the write came first, then the field's error nulled the payload's record
/// (`BAD_USER_INPUT` and no id for a record that had been created; in a document of several
/// mutations, the whole answer). Within `facets` a `first` counts buckets, elsewhere a page's
/// records.
fn payload_pages(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    use async_graphql::parser::types::OperationType;
    for (_, operation) in document.operations.iter() {
        if operation.node.ty == OperationType::Mutation {
            let mut seen = HashSet::new();
            check_pages(
                document,
                variables,
                &operation.node.selection_set,
                false,
                &mut seen,
            )
            .map_err(|message| ApiError::bad_input(message).into_server_error(None))?;
        }
    }
    Ok(())
}

/// [`payload_pages`] over one selection set (fragments followed once each).
fn check_pages<'a>(
    document: &'a ExecutableDocument,
    variables: &Variables,
    set: &'a Positioned<SelectionSet>,
    in_facets: bool,
    seen: &mut HashSet<&'a str>,
) -> Result<(), String> {
    use super::connection::MAX_PAGE_SIZE;
    use super::types::facets::MAX_BUCKETS;
    for selection in &set.node.items {
        let (inner, in_facets) = match &selection.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                let in_facets = in_facets || name == "facets";
                let max = if in_facets {
                    MAX_BUCKETS as i64
                } else {
                    MAX_PAGE_SIZE as i64
                };
                for (argument, value) in &field.node.arguments {
                    if !matches!(argument.node.as_str(), "first" | "last") {
                        continue;
                    }
                    let value = value
                        .node
                        .clone()
                        .into_const_with(from_variables(variables));
                    let Ok(async_graphql::Value::Number(number)) = value else {
                        continue;
                    };
                    let size = number.as_i64().unwrap_or(i64::MAX);
                    if !(0..=max).contains(&size) {
                        return Err(format!(
                            "`{name}({}:)` in a mutation's payload is {size}, outside 0 to {max}; nothing was written",
                            argument.node
                        ));
                    }
                }
                (&field.node.selection_set, in_facets)
            }
            Selection::InlineFragment(fragment) => (&fragment.node.selection_set, in_facets),
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                match document.fragments.get(name) {
                    Some(fragment) if seen.insert(name.as_str()) => {
                        (&fragment.node.selection_set, in_facets)
                    }
                    _ => continue,
                }
            }
        };
        check_pages(document, variables, inner, in_facets, seen)?;
    }
    Ok(())
}

/// How many representations the `_entities` fields at the root of the document's operations
/// ask for, in all (a list written in the query, or a list variable).
pub(super) fn entity_representations(
    document: &ExecutableDocument,
    variables: &Variables,
) -> usize {
    let mut count = 0usize;
    for (_, operation) in document.operations.iter() {
        for selection in &operation.node.selection_set.node.items {
            let Selection::Field(field) = &selection.node else {
                continue;
            };
            if field.node.name.node != "_entities" {
                continue;
            }
            let Some(argument) = field.node.get_argument("representations") else {
                continue;
            };
            let value = argument
                .node
                .clone()
                .into_const_with(from_variables(variables));
            if let Ok(async_graphql::Value::List(items)) = value {
                count = count.saturating_add(items.len());
            }
        }
    }
    count
}

fn too_complex(message: String) -> ServerError {
    ApiError::QueryTooComplex(message).into_server_error(None)
}

/// The checks that need only the parsed document: linear in its size.
fn check_document(limits: &Limits, document: &ExecutableDocument) -> ServerResult<()> {
    // Every field costs at least 1, so an operation that selects more fields than the cost
    // limit, once its fragments are expanded, is over it. Counted here because validation
    // and execution expand every spread: a 1 KB document whose fragments each spread the
    // previous one twice selected 2^30 fields, and held both cores for minutes. Without
    // fragments the document's own size bounds that work, and the estimate after validation
    // says more (the cost of its pages).
    let sizes = fragment_sizes(document);
    for (name, operation) in document.operations.iter().filter(|_| !sizes.is_empty()) {
        let fields = expanded_fields(&operation.node.selection_set, &sizes);
        if fields > limits.max_complexity as u64 {
            let which = name.map(|n| format!(" {n}")).unwrap_or_default();
            return Err(too_complex(format!(
                "the operation{which} selects {fields} fields once its fragments are expanded \
                 (each costs at least 1), the cost limit is {}",
                limits.max_complexity
            )));
        }
    }
    let aliases = count_aliases(document);
    if aliases > limits.max_aliases {
        return Err(too_complex(format!(
            "the query has {aliases} aliases, the limit is {}",
            limits.max_aliases
        )));
    }
    for (name, operation) in document.operations.iter() {
        let roots = count_root_fields(document, &operation.node.selection_set);
        if roots > limits.max_root_fields {
            let which = name.map(|n| format!(" {n}")).unwrap_or_default();
            return Err(too_complex(format!(
                "the operation{which} selects {roots} root fields, the limit is {}",
                limits.max_root_fields
            )));
        }
    }
    if !limits.introspection
        && let Some((field, pos)) = introspection_field(document)
    {
        return Err(ApiError::Invalid(format!(
            "introspection is turned off on this server: the query asks for `{field}` \
             (`__typename` still works)"
        ))
        .into_server_error(Some(pos)));
    }
    Ok(())
}

/// The fields `set` selects with its fragments expanded: each field once, with its own
/// selection; a spread adds its fragment's count each time (`sizes`, from
/// [`fragment_sizes`]). Saturates instead of overflowing.
fn expanded_fields(set: &Positioned<SelectionSet>, sizes: &HashMap<&str, u64>) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![set];
    while let Some(set) = pending.pop() {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    total = total.saturating_add(1);
                    pending.push(&field.node.selection_set);
                }
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    total = total.saturating_add(sizes.get(name).copied().unwrap_or(0));
                }
            }
        }
    }
    total
}

/// The names of the fragments `set` spreads, nested selections included.
fn spreads_in(set: &Positioned<SelectionSet>) -> Vec<&str> {
    let mut names = Vec::new();
    let mut pending = vec![set];
    while let Some(set) = pending.pop() {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => pending.push(&field.node.selection_set),
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    names.push(spread.node.fragment_name.node.as_str());
                }
            }
        }
    }
    names
}

/// Each fragment's [`expanded_fields`], every fragment after those it spreads (without
/// recursion, so a long chain of fragments cannot overflow the stack). A fragment in a cycle
/// counts the one that closes it as 0; validation refuses cycles anyway.
fn fragment_sizes(document: &ExecutableDocument) -> HashMap<&str, u64> {
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    let mut visiting: HashSet<&str> = HashSet::new();
    for start in document.fragments.keys() {
        let mut stack = vec![(start.as_str(), false)];
        while let Some((name, spreads_done)) = stack.pop() {
            if sizes.contains_key(name) {
                continue;
            }
            let Some(fragment) = document.fragments.get(name) else {
                sizes.insert(name, 0);
                continue;
            };
            if spreads_done {
                visiting.remove(name);
                let size = expanded_fields(&fragment.node.selection_set, &sizes);
                sizes.insert(name, size);
            } else if visiting.insert(name) {
                stack.push((name, true));
                for spread in spreads_in(&fragment.node.selection_set) {
                    if !sizes.contains_key(spread) && !visiting.contains(spread) {
                        stack.push((spread, false));
                    }
                }
            }
        }
    }
    sizes
}

/// Every selection set written in the document, each once (fragments are not expanded).
fn selection_sets(document: &ExecutableDocument) -> Vec<&Positioned<SelectionSet>> {
    let mut pending: Vec<&Positioned<SelectionSet>> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set),
        )
        .collect();
    let mut all = Vec::new();
    while let Some(set) = pending.pop() {
        all.push(set);
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => pending.push(&field.node.selection_set),
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    all
}

/// Aliases written in the document (a fragment's count once, however often it is spread).
fn count_aliases(document: &ExecutableDocument) -> usize {
    selection_sets(document)
        .iter()
        .flat_map(|set| &set.node.items)
        .filter(|s| matches!(&s.node, Selection::Field(f) if f.node.alias.is_some()))
        .count()
}

/// Fields at the operation's root, through inline fragments and fragment spreads (each
/// fragment counted once, so cycles end).
fn count_root_fields(document: &ExecutableDocument, root: &Positioned<SelectionSet>) -> usize {
    let mut seen = HashSet::new();
    let mut pending = vec![root];
    let mut count = 0;
    while let Some(set) = pending.pop() {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(_) => count += 1,
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if seen.insert(name.clone())
                        && let Some(fragment) = document.fragments.get(name)
                    {
                        pending.push(&fragment.node.selection_set);
                    }
                }
            }
        }
    }
    count
}

/// The first `__schema`, `__type` or `_service` field anywhere in the document.
fn introspection_field(
    document: &ExecutableDocument,
) -> Option<(&'static str, async_graphql::Pos)> {
    selection_sets(document)
        .iter()
        .flat_map(|set| &set.node.items)
        .find_map(|selection| match &selection.node {
            Selection::Field(field) => match field.node.name.node.as_str() {
                "__schema" => Some(("__schema", field.pos)),
                "__type" => Some(("__type", field.pos)),
                // Federation's `_service { sdl }` is the whole schema too.
                "_service" => Some(("_service", field.pos)),
                _ => None,
            },
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap()
    }

    #[test]
    fn aliases_are_counted_once_per_written_field() {
        let doc = parse(
            "query { a: x b: x ...F ... on Query { c: x } } fragment F on Query { d: x e: x }",
        );
        assert_eq!(count_aliases(&doc), 5);
    }

    #[test]
    fn root_fields_follow_fragments_once() {
        let doc = parse(
            "query { x ...F ...F ... on Query { y } } fragment F on Query { z w ...G } fragment G on Query { ...F v }",
        );
        assert_eq!(
            count_root_fields(
                &doc,
                &doc.operations.iter().next().unwrap().1.node.selection_set
            ),
            5
        );
    }

    #[test]
    fn introspection_is_found_in_fragments() {
        let doc = parse("{ ...F } fragment F on Query { t: __type(name: \"X\") { name } }");
        assert_eq!(introspection_field(&doc).map(|f| f.0), Some("__type"));
        assert!(introspection_field(&parse("{ __typename }")).is_none());
    }
}
