//! Placement over HTTP: microversion negotiation and Placement's error bodies for
//! every route, then thin handlers behind token validation.

mod aggregates;
mod allocation_candidates;
mod allocations;
mod error;
mod inventories;
mod resource_classes;
mod resource_providers;
mod traits;
mod usages;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRef;
use axum::http::{HeaderMap, StatusCode};
use http_api::Validator;
use serde_json::Value;

use crate::domain::{Error, Placement, Result, Version};
pub use error::microversion;

/// What every handler reaches.
#[derive(Clone)]
pub struct AppState {
    /// The service.
    pub placement: Arc<Placement>,
    /// Token validation.
    pub validator: Validator,
    /// The public placement endpoint (`http://host:port/placement`): `Location` headers
    /// are absolute URLs under it, and links start with its path.
    pub endpoint: Arc<str>,
}

impl AppState {
    /// The absolute URL of `path` (`/resource_providers/...`).
    fn location(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    /// Where placement is mounted (`/placement`), which links start with.
    fn mount(&self) -> &str {
        let after_scheme = self.endpoint.split_once("://").map_or(&*self.endpoint, |(_, rest)| rest);
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    }
}

impl FromRef<AppState> for Validator {
    fn from_ref(s: &AppState) -> Validator {
        s.validator.clone()
    }
}

/// A JSON request body: `application/json` (415 otherwise), well-formed (400).
fn json_body(headers: &HeaderMap, bytes: &Bytes) -> Result<Value> {
    let media = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = media.map(|m| m.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    if essence.as_deref() != Some("application/json") {
        return Err(Error::UnsupportedMediaType(format!(
            "The media type {} is not supported, use application/json",
            media.unwrap_or("None")
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::bad(format!("Malformed JSON: {e}")))
}

/// The query string's parameters in order, repeated ones included.
fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| Error::bad(format!("Invalid query string parameters: {e}")))
}

/// Placement's wording of a missing provider on some routes: the reason twice, joined
/// by `separator`.
fn repeated_not_found(separator: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::NotFound(m) => Error::NotFound(format!("{m}{separator}{m}")),
        other => other,
    }
}

/// A route that exists only from microversion `1.minor`: older requests get a 404.
fn since(version: Version, minor: u16) -> Result<()> {
    if version.at_least(minor) { Ok(()) } else { Err(Error::NotFound(String::new())) }
}

/// Every placement route, relative to where the service is mounted (`/placement`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", axum::routing::get(|| async { axum::Json(crate::api::versions::document()) }))
        .merge(resource_providers::routes())
        .merge(inventories::routes())
        .merge(resource_classes::routes())
        .merge(traits::routes())
        .merge(aggregates::routes())
        .merge(allocations::routes())
        .merge(usages::routes())
        .merge(allocation_candidates::routes())
        .fallback(|| async { Error::NotFound(String::new()) })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(axum::middleware::from_fn(error::microversion))
        .layer(axum::Extension(http_api::ServiceType("placement")))
        .with_state(state)
}

/// A response with a JSON body and `status`.
fn json(status: StatusCode, body: Value) -> axum::response::Response {
    (status, axum::Json(body)).into_response()
}

use axum::response::IntoResponse;
