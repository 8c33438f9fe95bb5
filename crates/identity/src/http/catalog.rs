//! `/v3/regions`, `/v3/services` and `/v3/endpoints`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_eq, json_body};
use crate::api::catalog as wire;
use crate::domain::Result;

async fn list_regions(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_regions", json!({}))?;
    let mut regions = s.identity.store().list_regions().await?;
    filter_eq(&mut regions, &q, "parent_region_id", |r| r.parent_region_id.as_deref());
    Ok(Json(s.list("regions", "regions", regions.iter().map(|r| wire::render_region(&s.links, r)).collect())))
}

async fn create_region(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let region = wire::parse_region(&json_body(&body)?, None)?;
    s.enforce(&caller.ctx, "identity:create_region", json!({}))?;
    let region = s.identity.create_region(region).await?;
    Ok((StatusCode::CREATED, Json(json!({"region": wire::render_region(&s.links, &region)}))))
}

async fn put_region(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let region = wire::parse_region(&json_body(&body)?, Some(id))?;
    s.enforce(&caller.ctx, "identity:create_region", json!({}))?;
    let region = s.identity.create_region(region).await?;
    Ok((StatusCode::CREATED, Json(json!({"region": wire::render_region(&s.links, &region)}))))
}

async fn show_region(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_region", json!({}))?;
    Ok(Json(json!({"region": wire::render_region(&s.links, &s.identity.get_region(&id).await?)})))
}

async fn update_region(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_region", json!({}))?;
    let before = s.identity.get_region(&id).await?;
    let region = s.identity.update_region(wire::apply_region_update(&before, &body)?).await?;
    Ok(Json(json!({"region": wire::render_region(&s.links, &region)})))
}

async fn delete_region(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_region", json!({}))?;
    s.identity.delete_region(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_services(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_services", json!({}))?;
    let mut services = s.identity.store().list_services().await?;
    filter_eq(&mut services, &q, "type", |x| Some(&x.service_type));
    filter_eq(&mut services, &q, "name", |x| x.extra.get("name").and_then(Value::as_str));
    Ok(Json(s.list("services", "services", services.iter().map(|x| wire::render_service(&s.links, x)).collect())))
}

async fn create_service(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let service = wire::parse_service(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_service", json!({}))?;
    let service = s.identity.create_service(service).await?;
    Ok((StatusCode::CREATED, Json(json!({"service": wire::render_service(&s.links, &service)}))))
}

async fn show_service(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_service", json!({}))?;
    Ok(Json(json!({"service": wire::render_service(&s.links, &s.identity.get_service(&id).await?)})))
}

async fn update_service(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_service", json!({}))?;
    let before = s.identity.get_service(&id).await?;
    let service = s.identity.update_service(wire::apply_service_update(&before, &body)?).await?;
    Ok(Json(json!({"service": wire::render_service(&s.links, &service)})))
}

async fn delete_service(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_service", json!({}))?;
    s.identity.delete_service(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_endpoints(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_endpoints", json!({}))?;
    let mut endpoints = s.identity.store().list_endpoints().await?;
    filter_eq(&mut endpoints, &q, "interface", |e| Some(&e.interface));
    filter_eq(&mut endpoints, &q, "service_id", |e| Some(&e.service_id));
    filter_eq(&mut endpoints, &q, "region_id", |e| e.region_id.as_deref());
    Ok(Json(s.list("endpoints", "endpoints", endpoints.iter().map(|e| wire::render_endpoint(&s.links, e)).collect())))
}

async fn create_endpoint(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let (endpoint, create_region) = wire::parse_endpoint(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_endpoint", json!({}))?;
    let endpoint = s.identity.create_endpoint(endpoint, create_region).await?;
    Ok((StatusCode::CREATED, Json(json!({"endpoint": wire::render_endpoint(&s.links, &endpoint)}))))
}

async fn show_endpoint(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_endpoint", json!({}))?;
    Ok(Json(json!({"endpoint": wire::render_endpoint(&s.links, &s.identity.get_endpoint(&id).await?)})))
}

async fn update_endpoint(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_endpoint", json!({}))?;
    let before = s.identity.get_endpoint(&id).await?;
    let (after, create_region) = wire::apply_endpoint_update(&before, &body)?;
    let endpoint = s.identity.update_endpoint(after, create_region).await?;
    Ok(Json(json!({"endpoint": wire::render_endpoint(&s.links, &endpoint)})))
}

async fn delete_endpoint(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_endpoint", json!({}))?;
    s.identity.delete_endpoint(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Catalog administration routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/regions", get(list_regions).post(create_region))
        .route("/v3/regions/{id}", get(show_region).put(put_region).patch(update_region).delete(delete_region))
        .route("/v3/services", get(list_services).post(create_service))
        .route("/v3/services/{id}", get(show_service).patch(update_service).delete(delete_service))
        .route("/v3/endpoints", get(list_endpoints).post(create_endpoint))
        .route("/v3/endpoints/{id}", get(show_endpoint).patch(update_endpoint).delete(delete_endpoint))
}
