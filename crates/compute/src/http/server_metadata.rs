//! `/servers/{id}/metadata` and `/servers/{id}/metadata/{key}`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::servers::{parse_meta_item, parse_metadata};
use crate::domain::Result;

async fn index(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<Json<Value>> {
    Ok(Json(json!({"metadata": s.compute.server_metadata(&ctx, &id).await?})))
}

async fn merge(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let items = parse_metadata(&json_body(&headers, &body)?, "metadata")?;
    let all = s.compute.set_server_metadata(&ctx, &id, items, false, "os_compute_api:server-metadata:create").await?;
    Ok(Json(json!({"metadata": all})))
}

async fn replace(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let items = parse_metadata(&json_body(&headers, &body)?, "metadata")?;
    let written = s.compute.set_server_metadata(&ctx, &id, items, true, "os_compute_api:server-metadata:update_all").await?;
    Ok(Json(json!({"metadata": written})))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, key)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let value = s.compute.server_metadata_item(&ctx, &id, &key).await?;
    Ok(Json(json!({"meta": {key: value}})))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let value = parse_meta_item(&json_body(&headers, &body)?, &key)?;
    let items = BTreeMap::from([(key.clone(), value.clone())]);
    s.compute.set_server_metadata(&ctx, &id, items, false, "os_compute_api:server-metadata:update").await?;
    Ok(Json(json!({"meta": {key: value}})))
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.compute.delete_server_metadata_item(&ctx, &id, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The server metadata routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/servers/{id}/metadata", get(index).post(merge).put(replace))
        .route("/servers/{id}/metadata/{key}", get(show).put(update).delete(delete))
}
