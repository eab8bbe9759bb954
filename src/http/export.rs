//! `/export`: a GraphQL query over a root connection, answered as a table for notebooks and
//! spreadsheets: `GET /export?format=csv&query=…&variables=…` or `POST /export?format=ndjson`
//! with a JSON body `{query, variables}`. Each page runs through the same execution path as
//! `/graphql` (API keys, limits, time-out, loaders); the rows stream out page after page
//! (following `pageInfo.endCursor`), so memory stays flat however long the list. Problems found
//! before the first byte (a bad request, a query that is not one root connection, errors on the
//! first page, more rows than the server exports at once) answer 4xx with a JSON error body
//! carrying `extensions.code`; an error on a later page aborts the body, so a client sees a
//! failed download rather than a short file.

mod document;
pub mod flatten;
mod pages;

use std::sync::Arc;

use async_graphql_value::ConstValue;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use self::document::Unsupported;
use self::pages::{Pager, Rows};
use super::AppState;
use super::rate_limit::Identified;

/// Most rows one export streams, by default (`--export-max-rows`).
pub const MAX_ROWS: usize = 100_000;

const JSON: &str = "application/json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Ndjson,
}

impl Format {
    fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Ndjson => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }
}

/// A refusal before streaming: `{"errors": [{message, extensions: {code}}]}`.
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    super::graphql::refuse(status, JSON, code, message)
}

fn bad_request(message: &str) -> Response {
    refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

/// What the URL says besides the GraphQL request.
struct Params {
    format: Format,
    limit: Option<usize>,
}

/// The URL's `format` and `limit`, and (GET) the GraphQL request it carries.
struct Url {
    params: Params,
    request: serde_json::Map<String, serde_json::Value>,
    document_id: Option<String>,
}

fn parse_url(query: &str) -> Result<Url, String> {
    let mut format = Format::Csv;
    let mut limit = None;
    let mut request = serde_json::Map::new();
    let mut document_id = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "format" => {
                format = match value.as_ref() {
                    "csv" => Format::Csv,
                    "ndjson" | "jsonl" => Format::Ndjson,
                    other => return Err(format!("format must be csv or ndjson (not \"{other}\")")),
                }
            }
            "limit" => match value.parse::<usize>() {
                Ok(n) if n > 0 => limit = Some(n),
                _ => {
                    return Err(format!(
                        "limit must be a positive number of rows (not \"{value}\")"
                    ));
                }
            },
            "query" | "operationName" => {
                request.insert(key.into_owned(), value.into_owned().into());
            }
            "variables" | "extensions" if !value.is_empty() => {
                let parsed: serde_json::Value = serde_json::from_str(&value)
                    .map_err(|err| format!("{key} is not JSON: {err}"))?;
                request.insert(key.into_owned(), parsed);
            }
            "documentId" => document_id = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(Url {
        params: Params { format, limit },
        request,
        document_id,
    })
}

fn graphql_request(
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<async_graphql::Request, String> {
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|err| format!("invalid GraphQL request: {err}"))
}

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    identified: Option<Extension<Identified>>,
    RawQuery(query): RawQuery,
) -> Response {
    let url = match parse_url(&query.unwrap_or_default()) {
        Ok(url) => url,
        Err(message) => return bad_request(&message),
    };
    if !url.request.contains_key("query") && url.document_id.is_none() {
        return bad_request(
            "give the GraphQL query: /export?format=csv&query={ publications { nodes { title } } }",
        );
    }
    let request = match graphql_request(url.request) {
        Ok(request) => request,
        Err(message) => return bad_request(&message),
    };
    let sender = (headers, identified.map(|e| e.0));
    export(state, sender, url.params, request, url.document_id).await
}

pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    identified: Option<Extension<Identified>>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case(JSON)
    {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            &format!("send the request body as application/json (got \"{content_type}\")"),
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let limit = state.options.body_limit_bytes;
            return super::graphql::unreadable_body(rejection, JSON, limit);
        }
    };
    let url = match parse_url(&query.unwrap_or_default()) {
        Ok(url) => url,
        Err(message) => return bad_request(&message),
    };
    let mut fields = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(fields)) => fields,
        Ok(_) => return bad_request("the body must be one JSON object {query, variables}"),
        Err(err) => return bad_request(&format!("invalid JSON body: {err}")),
    };
    let document_id = match fields.remove("documentId") {
        None | Some(serde_json::Value::Null) => url.document_id,
        Some(serde_json::Value::String(id)) => Some(id),
        Some(_) => return bad_request("documentId must be a string"),
    };
    let request = match graphql_request(fields) {
        Ok(request) => request,
        Err(message) => return bad_request(&message),
    };
    let sender = (headers, identified.map(|e| e.0));
    export(state, sender, url.params, request, document_id).await
}

