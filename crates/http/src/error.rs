//! The error body Keystone returns, which keystonemiddleware also returns for a missing
//! or invalid token in front of every other service.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `{"error": {"code": 404, "title": "Not Found", "message": "..."}}` with that status.
pub fn keystone_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {
        "code": status.as_u16(),
        "title": status.canonical_reason().unwrap_or("Error"),
        "message": message,
    }});
    (status, Json(body)).into_response()
}
