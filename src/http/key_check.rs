//! Looking up the caller's API key before a request runs (the rate limiter and the GraphQL
//! handler both need it), within the request's time, with failures answered as the GraphQL
//! layer answers them: `DATABASE_UNAVAILABLE` (503) or `TIMEOUT` (504), or `INTERNAL` (500)
//! with a request id that ties it to the logged cause. It answered a bare 500 `INTERNAL`
//! without an id, and waited out PostgreSQL's statement timeout past the request's own.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::{self, Caller};
use crate::db::Db;
use crate::graphql::errors::ApiError;

/// Why the key could not be checked: the status, code and message to answer with.
pub struct KeyCheckFailed {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Also in the log line with the cause (`extensions.requestId`).
    pub request_id: Option<String>,
}

impl KeyCheckFailed {
    /// The JSON error answer, in `media`.
    pub fn into_response(self, media: &'static str) -> Response {
        let mut extensions = serde_json::json!({ "code": self.code });
        if let Some(id) = self.request_id {
            extensions["requestId"] = id.into();
        }
        let body = serde_json::json!({ "errors": [{ "message": self.message, "extensions": extensions }] });
        (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
            body.to_string(),
        )
            .into_response()
    }
}

/// The caller the `Authorization` header names.
pub async fn identify(
    db: &Db,
    request_timeout: Duration,
    header: Option<&str>,
) -> Result<Caller, KeyCheckFailed> {
    let error = match tokio::time::timeout(request_timeout, auth::identify(&db.conn, header)).await
    {
        Ok(Ok(caller)) => return Ok(caller),
        Ok(Err(err)) => ApiError::from(err),
        Err(_) => ApiError::TimedOut("the API key lookup ran past the request time".into()),
    };
    Err(failed(&error))
}

fn failed(error: &ApiError) -> KeyCheckFailed {
    match error {
        ApiError::Unavailable(_) => {
            let id = crate::graphql::request_id();
            KeyCheckFailed {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "DATABASE_UNAVAILABLE",
                message: format!("{} (request {id})", error.message()),
                request_id: Some(id),
            }
        }
        ApiError::TimedOut(_) => KeyCheckFailed {
            status: StatusCode::GATEWAY_TIMEOUT,
            code: "TIMEOUT",
            message: "the API key could not be checked within the request time; try again"
                .to_owned(),
            request_id: None,
        },
        other => {
            let id = crate::graphql::request_id();
            tracing::error!(request_id = %id, cause = ?other, "cannot check an API key");
            KeyCheckFailed {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "INTERNAL",
                message: format!("internal error (request {id}; the cause is in the server log)"),
                request_id: Some(id),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_answer_as_graphql_errors_do() {
        let unavailable = failed(&ApiError::Unavailable("pool timed out".into()));
        assert_eq!(
            (unavailable.status, unavailable.code),
            (StatusCode::SERVICE_UNAVAILABLE, "DATABASE_UNAVAILABLE")
        );
        assert!(
            unavailable.message.contains("(request "),
            "{}",
            unavailable.message
        );
        let timeout = failed(&ApiError::TimedOut("statement timeout".into()));
        assert_eq!(
            (timeout.status, timeout.code),
            (StatusCode::GATEWAY_TIMEOUT, "TIMEOUT")
        );
        let internal = failed(&ApiError::Internal("disk full".into()));
        assert_eq!(internal.code, "INTERNAL");
        assert!(internal.message.starts_with("internal error (request "));
        assert!(!internal.message.contains("disk full"));
    }
}