async fn export(
    state: AppState,
    (headers, identified): (HeaderMap, Option<Identified>),
    params: Params,
    mut request: async_graphql::Request,
    document_id: Option<String>,
) -> Response {
    if request.extensions.contains_key("costOnly") {
        return bad_request("costOnly estimates are for /graphql; /export runs the query");
    }
    // The caller first, as on `/graphql`: a lookup before it told one without a key whether a
    // stored document existed.
    let caller = match super::graphql::caller(&state, &headers, identified, JSON).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    if let Err(refusal) = state
        .persisted
        .resolve(&mut request, document_id.as_deref())
    {
        return refuse(StatusCode::BAD_REQUEST, refusal.code, &refusal.message);
    }
    let plan = match document::plan(
        &request.query,
        request.operation_name.as_deref(),
        &request.variables,
    ) {
        Ok(Some(plan)) => plan,
        Ok(None) => {
            // It does not parse: running it says why, as `/graphql` would.
            let operation = request.operation_name.clone();
            let response = state
                .execute(operation.as_deref(), request.data(caller))
                .await;
            return refuse_errors(&response.errors, "the query does not parse");
        }
        Err(Unsupported(message)) => return bad_request(&message),
    };
    let pager = Arc::new(Pager {
        first_after: plan.after.clone(),
        plan,
        state,
        query: request.query,
        operation_name: request.operation_name,
        variables: request.variables,
        caller,
    });
    let first = match pager.page(pager.first_after.clone()).await {
        Ok(page) => page,
        Err(errors) => return refuse_errors(&errors, "the first page failed"),
    };
    let cap = pager.state.options.export_max_rows;
    let total = first.total;
    let rows = match params.limit {
        Some(limit) if limit > cap => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "EXPORT_TOO_LARGE",
                &format!("limit is {limit} rows, this server exports at most {cap} at once"),
            );
        }
        Some(limit) => limit,
        None if total > cap => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "EXPORT_TOO_LARGE",
                &format!(
                    "the list has {total} rows, this server exports at most {cap} at once: \
                     narrow the filter, or add &limit=N (N up to {cap}) to export the first N"
                ),
            );
        }
        None => cap,
    };
    let format = params.format;
    let file = format!(
        "attachment; filename=\"{}.{}\"",
        pager.plan.connection,
        format.extension()
    );
    // Fused: a compressing layer polls the body once more after its end, which an unfold
    // stream answers with a panic (the gzip answer was cut off or empty).
    let stream = futures::StreamExt::fuse(futures::stream::unfold(
        Rows::new(pager, format, first, rows),
        Rows::next,
    ));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert("x-studygraph-total-count", HeaderValue::from(total));
    if total > rows {
        headers.insert("x-studygraph-truncated", HeaderValue::from_static("true"));
    }
    response
}

/// The status for errors of the first page, by their first code.
fn refuse_errors(errors: &[async_graphql::ServerError], fallback: &str) -> Response {
    let code = |error: &async_graphql::ServerError| match error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
    {
        Some(ConstValue::String(code)) => code.clone(),
        _ => "GRAPHQL_VALIDATION_FAILED".to_owned(),
    };
    let Some(first) = errors.first() else {
        return bad_request(fallback);
    };
    let first = code(first);
    let status = match first.as_str() {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        other => super::graphql::server_failure_status(other).unwrap_or(StatusCode::BAD_REQUEST),
    };
    let errors: Vec<serde_json::Value> = errors
        .iter()
        .map(|error| {
            let mut json = serde_json::to_value(error).unwrap_or_default();
            json["extensions"]["code"] = code(error).into();
            json
        })
        .collect();
    (
        status,
        [(header::CONTENT_TYPE, JSON)],
        serde_json::json!({ "errors": errors }).to_string(),
    )
        .into_response()
}
