//! `POST /os-server-external-events`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use http_api::Authenticated;

use super::{AppState, json, json_body};
use crate::api::server_external_events as wire;
use crate::domain::{Result, Version};

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let events = wire::parse_create(&json_body(&headers, &body)?, version)?;
    let outcomes = s.compute.server_external_events(&ctx, events).await?;
    let (code, body) = wire::render(&outcomes);
    Ok(json(StatusCode::from_u16(code).unwrap_or(StatusCode::MULTI_STATUS), body))
}

/// The external event route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/os-server-external-events", post(create))
}
