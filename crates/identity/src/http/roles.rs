//! `/v3/roles`, implied roles and `/v3/role_inferences`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_eq, json_body};
use crate::api::roles as wire;
use crate::domain::{Error, Result};

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_roles", json!({"domain_id": q.get("domain_id")}))?;
    let mut roles = s.identity.store().list_roles().await?;
    // Without domain_id, only global roles are listed, as in Keystone.
    let domain = q.get("domain_id").cloned();
    roles.retain(|r| r.domain_id == domain);
    filter_eq(&mut roles, &q, "name", |r| Some(&r.name));
    Ok(Json(s.list("roles", "roles", roles.iter().map(|r| wire::render(&s.links, r)).collect())))
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let role = wire::parse_create(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_role", json!({"target": {"role": {"domain_id": role.domain_id}}}))?;
    let role = s.identity.create_role(role).await?;
    Ok((StatusCode::CREATED, Json(json!({"role": wire::render(&s.links, &role)}))))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_role", json!({"target": {"role": {"id": id}}}))?;
    Ok(Json(json!({"role": wire::render(&s.links, &s.identity.get_role(&id).await?)})))
}

async fn update(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_role", json!({"target": {"role": {"id": id}}}))?;
    let before = s.identity.get_role(&id).await?;
    if before.options.get("immutable").and_then(Value::as_bool) == Some(true) {
        return Err(Error::ForbiddenAction(format!("Resource {id} is immutable and cannot be updated.")));
    }
    let role = s.identity.update_role(wire::apply_update(&before, &body)?).await?;
    Ok(Json(json!({"role": wire::render(&s.links, &role)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_role", json!({"target": {"role": {"id": id}}}))?;
    s.identity.delete_role(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn implies_list(State(s): State<AppState>, caller: Caller, Path(prior): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_implied_roles", json!({}))?;
    let prior_role = s.identity.get_role(&prior).await?;
    let roles = s.identity.store().list_roles().await?;
    let implies: Vec<Value> = s
        .identity
        .store()
        .list_implied_roles()
        .await?
        .into_iter()
        .filter(|(p, _)| *p == prior)
        .filter_map(|(_, i)| roles.iter().find(|r| r.id == i))
        .map(|r| wire::render_ref(&s.links, r))
        .collect();
    Ok(Json(json!({"role_inference": {"prior_role": wire::render_ref(&s.links, &prior_role), "implies": implies},
                   "links": s.links.entity(&format!("roles/{prior}/implies"))})))
}

async fn implies_create(
    State(s): State<AppState>,
    caller: Caller,
    Path((prior, implied)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>)> {
    s.enforce(&caller.ctx, "identity:create_implied_role", json!({}))?;
    let (p, i) = s.identity.create_implied_role(&prior, &implied).await?;
    Ok((StatusCode::CREATED, Json(wire::render_implication(&s.links, &p, &i))))
}

async fn implies_show(State(s): State<AppState>, caller: Caller, Path((prior, implied)): Path<(String, String)>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_implied_role", json!({}))?;
    let (p, i) = (s.identity.get_role(&prior).await?, s.identity.get_role(&implied).await?);
    let exists = s.identity.store().list_implied_roles().await?.iter().any(|(a, b)| *a == prior && *b == implied);
    if !exists {
        return Err(Error::NotFound { kind: "implied role", id: format!("{prior} implies {implied}") });
    }
    Ok(Json(wire::render_implication(&s.links, &p, &i)))
}

async fn implies_check(state: State<AppState>, caller: Caller, path: Path<(String, String)>) -> Result<StatusCode> {
    implies_show(state, caller, path).await.map(|_| StatusCode::NO_CONTENT)
}

async fn implies_delete(State(s): State<AppState>, caller: Caller, Path((prior, implied)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_implied_role", json!({}))?;
    s.identity.delete_implied_role(&prior, &implied).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn inferences(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_role_inference_rules", json!({}))?;
    let roles = s.identity.store().list_roles().await?;
    let find = |id: &str| roles.iter().find(|r| r.id == id);
    let mut by_prior: Vec<(String, Vec<Value>)> = Vec::new();
    for (prior, implied) in s.identity.store().list_implied_roles().await? {
        let Some(implied) = find(&implied) else { continue };
        match by_prior.iter_mut().find(|(p, _)| *p == prior) {
            Some((_, list)) => list.push(wire::render_ref(&s.links, implied)),
            None => by_prior.push((prior, vec![wire::render_ref(&s.links, implied)])),
        }
    }
    let rules: Vec<Value> = by_prior
        .into_iter()
        .filter_map(|(prior, implies)| find(&prior).map(|p| json!({"prior_role": wire::render_ref(&s.links, p), "implies": implies})))
        .collect();
    Ok(Json(json!({"role_inferences": rules, "links": s.links.list("role_inferences")})))
}

/// `/v3/roles`, `/v3/roles/{id}`, implications and `/v3/role_inferences`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/roles", get(list).post(create))
        .route("/v3/roles/{id}", get(show).patch(update).delete(delete))
        .route("/v3/roles/{prior}/implies", get(implies_list))
        .route("/v3/roles/{prior}/implies/{implied}", get(implies_show).head(implies_check).put(implies_create).delete(implies_delete))
        .route("/v3/role_inferences", get(inferences))
}
