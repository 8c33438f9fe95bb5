//! `/v3/domains`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_enabled, filter_eq, json_body};
use crate::api::domains as wire;
use crate::domain::Result;

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_domains", json!(q))?;
    let mut domains = s.identity.store().list_domains().await?;
    filter_eq(&mut domains, &q, "name", |d| Some(&d.name));
    filter_enabled(&mut domains, &q, |d| d.enabled);
    Ok(Json(s.list("domains", "domains", domains.iter().map(|d| wire::render(&s.links, d)).collect())))
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let domain = wire::parse_create(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_domain", json!({"domain": {"name": domain.name}}))?;
    let domain = s.identity.create_domain(domain).await?;
    Ok((StatusCode::CREATED, Json(json!({"domain": wire::render(&s.links, &domain)}))))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_domain", json!({"target": {"domain": {"id": id}}}))?;
    let domain = s.identity.get_domain(&id).await?;
    Ok(Json(json!({"domain": wire::render(&s.links, &domain)})))
}

async fn update(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_domain", json!({"target": {"domain": {"id": id}}}))?;
    let before = s.identity.get_domain(&id).await?;
    let after = wire::apply_update(&before, &body)?;
    let domain = s.identity.update_domain(&before, after).await?;
    Ok(Json(json!({"domain": wire::render(&s.links, &domain)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_domain", json!({"target": {"domain": {"id": id}}}))?;
    s.identity.delete_domain(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `/v3/domains` and `/v3/domains/{id}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v3/domains", get(list).post(create)).route("/v3/domains/{id}", get(show).patch(update).delete(delete))
}
