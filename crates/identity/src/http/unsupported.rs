//! Keystone APIs this cloud does not offer, answered with 501 and a reason instead of a
//! bare 404, so a client knows the path is right and the feature absent.

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::any;

use super::AppState;

/// The absent APIs: `(path prefix, what a caller is told)`.
const ABSENT: [(&str, &str); 4] = [
    (
        "/v3/domains/{id}/config",
        "Domain-specific identity configuration is not implemented: every domain uses the SQL identity back end (there is no LDAP driver to configure).",
    ),
    (
        "/v3/domains/config",
        "Domain-specific identity configuration is not implemented: there are no per-domain drivers and so no defaults to show.",
    ),
    ("/v3/OS-OAUTH1", "OAuth1 (OS-OAUTH1) is not implemented by this cloud; use application credentials or trusts to delegate access."),
    ("/v3/OS-FEDERATION", "Federation (OS-FEDERATION) is not implemented by this cloud."),
];

fn not_implemented(message: &'static str) -> impl Fn() -> std::future::Ready<Response> + Clone {
    move || std::future::ready(http_api::keystone_error(StatusCode::NOT_IMPLEMENTED, message))
}

/// Every absent API, on every method, at its prefix and below.
pub fn routes() -> Router<AppState> {
    ABSENT.iter().fold(Router::new(), |router, (prefix, message)| {
        router.route(prefix, any(not_implemented(message))).route(&format!("{prefix}/{{*rest}}"), any(not_implemented(message)))
    })
}
