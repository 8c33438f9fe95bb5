//! Fernet tokens: what a token carries, how it is sealed, and how it is validated.
//!
//! A token carries only ids and times (user, methods, scope, expiry, issue time, audit
//! ids, application credential); roles and names are looked up on validation, so a
//! token reflects the current state of identity, and revocation events cut off what
//! must stop working at once. Validated tokens are cached until the next write that
//! could change their meaning.

use std::sync::Arc;

use base64::Engine;
use common::time::{Micros, now_micros};
use serde::{Deserialize, Serialize};

use super::revocation::TokenFacts;
use super::roles::RoleTarget;
use super::{Error, Identity, Result};
use crate::store::{AppCredRow, DomainRow, ProjectRow, RoleRow, TrustRow, UserRow};

/// What identifies a payload's resolution: user, scope, application credential, trust.
pub(crate) type ResolveKey = (String, ScopeRef, Option<String>, Option<String>);

/// The payload format version; a token of another version is refused.
const PAYLOAD_VERSION: u8 = 1;

/// Authentication methods, in the order Keystone lists them.
pub const METHODS: [&str; 3] = ["password", "token", "application_credential"];

/// What a token names as its scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScopeRef {
    Unscoped,
    Project(String),
    Domain(String),
    System,
}

/// The sealed contents of a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    pub version: u8,
    pub user_id: String,
    /// Bit `i` set when method `METHODS[i]` was used.
    pub methods: u8,
    pub scope: ScopeRef,
    pub expires_at: Micros,
    pub issued_at: Micros,
    /// The token's own audit id, then the audit id of the chain it was rescoped from.
    pub audit_ids: Vec<String>,
    pub app_cred_id: Option<String>,
    pub trust_id: Option<String>,
}

impl Payload {
    /// The method names this payload records.
    pub fn method_names(&self) -> Vec<&'static str> {
        METHODS.iter().enumerate().filter(|(i, _)| self.methods & (1 << i) != 0).map(|(_, m)| *m).collect()
    }

    /// The method bits for `names`.
    pub fn method_bits<'a>(names: impl IntoIterator<Item = &'a str>) -> u8 {
        names.into_iter().filter_map(|n| METHODS.iter().position(|m| *m == n)).fold(0, |bits, i| bits | (1 << i))
    }
}

/// A token's resolved scope.
#[derive(Debug, Clone)]
pub enum TokenScope {
    Unscoped,
    Project { project: ProjectRow, domain: DomainRow },
    Domain(DomainRow),
    System,
}

/// Everything a validated token means now.
#[derive(Debug, Clone)]
pub struct TokenData {
    pub payload: Payload,
    pub user: UserRow,
    pub user_domain: DomainRow,
    pub scope: TokenScope,
    pub roles: Vec<RoleRow>,
    pub app_cred: Option<AppCredRow>,
    pub trust: Option<TrustRow>,
    pub password_expires_at: Option<Micros>,
}

impl TokenData {
    /// The scoped project's id, when the token is project-scoped.
    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            TokenScope::Project { project, .. } => Some(&project.id),
            _ => None,
        }
    }

    /// The token's own audit id.
    pub fn audit_id(&self) -> &str {
        &self.payload.audit_ids[0]
    }

    /// The audit id of the chain this token belongs to (its first ancestor's).
    pub fn audit_chain_id(&self) -> &str {
        self.payload.audit_ids.last().map_or("", String::as_str)
    }

    /// The access rules the token's application credential restricts it to, if any.
    pub fn access_rules(&self) -> Option<&[crate::store::AccessRuleRow]> {
        self.app_cred.as_ref().map(|c| c.access_rules.as_slice()).filter(|rules| !rules.is_empty())
    }

    /// The facts revocation events match against.
    pub fn facts(&self) -> TokenFacts<'_> {
        let (project_id, project_domain_id, domain_id) = match &self.scope {
            TokenScope::Project { project, domain } => (Some(project.id.as_str()), Some(domain.id.as_str()), None),
            TokenScope::Domain(d) => (None, None, Some(d.id.as_str())),
            TokenScope::Unscoped | TokenScope::System => (None, None, None),
        };
        TokenFacts {
            user_id: &self.user.id,
            user_domain_id: &self.user.domain_id,
            project_id,
            project_domain_id,
            domain_id,
            audit_id: self.audit_id(),
            audit_chain_id: self.audit_chain_id(),
            issued_at: self.payload.issued_at,
        }
    }

    /// The request context services act on.
    pub fn context(&self, request_id: &str) -> common::RequestContext {
        common::RequestContext {
            request_id: request_id.to_owned(),
            user_id: self.user.id.clone(),
            user_domain_id: self.user.domain_id.clone(),
            scope: match &self.scope {
                TokenScope::Unscoped => common::Scope::Unscoped,
                TokenScope::Project { project, .. } => {
                    common::Scope::Project { id: project.id.clone(), domain_id: project.domain_id.clone() }
                }
                TokenScope::Domain(d) => common::Scope::Domain { id: d.id.clone() },
                TokenScope::System => common::Scope::System,
            },
            roles: self.roles.iter().map(|r| r.name.clone()).collect(),
            audit_ids: self.payload.audit_ids.clone(),
            application_credential_id: self.app_cred.as_ref().map(|a| a.id.clone()),
            access_rules: self.access_rules().map(|rules| {
                rules
                    .iter()
                    .map(|r| common::access_rules::AccessRule {
                        service: r.service.clone(),
                        path: r.path.clone(),
                        method: r.method.clone(),
                    })
                    .collect()
            }),
            trust_id: self.trust.as_ref().map(|t| t.id.clone()),
            service_roles: Vec::new(),
        }
    }
}

