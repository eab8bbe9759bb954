//! Running an export's pages (each one a GraphQL request on `/graphql`'s execution path) and
//! turning them into the streamed body, one chunk per page.

use std::sync::Arc;

use async_graphql::{Name, Variables};
use async_graphql_value::ConstValue;
use axum::body::Bytes;

use super::document::{AFTER_VARIABLE, PAGE_INFO, Plan, TOTAL_COUNT};
use super::{Format, flatten};
use crate::auth::Caller;
use crate::http::AppState;

/// Runs the plan's pages.
pub(super) struct Pager {
    pub(super) state: AppState,
    pub(super) plan: Plan,
    pub(super) first_after: Option<String>,
    pub(super) query: String,
    pub(super) operation_name: Option<String>,
    pub(super) variables: Variables,
    pub(super) caller: Caller,
}

/// One page's rows, the cursor of the next one (if any) and the list's size.
pub(super) struct Page {
    rows: Vec<ConstValue>,
    next: Option<String>,
    pub(super) total: usize,
}

impl Pager {
    pub(super) async fn page(
        &self,
        after: Option<String>,
    ) -> Result<Page, Vec<async_graphql::ServerError>> {
        let mut variables = self.variables.clone();
        variables.insert(
            Name::new(AFTER_VARIABLE),
            after.clone().map_or(ConstValue::Null, ConstValue::String),
        );
        let mut request = async_graphql::Request::new(self.query.clone()).variables(variables);
        request.operation_name = self.operation_name.clone();
        request.set_parsed_query(self.plan.document.clone());
        let request = request.data(self.caller.clone());
        let response = self
            .state
            .execute(self.operation_name.as_deref(), request)
            .await;
        if !response.errors.is_empty() {
            return Err(response.errors);
        }
        let ConstValue::Object(mut data) = response.data else {
            return Err(vec![internal("the page has no data")]);
        };
        let Some(ConstValue::Object(mut connection)) = data.swap_remove(self.plan.root.as_str())
        else {
            return Err(vec![internal("the page has no connection")]);
        };
        let rows = match connection.swap_remove(self.plan.items.as_str()) {
            Some(ConstValue::List(rows)) => rows,
            _ => Vec::new(),
        };
        let total = match connection.get(TOTAL_COUNT) {
            Some(ConstValue::Number(n)) => n.as_u64().unwrap_or(0) as usize,
            _ => 0,
        };
        let info = match connection.get(PAGE_INFO) {
            Some(ConstValue::Object(info)) => Some(info),
            _ => None,
        };
        let has_next = info.and_then(|i| i.get("hasNextPage")) == Some(&ConstValue::Boolean(true));
        let next = match info.and_then(|i| i.get("endCursor")) {
            Some(ConstValue::String(cursor)) if has_next && !rows.is_empty() => {
                // A cursor that does not move would page forever.
                (after.as_deref() != Some(cursor.as_str())).then(|| cursor.clone())
            }
            _ => None,
        };
        Ok(Page { rows, next, total })
    }
}

fn internal(message: &str) -> async_graphql::ServerError {
    tracing::error!(message, "export: unexpected page shape");
    let mut error = async_graphql::ServerError::new("internal error", None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "INTERNAL");
    error.extensions = Some(extensions);
    error
}

/// The streamed body's state: what to send next and how many rows may still go.
pub(super) struct Rows {
    pager: Arc<Pager>,
    format: Format,
    step: Step,
    remaining: usize,
}

enum Step {
    /// The first page, run before the response started.
    First(Page),
    /// The cursor of the next page to run.
    Next(String),
    Done,
}

impl Rows {
    /// The body's state before the first chunk: `first` was run already.
    pub(super) fn new(pager: Arc<Pager>, format: Format, first: Page, rows: usize) -> Self {
        Self {
            pager,
            format,
            step: Step::First(first),
            remaining: rows,
        }
    }

    pub(super) async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        let mut chunk = String::new();
        let page = match std::mem::replace(&mut self.step, Step::Done) {
            Step::Done => return None,
            Step::First(page) => {
                if self.format == Format::Csv {
                    chunk.push_str(&flatten::csv_header(&self.pager.plan.columns));
                }
                page
            }
            Step::Next(cursor) => match self.pager.page(Some(cursor)).await {
                Ok(page) => page,
                Err(errors) => {
                    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
                    tracing::warn!(errors = ?messages, "export aborted on a later page");
                    let error =
                        std::io::Error::other(format!("export aborted: {}", messages.join("; ")));
                    return Some((Err(error), self));
                }
            },
        };
        let columns = &self.pager.plan.columns;
        let take = page.rows.len().min(self.remaining);
        for row in &page.rows[..take] {
            match self.format {
                Format::Csv => flatten::push_csv_row(&mut chunk, columns, row),
                Format::Ndjson => flatten::push_ndjson_row(&mut chunk, columns, row),
            }
        }
        self.remaining -= take;
        if self.remaining > 0
            && let Some(next) = page.next
        {
            self.step = Step::Next(next);
        }
        Some((Ok(Bytes::from(chunk)), self))
    }
}
