//! Host aggregates (`os-aggregates`): groups of compute hosts with metadata, whose
//! `availability_zone` key puts their hosts in that zone. A host is in at most one
//! zone; the zone of a host in no such aggregate is the default one. Membership is
//! mirrored in placement as provider aggregates, so the scheduler can filter on it.

use std::collections::BTreeMap;

use common::RequestContext;

use super::services::COMPUTE_BINARY;
use super::{Compute, Error, Result, notifications};
use crate::store::{AggregateRow, StoreError};

/// The metadata key that names an aggregate's availability zone.
pub const AZ_KEY: &str = "availability_zone";

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("Aggregate {id} could not be found."))
}

/// Python's repr of a list of strings, as Nova quotes zones in messages.
fn py_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(", "))
}

impl Compute {
    /// The zones of `host` by the aggregates it is in (none when it is in no
    /// zone-bearing aggregate).
    pub(crate) fn host_zones(aggregates: &[AggregateRow], host: &str) -> Vec<String> {
        let mut zones: Vec<String> =
            aggregates.iter().filter(|a| a.hosts.iter().any(|h| h == host)).filter_map(|a| a.metadata.get(AZ_KEY).cloned()).collect();
        zones.sort();
        zones.dedup();
        zones
    }

    async fn aggregate(&self, id: i64) -> Result<AggregateRow> {
        self.store().get_aggregate(id).await?.ok_or_else(|| not_found(id))
    }

    /// The zones other aggregates give `aggregate`'s hosts (or `host`), other than `zone`:
    /// a host may not be in two zones.
    async fn conflicting_zones(&self, aggregate: &AggregateRow, hosts: &[String], zone: &str) -> Result<Vec<String>> {
        let all = self.store().list_aggregates().await?;
        let mut zones: Vec<String> = all
            .iter()
            .filter(|a| a.id != aggregate.id && a.hosts.iter().any(|h| hosts.contains(h)))
            .filter_map(|a| a.metadata.get(AZ_KEY).cloned())
            .filter(|z| z != zone)
            .collect();
        zones.sort();
        zones.dedup();
        Ok(zones)
    }

    /// Checks a new zone of `aggregate` (`prefix` names the operation in errors).
    async fn check_zone_change(&self, aggregate: &AggregateRow, zone: Option<&str>, prefix: &str) -> Result<()> {
        let Some(zone) = zone.filter(|z| !z.is_empty()) else {
            return Err(Error::BadRequest(format!(
                "{prefix} {}. Reason: Aggregate {} does not support empty named availability zone.",
                aggregate.id, aggregate.name
            )));
        };
        let conflicts = self.conflicting_zones(aggregate, &aggregate.hosts, zone).await?;
        if !conflicts.is_empty() {
            return Err(Error::BadRequest(format!(
                "{prefix} {}. Reason: One or more hosts already in availability zone(s) {}.",
                aggregate.id,
                py_list(&conflicts)
            )));
        }
        Ok(())
    }

