//! Glance's error responses: `{"message", "code", "title"}` with the status as text,
//! from one exhaustive match over the domain's errors.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::images::PATCH_MEDIA_TYPES;
use crate::domain::Error;

/// A Glance error body for `status`.
pub fn glance_error(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = json!({"message": message, "code": format!("{} {title}", status.as_u16()), "title": title});
    (status, Json(body)).into_response()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Gone(_) => StatusCode::GONE,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::Store(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "image request failed");
            return glance_error(status, "The server has either erred or is incapable of performing the requested operation.");
        }
        let mut res = glance_error(status, &self.to_string());
        if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            res.headers_mut().insert("accept-patch", HeaderValue::from_static(PATCH_MEDIA_TYPES));
        }
        res
    }
}
