//! The filter scheduler: asks placement which compute nodes have room, keeps the hosts
//! every enabled filter passes, orders them by the enabled weighers, and claims the
//! instance's resources on the best one, keeping the next ones as alternates for a
//! retry. It serves the API bus's `scheduler` topic.

pub mod filters;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

pub use filters::{DEFAULT_FILTERS, Filter, FilterContext};

use crate::domain::cells::Cells;
use crate::rpc::{Destinations, RequestSpec, Selection};
use crate::store::cell::InstanceFilter;
use crate::store::{AggregateRow, Store};

/// A weigher, by Nova's name, with its multiplier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weigher {
    Ram(f64),
    Cpu(f64),
    Disk(f64),
    /// Soft affinity: hosts with more of the group's members first.
    ServerGroupSoftAffinity(f64),
    /// Soft anti-affinity: hosts with fewer of the group's members first.
    ServerGroupSoftAntiAffinity(f64),
    /// Away from hosts whose recent builds failed (Nova's multiplier is 1000000).
    BuildFailure(f64),
}

/// Nova's default weighers and multipliers.
pub const DEFAULT_WEIGHERS: [Weigher; 6] = [
    Weigher::Ram(1.0),
    Weigher::Cpu(1.0),
    Weigher::Disk(1.0),
    Weigher::ServerGroupSoftAffinity(1.0),
    Weigher::ServerGroupSoftAntiAffinity(1.0),
    Weigher::BuildFailure(1_000_000.0),
];

impl Weigher {
    /// The weigher Nova names `name` (`RAMWeigher`, ...) with `multiplier`.
    pub fn parse(name: &str, multiplier: f64) -> Option<Weigher> {
        Some(match name {
            "RAMWeigher" => Weigher::Ram(multiplier),
            "CPUWeigher" => Weigher::Cpu(multiplier),
            "DiskWeigher" => Weigher::Disk(multiplier),
            "ServerGroupSoftAffinityWeigher" => Weigher::ServerGroupSoftAffinity(multiplier),
            "ServerGroupSoftAntiAffinityWeigher" => Weigher::ServerGroupSoftAntiAffinity(multiplier),
            "BuildFailureWeigher" => Weigher::BuildFailure(multiplier),
            _ => return None,
        })
    }

    /// Nova's class name.
    pub fn name(self) -> &'static str {
        match self {
            Weigher::Ram(_) => "RAMWeigher",
            Weigher::Cpu(_) => "CPUWeigher",
            Weigher::Disk(_) => "DiskWeigher",
            Weigher::ServerGroupSoftAffinity(_) => "ServerGroupSoftAffinityWeigher",
            Weigher::ServerGroupSoftAntiAffinity(_) => "ServerGroupSoftAntiAffinityWeigher",
            Weigher::BuildFailure(_) => "BuildFailureWeigher",
        }
    }

    fn multiplier(self) -> f64 {
        match self {
            Weigher::Ram(m)
            | Weigher::Cpu(m)
            | Weigher::Disk(m)
            | Weigher::ServerGroupSoftAffinity(m)
            | Weigher::ServerGroupSoftAntiAffinity(m)
            | Weigher::BuildFailure(m) => m,
        }
    }

    /// The host's raw weight (normalized across hosts before the multiplier applies).
    fn raw(self, host: &HostState, ctx: &FilterContext) -> f64 {
        let members = ctx.group_hosts.get(&host.host).copied().unwrap_or(0) as f64;
        match self {
            Weigher::Ram(_) => host.free_ram_mb,
            Weigher::Cpu(_) => host.free_vcpus,
            Weigher::Disk(_) => host.free_disk_gb,
            Weigher::ServerGroupSoftAffinity(_) if ctx.group_policy.as_deref() == Some("soft-affinity") => members,
            Weigher::ServerGroupSoftAntiAffinity(_) if ctx.group_policy.as_deref() == Some("soft-anti-affinity") => -members,
            Weigher::ServerGroupSoftAffinity(_) | Weigher::ServerGroupSoftAntiAffinity(_) => 0.0,
            Weigher::BuildFailure(_) => -(host.failed_builds as f64),
        }
    }
}

