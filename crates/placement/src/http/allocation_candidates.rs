//! `GET /allocation_candidates` (1.10+).

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, query_pairs, since};
use crate::api::allocation_candidates as wire;
use crate::domain::{Result, Version};

async fn list(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    since(version, 10)?;
    let q = wire::parse(&query_pairs(raw.as_deref())?, version)?;
    Ok(Json(wire::render(&s.placement.allocation_candidates(&ctx, version, &q).await?, version)))
}

/// The allocation candidates route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/allocation_candidates", get(list))
}
