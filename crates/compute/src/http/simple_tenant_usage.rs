//! `/os-simple-tenant-usage` and `/os-simple-tenant-usage/{tenant_id}`.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::AppState;
use crate::api::simple_tenant_usage as wire;
use crate::api::{next_link, query_pairs};
use crate::domain::servers::MAX_LIMIT;
use crate::domain::simple_tenant_usage::ServerUsage;
use crate::domain::{Result, Version};

/// The next page's link, when a 2.40+ page is full.
fn links(
    s: &AppState,
    path: &str,
    pairs: &[(String, String)],
    q: &wire::UsageQuery,
    version: Version,
    usages: &[ServerUsage],
) -> Option<Value> {
    let full = usages.len() == q.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
    match usages.last() {
        Some(last) if version.at_least(40) && full => Some(next_link(&format!("{}/v2.1/{path}", s.endpoint), pairs, &last.instance.uuid)),
        _ => None,
    }
}

async fn index(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = wire::parse_query(&pairs, version)?;
    let (period, usages) = s.compute.server_usages(&ctx, None, q.period, q.marker.as_deref(), q.limit).await?;
    let mut body = json!({"tenant_usages": wire::render_usages(period, &usages, q.detailed)});
    if let Some(l) = links(&s, "os-simple-tenant-usage", &pairs, &q, version, &usages) {
        body["tenant_usages_links"] = l;
    }
    Ok(Json(body))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = wire::parse_query(&pairs, version)?;
    let (period, usages) = s.compute.server_usages(&ctx, Some(&tenant), q.period, q.marker.as_deref(), q.limit).await?;
    let usage = wire::render_usages(period, &usages, true).into_iter().next().unwrap_or_else(|| json!({}));
    let mut body = json!({"tenant_usage": usage});
    if let Some(l) = links(&s, &format!("os-simple-tenant-usage/{tenant}"), &pairs, &q, version, &usages) {
        body["tenant_usage_links"] = l;
    }
    Ok(Json(body))
}

/// The usage routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/os-simple-tenant-usage", get(index)).route("/os-simple-tenant-usage/{tenant_id}", get(show))
}
