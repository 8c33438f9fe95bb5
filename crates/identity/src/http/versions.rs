//! Version discovery.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use crate::api::versions;

async fn list(State(s): State<AppState>) -> impl IntoResponse {
    (StatusCode::MULTIPLE_CHOICES, Json(versions::versions(s.identity.public_url())))
}

async fn v3(State(s): State<AppState>) -> impl IntoResponse {
    Json(versions::v3(s.identity.public_url()))
}

/// `GET /` and `GET /v3`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(list)).route("/v3", get(v3)).route("/v3/", get(v3))
}
