//! Domains and projects: names, hierarchy, enabling and deletion rules.

use common::time::now_micros;

use super::error::{duplicate, not_found};
use super::{Error, Identity, Result};
use crate::store::{DomainRow, ProjectRow, RevocationRow, StoreError};

/// Keystone's `[DEFAULT] max_project_tree_depth`.
pub const MAX_PROJECT_TREE_DEPTH: usize = 5;

/// Keystone's limit on tags per project.
pub const MAX_PROJECT_TAGS: usize = 80;

/// Checks project tags as Keystone does: 1 to 255 characters, no `/` or `,`, at most 80.
pub fn check_tags(tags: &[String]) -> Result<()> {
    if tags.len() > MAX_PROJECT_TAGS {
        return Err(Error::Validation(format!("Invalid input for field 'tags': a project may have at most {MAX_PROJECT_TAGS} tags.")));
    }
    for tag in tags {
        if tag.is_empty() || tag.chars().count() > 255 || tag.contains('/') || tag.contains(',') {
            return Err(Error::Validation(format!(
                "Invalid input for field 'tags': {tag:?} must be 1 to 255 characters and contain neither '/' nor ','."
            )));
        }
    }
    Ok(())
}

impl Identity {
    /// Creates a domain.
    pub async fn create_domain(&self, d: DomainRow) -> Result<DomainRow> {
        match self.store.create_domain(&d).await {
            Err(StoreError::Duplicate) => Err(duplicate("domain", format_args!("name {}", d.name))),
            other => other.map_err(Error::from),
        }?;
        Ok(d)
    }

    /// A domain by id, or 404.
    pub async fn get_domain(&self, id: &str) -> Result<DomainRow> {
        self.store.get_domain(id).await?.ok_or_else(|| not_found("domain", id))
    }

    /// Updates a domain; disabling it revokes every token of, or scoped within, it.
    pub async fn update_domain(&self, before: &DomainRow, after: DomainRow) -> Result<DomainRow> {
        match self.store.update_domain(&after).await {
            Err(StoreError::Duplicate) => Err(duplicate("domain", format_args!("name {}", after.name))),
            other => other.map_err(Error::from),
        }?;
        if before.enabled && !after.enabled {
            let now = now_micros();
            self.revoke(RevocationRow { domain_id: Some(after.id.clone()), issued_before: now, revoked_at: now, ..Default::default() })
                .await?;
        }
        self.changed();
        Ok(after)
    }

    /// Deletes a domain and all it owns; it must be disabled first.
    pub async fn delete_domain(&self, id: &str) -> Result<()> {
        let domain = self.get_domain(id).await?;
        if domain.enabled {
            return Err(Error::ForbiddenAction("Cannot delete a domain that is enabled, please disable it first.".into()));
        }
        self.store.delete_domain(id).await?;
        let now = now_micros();
        self.revoke(RevocationRow { domain_id: Some(id.to_owned()), issued_before: now, revoked_at: now, ..Default::default() }).await?;
        self.changed();
        Ok(())
    }

    /// Creates a project under its domain or a parent project of the same domain.
    pub async fn create_project(&self, p: ProjectRow) -> Result<ProjectRow> {
        check_tags(&p.tags)?;
        let domain = self.store.get_domain(&p.domain_id).await?.ok_or_else(|| not_found("domain", &p.domain_id))?;
        if let Some(parent_id) = &p.parent_id {
            let parent = self.store.get_project(parent_id).await?.ok_or_else(|| not_found("project", parent_id))?;
            if parent.domain_id != domain.id {
                return Err(Error::Validation(format!(
                    "Cannot create project, the parent ({parent_id}) is in a different domain ({}) than the project ({}).",
                    parent.domain_id, domain.id
                )));
            }
            // The new project sits one level below its parent, which sits below its ancestors.
            if self.project_ancestors(parent_id).await?.len() + 2 > MAX_PROJECT_TREE_DEPTH {
                return Err(Error::ForbiddenAction(format!("Max hierarchy depth reached for {parent_id} branch.")));
            }
            if p.enabled && !parent.enabled {
                return Err(Error::ForbiddenAction(format!("cannot create an enabled project under disabled project {parent_id}.")));
            }
        }
        match self.store.create_project(&p).await {
            Err(StoreError::Duplicate) => Err(duplicate("project", format_args!("name {} at domain ID {}", p.name, p.domain_id))),
            other => other.map_err(Error::from),
        }?;
        Ok(p)
    }

    /// A project by id, or 404.
    pub async fn get_project(&self, id: &str) -> Result<ProjectRow> {
        self.store.get_project(id).await?.ok_or_else(|| not_found("project", id))
    }

    /// Updates a project. Disabling refuses while projects below are enabled, and
    /// revokes tokens scoped to it; enabling refuses under a disabled parent.
    pub async fn update_project(&self, before: &ProjectRow, after: ProjectRow) -> Result<ProjectRow> {
        check_tags(&after.tags)?;
        if before.enabled && !after.enabled {
            let subtree = self.project_subtree(&after.id).await?;
            for id in subtree.iter().filter(|id| **id != after.id) {
                if self.store.get_project(id).await?.is_some_and(|c| c.enabled) {
                    return Err(Error::ForbiddenAction(format!(
                        "cannot disable project {} since its subtree contains enabled projects.",
                        after.id
                    )));
                }
            }
        }
        if !before.enabled
            && after.enabled
            && let Some(parent_id) = &after.parent_id
            && !self.get_project(parent_id).await?.enabled
        {
            return Err(Error::ForbiddenAction(format!("cannot enable project {} since it has disabled parents.", after.id)));
        }
        match self.store.update_project(&after).await {
            Err(StoreError::Duplicate) => Err(duplicate("project", format_args!("name {} at domain ID {}", after.name, after.domain_id))),
            other => other.map_err(Error::from),
        }?;
        if before.enabled && !after.enabled {
            let now = now_micros();
            self.revoke(RevocationRow { project_id: Some(after.id.clone()), issued_before: now, revoked_at: now, ..Default::default() })
                .await?;
        }
        self.changed();
        Ok(after)
    }

    /// Deletes a leaf project and revokes tokens scoped to it.
    pub async fn delete_project(&self, id: &str) -> Result<()> {
        self.get_project(id).await?;
        match self.store.delete_project(id).await {
            Err(StoreError::Reference) => {
                return Err(Error::ForbiddenAction(format!("cannot delete the project {id} since it is not a leaf in the hierarchy.")));
            }
            other => other?,
        }
        let now = now_micros();
        self.revoke(RevocationRow { project_id: Some(id.to_owned()), issued_before: now, revoked_at: now, ..Default::default() }).await?;
        self.changed();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_keystones_rules() {
        assert!(check_tags(&["a".into(), "b c".into()]).is_ok());
        assert!(check_tags(&["".into()]).is_err());
        assert!(check_tags(&["a/b".into()]).is_err());
        assert!(check_tags(&["a,b".into()]).is_err());
        assert!(check_tags(&vec!["t".to_owned(); 81]).is_err());
    }
}
