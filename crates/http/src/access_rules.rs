//! Enforcing application credential access rules, as keystonemiddleware does: a token
//! made from a credential with access rules may make only the calls they name.

use axum::http::Method;
use axum::http::request::Parts;
use common::RequestContext;
use common::access_rules::{Call, permits};

/// The service type of the API a router serves (`identity`, `compute`, ...), which
/// access rules name. A router puts it in the request extensions; without it a
/// restricted token is refused, as keystonemiddleware refuses it without
/// `service_type`.
#[derive(Debug, Clone, Copy)]
pub struct ServiceType(pub &'static str);

/// Whether `ctx` may make the request in `parts`. A service acting for the user, proven
/// by an `X-Service-Token` with the `service` role (in `ctx.service_roles`), is not held
/// to the user's rules; validating a token (`GET .../v3/auth/tokens`) is always allowed.
pub fn allows(ctx: &RequestContext, parts: &Parts) -> bool {
    let Some(rules) = &ctx.access_rules else { return true };
    let Some(ServiceType(service)) = parts.extensions.get::<ServiceType>().copied() else {
        tracing::warn!("a token with access rules reached an API that names no service type; refused");
        return false;
    };
    let inner = parts.uri.path();
    let outer = parts.extensions.get::<axum::extract::OriginalUri>().map_or(inner, |o| o.0.path());
    if service == "identity" && parts.method == Method::GET && inner.trim_end_matches('/').ends_with("/v3/auth/tokens") {
        return true;
    }
    if ctx.service_roles.iter().any(|r| r == "service") {
        return true;
    }
    let paths = [inner, outer];
    permits(rules, &Call { service, method: parts.method.as_str(), paths: &paths })
}
