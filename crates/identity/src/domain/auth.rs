//! Authentication: turning `POST /v3/auth/tokens` into a token.

use std::sync::Arc;

use common::time::now_micros;

use super::error::not_found;
use super::tokens::{Payload, ScopeRef, TokenData, new_audit_id};
use super::{Error, Identity, Result};
use crate::store::{DomainRow, ProjectRow, UserRow};

/// A domain named by id or by name.
#[derive(Debug, Clone)]
pub enum DomainRef {
    Id(String),
    Name(String),
}

/// A user named by id, or by name within a domain.
#[derive(Debug, Clone)]
pub enum UserRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// A project named by id, or by name within a domain.
#[derive(Debug, Clone)]
pub enum ProjectRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// An application credential named by id, or by name with its owner.
#[derive(Debug, Clone)]
pub enum AppCredRef {
    Id(String),
    Name { name: String, user: UserRef },
}

/// The scope a request asks for.
#[derive(Debug, Clone)]
pub enum ScopeRequest {
    /// No scope given: the user's default project if they have a role there.
    Default,
    /// Explicitly `"unscoped"`.
    Unscoped,
    Project(ProjectRef),
    Domain(DomainRef),
    System,
    /// A trust, by id: a project scope acting under it.
    Trust(String),
}

/// A parsed authentication request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub methods: Vec<String>,
    pub password: Option<(UserRef, String)>,
    pub token: Option<String>,
    pub app_cred: Option<(AppCredRef, String)>,
    pub scope: ScopeRequest,
}

/// Who the methods proved the caller to be, and what the new token inherits.
struct Proven {
    user: UserRow,
    expires_at: Option<i64>,
    audit_chain: Option<String>,
    inherited_methods: Vec<&'static str>,
    app_cred: Option<crate::store::AppCredRow>,
    rescoping_scoped: bool,
}

impl Identity {
    async fn find_domain(&self, d: &DomainRef) -> Result<DomainRow> {
        match d {
            DomainRef::Id(id) => self.store.get_domain(id).await?.ok_or_else(|| not_found("domain", id)),
            DomainRef::Name(name) => self.domain_named(name).await?.ok_or_else(|| not_found("domain", name)),
        }
    }

    /// The domain called `name`. Clients name their scope on every authentication, so
    /// names found in this generation need no query; a name not found is asked again,
    /// as another process may create it.
    async fn domain_named(&self, name: &str) -> Result<Option<DomainRow>> {
        let generation = self.generation();
        if let Some(found) = self.domains_by_name.get(name, generation) {
            return Ok(Some(found));
        }
        let found = self.store.get_domain_by_name(name).await?;
        if let Some(domain) = &found {
            self.domains_by_name.put(name.to_owned(), generation, domain.clone());
        }
        Ok(found)
    }

    /// The project called `name` in domain `domain_id`, cached as `domain_named` is.
    async fn project_named(&self, domain_id: &str, name: &str) -> Result<Option<ProjectRow>> {
        let generation = self.generation();
        let key = (domain_id.to_owned(), name.to_owned());
        if let Some(found) = self.projects_by_name.get(&key, generation) {
            return Ok(Some(found));
        }
        let found = self.store.get_project_by_name(domain_id, name).await?;
        if let Some(project) = &found {
            self.projects_by_name.put(key, generation, project.clone());
        }
        Ok(found)
    }

    async fn find_user(&self, u: &UserRef) -> Result<UserRow> {
        let found = match u {
            UserRef::Id(id) => self.store.get_user(id).await?,
            UserRef::Name { name, domain } => {
                let domain = self.find_domain(domain).await.map_err(|_| Error::Unauthorized(format!("no domain for user {name}")))?;
                self.store.get_user_by_name(&domain.id, name).await?
            }
        };
        found.ok_or_else(|| Error::Unauthorized("no such user".into()))
    }

    /// Checks that a user may authenticate at all: enabled, in an enabled domain.
    async fn check_user_usable(&self, user: &UserRow) -> Result<()> {
        if !user.enabled {
            return Err(Error::Unauthorized(format!("user {} is disabled", user.id)));
        }
        let domain = self.store.get_domain(&user.domain_id).await?;
        if !domain.is_some_and(|d| d.enabled) {
            return Err(Error::Unauthorized(format!("domain of user {} is disabled", user.id)));
        }
        Ok(())
    }