    /// Every aggregate (admin).
    pub async fn list_aggregates(&self, ctx: &RequestContext) -> Result<Vec<AggregateRow>> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:index")?;
        Ok(self.store().list_aggregates().await?)
    }

    /// One aggregate (admin).
    pub async fn get_aggregate(&self, ctx: &RequestContext, id: i64) -> Result<AggregateRow> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:show")?;
        self.aggregate(id).await
    }

    /// Creates an aggregate, in a zone when one is named (admin).
    pub async fn create_aggregate(&self, ctx: &RequestContext, name: &str, zone: Option<&str>) -> Result<AggregateRow> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:create")?;
        let metadata: BTreeMap<String, String> = zone.map(|z| (AZ_KEY.to_owned(), z.to_owned())).into_iter().collect();
        let planned = AggregateRow {
            id: 0,
            uuid: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            created_at: 0,
            updated_at: None,
            hosts: Vec::new(),
            metadata,
        };
        self.notify(ctx, "aggregate.create.start", notifications::aggregate(&planned, false)).await;
        let created = match self.store().create_aggregate(&planned.uuid, name, &planned.metadata).await {
            Err(StoreError::Duplicate) => return Err(Error::Conflict(format!("Aggregate {name} already exists."))),
            other => other?,
        };
        self.notify(ctx, "aggregate.create.end", notifications::aggregate(&created, true)).await;
        Ok(created)
    }

    /// Renames an aggregate and/or moves it to another zone (admin). As in Nova, a new
    /// name is kept even when the zone is then refused.
    pub async fn update_aggregate(
        &self,
        ctx: &RequestContext,
        id: i64,
        name: Option<&str>,
        zone: Option<Option<&str>>,
    ) -> Result<AggregateRow> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:update")?;
        let mut aggregate = self.aggregate(id).await?;
        self.notify(ctx, "aggregate.update_prop.start", notifications::aggregate(&aggregate, true)).await;
        if let Some(name) = name {
            match self.store().rename_aggregate(id, name).await {
                Err(StoreError::Duplicate) => return Err(Error::Conflict(format!("Aggregate {name} already exists."))),
                Ok(false) => return Err(not_found(id)),
                other => other?,
            };
            aggregate.name = name.to_owned();
        }
        if let Some(zone) = zone {
            self.check_zone_change(&aggregate, zone, "Cannot update aggregate").await?;
            let changes = BTreeMap::from([(AZ_KEY.to_owned(), zone.map(str::to_owned))]);
            self.store().update_aggregate_metadata(id, &changes).await?;
        }
        let updated = self.aggregate(id).await?;
        self.notify(ctx, "aggregate.update_prop.end", notifications::aggregate(&updated, true)).await;
        Ok(updated)
    }

    /// Merges metadata into an aggregate; `None` values remove keys (admin).
    pub async fn set_aggregate_metadata(
        &self,
        ctx: &RequestContext,
        id: i64,
        changes: &BTreeMap<String, Option<String>>,
    ) -> Result<AggregateRow> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:set_metadata")?;
        let aggregate = self.aggregate(id).await?;
        if let Some(zone) = changes.get(AZ_KEY) {
            self.check_zone_change(&aggregate, zone.as_deref(), "Cannot update metadata of aggregate").await?;
        }
        self.notify(ctx, "aggregate.update_metadata.start", notifications::aggregate(&aggregate, true)).await;
        if !self.store().update_aggregate_metadata(id, changes).await? {
            return Err(not_found(id));
        }
        let updated = self.aggregate(id).await?;
        self.notify(ctx, "aggregate.update_metadata.end", notifications::aggregate(&updated, true)).await;
        Ok(updated)
    }

    /// Deletes an aggregate that has no hosts left (admin).
    pub async fn delete_aggregate(&self, ctx: &RequestContext, id: i64) -> Result<()> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:delete")?;
        let aggregate = self.aggregate(id).await?;
        if !aggregate.hosts.is_empty() {
            return Err(Error::BadRequest(format!("Cannot remove host from aggregate {id}. Reason: Host aggregate is not empty.")));
        }
        self.notify(ctx, "aggregate.delete.start", notifications::aggregate(&aggregate, true)).await;
        if !self.store().delete_aggregate(id).await? {
            return Err(not_found(id));
        }
        self.notify(ctx, "aggregate.delete.end", notifications::aggregate(&aggregate, true)).await;
        Ok(())
    }

    /// The resource provider of `host`'s first hypervisor, if it has reported one.
    async fn host_provider(&self, host: &str) -> Result<Option<String>> {
        for cell in self.cells().compute_cells() {
            let Ok(store) = cell.store() else { continue };
            if let Some(node) = store.list_compute_nodes().await?.into_iter().find(|n| n.report.host == host) {
                return Ok(Some(node.uuid));
            }
        }
        Ok(None)
    }

    /// Adds a compute host to an aggregate (admin), and its provider to the aggregate in
    /// placement.
    pub async fn add_aggregate_host(&self, ctx: &RequestContext, id: i64, host: &str) -> Result<AggregateRow> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:add_host")?;
        if self.all_services(Some(host), Some(COMPUTE_BINARY)).await?.is_empty() {
            return Err(Error::NotFound(format!("Compute host {host} could not be found.")));
        }
        let aggregate = self.aggregate(id).await?;
        if let Some(zone) = aggregate.metadata.get(AZ_KEY) {
            let conflicts = self.conflicting_zones(&aggregate, &[host.to_owned()], zone).await?;
            if !conflicts.is_empty() {
                return Err(Error::Conflict(format!(
                    "Cannot add host to aggregate {id}. Reason: One or more hosts already in availability zone(s) {}.",
                    py_list(&conflicts)
                )));
            }
        }
        self.notify(ctx, "aggregate.add_host.start", notifications::aggregate(&aggregate, true)).await;
        match self.store().add_aggregate_host(id, host).await {
            Err(StoreError::Duplicate) => return Err(Error::Conflict(format!("Aggregate {id} already has host {host}."))),
            other => other?,
        }
        // As in Nova, placement lagging behind is logged, not fatal.
        if let Some(provider) = self.host_provider(host).await?
            && let Err(e) = self.placement.set_provider_aggregate(&provider, &aggregate.uuid, true, &ctx.request_id).await
        {
            tracing::warn!(%host, aggregate = %aggregate.uuid, error = %e, "failed to associate the host's provider with the placement aggregate");
        }
        let updated = self.aggregate(id).await?;
        self.notify(ctx, "aggregate.add_host.end", notifications::aggregate(&updated, true)).await;
        Ok(updated)
    }

    /// Removes a host from an aggregate (admin): from placement first, then here.
    pub async fn remove_aggregate_host(&self, ctx: &RequestContext, id: i64, host: &str) -> Result<AggregateRow> {
        self.authorize_own(ctx, "os_compute_api:os-aggregates:remove_host")?;
        let missing = || Error::NotFound(format!("Cannot remove host {host} in aggregate {id}"));
        if self.all_services(Some(host), Some(COMPUTE_BINARY)).await?.is_empty() {
            return Err(missing());
        }
        let aggregate = self.store().get_aggregate(id).await?.ok_or_else(missing)?;
        self.notify(ctx, "aggregate.remove_host.start", notifications::aggregate(&aggregate, true)).await;
        if let Some(provider) = self.host_provider(host).await? {
            match self.placement.set_provider_aggregate(&provider, &aggregate.uuid, false, &ctx.request_id).await {
                Ok(()) => {}
                Err(e) if e.status() == Some(404) => tracing::warn!(%host, "the host's resource provider is gone from placement"),
                Err(e) if e.status() == Some(409) => return Err(Error::Conflict(e.to_string())),
                Err(e) => return Err(Error::Unavailable(e.to_string())),
            }
        }
        if !self.store().remove_aggregate_host(id, host).await? {
            return Err(missing());
        }
        let updated = self.aggregate(id).await?;
        self.notify(ctx, "aggregate.remove_host.end", notifications::aggregate(&updated, true)).await;
        Ok(updated)
    }
}
