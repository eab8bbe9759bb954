//! The GraphQL endpoint, per the GraphQL-over-HTTP spec: `POST` with a JSON body (other content
//! types are refused, which also stops cross-site form posts), `GET` for queries only, and
//! answers in the media type the client accepts. Browsers asking for HTML get the playground
//! (or 404 with `--no-playground`). Documents named by id are resolved by [`super::persisted`]
//! first; answers to a GET by id are cached as [`super::cache`] says.

use async_graphql::parser::types::OperationType;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::key_check;
use super::persisted::Refusal;
use super::rate_limit::Identified;
use super::{AppState, cache, playground};
use crate::auth::Caller;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
pub(super) const JSON: &str = "application/json";

/// The response media type the client accepts, or `None` when it accepts neither of ours.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(JSON);
    };
    let types: Vec<&str> = accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim())
        .collect();
    if types.contains(&GRAPHQL_RESPONSE) {
        Some(GRAPHQL_RESPONSE)
    } else if types
        .iter()
        .any(|t| *t == JSON || *t == "application/*" || *t == "*/*")
    {
        Some(JSON)
    } else {
        None
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Whether a request to `/graphql` asks for the playground page rather than the API: a
/// browser's GET (HTML accepted) whose query string names no request.
pub(super) fn asks_for_the_page(
    method: &axum::http::Method,
    headers: &HeaderMap,
    query: &str,
) -> bool {
    method == axum::http::Method::GET && is_page_view(headers, &GetParams::of(query))
}

/// [`asks_for_the_page`] for a GET whose query string is read already.
fn is_page_view(headers: &HeaderMap, params: &GetParams) -> bool {
    wants_html(headers) && !params.names_a_request
}

/// A request-level failure (before execution) as a GraphQL error body.
pub(super) fn refuse(
    status: StatusCode,
    media: &'static str,
    code: &str,
    message: &str,
) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body.to_string(),
    )
        .into_response()
}

/// A body the `Bytes` extractor could not read (one over `--body-limit-bytes`: 413) as the
/// JSON error every other refusal answers, with `BAD_REQUEST`.
pub(super) fn unreadable_body(
    rejection: BytesRejection,
    media: &'static str,
    limit: usize,
) -> Response {
    let status = rejection.status();
    let text = rejection.body_text();
    let (status, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
        (
            status,
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    } else if text.contains("timeout") {
        // The server's body read timeout (`server::ServeLimits`): 408, not tower-http's text.
        (
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time".to_owned(),
        )
    } else {
        (status, text)
    };
    refuse(status, media, "BAD_REQUEST", &message)
}

/// Who sends the request, from its `Authorization` header (one query, only when it is sent);
/// `/export` checks its callers the same way.
pub(super) async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    identified: Option<Identified>,
    media: &'static str,
) -> Result<Caller, Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or(""));
    let caller = match identified {
        Some(Identified(caller)) => caller,
        None => {
            let timeout = state.options.limits.request_timeout;
            key_check::identify(&state.db, timeout, header)
                .await
                .map_err(|failed| failed.into_response(media))?
        }
    };
    if state.options.require_key_for_reads && !caller.is_authenticated() {
        let message = match &caller {
            Caller::Rejected(reason) => reason,
            _ => "this server needs an API key for every request: `Authorization: Bearer <key>`",
        };
        let mut response = refuse(StatusCode::UNAUTHORIZED, media, "UNAUTHENTICATED", message);
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Err(response);
    }
    Ok(caller)
}

/// What a request produced: `(status, media type, body)`, and whether it holds errors.
struct Executed {
    parts: (StatusCode, &'static str, Vec<u8>),
    errors: bool,
}

impl IntoResponse for Executed {
    fn into_response(self) -> Response {
        let (status, media, body) = self.parts;
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
            body,
        )
            .into_response()
    }
}

