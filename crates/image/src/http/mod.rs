//! Glance v2 over HTTP: thin handlers that check the wire format, call the domain and
//! render, behind token validation.

mod error;
mod image_data;
mod images;
mod import;
mod members;
mod metadefs;
mod schemas;
mod tags;
mod tasks;
mod versions;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use http_api::Validator;
use serde_json::Value;

use crate::domain::{Error, Images, Result};

/// What every handler reaches.
#[derive(Clone)]
pub struct AppState {
    /// The service.
    pub images: Arc<Images>,
    /// Token validation.
    pub validator: Validator,
    /// The public image endpoint (`http://host:port/image`), for the versions document.
    pub endpoint: Arc<str>,
}

impl FromRef<AppState> for Validator {
    fn from_ref(s: &AppState) -> Validator {
        s.validator.clone()
    }
}

/// A JSON request body, or Glance's 400.
fn json_body(bytes: &[u8]) -> Result<Value> {
    if bytes.is_empty() {
        return Err(Error::BadRequest("Body expected in request.".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::BadRequest(format!("Malformed JSON in request body: {e}")))
}

/// A list body's `first` link and, when the page is full, its `next` link (the same
/// query with `marker` set to the page's last id), as Glance pages lists.
fn page_links(path: &str, params: Vec<(String, String)>, last_of_full_page: Option<&str>) -> (String, Option<String>) {
    let mut without_marker: Vec<(String, String)> = params.into_iter().filter(|(k, _)| k != "marker").collect();
    let encode = |pairs: &[(String, String)]| serde_urlencoded::to_string(pairs).unwrap_or_default();
    let first = if without_marker.is_empty() { path.to_owned() } else { format!("{path}?{}", encode(&without_marker)) };
    let next = last_of_full_page.map(|last| {
        without_marker.push(("marker".into(), last.to_owned()));
        format!("{path}?{}", encode(&without_marker))
    });
    (first, next)
}

/// Refuses a body that is not `application/octet-stream`, as Glance does for data.
fn require_octet_stream(headers: &axum::http::HeaderMap) -> Result<()> {
    let media = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if media.split(';').next().unwrap_or("").trim() != "application/octet-stream" {
        return Err(Error::UnsupportedMediaType("Image data must be sent as application/octet-stream.".into()));
    }
    Ok(())
}

/// A query string's parameters in order, repeated ones included.
fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| Error::BadRequest(format!("Malformed query string: {e}")))
}

/// Every image route, relative to where the service is mounted (`/image`). Paths are
/// not normalised: `GET /v2/images/` names no image and is a 404, as in Glance.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(versions::routes())
        .merge(schemas::routes())
        .merge(images::routes())
        .merge(image_data::routes())
        .merge(tags::routes())
        .merge(members::routes())
        .merge(import::routes())
        .merge(tasks::routes())
        .merge(metadefs::routes())
        .fallback(|| async { error::glance_error(StatusCode::NOT_FOUND, "The resource could not be found.") })
        .method_not_allowed_fallback(|| async {
            error::glance_error(StatusCode::METHOD_NOT_ALLOWED, "The method is not allowed for this resource.")
        })
        .layer(axum::Extension(http_api::ServiceType("image")))
        .with_state(state)
}
