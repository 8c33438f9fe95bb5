//! Glance APIs not built yet: image import (stage, then import), tasks
//! and metadata definitions. Their routes answer 501 with what to use instead, rather
//! than pretending.

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};

use super::AppState;
use super::error::glance_error;

async fn import() -> Response {
    glance_error(
        StatusCode::NOT_IMPLEMENTED,
        "Image import (glance-direct, web-download, copy-image) is not implemented yet; upload data with PUT /v2/images/{id}/file.",
    )
}

async fn tasks() -> Response {
    glance_error(StatusCode::NOT_IMPLEMENTED, "The tasks API is not implemented yet.")
}

async fn metadefs() -> Response {
    glance_error(StatusCode::NOT_IMPLEMENTED, "Metadata definitions (/v2/metadefs) are not implemented yet.")
}

/// Import, task and metadata definition routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/info/import", get(import))
        .route("/v2/images/{id}/stage", put(import))
        .route("/v2/images/{id}/import", post(import))
        .route("/v2/tasks", get(tasks).post(tasks))
        .route("/v2/tasks/{id}", get(tasks))
        .route("/v2/schemas/task", get(tasks))
        .route("/v2/schemas/tasks", get(tasks))
        .route("/v2/metadefs/{*rest}", axum::routing::any(metadefs))
        .route("/v2/schemas/metadefs/{*rest}", get(metadefs))
}
