//! `GET /servers/{id}/diagnostics`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::AppState;
use crate::api::server_diagnostics as wire;
use crate::domain::{Result, Version};

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(wire::render(&s.compute.server_diagnostics(&ctx, &id).await?, version)))
}

/// The diagnostics route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/servers/{id}/diagnostics", get(show))
}
