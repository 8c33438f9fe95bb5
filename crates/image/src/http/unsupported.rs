//! Glance APIs not built yet: metadata definitions. Their routes answer 501 rather
//! than pretending.

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::AppState;
use super::error::glance_error;

async fn metadefs() -> Response {
    glance_error(StatusCode::NOT_IMPLEMENTED, "Metadata definitions (/v2/metadefs) are not implemented yet.")
}

/// Metadata definition routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v2/metadefs/{*rest}", axum::routing::any(metadefs)).route("/v2/schemas/metadefs/{*rest}", get(metadefs))
}
