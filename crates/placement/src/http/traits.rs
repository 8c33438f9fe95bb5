//! `/traits`, `/traits/{name}` and `/resource_providers/{uuid}/traits` (1.6+).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json_body, query_pairs, repeated_not_found, since};
use crate::api::traits as wire;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    since(version, 6)?;
    let filter = wire::parse_filter(&query_pairs(raw.as_deref())?)?;
    Ok(Json(wire::render_list(&s.placement.list_traits(&ctx, &filter).await?)))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    since(version, 6)?;
    s.placement.get_trait(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
) -> Result<Response> {
    since(version, 6)?;
    let created = s.placement.ensure_trait(&ctx, &name).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::NO_CONTENT };
    Ok((status, [(header::LOCATION, s.location(&format!("/traits/{name}")))]).into_response())
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    since(version, 6)?;
    s.placement.delete_trait(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn provider_list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>> {
    since(version, 6)?;
    let t = s.placement.provider_traits(&ctx, &uuid).await.map_err(repeated_not_found(": "))?;
    Ok(Json(wire::render_provider(&t)))
}

async fn provider_set(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    since(version, 6)?;
    let (generation, traits) = wire::parse_provider_traits(&json_body(&headers, &body)?)?;
    Ok(Json(wire::render_provider(&s.placement.set_provider_traits(&ctx, &uuid, generation, &traits).await?)))
}

async fn provider_clear(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
) -> Result<StatusCode> {
    since(version, 6)?;
    s.placement.clear_provider_traits(&ctx, &uuid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Trait routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/traits", get(list))
        .route("/traits/{name}", get(show).put(put).delete(delete))
        .route("/resource_providers/{uuid}/traits", get(provider_list).put(provider_set).delete(provider_clear))
}
