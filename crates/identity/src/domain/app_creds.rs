//! Application credentials: secrets a user hands to an application, bound to one
//! project and a subset of the user's roles there.

use base64::Engine;
use common::time::now_micros;

use super::error::{duplicate, not_found};
use super::tokens::TokenData;
use super::{Error, Identity, Result, TokenScope};
use crate::store::{AccessRuleDeletion, AccessRuleRow, AppCredRow, StoreError};

/// What a user asks for when creating an application credential.
#[derive(Debug, Clone)]
pub struct NewAppCred {
    pub name: String,
    pub description: Option<String>,
    pub secret: Option<String>,
    pub expires_at: Option<i64>,
    pub unrestricted: bool,
    /// Roles by id or by name; empty means every role the token carries.
    pub roles: Vec<(Option<String>, Option<String>)>,
    /// The calls the credential's tokens may make; empty means no restriction.
    pub access_rules: Vec<NewAccessRule>,
}

/// An access rule as a create request names it: an existing rule by id, or a rule by
/// what it allows (reused when the user already has the same one).
#[derive(Debug, Clone, Default)]
pub struct NewAccessRule {
    pub id: Option<String>,
    pub service: Option<String>,
    pub path: Option<String>,
    pub method: Option<String>,
}

impl Identity {
    /// Creates an application credential for the token's user on the token's project.
    /// Returns it with the secret, which is shown only this once.
    pub async fn create_app_cred(&self, token: &TokenData, user_id: &str, req: NewAppCred) -> Result<(AppCredRow, String)> {
        if token.user.id != user_id {
            return Err(Error::Forbidden("identity:create_application_credential".into()));
        }
        refuse_delegated(token)?;
        if token.app_cred.as_ref().is_some_and(|c| !c.unrestricted) {
            return Err(Error::ForbiddenAction(
                "Using method 'application_credential' is not allowed for managing additional application credentials.".into(),
            ));
        }
        let TokenScope::Project { project, .. } = &token.scope else {
            return Err(Error::Validation("Application credentials must be created with a project-scoped token.".into()));
        };
        if req.expires_at.is_some_and(|t| t <= now_micros()) {
            return Err(Error::Validation("Invalid input for field 'expires_at': the expiration time is in the past.".into()));
        }
        let role_ids = if req.roles.is_empty() {
            token.roles.iter().map(|r| r.id.clone()).collect()
        } else {
            let mut ids = Vec::new();
            for (id, name) in &req.roles {
                let held = token.roles.iter().find(|r| Some(&r.id) == id.as_ref() || Some(&r.name) == name.as_ref());
                let role = held.ok_or_else(|| {
                    Error::ForbiddenAction(format!(
                        "The application credential asks for role {} which the user does not hold on project {}.",
                        id.as_deref().or(name.as_deref()).unwrap_or("?"),
                        project.id
                    ))
                })?;
                ids.push(role.id.clone());
            }
            ids
        };
        let access_rules = self.resolve_access_rules(user_id, &req.access_rules).await?;
        let secret = req.secret.unwrap_or_else(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 64]>()));
        let row = AppCredRow {
            id: common::ids::hex_id(),
            name: req.name,
            user_id: user_id.to_owned(),
            project_id: project.id.clone(),
            secret_hash: self.hash_secret(&secret).await?,
            description: req.description,
            expires_at: req.expires_at,
            unrestricted: req.unrestricted,
            created_at: now_micros(),
            role_ids,
            access_rules,
        };
        match self.store.create_app_cred(&row).await {
            Err(StoreError::Duplicate) => Err(duplicate("application_credential", format_args!("name {}", row.name))),
            other => other.map_err(Error::from),
        }?;
        Ok((row, secret))
    }

    /// The rules a new credential names: existing rules of the user by id, else the
    /// user's identical rule, else a new rule.
    async fn resolve_access_rules(&self, user_id: &str, asked: &[NewAccessRule]) -> Result<Vec<AccessRuleRow>> {
        let mut rules: Vec<AccessRuleRow> = Vec::with_capacity(asked.len());
        for a in asked {
            let existing = match &a.id {
                Some(id) => self.store.get_access_rule(id).await?,
                None => None,
            };
            let rule = match (existing, &a.service, &a.path, &a.method) {
                (Some(rule), ..) if rule.user_id == user_id => rule,
                (Some(rule), ..) => return Err(not_found("access rule", &rule.id)),
                (None, Some(service), Some(path), Some(method)) => match self.store.find_access_rule(user_id, service, path, method).await?
                {
                    Some(rule) => rule,
                    None => AccessRuleRow {
                        id: a.id.clone().unwrap_or_else(common::ids::hex_id),
                        user_id: user_id.to_owned(),
                        service: service.clone(),
                        path: path.clone(),
                        method: method.clone(),
                    },
                },
                (None, ..) => match &a.id {
                    Some(id) => return Err(not_found("access rule", id)),
                    None => {
                        return Err(Error::Validation(
                            "Invalid input for field 'access_rules': a new access rule needs service, path and method.".into(),
                        ));
                    }
                },
            };
            if !rules.iter().any(|r| r.id == rule.id) {
                rules.push(rule);
            }
        }
        Ok(rules)
    }

    /// A user's access rules, used or not.
    pub async fn list_access_rules(&self, user_id: &str) -> Result<Vec<AccessRuleRow>> {
        self.get_user(user_id).await?;
        Ok(self.store.list_access_rules(user_id).await?)
    }

    /// An access rule of `user_id`, or 404.
    pub async fn get_access_rule(&self, user_id: &str, id: &str) -> Result<AccessRuleRow> {
        self.store.get_access_rule(id).await?.filter(|r| r.user_id == user_id).ok_or_else(|| not_found("access rule", id))
    }

    /// Deletes an access rule no application credential names any more.
    pub async fn delete_access_rule(&self, token: &TokenData, user_id: &str, id: &str) -> Result<()> {
        refuse_delegated(token)?;
        self.get_access_rule(user_id, id).await?;
        match self.store.delete_access_rule(id).await? {
            AccessRuleDeletion::Deleted => Ok(()),
            AccessRuleDeletion::InUse => Err(Error::ForbiddenAction("May not delete access rule in use".into())),
            AccessRuleDeletion::Missing => Err(not_found("access rule", id)),
        }
    }

    /// An application credential of `user_id`, or 404.
    pub async fn get_app_cred(&self, user_id: &str, id: &str) -> Result<AppCredRow> {
        self.store.get_app_cred(id).await?.filter(|a| a.user_id == user_id).ok_or_else(|| not_found("application credential", id))
    }

    /// The application credentials of a user.
    pub async fn list_app_creds(&self, user_id: &str) -> Result<Vec<AppCredRow>> {
        self.get_user(user_id).await?;
        Ok(self.store.list_app_creds(user_id).await?)
    }

    /// Deletes an application credential; tokens made from it stop working. Its access
    /// rules stay, for other credentials to name, until deleted themselves.
    pub async fn delete_app_cred(&self, token: &TokenData, user_id: &str, id: &str) -> Result<()> {
        refuse_delegated(token)?;
        if token.app_cred.as_ref().is_some_and(|c| !c.unrestricted) {
            return Err(Error::ForbiddenAction(
                "Using method 'application_credential' is not allowed for managing additional application credentials.".into(),
            ));
        }
        self.get_app_cred(user_id, id).await?;
        self.store.delete_app_cred(id).await?;
        self.changed();
        Ok(())
    }
}

/// Refuses a token issued through a trust: what was delegated cannot mint credentials
/// of its own.
fn refuse_delegated(token: &TokenData) -> Result<()> {
    if token.trust.is_some() {
        return Err(Error::ForbiddenAction("Cannot manage application credentials with a token issued via delegation.".into()));
    }
    Ok(())
}
