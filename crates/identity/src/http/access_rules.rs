//! `/v3/users/{user}/access_rules`: the access rules a user's application credentials
//! name, and those they named once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_eq};
use crate::api::access_rules as wire;
use crate::domain::Result;

async fn list(State(s): State<AppState>, caller: Caller, Path(user): Path<String>, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_access_rules", json!({"target": {"user": {"id": user}}}))?;
    let mut rules = s.identity.list_access_rules(&user).await?;
    filter_eq(&mut rules, &q, "service", |r| Some(&r.service));
    filter_eq(&mut rules, &q, "path", |r| Some(&r.path));
    filter_eq(&mut rules, &q, "method", |r| Some(&r.method));
    let rendered = rules.iter().map(|r| wire::render(&s.links, r)).collect();
    Ok(Json(s.list("access_rules", &format!("users/{user}/access_rules"), rendered)))
}

async fn show(State(s): State<AppState>, caller: Caller, Path((user, id)): Path<(String, String)>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_access_rule", json!({"target": {"user": {"id": user}}}))?;
    let rule = s.identity.get_access_rule(&user, &id).await?;
    Ok(Json(json!({"access_rule": wire::render(&s.links, &rule)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path((user, id)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_access_rule", json!({"target": {"user": {"id": user}}}))?;
    s.identity.delete_access_rule(&caller.token, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Access rule routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v3/users/{user}/access_rules", get(list)).route("/v3/users/{user}/access_rules/{id}", get(show).delete(delete))
}
