//! OS-EP-FILTER: a project associated with endpoints, directly or through endpoint
//! groups, sees only those in its tokens' catalog; a project with no association sees
//! them all (Keystone's `return_all_endpoints_if_no_filter`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::error::not_found;
use super::{Error, Identity, Result};
use crate::store::{EndpointGroupRow, EndpointRow, ProjectRow};

/// The filter keys an endpoint group may use.
pub const FILTER_KEYS: [&str; 3] = ["service_id", "region_id", "interface"];

/// Project id → the endpoint ids its catalog is limited to.
pub type EndpointFilter = HashMap<String, HashSet<String>>;

/// Whether an endpoint matches an endpoint group's filters.
pub fn matches(filters: &serde_json::Map<String, Value>, e: &EndpointRow) -> bool {
    filters.iter().all(|(key, want)| {
        let have = match key.as_str() {
            "service_id" => Some(e.service_id.as_str()),
            "region_id" => e.region_id.as_deref(),
            "interface" => Some(e.interface.as_str()),
            _ => None,
        };
        have.is_some() && want.as_str() == have
    })
}

impl Identity {
    fn check_filters(filters: &serde_json::Map<String, Value>) -> Result<()> {
        match filters.iter().find(|(k, v)| !FILTER_KEYS.contains(&k.as_str()) || !v.is_string()) {
            Some((k, _)) => Err(Error::Validation(format!(
                "Invalid input for field 'filters': {k:?} is not one of service_id, region_id, interface with a string value."
            ))),
            None => Ok(()),
        }
    }

    /// Creates an endpoint group.
    pub async fn create_endpoint_group(&self, g: EndpointGroupRow) -> Result<EndpointGroupRow> {
        Self::check_filters(&g.filters)?;
        self.store.create_endpoint_group(&g).await?;
        self.changed();
        Ok(g)
    }

    /// An endpoint group by id, or 404.
    pub async fn get_endpoint_group(&self, id: &str) -> Result<EndpointGroupRow> {
        self.store.list_endpoint_groups().await?.into_iter().find(|g| g.id == id).ok_or_else(|| not_found("endpoint group", id))
    }

    /// Rewrites an endpoint group.
    pub async fn update_endpoint_group(&self, g: EndpointGroupRow) -> Result<EndpointGroupRow> {
        Self::check_filters(&g.filters)?;
        self.store.update_endpoint_group(&g).await?;
        self.changed();
        Ok(g)
    }

    /// Deletes an endpoint group and its associations.
    pub async fn delete_endpoint_group(&self, id: &str) -> Result<()> {
        if !self.store.delete_endpoint_group(id).await? {
            return Err(not_found("endpoint group", id));
        }
        self.changed();
        Ok(())
    }

    /// The endpoints an endpoint group selects.
    pub async fn endpoints_in_group(&self, g: &EndpointGroupRow) -> Result<Vec<EndpointRow>> {
        Ok(self.store.list_endpoints().await?.into_iter().filter(|e| matches(&g.filters, e)).collect())
    }

    /// Associates an endpoint, or with `group` an endpoint group, with a project.
    pub async fn associate_endpoints(&self, group: bool, id: &str, project_id: &str) -> Result<()> {
        self.check_association_parts(group, id, project_id).await?;
        self.store.add_endpoint_association(group, id, project_id).await?;
        self.changed();
        Ok(())
    }

    /// Whether the association exists (404 when not).
    pub async fn check_endpoint_association(&self, group: bool, id: &str, project_id: &str) -> Result<()> {
        self.check_association_parts(group, id, project_id).await?;
        if !self.store.endpoint_association_exists(group, id, project_id).await? {
            return Err(Error::NotFound { kind: "endpoint association", id: format!("{id} with project {project_id}") });
        }
        Ok(())
    }

    /// Removes an association (404 when there is none).
    pub async fn dissociate_endpoints(&self, group: bool, id: &str, project_id: &str) -> Result<()> {
        self.check_association_parts(group, id, project_id).await?;
        if !self.store.remove_endpoint_association(group, id, project_id).await? {
            return Err(Error::NotFound { kind: "endpoint association", id: format!("{id} with project {project_id}") });
        }
        self.changed();
        Ok(())
    }

    async fn check_association_parts(&self, group: bool, id: &str, project_id: &str) -> Result<()> {
        self.get_project(project_id).await?;
        if group {
            self.get_endpoint_group(id).await?;
        } else {
            self.get_endpoint(id).await?;
        }
        Ok(())
    }

