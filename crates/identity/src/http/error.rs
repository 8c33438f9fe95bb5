//! Identity errors as Keystone returns them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::Error;

const UNEXPECTED: &str = "An unexpected error prevented the server from fulfilling your request.";

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Error::Validation(m) => (StatusCode::BAD_REQUEST, m.clone()),
            Error::Unauthorized(detail) => {
                tracing::info!(%detail, "authentication refused");
                (StatusCode::UNAUTHORIZED, "The request you have made requires authentication.".to_owned())
            }
            Error::AuthDenied(m) => (StatusCode::UNAUTHORIZED, m.clone()),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, self.to_string()),
            Error::ForbiddenAction(m) => (StatusCode::FORBIDDEN, m.clone()),
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, self.to_string()),
            Error::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            Error::Store(e) => {
                tracing::error!(error = %e, cause = ?std::error::Error::source(e), "database failure");
                (StatusCode::INTERNAL_SERVER_ERROR, UNEXPECTED.to_owned())
            }
            Error::Policy(e) => {
                tracing::error!(error = %e, "policy failure");
                (StatusCode::INTERNAL_SERVER_ERROR, UNEXPECTED.to_owned())
            }
            Error::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                (StatusCode::INTERNAL_SERVER_ERROR, UNEXPECTED.to_owned())
            }
        };
        http_api::keystone_error(status, &message)
    }
}
