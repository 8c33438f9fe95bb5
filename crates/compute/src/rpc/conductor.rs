//! A cell's conductor: the one component of the cell that writes the cell's database on
//! behalf of its agents, which never hold database credentials.

use serde::Deserialize;
use serde_json::Value;

use super::{NodeIdentity, ServiceStatus};
use crate::store::cell::{CellStore, EventOutcome, Expected, FaultRow, InstanceChanges, NodeReport};

/// The conductor of one cell.
pub struct Conductor {
    store: CellStore,
    notifier: bus::Notifier,
    reschedules: Option<Rescheduler>,
}

/// What a conductor needs to move a failed build to an alternate host.
struct Rescheduler {
    placement: std::sync::Arc<client::Placement>,
    agents: super::AgentClient,
}

/// The fault of a build that failed on its host and every alternate, as Nova words it.
pub fn max_retries_message(uuid: &str) -> String {
    format!("Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance {uuid}.")
}

#[derive(Deserialize)]
struct ServiceReport {
    host: String,
    binary: String,
    topic: String,
}

impl Conductor {
    /// The conductor over the cell database `store`, announcing new services through
    /// `notifier`.
    pub fn new(store: CellStore, notifier: bus::Notifier) -> Self {
        Conductor { store, notifier, reschedules: None }
    }

    /// Lets the conductor reschedule failed builds: it claims alternates in `placement`
    /// and casts to their agents on the cell's `bus`.
    pub fn with_reschedules(self, placement: std::sync::Arc<client::Placement>, bus: std::sync::Arc<dyn bus::Bus>) -> Self {
        Conductor { reschedules: Some(Rescheduler { placement, agents: super::AgentClient::new(bus) }), ..self }
    }

    /// Hands a build that failed on its host to the first alternate placement lets it
    /// claim; with none left, the instance goes to ERROR with Nova's fault.
    async fn reschedule_build(&self, args: Value, request_id: &str) -> Result<Value, String> {
        let r = self.reschedules.as_ref().ok_or("this conductor does not reschedule builds")?;
        let mut build: super::BuildRequest = parse("reschedule_build", args)?;
        let uuid = build.instance.uuid.clone();
        while !build.alternates.is_empty() {
            let next = build.alternates.remove(0);
            let i = &build.instance;
            match r.placement.claim(&uuid, &next.allocations, &i.project_id, &i.user_id, request_id).await {
                Ok(true) => {
                    tracing::info!(instance = %uuid, host = %next.host, "rescheduling a failed build to an alternate host");
                    build.selection = next;
                    build.retried = true;
                    return r.agents.build_and_run_instance(&build, request_id).await.map(|()| Value::Null).map_err(|e| e.to_string());
                }
                Ok(false) => tracing::info!(instance = %uuid, host = %next.host, "an alternate host is full now"),
                Err(e) => tracing::warn!(instance = %uuid, host = %next.host, error = %e, "an alternate host could not be claimed"),
            }
        }
        let failed = InstanceChanges { vm_state: Some(crate::states::VmState::Error), task_state: Some(None), ..Default::default() };
        self.store.update_instance(&uuid, &failed, &Expected::default()).await.map_err(|e| format!("instance {uuid}: {e}"))?;
        let fault =
            FaultRow { code: 500, message: max_retries_message(&uuid), details: None, host: None, created_at: common::time::now_micros() };
        self.store.add_fault(&uuid, &fault).await.map_err(|e| e.to_string())?;
        Ok(Value::Null)
    }

