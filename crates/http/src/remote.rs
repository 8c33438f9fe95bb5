//! Token validation against a remote identity service, for roles that run apart from
//! identity: what keystonemiddleware does, with a bounded cache.
//!
//! A validated token is cached for at most `ttl` (and never past its expiry), so a
//! revocation reaches a remote role within `ttl`; identity itself sees it at once.

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use common::RequestContext;
use parking_lot::Mutex;
use reqwest::StatusCode;
use serde_json::Value;

use crate::auth::{AuthFailure, TokenValidator};
use client::ServiceCredentials;

/// Every call to identity gives up after this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Validates tokens by asking identity (`GET /v3/auth/tokens`), caching answers.
pub struct RemoteValidator {
    http: reqwest::Client,
    identity_url: String,
    session: client::Session,
    cache: Mutex<lru::LruCache<String, (Instant, RequestContext)>>,
    ttl: Duration,
    fetches: std::sync::atomic::AtomicU64,
}

impl RemoteValidator {
    /// A validator for the identity service at `identity_url` (`http://host/identity`),
    /// keeping at most `cache_size` tokens for at most `ttl` each.
    pub fn new(
        identity_url: &str,
        credentials: ServiceCredentials,
        cache_size: NonZeroUsize,
        ttl: Duration,
    ) -> Result<Self, client::ClientError> {
        Ok(RemoteValidator {
            http: reqwest::Client::builder().timeout(CALL_TIMEOUT).build().map_err(|e| client::ClientError::Unavailable(e.to_string()))?,
            identity_url: identity_url.trim_end_matches('/').to_owned(),
            session: client::Session::new(identity_url, credentials, CALL_TIMEOUT)?,
            cache: Mutex::new(lru::LruCache::new(cache_size)),
            ttl,
            fetches: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// How many validations went to identity (cache misses), for monitoring.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn service_token(&self, renew: bool) -> Result<String, AuthFailure> {
        self.session.token(renew).await.map_err(|e| AuthFailure::Unavailable(e.to_string()))
    }

    async fn fetch(&self, token: &str, request_id: &str) -> Result<(RequestContext, Duration), AuthFailure> {
        self.fetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for renew in [false, true] {
            let service = self.service_token(renew).await?;
            let res = self
                .http
                .get(format!("{}/v3/auth/tokens?nocatalog", self.identity_url))
                .header("x-auth-token", service)
                .header("x-subject-token", token)
                .header("x-openstack-request-id", request_id)
                // We enforce access rules; identity refuses such tokens to clients that do not.
                .header("openstack-identity-access-rules", "1")
                .send()
                .await
                .map_err(|e| AuthFailure::Unavailable(format!("validating a token at {}: {e}", self.identity_url)))?;
            match res.status() {
                StatusCode::OK => {
                    let body: Value = res.json().await.map_err(|e| AuthFailure::Unavailable(e.to_string()))?;
                    let ctx = context_from_token(&body, request_id)
                        .ok_or_else(|| AuthFailure::Unavailable("identity returned a malformed token body".into()))?;
                    return Ok((ctx, client::token_lifetime(&body).unwrap_or_default()));
                }
                StatusCode::NOT_FOUND => return Err(AuthFailure::Unauthorized),
                // Our own token was refused (expired or revoked): renew it once.
                StatusCode::UNAUTHORIZED if !renew => continue,
                other => return Err(AuthFailure::Unavailable(format!("identity answered {other} to a token validation"))),
            }
        }
        Err(AuthFailure::Unavailable("identity refuses this service's credentials".into()))
    }
}

/// The request context a token body describes.
pub fn context_from_token(body: &Value, request_id: &str) -> Option<RequestContext> {
    let t = &body["token"];
    let strings = |v: &Value, key: &str| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|x| x[key].as_str().or_else(|| x.as_str()).map(str::to_owned)).collect()
    };
    let scope = if let Some(p) = t.get("project") {
        common::Scope::Project { id: p["id"].as_str()?.to_owned(), domain_id: p["domain"]["id"].as_str()?.to_owned() }
    } else if let Some(d) = t.get("domain") {
        common::Scope::Domain { id: d["id"].as_str()?.to_owned() }
    } else if t.get("system").is_some() {
        common::Scope::System
    } else {
        common::Scope::Unscoped
    };
    Some(RequestContext {
        request_id: request_id.to_owned(),
        user_id: t["user"]["id"].as_str()?.to_owned(),
        user_domain_id: t["user"]["domain"]["id"].as_str()?.to_owned(),
        scope,
        roles: strings(&t["roles"], "name"),
        audit_ids: strings(&t["audit_ids"], ""),
        application_credential_id: t["application_credential"]["id"].as_str().map(str::to_owned),
        access_rules: match t["application_credential"].get("access_rules") {
            Some(rules) => Some(serde_json::from_value(rules.clone()).ok()?),
            None => None,
        },
        trust_id: t["OS-TRUST:trust"]["id"].as_str().map(str::to_owned),
        service_roles: Vec::new(),
    })
}

#[async_trait::async_trait]
impl TokenValidator for RemoteValidator {
    async fn validate(&self, token: &str, request_id: &str) -> Result<RequestContext, AuthFailure> {
        let now = Instant::now();
        if let Some((until, ctx)) = self.cache.lock().get(token)
            && now < *until
        {
            return Ok(RequestContext { request_id: request_id.to_owned(), ..ctx.clone() });
        }
        let (ctx, lifetime) = self.fetch(token, request_id).await?;
        self.cache.lock().put(token.to_owned(), (now + self.ttl.min(lifetime), ctx.clone()));
        Ok(ctx)
    }

    fn identity_uri(&self) -> &str {
        &self.identity_url
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn token_bodies_become_contexts() {
        let body = json!({"token": {
            "user": {"id": "u", "domain": {"id": "d"}},
            "project": {"id": "p", "domain": {"id": "pd"}},
            "roles": [{"id": "1", "name": "member"}, {"id": "2", "name": "reader"}],
            "audit_ids": ["a", "b"],
            "OS-TRUST:trust": {"id": "t"},
            "expires_at": "2099-01-01T00:00:00.000000Z",
        }});
        let ctx = context_from_token(&body, "req-1").unwrap();
        assert_eq!(ctx.scope, common::Scope::Project { id: "p".into(), domain_id: "pd".into() });
        assert_eq!(ctx.roles, ["member", "reader"]);
        assert_eq!(ctx.audit_ids, ["a", "b"]);
        assert_eq!(ctx.trust_id.as_deref(), Some("t"));
        assert!(client::token_lifetime(&body).unwrap() > Duration::from_secs(3600));
        let system = json!({"token": {"user": {"id": "u", "domain": {"id": "d"}}, "system": {"all": true}, "roles": [], "audit_ids": []}});
        assert_eq!(context_from_token(&system, "r").unwrap().scope, common::Scope::System);
        assert!(context_from_token(&json!({"token": {}}), "r").is_none());
    }
}
