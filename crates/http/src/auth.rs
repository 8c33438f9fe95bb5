//! Token validation for every API: `X-Auth-Token` in, a [`RequestContext`] out, or the
//! 401 keystonemiddleware would answer.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use common::RequestContext;

use crate::error::keystone_error;
use crate::request_id::RequestId;

/// Why a token was not accepted.
#[derive(Debug, Clone)]
pub enum AuthFailure {
    /// Missing, malformed, expired or revoked: the client must authenticate again.
    Unauthorized,
    /// The identity service could not be asked; the token may be fine.
    Unavailable(String),
}

/// Turns a token into the caller's context. Implemented by the identity service in
/// process, and by a caching remote client when roles run apart.
#[async_trait::async_trait]
pub trait TokenValidator: Send + Sync {
    /// Validates `token` for the request `request_id`.
    async fn validate(&self, token: &str, request_id: &str) -> Result<RequestContext, AuthFailure>;

    /// The public identity endpoint, named in `WWW-Authenticate` on a 401.
    fn identity_uri(&self) -> &str;
}

/// The validator a router's state provides.
pub type Validator = Arc<dyn TokenValidator>;

/// Extractor: the validated caller of this request.
#[derive(Debug, Clone)]
pub struct Authenticated(pub RequestContext);

/// The response when a request's token is not accepted.
pub struct AuthRejection {
    failure: AuthFailure,
    identity_uri: String,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self.failure {
            AuthFailure::Unauthorized => {
                let mut res = keystone_error(StatusCode::UNAUTHORIZED, "The request you have made requires authentication.");
                if let Ok(v) = HeaderValue::from_str(&format!("Keystone uri=\"{}\"", self.identity_uri)) {
                    res.headers_mut().insert(WWW_AUTHENTICATE, v);
                }
                res
            }
            AuthFailure::Unavailable(why) => {
                tracing::error!(%why, "token validation unavailable");
                keystone_error(StatusCode::SERVICE_UNAVAILABLE, "The identity service is unavailable; try again later.")
            }
        }
    }
}

impl<S> FromRequestParts<S> for Authenticated
where
    S: Send + Sync,
    Validator: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let validator = Validator::from_ref(state);
        let reject = |failure| AuthRejection { failure, identity_uri: validator.identity_uri().to_owned() };
        let RequestId(request_id) = RequestId::from_request_parts(parts, state).await.unwrap_or_else(|e| match e {});
        let token = parts.headers.get("x-auth-token").and_then(|v| v.to_str().ok()).filter(|t| !t.is_empty());
        let Some(token) = token else { return Err(reject(AuthFailure::Unauthorized)) };
        let mut ctx = validator.validate(token, &request_id).await.map_err(reject)?;
        // A service acting for a user sends its own token along; an invalid one is
        // refused, as keystonemiddleware refuses it.
        let service = parts.headers.get("x-service-token").and_then(|v| v.to_str().ok()).filter(|t| !t.is_empty());
        if let Some(service) = service {
            ctx.service_roles = validator.validate(service, &request_id).await.map_err(reject)?.roles;
        }
        if !crate::access_rules::allows(&ctx, parts) {
            tracing::info!(user_id = %ctx.user_id, method = %parts.method, path = %parts.uri.path(), "refused by the token's access rules");
            return Err(reject(AuthFailure::Unauthorized));
        }
        tracing::debug!(user_id = %ctx.user_id, "authenticated");
        Ok(Authenticated(ctx))
    }
}
