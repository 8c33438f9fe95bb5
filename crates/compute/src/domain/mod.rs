//! Compute's rules: what a request may do and what it changes, independent of HTTP
//! and SQL.

pub mod aggregates;
pub mod cells;
pub mod extra_specs;
pub mod flavors;
pub mod hosts;
pub mod hypervisors;
pub mod images;
pub mod instance_actions;
pub mod keypairs;
pub mod notifications;
pub mod policy;
pub mod quotas;
pub mod server_actions;
pub mod server_diagnostics;
pub mod server_external_events;
pub mod server_groups;
pub mod server_metadata;
pub mod servers;
pub mod services;
pub mod simple_tenant_usage;

use std::sync::Arc;
use std::time::Duration;

use common::RequestContext;
use common::policy::Policy;
use serde_json::{Value, json};

use crate::store::{Store, StoreError};

/// Settings of the API role.
#[derive(Debug, Clone)]
pub struct ComputeSettings {
    /// A service whose last heartbeat is older than this is down (Nova's
    /// `service_down_time`).
    pub service_down_time: Duration,
    /// The availability zone of compute hosts in no zone-bearing aggregate.
    pub default_availability_zone: String,
    /// The zone of services that are not compute services.
    pub internal_availability_zone: String,
}

impl Default for ComputeSettings {
    fn default() -> Self {
        ComputeSettings {
            service_down_time: Duration::from_secs(60),
            default_availability_zone: "nova".into(),
            internal_availability_zone: "internal".into(),
        }
    }
}

/// The newest microversion served: `2.MAX_MINOR`.
pub const MAX_MINOR: u16 = 96;

/// The oldest microversion served (2.1; the legacy v2.0 API is not served).
pub const MIN_MINOR: u16 = 1;

/// A negotiated compute microversion, `2.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u16);

impl Version {
    /// Whether this is `2.minor` or newer.
    pub fn at_least(self, minor: u16) -> bool {
        self.0 >= minor
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "2.{}", self.0)
    }
}

/// How a request names a service or hypervisor: by integer id (before 2.53) or uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemId {
    Number(i64),
    Uuid(String),
}

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemId::Number(n) => write!(f, "{n}"),
            ItemId::Uuid(u) => f.write_str(u),
        }
    }
}

/// Why a request failed; each maps to Nova's status and error key.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input (400).
    #[error("{0}")]
    BadRequest(String),
    /// Policy or quota refused (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there, or nothing the caller may see (404).
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method (405).
    #[error("The method specified is not allowed for this resource.")]
    MethodNotAllowed,
    /// The state does not allow it, or the name is taken (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is not JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Nova has this, Ferrostack not yet (501).
    #[error("{0}")]
    NotImplemented(String),
    /// A part the request needs (a cell, a host's agent) cannot be reached (503).
    #[error("{0}")]
    Unavailable(String),
    /// The database failed (500).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that should not fail did (500).
    #[error("{0}")]
    Internal(String),
}

/// Domain result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The compute service's API role.
pub struct Compute {
    store: Store,
    cells: Arc<cells::Cells>,
    buses: cells::Buses,
    placement: Arc<client::Placement>,
    images: Arc<client::Images>,
    superconductor: crate::rpc::SuperconductorClient,
    notifier: bus::Notifier,
    policy: Policy,
    settings: ComputeSettings,
}

/// How the API role reaches the other services and components.
pub struct Connections {
    /// Placement, as compute's service user.
    pub placement: Arc<client::Placement>,
    /// The image service, as each request's user.
    pub images: Arc<client::Images>,
    /// The superconductor, on the API's bus.
    pub superconductor: crate::rpc::SuperconductorClient,
    /// Notification listeners.
    pub notifier: bus::Notifier,
}

impl Compute {
    /// Serves the API database `store` (migrated) and `cells` under `policy`, reaching
    /// each cell's agents over `buses` and the rest through `connections`.
    pub fn new(
        store: Store,
        cells: Arc<cells::Cells>,
        buses: cells::Buses,
        connections: Connections,
        policy: Policy,
        settings: ComputeSettings,
    ) -> Self {
        let Connections { placement, images, superconductor, notifier } = connections;
        Compute { store, cells, buses, placement, images, superconductor, notifier, policy, settings }
    }

    /// Sends an INFO notification for the request `ctx` is part of.
    async fn notify(&self, ctx: &RequestContext, event_type: &str, payload: Value) {
        self.notifier.info(event_type, payload, &ctx.request_id).await;
    }

    /// Checks `rule` for the caller; `target` carries what the rule may compare with
    /// (`project_id`, `user_id`).
    fn authorize(&self, ctx: &RequestContext, rule: &str, target: &Value) -> Result<()> {
        let creds = ctx.policy_credentials();
        match self.policy.enforce(rule, target, &creds) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::Forbidden(format!("Policy doesn't allow {rule} to be performed."))),
            Err(e) => Err(Error::Internal(format!("policy rule {rule} cannot be evaluated: {e}"))),
        }
    }

    /// Checks a rule whose target is the caller's own project and user.
    fn authorize_own(&self, ctx: &RequestContext, rule: &str) -> Result<()> {
        self.authorize(ctx, rule, &json!({"project_id": ctx.project_id(), "user_id": ctx.user_id}))
    }

    /// Whether the caller passes `rule` (for rules that widen what is shown rather than
    /// refuse).
    fn allowed(&self, ctx: &RequestContext, rule: &str) -> bool {
        self.authorize_own(ctx, rule).is_ok()
    }

    /// The API database, for the components that run beside the API role.
    pub fn api_store(&self) -> &Store {
        &self.store
    }

    /// The store, for the domain's modules.
    fn store(&self) -> &Store {
        &self.store
    }
}
