//! `/resource_providers` and `/resource_providers/{uuid}`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json, json_body, query_pairs};
use crate::api::resource_providers as wire;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let q = wire::parse_list_query(&query_pairs(raw.as_deref())?, version)?;
    Ok(Json(wire::render_list(&s.placement.list_providers(&ctx, &q).await?, version, s.mount())))
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let new = wire::parse_create(&json_body(&headers, &body)?, version)?;
    let p = s.placement.create_provider(&ctx, &new.name, new.uuid, new.parent).await?;
    let location = [(header::LOCATION, s.location(&format!("/resource_providers/{}", p.uuid)))];
    if version.at_least(20) {
        Ok((location, json(StatusCode::OK, wire::render(&p, version, s.mount()))).into_response())
    } else {
        Ok((StatusCode::CREATED, location).into_response())
    }
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(wire::render(&s.placement.get_provider(&ctx, &uuid).await?, version, s.mount())))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    s.placement.get_provider(&ctx, &uuid).await?;
    let (name, parent) = wire::parse_update(&json_body(&headers, &body)?, version)?;
    Ok(Json(wire::render(&s.placement.update_provider(&ctx, version, &uuid, &name, parent).await?, version, s.mount())))
}

async fn delete(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(uuid): Path<String>) -> Result<StatusCode> {
    s.placement.delete_provider(&ctx, &uuid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Provider routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/resource_providers", get(list).post(create))
        .route("/resource_providers/{uuid}", get(show).put(update).delete(delete))
}
