//! Server actions: the power operations an agent carries out (start, stop, reboot,
//! pause, suspend and their reverses) and locking, each allowed only in the states
//! Nova allows it in and recorded as an instance action.

use std::collections::BTreeMap;

use client::UserToken;
use common::RequestContext;

use super::servers::{Located, ServerView, image_system_metadata, random_text, refused};
use super::{Compute, Error, Result};
use crate::rpc::{AgentClient, Operation, OperationRequest, Rotation, Secret, SnapshotTarget};
use crate::states::{TaskState, VmState};
use crate::store::cell::{CellStore, Expected, InstanceChanges, InstanceRow};

/// What a rebuild changes: a new image (or the same one again), and optionally the
/// name, metadata (replaced), addresses, description, key, user data and host name
/// (`Some(None)` unsets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebuild {
    pub image_ref: String,
    pub name: Option<String>,
    pub admin_pass: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub access_ip_v4: Option<Option<String>>,
    pub access_ip_v6: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub key_name: Option<Option<String>>,
    pub user_data: Option<Option<String>>,
    pub hostname: Option<String>,
}

/// What some operations carry to the host besides the instance.
#[derive(Debug, Clone, Default)]
struct Extra {
    rescue_image: Option<String>,
    admin_password: Option<Secret>,
}

/// The image a snapshot, backup or shelve fills: its name (a shelve's is
/// `<server name>-shelved`), metadata, and a backup's rotation.
#[derive(Debug, Clone, Default)]
struct NewImage {
    name: Option<String>,
    metadata: BTreeMap<String, String>,
    rotation: Option<Rotation>,
}

/// The vm states each operation is allowed in, the task states it may start from,
/// the task state it sets, and its action and policy names.
struct Rule {
    action: &'static str,
    policy: &'static str,
    vm_states: &'static [VmState],
    task_states: &'static [Option<TaskState>],
    sets: TaskState,
}

const IDLE: &[Option<TaskState>] = &[None];
const HARD_REBOOT_FROM: &[Option<TaskState>] = &[
    None,
    Some(TaskState::Rebooting),
    Some(TaskState::RebootPending),
    Some(TaskState::RebootStarted),
    Some(TaskState::RebootingHard),
    Some(TaskState::RebootPendingHard),
    Some(TaskState::RebootStartedHard),
    Some(TaskState::Resuming),
    Some(TaskState::Unpausing),
    Some(TaskState::Pausing),
    Some(TaskState::Suspending),
];

fn rule(op: Operation) -> Rule {
    use VmState::*;
    let r = |action, policy, vm_states, task_states, sets| Rule { action, policy, vm_states, task_states, sets };
    match op {
        Operation::Start => r("start", "os_compute_api:servers:start", &[Stopped], IDLE, TaskState::PoweringOn),
        Operation::Stop => r("stop", "os_compute_api:servers:stop", &[Active, Error], IDLE, TaskState::PoweringOff),
        Operation::Reboot { hard: false } => r("reboot", "os_compute_api:servers:reboot", &[Active], IDLE, TaskState::Rebooting),
        Operation::Reboot { hard: true } => r(
            "reboot",
            "os_compute_api:servers:reboot",
            &[Active, Stopped, Paused, Suspended, Error],
            HARD_REBOOT_FROM,
            TaskState::RebootingHard,
        ),
        Operation::Pause => r("pause", "os_compute_api:os-pause-server:pause", &[Active], IDLE, TaskState::Pausing),
        Operation::Unpause => r("unpause", "os_compute_api:os-pause-server:unpause", &[Paused], IDLE, TaskState::Unpausing),
        Operation::Suspend => r("suspend", "os_compute_api:os-suspend-server:suspend", &[Active], IDLE, TaskState::Suspending),
        Operation::Resume => r("resume", "os_compute_api:os-suspend-server:resume", &[Suspended], IDLE, TaskState::Resuming),
        Operation::Snapshot => {
            r("createImage", "os_compute_api:servers:create_image", &[Active, Stopped, Paused, Suspended], IDLE, TaskState::ImageSnapshot)
        }
        Operation::Backup => {
            r("createBackup", "os_compute_api:os-create-backup", &[Active, Stopped, Paused, Suspended], IDLE, TaskState::ImageBackup)
        }
        Operation::Shelve => {
            r("shelve", "os_compute_api:os-shelve:shelve", &[Active, Stopped, Paused, Suspended], IDLE, TaskState::Shelving)
        }
        Operation::Unshelve => {
            r("unshelve", "os_compute_api:os-shelve:unshelve", &[Shelved, ShelvedOffloaded], IDLE, TaskState::Unshelving)
        }
        Operation::Rescue => r("rescue", "os_compute_api:os-rescue", &[Active, Stopped, Error], IDLE, TaskState::Rescuing),
        Operation::Unrescue => r("unrescue", "os_compute_api:os-unrescue", &[Rescued], IDLE, TaskState::Unrescuing),
        Operation::ChangePassword => r("changePassword", "os_compute_api:os-admin-password", &[Active], IDLE, TaskState::UpdatingPassword),
        Operation::Rebuild => r("rebuild", "os_compute_api:servers:rebuild", &[Active, Stopped, Error], IDLE, TaskState::Rebuilding),
        Operation::Terminate => r("delete", "os_compute_api:servers:delete", &[], &[], TaskState::Deleting),
    }
}

