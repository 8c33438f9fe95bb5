//! `/os-quota-sets`, `/os-quota-class-sets` and `/limits`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::query_pairs;
use crate::api::quotas as wire;
use crate::domain::quotas::quota_class_keys;
use crate::domain::{Result, Version};

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let user = wire::parse_user(&query_pairs(raw.as_deref())?, version)?;
    let view = s.compute.show_quotas(&ctx, &project, user.as_deref(), false).await?;
    Ok(Json(wire::render_quota_set(&view.limits, version, Some(&project))))
}

async fn detail(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let user = wire::parse_user(&query_pairs(raw.as_deref())?, version)?;
    let view = s.compute.show_quotas(&ctx, &project, user.as_deref(), true).await?;
    Ok(Json(wire::render_detail(&view, version, &project)))
}

async fn defaults(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(project): Path<String>,
) -> Result<Json<Value>> {
    let limits = s.compute.quota_defaults(&ctx, &project).await?;
    Ok(Json(wire::render_quota_set(&limits, version, Some(&project))))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let user = wire::parse_user(&query_pairs(raw.as_deref())?, version)?;
    let (values, force) = wire::parse_update(&json_body(&headers, &body)?, version)?;
    let limits = s.compute.update_quotas(&ctx, &project, user.as_deref(), &values, force).await?;
    Ok(Json(wire::render_quota_set(&limits, version, None)))
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode> {
    let user = wire::parse_user(&query_pairs(raw.as_deref())?, version)?;
    s.compute.delete_quotas(&ctx, &project, user.as_deref()).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn class_show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(class): Path<String>,
) -> Result<Json<Value>> {
    let limits = s.compute.show_quota_class(&ctx, &class).await?;
    Ok(Json(json!({"quota_class_set": wire::render_limits_map(&limits, &quota_class_keys(version), Some(&class))})))
}

async fn class_update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(class): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let values = wire::parse_class_update(&json_body(&headers, &body)?, version)?;
    let limits = s.compute.update_quota_class(&ctx, &class, &values).await?;
    Ok(Json(json!({"quota_class_set": wire::render_limits_map(&limits, &quota_class_keys(version), None)})))
}

async fn limits(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let tenant = wire::parse_tenant(&query_pairs(raw.as_deref())?, version)?;
    let view = s.compute.absolute_limits(&ctx, tenant.as_deref()).await?;
    Ok(Json(wire::render_absolute(&view, version)))
}

/// The quota and limits routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-quota-sets/{project}", get(show).put(update).delete(delete))
        .route("/os-quota-sets/{project}/detail", get(detail))
        .route("/os-quota-sets/{project}/defaults", get(defaults))
        .route("/os-quota-class-sets/{class}", get(class_show).put(class_update))
        .route("/limits", get(limits))
}
