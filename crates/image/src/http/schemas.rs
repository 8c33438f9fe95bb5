//! `/v2/schemas/{image,images,member,members}`.

use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use crate::api::schemas;

/// Schema routes; they need no token, as in Glance.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/schemas/image", get(|| async { Json(schemas::image()) }))
        .route("/v2/schemas/images", get(|| async { Json(schemas::images()) }))
        .route("/v2/schemas/member", get(|| async { Json(schemas::member()) }))
        .route("/v2/schemas/members", get(|| async { Json(schemas::members()) }))
}
