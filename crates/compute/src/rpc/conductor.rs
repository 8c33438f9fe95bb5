//! A cell's conductor: the one component of the cell that writes the cell's database on
//! behalf of its agents, which never hold database credentials.

use serde::Deserialize;
use serde_json::Value;

use super::{NodeIdentity, ServiceStatus};
use crate::store::cell::{CellStore, NodeReport};

/// The conductor of one cell.
pub struct Conductor {
    store: CellStore,
}

#[derive(Deserialize)]
struct ServiceReport {
    host: String,
    binary: String,
    topic: String,
}

impl Conductor {
    /// The conductor over the cell database `store`.
    pub fn new(store: CellStore) -> Self {
        Conductor { store }
    }

    async fn report_service(&self, args: Value) -> Result<Value, String> {
        let r: ServiceReport = serde_json::from_value(args).map_err(|e| format!("bad report_service arguments: {e}"))?;
        let s = self.store.report_service(&r.host, &r.binary, &r.topic, common::time::now_micros()).await.map_err(|e| e.to_string())?;
        serde_json::to_value(ServiceStatus { uuid: s.uuid, disabled: s.disabled }).map_err(|e| e.to_string())
    }

    async fn report_compute_node(&self, args: Value) -> Result<Value, String> {
        let r: NodeReport = serde_json::from_value(args).map_err(|e| format!("bad report_compute_node arguments: {e}"))?;
        let node = self.store.report_compute_node(&r).await.map_err(|e| match e {
            crate::store::StoreError::Reference => format!("host {} has no nova-compute service: report the service first", r.host),
            other => other.to_string(),
        })?;
        serde_json::to_value(NodeIdentity { uuid: node.uuid }).map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl bus::Handler for Conductor {
    async fn handle(&self, message: bus::Message) -> Result<Value, String> {
        match message.method.as_str() {
            "report_service" => self.report_service(message.args).await,
            "report_compute_node" => self.report_compute_node(message.args).await,
            other => Err(format!("the conductor has no method {other}")),
        }
    }
}

/// A conductor serving its cell's bus and sending its own heartbeats; dropping it
/// stops both.
pub struct ConductorService {
    _serving: bus::Serving,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for ConductorService {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Conductor {
    /// Serves the cell database `store` on the cell's `bus` as `host`, registering the
    /// conductor's own service and renewing its heartbeat every `report_interval`.
    pub async fn serve(
        store: CellStore,
        bus: &dyn bus::Bus,
        host: &str,
        report_interval: std::time::Duration,
    ) -> Result<ConductorService, bus::BusError> {
        let serving = bus.serve(super::CONDUCTOR_TOPIC, host, std::sync::Arc::new(Conductor::new(store.clone()))).await?;
        let host = host.to_owned();
        let heartbeat = tokio::spawn(async move {
            let mut tick = tokio::time::interval(report_interval);
            loop {
                tick.tick().await;
                if let Err(e) = store.report_service(&host, "nova-conductor", super::CONDUCTOR_TOPIC, common::time::now_micros()).await {
                    tracing::warn!(error = %e, "the conductor's heartbeat failed");
                }
            }
        });
        Ok(ConductorService { _serving: serving, heartbeat })
    }
}
