//! `/os-hosts`, `/os-hosts/{host}` and `/os-hosts/{host}/{reboot|shutdown|startup}`,
//! served up to 2.42.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::hosts::{self as wire, MAX_MINOR};
use crate::api::{last, query_pairs};
use crate::domain::{Error, Result, Version};

fn served(version: Version) -> Result<()> {
    if version.0 <= MAX_MINOR { Ok(()) } else { Err(Error::NotFound("The resource could not be found.".into())) }
}

async fn index(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    served(version)?;
    let pairs = query_pairs(raw.as_deref())?;
    let hosts = s.compute.list_hosts(&ctx, last(&pairs, "zone")).await?;
    Ok(Json(json!({"hosts": hosts.iter().map(wire::render_listed).collect::<Vec<_>>()})))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(host): Path<String>,
) -> Result<Json<Value>> {
    served(version)?;
    Ok(Json(wire::render_resources(&host, &s.compute.show_host(&ctx, &host).await?)))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(host): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    served(version)?;
    let update = wire::parse_update(&json_body(&headers, &body)?)?;
    s.compute.update_host(&ctx, &host, update.enable, update.maintenance).await?;
    let mut answer = json!({ "host": host });
    if let Some(enable) = update.enable {
        answer["status"] = json!(if enable { "enabled" } else { "disabled" });
    }
    Ok(Json(answer))
}

async fn power(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((host, action)): Path<(String, String)>,
) -> Result<Json<Value>> {
    served(version)?;
    if !matches!(action.as_str(), "reboot" | "shutdown" | "startup") {
        return Err(Error::NotFound("The resource could not be found.".into()));
    }
    match s.compute.host_power_action(&ctx, &host, &action).await? {}
}

/// The host routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-hosts", get(index))
        .route("/os-hosts/{host}", get(show).put(update))
        .route("/os-hosts/{host}/{action}", get(power))
}
