//! Compute's messages. On a cell's bus: what agents ask the cell's conductor (register
//! and heartbeat their service, report their hypervisors, record what they did to
//! instances) and what the API and conductors ask agents. On the API's own bus: what
//! the API asks the superconductor (build these instances) and what the superconductor
//! asks the scheduler (where).

mod agent;
mod conductor;
mod superconductor;

use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, BusError, Message, Target};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use agent::{
    AgentClient, BuildRequest, ExternalEvent, ExternalEvents, GuestDiagnostics, Operation, OperationRequest, Rotation, Secret,
    SnapshotTarget,
};
pub use conductor::{Conductor, ConductorService};
pub use superconductor::{Superconductor, SuperconductorClient, UnshelveRequest};

use crate::store::cell::{EventOutcome, Expected, FaultRow, InstanceChanges, InstanceRow, NodeReport};

/// The topic of a cell's conductors.
pub const CONDUCTOR_TOPIC: &str = "conductor";
/// The topic of compute agents; each serves it as its host name.
pub const COMPUTE_TOPIC: &str = "compute";
/// The topic of the scheduler, on the API's bus.
pub const SCHEDULER_TOPIC: &str = "scheduler";

/// A bus error for an answer that does not parse.
fn malformed(method: &str, e: impl std::fmt::Display) -> BusError {
    BusError::Transport(format!("the answer to {method} is malformed: {e}"))
}

/// Serializes message arguments (plain data: cannot fail).
fn args(v: &impl Serialize) -> Value {
    serde_json::to_value(v).expect("message arguments serialize")
}

/// What the conductor answers a service's heartbeat with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub uuid: String,
    pub disabled: bool,
}

/// What the conductor answers a node report with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeIdentity {
    /// The node's uuid, which is also its resource provider's.
    pub uuid: String,
}

/// An agent's (or any component's) way to its cell's conductor.
#[derive(Clone)]
pub struct ConductorClient {
    bus: Arc<dyn Bus>,
    timeout: Duration,
}

impl ConductorClient {
    /// Calls the conductor of the cell `bus` belongs to, waiting at most `timeout`.
    pub fn new(bus: Arc<dyn Bus>, timeout: Duration) -> Self {
        ConductorClient { bus, timeout }
    }

    async fn call<T: for<'de> Deserialize<'de>>(&self, method: &str, args: Value, request_id: &str) -> Result<T, BusError> {
        let message = Message { method: method.into(), args, request_id: request_id.to_owned() };
        let answer = self.bus.call(&Target::topic(CONDUCTOR_TOPIC), message, self.timeout).await?;
        serde_json::from_value(answer).map_err(|e| malformed(method, e))
    }

    /// Records a heartbeat of `binary` on `host` (registering it on the first one).
    pub async fn report_service(&self, host: &str, binary: &str, topic: &str, request_id: &str) -> Result<ServiceStatus, BusError> {
        self.call("report_service", serde_json::json!({"host": host, "binary": binary, "topic": topic}), request_id).await
    }

    /// Records what a hypervisor offers and uses.
    pub async fn report_compute_node(&self, report: &NodeReport, request_id: &str) -> Result<NodeIdentity, BusError> {
        let args = serde_json::to_value(report).map_err(|e| BusError::Transport(e.to_string()))?;
        self.call("report_compute_node", args, request_id).await
    }

    /// Writes `changes` to an instance whose states are as `expected`; answers it as
    /// written (an error when the instance is gone or its states moved on).
    pub async fn instance_update(
        &self,
        uuid: &str,
        changes: &InstanceChanges,
        expected: &Expected,
        request_id: &str,
    ) -> Result<InstanceRow, BusError> {
        self.call("instance_update", serde_json::json!({"uuid": uuid, "changes": args(changes), "expected": args(expected)}), request_id)
            .await
    }

    /// Starts the event `event` of the request's action on the instance.
    pub async fn event_start(&self, uuid: &str, event: &str, host: &str, request_id: &str) -> Result<(), BusError> {
        self.call("event_start", serde_json::json!({"uuid": uuid, "event": event, "host": host}), request_id).await
    }

