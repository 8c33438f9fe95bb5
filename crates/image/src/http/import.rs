//! Interoperable import and stores: `/v2/info/import`, `/v2/info/stores`,
//! `/v2/info/usage`, `PUT /v2/images/{id}/stage`, `POST /v2/images/{id}/import` and
//! `DELETE /v2/stores/{store}/{id}`.

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::tasks as wire;
use crate::domain::{Error, Result};

/// The header that names the store data goes to.
const STORE_HEADER: &str = "x-image-meta-store";

/// The store a request's `X-Image-Meta-Store` header names.
pub(super) fn header_store(headers: &HeaderMap) -> Option<&str> {
    headers.get(STORE_HEADER).and_then(|v| v.to_str().ok())
}

async fn import_methods(State(s): State<AppState>, _: Authenticated) -> Json<Value> {
    Json(json!({"import-methods": {"description": "Import methods available.", "type": "array", "value": s.images.import_methods()}}))
}

async fn stores(State(s): State<AppState>, _: Authenticated) -> Result<Json<Value>> {
    let backends = s.images.backends();
    if !backends.is_multiple() {
        return Err(Error::NotFound("Multi backend is not supported at this site.".into()));
    }
    let stores: Vec<Value> = backends
        .all()
        .iter()
        .map(|b| {
            let mut store = json!({"id": b.id});
            if let Some(description) = &b.description {
                store["description"] = json!(description);
            }
            if b.id == backends.default_id() {
                store["default"] = json!("true");
            }
            store
        })
        .collect();
    Ok(Json(json!({"stores": stores})))
}

async fn usage(State(s): State<AppState>, Authenticated(ctx): Authenticated) -> Result<Json<Value>> {
    let usage: serde_json::Map<String, Value> = s
        .images
        .quota_usage(&ctx)
        .await?
        .into_iter()
        .map(|(resource, limit, used)| (resource.to_owned(), json!({"limit": limit, "usage": used})))
        .collect();
    Ok(Json(json!({"usage": usage})))
}

async fn delete_from_store(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((store, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.images.delete_from_store(&ctx, &store, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn stage(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    super::require_octet_stream(&headers)?;
    s.images.stage(&ctx, &id, body.into_data_stream()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn import(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let req = wire::parse_import(json_body(&body)?, header_store(&headers))?;
    s.images.import(&ctx, &id, req).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Import routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/info/import", get(import_methods))
        .route("/v2/info/stores", get(stores))
        .route("/v2/info/usage", get(usage))
        .route("/v2/stores/{store}/{id}", axum::routing::delete(delete_from_store))
        .route("/v2/images/{id}/stage", put(stage).layer(DefaultBodyLimit::disable()))
        .route("/v2/images/{id}/import", post(import))
}