    /// The password method, with lockout and expiry as `[security_compliance]` says.
    async fn password_method(&self, user: &UserRef, password: &str) -> Result<UserRow> {
        let mut user = self.find_user(user).await?;
        self.check_user_usable(&user).await?;
        let sc = &self.config.security_compliance;
        let now = now_micros();
        if let Some(limit) = sc.lockout_failure_attempts {
            let lock_ends = match (sc.lockout_duration, user.failed_auth_at) {
                (Some(secs), Some(at)) => Some(at + secs * 1_000_000),
                _ => None,
            };
            if user.failed_auth_count >= limit {
                if lock_ends.is_some_and(|end| now >= end) {
                    user.failed_auth_count = 0;
                } else {
                    return Err(Error::AuthDenied(format!("The account is locked for user: {}.", user.id)));
                }
            }
        }
        let history = self.store.password_history(&user.id).await?;
        let current = history.last().ok_or_else(|| Error::Unauthorized(format!("user {} has no password", user.id)))?;
        if !self.verify_secret(password, &current.hash).await {
            self.store.record_auth_attempt(&user.id, user.failed_auth_count + 1, Some(now), None).await?;
            return Err(Error::Unauthorized(format!("wrong password for user {}", user.id)));
        }
        if current.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::AuthDenied(format!("The password is expired and needs to be changed for user: {}.", user.id)));
        }
        self.store.record_auth_attempt(&user.id, 0, None, Some(now)).await?;
        Ok(user)
    }

    async fn app_cred_method(&self, cred: &AppCredRef, secret: &str) -> Result<(UserRow, crate::store::AppCredRow)> {
        let found = match cred {
            AppCredRef::Id(id) => self.store.get_app_cred(id).await?,
            AppCredRef::Name { name, user } => {
                let user = self.find_user(user).await?;
                self.store.get_app_cred_by_name(&user.id, name).await?
            }
        };
        let cred = found.ok_or_else(|| Error::Unauthorized("no such application credential".into()))?;
        if cred.expires_at.is_some_and(|t| t <= now_micros()) {
            return Err(Error::Unauthorized(format!("application credential {} expired", cred.id)));
        }
        if !self.verify_secret(secret, &cred.secret_hash).await {
            return Err(Error::Unauthorized(format!("wrong secret for application credential {}", cred.id)));
        }
        let user =
            self.store.get_user(&cred.user_id).await?.ok_or_else(|| Error::Unauthorized("application credential owner gone".into()))?;
        self.check_user_usable(&user).await?;
        Ok((user, cred))
    }

    async fn prove(&self, req: &AuthRequest) -> Result<Proven> {
        if req.methods.is_empty() {
            return Err(Error::Validation("Invalid input for field 'identity/methods': at least one method is required.".into()));
        }
        let mut proven: Option<Proven> = None;
        for method in &req.methods {
            let next = match method.as_str() {
                "password" => {
                    let (user, password) =
                        req.password.as_ref().ok_or_else(|| Error::Validation("Expecting to find password in identity.".into()))?;
                    let user = self.password_method(user, password).await?;
                    Proven {
                        user,
                        expires_at: None,
                        audit_chain: None,
                        inherited_methods: Vec::new(),
                        app_cred: None,
                        rescoping_scoped: false,
                    }
                }
                "token" => {
                    let id = req.token.as_ref().ok_or_else(|| Error::Validation("Expecting to find token in identity.".into()))?;
                    // Keystone answers a token it cannot validate here with 404, not 401.
                    let data = self.validate_token(id, false).await.map_err(|e| match e {
                        Error::Unauthorized(why) => {
                            tracing::info!(%why, "token method refused");
                            Error::NotFound { kind: "token", id: "(the token given)".into() }
                        }
                        other => other,
                    })?;
                    if data.trust.is_some() {
                        return Err(Error::ForbiddenAction("A token created from a trust cannot be used to get another token.".into()));
                    }
                    if data.app_cred.is_some() {
                        return Err(Error::ForbiddenAction(
                            "A token created with an application credential cannot be used to get another token.".into(),
                        ));
                    }
                    Proven {
                        user: data.user.clone(),
                        expires_at: Some(data.payload.expires_at),
                        audit_chain: Some(data.audit_chain_id().to_owned()),
                        inherited_methods: data.payload.method_names(),
                        app_cred: None,
                        rescoping_scoped: !matches!(data.scope, super::TokenScope::Unscoped),
                    }
                }
                "application_credential" => {
                    let (cred, secret) = req
                        .app_cred
                        .as_ref()
                        .ok_or_else(|| Error::Validation("Expecting to find application_credential in identity.".into()))?;
                    let (user, cred) = self.app_cred_method(cred, secret).await?;
                    Proven {
                        user,
                        expires_at: cred.expires_at,
                        audit_chain: None,
                        inherited_methods: Vec::new(),
                        app_cred: Some(cred),
                        rescoping_scoped: false,
                    }
                }
                other => return Err(Error::Unauthorized(format!("authentication method {other:?} is not supported"))),
            };
            proven = Some(match proven {
                None => next,
                Some(p) if p.user.id == next.user.id => Proven {
                    expires_at: p.expires_at.or(next.expires_at),
                    audit_chain: p.audit_chain.or(next.audit_chain),
                    inherited_methods: [p.inherited_methods, next.inherited_methods].concat(),
                    app_cred: p.app_cred.or(next.app_cred),
                    rescoping_scoped: p.rescoping_scoped || next.rescoping_scoped,
                    user: p.user,
                },
                Some(_) => return Err(Error::Unauthorized("authentication methods name different users".into())),
            });
        }
        proven.ok_or_else(|| Error::Unauthorized("no method".into()))
    }

    /// Checks that the proven user is the trust's trustee and uses up one of its uses;
    /// returns the trust.
    async fn use_trust(&self, id: &str, proven: &Proven) -> Result<crate::store::TrustRow> {
        let trust = self.live_trust(id).await.map_err(|_| super::error::not_found("trust", id))?;
        if trust.trustee_user_id != proven.user.id {
            return Err(Error::ForbiddenAction("The user is not the trustee of this trust.".into()));
        }
        if trust.project_id.is_none() {
            return Err(Error::ForbiddenAction("A trust without a project cannot scope a token.".into()));
        }
        if !self.store.consume_trust_use(id).await? {
            return Err(Error::ForbiddenAction(format!("Trust {id} has no uses left.")));
        }
        Ok(trust)
    }

    async fn resolve_scope(&self, req: &AuthRequest, proven: &Proven) -> Result<ScopeRef> {
        if let Some(cred) = &proven.app_cred {
            if !matches!(req.scope, ScopeRequest::Default) {
                return Err(Error::AuthDenied("Application credentials cannot request a scope.".into()));
            }
            return Ok(ScopeRef::Project(cred.project_id.clone()));
        }
        if proven.rescoping_scoped && !self.config.allow_rescope_scoped_token && !matches!(req.scope, ScopeRequest::Default) {
            return Err(Error::ForbiddenAction("Rescoping a scoped token is disabled.".into()));
        }
        Ok(match &req.scope {
            ScopeRequest::Unscoped => ScopeRef::Unscoped,
            ScopeRequest::System => ScopeRef::System,
            ScopeRequest::Trust(_) => return Err(Error::AuthDenied("Application credentials cannot request a scope.".into())),
            ScopeRequest::Domain(d) => {
                let domain = self.find_domain(d).await.map_err(|_| Error::Unauthorized("scope domain not found".into()))?;
                if !domain.enabled {
                    return Err(Error::Unauthorized(format!("domain {} is disabled", domain.id)));
                }
                ScopeRef::Domain(domain.id)
            }
            ScopeRequest::Project(ProjectRef::Id(id)) => ScopeRef::Project(id.clone()),
            ScopeRequest::Project(p) => {
                let project = match p {
                    ProjectRef::Id(id) => self.store.get_project(id).await?,
                    ProjectRef::Name { name, domain } => {
                        let domain = self.find_domain(domain).await.map_err(|_| Error::Unauthorized("scope domain not found".into()))?;
                        self.project_named(&domain.id, name).await?
                    }
                };
                let project = project.ok_or_else(|| Error::Unauthorized("scope project not found".into()))?;
                if !project.enabled {
                    return Err(Error::Unauthorized(format!("project {} is disabled", project.id)));
                }
                ScopeRef::Project(project.id)
            }
            ScopeRequest::Default => match &proven.user.default_project_id {
                Some(id) => {
                    let usable = self.store.get_project(id).await?.is_some_and(|p| p.enabled)
                        && !self.effective_roles(&proven.user.id, super::roles::RoleTarget::Project(id)).await?.is_empty();
                    if usable { ScopeRef::Project(id.clone()) } else { ScopeRef::Unscoped }
                }
                None => ScopeRef::Unscoped,
            },
        })
    }

    /// Authenticates and issues a token.
    pub async fn authenticate(&self, req: AuthRequest) -> Result<(String, Arc<TokenData>)> {
        let proven = self.prove(&req).await?;
        let (scope, trust) = match &req.scope {
            ScopeRequest::Trust(id) if proven.app_cred.is_none() => {
                let trust = self.use_trust(id, &proven).await?;
                (ScopeRef::Project(trust.project_id.clone().unwrap_or_default()), Some(trust))
            }
            _ => (self.resolve_scope(&req, &proven).await?, None),
        };
        let now = now_micros();
        let lifetime_end = now + self.config.token_expiration * 1_000_000;
        let expires_at = [proven.expires_at, trust.as_ref().and_then(|t| t.expires_at)].into_iter().flatten().fold(lifetime_end, i64::min);
        let user_id = match &trust {
            Some(t) if t.impersonation => t.trustor_user_id.clone(),
            _ => proven.user.id.clone(),
        };
        let mut methods: Vec<&str> = req.methods.iter().map(String::as_str).collect();
        methods.extend(proven.inherited_methods.iter().copied());
        let mut audit_ids = vec![new_audit_id()];
        audit_ids.extend(proven.audit_chain.clone());
        let payload = Payload {
            version: 1,
            user_id,
            methods: Payload::method_bits(methods),
            scope,
            expires_at,
            issued_at: now,
            audit_ids,
            app_cred_id: proven.app_cred.as_ref().map(|a| a.id.clone()),
            trust_id: trust.map(|t| t.id),
        };
        let data = self.resolve(payload.clone()).await?;
        let token = self.seal(&payload)?;
        Ok((token, Arc::new(data)))
    }
}
