//! Servers: create (validated here, scheduled and built by the superconductor, the
//! scheduler and the host's agent), list across cells and build requests, show, update
//! and delete.

use std::collections::BTreeMap;

use client::UserToken;
use common::RequestContext;
use serde_json::{Value, json};

use super::{Compute, Error, Result};
use crate::domain::cells::CELL0_UUID;
use crate::rpc::{AgentClient, FlavorSpec, Operation, OperationRequest, RequestSpec};
use crate::states::{PowerState, TaskState, VmState};
use crate::store::cell::{CellStore, FaultRow, InstanceChanges, InstanceFilter, InstanceRow, Page, SortKey};
use crate::store::{FlavorRow, NewBuild};

/// The most servers a list answers at once (Nova's `max_limit`).
pub const MAX_LIMIT: usize = 1000;

/// What a create request asks for, parsed.
#[derive(Debug, Clone, Default)]
pub struct NewServer {
    pub name: String,
    pub description: Option<String>,
    pub flavor_ref: String,
    pub image_ref: String,
    pub key_name: Option<String>,
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `zone`, `zone:host` or `zone:host:node` (host and node for admins).
    pub availability_zone: Option<String>,
    pub min_count: i64,
    pub max_count: i64,
    pub access_ip_v4: Option<String>,
    pub access_ip_v6: Option<String>,
    pub config_drive: bool,
    pub tags: Vec<String>,
    pub admin_pass: Option<String>,
    pub hostname: Option<String>,
    pub same_host: Vec<String>,
    pub different_host: Vec<String>,
    pub group: Option<String>,
}

/// What a create answers.
#[derive(Debug, Clone)]
pub struct CreatedServers {
    pub instances: Vec<InstanceRow>,
    pub reservation_id: String,
    pub admin_pass: String,
}

/// A server as shown: the instance, its newest fault when it has failed, and the cell
/// it lives in (none while it is a build request).
#[derive(Debug, Clone)]
pub struct ServerView {
    pub instance: InstanceRow,
    pub fault: Option<FaultRow>,
    /// `UP`, `DOWN`, `MAINTENANCE` or `UNKNOWN` (for admins, from 2.16).
    pub host_status: Option<&'static str>,
}

/// A server list request.
#[derive(Debug, Clone)]
pub struct ServerQuery {
    pub filter: InstanceFilter,
    /// A regular expression the name must match somewhere.
    pub name: Option<String>,
    /// Every project's servers (admins).
    pub all_tenants: bool,
    pub sort_key: SortKey,
    pub descending: bool,
    pub marker: Option<String>,
    pub limit: Option<usize>,
}

/// Where an instance is.
pub(crate) enum Located<'a> {
    /// Not yet scheduled: only its build request exists.
    Building(InstanceRow),
    /// In a cell's database.
    InCell { store: &'a CellStore, cell_uuid: String, instance: InstanceRow },
}

/// Nova's "not found" for an instance.
pub(crate) fn not_found(uuid: &str) -> Error {
    Error::NotFound(format!("Instance {uuid} could not be found."))
}

/// A host name made of a display name, as Nova sanitizes it.
fn sanitize_hostname(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_ascii_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' | '-' => out.push(c),
            ' ' | '_' | '.' => out.push('-'),
            _ => {}
        }
    }
    let trimmed: String = out.trim_matches(|c| c == '-' || c == '.').chars().take(63).collect();
    if trimmed.is_empty() { "server".into() } else { trimmed }
}