/// How the scheduler is set up.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    pub filters: Vec<Filter>,
    pub weighers: Vec<Weigher>,
    /// Hosts tried per instance: the chosen one and `max_attempts - 1` alternates.
    pub max_attempts: usize,
    /// At most this many candidates are asked of placement.
    pub max_placement_results: usize,
    /// A compute service silent for longer is down.
    pub service_down_time: std::time::Duration,
    /// The zone of hosts in no zone-bearing aggregate.
    pub default_availability_zone: String,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            filters: DEFAULT_FILTERS.to_vec(),
            weighers: DEFAULT_WEIGHERS.to_vec(),
            max_attempts: 3,
            max_placement_results: 1000,
            service_down_time: std::time::Duration::from_secs(60),
            default_availability_zone: "nova".into(),
        }
    }
}

/// One candidate compute node as the filters and weighers see it.
#[derive(Debug, Clone)]
pub struct HostState {
    pub host: String,
    pub node: String,
    pub node_uuid: String,
    pub cell_uuid: String,
    pub service_up: bool,
    pub service_disabled: bool,
    pub hypervisor_type: String,
    pub hypervisor_version: i64,
    pub cpu_info: Value,
    /// (architecture, hypervisor type, vm mode) triples the host runs.
    pub supported_instances: Vec<(String, String, String)>,
    pub vcpus: i64,
    pub memory_mb: i64,
    /// What placement says is free, after overcommit.
    pub free_ram_mb: f64,
    pub free_vcpus: f64,
    pub free_disk_gb: f64,
    /// Builds that failed in a row on the node.
    pub failed_builds: i64,
    pub aggregates: Vec<AggregateRow>,
    pub availability_zone: String,
    /// Placement's allocation request for this node.
    pub allocation_request: Value,
}

/// The scheduler.
pub struct Scheduler {
    store: Store,
    cells: Arc<Cells>,
    placement: Arc<client::Placement>,
    settings: SchedulerSettings,
}

#[derive(Deserialize)]
struct SelectArgs {
    specs: Vec<RequestSpec>,
}

