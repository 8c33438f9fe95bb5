//! `/v3/OS-TRUST/trusts`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, json_body};
use crate::api::{roles, trusts as wire};
use crate::domain::{Error, Result};
use crate::store::TrustRow;

fn target(t: &TrustRow) -> Value {
    json!({"target": {"trust": {"trustor_user_id": t.trustor_user_id, "trustee_user_id": t.trustee_user_id}}})
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let req = wire::parse_create(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_trust", json!({"trust": {"trustor_user_id": req.trustor_user_id}}))?;
    let trust = s.identity.create_trust(&caller.token, req).await?;
    let all_roles = s.identity.store().list_roles().await?;
    Ok((StatusCode::CREATED, Json(json!({"trust": wire::render(&s.links, &trust, &all_roles)}))))
}

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    let (trustor, trustee) = (q.get("trustor_user_id"), q.get("trustee_user_id"));
    match (trustor, trustee) {
        (Some(t), _) => s.enforce(&caller.ctx, "identity:list_trusts_for_trustor", json!({"target": {"trust": {"trustor_user_id": t}}}))?,
        (None, Some(t)) => {
            s.enforce(&caller.ctx, "identity:list_trusts_for_trustee", json!({"target": {"trust": {"trustee_user_id": t}}}))?
        }
        (None, None) => s.enforce(&caller.ctx, "identity:list_trusts", json!({}))?,
    }
    let mut all = s.identity.store().list_trusts().await?;
    all.retain(|t| trustor.is_none_or(|u| *u == t.trustor_user_id) && trustee.is_none_or(|u| *u == t.trustee_user_id));
    let all_roles = s.identity.store().list_roles().await?;
    Ok(Json(s.list("trusts", "OS-TRUST/trusts", all.iter().map(|t| wire::render(&s.links, t, &all_roles)).collect())))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    let trust = s.identity.get_trust(&id).await?;
    s.enforce(&caller.ctx, "identity:get_trust", target(&trust))?;
    let all_roles = s.identity.store().list_roles().await?;
    Ok(Json(json!({"trust": wire::render(&s.links, &trust, &all_roles)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    let trust = s.identity.get_trust(&id).await?;
    s.enforce(&caller.ctx, "identity:delete_trust", target(&trust))?;
    s.identity.delete_trust(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_roles(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    let trust = s.identity.get_trust(&id).await?;
    s.enforce(&caller.ctx, "identity:list_roles_for_trust", target(&trust))?;
    let delegated = s.identity.trust_roles(&trust).await?;
    Ok(Json(s.list("roles", &format!("OS-TRUST/trusts/{id}/roles"), delegated.iter().map(|r| roles::render(&s.links, r)).collect())))
}

async fn show_role(State(s): State<AppState>, caller: Caller, Path((id, role_id)): Path<(String, String)>) -> Result<Json<Value>> {
    let trust = s.identity.get_trust(&id).await?;
    s.enforce(&caller.ctx, "identity:get_role_for_trust", target(&trust))?;
    let role = s.identity.trust_roles(&trust).await?.into_iter().find(|r| r.id == role_id);
    let role = role.ok_or_else(|| Error::NotFound { kind: "role", id: role_id })?;
    Ok(Json(json!({"role": roles::render(&s.links, &role)})))
}

async fn check_role(state: State<AppState>, caller: Caller, path: Path<(String, String)>) -> Result<StatusCode> {
    show_role(state, caller, path).await.map(|_| StatusCode::OK)
}

/// Trust routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/OS-TRUST/trusts", get(list).post(create))
        .route("/v3/OS-TRUST/trusts/{id}", get(show).delete(delete))
        .route("/v3/OS-TRUST/trusts/{id}/roles", get(list_roles))
        .route("/v3/OS-TRUST/trusts/{id}/roles/{role}", get(show_role).head(check_role))
}
