//! `/v3/credentials`, `/v3/users/{user}/credentials/OS-EC2` and `/v3/policies`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, json_body};
use crate::api::credentials as wire;
use crate::domain::{Error, Result, ec2_credential_id};

fn target(user_id: &str) -> Value {
    json!({"target": {"credential": {"user_id": user_id}}})
}

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    let all = s.identity.list_credentials(q.get("user_id").map(String::as_str), q.get("type").map(String::as_str)).await?;
    // As in Keystone, a caller sees the credentials policy lets them see, not a 403.
    let visible: Vec<Value> = all
        .iter()
        .filter(|c| s.enforce(&caller.ctx, "identity:list_credentials", target(&c.user_id)).is_ok())
        .map(|c| wire::render(&s.links, c))
        .collect();
    Ok(Json(s.list("credentials", "credentials", visible)))
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let credential = wire::parse_create(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_credential", target(&credential.user_id))?;
    let credential = s.identity.create_credential(credential).await?;
    Ok((StatusCode::CREATED, Json(json!({"credential": wire::render(&s.links, &credential)}))))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    let credential = s.identity.get_credential(&id).await?;
    s.enforce(&caller.ctx, "identity:get_credential", target(&credential.user_id))?;
    Ok(Json(json!({"credential": wire::render(&s.links, &credential)})))
}

async fn update(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    let before = s.identity.get_credential(&id).await?;
    s.enforce(&caller.ctx, "identity:update_credential", target(&before.user_id))?;
    let after = wire::apply_update(&before, &body)?;
    s.enforce(&caller.ctx, "identity:update_credential", target(&after.user_id))?;
    let credential = s.identity.update_credential(after).await?;
    Ok(Json(json!({"credential": wire::render(&s.links, &credential)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    let credential = s.identity.get_credential(&id).await?;
    s.enforce(&caller.ctx, "identity:delete_credential", target(&credential.user_id))?;
    s.identity.delete_credential(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn ec2_list(State(s): State<AppState>, caller: Caller, Path(user): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:ec2_list_credentials", json!({"user_id": user}))?;
    s.identity.get_user(&user).await?;
    let creds = s.identity.list_credentials(Some(&user), Some("ec2")).await?;
    Ok(Json(s.list(
        "credentials",
        &format!("users/{user}/credentials/OS-EC2"),
        creds.iter().map(|c| wire::render_ec2(&s.links, c)).collect(),
    )))
}

async fn ec2_create(State(s): State<AppState>, caller: Caller, Path(user): Path<String>, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let project_id = wire::parse_ec2_create(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:ec2_create_credential", json!({"user_id": user}))?;
    s.identity.get_user(&user).await?;
    let credential = s.identity.create_ec2_credential(&user, &project_id).await?;
    Ok((StatusCode::CREATED, Json(json!({"credential": wire::render_ec2(&s.links, &credential)}))))
}

async fn ec2_credential(s: &AppState, user: &str, access: &str) -> Result<crate::domain::Credential> {
    let credential = s.identity.get_credential(&ec2_credential_id(access)).await?;
    if credential.user_id != user || credential.credential_type != "ec2" {
        return Err(Error::NotFound { kind: "credential", id: access.to_owned() });
    }
    Ok(credential)
}

async fn ec2_show(State(s): State<AppState>, caller: Caller, Path((user, access)): Path<(String, String)>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:ec2_get_credential", json!({"user_id": user}))?;
    let credential = ec2_credential(&s, &user, &access).await?;
    Ok(Json(json!({"credential": wire::render_ec2(&s.links, &credential)})))
}

async fn ec2_delete(State(s): State<AppState>, caller: Caller, Path((user, access)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:ec2_delete_credential", json!({"user_id": user}))?;
    let credential = ec2_credential(&s, &user, &access).await?;
    s.identity.delete_credential(&credential.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_policies(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_policies", json!({}))?;
    let all = s.identity.store().list_policies().await?;
    Ok(Json(s.list("policies", "policies", all.iter().map(|p| wire::render_policy(&s.links, p)).collect())))
}

async fn create_policy(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let policy = wire::parse_policy(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_policy", json!({}))?;
    let policy = s.identity.create_policy(policy).await?;
    Ok((StatusCode::CREATED, Json(json!({"policy": wire::render_policy(&s.links, &policy)}))))
}

async fn show_policy(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_policy", json!({}))?;
    Ok(Json(json!({"policy": wire::render_policy(&s.links, &s.identity.get_policy(&id).await?)})))
}

async fn update_policy(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_policy", json!({}))?;
    let before = s.identity.get_policy(&id).await?;
    let policy = s.identity.update_policy(wire::apply_policy_update(&before, &body)?).await?;
    Ok(Json(json!({"policy": wire::render_policy(&s.links, &policy)})))
}

async fn delete_policy(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_policy", json!({}))?;
    s.identity.delete_policy(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Credential and policy-blob routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/credentials", get(list).post(create))
        .route("/v3/credentials/{id}", get(show).patch(update).delete(delete))
        .route("/v3/users/{user}/credentials/OS-EC2", get(ec2_list).post(ec2_create))
        .route("/v3/users/{user}/credentials/OS-EC2/{access}", get(ec2_show).delete(ec2_delete))
        .route("/v3/policies", get(list_policies).post(create_policy))
        .route("/v3/policies/{id}", get(show_policy).patch(update_policy).delete(delete_policy))
}
