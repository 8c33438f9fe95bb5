//! Hypervisors (`os-hypervisors`) and availability zones (`os-availability-zone`), as
//! the cells' compute nodes and services describe them.

use std::collections::BTreeMap;
use std::time::Duration;

use common::RequestContext;
use serde_json::json;

use super::services::{COMPUTE_BINARY, ServiceView};
use super::{Compute, Error, ItemId, Result};
use crate::store::cell::ComputeNodeRow;

/// How long the API waits for an agent's answer.
const AGENT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A hypervisor: a compute node with its service.
#[derive(Debug, Clone)]
pub struct HypervisorView {
    pub node: ComputeNodeRow,
    pub service: ServiceView,
}

/// One availability zone, and (for the detailed view) its hosts' services.
#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    pub available: bool,
    /// host → binary → the service.
    pub hosts: BTreeMap<String, BTreeMap<String, ServiceView>>,
}

impl Compute {
    /// Every hypervisor of every reachable cell, those whose name contains `pattern`
    /// when one is given, by id.
    async fn hypervisors(&self, pattern: Option<&str>) -> Result<Vec<HypervisorView>> {
        let services = self.all_services(None, Some(COMPUTE_BINARY)).await?;
        let mut out = Vec::new();
        for cell in self.cells().compute_cells() {
            let Ok(store) = cell.store() else { continue };
            for node in store.list_compute_nodes().await? {
                if pattern.is_some_and(|p| !node.report.hypervisor_hostname.contains(p)) {
                    continue;
                }
                let service = services.iter().find(|s| s.cell_uuid == cell.mapping.uuid && s.service.id == node.service_id);
                if let Some(service) = service {
                    out.push(HypervisorView { node, service: service.clone() });
                }
            }
        }
        Ok(out)
    }

    /// The hypervisors an admin lists, optionally matching a name pattern.
    pub async fn list_hypervisors(&self, ctx: &RequestContext, detailed: bool, pattern: Option<&str>) -> Result<Vec<HypervisorView>> {
        let rule = if detailed { "os_compute_api:os-hypervisors:list-detail" } else { "os_compute_api:os-hypervisors:list" };
        self.authorize_own(ctx, rule)?;
        let found = self.hypervisors(pattern).await?;
        if pattern.is_some() && found.is_empty() {
            return Err(Error::NotFound(format!("No hypervisor matching '{}' could be found.", pattern.unwrap_or_default())));
        }
        Ok(found)
    }

    /// One hypervisor (admin).
    pub async fn get_hypervisor(&self, ctx: &RequestContext, id: &ItemId) -> Result<HypervisorView> {
        self.authorize_own(ctx, "os_compute_api:os-hypervisors:show")?;
        self.find_hypervisor(id).await
    }

    async fn find_hypervisor(&self, id: &ItemId) -> Result<HypervisorView> {
        let found = self.hypervisors(None).await?.into_iter().find(|h| match id {
            ItemId::Number(n) => h.node.id == *n,
            ItemId::Uuid(u) => h.node.uuid == *u,
        });
        found.ok_or_else(|| Error::NotFound(format!("Hypervisor with ID {id} could not be found.")))
    }

    /// A hypervisor's uptime, as its host's agent reports it (admin).
    pub async fn hypervisor_uptime(&self, ctx: &RequestContext, id: &ItemId) -> Result<(HypervisorView, String)> {
        self.authorize_own(ctx, "os_compute_api:os-hypervisors:uptime")?;
        let h = self.find_hypervisor(id).await?;
        let uptime = self.host_uptime(&h, &ctx.request_id).await?;
        Ok((h, uptime))
    }

    /// The uptime of each hypervisor, `None` where its agent cannot tell (2.88's
    /// detailed views).
    pub async fn uptimes(&self, hypervisors: &[HypervisorView], request_id: &str) -> Vec<Option<String>> {
        let calls = hypervisors.iter().map(|h| async move { self.host_uptime(h, request_id).await.ok() });
        futures_util::future::join_all(calls).await
    }

    async fn host_uptime(&self, h: &HypervisorView, request_id: &str) -> Result<String> {
        if !h.service.up {
            return Err(Error::BadRequest(format!("Compute service of {} is unavailable at this time.", h.node.report.host)));
        }
        let cell = self.cells().get(&h.service.cell_uuid).ok_or_else(|| Error::Internal("hypervisor of an unknown cell".into()))?;
        let bus = self.buses.of(cell)?;
        let message = bus::Message { method: "get_host_uptime".into(), args: json!({}), request_id: request_id.to_owned() };
        let target = bus::Target::server(crate::rpc::COMPUTE_TOPIC, &h.node.report.host);
        let answer = bus.call(&target, message, AGENT_CALL_TIMEOUT).await.map_err(|e| agent_refused(&h.node.report.host, e))?;
        Ok(answer.as_str().ok_or_else(|| Error::Internal("the agent's uptime is not text".into()))?.to_owned())
    }

    /// Totals over every hypervisor (admin; before 2.88).
    pub async fn hypervisor_statistics(&self, ctx: &RequestContext) -> Result<Vec<HypervisorView>> {
        self.authorize_own(ctx, "os_compute_api:os-hypervisors:statistics")?;
        self.hypervisors(None).await
    }

    /// The availability zones: those of compute services (the default zone unless an
    /// aggregate says otherwise), available while one of their services is enabled;
    /// with `detailed` (admin) also the internal zone and every host's services.
    pub async fn availability_zones(&self, ctx: &RequestContext, detailed: bool) -> Result<Vec<Zone>> {
        let rule = if detailed { "os_compute_api:os-availability-zone:detail" } else { "os_compute_api:os-availability-zone:list" };
        self.authorize_own(ctx, rule)?;
        let mut zones: BTreeMap<String, Zone> = BTreeMap::new();
        for s in self.all_services(None, None).await? {
            let internal = s.zone == self.settings.internal_availability_zone;
            if internal && !detailed {
                continue;
            }
            let zone =
                zones.entry(s.zone.clone()).or_insert_with(|| Zone { name: s.zone.clone(), available: false, hosts: BTreeMap::new() });
            zone.available |= !s.service.disabled || internal;
            zone.hosts.entry(s.service.host.clone()).or_default().insert(s.service.binary.clone(), s);
        }
        Ok(zones.into_values().collect())
    }

    /// The live servers on a hypervisor's node.
    pub async fn hypervisor_servers(&self, h: &HypervisorView) -> Result<Vec<crate::store::cell::InstanceRow>> {
        let filter = crate::store::cell::InstanceFilter {
            host: Some(h.node.report.host.clone()),
            node: Some(h.node.report.hypervisor_hostname.clone()),
            deleted: Some(false),
            ..Default::default()
        };
        let page =
            crate::store::cell::Page { sort_key: crate::store::cell::SortKey::CreatedAt, descending: false, marker: None, limit: None };
        let mut servers = Vec::new();
        for cell in self.cells().compute_cells() {
            servers.extend(cell.store()?.list_instances(&filter, &page).await?);
        }
        Ok(servers)
    }
}

/// An agent's failure to answer a call, in the API's terms: what its driver does not
/// support is a 501, anything else a 503 naming the host.
pub(crate) fn agent_refused(host: &str, e: bus::BusError) -> Error {
    match e {
        bus::BusError::Remote { error, .. } if error.contains("not supported") => Error::NotImplemented(error),
        other => Error::Unavailable(format!("Compute service of {host} is unavailable at this time: {other}")),
    }
}