    /// The projects an endpoint, or with `group` an endpoint group, is associated with.
    pub async fn projects_associated(&self, group: bool, id: &str) -> Result<Vec<ProjectRow>> {
        let ids: HashSet<String> = if group {
            self.get_endpoint_group(id).await?;
            self.store.list_project_endpoint_groups().await?.into_iter().filter(|(g, _)| g == id).map(|(_, p)| p).collect()
        } else {
            self.get_endpoint(id).await?;
            self.store.list_project_endpoints().await?.into_iter().filter(|(_, e)| e == id).map(|(p, _)| p).collect()
        };
        Ok(self.store.list_projects().await?.into_iter().filter(|p| ids.contains(&p.id)).collect())
    }

    /// The endpoint groups associated with a project.
    pub async fn endpoint_groups_for_project(&self, project_id: &str) -> Result<Vec<EndpointGroupRow>> {
        self.get_project(project_id).await?;
        let ids: HashSet<String> =
            self.store.list_project_endpoint_groups().await?.into_iter().filter(|(_, p)| p == project_id).map(|(g, _)| g).collect();
        Ok(self.store.list_endpoint_groups().await?.into_iter().filter(|g| ids.contains(&g.id)).collect())
    }

    /// The endpoints a project is associated with, directly or through groups.
    pub async fn endpoints_for_project(&self, project_id: &str) -> Result<Vec<EndpointRow>> {
        self.get_project(project_id).await?;
        let filter = self.endpoint_filter().await?;
        let allowed = filter.get(project_id).cloned().unwrap_or_default();
        Ok(self.store.list_endpoints().await?.into_iter().filter(|e| allowed.contains(&e.id)).collect())
    }

    /// Every project's endpoint restriction, computed once per generation.
    async fn endpoint_filter(&self) -> Result<Arc<EndpointFilter>> {
        let generation = self.generation();
        if let Some((g, cached)) = self.endpoint_filter_cache.read().as_ref()
            && *g == generation
        {
            return Ok(Arc::clone(cached));
        }
        let mut filter: EndpointFilter = HashMap::new();
        for (project, endpoint) in self.store.list_project_endpoints().await? {
            filter.entry(project).or_default().insert(endpoint);
        }
        let groups = self.store.list_endpoint_groups().await?;
        let endpoints = self.store.list_endpoints().await?;
        for (group_id, project) in self.store.list_project_endpoint_groups().await? {
            let entry = filter.entry(project).or_default();
            if let Some(g) = groups.iter().find(|g| g.id == group_id) {
                entry.extend(endpoints.iter().filter(|e| matches(&g.filters, e)).map(|e| e.id.clone()));
            }
        }
        let filter = Arc::new(filter);
        *self.endpoint_filter_cache.write() = Some((generation, Arc::clone(&filter)));
        Ok(filter)
    }

    /// The catalog a token scoped to `project` carries.
    pub async fn catalog_for(&self, project: Option<&str>) -> Result<Arc<Value>> {
        let full = self.catalog_json().await?;
        let Some(project) = project else { return Ok(full) };
        let filter = self.endpoint_filter().await?;
        let Some(allowed) = filter.get(project) else { return Ok(full) };
        let services: Vec<Value> = full
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|service| {
                let mut service = service.clone();
                let endpoints: Vec<Value> = service["endpoints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| e["id"].as_str().is_some_and(|id| allowed.contains(id)))
                    .cloned()
                    .collect();
                (!endpoints.is_empty()).then(|| {
                    service["endpoints"] = Value::Array(endpoints);
                    service
                })
            })
            .collect();
        Ok(Arc::new(Value::Array(services)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoint_groups_match_on_every_filter_given() {
        let e = EndpointRow {
            id: "e".into(),
            service_id: "s".into(),
            interface: "public".into(),
            url: "http://x".into(),
            region_id: Some("R".into()),
            enabled: true,
            extra: Default::default(),
        };
        let f = |v: Value| v.as_object().cloned().unwrap();
        assert!(matches(&f(json!({})), &e), "no filter selects everything");
        assert!(matches(&f(json!({"service_id": "s", "interface": "public"})), &e));
        assert!(!matches(&f(json!({"service_id": "s", "interface": "admin"})), &e));
        assert!(!matches(&f(json!({"region_id": "Other"})), &e));
        assert!(!matches(&f(json!({"region_id": "R", "bogus": "x"})), &e));
    }
}
