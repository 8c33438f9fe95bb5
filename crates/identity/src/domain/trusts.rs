//! Trusts (OS-TRUST): a trustor delegates some of their roles on a project to a
//! trustee, who can then get tokens scoped to that project, acting as themselves or,
//! with impersonation, as the trustor.

use common::time::now_micros;

use super::error::not_found;
use super::roles::RoleTarget;
use super::tokens::TokenData;
use super::{Error, Identity, Result};
use crate::store::{RoleRow, TrustRow};

/// What a trustor asks for.
#[derive(Debug, Clone)]
pub struct NewTrust {
    pub trustor_user_id: String,
    pub trustee_user_id: String,
    pub project_id: Option<String>,
    pub impersonation: bool,
    pub expires_at: Option<i64>,
    pub remaining_uses: Option<i64>,
    pub allow_redelegation: bool,
    /// Roles by id or by name.
    pub roles: Vec<(Option<String>, Option<String>)>,
}

impl Identity {
    /// Creates a trust. Only the trustor may, with a token that is not itself from a
    /// trust, and only for roles the trustor holds on the project.
    pub async fn create_trust(&self, caller: &TokenData, req: NewTrust) -> Result<TrustRow> {
        if caller.user.id != req.trustor_user_id {
            return Err(Error::ForbiddenAction("The authenticated user should match the trustor.".into()));
        }
        if caller.payload.trust_id.is_some() {
            return Err(Error::ForbiddenAction("Redelegating a trust is not supported by this cloud.".into()));
        }
        if req.remaining_uses.is_some_and(|n| n <= 0) {
            return Err(Error::Validation("Invalid input for field 'remaining_uses': it must be a positive integer or null.".into()));
        }
        if req.expires_at.is_some_and(|t| t <= now_micros()) {
            return Err(Error::Validation("Invalid input for field 'expires_at': the expiration time is in the past.".into()));
        }
        self.get_user(&req.trustee_user_id).await?;
        let all_roles = self.store.list_roles().await?;
        let mut role_ids = Vec::new();
        for (id, name) in &req.roles {
            let role = all_roles
                .iter()
                .find(|r| Some(&r.id) == id.as_ref() || (r.domain_id.is_none() && Some(&r.name) == name.as_ref()))
                .ok_or_else(|| not_found("role", id.as_deref().or(name.as_deref()).unwrap_or("?")))?;
            role_ids.push(role.id.clone());
        }
        if let Some(project_id) = &req.project_id {
            self.get_project(project_id).await?;
            if role_ids.is_empty() {
                return Err(Error::Validation("At least one role should be specified for a trust on a project.".into()));
            }
            let held = self.effective_roles(&req.trustor_user_id, RoleTarget::Project(project_id)).await?;
            if let Some(missing) = role_ids.iter().find(|r| !held.iter().any(|h| h.id == **r)) {
                return Err(Error::ForbiddenAction(format!("The trustor does not hold role {missing} on project {project_id}.")));
            }
        } else if !role_ids.is_empty() {
            return Err(Error::Validation("A trust without a project cannot delegate roles.".into()));
        }
        role_ids.dedup();
        let trust = TrustRow {
            id: common::ids::hex_id(),
            trustor_user_id: req.trustor_user_id,
            trustee_user_id: req.trustee_user_id,
            project_id: req.project_id,
            impersonation: req.impersonation,
            expires_at: req.expires_at,
            remaining_uses: req.remaining_uses,
            allow_redelegation: req.allow_redelegation,
            redelegation_count: 0,
            role_ids,
            extra: serde_json::Map::new(),
        };
        self.store.create_trust(&trust).await?;
        Ok(trust)
    }

    /// A trust by id, or 404.
    pub async fn get_trust(&self, id: &str) -> Result<TrustRow> {
        self.store.get_trust(id).await?.ok_or_else(|| not_found("trust", id))
    }

    /// A trust that can be used now: present and unexpired.
    pub(crate) async fn live_trust(&self, id: &str) -> Result<TrustRow> {
        let trust = self.store.get_trust(id).await?.ok_or_else(|| Error::Unauthorized(format!("trust {id} is gone")))?;
        if trust.expires_at.is_some_and(|t| t <= now_micros()) {
            return Err(Error::Unauthorized(format!("trust {id} expired")));
        }
        Ok(trust)
    }

    /// Deletes a trust; tokens issued under it stop working at once.
    pub async fn delete_trust(&self, id: &str) -> Result<()> {
        if !self.store.delete_trust(id).await? {
            return Err(not_found("trust", id));
        }
        self.changed();
        Ok(())
    }

    /// The roles a trust delegates, as full rows.
    pub async fn trust_roles(&self, trust: &TrustRow) -> Result<Vec<RoleRow>> {
        Ok(self.store.list_roles().await?.into_iter().filter(|r| trust.role_ids.contains(&r.id)).collect())
    }

    /// The roles a token under `trust` carries: the delegated roles and what they imply,
    /// as far as the trustor still holds them.
    pub(crate) async fn trust_token_roles(&self, trust: &TrustRow) -> Result<Vec<RoleRow>> {
        let Some(project_id) = &trust.project_id else { return Ok(Vec::new()) };
        let graph = self.implications().await?;
        let mut delegated: Vec<String> = trust.role_ids.clone();
        for r in &trust.role_ids {
            delegated.extend(graph.implied_by(r));
        }
        let held = self.effective_roles(&trust.trustor_user_id, RoleTarget::Project(project_id)).await?;
        Ok(held.into_iter().filter(|r| delegated.contains(&r.id)).collect())
    }
}
