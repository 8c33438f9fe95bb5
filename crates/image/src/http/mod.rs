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
