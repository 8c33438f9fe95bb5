//! `/os-aggregates`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::aggregates as wire;
use crate::domain::{Result, Version};

async fn list(State(s): State<AppState>, Authenticated(ctx): Authenticated, Extension(version): Extension<Version>) -> Result<Json<Value>> {
    let all = s.compute.list_aggregates(&ctx).await?;
    Ok(Json(json!({"aggregates": all.iter().map(|a| wire::render(a, version, false)).collect::<Vec<_>>()})))
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let (name, zone) = wire::parse_create(&json_body(&headers, &body)?)?;
    let a = s.compute.create_aggregate(&ctx, &name, zone.as_deref()).await?;
    Ok(Json(json!({"aggregate": wire::render(&a, version, true)})))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let a = s.compute.get_aggregate(&ctx, wire::parse_id(&id)?).await?;
    Ok(Json(json!({"aggregate": wire::render(&a, version, false)})))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let (name, zone) = wire::parse_update(&json_body(&headers, &body)?)?;
    let zone = zone.as_ref().map(|z| z.as_deref());
    let a = s.compute.update_aggregate(&ctx, wire::parse_id(&id)?, name.as_deref(), zone).await?;
    Ok(Json(json!({"aggregate": wire::render(&a, version, false)})))
}

async fn delete(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<StatusCode> {
    s.compute.delete_aggregate(&ctx, wire::parse_id(&id)?).await?;
    Ok(StatusCode::OK)
}

async fn action(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let action = wire::parse_action(&json_body(&headers, &body)?)?;
    let id = wire::parse_id(&id)?;
    let a = match action {
        wire::Action::AddHost(host) => s.compute.add_aggregate_host(&ctx, id, &host).await?,
        wire::Action::RemoveHost(host) => s.compute.remove_aggregate_host(&ctx, id, &host).await?,
        wire::Action::SetMetadata(changes) => s.compute.set_aggregate_metadata(&ctx, id, &changes).await?,
    };
    Ok(Json(json!({"aggregate": wire::render(&a, version, false)})))
}

/// The aggregate routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-aggregates", get(list).post(create))
        .route("/os-aggregates/{id}", get(show).put(update).delete(delete))
        .route("/os-aggregates/{id}/action", post(action))
}
