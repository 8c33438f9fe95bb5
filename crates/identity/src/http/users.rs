//! `/v3/users`, their password, projects and groups.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_enabled, filter_eq, json_body};
use crate::api::{groups, projects, users as wire};
use crate::domain::Result;

async fn render(s: &AppState, user: &crate::store::UserRow) -> Result<Value> {
    let expires = s.identity.password_expires_at(&user.id).await?;
    Ok(wire::render(&s.links, user, expires))
}

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_users", json!({"domain_id": q.get("domain_id")}))?;
    let mut users = s.identity.store().list_users().await?;
    filter_eq(&mut users, &q, "name", |u| Some(&u.name));
    filter_eq(&mut users, &q, "domain_id", |u| Some(&u.domain_id));
    filter_enabled(&mut users, &q, |u| u.enabled);
    let mut rendered = Vec::with_capacity(users.len());
    for u in &users {
        rendered.push(render(&s, u).await?);
    }
    Ok(Json(s.list("users", "users", rendered)))
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let default_domain = caller.ctx.domain_id().unwrap_or(&caller.ctx.user_domain_id).to_owned();
    let (user, password) = wire::parse_create(&json_body(&body)?, &default_domain)?;
    s.enforce(&caller.ctx, "identity:create_user", json!({"target": {"user": {"domain_id": user.domain_id}}}))?;
    let user = s.identity.create_user(user, password.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(json!({"user": render(&s, &user).await?}))))
}

fn user_target(id: &str, domain_id: Option<&str>) -> Value {
    json!({"target": {"user": {"id": id, "domain_id": domain_id}}})
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    let user = s.identity.get_user(&id).await;
    let domain_id = user.as_ref().ok().map(|u| u.domain_id.clone());
    s.enforce(&caller.ctx, "identity:get_user", user_target(&id, domain_id.as_deref()))?;
    Ok(Json(json!({"user": render(&s, &user?).await?})))
}

async fn update(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    let before = s.identity.get_user(&id).await;
    let domain_id = before.as_ref().ok().map(|u| u.domain_id.clone());
    s.enforce(&caller.ctx, "identity:update_user", user_target(&id, domain_id.as_deref()))?;
    let before = before?;
    let (after, password) = wire::apply_update(&before, &body)?;
    let user = s.identity.update_user(&before, after, password.as_deref()).await?;
    Ok(Json(json!({"user": render(&s, &user).await?})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_user", user_target(&id, None))?;
    s.identity.delete_user(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Self-service password change. Needs no token: the original password is the proof,
/// and a user whose password has expired has no other way to get one.
async fn change_password(State(s): State<AppState>, Path(id): Path<String>, body: Bytes) -> Result<StatusCode> {
    let (new, original) = wire::parse_change_password(&json_body(&body)?)?;
    s.identity.change_own_password(&id, &original, &new).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn user_projects(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    let user = s.identity.get_user(&id).await;
    let domain_id = user.as_ref().ok().map(|u| u.domain_id.clone());
    s.enforce(&caller.ctx, "identity:list_user_projects", user_target(&id, domain_id.as_deref()))?;
    let list = s.identity.projects_for_user(&user?.id).await?;
    Ok(Json(s.list("projects", &format!("users/{id}/projects"), list.iter().map(|p| projects::render(&s.links, p)).collect())))
}

async fn user_groups(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_groups_for_user", json!({"user_id": id}))?;
    s.identity.get_user(&id).await?;
    let list = s.identity.store().list_groups_for_user(&id).await?;
    Ok(Json(s.list("groups", &format!("users/{id}/groups"), list.iter().map(|g| groups::render(&s.links, g)).collect())))
}

/// `/v3/users` and what hangs off a user.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/users", get(list).post(create))
        .route("/v3/users/{id}", get(show).patch(update).delete(delete))
        .route("/v3/users/{id}/password", post(change_password))
        .route("/v3/users/{id}/projects", get(user_projects))
        .route("/v3/users/{id}/groups", get(user_groups))
}