/// How many hosts each filter left, for a "No valid host" that says why.
fn describe(counts: &[(&'static str, usize, usize)]) -> String {
    counts.iter().map(|(name, start, end)| format!("{name}: (start: {start}, end: {end})")).collect::<Vec<_>>().join(", ")
}

impl Scheduler {
    /// A scheduler reading hosts from `cells`, aggregates and groups from the API
    /// `store`, and room from `placement`.
    pub fn new(store: Store, cells: Arc<Cells>, placement: Arc<client::Placement>, settings: SchedulerSettings) -> Self {
        Scheduler { store, cells, placement, settings }
    }

    /// Chooses and claims a host for every instance of one request (`specs`, one per
    /// instance, alike but for the uuid); all of them or, freeing what was claimed,
    /// none.
    pub async fn select_destinations(&self, specs: &[RequestSpec], request_id: &str) -> Result<Destinations, String> {
        let Some(first) = specs.first() else { return Ok(Destinations::Chosen(Vec::new())) };
        let resources = first.resources();
        let required: Vec<String> = first
            .flavor
            .extra_specs
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix("trait:")?;
                match v.as_str() {
                    "required" => Some(name.to_owned()),
                    "forbidden" => Some(format!("!{name}")),
                    _ => None,
                }
            })
            .collect();
        let candidates = self
            .placement
            .allocation_candidates(&resources, &required, self.settings.max_placement_results, request_id)
            .await
            .map_err(|e| format!("placement cannot be asked for allocation candidates: {e}"))?;
        let wanted = describe_resources(&resources);
        let mut hosts = self.host_states(&candidates).await.map_err(|e| e.to_string())?;
        if hosts.is_empty() {
            return Ok(Destinations::NoValidHost { reason: format!("placement has no compute node with room for {wanted}") });
        }
        let mut ctx = self.context(first).await.map_err(|e| e.to_string())?;
        let mut chosen: Vec<Vec<Selection>> = Vec::new();
        for spec in specs {
            match self.choose(spec, &mut hosts, &mut ctx, request_id).await {
                Ok(selections) => chosen.push(selections),
                Err(reason) => {
                    for (selections, spec) in chosen.iter().zip(specs) {
                        if let Some(s) = selections.first()
                            && let Err(e) = self.placement.free(&spec.instance_uuid, request_id).await
                        {
                            tracing::warn!(instance = %spec.instance_uuid, host = %s.host, error = %e, "a claim could not be freed");
                        }
                    }
                    return Ok(Destinations::NoValidHost { reason });
                }
            }
        }
        Ok(Destinations::Chosen(chosen))
    }

    /// Filters, weighs and claims for one instance; on success, the chosen host's
    /// room and the group's hosts account for it.
    async fn choose(
        &self,
        spec: &RequestSpec,
        hosts: &mut [HostState],
        ctx: &mut FilterContext,
        request_id: &str,
    ) -> Result<Vec<Selection>, String> {
        let mut passing: Vec<usize> = (0..hosts.len())
            .filter(|&i| spec.requested_host.as_ref().is_none_or(|h| *h == hosts[i].host))
            .filter(|&i| spec.requested_node.as_ref().is_none_or(|n| *n == hosts[i].node))
            .collect();
        let mut counts = Vec::new();
        if spec.requested_host.is_some() {
            counts.push(("requested host", hosts.len(), passing.len()));
        }
        for filter in &self.settings.filters {
            let start = passing.len();
            passing.retain(|&i| filter.passes(&hosts[i], spec, ctx));
            counts.push((filter.name(), start, passing.len()));
            if passing.is_empty() {
                break;
            }
        }
        let fits = |h: &HostState| {
            h.free_vcpus >= spec.flavor.vcpus as f64
                && h.free_ram_mb >= spec.flavor.memory_mb as f64
                && h.free_disk_gb >= spec.resources().get("DISK_GB").copied().unwrap_or(0) as f64
        };
        passing.retain(|&i| fits(&hosts[i]));
        if passing.is_empty() {
            return Err(format!("There are not enough hosts available. Filter results: {}", describe(&counts)));
        }
        let weights = weigh(&self.settings.weighers, &passing, hosts, ctx);
        let mut ordered: Vec<(usize, f64)> = passing.into_iter().zip(weights).collect();
        ordered.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (n, &(i, _)) in ordered.iter().enumerate() {
            let h = &hosts[i];
            let claimed = self
                .placement
                .claim(&spec.instance_uuid, &h.allocation_request, &spec.project_id, &spec.user_id, request_id)
                .await
                .map_err(|e| format!("placement refused a claim: {e}"))?;
            if !claimed {
                continue;
            }
            let alternates = ordered[n + 1..]
                .iter()
                .map(|&(j, _)| &hosts[j])
                .filter(|a| a.cell_uuid == h.cell_uuid)
                .take(self.settings.max_attempts.saturating_sub(1))
                .map(selection)
                .collect::<Vec<_>>();
            let mut selections = vec![selection(h)];
            selections.extend(alternates);
            let h = &mut hosts[i];
            h.free_vcpus -= spec.flavor.vcpus as f64;
            h.free_ram_mb -= spec.flavor.memory_mb as f64;
            h.free_disk_gb -= spec.resources().get("DISK_GB").copied().unwrap_or(0) as f64;
            if ctx.group_policy.is_some() {
                *ctx.group_hosts.entry(h.host.clone()).or_insert(0) += 1;
            }
            return Ok(selections);
        }
        Err("There are not enough hosts available: every claim in placement lost to another request".into())
    }

    /// The candidates placement offered, as host states of the cells' compute nodes.
    async fn host_states(&self, candidates: &Value) -> crate::store::Result<Vec<HostState>> {
        let summaries = &candidates["provider_summaries"];
        let mut requests: HashMap<String, Value> = HashMap::new();
        for request in candidates["allocation_requests"].as_array().into_iter().flatten() {
            let Some(allocations) = request["allocations"].as_object() else { continue };
            let root = allocations.keys().find_map(|rp| summaries[rp]["root_provider_uuid"].as_str().map(str::to_owned));
            if let Some(root) = root {
                requests.entry(root).or_insert_with(|| request["allocations"].clone());
            }
        }
        let aggregates = self.store.list_aggregates().await?;
        let window = i64::try_from(self.settings.service_down_time.as_micros()).unwrap_or(i64::MAX);
        let now = common::time::now_micros();
        let mut hosts = Vec::new();
        for cell in self.cells.compute_cells() {
            let Ok(store) = cell.store() else {
                tracing::warn!(cell = %cell.mapping.name, "the scheduler skips an unavailable cell");
                continue;
            };
            let services: HashMap<String, crate::store::cell::ServiceRow> =
                store.list_services().await?.into_iter().filter(|s| s.binary == "nova-compute").map(|s| (s.host.clone(), s)).collect();
            for node in store.list_compute_nodes().await? {
                let Some(allocation_request) = requests.remove(&node.uuid) else { continue };
                let Some(service) = services.get(&node.report.host) else { continue };
                let summary = &summaries[&node.uuid]["resources"];
                let free = |class: &str| {
                    let r = &summary[class];
                    r["capacity"].as_f64().unwrap_or(0.0) - r["used"].as_f64().unwrap_or(0.0)
                };
                let host_aggregates: Vec<AggregateRow> =
                    aggregates.iter().filter(|a| a.hosts.contains(&node.report.host)).cloned().collect();
                let availability_zone = host_aggregates
                    .iter()
                    .find_map(|a| a.metadata.get("availability_zone").cloned())
                    .unwrap_or_else(|| self.settings.default_availability_zone.clone());
                let cpu_info: Value = serde_json::from_str(&node.report.cpu_info).unwrap_or(Value::Null);
                let arch = cpu_info["arch"].as_str().map(filters::canonical).unwrap_or_else(|| "x86_64".into());
                hosts.push(HostState {
                    host: node.report.host.clone(),
                    node: node.report.hypervisor_hostname.clone(),
                    node_uuid: node.uuid.clone(),
                    cell_uuid: cell.mapping.uuid.clone(),
                    service_up: !service.forced_down && service.last_seen_up.is_some_and(|t| now - t <= window),
                    service_disabled: service.disabled,
                    supported_instances: vec![(arch, node.report.hypervisor_type.to_ascii_lowercase(), "hvm".into())],
                    hypervisor_type: node.report.hypervisor_type.clone(),
                    hypervisor_version: node.report.hypervisor_version,
                    cpu_info,
                    vcpus: node.report.vcpus,
                    memory_mb: node.report.memory_mb,
                    free_ram_mb: free("MEMORY_MB"),
                    free_vcpus: free("VCPU"),
                    free_disk_gb: free("DISK_GB"),
                    failed_builds: node.report.failed_builds,
                    aggregates: host_aggregates,
                    availability_zone,
                    allocation_request,
                });
            }
        }
        Ok(hosts)
    }

    /// The group and hint facts of a request: where the group's members and the
    /// hinted instances are.
    async fn context(&self, spec: &RequestSpec) -> crate::store::Result<FilterContext> {
        let mut ctx = FilterContext::default();
        if let Some(group) = &spec.group
            && let Some(g) = self.store.get_server_group(group).await?
        {
            ctx.group_policy = Some(g.policy.clone());
            ctx.max_server_per_host = g.max_server_per_host;
            let members = self.store.server_group_members(group).await?;
            for host in self.hosts_of(members).await? {
                *ctx.group_hosts.entry(host).or_insert(0) += 1;
            }
        }
        ctx.same_hosts = self.hosts_of(spec.same_host.clone()).await?;
        ctx.different_hosts = self.hosts_of(spec.different_host.clone()).await?;
        Ok(ctx)
    }

    /// The hosts of the live instances among `uuids` (one entry per instance).
    async fn hosts_of(&self, uuids: Vec<String>) -> crate::store::Result<Vec<String>> {
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let filter = InstanceFilter { uuids: Some(uuids), deleted: Some(false), ..Default::default() };
        let page =
            crate::store::cell::Page { sort_key: crate::store::cell::SortKey::CreatedAt, descending: true, marker: None, limit: None };
        let mut hosts = Vec::new();
        for cell in self.cells.compute_cells() {
            let Ok(store) = cell.store() else { continue };
            hosts.extend(store.list_instances(&filter, &page).await?.into_iter().filter_map(|i| i.host));
        }
        Ok(hosts)
    }
}

