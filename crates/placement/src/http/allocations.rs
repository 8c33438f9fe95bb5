//! `/allocations`, `/allocations/{consumer}` and `/resource_providers/{uuid}/allocations`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json_body, since};
use crate::api::allocations as wire;
use crate::domain::{Result, Version};

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(consumer): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(wire::render_consumer(&s.placement.consumer_allocations(&ctx, &consumer).await?, version)))
}

async fn put(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(consumer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let consumer = wire::consumer_uuid(&consumer)?;
    let request = wire::parse_put(consumer, &json_body(&headers, &body)?, version)?;
    s.placement.put_allocations(&ctx, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(consumer): Path<String>) -> Result<StatusCode> {
    s.placement.delete_allocations(&ctx, &consumer).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn post_many(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    since(version, 13)?;
    let requests = wire::parse_post(&json_body(&headers, &body)?, version)?;
    s.placement.post_allocations(&ctx, requests).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn provider(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(wire::render_provider(&s.placement.provider_allocations(&ctx, &uuid).await?, version)))
}

/// `POST /reshaper` (1.30+): inventories and allocations moved between providers at once.
async fn reshape(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    since(version, 30)?;
    let (inventories, allocations) = crate::api::reshaper::parse(&json_body(&headers, &body)?, version)?;
    s.placement.reshape(&ctx, version, inventories, allocations).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Allocation routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/allocations", post(post_many))
        .route("/reshaper", post(reshape))
        .route("/allocations/{consumer}", get(show).put(put).delete(delete))
        .route("/resource_providers/{uuid}/allocations", get(provider))
}
