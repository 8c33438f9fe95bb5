//! `/resource_providers/{uuid}/usages` and `/usages` (1.9+).

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, query_pairs, repeated_not_found, since};
use crate::api::usages::{self as wire, TypeFilter};
use crate::domain::{Error, Result, Version};

async fn provider(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(uuid): Path<String>) -> Result<Json<Value>> {
    let (usages, generation) = s.placement.provider_usages(&ctx, &uuid).await.map_err(repeated_not_found(": "))?;
    Ok(Json(wire::render_provider(&usages, generation)))
}

async fn project(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    since(version, 9)?;
    let (mut project, mut user, mut filter) = (None, None, TypeFilter::Each);
    for (key, value) in query_pairs(raw.as_deref())? {
        match key.as_str() {
            "project_id" => project = Some(value),
            "user_id" => user = Some(value),
            "consumer_type" if version.at_least(38) => {
                filter = match value.as_str() {
                    "all" => TypeFilter::All,
                    "unknown" => TypeFilter::Unknown,
                    _ => TypeFilter::Only(value),
                }
            }
            other => {
                return Err(Error::bad(format!(
                    "Invalid query string parameters: Additional properties are not allowed ('{other}' was unexpected)"
                )));
            }
        }
    }
    let project = project
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Error::bad("Invalid query string parameters: 'project_id' is a required property"))?;
    let by_type = s.placement.project_usages(&ctx, &project, user.as_deref()).await?;
    Ok(Json(wire::render_project(&by_type, version, &filter)))
}

/// Usage routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/resource_providers/{uuid}/usages", get(provider)).route("/usages", get(project))
}
