//! Compute agents (nova-compute): one per host, each serving the cell's `compute` topic
//! as its host name. An agent registers its service and sends heartbeats to the cell's
//! conductor, reports its hypervisors there and their inventories to placement, and
//! runs instances through a [`Driver`].

mod agent;
mod driver;
mod fake;
mod lifecycle;

pub use agent::{Agent, AgentConnections, AgentSettings};
pub use driver::{Driver, DriverError, HostResources, SnapshotSource};
pub use fake::{FakeDriver, FakeHostSize};