pub(super) fn random_text(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// The flavor as an instance embeds it.
fn embedded_flavor(f: &FlavorRow) -> Value {
    json!({
        "id": f.id, "flavorid": f.flavorid, "name": f.name, "memory_mb": f.memory_mb, "vcpus": f.vcpus, "root_gb": f.root_gb,
        "ephemeral_gb": f.ephemeral_gb, "swap": f.swap, "rxtx_factor": f.rxtx_factor, "vcpu_weight": f.vcpu_weight,
        "disabled": f.disabled, "is_public": f.is_public, "description": f.description, "extra_specs": f.extra_specs,
    })
}

/// The image fields and properties Nova copies into an instance's system metadata.
pub(super) fn image_system_metadata(image: &Value) -> BTreeMap<String, String> {
    const BASE: [&str; 19] = [
        "id",
        "name",
        "status",
        "visibility",
        "protected",
        "checksum",
        "owner",
        "size",
        "virtual_size",
        "created_at",
        "updated_at",
        "tags",
        "self",
        "file",
        "schema",
        "locations",
        "os_hash_algo",
        "os_hash_value",
        "direct_url",
    ];
    let mut meta = BTreeMap::new();
    for (k, v) in image.as_object().into_iter().flatten() {
        if BASE.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        meta.insert(format!("image_{k}"), text);
    }
    meta
}

impl Compute {
    /// Where the instance `uuid` is, as the caller may see it (`404` otherwise).
    pub(crate) async fn locate(&self, ctx: &RequestContext, uuid: &str) -> Result<Located<'_>> {
        let mapping = self.store().instance_mapping(uuid).await?.ok_or_else(|| not_found(uuid))?;
        let located = match &mapping.cell_uuid {
            None => Located::Building(self.store().build_request(uuid).await?.ok_or_else(|| not_found(uuid))?),
            Some(cell_uuid) => {
                let cell = self.cells().get(cell_uuid).ok_or_else(|| not_found(uuid))?;
                let store = cell.store()?;
                let instance = store.instance(uuid, false).await?.ok_or_else(|| not_found(uuid))?;
                Located::InCell { store, cell_uuid: cell_uuid.clone(), instance }
            }
        };
        let instance = match &located {
            Located::Building(i) | Located::InCell { instance: i, .. } => i,
        };
        if !self.allowed_on(ctx, instance) {
            return Err(not_found(uuid));
        }
        Ok(located)
    }

    /// Whether the caller may see the instance: its own project's, or an admin.
    fn allowed_on(&self, ctx: &RequestContext, i: &InstanceRow) -> bool {
        ctx.project_id() == Some(i.project_id.as_str()) || self.allowed(ctx, "context_is_admin")
    }

    /// Checks a server rule against the instance's project and user.
    pub(crate) fn authorize_instance(&self, ctx: &RequestContext, rule: &str, i: &InstanceRow) -> Result<()> {
        self.authorize(ctx, rule, &json!({"project_id": i.project_id, "user_id": i.user_id}))
    }

    /// Creates `min_count` to `max_count` servers (as many as quota allows).
    pub async fn create_servers(&self, ctx: &RequestContext, token: &UserToken, new: NewServer) -> Result<CreatedServers> {
        self.authorize_own(ctx, "os_compute_api:servers:create")?;
        let project = ctx
            .project_id()
            .ok_or_else(|| Error::BadRequest("servers are created in a project: use a project-scoped token".into()))?
            .to_owned();
        let (zone, requested_host, requested_node) = self.parse_zone(ctx, new.availability_zone.as_deref()).await?;
        let flavor = match self.get_flavor(ctx, &new.flavor_ref).await {
            Err(Error::NotFound(_)) => return Err(Error::BadRequest(format!("Flavor {} could not be found.", new.flavor_ref))),
            other => other?,
        };
        if flavor.disabled {
            return Err(Error::BadRequest(format!("Flavor {} is disabled.", flavor.flavorid)));
        }
        let image = self.boot_image(ctx, token, &new.image_ref, flavor.memory_mb, flavor.root_gb).await?;
        let key_data = match &new.key_name {
            Some(name) => Some(
                self.store()
                    .get_keypair(&ctx.user_id, name)
                    .await?
                    .ok_or_else(|| Error::BadRequest("Invalid key_name provided.".into()))?
                    .public_key,
            ),
            None => None,
        };
        if let Some(group) = &new.group {
            self.store().get_server_group(group).await?.ok_or_else(|| Error::BadRequest(format!("Invalid server group {group} given.")))?;
        }
        self.check_metadata_quota(&project, new.metadata.len()).await?;
        let count = self.instance_quota(&project, &ctx.user_id, &flavor, new.min_count, new.max_count).await?;
        if let Some(group) = &new.group {
            self.check_group_members_quota(&project, group, count).await?;
        }
        let now = common::time::now_micros();
        let reservation_id = format!("r-{}", random_text(8).to_ascii_lowercase());
        let mut system_metadata = image_system_metadata(&image);
        system_metadata.insert("owner_user_name".into(), ctx.user_id.clone());
        let mut instances = Vec::new();
        for index in 0..count {
            let display_name = if count > 1 { format!("{}-{}", new.name, index + 1) } else { new.name.clone() };
            let hostname = match &new.hostname {
                Some(h) if count == 1 => h.clone(),
                Some(h) => format!("{h}-{}", index + 1),
                None => sanitize_hostname(&display_name),
            };
            instances.push(InstanceRow {
                uuid: uuid::Uuid::new_v4().to_string(),
                project_id: project.clone(),
                user_id: ctx.user_id.clone(),
                display_name,
                display_description: new.description.clone(),
                hostname,
                reservation_id: reservation_id.clone(),
                launch_index: index,
                image_ref: new.image_ref.clone(),
                instance_type_id: flavor.id,
                flavor: embedded_flavor(&flavor),
                vm_state: VmState::Building,
                task_state: Some(TaskState::Scheduling),
                power_state: PowerState::NoState,
                host: None,
                node: None,
                launched_on: None,
                availability_zone: zone.clone(),
                key_name: new.key_name.clone(),
                key_data: key_data.clone(),
                user_data: new.user_data.clone(),
                config_drive: new.config_drive,
                access_ip_v4: new.access_ip_v4.clone(),
                access_ip_v6: new.access_ip_v6.clone(),
                locked_by: None,
                locked_reason: None,
                progress: 0,
                system_metadata: system_metadata.clone(),
                metadata: new.metadata.clone(),
                tags: {
                    let mut t = new.tags.clone();
                    t.sort();
                    t.dedup();
                    t
                },
                created_at: now,
                updated_at: now,
                launched_at: None,
                terminated_at: None,
                deleted_at: None,
                deleted: false,
            });
        }
        let image_properties = image["properties"].as_object().cloned().unwrap_or_default();
        let mut properties: BTreeMap<String, String> =
            image.as_object().into_iter().flatten().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect();
        properties.extend(image_properties.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))));
        let specs: Vec<RequestSpec> = instances
            .iter()
            .map(|i| RequestSpec {
                instance_uuid: i.uuid.clone(),
                project_id: project.clone(),
                user_id: ctx.user_id.clone(),
                flavor: FlavorSpec {
                    id: flavor.id,
                    flavorid: flavor.flavorid.clone(),
                    name: flavor.name.clone(),
                    vcpus: flavor.vcpus,
                    memory_mb: flavor.memory_mb,
                    root_gb: flavor.root_gb,
                    ephemeral_gb: flavor.ephemeral_gb,
                    swap: flavor.swap,
                    extra_specs: flavor.extra_specs.clone(),
                },
                image_properties: properties.clone(),
                availability_zone: zone.clone(),
                requested_host: requested_host.clone(),
                requested_node: requested_node.clone(),
                same_host: new.same_host.clone(),
                different_host: new.different_host.clone(),
                group: new.group.clone(),
            })
            .collect();
        let spec_values: Vec<Value> = specs.iter().map(|s| serde_json::to_value(s).expect("a request spec serializes")).collect();
        let builds: Vec<NewBuild> =
            instances.iter().zip(&spec_values).map(|(instance, request_spec)| NewBuild { instance, request_spec }).collect();
        self.store().create_builds(&builds, new.group.as_deref()).await?;
        let uuids: Vec<String> = instances.iter().map(|i| i.uuid.clone()).collect();
        self.superconductor
            .schedule_and_build_instances(&uuids, &ctx.request_id)
            .await
            .map_err(|e| Error::Unavailable(format!("the conductor cannot be reached: {e}")))?;
        Ok(CreatedServers { instances, reservation_id, admin_pass: new.admin_pass.unwrap_or_else(|| random_text(12)) })
    }

    /// The zone, host and node of `zone[:host[:node]]`; a host or node only for those
    /// policy lets force one.
    async fn parse_zone(&self, ctx: &RequestContext, az: Option<&str>) -> Result<(Option<String>, Option<String>, Option<String>)> {
        let Some(az) = az else { return Ok((None, None, None)) };
        let mut parts = az.splitn(3, ':');
        let zone = parts.next().filter(|z| !z.is_empty()).map(str::to_owned);
        let host = parts.next().filter(|h| !h.is_empty()).map(str::to_owned);
        let node = parts.next().filter(|n| !n.is_empty()).map(str::to_owned);
        if host.is_some() || node.is_some() {
            self.authorize_own(ctx, "os_compute_api:servers:create:forced_host")?;
        }
        if let Some(z) = &zone {
            self.check_zone(z).await?;
        }
        Ok((zone, host, node))
    }

    /// Refuses a zone no compute host is in.
    pub(crate) async fn check_zone(&self, zone: &str) -> Result<()> {
        if !self.compute_zones().await?.iter().any(|z| z == zone) {
            return Err(Error::BadRequest(format!("The requested availability zone is not available: {zone}")));
        }
        Ok(())
    }

    /// The zones compute hosts are in: the default zone and every aggregate's.
    async fn compute_zones(&self) -> Result<Vec<String>> {
        let mut zones = vec![self.settings.default_availability_zone.clone()];
        for a in self.store().list_aggregates().await? {
            if let Some(z) = a.metadata.get("availability_zone")
                && !zones.contains(z)
            {
                zones.push(z.clone());
            }
        }
        Ok(zones)
    }

    /// The image to boot from, checked against the flavor as Nova checks it.
    pub(super) async fn boot_image(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        image_ref: &str,
        memory_mb: i64,
        root_gb: i64,
    ) -> Result<Value> {
        if image_ref.is_empty() {
            return Err(Error::BadRequest(
                "Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid."
                    .into(),
            ));
        }
        let image = self
            .images
            .get(image_ref, token, &ctx.request_id)
            .await
            .map_err(|e| Error::Unavailable(format!("the image service cannot be asked for image {image_ref}: {e}")))?
            .ok_or_else(|| Error::BadRequest(format!("Image {image_ref} could not be found.")))?;
        if image["status"] != "active" {
            return Err(Error::BadRequest(format!("Image {image_ref} is not active.")));
        }
        if image["min_ram"].as_i64().unwrap_or(0) > memory_mb {
            return Err(Error::BadRequest("Flavor's memory is too small for requested image.".into()));
        }
        if root_gb > 0 {
            let root = root_gb * 1024 * 1024 * 1024;
            if image["min_disk"].as_i64().unwrap_or(0) > root_gb || image["size"].as_i64().unwrap_or(0) > root {
                return Err(Error::BadRequest("Flavor's disk is too small for requested image.".into()));
            }
        }
        Ok(image)
    }

    /// The servers the caller asked for, from every cell and the build requests.
    pub async fn list_servers(&self, ctx: &RequestContext, detail: bool, mut q: ServerQuery) -> Result<Vec<ServerView>> {
        self.authorize_own(ctx, if detail { "os_compute_api:servers:detail" } else { "os_compute_api:servers:index" })?;
        let admin = self.allowed(ctx, "context_is_admin");
        let rule = if detail { "os_compute_api:servers:detail:get_all_tenants" } else { "os_compute_api:servers:index:get_all_tenants" };
        // Another project's servers (`project_id`/`tenant_id`) only with all_tenants.
        if !(q.all_tenants && self.allowed(ctx, rule)) {
            q.filter.project_id = ctx.project_id().map(str::to_owned);
        }
        if !admin {
            q.filter.host = None;
            q.filter.node = None;
            q.filter.deleted = Some(false);
        }
        if q.filter.deleted.is_none() && q.filter.changes_since.is_none() && q.filter.changes_before.is_none() {
            q.filter.deleted = Some(false);
        }
        let name = q
            .name
            .as_deref()
            .map(|n| regex::Regex::new(n).map_err(|e| Error::BadRequest(format!("Invalid name filter {n}: {e}"))))
            .transpose()?;
        let marker = match &q.marker {
            Some(m) => Some(self.find_marker(m).await?.ok_or_else(|| Error::BadRequest(format!("marker [{m}] not found")))?),
            None => None,
        };
        let limit = q.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
        let page =
            Page { sort_key: q.sort_key, descending: q.descending, marker: marker.clone(), limit: name.is_none().then_some(limit as i64) };
        // Build requests first: one scheduled meanwhile is then found in its cell, never
        // in neither place.
        let builds = if q.filter.deleted != Some(true) {
            self.store().list_build_requests(q.filter.project_id.as_deref()).await?
        } else {
            Vec::new()
        };
        let mut found: Vec<(InstanceRow, Option<&CellStore>)> = Vec::new();
        for cell in self.cells().all() {
            match cell.store() {
                Ok(store) => found.extend(store.list_instances(&q.filter, &page).await?.into_iter().map(|i| (i, Some(store)))),
                Err(e) => tracing::warn!(error = %e, "a server list leaves out an unavailable cell's servers"),
            }
        }
        for b in builds {
            if build_request_matches(&b, &q.filter) && !found.iter().any(|(i, _)| i.uuid == b.uuid) {
                found.push((b, None));
            }
        }
        if let Some(re) = &name {
            found.retain(|(i, _)| re.is_match(&i.display_name));
        }
        let key = q.sort_key;
        let after = |i: &InstanceRow| match &marker {
            None => true,
            Some(m) => {
                let (a, b) = ((key.value_of(i), i.uuid.as_str()), (key.value_of(m), m.uuid.as_str()));
                if q.descending { a < b } else { a > b }
            }
        };
        found.retain(|(i, _)| after(i));
        found.sort_by(|(a, _), (b, _)| {
            let order =
                key.value_of(a).partial_cmp(&key.value_of(b)).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.uuid.cmp(&b.uuid));
            if q.descending { order.reverse() } else { order }
        });
        found.truncate(limit);
        let mut views = Vec::with_capacity(found.len());
        for (instance, store) in found {
            let fault = match (store, instance.vm_state) {
                (Some(s), VmState::Error | VmState::Deleted) => {
                    s.latest_faults(std::slice::from_ref(&instance.uuid)).await?.remove(&instance.uuid)
                }
                _ => None,
            };
            views.push(ServerView { host_status: self.host_status(ctx, &instance).await, instance, fault });
        }
        Ok(views)
    }

    /// The instance a list's marker names, wherever it is.
    async fn find_marker(&self, uuid: &str) -> Result<Option<InstanceRow>> {
        if let Some(b) = self.store().build_request(uuid).await? {
            return Ok(Some(b));
        }
        for cell in self.cells().all() {
            if let Ok(store) = cell.store()
                && let Some(i) = store.instance(uuid, true).await?
            {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// One server.
    pub async fn show_server(&self, ctx: &RequestContext, uuid: &str) -> Result<ServerView> {
        let located = self.locate(ctx, uuid).await?;
        let (instance, store) = match located {
            Located::Building(i) => (i, None),
            Located::InCell { store, instance, .. } => (instance, Some(store)),
        };
        self.authorize_instance(ctx, "os_compute_api:servers:show", &instance)?;
        let fault = match (store, instance.vm_state) {
            (Some(s), VmState::Error) => s.latest_faults(std::slice::from_ref(&instance.uuid)).await?.remove(&instance.uuid),
            _ => None,
        };
        Ok(ServerView { host_status: self.host_status(ctx, &instance).await, instance, fault })
    }

    /// The state of the server's host, for those policy shows it to.
    async fn host_status(&self, ctx: &RequestContext, i: &InstanceRow) -> Option<&'static str> {
        if !self.allowed(ctx, "os_compute_api:servers:show:host_status") {
            return None;
        }
        let Some(host) = &i.host else { return Some("") };
        for cell in self.cells().compute_cells() {
            let Ok(store) = cell.store() else { continue };
            let Ok(services) = store.list_services().await else { return Some("UNKNOWN") };
            if let Some(s) = services.iter().find(|s| s.host == *host && s.binary == super::services::COMPUTE_BINARY) {
                return Some(if !self.service_up(s) {
                    "DOWN"
                } else if s.disabled {
                    "MAINTENANCE"
                } else {
                    "UP"
                });
            }
        }
        Some("UNKNOWN")
    }

    /// Renames a server or changes its description, host name or access addresses.
    pub async fn update_server(&self, ctx: &RequestContext, uuid: &str, changes: InstanceChanges) -> Result<ServerView> {
        match self.locate(ctx, uuid).await? {
            Located::Building(instance) => {
                self.authorize_instance(ctx, "os_compute_api:servers:update", &instance)?;
                let updated = changes.applied_to(instance);
                let recorded = self.store().update_build_request(&updated).await?;
                // Scheduled meanwhile (before or after the build request was rewritten):
                // the instance in its cell gets the change too.
                if !recorded || self.store().instance_mapping(uuid).await?.is_some_and(|m| m.cell_uuid.is_some()) {
                    return Box::pin(self.update_server(ctx, uuid, changes)).await;
                }
                Ok(ServerView { host_status: self.host_status(ctx, &updated).await, instance: updated, fault: None })
            }
            Located::InCell { store, instance, .. } => {
                self.authorize_instance(ctx, "os_compute_api:servers:update", &instance)?;
                let updated = store.update_instance(uuid, &changes, &Default::default()).await.map_err(|e| refused(uuid, e))?;
                Ok(ServerView { host_status: self.host_status(ctx, &updated).await, instance: updated, fault: None })
            }
        }
    }

    /// Deletes a server: at once while it has no host (or its host is down), else by its
    /// host's agent. `policy` names the rule that allows it (a plain or a forced delete:
    /// with no deferred delete configured, both delete alike).
    pub async fn delete_server(&self, ctx: &RequestContext, uuid: &str, policy: &str) -> Result<()> {
        match self.locate(ctx, uuid).await? {
            Located::Building(instance) => {
                self.authorize_instance(ctx, policy, &instance)?;
                if self.store().delete_build_request(uuid).await? {
                    self.store().queue_instance_for_delete(uuid).await?;
                    return Ok(());
                }
                // Scheduled meanwhile: delete it where it landed.
                Box::pin(self.delete_server(ctx, uuid, policy)).await
            }
            Located::InCell { store, cell_uuid, instance } => {
                self.authorize_instance(ctx, policy, &instance)?;
                self.check_unlocked(ctx, &instance)?;
                store.start_action(uuid, &ctx.request_id, "delete", &instance.project_id, &ctx.user_id).await?;
                self.store().queue_instance_for_delete(uuid).await?;
                let host = instance.host.clone().filter(|_| cell_uuid != CELL0_UUID);
                match host {
                    Some(host) if self.agent_up(store, &host).await? => {
                        let changes = InstanceChanges { task_state: Some(Some(TaskState::Deleting)), ..Default::default() };
                        let instance = store.update_instance(uuid, &changes, &Default::default()).await.map_err(|e| refused(uuid, e))?;
                        let cell =
                            self.cells().get(&cell_uuid).ok_or_else(|| Error::Internal(format!("cell {cell_uuid} is not mapped")))?;
                        let agents = AgentClient::new(self.buses.of(cell)?);
                        let request = OperationRequest {
                            instance,
                            operation: Operation::Terminate,
                            snapshot: None,
                            selection: None,
                            rescue_image: None,
                            admin_password: None,
                        };
                        agents
                            .operate(&host, &request, &ctx.request_id)
                            .await
                            .map_err(|e| Error::Unavailable(format!("host {host} cannot be reached: {e}")))
                    }
                    _ => {
                        // No agent will answer: delete it here, as Nova's local delete does.
                        store.destroy_instance(uuid).await?;
                        if cell_uuid != CELL0_UUID
                            && let Err(e) = self.placement.free(uuid, &ctx.request_id).await
                        {
                            tracing::warn!(instance = %uuid, error = %e, "a locally deleted instance's allocations could not be freed");
                        }
                        Ok(())
                    }
                }
            }
        }
    }

    /// Whether the compute service of `host` is up.
    pub(crate) async fn agent_up(&self, store: &CellStore, host: &str) -> Result<bool> {
        Ok(store.list_services().await?.iter().any(|s| s.host == host && s.binary == super::services::COMPUTE_BINARY && self.service_up(s)))
    }

    /// Refuses a change to a locked instance, except by an admin.
    pub(crate) fn check_unlocked(&self, ctx: &RequestContext, i: &InstanceRow) -> Result<()> {
        if i.locked_by.is_some() && !self.allowed(ctx, "context_is_admin") {
            return Err(Error::Conflict(format!("Instance {} is locked", i.uuid)));
        }
        Ok(())
    }

    /// Live instances, vCPUs and memory of a project (of one of its users when `user`),
    /// in every cell and in build requests.
    pub(crate) async fn instance_usage(&self, project: &str, user: Option<&str>) -> Result<(i64, i64, i64)> {
        let mut usage = (0, 0, 0);
        // An instance is briefly both a build request and in its cell: count it once.
        let mut counted = std::collections::HashSet::new();
        let mut add = |i: &InstanceRow| {
            if user.is_none_or(|u| u == i.user_id) && counted.insert(i.uuid.clone()) {
                usage.0 += 1;
                usage.1 += i.flavor["vcpus"].as_i64().unwrap_or(0);
                usage.2 += i.flavor["memory_mb"].as_i64().unwrap_or(0);
            }
        };
        for b in self.store().list_build_requests(Some(project)).await? {
            add(&b);
        }
        let filter = InstanceFilter { project_id: Some(project.to_owned()), deleted: Some(false), ..Default::default() };
        let page = Page { sort_key: SortKey::CreatedAt, descending: false, marker: None, limit: None };
        for cell in self.cells().all() {
            for i in cell.store()?.list_instances(&filter, &page).await? {
                add(&i);
            }
        }
        Ok(usage)
    }

    /// The internal id of the flavor `flavorid` (any visibility), for list filters.
    pub async fn flavor_internal_id(&self, flavorid: &str) -> Result<Option<i64>> {
        Ok(self.store().get_flavor(flavorid, &crate::store::FlavorVisibility::All).await?.map(|f| f.id))
    }

    /// The server groups the server belongs to (none or one).
    pub async fn server_groups_of(&self, uuid: &str) -> Result<Vec<String>> {
        Ok(self.store().server_group_of(uuid).await?.into_iter().collect())
    }

    /// Whether the caller sees admin-only server fields.
    pub fn sees_extended_attributes(&self, ctx: &RequestContext) -> bool {
        self.allowed(ctx, "os_compute_api:os-extended-server-attributes")
    }

    /// Whether the caller may read flavor extra specs (shown in servers from 2.47).
    pub fn sees_extra_specs(&self, ctx: &RequestContext) -> bool {
        self.allowed(ctx, "os_compute_api:os-flavor-extra-specs:index")
    }
}

/// A store refusal of an instance update, in the API's terms.
pub(crate) fn refused(uuid: &str, e: crate::store::cell::UpdateRefused) -> Error {
    use crate::store::cell::UpdateRefused;
    match e {
        UpdateRefused::NotFound => not_found(uuid),
        UpdateRefused::UnexpectedState { vm_state, task_state } => Error::Conflict(format!(
            "Instance {uuid} is in vm_state {vm_state}, task_state {}: another request changed it first.",
            task_state.map_or("None", TaskState::as_str)
        )),
        UpdateRefused::Store(e) => Error::Store(e),
    }
}

/// Whether a build request passes the filters a list asked for (those a build request
/// can pass: it has no host, is building and is not deleted).
fn build_request_matches(b: &InstanceRow, f: &InstanceFilter) -> bool {
    let eq = |want: &Option<String>, have: &str| want.as_ref().is_none_or(|w| w == have);
    eq(&f.project_id, &b.project_id)
        && eq(&f.user_id, &b.user_id)
        && eq(&f.image_ref, &b.image_ref)
        && eq(&f.reservation_id, &b.reservation_id)
        && f.host.is_none()
        && f.node.is_none()
        && f.instance_type_id.is_none_or(|id| id == b.instance_type_id)
        && f.vm_states.as_ref().is_none_or(|v| v.contains(&VmState::Building))
        && f.task_states.as_ref().is_none_or(|t| t.contains(&TaskState::Scheduling))
        && f.changes_since.is_none_or(|t| b.updated_at >= t)
        && f.changes_before.is_none_or(|t| b.updated_at <= t)
        && f.availability_zone.as_ref().is_none_or(|z| b.availability_zone.as_ref() == Some(z))
        && f.key_name.as_ref().is_none_or(|k| b.key_name.as_ref() == Some(k))
        && f.locked.is_none_or(|l| !l)
        && f.uuids.as_ref().is_none_or(|u| u.contains(&b.uuid))
        && f.tags.iter().all(|t| b.tags.contains(t))
        && (f.tags_any.is_empty() || f.tags_any.iter().any(|t| b.tags.contains(t)))
        && (f.not_tags.is_empty() || !f.not_tags.iter().all(|t| b.tags.contains(t)))
        && !f.not_tags_any.iter().any(|t| b.tags.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_sanitized_display_names() {
        assert_eq!(sanitize_hostname("My Server_1.example"), "my-server-1-example");
        assert_eq!(sanitize_hostname("--ünïcode--"), "ncode");
        assert_eq!(sanitize_hostname("***"), "server");
    }
}
