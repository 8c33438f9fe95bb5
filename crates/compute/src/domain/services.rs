//! Services (`os-services`): the compute, conductor and scheduler services of every
//! cell, up while they send heartbeats, and what operators control of them.

use common::RequestContext;

use super::{Compute, Error, ItemId, Result, notifications};
use crate::store::cell::ServiceRow;

/// A service with the cell it lives in and whether it is up.
#[derive(Debug, Clone)]
pub struct ServiceView {
    pub service: ServiceRow,
    pub cell_uuid: String,
    pub up: bool,
    /// Its availability zone (`internal` for all but compute services).
    pub zone: String,
}

/// What an operator changes on a service.
#[derive(Debug, Clone, Default)]
pub struct ServiceChange {
    /// Disable (true) or enable (false).
    pub disabled: Option<bool>,
    pub disabled_reason: Option<String>,
    pub forced_down: Option<bool>,
}

/// The binary of compute agents.
pub const COMPUTE_BINARY: &str = "nova-compute";

impl Compute {
    /// Whether a service is up: heartbeats recent and not forced down.
    pub(crate) fn service_up(&self, s: &ServiceRow) -> bool {
        let window = i64::try_from(self.settings.service_down_time.as_micros()).unwrap_or(i64::MAX);
        !s.forced_down && s.last_seen_up.is_some_and(|t| common::time::now_micros() - t <= window)
    }

    /// A service's view; a compute service's zone is that of its host's aggregates
    /// (joined with commas should a host be in several), else the default zone.
    fn view(&self, service: ServiceRow, cell_uuid: &str, aggregates: &[crate::store::AggregateRow]) -> ServiceView {
        let zone = if service.binary == COMPUTE_BINARY {
            let zones = Compute::host_zones(aggregates, &service.host);
            if zones.is_empty() { self.settings.default_availability_zone.clone() } else { zones.join(",") }
        } else {
            self.settings.internal_availability_zone.clone()
        };
        ServiceView { up: self.service_up(&service), service, cell_uuid: cell_uuid.to_owned(), zone }
    }

    /// Every service of every reachable cell (admin), optionally of one host or binary.
    pub async fn list_services(&self, ctx: &RequestContext, host: Option<&str>, binary: Option<&str>) -> Result<Vec<ServiceView>> {
        self.authorize_own(ctx, "os_compute_api:os-services:list")?;
        self.all_services(host, binary).await
    }

    /// Every service of every reachable cell, without a policy check (for views that
    /// were authorized already).
    pub(crate) async fn all_services(&self, host: Option<&str>, binary: Option<&str>) -> Result<Vec<ServiceView>> {
        let aggregates = self.store().list_aggregates().await?;
        let mut out = Vec::new();
        for cell in self.cells().compute_cells() {
            let store = match cell.store() {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "services of an unreachable cell are left out");
                    continue;
                }
            };
            for s in store.list_services().await? {
                if host.is_some_and(|h| h != s.host) || binary.is_some_and(|b| b != s.binary) {
                    continue;
                }
                out.push(self.view(s, &cell.mapping.uuid, &aggregates));
            }
        }
        Ok(out)
    }

    /// The service `id` names, in whichever cell holds it.
    async fn find_service(&self, id: &ItemId) -> Result<ServiceView> {
        let found = self.all_services(None, None).await?.into_iter().find(|s| match id {
            ItemId::Number(n) => s.service.id == *n,
            ItemId::Uuid(u) => s.service.uuid == *u,
        });
        found.ok_or_else(|| Error::NotFound(format!("Service {id} could not be found.")))
    }

    /// The service `binary` on `host` (the pre-2.53 routes name services so).
    pub async fn find_service_by_host(&self, ctx: &RequestContext, host: &str, binary: &str) -> Result<ServiceView> {
        self.authorize_own(ctx, "os_compute_api:os-services:update")?;
        let found = self.all_services(Some(host), Some(binary)).await?.into_iter().next();
        found.ok_or_else(|| Error::NotFound(format!("Service {binary} on host {host} could not be found.")))
    }

    /// Enables, disables or forces down a compute service (admin).
    pub async fn update_service(&self, ctx: &RequestContext, id: &ItemId, change: &ServiceChange) -> Result<ServiceView> {
        self.authorize_own(ctx, "os_compute_api:os-services:update")?;
        let current = self.find_service(id).await?;
        let uuid = current.service.uuid.as_str();
        if current.service.binary != COMPUTE_BINARY {
            return Err(Error::BadRequest(format!(
                "Updating a {} service is not supported. Only nova-compute services can be updated.",
                current.service.binary
            )));
        }
        let disabled = change.disabled.unwrap_or(current.service.disabled);
        let reason = match change.disabled {
            Some(true) => change.disabled_reason.clone(),
            Some(false) => None,
            None => current.service.disabled_reason.clone(),
        };
        let forced_down = change.forced_down.unwrap_or(current.service.forced_down);
        let store =
            self.cells().get(&current.cell_uuid).ok_or_else(|| Error::NotFound(format!("Service {uuid} could not be found.")))?.store()?;
        if !store.update_service(uuid, disabled, reason.as_deref(), forced_down).await? {
            return Err(Error::NotFound(format!("Service {uuid} could not be found.")));
        }
        let updated = self.find_service(id).await?;
        self.notify(ctx, "service.update", notifications::service(&updated.service)).await;
        Ok(updated)
    }

    /// Deletes a service (admin); a compute service takes its hypervisors, its host
    /// mapping and its resource providers with it.
    pub async fn delete_service(&self, ctx: &RequestContext, id: &ItemId) -> Result<()> {
        self.authorize_own(ctx, "os_compute_api:os-services:delete")?;
        let found = self.find_service(id).await?;
        let uuid = found.service.uuid.as_str();
        let cell = self.cells().get(&found.cell_uuid).ok_or_else(|| Error::NotFound(format!("Service {uuid} could not be found.")))?;
        let store = cell.store()?;
        if found.service.binary == COMPUTE_BINARY {
            let nodes = store.list_compute_nodes().await?.into_iter().filter(|n| n.service_id == found.service.id);
            for node in nodes {
                self.placement.delete_provider(&node.uuid, &ctx.request_id).await.map_err(|e| {
                    Error::Unavailable(format!("Unable to delete the resource provider of {}: {e}", node.report.hypervisor_hostname))
                })?;
            }
            self.store().unmap_host(&found.service.host).await?;
        }
        if !store.delete_service(uuid).await? {
            return Err(Error::NotFound(format!("Service {uuid} could not be found.")));
        }
        self.notify(ctx, "service.delete", notifications::service(&found.service)).await;
        Ok(())
    }
}
