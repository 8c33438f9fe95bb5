//! `/os-hypervisors` and `/os-availability-zone`.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::AppState;
use crate::api::hypervisors as wire;
use crate::api::{next_link, query_pairs};
use crate::domain::{Error, Result, Version};

async fn list(s: State<AppState>, auth: Authenticated, v: Extension<Version>, raw: RawQuery) -> Result<Json<Value>> {
    list_view(s, auth, v, raw, false).await
}

async fn detail(s: State<AppState>, auth: Authenticated, v: Extension<Version>, raw: RawQuery) -> Result<Json<Value>> {
    list_view(s, auth, v, raw, true).await
}

async fn list_view(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
    detailed: bool,
) -> Result<Json<Value>> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = wire::parse_list_query(&pairs, version)?;
    let all = s.compute.list_hypervisors(&ctx, detailed, q.pattern.as_deref()).await?;
    let page = wire::page(all, &q, version)?;
    let uptimes = if detailed && version.at_least(88) { s.compute.uptimes(&page, &ctx.request_id).await } else { vec![None; page.len()] };
    let mut items = Vec::with_capacity(page.len());
    for (h, up) in page.iter().zip(&uptimes) {
        let servers = if q.with_servers { Some(s.compute.hypervisor_servers(h).await?) } else { None };
        items.push(wire::render(h, version, detailed, up.as_deref(), servers.as_deref()));
    }
    let mut body = json!({ "hypervisors": items });
    if let (Some(limit), Some(last)) = (q.limit, page.last())
        && limit > 0
        && page.len() == limit
    {
        let marker = if version.at_least(53) { last.node.uuid.clone() } else { last.node.id.to_string() };
        let path = if detailed { "os-hypervisors/detail" } else { "os-hypervisors" };
        body["hypervisors_links"] = next_link(&format!("{}/v2.1/{path}", s.endpoint), &pairs, &marker);
    }
    Ok(Json(body))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let pairs = query_pairs(raw.as_deref())?;
    crate::api::strict_query(&pairs, &["with_servers"], version.at_least(53))?;
    let with_servers = version.at_least(53) && crate::api::last(&pairs, "with_servers").and_then(crate::api::strict_bool).unwrap_or(false);
    let h = s.compute.get_hypervisor(&ctx, &wire::parse_id(&id, version)?).await?;
    let uptime = if version.at_least(88) { s.compute.uptimes(std::slice::from_ref(&h), &ctx.request_id).await.remove(0) } else { None };
    let servers = if with_servers { Some(s.compute.hypervisor_servers(&h).await?) } else { None };
    Ok(Json(json!({"hypervisor": wire::render(&h, version, true, uptime.as_deref(), servers.as_deref())})))
}

async fn uptime(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    if version.at_least(88) {
        return Err(Error::NotFound("The resource could not be found.".into()));
    }
    let (h, uptime) = s.compute.hypervisor_uptime(&ctx, &wire::parse_id(&id, version)?).await?;
    let mut v = wire::render(&h, version, false, None, None);
    v["uptime"] = json!(uptime);
    Ok(Json(json!({ "hypervisor": v })))
}

async fn statistics(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
) -> Result<Json<Value>> {
    if version.at_least(88) {
        return Err(Error::NotFound("The resource could not be found.".into()));
    }
    Ok(Json(wire::render_statistics(&s.compute.hypervisor_statistics(&ctx).await?)))
}

/// `/os-hypervisors/{pattern}/search` and `/servers`, before 2.53.
async fn search(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((pattern, what)): Path<(String, String)>,
) -> Result<Json<Value>> {
    if version.at_least(53) || !matches!(what.as_str(), "search" | "servers") {
        return Err(Error::NotFound("The resource could not be found.".into()));
    }
    let found = s.compute.list_hypervisors(&ctx, false, Some(&pattern)).await?;
    let mut items = Vec::with_capacity(found.len());
    for h in &found {
        let servers = if what == "servers" { Some(s.compute.hypervisor_servers(h).await?) } else { None };
        items.push(wire::render(h, version, false, None, servers.as_deref()));
    }
    Ok(Json(json!({ "hypervisors": items })))
}

async fn zones(s: State<AppState>, auth: Authenticated) -> Result<Json<Value>> {
    zone_view(s, auth, false).await
}

async fn zones_detail(s: State<AppState>, auth: Authenticated) -> Result<Json<Value>> {
    zone_view(s, auth, true).await
}

async fn zone_view(State(s): State<AppState>, Authenticated(ctx): Authenticated, detailed: bool) -> Result<Json<Value>> {
    Ok(Json(wire::render_zones(&s.compute.availability_zones(&ctx, detailed).await?, detailed)))
}

/// The hypervisor and availability zone routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-hypervisors", get(list))
        .route("/os-hypervisors/detail", get(detail))
        .route("/os-hypervisors/statistics", get(statistics))
        .route("/os-hypervisors/{id}", get(show))
        .route("/os-hypervisors/{id}/uptime", get(uptime))
        .route("/os-hypervisors/{id}/{what}", get(search))
        .route("/os-availability-zone", get(zones))
        .route("/os-availability-zone/detail", get(zones_detail))
}