fn payload_project(scope: &ScopeRef) -> Option<&String> {
    match scope {
        ScopeRef::Project(id) => Some(id),
        _ => None,
    }
}

/// A fresh audit id: 16 random bytes, URL-safe base64 without padding, as Keystone's.
pub fn new_audit_id() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

impl Identity {
    /// Seals a payload into a token string.
    pub(crate) fn seal(&self, payload: &Payload) -> Result<String> {
        let bytes = rmp_serde::to_vec(payload).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(self.keys.read().fernet.encrypt(&bytes))
    }

    /// Opens a token string; any tampering, unknown key or bad format is a 401.
    fn open(&self, token: &str) -> Result<Payload> {
        let keys = Arc::clone(&self.keys.read());
        let bytes = keys.fernet.decrypt(token).map_err(|_| Error::Unauthorized("token does not decrypt with any key".into()))?;
        let payload: Payload = rmp_serde::from_slice(&bytes).map_err(|_| Error::Unauthorized("token payload is malformed".into()))?;
        if payload.version != PAYLOAD_VERSION || payload.audit_ids.is_empty() {
            return Err(Error::Unauthorized("token payload has an unknown version".into()));
        }
        Ok(payload)
    }

    /// Validates a token: sealed by one of our keys, not expired (unless
    /// `allow_expired` and within the window), not revoked, and its user, scope and
    /// roles still valid. A token validated earlier in this generation is not opened
    /// again: its text was authenticated then, by a key that is still loaded.
    pub async fn validate_token(&self, token: &str, allow_expired: bool) -> Result<Arc<TokenData>> {
        let generation = self.generation();
        let data = match self.token_cache.get(token, generation) {
            Some(data) => data,
            None => {
                let payload = self.open(token)?;
                self.check_expiry(&payload, allow_expired)?;
                let data = Arc::new(self.resolve(payload).await?);
                self.token_cache.put(token.to_owned(), generation, Arc::clone(&data));
                data
            }
        };
        self.check_expiry(&data.payload, allow_expired)?;
        if self.revocations.read().is_revoked(&data.facts()) {
            return Err(Error::Unauthorized("token revoked".into()));
        }
        Ok(data)
    }

    fn check_expiry(&self, payload: &Payload, allow_expired: bool) -> Result<()> {
        let window = if allow_expired { self.config.allow_expired_window * 1_000_000 } else { 0 };
        if payload.expires_at + window <= now_micros() {
            return Err(Error::Unauthorized("token expired".into()));
        }
        Ok(())
    }

    /// Resolves a payload against the current state of identity. What a (user, scope,
    /// application credential, trust) resolves to is kept for the rest of the current
    /// generation, so issuing and rescoping need no database round trips once warm;
    /// expiry, which passes without a write, is checked on every use.
    pub(crate) async fn resolve(&self, payload: Payload) -> Result<TokenData> {
        let key: ResolveKey = (payload.user_id.clone(), payload.scope.clone(), payload.app_cred_id.clone(), payload.trust_id.clone());
        let generation = self.generation();
        let resolved = match self.resolve_cache.get(&key, generation) {
            Some(data) => data,
            None => {
                let data = Arc::new(self.resolve_uncached(payload.clone()).await?);
                self.resolve_cache.put(key, generation, Arc::clone(&data));
                data
            }
        };
        let now = now_micros();
        let expired = |t: Option<i64>| t.is_some_and(|t| t <= now);
        if expired(resolved.app_cred.as_ref().and_then(|c| c.expires_at)) || expired(resolved.trust.as_ref().and_then(|t| t.expires_at)) {
            return Err(Error::Unauthorized("the token's application credential or trust expired".into()));
        }
        Ok(TokenData { payload, ..(*resolved).clone() })
    }

