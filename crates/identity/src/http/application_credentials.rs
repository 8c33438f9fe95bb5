//! `/v3/users/{user}/application_credentials`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_eq, json_body};
use crate::api::application_credentials as wire;
use crate::domain::Result;

async fn list(State(s): State<AppState>, caller: Caller, Path(user): Path<String>, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_application_credentials", json!({"user_id": user}))?;
    let mut creds = s.identity.list_app_creds(&user).await?;
    filter_eq(&mut creds, &q, "name", |a| Some(&a.name));
    let roles = s.identity.store().list_roles().await?;
    let rendered = creds.iter().map(|a| wire::render(&s.links, a, &roles, None)).collect();
    Ok(Json(s.list("application_credentials", &format!("users/{user}/application_credentials"), rendered)))
}

async fn create(State(s): State<AppState>, caller: Caller, Path(user): Path<String>, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let req = wire::parse_create(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_application_credential", json!({"user_id": user}))?;
    let (cred, secret) = s.identity.create_app_cred(&caller.token, &user, req).await?;
    let roles = s.identity.store().list_roles().await?;
    Ok((StatusCode::CREATED, Json(json!({"application_credential": wire::render(&s.links, &cred, &roles, Some(&secret))}))))
}

async fn show(State(s): State<AppState>, caller: Caller, Path((user, id)): Path<(String, String)>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_application_credential", json!({"user_id": user}))?;
    let cred = s.identity.get_app_cred(&user, &id).await?;
    let roles = s.identity.store().list_roles().await?;
    Ok(Json(json!({"application_credential": wire::render(&s.links, &cred, &roles, None)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path((user, id)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_application_credential", json!({"user_id": user}))?;
    s.identity.delete_app_cred(&caller.token, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Application credential routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/users/{user}/application_credentials", get(list).post(create))
        .route("/v3/users/{user}/application_credentials/{id}", get(show).delete(delete))
}
