//! `/v2/images/{id}/tags/{tag}`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::put;
use http_api::Authenticated;

use super::AppState;
use crate::domain::Result;

async fn add(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path((id, tag)): Path<(String, String)>) -> Result<StatusCode> {
    s.images.add_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.images.delete_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tag routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v2/images/{id}/tags/{tag}", put(add).delete(delete))
}
