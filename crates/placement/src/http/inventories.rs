//! `/resource_providers/{uuid}/inventories` and `.../inventories/{class}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json, json_body, repeated_not_found};
use crate::api::inventories as wire;
use crate::domain::{Error, Result, Version};

async fn list(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(uuid): Path<String>) -> Result<Json<Value>> {
    let all = s.placement.inventories(&ctx, &uuid).await.map_err(repeated_not_found(" : "))?;
    Ok(Json(wire::render_all(&all)))
}

async fn replace(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let (generation, inventories) = wire::parse_replace(&json_body(&headers, &body)?)?;
    Ok(Json(wire::render_all(&s.placement.replace_inventories(&ctx, version, &uuid, generation, inventories).await?)))
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let inv = wire::parse_create(&json_body(&headers, &body)?)?;
    let (inv, generation) = s.placement.create_inventory(&ctx, version, &uuid, inv).await?;
    let location = [(header::LOCATION, s.location(&format!("/resource_providers/{uuid}/inventories/{}", inv.resource_class)))];
    Ok((location, json(StatusCode::CREATED, wire::render_one(&inv, generation))).into_response())
}

async fn delete_all(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
) -> Result<StatusCode> {
    if !version.at_least(5) {
        return Err(Error::MethodNotAllowed);
    }
    s.placement.delete_inventories(&ctx, &uuid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((uuid, class)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let (inv, generation) = s.placement.inventory(&ctx, &uuid, &class).await?;
    Ok(Json(wire::render_one(&inv, generation)))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((uuid, class)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    s.placement.get_provider(&ctx, &uuid).await?;
    let (generation, inv) = wire::parse_update(&class, &json_body(&headers, &body)?)?;
    let (inv, generation) = s.placement.update_inventory(&ctx, version, &uuid, generation, inv).await?;
    Ok(Json(wire::render_one(&inv, generation)))
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((uuid, class)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.placement.delete_inventory(&ctx, &uuid, &class).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Inventory routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/resource_providers/{uuid}/inventories", get(list).put(replace).post(create).delete(delete_all))
        .route("/resource_providers/{uuid}/inventories/{class}", get(show).put(update).delete(delete))
}
