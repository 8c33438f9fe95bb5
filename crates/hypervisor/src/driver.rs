//! What a hypervisor driver provides to its agent.

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
    /// The hypervisor failed.
    #[error("{0}")]
    Failed(String),
}

/// A hypervisor driver: the agent's only way to its host's guests.
#[async_trait::async_trait]
pub trait Driver: Send + Sync {
    /// The resources of the host (one node per agent).
    async fn host_resources(&self) -> Result<HostResources, DriverError>;

    /// The host's uptime, as the `uptime` command prints it.
    async fn host_uptime(&self) -> Result<String, DriverError>;
}
