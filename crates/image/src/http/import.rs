//! Interoperable import: `/v2/info/import`, `/v2/info/stores`, `PUT /v2/images/{id}/stage`
//! and `POST /v2/images/{id}/import`.

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post, put};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::tasks as wire;
use crate::domain::import::IMPORT_METHODS;
use crate::domain::{Error, Result};

async fn import_methods(_: Authenticated) -> Json<Value> {
    Json(json!({"import-methods": {"description": "Import methods available.", "type": "array", "value": IMPORT_METHODS}}))
}

async fn stores(_: Authenticated) -> Result<Json<Value>> {
    Err(Error::NotFound("Multi backend is not supported at this site.".into()))
}

async fn stage(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if media.split(';').next().unwrap_or("").trim() != "application/octet-stream" {
        return Err(Error::UnsupportedMediaType("Staged data must be sent as application/octet-stream.".into()));
    }
    s.images.stage(&ctx, &id, body.into_data_stream()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn import(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>, body: Bytes) -> Result<StatusCode> {
    let req = wire::parse_import(json_body(&body)?)?;
    s.images.import(&ctx, &id, req).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Import routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/info/import", get(import_methods))
        .route("/v2/info/stores", get(stores))
        .route("/v2/images/{id}/stage", put(stage).layer(DefaultBodyLimit::disable()))
        .route("/v2/images/{id}/import", post(import))
}