/// Checks the caller, runs the request and serializes the answer (a refusal is a `Response`).
async fn run(
    state: &AppState,
    media: &'static str,
    caller: Caller,
    mut request: async_graphql::Request,
) -> Result<Executed, Response> {
    let operation = operation_name(&mut request);
    let response = if is_mutation(&mut request) {
        state
            .execute(operation.as_deref(), request.data(caller))
            .await
    } else {
        super::consistent::read(state, operation.as_deref(), request, caller).await
    };
    // A request error (unparsable or invalid document) has no data and no error paths.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = if media == GRAPHQL_RESPONSE && request_error {
        // The server's own failures are not the document's fault: a TIMEOUT was answered 400,
        // which tells a client not to retry.
        let first = response.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"));
        match first {
            Some(async_graphql::Value::String(code)) => server_failure_status(code),
            _ => None,
        }
        .unwrap_or(StatusCode::BAD_REQUEST)
    } else {
        StatusCode::OK
    };
    match serde_json::to_vec(&response) {
        Ok(body) => Ok(Executed {
            parts: (status, media, body),
            errors: !response.errors.is_empty(),
        }),
        Err(err) => {
            tracing::error!(%err, "could not serialize a GraphQL response");
            Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                "INTERNAL",
                "internal error",
            ))
        }
    }
}

/// The status of an answer with no data whose error `code` is the server's failure rather
/// than the request's: worth retrying, unlike a 400.
pub(super) fn server_failure_status(code: &str) -> Option<StatusCode> {
    match code {
        "INTERNAL" => Some(StatusCode::INTERNAL_SERVER_ERROR),
        "DATABASE_UNAVAILABLE" => Some(StatusCode::SERVICE_UNAVAILABLE),
        "TIMEOUT" => Some(StatusCode::GATEWAY_TIMEOUT),
        _ => None,
    }
}

async fn execute(
    state: &AppState,
    media: &'static str,
    caller: Caller,
    request: async_graphql::Request,
) -> Response {
    match run(state, media, caller, request).await {
        Ok(executed) => executed.into_response(),
        Err(refused) => refused,
    }
}

/// A persisted-document refusal (counted in the metrics like any error).
fn refuse_persisted(state: &AppState, media: &'static str, refusal: Refusal) -> Response {
    state.metrics.record(
        None,
        std::time::Duration::ZERO,
        std::iter::once(refusal.code.to_owned()),
    );
    let status = if refusal.request_error && media == GRAPHQL_RESPONSE {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    refuse(status, media, refusal.code, &refusal.message)
}

fn not_acceptable() -> Response {
    refuse(
        StatusCode::NOT_ACCEPTABLE,
        JSON,
        "BAD_REQUEST",
        "accept application/graphql-response+json or application/json",
    )
}

pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    identified: Option<Extension<Identified>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != JSON {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "BAD_REQUEST",
            &format!("send the request body as application/json (got \"{content_type}\")"),
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return unreadable_body(rejection, media, state.options.body_limit_bytes),
    };
    let (mut request, document_id) = match parse_body(&body) {
        Ok(parsed) => parsed,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, media, "BAD_REQUEST", &message),
    };
    // Who is asking comes first: with reads behind keys, a stored document's lookup told a
    // caller without one whether the document existed.
    let caller = match caller(&state, &headers, identified.map(|e| e.0), media).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    if let Err(refusal) = state
        .persisted
        .resolve(&mut request, document_id.as_deref())
    {
        return refuse_persisted(&state, media, refusal);
    }
    if let Some(refusal) = without_query(&request, media) {
        return refusal;
    }
    state.schema.parse(&mut request);
    execute(&state, media, caller, request).await
}

/// A request that names no query (and no persisted document) is an HTTP-level refusal, not
/// a GraphQL parse error of an empty document.
fn without_query(request: &async_graphql::Request, media: &'static str) -> Option<Response> {
    request.query.trim().is_empty().then(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            media,
            "BAD_REQUEST",
            "no query: send the GraphQL document as `query` (or a persisted document's id)",
        )
    })
}

