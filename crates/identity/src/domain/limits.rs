//! Unified limits (Keystone's flat model): a registered default per service resource,
//! overridden per project or domain. Other services read them to enforce quotas.

use std::collections::{HashMap, HashSet};

use super::error::{duplicate, not_found};
use super::{Error, Identity, Result};
use crate::store::{LimitRow, RegisteredLimitRow, StoreError};

/// The enforcement model, as `GET /v3/limits/model` describes it.
pub const MODEL: (&str, &str) = ("flat", "Limit enforcement and validation does not take project hierarchy into consideration.");

fn key(service_id: &str, region_id: &Option<String>, resource: &str) -> (String, String, String) {
    (service_id.to_owned(), region_id.clone().unwrap_or_default(), resource.to_owned())
}

impl Identity {
    async fn check_service_and_region(&self, service_id: &str, region_id: &Option<String>) -> Result<()> {
        if self.store.get_service(service_id).await?.is_none() {
            return Err(Error::Validation(format!("Invalid input for field 'service_id': service {service_id} does not exist.")));
        }
        if let Some(region) = region_id
            && self.store.get_region(region).await?.is_none()
        {
            return Err(Error::Validation(format!("Invalid input for field 'region_id': region {region} does not exist.")));
        }
        Ok(())
    }

    /// Creates registered limits, all or none.
    pub async fn create_registered_limits(&self, limits: Vec<RegisteredLimitRow>) -> Result<Vec<RegisteredLimitRow>> {
        let mut seen = HashSet::new();
        for l in &limits {
            self.check_service_and_region(&l.service_id, &l.region_id).await?;
            if !seen.insert(key(&l.service_id, &l.region_id, &l.resource_name)) {
                return Err(duplicate("registered_limit", format_args!("resource {} twice in one request", l.resource_name)));
            }
        }
        match self.store.create_registered_limits(&limits).await {
            Err(StoreError::Duplicate) => Err(duplicate("registered_limit", "the same service, region and resource")),
            other => other.map_err(Error::from),
        }?;
        Ok(limits)
    }

    /// A registered limit by id, or 404.
    pub async fn get_registered_limit(&self, id: &str) -> Result<RegisteredLimitRow> {
        self.store.list_registered_limits().await?.into_iter().find(|l| l.id == id).ok_or_else(|| not_found("registered limit", id))
    }

    async fn limits_referencing(&self, r: &RegisteredLimitRow) -> Result<bool> {
        let k = key(&r.service_id, &r.region_id, &r.resource_name);
        Ok(self.store.list_limits().await?.iter().any(|l| key(&l.service_id, &l.region_id, &l.resource_name) == k))
    }

    /// Updates a registered limit; what it applies to cannot change while limits use it.
    pub async fn update_registered_limit(&self, before: &RegisteredLimitRow, after: RegisteredLimitRow) -> Result<RegisteredLimitRow> {
        self.check_service_and_region(&after.service_id, &after.region_id).await?;
        let moved = key(&before.service_id, &before.region_id, &before.resource_name)
            != key(&after.service_id, &after.region_id, &after.resource_name);
        if moved && self.limits_referencing(before).await? {
            return Err(Error::ForbiddenAction(format!("Cannot update registered limit {}: project or domain limits use it.", before.id)));
        }
        match self.store.update_registered_limit(&after).await {
            Err(StoreError::Duplicate) => Err(duplicate("registered_limit", "the same service, region and resource")),
            other => other.map_err(Error::from),
        }?;
        Ok(after)
    }

    /// Deletes a registered limit no limit uses.
    pub async fn delete_registered_limit(&self, id: &str) -> Result<()> {
        let limit = self.get_registered_limit(id).await?;
        if self.limits_referencing(&limit).await? {
            return Err(Error::ForbiddenAction(format!("Cannot delete registered limit {id}: project or domain limits use it.")));
        }
        self.store.delete_registered_limit(id).await?;
        Ok(())
    }

