//! Compute's messages on a cell's bus: what agents ask the cell's conductor (register
//! and heartbeat their service, report their hypervisors), and the topics each
//! component serves.

mod conductor;

use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, BusError, Message, Target};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use conductor::{Conductor, ConductorService};

use crate::store::cell::NodeReport;

/// The topic of a cell's conductors.
pub const CONDUCTOR_TOPIC: &str = "conductor";
/// The topic of compute agents; each serves it as its host name.
pub const COMPUTE_TOPIC: &str = "compute";

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
        serde_json::from_value(answer).map_err(|e| BusError::Transport(format!("the conductor's answer to {method} is malformed: {e}")))
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
}
