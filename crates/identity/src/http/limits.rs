//! `/v3/registered_limits` and `/v3/limits`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_eq, json_body};
use crate::api::limits as wire;
use crate::domain::{Result, limits::MODEL};

async fn list_registered(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_registered_limits", json!({}))?;
    let mut all = s.identity.store().list_registered_limits().await?;
    filter_eq(&mut all, &q, "service_id", |l| Some(&l.service_id));
    filter_eq(&mut all, &q, "region_id", |l| l.region_id.as_deref());
    filter_eq(&mut all, &q, "resource_name", |l| Some(&l.resource_name));
    Ok(Json(s.list("registered_limits", "registered_limits", all.iter().map(|l| wire::render_registered(&s.links, l)).collect())))
}

async fn create_registered(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let limits = wire::parse_registered(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_registered_limits", json!({}))?;
    let made = s.identity.create_registered_limits(limits).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"registered_limits": made.iter().map(|l| wire::render_registered(&s.links, l)).collect::<Vec<_>>()})),
    ))
}

async fn show_registered(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_registered_limit", json!({}))?;
    Ok(Json(json!({"registered_limit": wire::render_registered(&s.links, &s.identity.get_registered_limit(&id).await?)})))
}

async fn update_registered(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_registered_limit", json!({}))?;
    let before = s.identity.get_registered_limit(&id).await?;
    let after = s.identity.update_registered_limit(&before, wire::apply_registered_update(&before, &body)?).await?;
    Ok(Json(json!({"registered_limit": wire::render_registered(&s.links, &after)})))
}

async fn delete_registered(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_registered_limit", json!({}))?;
    s.identity.delete_registered_limit(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn limit_target(l: &crate::store::LimitRow) -> Value {
    let (project, domain) = if l.target_type == "project" { (Some(&l.target_id), None) } else { (None, Some(&l.target_id)) };
    json!({"target": {"limit": {"project_id": project, "domain_id": domain}}})
}

async fn list_limits(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    let mut all = s.identity.store().list_limits().await?;
    filter_eq(&mut all, &q, "service_id", |l| Some(&l.service_id));
    filter_eq(&mut all, &q, "region_id", |l| l.region_id.as_deref());
    filter_eq(&mut all, &q, "resource_name", |l| Some(&l.resource_name));
    filter_eq(&mut all, &q, "project_id", |l| (l.target_type == "project").then_some(l.target_id.as_str()));
    filter_eq(&mut all, &q, "domain_id", |l| (l.target_type == "domain").then_some(l.target_id.as_str()));
    // As Keystone does, a caller sees the limits policy lets them see.
    all.retain(|l| s.enforce(&caller.ctx, "identity:list_limits", limit_target(l)).is_ok());
    Ok(Json(s.list("limits", "limits", all.iter().map(|l| wire::render_limit(&s.links, l)).collect())))
}

async fn create_limits(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let limits = wire::parse_limits(&json_body(&body)?, caller.ctx.project_id())?;
    s.enforce(&caller.ctx, "identity:create_limits", json!({}))?;
    let made = s.identity.create_limits(limits).await?;
    Ok((StatusCode::CREATED, Json(json!({"limits": made.iter().map(|l| wire::render_limit(&s.links, l)).collect::<Vec<_>>()}))))
}

async fn model(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_limit_model", json!({}))?;
    Ok(Json(json!({"model": {"name": MODEL.0, "description": MODEL.1}})))
}

async fn show_limit(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    let limit = s.identity.get_limit(&id).await?;
    s.enforce(&caller.ctx, "identity:get_limit", limit_target(&limit))?;
    Ok(Json(json!({"limit": wire::render_limit(&s.links, &limit)})))
}

async fn update_limit(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_limit", json!({}))?;
    let before = s.identity.get_limit(&id).await?;
    let after = s.identity.update_limit(wire::apply_limit_update(&before, &body)?).await?;
    Ok(Json(json!({"limit": wire::render_limit(&s.links, &after)})))
}

async fn delete_limit(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_limit", json!({}))?;
    s.identity.delete_limit(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unified limit routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/registered_limits", get(list_registered).post(create_registered))
        .route("/v3/registered_limits/{id}", get(show_registered).patch(update_registered).delete(delete_registered))
        .route("/v3/limits", get(list_limits).post(create_limits))
        .route("/v3/limits/model", get(model))
        .route("/v3/limits/{id}", get(show_limit).patch(update_limit).delete(delete_limit))
}
