//! Cost preview: every validated response (a refusal for cost included) carries
//! `extensions.cost { estimated depth limit maxDepth }`,
//! computed when the query is validated, and a request whose `extensions` hold
//! `"costOnly": true` gets the estimate without running the query. The extension lives on the
//! checking copy of the schema (see `schema::AppSchema`), which never executes anything.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    Response, ServerError, ServerResult, ValidationResult, Value, Variables, value,
};

use super::limits::Limits;

/// The complexity of a connection field: its children's cost once per item of the page the
/// query asks for (20 when it names no size), plus the field itself. Nested lists multiply, so
/// `first: 100` under `first: 100` costs what it can fetch. Out-of-range sizes count as the
/// maximum (the resolver refuses them anyway).
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    use super::connection::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    let size = match first.or(last) {
        None => DEFAULT_PAGE_SIZE,
        Some(n) => (n.max(1) as u64).min(MAX_PAGE_SIZE),
    };
    1usize.saturating_add((size as usize).saturating_mul(child_complexity))
}

/// The extension factory registered on the schema, with the limits it reports.
pub struct Cost(pub Limits);

impl ExtensionFactory for Cost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostExtension {
            limits: self.0,
            entities: Mutex::new(0),
            validated: Mutex::new(None),
        })
    }
}

struct CostExtension {
    limits: Limits,
    /// How many representations the document's `_entities` fields ask for (see
    /// [`super::limits::entity_representations`]), noted when it is parsed.
    entities: Mutex<usize>,
    validated: Mutex<Option<ValidationResult>>,
}

#[async_trait::async_trait]
impl Extension for CostExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let validated = self
            .validated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match validated {
            Some(result) => response.extension(
                "cost",
                value!({
                    "estimated": result.complexity,
                    "depth": result.depth,
                    "limit": self.limits.max_complexity,
                    "maxDepth": self.limits.max_depth,
                }),
            ),
            None => response,
        }
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let mut result = next.run(ctx).await?;
        // `_entities` is async-graphql's own field, so no complexity attribute can say that
        // its selection runs once per representation: the estimate is multiplied here (what a
        // router sends is that one field; other root fields beside it are counted over).
        let entities = *self.entities.lock().unwrap_or_else(|p| p.into_inner());
        if entities > 1 {
            result.complexity = result.complexity.saturating_mul(entities);
        }
        *self.validated.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
        Ok(result)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        *self.entities.lock().unwrap_or_else(|p| p.into_inner()) =
            super::limits::entity_representations(&document, variables);
        Ok(document)
    }

    /// The checking schema stops after validation: the operation runs on the fast copy.
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(Value::Null)
    }
}
