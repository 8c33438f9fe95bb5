//! Hosts (`os-hosts`, deprecated since 2.43): the hosts services run on, and what the
//! servers on a compute host use, per project.

use std::collections::BTreeMap;

use common::RequestContext;

use super::services::{COMPUTE_BINARY, ServiceChange, ServiceView};
use super::{Compute, Error, ItemId, Result};
use crate::store::cell::{InstanceFilter, Page, SortKey};

/// One line of a host's resources: its totals, what is used, or one project's share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostResource {
    /// `(total)`, `(used_now)`, `(used_max)` or a project id.
    pub project: String,
    pub cpu: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
}

fn not_found(host: &str) -> Error {
    Error::NotFound(format!("Compute host {host} could not be found."))
}

impl Compute {
    /// Every service's host, with its zone; those in `zone` when given.
    pub async fn list_hosts(&self, ctx: &RequestContext, zone: Option<&str>) -> Result<Vec<ServiceView>> {
        self.authorize_own(ctx, "os_compute_api:os-hosts:list")?;
        let services = self.all_services(None, None).await?;
        // A blank zone asks for every host, as in Nova.
        Ok(services.into_iter().filter(|s| zone.filter(|z| !z.is_empty()).is_none_or(|z| s.zone == z)).collect())
    }

    /// The compute host's totals, use, and each project's share of it.
    pub async fn show_host(&self, ctx: &RequestContext, host: &str) -> Result<Vec<HostResource>> {
        self.authorize_own(ctx, "os_compute_api:os-hosts:show")?;
        let compute = self.compute_service_of(host).await?;
        let store = self.cells().get(&compute.cell_uuid).ok_or_else(|| not_found(host))?.store()?;
        let nodes: Vec<_> = store.list_compute_nodes().await?.into_iter().filter(|n| n.report.host == host).collect();
        if nodes.is_empty() {
            return Err(not_found(host));
        }
        let sum = |f: &dyn Fn(&crate::store::cell::NodeReport) -> i64| nodes.iter().map(|n| f(&n.report)).sum::<i64>();
        let mut lines = vec![
            HostResource {
                project: "(total)".into(),
                cpu: sum(&|r| r.vcpus),
                memory_mb: sum(&|r| r.memory_mb),
                disk_gb: sum(&|r| r.local_gb),
            },
            HostResource {
                project: "(used_now)".into(),
                cpu: sum(&|r| r.vcpus_used),
                memory_mb: sum(&|r| r.memory_mb_used),
                disk_gb: sum(&|r| r.local_gb_used),
            },
        ];
        let filter = InstanceFilter { host: Some(host.to_owned()), deleted: Some(false), ..Default::default() };
        let page = Page { sort_key: SortKey::CreatedAt, descending: false, marker: None, limit: None };
        let mut by_project: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        for i in store.list_instances(&filter, &page).await? {
            let f = |k: &str| i.flavor[k].as_i64().unwrap_or(0);
            let share = by_project.entry(i.project_id.clone()).or_default();
            share.0 += f("vcpus");
            share.1 += f("memory_mb");
            share.2 += f("root_gb") + f("ephemeral_gb");
        }
        let max = by_project.values().fold((0, 0, 0), |t, s| (t.0 + s.0, t.1 + s.1, t.2 + s.2));
        lines.push(HostResource { project: "(used_max)".into(), cpu: max.0, memory_mb: max.1, disk_gb: max.2 });
        lines.extend(by_project.into_iter().map(|(project, (cpu, memory_mb, disk_gb))| HostResource { project, cpu, memory_mb, disk_gb }));
        Ok(lines)
    }

    /// Enables or disables the host's compute service; maintenance mode is refused
    /// (501) once the caller and the host are known to be allowed and real.
    pub async fn update_host(&self, ctx: &RequestContext, host: &str, enable: Option<bool>, maintenance: Option<bool>) -> Result<()> {
        self.authorize_own(ctx, "os_compute_api:os-hosts:update")?;
        let compute = self.compute_service_of(host).await?;
        if maintenance.is_some() {
            return Err(Error::NotImplemented("Maintenance mode is not implemented in Ferrostack: disable the host instead.".into()));
        }
        if let Some(enable) = enable {
            let change = ServiceChange { disabled: Some(!enable), ..Default::default() };
            self.update_service(ctx, &ItemId::Uuid(compute.service.uuid), &change).await?;
        }
        Ok(())
    }

    /// Refuses a power action on a host: no driver here powers its host on or off.
    pub async fn host_power_action(&self, ctx: &RequestContext, host: &str, action: &str) -> Result<std::convert::Infallible> {
        self.authorize_own(ctx, "os_compute_api:os-hosts:update")?;
        self.compute_service_of(host).await?;
        Err(Error::NotImplemented(format!("The host's driver does not {action} its host.")))
    }

    async fn compute_service_of(&self, host: &str) -> Result<ServiceView> {
        self.all_services(Some(host), Some(COMPUTE_BINARY)).await?.into_iter().next().ok_or_else(|| not_found(host))
    }
}