    /// Creates project or domain limits, all or none; each needs a registered limit.
    pub async fn create_limits(&self, limits: Vec<LimitRow>) -> Result<Vec<LimitRow>> {
        let registered: HashSet<_> =
            self.store.list_registered_limits().await?.iter().map(|r| key(&r.service_id, &r.region_id, &r.resource_name)).collect();
        let mut seen = HashSet::new();
        for l in &limits {
            match l.target_type.as_str() {
                "project" => drop(self.get_project(&l.target_id).await?),
                _ => drop(self.get_domain(&l.target_id).await?),
            }
            let k = key(&l.service_id, &l.region_id, &l.resource_name);
            if !registered.contains(&k) {
                return Err(Error::ForbiddenAction(format!(
                    "No registered limit is defined for resource {} of service {}{}.",
                    l.resource_name,
                    l.service_id,
                    l.region_id.as_ref().map(|r| format!(" in region {r}")).unwrap_or_default()
                )));
            }
            if !seen.insert((l.target_id.clone(), k)) {
                return Err(duplicate("limit", format_args!("resource {} twice in one request", l.resource_name)));
            }
        }
        match self.store.create_limits(&limits).await {
            Err(StoreError::Duplicate) => Err(duplicate("limit", "the same target, service, region and resource")),
            other => other.map_err(Error::from),
        }?;
        Ok(limits)
    }

    /// A limit by id, or 404.
    pub async fn get_limit(&self, id: &str) -> Result<LimitRow> {
        self.store.list_limits().await?.into_iter().find(|l| l.id == id).ok_or_else(|| not_found("limit", id))
    }

    /// Updates a limit's value or description.
    pub async fn update_limit(&self, after: LimitRow) -> Result<LimitRow> {
        self.store.update_limit(&after).await?;
        Ok(after)
    }

    /// Deletes a limit.
    pub async fn delete_limit(&self, id: &str) -> Result<()> {
        if !self.store.delete_limit(id).await? {
            return Err(not_found("limit", id));
        }
        Ok(())
    }
}

impl Identity {
    /// The limits `project_id` has on `resources` of the service of type
    /// `service_type` in `region`: its own limit where it has one, else the registered
    /// default. Limits without a region apply in every region.
    pub async fn effective_limits(
        &self,
        service_type: &str,
        region: &str,
        project_id: &str,
        resources: &[&str],
    ) -> Result<HashMap<String, i64>> {
        let services: HashSet<String> =
            self.store.list_services().await?.into_iter().filter(|s| s.service_type == service_type).map(|s| s.id).collect();
        let in_scope = |service_id: &str, region_id: &Option<String>| {
            services.contains(service_id) && region_id.as_deref().is_none_or(|r| r == region)
        };
        let registered = self.store.list_registered_limits().await?;
        let overrides = self.store.list_project_limits(project_id).await?;
        let mut limits = HashMap::new();
        for resource in resources {
            let own = overrides.iter().find(|l| {
                l.target_type == "project"
                    && l.target_id == project_id
                    && l.resource_name == *resource
                    && in_scope(&l.service_id, &l.region_id)
            });
            let value = match own {
                Some(l) => Some(l.resource_limit),
                None => registered
                    .iter()
                    .find(|l| l.resource_name == *resource && in_scope(&l.service_id, &l.region_id))
                    .map(|l| l.default_limit),
            };
            if let Some(value) = value {
                limits.insert((*resource).to_owned(), value);
            }
        }
        Ok(limits)
    }
}

#[async_trait::async_trait]
impl http_api::LimitSource for Identity {
    async fn project_limits(
        &self,
        service_type: &str,
        region: &str,
        project_id: &str,
        resources: &[&str],
    ) -> Result<HashMap<String, i64>, http_api::LimitsUnavailable> {
        self.effective_limits(service_type, region, project_id, resources).await.map_err(|e| http_api::LimitsUnavailable(e.to_string()))
    }
}
