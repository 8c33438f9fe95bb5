//! `/v2/schemas/{image,images,member,members,task,tasks}`.

use axum::routing::get;
use axum::{Json, Router};
use http_api::Authenticated;

use super::AppState;
use crate::api::schemas;

/// Schema routes; like every Glance v2 route, they need a token.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/schemas/image", get(|_: Authenticated| async { Json(schemas::image()) }))
        .route("/v2/schemas/images", get(|_: Authenticated| async { Json(schemas::images()) }))
        .route("/v2/schemas/member", get(|_: Authenticated| async { Json(schemas::member()) }))
        .route("/v2/schemas/members", get(|_: Authenticated| async { Json(schemas::members()) }))
        .route("/v2/schemas/task", get(|_: Authenticated| async { Json(schemas::task()) }))
        .route("/v2/schemas/tasks", get(|_: Authenticated| async { Json(schemas::tasks()) }))
}