    async fn resolve_uncached(&self, payload: Payload) -> Result<TokenData> {
        let gone = |what: &str| Error::Unauthorized(format!("token's {what} is gone or disabled"));
        let user = self.store.get_user(&payload.user_id).await?.filter(|u| u.enabled).ok_or_else(|| gone("user"))?;
        let user_domain = self.store.get_domain(&user.domain_id).await?.filter(|d| d.enabled).ok_or_else(|| gone("user domain"))?;
        let scope = match &payload.scope {
            ScopeRef::Unscoped => TokenScope::Unscoped,
            ScopeRef::System => TokenScope::System,
            ScopeRef::Domain(id) => {
                TokenScope::Domain(self.store.get_domain(id).await?.filter(|d| d.enabled).ok_or_else(|| gone("domain"))?)
            }
            ScopeRef::Project(id) => {
                let project = self.store.get_project(id).await?.filter(|p| p.enabled).ok_or_else(|| gone("project"))?;
                let domain =
                    self.store.get_domain(&project.domain_id).await?.filter(|d| d.enabled).ok_or_else(|| gone("project domain"))?;
                TokenScope::Project { project, domain }
            }
        };
        let app_cred = match &payload.app_cred_id {
            Some(id) => {
                let cred = self.store.get_app_cred(id).await?.ok_or_else(|| gone("application credential"))?;
                if cred.expires_at.is_some_and(|t| t <= now_micros()) {
                    return Err(gone("application credential"));
                }
                Some(cred)
            }
            None => None,
        };
        let trust = match &payload.trust_id {
            Some(id) => {
                let trust = self.live_trust(id).await?;
                let expected_user = if trust.impersonation { &trust.trustor_user_id } else { &trust.trustee_user_id };
                if *expected_user != user.id || trust.project_id.as_ref() != payload_project(&payload.scope) {
                    return Err(Error::Unauthorized(format!("token does not match trust {id}")));
                }
                for party in [&trust.trustor_user_id, &trust.trustee_user_id] {
                    self.store.get_user(party).await?.filter(|u| u.enabled).ok_or_else(|| gone("trust party"))?;
                }
                Some(trust)
            }
            None => None,
        };
        let target = match &scope {
            TokenScope::Unscoped => None,
            TokenScope::Project { project, .. } => Some(RoleTarget::Project(&project.id)),
            TokenScope::Domain(d) => Some(RoleTarget::Domain(&d.id)),
            TokenScope::System => Some(RoleTarget::System),
        };
        let mut roles = match (target, &trust) {
            (Some(_), Some(trust)) => self.trust_token_roles(trust).await?,
            (Some(target), None) => self.effective_roles(&user.id, target).await?,
            (None, _) => Vec::new(),
        };
        if let Some(cred) = &app_cred {
            roles.retain(|r| cred.role_ids.contains(&r.id));
        }
        if target.is_some() && roles.is_empty() {
            return Err(Error::Unauthorized(format!("user {} has no role on the token's scope", user.id)));
        }
        let password_expires_at = self.store.password_history(&user.id).await?.last().and_then(|p| p.expires_at);
        Ok(TokenData { payload, user, user_domain, scope, roles, app_cred, trust, password_expires_at })
    }

    /// Revokes one token (`DELETE /v3/auth/tokens`).
    pub async fn revoke_token(&self, data: &TokenData) -> Result<()> {
        let now = now_micros();
        self.revoke(crate::store::RevocationRow {
            audit_id: Some(data.audit_id().to_owned()),
            issued_before: now,
            revoked_at: now,
            ..Default::default()
        })
        .await
    }
}

#[async_trait::async_trait]
impl http_api::TokenValidator for Identity {
    async fn validate(&self, token: &str, request_id: &str) -> Result<common::RequestContext, http_api::AuthFailure> {
        match self.validate_token(token, false).await {
            Ok(data) => Ok(data.context(request_id)),
            Err(Error::Store(e)) => Err(http_api::AuthFailure::Unavailable(e.to_string())),
            Err(e) => {
                tracing::debug!(reason = %e, "token refused");
                Err(http_api::AuthFailure::Unauthorized)
            }
        }
    }

    fn identity_uri(&self) -> &str {
        &self.public_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_bits_round_trip_in_keystone_order() {
        let p = Payload {
            version: PAYLOAD_VERSION,
            user_id: "u".into(),
            methods: Payload::method_bits(["token", "password"]),
            scope: ScopeRef::Unscoped,
            expires_at: 0,
            issued_at: 0,
            audit_ids: vec![new_audit_id()],
            app_cred_id: None,
            trust_id: None,
        };
        assert_eq!(p.method_names(), vec!["password", "token"]);
        assert_eq!(Payload::method_bits(["nonsense"]), 0);
    }

    #[test]
    fn audit_ids_look_like_keystones() {
        let a = new_audit_id();
        assert_eq!(a.len(), 22);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
