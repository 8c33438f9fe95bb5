//! The compute agent of one host.

use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, BusError, Message, Serving};
use client::Inventory;
use compute::rpc::{COMPUTE_TOPIC, ConductorClient, Operation, OperationRequest};
use compute::store::cell::NodeReport;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::driver::{Driver, DriverError};

/// The binary name the agent's service is registered as.
const BINARY: &str = "nova-compute";

/// How an agent runs.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The host name it serves as (its service's host and its topic server).
    pub host: String,
    /// The address guests' consoles and migrations reach the host at.
    pub host_ip: String,
    /// How often it sends a heartbeat (Nova's `report_interval`).
    pub report_interval: Duration,
    /// How often it reports its resources (Nova's `update_resources_interval`).
    pub resource_interval: Duration,
    /// Overcommit of each resource class, as written into placement.
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
    pub disk_allocation_ratio: f64,
    /// Memory kept for the host itself (Nova's `reserved_host_memory_mb`).
    pub reserved_host_memory_mb: i64,
    /// Disk kept for the host itself, in GiB.
    pub reserved_host_disk_gb: i64,
}

impl AgentSettings {
    /// Nova's defaults for a host named `host`.
    pub fn for_host(host: &str) -> Self {
        AgentSettings {
            host: host.to_owned(),
            host_ip: "127.0.0.1".into(),
            report_interval: Duration::from_secs(10),
            resource_interval: Duration::from_secs(60),
            cpu_allocation_ratio: 4.0,
            ram_allocation_ratio: 1.0,
            disk_allocation_ratio: 1.0,
            reserved_host_memory_mb: 512,
            reserved_host_disk_gb: 0,
        }
    }
}

/// A running agent; dropping it stops it (its guests, being the driver's, stay).
pub struct Agent {
    _serving: Serving,
    periodic: JoinHandle<()>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.periodic.abort();
    }
}

/// What the agent's periodic work and its handlers share.
pub(crate) struct Inner {
    pub(crate) settings: AgentSettings,
    pub(crate) driver: Arc<dyn Driver>,
    pub(crate) conductor: ConductorClient,
    pub(crate) placement: Arc<client::Placement>,
    pub(crate) images: Arc<client::Images>,
    /// Publishes as `nova-compute:<host>`.
    pub(crate) notifier: bus::Notifier,
    /// Builds that failed in a row here, reported for the BuildFailureWeigher.
    pub(crate) failed_builds: std::sync::atomic::AtomicI64,
}

/// How an agent reaches the rest of the cloud.
pub struct AgentConnections {
    /// Its cell's bus.
    pub bus: Arc<dyn Bus>,
    /// Its cell's conductor, on that bus.
    pub conductor: ConductorClient,
    /// Placement, as compute's service user.
    pub placement: Arc<client::Placement>,
    /// The image service, as the users it acts for.
    pub images: Arc<client::Images>,
    /// Where it announces what it does to instances.
    pub notifier: bus::Notifier,
}

impl Agent {
    /// Starts serving `host` on the cell's bus with `driver`, reporting to the cell's
    /// conductor and to placement.
    pub async fn start(settings: AgentSettings, driver: Arc<dyn Driver>, connections: AgentConnections) -> Result<Agent, BusError> {
        let AgentConnections { bus, conductor, placement, images, notifier } = connections;
        let notifier = notifier.as_publisher(&format!("{BINARY}:{}", settings.host));
        let failed_builds = std::sync::atomic::AtomicI64::new(0);
        let inner = Arc::new(Inner { settings, driver, conductor, placement, images, notifier, failed_builds });
        let serving = bus.serve(COMPUTE_TOPIC, &inner.settings.host, Arc::new(Handler(inner.clone()))).await?;
        let periodic = tokio::spawn(inner.run());
        Ok(Agent { _serving: serving, periodic })
    }
}

impl Inner {
    /// Heartbeats every report interval and resource reports every resource interval,
    /// both at once at start; failures are logged and retried at the next tick.
    async fn run(self: Arc<Self>) {
        let mut beats = tokio::time::interval(self.settings.report_interval);
        let mut resources = tokio::time::interval(self.settings.resource_interval);
        beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        resources.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut registered = false;
        loop {
            tokio::select! {
                _ = beats.tick() => {
                    let request_id = common::ids::request_id();
                    match self.conductor.report_service(&self.settings.host, BINARY, COMPUTE_TOPIC, &request_id).await {
                        Ok(_) => {
                            if !registered {
                                tracing::info!(host = %self.settings.host, "compute service registered");
                                registered = true;
                                resources.reset_immediately();
                            }
                        }
                        Err(e) => tracing::warn!(host = %self.settings.host, error = %e, "heartbeat failed"),
                    }
                }
                _ = resources.tick(), if registered => {
                    if let Err(e) = self.report_resources().await {
                        tracing::warn!(host = %self.settings.host, error = %e, "reporting resources failed");
                    }
                }
            }
        }
    }

