//! `/os-server-groups`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::query_pairs;
use crate::api::server_groups as wire;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let (all_projects, limit, offset) = wire::parse_list_query(&query_pairs(raw.as_deref())?, version)?;
    let groups = s.compute.list_server_groups(&ctx, all_projects).await?;
    let page = groups.iter().skip(offset).take(limit.unwrap_or(crate::domain::flavors::MAX_LIMIT).min(crate::domain::flavors::MAX_LIMIT));
    Ok(Json(json!({"server_groups": page.map(|g| wire::render(g, version)).collect::<Vec<_>>()})))
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let new = wire::parse_create(&json_body(&headers, &body)?, version)?;
    let group = s.compute.create_server_group(&ctx, new).await?;
    Ok(Json(json!({"server_group": wire::render(&group, version)})))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let group = s.compute.get_server_group(&ctx, &id).await?;
    Ok(Json(json!({"server_group": wire::render(&group, version)})))
}

async fn delete(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<StatusCode> {
    s.compute.delete_server_group(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The server group routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/os-server-groups", get(list).post(create)).route("/os-server-groups/{id}", get(show).delete(delete))
}