    async fn report_service(&self, args: Value, request_id: &str) -> Result<Value, String> {
        let r: ServiceReport = serde_json::from_value(args).map_err(|e| format!("bad report_service arguments: {e}"))?;
        let s = self.store.report_service(&r.host, &r.binary, &r.topic, common::time::now_micros()).await.map_err(|e| e.to_string())?;
        if s.report_count == 1 {
            let publisher = self.notifier.as_publisher(&format!("{}:{}", r.binary, r.host));
            publisher.info("service.create", crate::domain::notifications::service(&s), request_id).await;
        }
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

#[derive(Deserialize)]
struct InstanceUpdate {
    uuid: String,
    changes: InstanceChanges,
    expected: Expected,
}

#[derive(Deserialize)]
struct EventStart {
    uuid: String,
    event: String,
    host: String,
}

#[derive(Deserialize)]
struct EventFinish {
    uuid: String,
    event: String,
    outcome: EventOutcome,
}

#[derive(Deserialize)]
struct Fault {
    uuid: String,
    fault: FaultRow,
}

#[derive(Deserialize)]
struct Destroy {
    uuid: String,
}

fn parse<T: for<'de> Deserialize<'de>>(method: &str, args: Value) -> Result<T, String> {
    serde_json::from_value(args).map_err(|e| format!("bad {method} arguments: {e}"))
}

impl Conductor {
    async fn instance_update(&self, args: Value) -> Result<Value, String> {
        let u: InstanceUpdate = parse("instance_update", args)?;
        let instance =
            self.store.update_instance(&u.uuid, &u.changes, &u.expected).await.map_err(|e| format!("instance {}: {e}", u.uuid))?;
        serde_json::to_value(instance).map_err(|e| e.to_string())
    }

    async fn event_start(&self, args: Value, request_id: &str) -> Result<Value, String> {
        let e: EventStart = parse("event_start", args)?;
        self.store
            .start_event(&e.uuid, request_id, &e.event, Some(&e.host))
            .await
            .map_err(|err| format!("event {} of {}: {err}", e.event, e.uuid))?;
        Ok(Value::Null)
    }

    async fn event_finish(&self, args: Value, request_id: &str) -> Result<Value, String> {
        let e: EventFinish = parse("event_finish", args)?;
        self.store
            .finish_event(&e.uuid, request_id, &e.event, &e.outcome)
            .await
            .map_err(|err| format!("event {} of {}: {err}", e.event, e.uuid))?;
        Ok(Value::Null)
    }

    async fn instance_fault(&self, args: Value) -> Result<Value, String> {
        let f: Fault = parse("instance_fault", args)?;
        self.store.add_fault(&f.uuid, &f.fault).await.map_err(|e| e.to_string())?;
        Ok(Value::Null)
    }

    async fn instance_destroy(&self, args: Value) -> Result<Value, String> {
        let d: Destroy = parse("instance_destroy", args)?;
        self.store.destroy_instance(&d.uuid).await.map_err(|e| e.to_string())?;
        Ok(Value::Null)
    }
}

#[async_trait::async_trait]
impl bus::Handler for Conductor {
    async fn handle(&self, message: bus::Message) -> Result<Value, String> {
        match message.method.as_str() {
            "report_service" => self.report_service(message.args, &message.request_id).await,
            "report_compute_node" => self.report_compute_node(message.args).await,
            "instance_update" => self.instance_update(message.args).await,
            "event_start" => self.event_start(message.args, &message.request_id).await,
            "event_finish" => self.event_finish(message.args, &message.request_id).await,
            "instance_fault" => self.instance_fault(message.args).await,
            "instance_destroy" => self.instance_destroy(message.args).await,
            "reschedule_build" => self.reschedule_build(message.args, &message.request_id).await,
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
    /// Failed builds are rescheduled to their alternates, claimed in `placement`.
    pub async fn serve(
        store: CellStore,
        bus: std::sync::Arc<dyn bus::Bus>,
        notifier: bus::Notifier,
        placement: std::sync::Arc<client::Placement>,
        host: &str,
        report_interval: std::time::Duration,
    ) -> Result<ConductorService, bus::BusError> {
        let conductor = Conductor::new(store.clone(), notifier).with_reschedules(placement, bus.clone());
        let serving = bus.serve(super::CONDUCTOR_TOPIC, host, std::sync::Arc::new(conductor)).await?;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    struct Collect(tokio::sync::mpsc::UnboundedSender<Value>);

    #[async_trait::async_trait]
    impl bus::Handler for Collect {
        async fn handle(&self, m: bus::Message) -> Result<Value, String> {
            let _ = self.0.send(m.args);
            Ok(Value::Null)
        }
    }

    #[tokio::test]
    async fn a_new_service_is_announced_once_and_bad_calls_are_refused() {
        let db = db::testing::sqlite().await;
        let store = CellStore::new(db.db.clone());
        store.migrate().await.unwrap();
        let notifications = Arc::new(bus::InProcessBus::new());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let _listening = bus::Bus::serve(notifications.as_ref(), bus::INFO_TOPIC, "t", Arc::new(Collect(tx))).await.unwrap();
        let conductor = Conductor::new(store, bus::Notifier::new(notifications.clone(), "nova-conductor:c"));
        let report = |method: &str, args: Value| bus::Message { method: method.into(), args, request_id: "req-1".into() };
        let beat = serde_json::json!({"host": "h1", "binary": "nova-compute", "topic": "compute"});
        for _ in 0..2 {
            let answer = bus::Handler::handle(&conductor, report("report_service", beat.clone())).await.unwrap();
            assert_eq!(answer["disabled"], false);
        }
        let created = tokio::time::timeout(std::time::Duration::from_secs(1), rx.recv()).await.unwrap().unwrap();
        assert_eq!((created["event_type"].as_str(), created["publisher_id"].as_str()), (Some("service.create"), Some("nova-compute:h1")));
        assert!(rx.try_recv().is_err(), "a heartbeat of a known service announces nothing");
        assert!(bus::Handler::handle(&conductor, report("report_service", serde_json::json!({"host": 1}))).await.is_err());
        assert!(
            bus::Handler::handle(&conductor, report("no_such_method", Value::Null)).await.unwrap_err().contains("no method no_such_method")
        );
    }
}
