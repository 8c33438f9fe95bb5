//! Regions, services, endpoints, and the catalog tokens carry.

use std::sync::Arc;

use serde_json::{Value, json};

use super::error::{duplicate, not_found};
use super::{Error, Identity, Result};
use crate::store::{EndpointRow, RegionRow, ServiceRow, StoreError};

/// The endpoint interfaces Keystone knows.
pub const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

/// One service in the catalog with its enabled endpoints.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    pub service: ServiceRow,
    pub endpoints: Vec<EndpointRow>,
}

impl Identity {
    /// Creates a region under an existing parent.
    pub async fn create_region(&self, r: RegionRow) -> Result<RegionRow> {
        if let Some(parent) = &r.parent_region_id {
            self.store.get_region(parent).await?.ok_or_else(|| not_found("region", parent))?;
        }
        match self.store.create_region(&r).await {
            Err(StoreError::Duplicate) => Err(duplicate("region", format_args!("ID {}", r.id))),
            other => other.map_err(Error::from),
        }?;
        Ok(r)
    }

    /// A region by id, or 404.
    pub async fn get_region(&self, id: &str) -> Result<RegionRow> {
        self.store.get_region(id).await?.ok_or_else(|| not_found("region", id))
    }

    /// Updates a region; a parent that would make a cycle is refused.
    pub async fn update_region(&self, r: RegionRow) -> Result<RegionRow> {
        let mut next = r.parent_region_id.clone();
        while let Some(id) = next {
            if id == r.id {
                return Err(Error::Validation(format!("Invalid input for field 'parent_region_id': {} would make a cycle.", id)));
            }
            next = self.get_region(&id).await?.parent_region_id;
        }
        self.store.update_region(&r).await?;
        self.changed();
        Ok(r)
    }

    /// Deletes a region no endpoint or child region uses.
    pub async fn delete_region(&self, id: &str) -> Result<()> {
        self.get_region(id).await?;
        match self.store.delete_region(id).await {
            Err(StoreError::Reference) => Err(Error::ForbiddenAction(format!("Region {id} is in use by endpoints or child regions."))),
            other => other.map(drop).map_err(Error::from),
        }?;
        self.changed();
        Ok(())
    }

    /// Creates a service.
    pub async fn create_service(&self, s: ServiceRow) -> Result<ServiceRow> {
        self.store.create_service(&s).await?;
        self.changed();
        Ok(s)
    }

    /// A service by id, or 404.
    pub async fn get_service(&self, id: &str) -> Result<ServiceRow> {
        self.store.get_service(id).await?.ok_or_else(|| not_found("service", id))
    }

    /// Updates a service.
    pub async fn update_service(&self, s: ServiceRow) -> Result<ServiceRow> {
        self.store.update_service(&s).await?;
        self.changed();
        Ok(s)
    }

    /// Deletes a service and its endpoints.
    pub async fn delete_service(&self, id: &str) -> Result<()> {
        if !self.store.delete_service(id).await? {
            return Err(not_found("service", id));
        }
        self.changed();
        Ok(())
    }

    async fn check_endpoint(&self, e: &EndpointRow) -> Result<()> {
        if !INTERFACES.contains(&e.interface.as_str()) {
            return Err(Error::Validation(format!(
                "Invalid input for field 'interface': {:?} is not one of public, internal, admin.",
                e.interface
            )));
        }
        if self.store.get_service(&e.service_id).await?.is_none() {
            return Err(Error::Validation(format!("Invalid input for field 'service_id': service {} does not exist.", e.service_id)));
        }
        if let Some(region) = &e.region_id
            && self.store.get_region(region).await?.is_none()
        {
            return Err(Error::Validation(format!("Invalid input for field 'region_id': region {region} does not exist.")));
        }
        Ok(())
    }

    /// Makes the endpoint's region when `create_region` (it was named by the legacy
    /// `region` field, as Keystone allows) and it does not exist yet.
    async fn legacy_region(&self, e: &EndpointRow, create_region: bool) -> Result<()> {
        if let (true, Some(region)) = (create_region, &e.region_id)
            && self.store.get_region(region).await?.is_none()
        {
            let row = RegionRow { id: region.clone(), description: String::new(), parent_region_id: None, extra: Default::default() };
            match self.store.create_region(&row).await {
                // Another request made it meanwhile: just as good.
                Ok(()) | Err(StoreError::Duplicate) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    /// Creates an endpoint of an existing service. Its region must exist, unless
    /// `create_region` (the legacy `region` field) asks for a missing one to be made.
    pub async fn create_endpoint(&self, e: EndpointRow, create_region: bool) -> Result<EndpointRow> {
        self.legacy_region(&e, create_region).await?;
        self.check_endpoint(&e).await?;
        self.store.create_endpoint(&e).await?;
        self.changed();
        Ok(e)
    }

    /// An endpoint by id, or 404.
    pub async fn get_endpoint(&self, id: &str) -> Result<EndpointRow> {
        self.store.get_endpoint(id).await?.ok_or_else(|| not_found("endpoint", id))
    }

    /// Updates an endpoint; a legacy `region` is handled as on creation.
    pub async fn update_endpoint(&self, e: EndpointRow, create_region: bool) -> Result<EndpointRow> {
        self.legacy_region(&e, create_region).await?;
        self.check_endpoint(&e).await?;
        self.store.update_endpoint(&e).await?;
        self.changed();
        Ok(e)
    }

    /// Deletes an endpoint.
    pub async fn delete_endpoint(&self, id: &str) -> Result<()> {
        if !self.store.delete_endpoint(id).await? {
            return Err(not_found("endpoint", id));
        }
        self.changed();
        Ok(())
    }

    /// The catalog: enabled services with their enabled endpoints.
    pub async fn catalog(&self) -> Result<Vec<CatalogEntry>> {
        let endpoints = self.store.list_endpoints().await?;
        Ok(self
            .store
            .list_services()
            .await?
            .into_iter()
            .filter(|s| s.enabled)
            .map(|service| {
                let endpoints = endpoints.iter().filter(|e| e.enabled && e.service_id == service.id).cloned().collect();
                CatalogEntry { service, endpoints }
            })
            .collect())
    }

    /// The catalog as tokens carry it, cached until the next write.
    pub async fn catalog_json(&self) -> Result<Arc<Value>> {
        let generation = self.generation();
        if let Some((g, cached)) = self.catalog_cache.read().as_ref()
            && *g == generation
        {
            return Ok(Arc::clone(cached));
        }
        let entries: Vec<Value> = self
            .catalog()
            .await?
            .into_iter()
            .map(|c| {
                json!({
                    "id": c.service.id,
                    "type": c.service.service_type,
                    "name": c.service.extra.get("name").cloned().unwrap_or(Value::from("")),
                    "endpoints": c.endpoints.iter().map(|e| json!({
                        "id": e.id,
                        "interface": e.interface,
                        "region": e.region_id,
                        "region_id": e.region_id,
                        "url": e.url,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let value = Arc::new(Value::Array(entries));
        *self.catalog_cache.write() = Some((generation, Arc::clone(&value)));
        Ok(value)
    }
}
