//! What the API and the conductors ask a compute agent, each on the host's own topic
//! server. Every request is a cast: the agent reports what it did through the cell's
//! conductor, and the API reads it from the cell's database.

use std::sync::Arc;

use bus::{Bus, BusError, Message, Target};
use serde::{Deserialize, Serialize};

use super::{COMPUTE_TOPIC, RequestSpec, Selection, args};
use crate::store::cell::InstanceRow;

/// An instance to build on the host it was scheduled to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildRequest {
    pub instance: InstanceRow,
    pub spec: RequestSpec,
    /// The host chosen.
    pub selection: Selection,
    /// Hosts of the same cell to try, in order, if the build fails on this one.
    #[serde(default)]
    pub alternates: Vec<Selection>,
    /// Whether this is a retry: a retry that fails goes back to the conductor even
    /// with no alternates left, which then fails it as having exhausted its hosts.
    #[serde(default)]
    pub retried: bool,
}

/// What a user or an operator asks an agent to do to one of its instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operation {
    Start,
    Stop,
    Reboot {
        hard: bool,
    },
    Pause,
    Unpause,
    Suspend,
    Resume,
    /// Respawn from the image the instance now names (the API has set it).
    Rebuild,
    /// Boot the guest from a rescue image, its own disk attached.
    Rescue,
    /// Boot the guest from its own disk again.
    Unrescue,
    /// Set the guest's admin password.
    ChangePassword,
    /// Upload the guest's disk into a queued image.
    Snapshot,
    /// The same, as a backup: older backups of its type beyond the rotation go.
    Backup,
    /// Snapshot the guest into a queued image, then remove it from the host and free
    /// its resources (shelve with immediate offload).
    Shelve,
    /// Spawn a shelved instance from its image on the host the scheduler chose.
    Unshelve,
    Terminate,
}

impl Operation {
    /// One of each operation (reboots once: both kinds share a method).
    pub const ALL: [Operation; 16] = [
        Operation::Start,
        Operation::Stop,
        Operation::Reboot { hard: false },
        Operation::Pause,
        Operation::Unpause,
        Operation::Suspend,
        Operation::Resume,
        Operation::Rebuild,
        Operation::Rescue,
        Operation::Unrescue,
        Operation::ChangePassword,
        Operation::Snapshot,
        Operation::Backup,
        Operation::Shelve,
        Operation::Unshelve,
        Operation::Terminate,
    ];

    /// Nova's name for the agent's method (and the action event's name, `compute_<method>`).
    pub fn method(self) -> &'static str {
        match self {
            Operation::Start => "start_instance",
            Operation::Stop => "stop_instance",
            Operation::Reboot { .. } => "reboot_instance",
            Operation::Pause => "pause_instance",
            Operation::Unpause => "unpause_instance",
            Operation::Suspend => "suspend_instance",
            Operation::Resume => "resume_instance",
            Operation::Rebuild => "rebuild_instance",
            Operation::Rescue => "rescue_instance",
            Operation::Unrescue => "unrescue_instance",
            Operation::ChangePassword => "set_admin_password",
            Operation::Snapshot => "snapshot_instance",
            Operation::Backup => "backup_instance",
            Operation::Shelve => "shelve_instance",
            Operation::Unshelve => "unshelve_instance",
            Operation::Terminate => "terminate_instance",
        }
    }
}

/// An instance and what to do to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationRequest {
    pub instance: InstanceRow,
    pub operation: Operation,
    /// Where a snapshot (or a shelve's image) goes; for an unshelve, the image to
    /// spawn from and delete once spawned.
    #[serde(default)]
    pub snapshot: Option<SnapshotTarget>,
    /// For an unshelve: the node the scheduler chose and claimed.
    #[serde(default)]
    pub selection: Option<Selection>,
    /// For a rescue: the image to boot from.
    #[serde(default)]
    pub rescue_image: Option<String>,
    /// For a password change: the new password.
    #[serde(default)]
    pub admin_password: Option<Secret>,
}

/// A secret carried to an agent (as Nova carries a new admin password); never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The queued image a snapshot fills, and the token of the user it is for (Glance lets
/// only the image's owner upload into it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotTarget {
    pub image_id: String,
    pub token: client::UserToken,
    /// For a backup: its type, and how many backups of that type to keep.
    #[serde(default)]
    pub rotation: Option<Rotation>,
}

/// Which of a server's backups a new one rotates out: all but the newest `keep` of
/// `backup_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub backup_type: String,
    pub keep: usize,
}

/// An event another service reports about an instance (Nova's
/// `InstanceExternalEvent`): `network-vif-plugged`, `power-update`, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalEvent {
    pub name: String,
    /// `completed`, `failed` or `in-progress`.
    pub status: String,
    /// What the event is about: a port id, a volume id, `POWER_ON` or `POWER_OFF`.
    pub tag: Option<String>,
}

/// The events of one instance, for its host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalEvents {
    pub instance: InstanceRow,
    pub events: Vec<ExternalEvent>,
}

/// What a guest is and holds, as its hypervisor sees it (Nova's diagnostics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuestDiagnostics {
    /// `running`, `paused`, `shutdown`, `suspended`, `pending` or `crashed`.
    pub state: String,
    /// The driver and the hypervisor it drives (`fake`, `libvirt`/`qemu`).
    pub driver: String,
    pub hypervisor: String,
    pub hypervisor_os: String,
    /// Seconds since the guest was started.
    pub uptime: i64,
    pub config_drive: bool,
    pub num_cpus: i64,
    pub memory_mb: i64,
    /// Each disk's size (GiB).
    pub disks_gb: Vec<i64>,
}

/// The way to a cell's agents.
#[derive(Clone)]
pub struct AgentClient {
    bus: Arc<dyn Bus>,
}

impl AgentClient {
    /// Casts to agents on the cell's `bus`.
    pub fn new(bus: Arc<dyn Bus>) -> Self {
        AgentClient { bus }
    }

    async fn cast(&self, host: &str, method: &str, args: serde_json::Value, request_id: &str) -> Result<(), BusError> {
        let message = Message { method: method.into(), args, request_id: request_id.to_owned() };
        self.bus.cast(&Target::server(COMPUTE_TOPIC, host), message).await
    }

    /// Asks the chosen host to build an instance.
    pub async fn build_and_run_instance(&self, build: &BuildRequest, request_id: &str) -> Result<(), BusError> {
        self.cast(&build.selection.host, "build_and_run_instance", args(build), request_id).await
    }

    /// What the instance's host says about its guest.
    pub async fn diagnostics(&self, host: &str, uuid: &str, request_id: &str) -> Result<GuestDiagnostics, BusError> {
        let message = Message {
            method: "get_instance_diagnostics".into(),
            args: serde_json::json!({"uuid": uuid}),
            request_id: request_id.to_owned(),
        };
        let answer = self.bus.call(&Target::server(COMPUTE_TOPIC, host), message, std::time::Duration::from_secs(30)).await?;
        serde_json::from_value(answer).map_err(|e| BusError::Transport(format!("malformed diagnostics: {e}")))
    }

    /// Tells the instance's host what other services report about it.
    pub async fn external_instance_event(&self, host: &str, events: &ExternalEvents, request_id: &str) -> Result<(), BusError> {
        self.cast(host, "external_instance_event", args(events), request_id).await
    }

    /// Asks the instance's host to act on it.
    pub async fn operate(&self, host: &str, request: &OperationRequest, request_id: &str) -> Result<(), BusError> {
        self.cast(host, request.operation.method(), args(request), request_id).await
    }
}