    /// Counts a build's outcome, reporting at once when the count of builds failed in
    /// a row changes (the scheduler weighs it).
    pub(crate) async fn count_build(&self, succeeded: bool) {
        use std::sync::atomic::Ordering;
        let changed = if succeeded {
            self.failed_builds.swap(0, Ordering::Relaxed) != 0
        } else {
            self.failed_builds.fetch_add(1, Ordering::Relaxed);
            true
        };
        if changed && let Err(e) = self.report_resources().await {
            tracing::warn!(host = %self.settings.host, error = %e, "reporting failed builds failed");
        }
    }

    /// Reports the host's resources to the conductor and its inventory to placement.
    pub(crate) async fn report_resources(&self) -> Result<(), String> {
        let request_id = common::ids::request_id();
        let r = self.driver.host_resources().await.map_err(|e| e.to_string())?;
        let s = &self.settings;
        let report = NodeReport {
            host: s.host.clone(),
            hypervisor_hostname: r.hypervisor_hostname.clone(),
            hypervisor_type: r.hypervisor_type.clone(),
            hypervisor_version: r.hypervisor_version,
            host_ip: s.host_ip.clone(),
            cpu_info: r.cpu_info.to_string(),
            vcpus: r.vcpus,
            memory_mb: r.memory_mb,
            local_gb: r.local_gb,
            vcpus_used: r.vcpus_used,
            memory_mb_used: r.memory_mb_used + s.reserved_host_memory_mb,
            local_gb_used: r.local_gb_used + s.reserved_host_disk_gb,
            running_vms: r.running_vms,
            cpu_allocation_ratio: s.cpu_allocation_ratio,
            ram_allocation_ratio: s.ram_allocation_ratio,
            disk_allocation_ratio: s.disk_allocation_ratio,
            failed_builds: self.failed_builds.load(std::sync::atomic::Ordering::Relaxed),
        };
        let node = self.conductor.report_compute_node(&report, &request_id).await.map_err(|e| e.to_string())?;
        self.placement.ensure_provider(&node.uuid, &r.hypervisor_hostname, &request_id).await.map_err(|e| e.to_string())?;
        let inventory = |class: &str, total: i64, reserved: i64, ratio: f64| Inventory {
            resource_class: class.into(),
            total,
            reserved,
            min_unit: 1,
            max_unit: total,
            step_size: 1,
            allocation_ratio: ratio,
        };
        let inventories = [
            inventory("VCPU", r.vcpus, 0, s.cpu_allocation_ratio),
            inventory("MEMORY_MB", r.memory_mb, s.reserved_host_memory_mb, s.ram_allocation_ratio),
            inventory("DISK_GB", r.local_gb, s.reserved_host_disk_gb, s.disk_allocation_ratio),
        ];
        self.placement.set_inventory(&node.uuid, &inventories, &request_id).await.map_err(|e| e.to_string())
    }
}

/// The agent's side of the `compute` topic.
struct Handler(Arc<Inner>);

#[async_trait::async_trait]
impl bus::Handler for Handler {
    async fn handle(&self, message: Message) -> Result<Value, String> {
        let driver_error = |e: DriverError| e.to_string();
        let parse = |what: &str, e: serde_json::Error| format!("bad {what} arguments: {e}");
        match message.method.as_str() {
            "get_host_uptime" => Ok(Value::String(self.0.driver.host_uptime().await.map_err(driver_error)?)),
            "build_and_run_instance" => {
                let build = serde_json::from_value(message.args).map_err(|e| parse("build_and_run_instance", e))?;
                self.0.build(build, &message.request_id).await;
                Ok(Value::Null)
            }
            "get_instance_diagnostics" => {
                let uuid = message.args["uuid"].as_str().ok_or("get_instance_diagnostics names no instance")?;
                let d = self.0.driver.diagnostics(uuid).await.map_err(driver_error)?;
                serde_json::to_value(d).map_err(|e| e.to_string())
            }
            "external_instance_event" => {
                let events = serde_json::from_value(message.args).map_err(|e| parse("external_instance_event", e))?;
                self.0.external_events(events, &message.request_id).await;
                Ok(Value::Null)
            }
            method if Operation::ALL.iter().any(|o| o.method() == method) => {
                let request: OperationRequest = serde_json::from_value(message.args).map_err(|e| parse(method, e))?;
                if request.operation.method() != method {
                    return Err(format!("{method} was sent for a {} request", request.operation.method()));
                }
                self.0.operate(request, &message.request_id).await;
                Ok(Value::Null)
            }
            other => Err(format!("the compute agent has no method {other}")),
        }
    }
}
