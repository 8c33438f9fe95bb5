//! `/servers/{id}/os-instance-actions` and `/servers/{id}/os-instance-actions/{request_id}`.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::AppState;
use crate::api::instance_actions as wire;
use crate::api::query_pairs;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let q = wire::parse_list(&query_pairs(raw.as_deref())?, version)?;
    let actions = s.compute.list_instance_actions(&ctx, &id, (q.changes_since, q.changes_before), q.marker.as_deref(), q.limit).await?;
    Ok(Json(json!({"instanceActions": actions.iter().map(|a| wire::render_action(a, version)).collect::<Vec<_>>()})))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((id, request_id)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let view = s.compute.show_instance_action(&ctx, &id, &request_id).await?;
    Ok(Json(wire::render_show(&view, version)))
}

/// The instance action routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/servers/{id}/os-instance-actions", get(list)).route("/servers/{id}/os-instance-actions/{request_id}", get(show))
}