/// One GraphQL request from a JSON body, with its `documentId` (persisted documents) if any.
fn parse_body(body: &[u8]) -> Result<(async_graphql::Request, Option<String>), String> {
    let mut value = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(_)) => {
            return Err("batched requests are not supported".into());
        }
        Ok(value) => value,
        Err(err) => return Err(format!("invalid JSON body: {err}")),
    };
    let document_id = match value
        .as_object_mut()
        .and_then(|object| object.remove("documentId"))
    {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(id)) => Some(id),
        Some(_) => return Err("invalid GraphQL request: documentId must be a string".into()),
    };
    let request =
        serde_json::from_value(value).map_err(|err| format!("invalid GraphQL request: {err}"))?;
    Ok((request, document_id))
}

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    identified: Option<Extension<Identified>>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let params = GetParams::of(&query);
    if is_page_view(&headers, &params) {
        if state.options.no_playground {
            return (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "No playground on this server. Send GraphQL requests to this URL: POST with a \
                 JSON body, or GET with ?query=...\n",
            )
                .into_response();
        }
        return playground::page("/graphql").into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_REQUEST",
                &format!("invalid GraphQL request: {err}"),
            );
        }
    };
    let mut request = request;
    if request.operation_name.is_none() {
        // GraphQL over HTTP spells it `operationName` (async-graphql reads `operation_name`).
        request.operation_name = params.operation_name;
    }
    let caller = match caller(&state, &headers, identified.map(|e| e.0), media).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let persisted = match state
        .persisted
        .resolve(&mut request, params.document_id.as_deref())
    {
        Ok(hash) => hash,
        Err(refusal) => return refuse_persisted(&state, media, refusal),
    };
    if let Some(refusal) = without_query(&request, media) {
        return refusal;
    }
    state.schema.parse(&mut request);
    if is_mutation(&mut request) {
        let mut response = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "BAD_REQUEST",
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let executed = match run(&state, media, caller, request).await {
        Ok(executed) => executed,
        Err(refused) => return refused,
    };
    if persisted.is_none() {
        return executed.into_response();
    }
    // A query by hash over GET is cacheable (by a CDN or the browser, for a short while).
    cache::answer_by_hash(
        &headers,
        executed.parts,
        executed.errors,
        headers.contains_key(header::AUTHORIZATION),
        state.options.cache_max_age_secs,
    )
}

/// What the GET query string holds besides what async-graphql reads.
struct GetParams {
    document_id: Option<String>,
    operation_name: Option<String>,
    /// It has a `query`, `documentId` or `extensions`: an API request, not a page view.
    names_a_request: bool,
}

impl GetParams {
    fn of(query: &str) -> Self {
        let mut params = Self {
            document_id: None,
            operation_name: None,
            names_a_request: false,
        };
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "documentId" => params.document_id = Some(value.into_owned()),
                "operationName" => params.operation_name = Some(value.into_owned()),
                _ => {}
            }
            if matches!(key.as_ref(), "query" | "documentId" | "extensions") {
                params.names_a_request = true;
            }
        }
        params
    }
}

/// Whether the operation the request would run is a mutation (GET must not run one). The
/// parsed document stays in the request, so execution does not parse it again.
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let wanted = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&wanted, name) {
            (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}

/// The operation's name for metrics: as the client chose it, else the document's only named
/// operation (the parsed document stays in the request for execution).
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if request.operation_name.is_some() {
        return request.operation_name.clone();
    }
    let document = request.parsed_query().ok()?;
    let mut names = document.operations.iter().filter_map(|(name, _)| name);
    match (names.next(), names.next()) {
        (Some(name), None) => Some(name.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_failures_are_5xx_and_the_requests_are_not() {
        assert_eq!(
            server_failure_status("DATABASE_UNAVAILABLE"),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(
            server_failure_status("TIMEOUT"),
            Some(StatusCode::GATEWAY_TIMEOUT)
        );
        assert_eq!(
            server_failure_status("INTERNAL"),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
        for code in [
            "BAD_USER_INPUT",
            "GRAPHQL_PARSE_FAILED",
            "QUERY_TOO_COMPLEX",
        ] {
            assert_eq!(server_failure_status(code), None, "{code}");
        }
    }
}