fn selection(h: &HostState) -> Selection {
    Selection {
        host: h.host.clone(),
        node: h.node.clone(),
        node_uuid: h.node_uuid.clone(),
        cell_uuid: h.cell_uuid.clone(),
        allocations: h.allocation_request.clone(),
        availability_zone: h.availability_zone.clone(),
    }
}

#[async_trait::async_trait]
impl bus::Handler for Scheduler {
    async fn handle(&self, message: bus::Message) -> Result<Value, String> {
        match message.method.as_str() {
            "select_destinations" => {
                let args: SelectArgs =
                    serde_json::from_value(message.args).map_err(|e| format!("bad select_destinations arguments: {e}"))?;
                let answer = self.select_destinations(&args.specs, &message.request_id).await?;
                serde_json::to_value(answer).map_err(|e| e.to_string())
            }
            other => Err(format!("the scheduler has no method {other}")),
        }
    }
}

/// Each passing host's total weight: every weigher's weights normalized to 0..1
/// across the hosts, times its multiplier, summed.
fn weigh(weighers: &[Weigher], passing: &[usize], hosts: &[HostState], ctx: &FilterContext) -> Vec<f64> {
    let mut totals = vec![0.0; passing.len()];
    for weigher in weighers {
        let raw: Vec<f64> = passing.iter().map(|&i| weigher.raw(&hosts[i], ctx)).collect();
        let (min, max) = raw.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &w| (lo.min(w), hi.max(w)));
        for (total, w) in totals.iter_mut().zip(raw) {
            let normalized = if max > min { (w - min) / (max - min) } else { 0.0 };
            *total += normalized * weigher.multiplier();
        }
    }
    totals
}

