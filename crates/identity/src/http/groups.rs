//! `/v3/groups` and membership.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_eq, json_body};
use crate::api::{groups as wire, users};
use crate::domain::Result;

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_groups", json!({"domain_id": q.get("domain_id")}))?;
    let mut groups = s.identity.store().list_groups().await?;
    filter_eq(&mut groups, &q, "name", |g| Some(&g.name));
    filter_eq(&mut groups, &q, "domain_id", |g| Some(&g.domain_id));
    Ok(Json(s.list("groups", "groups", groups.iter().map(|g| wire::render(&s.links, g)).collect())))
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let default_domain = caller.ctx.domain_id().unwrap_or(&caller.ctx.user_domain_id).to_owned();
    let group = wire::parse_create(&json_body(&body)?, &default_domain)?;
    s.enforce(&caller.ctx, "identity:create_group", json!({"target": {"group": {"domain_id": group.domain_id}}}))?;
    let group = s.identity.create_group(group).await?;
    Ok((StatusCode::CREATED, Json(json!({"group": wire::render(&s.links, &group)}))))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_group", json!({"target": {"group": {"id": id}}}))?;
    Ok(Json(json!({"group": wire::render(&s.links, &s.identity.get_group(&id).await?)})))
}

async fn update(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_group", json!({"target": {"group": {"id": id}}}))?;
    let before = s.identity.get_group(&id).await?;
    let group = s.identity.update_group(wire::apply_update(&before, &body)?).await?;
    Ok(Json(json!({"group": wire::render(&s.links, &group)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_group", json!({"target": {"group": {"id": id}}}))?;
    s.identity.delete_group(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn members(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_users_in_group", json!({"target": {"group": {"id": id}}}))?;
    s.identity.get_group(&id).await?;
    let list = s.identity.store().list_users_in_group(&id).await?;
    let mut rendered = Vec::with_capacity(list.len());
    for u in &list {
        rendered.push(users::render(&s.links, u, s.identity.password_expires_at(&u.id).await?));
    }
    Ok(Json(s.list("users", &format!("groups/{id}/users"), rendered)))
}

async fn add_member(State(s): State<AppState>, caller: Caller, Path((group, user)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:add_user_to_group", json!({"target": {"group": {"id": group}, "user": {"id": user}}}))?;
    s.identity.add_user_to_group(&group, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn check_member(State(s): State<AppState>, caller: Caller, Path((group, user)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:check_user_in_group", json!({"target": {"group": {"id": group}, "user": {"id": user}}}))?;
    s.identity.check_user_in_group(&group, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(State(s): State<AppState>, caller: Caller, Path((group, user)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:remove_user_from_group", json!({"target": {"group": {"id": group}, "user": {"id": user}}}))?;
    s.identity.remove_user_from_group(&group, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `/v3/groups`, `/v3/groups/{id}` and membership.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/groups", get(list).post(create))
        .route("/v3/groups/{id}", get(show).patch(update).delete(delete))
        .route("/v3/groups/{id}/users", get(members))
        .route("/v3/groups/{group}/users/{user}", put(add_member).head(check_member).get(check_member).delete(remove_member))
}
