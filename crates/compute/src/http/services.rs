//! `/os-services`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::query_pairs;
use crate::api::services as wire;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let (host, binary) = wire::parse_list_query(&query_pairs(raw.as_deref())?, version)?;
    let services = s.compute.list_services(&ctx, host.as_deref(), binary.as_deref()).await?;
    Ok(Json(json!({"services": services.iter().map(|v| wire::render(v, version)).collect::<Vec<_>>()})))
}

/// `PUT /os-services/{uuid}` from 2.53; before, `PUT /os-services/{action}`.
async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let body = json_body(&headers, &body)?;
    if version.at_least(53) {
        let target = wire::parse_id(&id, version)?;
        let change = wire::parse_update(&body)?;
        let service = s.compute.update_service(&ctx, &target, &change).await?;
        return Ok(Json(json!({"service": wire::render(&service, version)})));
    }
    let (action, host, binary, change) = wire::parse_legacy(&id, &body, version)?;
    let found = s.compute.find_service_by_host(&ctx, &host, &binary).await?;
    let target = crate::domain::ItemId::Uuid(found.service.uuid);
    let service = s.compute.update_service(&ctx, &target, &change).await?;
    Ok(Json(wire::render_legacy(action, &service)))
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    s.compute.delete_service(&ctx, &wire::parse_id(&id, version)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The service routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/os-services", get(list)).route("/os-services/{id}", put(update).delete(delete))
}