/// What each resource class asks, as text (`MEMORY_MB:512, VCPU:1`).
fn describe_resources(resources: &BTreeMap<String, i64>) -> String {
    resources.iter().map(|(c, n)| format!("{c}:{n}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, free_ram_mb: f64, failed_builds: i64) -> HostState {
        HostState {
            host: name.into(),
            node: name.into(),
            node_uuid: name.into(),
            cell_uuid: "c".into(),
            service_up: true,
            service_disabled: false,
            hypervisor_type: "fake".into(),
            hypervisor_version: 1,
            cpu_info: Value::Null,
            supported_instances: Vec::new(),
            vcpus: 8,
            memory_mb: 8192,
            free_ram_mb,
            free_vcpus: 8.0,
            free_disk_gb: 100.0,
            failed_builds,
            aggregates: Vec::new(),
            availability_zone: "nova".into(),
            allocation_request: Value::Null,
        }
    }

    #[test]
    fn a_host_that_fails_builds_weighs_less_than_any_amount_of_free_ram() {
        let hosts = [host("roomy-but-failing", 8192.0, 1), host("tight", 512.0, 0)];
        let weights = weigh(&DEFAULT_WEIGHERS, &[0, 1], &hosts, &FilterContext::default());
        assert!(weights[1] > weights[0], "{weights:?}");
        let without = [Weigher::Ram(1.0)];
        let weights = weigh(&without, &[0, 1], &hosts, &FilterContext::default());
        assert!(weights[0] > weights[1], "RAM alone prefers the roomy host: {weights:?}");
    }
}
