//! `/v2/images/{id}/members` and `/v2/images/{id}/members/{member}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json_body};
use crate::api::members as wire;
use crate::domain::Result;

async fn add(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    Ok(Json(wire::render(&s.images.add_member(&ctx, &id, wire::parse_add(&body)?).await?)))
}

async fn list(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<Json<Value>> {
    Ok(Json(wire::render_list(&s.images.list_members(&ctx, &id).await?)))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, member)): Path<(String, String)>,
) -> Result<Json<Value>> {
    Ok(Json(wire::render(&s.images.get_member(&ctx, &id, &member).await?)))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, member)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    Ok(Json(wire::render(&s.images.update_member(&ctx, &id, &member, wire::parse_status(&body)?).await?)))
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, member)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.images.delete_member(&ctx, &id, &member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Member routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/images/{id}/members", get(list).post(add))
        .route("/v2/images/{id}/members/{member}", get(show).put(update).delete(delete))
}
