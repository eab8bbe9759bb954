//! The one place where failures become GraphQL errors with an `extensions.code`. Internal
//! causes (database errors) are logged here and never sent to clients.

use async_graphql::ErrorExtensions;

/// What can go wrong in a resolver, by the code a client sees. Deliberately not `Display`:
/// async-graphql turns any `Display` error into a message without a code, so every error must
/// come through the `From` below.
#[derive(Debug, Clone)]
pub enum ApiError {
    BadUserInput(String),
    /// No API key, or one that is not valid (or revoked).
    Unauthenticated(String),
    /// A valid API key whose scope does not allow the operation.
    Forbidden(String),
    /// The document asks for more than the server's limits allow (which limit, by how much).
    QueryTooComplex(String),
    /// The document asks for something this server does not answer (introspection when it is
    /// turned off).
    Invalid(String),
    /// The database cannot be reached (down, restarting, or every connection busy past the
    /// acquire timeout): worth retrying, unlike `Internal`. The cause is logged.
    Unavailable(String),
    /// A write lost a race to a concurrent one (PostgreSQL runs mutations side by side): it
    /// broke a unique index because the other took the same key first, or a foreign key
    /// because the other deleted the record it refers to. A mutation runs again then, and sees
    /// that write ([`crate::graphql::mutation::records::retrying`]). `INTERNAL` if it escapes.
    LostRace(String),
    /// A database statement ran, or waited for a lock, past PostgreSQL's statement timeout
    /// (which matches the request time): `TIMEOUT`, as when the request's own time runs out
    /// first. A mutation waiting on a record another write held answered `INTERNAL`.
    TimedOut(String),
    /// The cause, for logs only; clients see "internal error".
    Internal(String),
}

impl ApiError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    /// Logs `cause` and hides it from the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let cause = cause.to_string();
        tracing::error!(%cause, "internal error while resolving a GraphQL request");
        Self::Internal(cause)
    }

    pub fn message(&self) -> &str {
        match self {
            Self::BadUserInput(message)
            | Self::Unauthenticated(message)
            | Self::Forbidden(message)
            | Self::QueryTooComplex(message)
            | Self::Invalid(message) => message,
            Self::Unavailable(_) => {
                "the database is not reachable or busy with another write right now; try again in a few seconds"
            }
            Self::TimedOut(_) => {
                "a database statement ran or waited past the time limit and was cancelled; try again"
            }
            Self::LostRace(_) | Self::Internal(_) => "internal error",
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Self::Invalid(_) => "GRAPHQL_VALIDATION_FAILED",
            Self::Unavailable(_) => "DATABASE_UNAVAILABLE",
            Self::TimedOut(_) => "TIMEOUT",
            Self::LostRace(_) | Self::Internal(_) => "INTERNAL",
        }
    }

    /// A database error: `Unavailable` when no connection could be had or SQLite's write lock
    /// stayed taken past the busy timeout (an import, say), `LostRace` for a key taken, a
    /// referenced record deleted or a lock cycle with a concurrent write, else `Internal`.
    fn from_db(err: &sea_orm::DbErr) -> Self {
        if let Some(
            sea_orm::SqlErr::UniqueConstraintViolation(cause)
            | sea_orm::SqlErr::ForeignKeyConstraintViolation(cause),
        ) = err.sql_err()
        {
            tracing::warn!(%cause, "a write lost a race to a concurrent one");
            return Self::LostRace(cause);
        }
        // PostgreSQL broke a lock cycle between concurrent mutations (each locks the records it
        // edits), or an update found its row deleted meanwhile: running again answers as a
        // later mutation would.
        let text = err.to_string();
        if matches!(err, sea_orm::DbErr::RecordNotUpdated) || text.contains("deadlock detected") {
            tracing::warn!(cause = %text, "a write lost a race to a concurrent one");
            return Self::LostRace(text);
        }
        if text.contains("canceling statement due to statement timeout")
            || text.contains("canceling statement due to lock timeout")
        {
            tracing::warn!(cause = %text, "a database statement timed out");
            return Self::TimedOut(text);
        }
        if err.to_string().contains("database is locked") {
            let cause = err.to_string();
            tracing::warn!(%cause, "another write held the database past the busy timeout");
            return Self::Unavailable(cause);
        }
        match err {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                let cause = err.to_string();
                tracing::error!(%cause, "the database is unavailable");
                Self::Unavailable(cause)
            }
            _ => Self::internal(err),
        }
    }
}

impl ApiError {
    /// As a request-level error (raised before any resolver runs), at `pos` in the document.
    pub fn into_server_error(self, pos: Option<async_graphql::Pos>) -> async_graphql::ServerError {
        let mut error = async_graphql::Error::from(self).into_server_error(pos.unwrap_or_default());
        if pos.is_none() {
            error.locations.clear();
        }
        error
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| ext.set("code", code))
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::from_db(&err)
    }
}

impl From<crate::graphql::loaders::LoadError> for ApiError {
    fn from(err: crate::graphql::loaders::LoadError) -> Self {
        Self::from_db(&err.0)
    }
}

/// Result type of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnAcquireErr, DbErr};

    fn code_of(err: DbErr) -> String {
        let error = async_graphql::Error::from(ApiError::from(err));
        match error.extensions.and_then(|e| e.get("code").cloned()) {
            Some(async_graphql::Value::String(code)) => code,
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn an_unreachable_database_is_a_retryable_code_not_internal() {
        assert_eq!(
            code_of(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            "DATABASE_UNAVAILABLE"
        );
        assert_eq!(
            code_of(DbErr::Conn(sea_orm::RuntimeErr::Internal("refused".into()))),
            "DATABASE_UNAVAILABLE"
        );
        assert_eq!(code_of(DbErr::Custom("bad SQL".into())), "INTERNAL");
    }

    /// PostgreSQL's statement timeout (a mutation waiting past it for a record another write
    /// held) is the request's time running out, not a fault: `TIMEOUT`, not `INTERNAL`.
    #[test]
    fn a_statement_timeout_is_a_timeout() {
        for cause in [
            "error returned from database: canceling statement due to statement timeout",
            "error returned from database: canceling statement due to lock timeout",
        ] {
            assert_eq!(code_of(DbErr::Custom(cause.into())), "TIMEOUT", "{cause}");
        }
    }
}
