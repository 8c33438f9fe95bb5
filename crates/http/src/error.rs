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

/// The response for a handler that panicked: a 500 in the common error shape, with the
/// panic logged (inside the request's span, so with its request id) and the connection
/// kept open.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what =
        panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied()).unwrap_or("(no message)");
    tracing::error!(panic = what, "handler panicked");
    keystone_error(StatusCode::INTERNAL_SERVER_ERROR, "An unexpected error prevented the server from fulfilling your request.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn errors_have_keystones_shape_and_panics_become_500s() {
        let res = keystone_error(StatusCode::NOT_FOUND, "Could not find user: x.");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, json!({"error": {"code": 404, "title": "Not Found", "message": "Could not find user: x."}}));
        let res = panic_response(Box::new("boom"));
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