    /// Finishes the event `event` of the request's action on the instance.
    pub async fn event_finish(&self, uuid: &str, event: &str, outcome: &EventOutcome, request_id: &str) -> Result<(), BusError> {
        self.call("event_finish", serde_json::json!({"uuid": uuid, "event": event, "outcome": args(outcome)}), request_id).await
    }

    /// Records a fault of the instance.
    pub async fn instance_fault(&self, uuid: &str, fault: &FaultRow, request_id: &str) -> Result<(), BusError> {
        self.call("instance_fault", serde_json::json!({"uuid": uuid, "fault": args(fault)}), request_id).await
    }

    /// Hands a build that failed on its host to the next of its alternates.
    pub async fn reschedule_build(&self, build: &BuildRequest, request_id: &str) -> Result<(), BusError> {
        self.call("reschedule_build", args(build), request_id).await
    }

    /// Marks the instance deleted.
    pub async fn instance_destroy(&self, uuid: &str, request_id: &str) -> Result<(), BusError> {
        self.call("instance_destroy", serde_json::json!({"uuid": uuid}), request_id).await
    }
}

/// The flavor an instance asks for, as the scheduler weighs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlavorSpec {
    pub id: i64,
    pub flavorid: String,
    pub name: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub root_gb: i64,
    pub ephemeral_gb: i64,
    pub swap: i64,
    pub extra_specs: std::collections::BTreeMap<String, String>,
}

/// What the scheduler is asked for one instance; kept as its request spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestSpec {
    pub instance_uuid: String,
    pub project_id: String,
    pub user_id: String,
    pub flavor: FlavorSpec,
    /// The boot image's properties (`hw_architecture`, `img_hv_type`, ...).
    pub image_properties: std::collections::BTreeMap<String, String>,
    pub availability_zone: Option<String>,
    /// A host (and node) an admin asked for (`zone:host:node`).
    pub requested_host: Option<String>,
    pub requested_node: Option<String>,
    /// Instances whose hosts the instance must share (`same_host` hint) ...
    pub same_host: Vec<String>,
    /// ... or avoid (`different_host` hint).
    pub different_host: Vec<String>,
    /// The server group the instance joins.
    pub group: Option<String>,
}

impl RequestSpec {
    /// What the instance claims in placement: VCPU, MEMORY_MB and DISK_GB (root,
    /// ephemeral and swap disks together).
    pub fn resources(&self) -> std::collections::BTreeMap<String, i64> {
        let f = &self.flavor;
        let disk = f.root_gb + f.ephemeral_gb + (f.swap + 1023) / 1024;
        let mut r = std::collections::BTreeMap::from([("VCPU".to_owned(), f.vcpus), ("MEMORY_MB".to_owned(), f.memory_mb)]);
        if disk > 0 {
            r.insert("DISK_GB".to_owned(), disk);
        }
        r
    }
}

/// A host the scheduler chose (or keeps as an alternate) for an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub host: String,
    pub node: String,
    pub node_uuid: String,
    pub cell_uuid: String,
    /// The allocation request that was (or, for an alternate, would be) claimed.
    pub allocations: Value,
    /// The host's availability zone.
    pub availability_zone: String,
}

/// The scheduler's answer for a request: per instance, its host first, then its
/// alternates; or why no host would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Destinations {
    Chosen(Vec<Vec<Selection>>),
    NoValidHost { reason: String },
}

/// The API's and conductors' way to the scheduler.
#[derive(Clone)]
pub struct SchedulerClient {
    bus: Arc<dyn Bus>,
    timeout: Duration,
}

impl SchedulerClient {
    /// Calls the scheduler on the API's `bus`, waiting at most `timeout`.
    pub fn new(bus: Arc<dyn Bus>, timeout: Duration) -> Self {
        SchedulerClient { bus, timeout }
    }

    /// Chooses a host for each of `specs` (the instances of one request) and claims
    /// their resources.
    pub async fn select_destinations(&self, specs: &[RequestSpec], request_id: &str) -> Result<Destinations, BusError> {
        let message = Message {
            method: "select_destinations".into(),
            args: serde_json::json!({"specs": args(&specs)}),
            request_id: request_id.to_owned(),
        };
        let answer = self.bus.call(&Target::topic(SCHEDULER_TOPIC), message, self.timeout).await?;
        serde_json::from_value(answer).map_err(|e| malformed("select_destinations", e))
    }
}
