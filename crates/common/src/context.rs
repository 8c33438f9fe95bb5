//! The request context: who is calling, with what scope and roles, and the request id
//! that follows the request everywhere.

use serde_json::{Value, json};

/// What a token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// No scope: the token proves identity only.
    Unscoped,
    /// A project, with the domain it lives in.
    Project { id: String, domain_id: String },
    /// A domain.
    Domain { id: String },
    /// The whole deployment (`system: all`).
    System,
}

/// The authenticated caller of one request, as token validation established it.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request id (`req-<uuid>`), also in every log line of this request.
    pub request_id: String,
    /// The user's id.
    pub user_id: String,
    /// The domain the user belongs to.
    pub user_domain_id: String,
    /// What the token is scoped to.
    pub scope: Scope,
    /// Effective role names on the scope, implied roles included.
    pub roles: Vec<String>,
    /// The token's audit ids: its own first, then the one it was rescoped from.
    pub audit_ids: Vec<String>,
    /// The application credential the token was made from, if any.
    pub application_credential_id: Option<String>,
    /// The calls that application credential is restricted to; `None` when it has no
    /// access rules.
    pub access_rules: Option<Vec<crate::access_rules::AccessRule>>,
    /// The trust the token acts under, if any.
    pub trust_id: Option<String>,
    /// Roles of the `X-Service-Token` sent along, when a service calls on a user's
    /// behalf (keystonemiddleware's `service_roles`).
    pub service_roles: Vec<String>,
}

impl RequestContext {
    /// The scoped project's id, if the token is project-scoped.
    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::Project { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The scoped domain's id, if the token is domain-scoped.
    pub fn domain_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::Domain { id } => Some(id),
            _ => None,
        }
    }

    /// Whether the caller holds `role` (case-insensitively, as oslo.policy compares).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }

    /// The credentials document policy rules are evaluated against, with the keys
    /// oslo.policy and keystonemiddleware provide (`user_id`, `project_id`, `roles`,
    /// `system_scope`, `token.domain.id`, ...).
    pub fn policy_credentials(&self) -> Value {
        let (project_id, project_domain_id) = match &self.scope {
            Scope::Project { id, domain_id } => (Some(id.as_str()), Some(domain_id.as_str())),
            _ => (None, None),
        };
        json!({
            "user_id": self.user_id,
            "user_domain_id": self.user_domain_id,
            "project_id": project_id,
            "project_domain_id": project_domain_id,
            "domain_id": self.domain_id(),
            "system_scope": matches!(self.scope, Scope::System).then_some("all"),
            "roles": self.roles,
            "service_roles": self.service_roles,
            "is_admin": false,
            "is_admin_project": true,
            "token": {
                "user": {"domain": {"id": self.user_domain_id}},
                "project": {"domain": {"id": project_domain_id}},
                "domain": {"id": self.domain_id()},
            },
        })
    }
}
