//! `/os-keypairs`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json, json_body};
use crate::api::keypairs as wire;
use crate::api::{next_link, query_pairs};
use crate::domain::flavors::MAX_LIMIT;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = wire::parse_query(&pairs, version, true)?;
    let page_size = version.at_least(35).then(|| q.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT));
    let keys = s.compute.list_keypairs(&ctx, q.user_id.as_deref(), q.marker.as_deref(), page_size).await?;
    let mut body = json!({"keypairs": keys.iter().map(|k| wire::render_item(k, version)).collect::<Vec<_>>()});
    if let Some(size) = page_size
        && size > 0
        && keys.len() == size
        && let Some(last) = keys.last()
    {
        body["keypairs_links"] = next_link(&format!("{}/v2.1/os-keypairs", s.endpoint), &pairs, &last.name);
    }
    Ok(Json(body))
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let new = wire::parse_create(&json_body(&headers, &body)?, version)?;
    let created = s.compute.create_keypair(&ctx, new).await?;
    let status = if version.at_least(2) { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json(status, wire::render_created(&created, version)))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let q = wire::parse_query(&query_pairs(raw.as_deref())?, version, false)?;
    let keypair = s.compute.get_keypair(&ctx, &name, q.user_id.as_deref()).await?;
    Ok(Json(wire::render_show(&keypair, version)))
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode> {
    let q = wire::parse_query(&query_pairs(raw.as_deref())?, version, false)?;
    s.compute.delete_keypair(&ctx, &name, q.user_id.as_deref()).await?;
    Ok(if version.at_least(2) { StatusCode::NO_CONTENT } else { StatusCode::ACCEPTED })
}

/// The key pair routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/os-keypairs", get(list).post(create)).route("/os-keypairs/{name}", get(show).delete(delete))
}
