//! `/resource_providers/{uuid}/aggregates` (1.1+).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json_body, since};
use crate::api::aggregates as wire;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>> {
    since(version, 1)?;
    Ok(Json(wire::render(&s.placement.provider_aggregates(&ctx, &uuid).await?, version)))
}

async fn set(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let body = json_body(&headers, &body)?;
    since(version, 1)?;
    s.placement.get_provider(&ctx, &uuid).await?;
    let (generation, aggregates) = wire::parse(&body, version)?;
    Ok(Json(wire::render(&s.placement.set_provider_aggregates(&ctx, version, &uuid, generation, &aggregates).await?, version)))
}

/// Aggregate routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/resource_providers/{uuid}/aggregates", get(list).put(set))
}
