//! Compute over HTTP: version documents, microversion negotiation and Nova's error
//! bodies for every route under `/v2.1`, then thin handlers behind token validation.

mod aggregates;
mod error;
mod flavors;
mod hosts;
mod hypervisors;
mod images;
mod instance_actions;
mod keypairs;
mod quotas;
mod server_actions;
mod server_diagnostics;
mod server_external_events;
mod server_groups;
mod server_metadata;
mod server_tags;
mod servers;
mod services;
mod simple_tenant_usage;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRef, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_api::Validator;
use serde_json::Value;

use crate::domain::{Compute, Error, Result};
pub use error::{fault, microversion};

/// What every handler reaches.
#[derive(Clone)]
pub struct AppState {
    /// The API role.
    pub compute: Arc<Compute>,
    /// Token validation.
    pub validator: Validator,
    /// The public compute endpoint without a version (`http://host:port/compute`);
    /// links are absolute URLs under it.
    pub endpoint: Arc<str>,
}

impl FromRef<AppState> for Validator {
    fn from_ref(s: &AppState) -> Validator {
        s.validator.clone()
    }
}

/// A JSON request body: `application/json` or Nova's own media type (or none), and
/// well-formed.
fn json_body(headers: &HeaderMap, bytes: &Bytes) -> Result<Value> {
    let media = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = media.map(|m| m.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match essence.as_deref() {
        None | Some("application/json" | "application/vnd.openstack.compute+json") => {}
        Some(_) => return Err(Error::UnsupportedMediaType("Unsupported Content-Type".into())),
    }
    serde_json::from_slice(bytes).map_err(|_| Error::BadRequest("Malformed request body".into()))
}

/// Nova's resources that Ferrostack does not serve yet: asking for them is a 501 that
/// says so, not a 404 that suggests a typo.
const NOT_YET_SERVED: [&str; 8] = [
    "os-migrations",
    "os-instance_usage_audit_log",
    "os-console-auth-tokens",
    "os-assisted-volume-snapshots",
    "os-volumes",
    "os-volumes_boot",
    "os-snapshots",
    "extensions",
];

async fn not_served(req: Request) -> Response {
    let resource = req.uri().path().trim_start_matches('/').split('/').next().unwrap_or("");
    if NOT_YET_SERVED.contains(&resource) {
        Error::NotImplemented(format!("The compute API's {resource} resource is not implemented in Ferrostack yet.")).into_response()
    } else {
        Error::NotFound("The resource could not be found.".into()).into_response()
    }
}

/// Every resource's routes, relative to the version prefix.
fn resources() -> Router<AppState> {
    Router::new()
        .merge(flavors::routes())
        .merge(keypairs::routes())
        .merge(services::routes())
        .merge(simple_tenant_usage::routes())
        .merge(hypervisors::routes())
        .merge(hosts::routes())
        .merge(images::routes())
        .merge(aggregates::routes())
        .merge(quotas::routes())
        .merge(server_groups::routes())
        .merge(servers::routes())
        .merge(server_actions::routes())
        .merge(server_diagnostics::routes())
        .merge(server_external_events::routes())
        .merge(server_metadata::routes())
        .merge(server_tags::routes())
        .merge(instance_actions::routes())
        .fallback(not_served)
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
}

/// The versioned API: every route relative to `/v2.1`.
fn v21(state: AppState) -> Router {
    resources().route("/", axum::routing::get(version_document)).layer(axum::middleware::from_fn(error::microversion)).with_state(state)
}

/// The legacy v2.0 API under `/v2`: the same routes at microversion 2.1, whatever
/// version a request names, as Nova's v2.1-compatible v2 API serves them.
fn v20(state: AppState) -> Router {
    resources().route("/", axum::routing::get(legacy_version_document)).layer(axum::middleware::from_fn(error::legacy_v2)).with_state(state)
}

async fn version_document(axum::extract::State(s): axum::extract::State<AppState>) -> axum::Json<Value> {
    axum::Json(crate::api::versions::show(&s.endpoint))
}

async fn legacy_version_document(axum::extract::State(s): axum::extract::State<AppState>) -> axum::Json<Value> {
    axum::Json(crate::api::versions::show_v20(&s.endpoint))
}

/// Every compute route, relative to where the service is mounted (`/compute`).
pub fn router(state: AppState) -> Router {
    let endpoint = state.endpoint.clone();
    Router::new()
        .route("/", axum::routing::get(move || async move { axum::Json(crate::api::versions::list(&endpoint)) }))
        // `/v2.1` and `/v2.1/` both answer with the version document.
        .route(
            "/v2.1/",
            axum::routing::get(version_document).layer(axum::middleware::from_fn(error::microversion)).with_state(state.clone()),
        )
        .route(
            "/v2/",
            axum::routing::get(legacy_version_document).layer(axum::middleware::from_fn(error::legacy_v2)).with_state(state.clone()),
        )
        .nest("/v2.1", v21(state.clone()))
        .nest("/v2", v20(state))
        .layer(axum::middleware::from_fn(compute_request_id))
        .layer(axum::Extension(http_api::ServiceType("compute")))
}

/// Nova answers with its request id under a second name too.
async fn compute_request_id(req: Request, next: axum::middleware::Next) -> Response {
    let id = req.extensions().get::<http_api::RequestId>().and_then(|r| axum::http::HeaderValue::from_str(&r.0).ok());
    let mut res = next.run(req).await;
    if let Some(id) = id {
        res.headers_mut().insert("x-compute-request-id", id);
    }
    res
}

/// A response with a JSON body and `status`.
fn json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}
