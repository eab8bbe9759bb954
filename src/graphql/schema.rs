//! Building the schema once at start-up (with its limits), and exporting its SDL.

use async_graphql::{EmptySubscription, MergedObject, Request, Response, Schema, ValidationMode};

use super::batch_stats::BatchStats;
use super::documents::Documents;
use super::explore::ExploreQuery;
use super::federation::FederationQuery;
use super::limits::Limits;
use super::mutation::MutationRoot;
use super::query::QueryRoot;
use crate::db::Db;

// The query root clients see, named `Query` as in the API contract: records, lists, search and
// stats (`QueryRoot`) merged with graph exploration (`ExploreQuery`) and the Apollo Federation
// entity resolvers (`FederationQuery`, behind `_entities`; `_service { sdl }` gives the subgraph
// schema). A router takes a subgraph's roots by these default names: under `QueryRoot` and
// `MutationRoot` none of studygraph's fields reached a composed supergraph.
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct Query(QueryRoot, ExploreQuery, FederationQuery);

fn query() -> Query {
    Query(QueryRoot, ExploreQuery, FederationQuery)
}

type GraphSchema = Schema<Query, MutationRoot, EmptySubscription>;

pub use super::limits::{MAX_COMPLEXITY, MAX_DEPTH};

/// The schema, built twice from the same types. `checked` carries the limit and cost
/// extensions and only parses and validates (its execute hook never runs an operation);
/// `fast` has no extension and runs what `checked` accepted. With any extension registered,
/// async-graphql sends every resolved field through the extension chain, about a tenth of the
/// server's CPU on an answer of a few thousand fields. The document is parsed once, and `fast`
/// validates in async-graphql's fast mode (what `checked` accepted passed every rule).
#[derive(Clone)]
pub struct AppSchema {
    checked: GraphSchema,
    fast: GraphSchema,
    documents: Documents,
    batch_stats: BatchStats,
}

impl AppSchema {
    /// DataLoader batch sizes of every request run on this schema (for `/metrics`).
    pub fn batch_stats(&self) -> &BatchStats {
        &self.batch_stats
    }

    /// Gives `request` its parsed document from the kept ones (parsing it once per query
    /// text). A document that does not parse is left for execution to report.
    pub fn parse(&self, request: &mut Request) {
        if let Ok(document) = self.documents.parse(&request.query) {
            request.set_parsed_query(document);
        }
    }

    /// Checks `request` against the limits, then runs it (unless it asks for the cost only);
    /// the answer carries `extensions.cost` either way.
    pub async fn execute(&self, mut request: Request, cost_only: bool) -> Response {
        let mut check = Request::new(request.query.clone()).variables(request.variables.clone());
        if let Some(name) = &request.operation_name {
            check = check.operation_name(name.clone());
        }
        // Parsed once (by `parse`, or here); the checking run gets a copy.
        match request.parsed_query() {
            Ok(document) => check.set_parsed_query(document.clone()),
            Err(err) => return Response::from_errors(vec![err]),
        }
        let checked = self.checked.execute(check).await;
        if cost_only || !checked.errors.is_empty() {
            return checked;
        }
        let mut response = self.fast.execute(request).await;
        if let Some(cost) = checked.extensions.get("cost") {
            response.extensions.insert("cost".to_owned(), cost.clone());
        }
        response
    }
}

/// The schema over `db`, enforcing `limits` (see [`super::limits`]).
pub fn build(db: Db, limits: &Limits) -> AppSchema {
    let builder = || {
        let builder = Schema::build(query(), MutationRoot, EmptySubscription)
            .enable_federation()
            .data(db.clone())
            // Depth and complexity are checked by `limits::Enforce`, which says by how much.
            .limit_recursive_depth(limits.recursive_depth())
            .limit_directives(16);
        if limits.introspection {
            builder
        } else {
            builder.disable_introspection()
        }
    };
    AppSchema {
        checked: builder()
            // The limits wrap the estimate (the first extension is the outermost), so a
            // refusal for cost still reports it.
            .extension(super::limits::Enforce(*limits))
            .extension(super::cost::Cost(*limits))
            .finish(),
        // `checked` validated the very document and variables with every rule.
        fast: builder().validation_mode(ValidationMode::Fast).finish(),
        documents: Documents::default(),
        batch_stats: BatchStats::default(),
    }
}

/// The schema in SDL, as checked in at `schema.graphql`: what introspection shows, so the
/// federation plumbing (`_service`, `_entities`, `_Any`, `_Entity`, `_Service`) is in it but
/// the `@key` directives are not (see [`subgraph_sdl`]).
pub fn sdl() -> String {
    Schema::build(query(), MutationRoot, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl()
}

/// The schema as an Apollo Federation v2 subgraph (`@key`s, `extend schema @link(…)`), the
/// same text `_service { sdl }` answers.
pub fn subgraph_sdl() -> String {
    use async_graphql::SDLExportOptions;
    Schema::build(query(), MutationRoot, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}
