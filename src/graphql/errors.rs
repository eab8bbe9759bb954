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
            | Self::Forbidden(message) => message,
            Self::Internal(_) => "internal error",
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Internal(_) => "INTERNAL",
        }
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
        Self::internal(err)
    }
}

impl From<crate::graphql::loaders::LoadError> for ApiError {
    fn from(err: crate::graphql::loaders::LoadError) -> Self {
        Self::internal(err.0)
    }
}

/// Result type of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;
