//! The one error type of the HTTP API and its mapping to a status and the
//! contract's `{"detail": "..."}` body.

use std::time::Duration;

use axum::{
    Json,
    extract::multipart::{MultipartError, MultipartRejection},
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{domain::DomainError, store::StoreError};

pub type AppResult<T> = Result<T, AppError>;

/// The body of every error answer, as the contract has it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"detail": "Invalid token"}))]
pub struct Problem {
    /// What went wrong, in words for a person.
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad or missing credentials. The text is the contract's, which differs
    /// by route ("Invalid token", "Unauthorized", "Invalid credentials").
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    /// At odds with what is stored.
    #[error("{0}")]
    Conflict(&'static str),
    /// A well-formed request that breaks a rule ("User exists", a too-short
    /// password...).
    #[error("{0}")]
    BadRequest(String),
    /// Input that could not be parsed at all (FastAPI's 422).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    UnsupportedMedia(&'static str),
    #[error("Too many attempts, try again in {} s", .0.as_secs().max(1))]
    TooManyRequests(Duration),
    /// A conditional request (`If-Unmodified-Since`) whose
    /// condition does not hold.
    #[error("Precondition failed")]
    PreconditionFailed,
    /// A `Range` that starts past the end of the file.
    #[error("Range not satisfiable")]
    RangeNotSatisfiable,
    /// We are too busy for this right now (connections, hashing queue); the
    /// client may retry shortly.
    #[error("{0}")]
    Unavailable(&'static str),
    /// Anything that is our fault. The cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// When the client may try again, for a `Retry-After` header.
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests(wait) => Some(wait.as_secs_f64().ceil().max(1.0) as u64),
            // Busy moments pass quickly; a second is enough to try again.
            Self::Unavailable(_) => Some(1),
            Self::Unauthorized(_)
            | Self::Forbidden(_)
            | Self::NotFound(_)
            | Self::Conflict(_)
            | Self::BadRequest(_)
            | Self::Unprocessable(_)
            | Self::TooLarge(_)
            | Self::MethodNotAllowed
            | Self::UnsupportedMedia(_)
            | Self::PreconditionFailed
            | Self::RangeNotSatisfiable
            | Self::Internal(_) => None,
        }
    }

    /// What the client is told.
    pub fn detail(&self) -> String {
        match self {
            Self::Internal(_) => "Internal server error".to_owned(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let problem = Problem {
            detail: self.detail(),
        };
        let mut response = (status, Json(problem)).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(detail) => Self::BadRequest(detail),
            DomainError::NotFound(detail) => Self::NotFound(detail),
            DomainError::Forbidden(detail) => Self::Forbidden(detail),
            DomainError::Conflict(detail) => Self::Conflict(detail),
            DomainError::Unprocessable(detail) => Self::Unprocessable(detail.into()),
            DomainError::Unsupported(detail) => Self::UnsupportedMedia(detail),
            DomainError::Unavailable(cause) => Self::Internal(cause),
            DomainError::Busy(detail) => Self::Unavailable(detail),
            DomainError::Throttled(wait) => Self::TooManyRequests(wait),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        DomainError::from(err).into()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::TooLarge("Request body too large".into());
        }
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::Unprocessable(
                "Expected a JSON body with Content-Type: application/json".into(),
            ),
            other => Self::Unprocessable(format!("Invalid JSON body: {}", other.body_text())),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Unprocessable(format!("Invalid query string: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::Unprocessable(format!("Invalid path: {}", rejection.body_text()))
    }
}

impl From<MultipartError> for AppError {
    fn from(err: MultipartError) -> Self {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge("Upload too large".into())
        } else {
            Self::Unprocessable(format!("Invalid multipart body: {}", err.body_text()))
        }
    }
}

impl From<MultipartRejection> for AppError {
    fn from(rejection: MultipartRejection) -> Self {
        Self::Unprocessable(format!(
            "Expected a multipart form: {}",
            rejection.body_text()
        ))
    }
}
