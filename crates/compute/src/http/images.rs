//! `/images`, `/images/detail`, `/images/{id}` and `/images/{id}/metadata[/{key}]`:
//! the image proxy, served up to 2.35 (metadata up to 2.38) as Nova serves it.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Extension, Json, Router};
use common::RequestContext;
use http_api::Authenticated;
use serde_json::{Value, json};

use super::servers::user_token;
use super::{AppState, json_body};
use crate::api::images::{self as wire, MAX_METADATA_MINOR, MAX_PROXY_MINOR};
use crate::api::servers::{parse_meta_item, parse_metadata};
use crate::api::{next_link, query_pairs};
use crate::domain::{Error, Result, Version};

/// The proxy's routes exist only up to `max`.
fn served(version: Version, max: u16) -> Result<()> {
    if version.0 <= max { Ok(()) } else { Err(Error::NotFound("The resource could not be found.".into())) }
}

async fn list(s: &AppState, ctx: &RequestContext, headers: &HeaderMap, raw: Option<&str>, detail: bool) -> Result<Json<Value>> {
    let pairs = query_pairs(raw)?;
    let query = wire::parse_list(&pairs)?;
    let images = s.compute.list_images(ctx, &user_token(headers)?, &query).await?;
    let glance = s.compute.image_endpoint().await?;
    let items: Vec<Value> = images
        .iter()
        .map(|i| if detail { wire::render(i, &s.endpoint, &glance) } else { wire::render_brief(i, &s.endpoint, &glance) })
        .collect();
    let mut body = json!({"images": items});
    if let (Some(limit), Some(last)) = (wire::limit(&pairs), images.last())
        && images.len() == limit
    {
        let path = if detail { "images/detail" } else { "images" };
        body["images_links"] = next_link(&format!("{}/v2.1/{path}", s.endpoint), &pairs, last["id"].as_str().unwrap_or_default());
    }
    Ok(Json(body))
}

async fn index(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    served(version, MAX_PROXY_MINOR)?;
    list(&s, &ctx, &headers, raw.as_deref(), false).await
}

async fn detail(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    served(version, MAX_PROXY_MINOR)?;
    list(&s, &ctx, &headers, raw.as_deref(), true).await
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    served(version, MAX_PROXY_MINOR)?;
    let image = s.compute.show_image(&ctx, &user_token(&headers)?, &id).await?;
    Ok(Json(json!({"image": wire::render(&image, &s.endpoint, &s.compute.image_endpoint().await?)})))
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    served(version, MAX_PROXY_MINOR)?;
    s.compute.delete_image(&ctx, &user_token(&headers)?, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn metadata_index(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    served(version, MAX_METADATA_MINOR)?;
    Ok(Json(json!({"metadata": s.compute.image_metadata(&ctx, &user_token(&headers)?, &id).await?})))
}

async fn metadata_merge(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    served(version, MAX_METADATA_MINOR)?;
    let items = parse_metadata(&json_body(&headers, &body)?, "metadata")?;
    Ok(Json(json!({"metadata": s.compute.merge_image_metadata(&ctx, &user_token(&headers)?, &id, items).await?})))
}

async fn metadata_replace(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    served(version, MAX_METADATA_MINOR)?;
    let items = parse_metadata(&json_body(&headers, &body)?, "metadata")?;
    s.compute.replace_image_metadata(&ctx, &user_token(&headers)?, &id, items.clone()).await?;
    Ok(Json(json!({ "metadata": items })))
}

async fn metadata_show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path((id, key)): Path<(String, String)>,
) -> Result<Json<Value>> {
    served(version, MAX_METADATA_MINOR)?;
    let metadata = s.compute.image_metadata(&ctx, &user_token(&headers)?, &id).await?;
    let value = metadata.get(&key).ok_or_else(|| Error::NotFound("The resource could not be found.".into()))?;
    Ok(Json(json!({"meta": {key: value}})))
}

async fn metadata_update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path((id, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>> {
    served(version, MAX_METADATA_MINOR)?;
    let value = parse_meta_item(&json_body(&headers, &body)?, &key)?;
    let items = BTreeMap::from([(key.clone(), value.clone())]);
    s.compute.merge_image_metadata(&ctx, &user_token(&headers)?, &id, items).await?;
    Ok(Json(json!({"meta": {key: value}})))
}

async fn metadata_delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode> {
    served(version, MAX_METADATA_MINOR)?;
    s.compute.delete_image_metadata_item(&ctx, &user_token(&headers)?, &id, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The image proxy's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/images", get(index))
        .route("/images/detail", get(detail))
        .route("/images/{id}", get(show).delete(delete))
        .route("/images/{id}/metadata", get(metadata_index).post(metadata_merge).put(metadata_replace))
        .route("/images/{id}/metadata/{key}", get(metadata_show).put(metadata_update).delete(metadata_delete))
}
