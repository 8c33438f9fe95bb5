//! `/v2/images` and `/v2/images/{id}`: create, list, show, update, delete.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body, page_links, query_pairs};
use crate::api::images as wire;
use crate::domain::Result;

async fn create(State(s): State<AppState>, Authenticated(ctx): Authenticated, body: Bytes) -> Result<Response> {
    let req = wire::parse_create(&json_body(&body)?)?;
    let image = s.images.create(&ctx, req).await?;
    let mut res = (StatusCode::CREATED, Json(wire::render(&image))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{}/v2/images/{}", s.endpoint, image.id)) {
        res.headers_mut().insert(header::LOCATION, location);
    }
    Ok(res)
}

async fn list(State(s): State<AppState>, Authenticated(ctx): Authenticated, RawQuery(raw): RawQuery) -> Result<Json<Value>> {
    let params = query_pairs(raw.as_deref())?;
    let query = wire::parse_list_query(&params)?;
    let page = s.images.list(&ctx, &query).await?;
    let last = page.images.last().filter(|_| page.full).map(|i| i.id.as_str());
    let (first, next) = page_links("/v2/images", params, last);
    let mut body =
        json!({"images": page.images.iter().map(wire::render).collect::<Vec<_>>(), "first": first, "schema": "/v2/schemas/images"});
    if let Some(next) = next {
        body["next"] = json!(next);
    }
    Ok(Json(body))
}

async fn show(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<Json<Value>> {
    Ok(Json(wire::render(&s.images.get(&ctx, &id).await?)))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let dialect = wire::patch_dialect(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()))?;
    let changes = wire::parse_patch(dialect, &json_body(&body)?)?;
    Ok(Json(wire::render(&s.images.update(&ctx, &id, dialect, changes).await?)))
}

async fn delete(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<StatusCode> {
    s.images.delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn deactivate(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<StatusCode> {
    s.images.set_active(&ctx, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reactivate(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<StatusCode> {
    s.images.set_active(&ctx, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Image routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/images", get(list).post(create))
        .route("/v2/images/{id}", get(show).patch(update).delete(delete))
        .route("/v2/images/{id}/actions/deactivate", axum::routing::post(deactivate))
        .route("/v2/images/{id}/actions/reactivate", axum::routing::post(reactivate))
}
