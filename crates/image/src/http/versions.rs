//! The versions document.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use crate::api::versions;

async fn root(State(s): State<AppState>) -> Response {
    (StatusCode::MULTIPLE_CHOICES, Json(versions::document(&s.endpoint, s.images.backends().is_multiple()))).into_response()
}

async fn listed(State(s): State<AppState>) -> Response {
    Json(versions::document(&s.endpoint, s.images.backends().is_multiple())).into_response()
}

/// Version routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(root)).route("/versions", get(listed)).route("/v2", get(root)).route("/v2/", get(root))
}
