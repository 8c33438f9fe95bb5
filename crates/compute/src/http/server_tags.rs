//! `/servers/{id}/tags` and `/servers/{id}/tags/{tag}` (from 2.26).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::servers::{check_tag, parse_tags};
use crate::domain::{Error, Result, Version};

/// Tags arrived in 2.26: before it the routes do not exist.
fn served(version: Version) -> Result<()> {
    if version.at_least(26) { Ok(()) } else { Err(Error::NotFound("The resource could not be found.".into())) }
}

async fn index(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    served(version)?;
    Ok(Json(json!({"tags": s.compute.server_tags(&ctx, &id).await?})))
}

async fn replace(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    served(version)?;
    let tags = parse_tags(&json_body(&headers, &body)?)?;
    Ok(Json(json!({"tags": s.compute.replace_server_tags(&ctx, &id, tags).await?})))
}

async fn delete_all(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    served(version)?;
    s.compute.delete_server_tags(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn check(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode> {
    served(version)?;
    s.compute.check_server_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((id, tag)): Path<(String, String)>,
) -> Result<Response> {
    served(version)?;
    check_tag(&tag)?;
    if !s.compute.add_server_tag(&ctx, &id, &tag).await? {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let mut response = StatusCode::CREATED.into_response();
    let location = format!(
        "{}/v2.1/servers/{id}/tags/{}",
        s.endpoint,
        percent_encoding::utf8_percent_encode(&tag, percent_encoding::NON_ALPHANUMERIC)
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

async fn delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode> {
    served(version)?;
    s.compute.delete_server_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The server tag routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/servers/{id}/tags", get(index).put(replace).delete(delete_all))
        .route("/servers/{id}/tags/{tag}", get(check).put(add).delete(delete))
}
