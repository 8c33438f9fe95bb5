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
    /// How many more redelegations the new trust allows; `None` leaves it to the rules.
    pub redelegation_count: Option<i64>,
    /// Roles by id or by name.
    pub roles: Vec<(Option<String>, Option<String>)>,
}

impl Identity {
    /// Creates a trust. Only the trustor may, and only for roles the trustor holds on
    /// the project. Made with a trust-scoped token, the new trust is redelegated from
    /// that trust and may give no more than every trust above it allows.
    pub async fn create_trust(&self, caller: &TokenData, mut req: NewTrust) -> Result<TrustRow> {
        if caller.app_cred.is_some() {
            return Err(Error::ForbiddenAction("Using method 'application_credential' is not allowed for managing trusts.".into()));
        }
        if caller.user.id != req.trustor_user_id {
            return Err(Error::ForbiddenAction("The authenticated user should match the trustor.".into()));
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
        role_ids.sort();
        role_ids.dedup();
        let redelegation_count = self.redelegation_count(&req)?;
        let redelegated_trust_id = match &caller.trust {
            Some(parent) => Some(self.check_redelegation(parent, &mut req, &role_ids, redelegation_count).await?),
            None => None,
        };
        let trust = TrustRow {
            id: common::ids::hex_id(),
            trustor_user_id: req.trustor_user_id,
            trustee_user_id: req.trustee_user_id,
            project_id: req.project_id,
            impersonation: req.impersonation,
            expires_at: req.expires_at,
            remaining_uses: req.remaining_uses,
            allow_redelegation: req.allow_redelegation,
            redelegation_count: match (&caller.trust, redelegation_count) {
                (Some(parent), Some(_)) => parent.redelegation_count - 1,
                (_, count) => count.unwrap_or(0),
            },
            redelegated_trust_id,
            role_ids,
            extra: serde_json::Map::new(),
        };
        self.store.create_trust(&trust).await?;
        Ok(trust)
    }

    /// How many redelegations a new trust asks for: `None` when it may not be
    /// redelegated at all, else the count asked for or the most allowed.
    fn redelegation_count(&self, req: &NewTrust) -> Result<Option<i64>> {
        let max = self.config.max_redelegation_count;
        if !req.allow_redelegation || req.redelegation_count == Some(0) {
            return Ok(None);
        }
        if let Some(n) = req.redelegation_count.filter(|n| *n > max) {
            return Err(Error::ForbiddenAction(format!("Requested redelegation depth of {n} is greater than allowed {max}.")));
        }
        if req.remaining_uses.is_some() {
            return Err(Error::Validation("remaining_uses must not be set if redelegation is allowed".into()));
        }
        Ok(Some(req.redelegation_count.unwrap_or(max)))
    }

    /// Checks a trust redelegated from `parent` against every trust up the chain, and
    /// gives it the earliest expiry among them when it names none. Returns the parent's id.
    async fn check_redelegation(&self, parent: &TrustRow, req: &mut NewTrust, role_ids: &[String], count: Option<i64>) -> Result<String> {
        let max = self.config.max_redelegation_count;
        if req.redelegation_count.is_some() && count.is_some_and(|_| req.redelegation_count != Some(parent.redelegation_count - 1)) {
            return Err(Error::ForbiddenAction(
                "Modifying \"redelegation_count\" upon redelegation is forbidden. Omitting this parameter is advised.".into(),
            ));
        }
        if let Some(uses) = req.remaining_uses {
            return Err(Error::ForbiddenAction(format!(
                "Field \"remaining_uses\" is set to {uses} while it must not be set in order to redelegate a trust."
            )));
        }
        if req.project_id != parent.project_id {
            return Err(Error::ForbiddenAction("A redelegated trust must be on the project of the trust it comes from.".into()));
        }
        for ancestor in self.trust_chain(parent).await? {
            if !(1..=max).contains(&ancestor.redelegation_count) {
                return Err(Error::ForbiddenAction(format!(
                    "Remaining redelegation depth of {} out of allowed range of [0..{max}].",
                    ancestor.redelegation_count
                )));
            }
            match (req.expires_at, ancestor.expires_at) {
                (Some(asked), Some(limit)) if asked > limit => {
                    return Err(Error::ForbiddenAction("Requested expiration time is more than redelegated trust can provide.".into()));
                }
                (None, limit) => req.expires_at = limit,
                _ => {}
            }
            if role_ids.iter().any(|r| !ancestor.role_ids.contains(r)) {
                return Err(Error::ForbiddenAction("Some of requested roles are not in redelegated trust.".into()));
            }
            if req.impersonation && !ancestor.impersonation {
                return Err(Error::ForbiddenAction(format!(
                    "Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: {}.",
                    ancestor.id
                )));
            }
        }
        Ok(parent.id.clone())
    }

    /// `trust` and the trusts it was redelegated from, nearest first; every one of them
    /// must still exist with an enabled trustee.
    async fn trust_chain(&self, trust: &TrustRow) -> Result<Vec<TrustRow>> {
        let mut chain = vec![trust.clone()];
        while let Some(parent_id) = chain.last().and_then(|t| t.redelegated_trust_id.clone()) {
            if chain.len() > self.config.max_redelegation_count as usize + 1 {
                return Err(Error::ForbiddenAction(format!("The redelegation chain of trust {} is too long.", trust.id)));
            }
            let parent = self.store.get_trust(&parent_id).await?.ok_or_else(|| not_found("trust", &parent_id))?;
            chain.push(parent);
        }
        for link in &chain[1..] {
            if !self.store.get_user(&link.trustee_user_id).await?.is_some_and(|u| u.enabled) {
                return Err(Error::ForbiddenAction("One of the trust agents is disabled or deleted.".into()));
            }
        }
        Ok(chain)
    }

    /// A trust by id, or 404.
    pub async fn get_trust(&self, id: &str) -> Result<TrustRow> {
        self.store.get_trust(id).await?.ok_or_else(|| not_found("trust", id))
    }

    /// A trust that can be used now: present, unexpired, and, when redelegated, still
    /// backed by every trust above it.
    pub(crate) async fn live_trust(&self, id: &str) -> Result<TrustRow> {
        let trust = self.store.get_trust(id).await?.ok_or_else(|| Error::Unauthorized(format!("trust {id} is gone")))?;
        if trust.expires_at.is_some_and(|t| t <= now_micros()) {
            return Err(Error::Unauthorized(format!("trust {id} expired")));
        }
        if trust.redelegated_trust_id.is_some() {
            self.trust_chain(&trust).await.map_err(|e| Error::Unauthorized(format!("trust {id} is no longer backed: {e}")))?;
        }
        Ok(trust)
    }

    /// Deletes a trust and every trust redelegated from it; tokens issued under any of
    /// them stop working at once.
    pub async fn delete_trust(&self, id: &str) -> Result<()> {
        self.get_trust(id).await?;
        let mut doomed = vec![id.to_owned()];
        let mut next = 0;
        while next < doomed.len() {
            let children = self.store.list_redelegated_trust_ids(&doomed[next]).await?;
            doomed.extend(children.into_iter().filter(|c| !doomed.contains(c)).collect::<Vec<_>>());
            next += 1;
        }
        self.store.delete_trusts(&doomed).await?;
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