/// Image properties a snapshot does not inherit: Glance's own attributes, which a
/// new image gets anew.
const NOT_INHERITED: [&str; 8] =
    ["disk_format", "container_format", "min_ram", "min_disk", "os_hidden", "stores", "owner_specified", "base_image_ref"];

/// The image record of a snapshot: its server's image's format and properties (kept in
/// the instance's system metadata), the caller's `metadata` over them, and the
/// properties that say where it came from.
fn snapshot_image(i: &InstanceRow, user_id: &str, name: String, kind: &str, metadata: BTreeMap<String, String>) -> serde_json::Value {
    let base = |key: &str| i.system_metadata.get(&format!("image_{key}")).cloned();
    let number = |key: &str| base(key).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let mut image = serde_json::Map::new();
    for (key, value) in &i.system_metadata {
        if let Some(property) = key.strip_prefix("image_")
            && !NOT_INHERITED.contains(&property)
            && !property.starts_with("os_glance")
        {
            image.insert(property.to_owned(), value.clone().into());
        }
    }
    image.extend(metadata.into_iter().map(|(k, v)| (k, v.into())));
    let root_gb = i.flavor["root_gb"].as_i64().unwrap_or(0);
    let fixed = serde_json::json!({
        "name": name, "visibility": "private",
        "disk_format": base("disk_format").unwrap_or_else(|| "raw".into()),
        "container_format": base("container_format").unwrap_or_else(|| "bare".into()),
        "min_ram": number("min_ram"), "min_disk": number("min_disk").max(root_gb),
        "instance_uuid": i.uuid, "user_id": user_id, "image_type": kind, "base_image_ref": i.image_ref,
        "image_location": "snapshot", "image_state": "available",
    });
    image.extend(fixed.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
    serde_json::Value::Object(image)
}

/// Nova's 409 for an action in the wrong state.
pub(crate) fn invalid_state(action: &str, i: &InstanceRow, attr: &str, state: &str) -> Error {
    Error::Conflict(format!("Cannot '{action}' instance {} while it is in {attr} {state}", i.uuid))
}

/// Refuses `action` unless the instance's vm state is one of `vm_states` and its task
/// state one of `task_states`.
pub(crate) fn check_state(action: &str, i: &InstanceRow, vm_states: &[VmState], task_states: &[Option<TaskState>]) -> Result<()> {
    if !vm_states.contains(&i.vm_state) {
        return Err(invalid_state(action, i, "vm_state", i.vm_state.as_str()));
    }
    if !task_states.contains(&i.task_state) {
        return Err(invalid_state(action, i, "task_state", i.task_state.map_or("None", TaskState::as_str)));
    }
    Ok(())
}

impl Compute {
    /// Asks the server's host to carry out `op` (any operation but `Terminate`, which
    /// is a delete), after checking policy, the lock and the states.
    pub async fn operate_server(&self, ctx: &RequestContext, uuid: &str, op: Operation) -> Result<()> {
        self.operate_changing(ctx, uuid, op, InstanceChanges::default(), None, Extra::default()).await.map(|_| ())
    }

    /// Rebuilds a server from `rebuild.image_ref` on its host; answers the server as
    /// it now is and its new admin password.
    pub async fn rebuild_server(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        uuid: &str,
        rebuild: Rebuild,
    ) -> Result<(ServerView, String)> {
        let instance = match self.locate(ctx, uuid).await? {
            Located::Building(i) | Located::InCell { instance: i, .. } => i,
        };
        self.authorize_instance(ctx, "os_compute_api:servers:rebuild", &instance)?;
        let memory_mb = instance.flavor["memory_mb"].as_i64().unwrap_or(0);
        let root_gb = instance.flavor["root_gb"].as_i64().unwrap_or(0);
        let image = self.boot_image(ctx, token, &rebuild.image_ref, memory_mb, root_gb).await?;
        let key_data = match &rebuild.key_name {
            Some(Some(name)) => Some(Some(
                self.store()
                    .get_keypair(&ctx.user_id, name)
                    .await?
                    .ok_or_else(|| Error::BadRequest("Invalid key_name provided.".into()))?
                    .public_key,
            )),
            Some(None) => Some(None),
            None => None,
        };
        if let Some(m) = &rebuild.metadata {
            self.check_metadata_quota(&instance.project_id, m.len()).await?;
        }
        let mut system_metadata: BTreeMap<String, String> =
            instance.system_metadata.iter().filter(|(k, _)| !k.starts_with("image_")).map(|(k, v)| (k.clone(), v.clone())).collect();
        system_metadata.extend(image_system_metadata(&image));
        let changes = InstanceChanges {
            image_ref: Some(rebuild.image_ref.clone()),
            system_metadata: Some(system_metadata),
            display_name: rebuild.name.clone(),
            display_description: rebuild.description.clone(),
            access_ip_v4: rebuild.access_ip_v4.clone(),
            access_ip_v6: rebuild.access_ip_v6.clone(),
            key_name: rebuild.key_name.clone(),
            key_data,
            user_data: rebuild.user_data.clone(),
            hostname: rebuild.hostname.clone(),
            ..Default::default()
        };
        let (store, updated) = self.operate_changing(ctx, uuid, Operation::Rebuild, changes, None, Extra::default()).await?;
        let instance = match &rebuild.metadata {
            Some(m) => {
                let metadata = store.set_metadata(uuid, m, true).await?;
                InstanceRow { metadata, ..updated }
            }
            None => updated,
        };
        let admin_pass = rebuild.admin_pass.unwrap_or_else(|| random_text(12));
        Ok((ServerView { host_status: None, instance, fault: None }, admin_pass))
    }

    /// Snapshots a server into a new private image named `name` (with `metadata` over
    /// the properties its image had); answers the image's id. The image is created
    /// first, queued, and filled by the server's host.
    pub async fn snapshot_server(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        uuid: &str,
        name: String,
        metadata: BTreeMap<String, String>,
    ) -> Result<String> {
        self.image_from(ctx, token, uuid, Operation::Snapshot, NewImage { name: Some(name), metadata, rotation: None }).await
    }

    /// Backs a server up into a new image named `name` of `rotation`'s backup type;
    /// once it is uploaded, that type's older backups beyond `rotation.keep` are
    /// deleted. Answers the image's id.
    pub async fn backup_server(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        uuid: &str,
        name: String,
        rotation: Rotation,
        mut metadata: BTreeMap<String, String>,
    ) -> Result<String> {
        metadata.insert("backup_type".into(), rotation.backup_type.clone());
        self.image_from(ctx, token, uuid, Operation::Backup, NewImage { name: Some(name), metadata, rotation: Some(rotation) }).await
    }

    /// Shelves a server: its disk goes into a new image (`<name>-shelved`), then it
    /// leaves its host and frees its resources at once (Nova's `shelved_offload_time`
    /// of 0).
    pub async fn shelve_server(&self, ctx: &RequestContext, token: &UserToken, uuid: &str) -> Result<()> {
        self.image_from(ctx, token, uuid, Operation::Shelve, NewImage::default()).await.map(|_| ())
    }

    /// Offloads a shelved server. Shelving offloads at once here, so no server is ever
    /// shelved but not offloaded, and this answers Nova's 409 for any server.
    pub async fn shelve_offload_server(&self, ctx: &RequestContext, uuid: &str) -> Result<()> {
        let (_, instance) = self.in_cell(ctx, uuid, "shelveOffload").await?;
        self.authorize_instance(ctx, "os_compute_api:os-shelve:shelve_offload", &instance)?;
        check_state("shelveOffload", &instance, &[VmState::Shelved], IDLE)?;
        Err(Error::NotImplemented("Offloading a shelved server is not implemented in Ferrostack: shelving offloads at once.".into()))
    }

    /// Brings a shelved server back: the scheduler chooses a host again (in `zone`, or
    /// on `host` for admins, when asked) and that host spawns it from its shelved image.
    pub async fn unshelve_server(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        uuid: &str,
        zone: Option<String>,
        host: Option<String>,
    ) -> Result<()> {
        let r = rule(Operation::Unshelve);
        let (store, cell_uuid, instance) = match self.locate(ctx, uuid).await? {
            Located::Building(i) => return Err(invalid_state(r.action, &i, "vm_state", i.vm_state.as_str())),
            Located::InCell { store, cell_uuid, instance } => (store, cell_uuid, instance),
        };
        self.authorize_instance(ctx, r.policy, &instance)?;
        if host.is_some() {
            self.authorize_instance(ctx, "os_compute_api:os-shelve:unshelve_to_host", &instance)?;
        }
        self.check_unlocked(ctx, &instance)?;
        check_state(r.action, &instance, r.vm_states, r.task_states)?;
        if let Some(z) = &zone {
            self.check_zone(z).await?;
        }
        let image_id = instance
            .system_metadata
            .get("shelved_image_id")
            .cloned()
            .ok_or_else(|| Error::Conflict(format!("Instance {uuid} was shelved without an image: it cannot be unshelved.")))?;
        let changes = InstanceChanges { task_state: Some(Some(r.sets)), ..Default::default() };
        let expected = Expected { task_states: Some(r.task_states.to_vec()), vm_states: Some(r.vm_states.to_vec()) };
        store.update_instance(uuid, &changes, &expected).await.map_err(|e| refused(uuid, e))?;
        store.start_action(uuid, &ctx.request_id, r.action, &instance.project_id, &ctx.user_id).await?;
        let request = crate::rpc::UnshelveRequest {
            instance_uuid: uuid.to_owned(),
            cell_uuid,
            availability_zone: zone,
            host,
            image: SnapshotTarget { image_id, token: token.clone(), rotation: None },
        };
        if let Err(e) = self.superconductor.unshelve_instance(&request, &ctx.request_id).await {
            let idle = InstanceChanges { task_state: Some(None), ..Default::default() };
            let _ = store.update_instance(uuid, &idle, &Default::default()).await;
            return Err(Error::Unavailable(format!("the conductor cannot be reached: {e}")));
        }
        Ok(())
    }

    /// Creates the image a snapshot or a shelve fills (named `name`, else
    /// `<server name>-shelved`) and has the server's host fill it; answers its id.
    async fn image_from(&self, ctx: &RequestContext, token: &UserToken, uuid: &str, op: Operation, new: NewImage) -> Result<String> {
        let NewImage { name, metadata, rotation } = new;
        let r = rule(op);
        let (_, instance) = self.in_cell(ctx, uuid, r.action).await?;
        self.authorize_instance(ctx, r.policy, &instance)?;
        self.check_unlocked(ctx, &instance)?;
        check_state(r.action, &instance, r.vm_states, r.task_states)?;
        let name = name.unwrap_or_else(|| format!("{}-shelved", instance.display_name));
        let kind = if op == Operation::Backup { "backup" } else { "snapshot" };
        let image = snapshot_image(&instance, &ctx.user_id, name, kind, metadata);
        self.check_metadata_quota(&instance.project_id, image.as_object().map_or(0, |o| o.len())).await?;
        let created = self.images.create(&image, token, &ctx.request_id).await.map_err(|e| match e.status() {
            Some(400) => Error::BadRequest(format!("The image service refused the snapshot's image: {e}")),
            Some(403 | 413) => Error::Forbidden(format!("The image service refused the snapshot's image: {e}")),
            _ => Error::Unavailable(format!("the image service cannot be asked: {e}")),
        })?;
        let image_id = created["id"].as_str().unwrap_or_default().to_owned();
        let target = SnapshotTarget { image_id: image_id.clone(), token: token.clone(), rotation };
        if let Err(e) = self.operate_changing(ctx, uuid, op, InstanceChanges::default(), Some(target), Extra::default()).await {
            if let Err(gone) = self.images.delete(&image_id, token, &ctx.request_id).await {
                tracing::warn!(image = %image_id, error = %gone, "a refused snapshot's image could not be deleted");
            }
            return Err(e);
        }
        Ok(image_id)
    }

    /// Sets the task state of `op` (with `changes`) where the states allow it and asks
    /// the server's host to carry it out; answers the instance as the host got it.
    async fn operate_changing(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        op: Operation,
        mut changes: InstanceChanges,
        snapshot: Option<SnapshotTarget>,
        extra: Extra,
    ) -> Result<(&CellStore, InstanceRow)> {
        let Extra { rescue_image, admin_password } = extra;
        let r = rule(op);
        let (store, cell_uuid, instance) = match self.locate(ctx, uuid).await? {
            Located::Building(i) => {
                self.authorize_instance(ctx, r.policy, &i)?;
                return Err(invalid_state(r.action, &i, "vm_state", i.vm_state.as_str()));
            }
            Located::InCell { store, cell_uuid, instance } => (store, cell_uuid, instance),
        };
        self.authorize_instance(ctx, r.policy, &instance)?;
        self.check_unlocked(ctx, &instance)?;
        check_state(r.action, &instance, r.vm_states, r.task_states)?;
        let host = instance.host.clone().ok_or_else(|| invalid_state(r.action, &instance, "vm_state", instance.vm_state.as_str()))?;
        changes.task_state = Some(Some(r.sets));
        let expected = Expected { task_states: Some(r.task_states.to_vec()), vm_states: Some(r.vm_states.to_vec()) };
        let updated = store.update_instance(uuid, &changes, &expected).await.map_err(|e| match e {
            crate::store::cell::UpdateRefused::UnexpectedState { task_state, .. } => {
                invalid_state(r.action, &instance, "task_state", task_state.map_or("None", TaskState::as_str))
            }
            other => refused(uuid, other),
        })?;
        store.start_action(uuid, &ctx.request_id, r.action, &instance.project_id, &ctx.user_id).await?;
        let cell = self.cells().get(&cell_uuid).ok_or_else(|| Error::Internal(format!("cell {cell_uuid} is not mapped")))?;
        let agents = AgentClient::new(self.buses.of(cell)?);
        let request = OperationRequest { instance: updated, operation: op, snapshot, selection: None, rescue_image, admin_password };
        if let Err(e) = agents.operate(&host, &request, &ctx.request_id).await {
            let revert = InstanceChanges { task_state: Some(None), ..Default::default() };
            let _ = store.update_instance(uuid, &revert, &Expected { task_states: Some(vec![Some(r.sets)]), vm_states: None }).await;
            return Err(Error::Unavailable(format!("host {host} cannot be reached: {e}")));
        }
        Ok((store, request.instance))
    }

    /// Locks a server against changes by its owner (with `reason` from 2.73).
    pub async fn lock_server(&self, ctx: &RequestContext, uuid: &str, reason: Option<String>) -> Result<()> {
        let (store, instance) = self.in_cell(ctx, uuid, "lock").await?;
        self.authorize_instance(ctx, "os_compute_api:os-lock-server:lock", &instance)?;
        let by = if ctx.project_id() == Some(instance.project_id.as_str()) { "owner" } else { "admin" };
        let changes = InstanceChanges { locked_by: Some(Some(by.into())), locked_reason: Some(reason), ..Default::default() };
        store.update_instance(uuid, &changes, &Default::default()).await.map_err(|e| refused(uuid, e))?;
        store.start_action(uuid, &ctx.request_id, "lock", &instance.project_id, &ctx.user_id).await?;
        Ok(())
    }

    /// Unlocks a server; one an admin locked only by those policy lets override it.
    pub async fn unlock_server(&self, ctx: &RequestContext, uuid: &str) -> Result<()> {
        let (store, instance) = self.in_cell(ctx, uuid, "unlock").await?;
        self.authorize_instance(ctx, "os_compute_api:os-lock-server:unlock", &instance)?;
        if instance.locked_by.as_deref() == Some("admin") && ctx.project_id() == Some(instance.project_id.as_str()) {
            self.authorize_instance(ctx, "os_compute_api:os-lock-server:unlock:unlock_override", &instance)?;
        }
        let changes = InstanceChanges { locked_by: Some(None), locked_reason: Some(None), ..Default::default() };
        store.update_instance(uuid, &changes, &Default::default()).await.map_err(|e| refused(uuid, e))?;
        store.start_action(uuid, &ctx.request_id, "unlock", &instance.project_id, &ctx.user_id).await?;
        Ok(())
    }

    /// Rescues a server: its host boots it from `image` (its own image unless given)
    /// with its disk attached; answers the rescue's admin password.
    pub async fn rescue_server(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        uuid: &str,
        admin_pass: Option<String>,
        image: Option<String>,
    ) -> Result<String> {
        let image = match image {
            Some(id) => {
                let found = self.images.get(&id, token, &ctx.request_id).await;
                found
                    .map_err(|e| Error::Unavailable(format!("the image service cannot be asked: {e}")))?
                    .ok_or_else(|| Error::BadRequest(format!("Image {id} could not be found.")))?;
                Some(id)
            }
            None => None,
        };
        let (_, instance) = self.in_cell(ctx, uuid, "rescue").await?;
        let image = image.unwrap_or(instance.image_ref);
        let extra = Extra { rescue_image: Some(image), ..Default::default() };
        self.operate_changing(ctx, uuid, Operation::Rescue, InstanceChanges::default(), None, extra).await?;
        Ok(admin_pass.unwrap_or_else(|| random_text(12)))
    }

    /// Sets the admin password of a server's guest, where its driver can.
    pub async fn change_password(&self, ctx: &RequestContext, uuid: &str, password: String) -> Result<()> {
        let extra = Extra { admin_password: Some(Secret(password)), ..Default::default() };
        self.operate_changing(ctx, uuid, Operation::ChangePassword, InstanceChanges::default(), None, extra).await.map(|_| ())
    }

    /// Sets a server's vm state (`active` or `error`) and clears its task, for an admin
    /// mending a server whose task will never finish.
    pub async fn reset_server_state(&self, ctx: &RequestContext, uuid: &str, state: VmState) -> Result<()> {
        let (store, instance) = self.in_cell(ctx, uuid, "os-resetState").await?;
        self.authorize_instance(ctx, "os_compute_api:os-admin-actions:reset_state", &instance)?;
        store.start_action(uuid, &ctx.request_id, "resetState", &instance.project_id, &ctx.user_id).await?;
        let changes = InstanceChanges { vm_state: Some(state), task_state: Some(None), ..Default::default() };
        store.update_instance(uuid, &changes, &Default::default()).await.map_err(|e| refused(uuid, e))?;
        Ok(())
    }

    /// Restores a soft-deleted server. Deletes are never deferred here (Nova's
    /// `reclaim_instance_interval` is 0), so no server is ever in that state and this
    /// answers Nova's 409 for any server.
    pub async fn restore_server(&self, ctx: &RequestContext, uuid: &str) -> Result<()> {
        let (_, instance) = self.in_cell(ctx, uuid, "restore").await?;
        self.authorize_instance(ctx, "os_compute_api:os-deferred-delete:restore", &instance)?;
        self.check_unlocked(ctx, &instance)?;
        check_state("restore", &instance, &[VmState::SoftDeleted], &[None, Some(TaskState::Restoring)])?;
        Err(Error::NotImplemented("Restoring soft-deleted servers is not implemented in Ferrostack: deletes are never deferred.".into()))
    }

    /// The server's cell database and the instance there; a server still being
    /// scheduled refuses `action` for its state.
    pub(crate) async fn in_cell(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        action: &str,
    ) -> Result<(&crate::store::cell::CellStore, InstanceRow)> {
        match self.locate(ctx, uuid).await? {
            Located::Building(i) => Err(invalid_state(action, &i, "vm_state", i.vm_state.as_str())),
            Located::InCell { store, instance, .. } => Ok((store, instance)),
        }
    }
}
