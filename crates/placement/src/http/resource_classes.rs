//! `/resource_classes` and `/resource_classes/{name}` (1.2+).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json_body, since};
use crate::api::resource_classes as wire;
use crate::domain::{Result, Version};

async fn list(State(s): State<AppState>, Authenticated(ctx): Authenticated, Extension(version): Extension<Version>) -> Result<Json<Value>> {
    since(version, 2)?;
    Ok(Json(wire::render_list(&s.placement.list_resource_classes(&ctx).await?, s.mount())))
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    since(version, 2)?;
    let name = wire::parse_name(&json_body(&headers, &body)?)?;
    s.placement.create_resource_class(&ctx, &name).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, s.location(&format!("/resource_classes/{name}")))]).into_response())
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    since(version, 2)?;
    Ok(Json(wire::render(&s.placement.get_resource_class(&ctx, &name).await?, s.mount())))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    since(version, 2)?;
    if version.at_least(7) {
        wire::check_url_name(&name)?;
        let created = s.placement.ensure_resource_class(&ctx, &name).await?;
        let status = if created { StatusCode::CREATED } else { StatusCode::NO_CONTENT };
        return Ok((status, [(header::LOCATION, s.location(&format!("/resource_classes/{name}")))]).into_response());
    }
    let new_name = wire::parse_name(&json_body(&headers, &body)?)?;
    s.placement.rename_resource_class(&ctx, &name, &new_name).await?;
    Ok(Json(wire::render(&new_name, s.mount())).into_response())
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    since(version, 2)?;
    s.placement.delete_resource_class(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resource class routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/resource_classes", get(list).post(create)).route("/resource_classes/{name}", get(show).put(update).delete(delete))
}
