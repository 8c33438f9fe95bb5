//! What a hypervisor driver provides to its agent.

use compute::states::PowerState;
use compute::store::cell::InstanceRow;

/// A host's resources as its hypervisor sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct HostResources {
    /// The hypervisor's node name (its resource provider's name in placement).
    pub hypervisor_hostname: String,
    /// `fake`, `QEMU`, `KVM`.
    pub hypervisor_type: String,
    /// The hypervisor's version as Nova encodes it (major * 1,000,000 + minor * 1,000 + patch).
    pub hypervisor_version: i64,
    /// The CPU's description.
    pub cpu_info: serde_json::Value,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub running_vms: i64,
}

/// Why a driver operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DriverError {
    /// The driver does not do this.
    #[error("{0} is not supported by this hypervisor driver")]
    NotSupported(&'static str),
    /// The guest does not exist on this host.
    #[error("instance {0} is not on this host")]
    NoGuest(String),
    /// The guest is not in a state that allows it.
    #[error("{0}")]
    WrongState(String),
    /// The hypervisor failed.
    #[error("{0}")]
    Failed(String),
}

/// Where a snapshot's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotSource {
    /// The guest's disk is its image, unchanged (a guest that writes nothing).
    BaseImage,
    /// A file the driver wrote the disk into; the agent uploads it, then removes it.
    File(std::path::PathBuf),
}

/// A hypervisor driver: the agent's only way to its host's guests. Guests are named by
/// their instance's uuid.
#[async_trait::async_trait]
pub trait Driver: Send + Sync {
    /// The resources of the host (one node per agent).
    async fn host_resources(&self) -> Result<HostResources, DriverError>;

    /// The host's uptime, as the `uptime` command prints it.
    async fn host_uptime(&self) -> Result<String, DriverError>;

    /// Creates and boots the instance's guest.
    async fn spawn(&self, instance: &InstanceRow) -> Result<(), DriverError>;

    /// Boots the guest from `rescue_image` with its own disk attached.
    async fn rescue(&self, instance: &InstanceRow, rescue_image: &str) -> Result<(), DriverError>;

    /// Boots a rescued guest from its own disk again.
    async fn unrescue(&self, uuid: &str) -> Result<(), DriverError>;

    /// Sets the guest's admin password.
    async fn set_admin_password(&self, uuid: &str, password: &str) -> Result<(), DriverError>;

    /// What the guest is and holds.
    async fn diagnostics(&self, uuid: &str) -> Result<compute::rpc::GuestDiagnostics, DriverError>;

    /// The guest's disk as it is now, for a snapshot.
    async fn snapshot(&self, uuid: &str) -> Result<SnapshotSource, DriverError>;

    /// Stops and removes the guest; one that does not exist is fine.
    async fn destroy(&self, uuid: &str) -> Result<(), DriverError>;

    /// Shuts the guest down.
    async fn power_off(&self, uuid: &str) -> Result<(), DriverError>;

    /// Boots a shut-down guest.
    async fn power_on(&self, uuid: &str) -> Result<(), DriverError>;

    /// Reboots the guest: through its operating system, or (`hard`) by resetting it.
    async fn reboot(&self, uuid: &str, hard: bool) -> Result<(), DriverError>;

    /// Freezes the guest in memory.
    async fn pause(&self, uuid: &str) -> Result<(), DriverError>;

    /// Thaws a paused guest.
    async fn unpause(&self, uuid: &str) -> Result<(), DriverError>;

    /// Saves the guest's memory and stops it.
    async fn suspend(&self, uuid: &str) -> Result<(), DriverError>;

    /// Restores a suspended guest.
    async fn resume(&self, uuid: &str) -> Result<(), DriverError>;

    /// The guest's power state (`NoState` for one that does not exist).
    async fn power_state(&self, uuid: &str) -> Result<PowerState, DriverError>;
}
