//! The superconductor: the API-level conductor that turns build requests into
//! instances. It asks the scheduler for hosts, creates each instance in its host's cell
//! (or in cell0, in ERROR, when no host would do), maps it there, and asks the host's
//! agent to build it.

use std::sync::Arc;

use bus::{Bus, BusError, Message, Target};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AgentClient, BuildRequest, CONDUCTOR_TOPIC, Destinations, RequestSpec, SchedulerClient, Selection};
use crate::domain::cells::{Buses, CELL0_UUID, Cells};
use crate::states::{TaskState, VmState};
use crate::store::Store;
use crate::store::cell::{EventOutcome, FaultRow, InstanceRow};

/// The event the superconductor records on each instance's create action.
const EVENT: &str = "conductor_schedule_and_build_instances";

/// The fault message of an instance no host would take, as Nova words it.
pub const NO_VALID_HOST: &str = "No valid host was found. There are not enough hosts available.";

/// The API's way to the superconductor.
#[derive(Clone)]
pub struct SuperconductorClient {
    bus: Arc<dyn Bus>,
}

impl SuperconductorClient {
    /// Casts to the superconductor on the API's `bus`.
    pub fn new(bus: Arc<dyn Bus>) -> Self {
        SuperconductorClient { bus }
    }

    /// Asks for the instances of one create request (whose build requests and request
    /// specs are recorded) to be scheduled and built.
    pub async fn schedule_and_build_instances(&self, instance_uuids: &[String], request_id: &str) -> Result<(), BusError> {
        let message = Message {
            method: "schedule_and_build_instances".into(),
            args: serde_json::json!({"instance_uuids": instance_uuids}),
            request_id: request_id.to_owned(),
        };
        self.bus.cast(&Target::topic(CONDUCTOR_TOPIC), message).await
    }

    /// Asks for a shelved-offloaded instance to be scheduled again and spawned.
    pub async fn unshelve_instance(&self, request: &UnshelveRequest, request_id: &str) -> Result<(), BusError> {
        let args = serde_json::to_value(request).map_err(|e| BusError::Transport(e.to_string()))?;
        let message = Message { method: "unshelve_instance".into(), args, request_id: request_id.to_owned() };
        self.bus.cast(&Target::topic(CONDUCTOR_TOPIC), message).await
    }
}

/// What an unshelve asks of the superconductor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnshelveRequest {
    pub instance_uuid: String,
    pub cell_uuid: String,
    /// A zone (2.77) or a host (2.91) the instance must come back in, replacing what it
    /// was booted with.
    pub availability_zone: Option<String>,
    pub host: Option<String>,
    /// The shelved image, and the token to read and then delete it with.
    pub image: super::SnapshotTarget,
}

/// The superconductor.
pub struct Superconductor {
    store: Store,
    cells: Arc<Cells>,
    buses: Buses,
    scheduler: SchedulerClient,
    placement: Arc<client::Placement>,
}

#[derive(Deserialize)]
struct BuildArgs {
    instance_uuids: Vec<String>,
}

impl Superconductor {
    /// Schedules a shelved-offloaded instance again and casts the unshelve to the host
    /// chosen; when no host will do, the instance stays shelved, its task cleared and
    /// the action's event failed, as in Nova.
    pub async fn unshelve_instance(&self, r: UnshelveRequest, request_id: &str) -> Result<(), String> {
        const EVENT: &str = "conductor_unshelve_instance";
        let cell =
            self.cells.get(&r.cell_uuid).ok_or_else(|| format!("instance {} is in unknown cell {}", r.instance_uuid, r.cell_uuid))?;
        let store = cell.store().map_err(|e| e.to_string())?;
        let uuid = r.instance_uuid.clone();
        store.start_event(&uuid, request_id, EVENT, None).await.map_err(|e| e.to_string())?;
        let spec = self
            .store
            .request_spec(&uuid)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("instance {uuid} has no request spec"))?;
        let mut spec: RequestSpec =
            serde_json::from_value(spec).map_err(|e| format!("instance {uuid} has a malformed request spec: {e}"))?;
        if let Some(zone) = r.availability_zone.clone() {
            spec.availability_zone = Some(zone);
        }
        if let Some(host) = r.host.clone() {
            spec.requested_host = Some(host);
            spec.requested_node = None;
        }
        let chosen = match self.scheduler.select_destinations(std::slice::from_ref(&spec), request_id).await {
            Ok(Destinations::Chosen(mut chosen)) => chosen.pop().and_then(|s| s.into_iter().next()),
            Ok(Destinations::NoValidHost { reason }) => {
                tracing::info!(instance = %uuid, %reason, "no host for an unshelve: the instance stays shelved");
                None
            }
            Err(e) => {
                tracing::warn!(instance = %uuid, error = %e, "the scheduler could not be asked for an unshelve");
                None
            }
        };
        let Some(selection) = chosen else {
            let idle = crate::store::cell::InstanceChanges { task_state: Some(None), ..Default::default() };
            store.update_instance(&uuid, &idle, &Default::default()).await.map_err(|e| e.to_string())?;
            let outcome = EventOutcome::Error { details: NO_VALID_HOST.into() };
            return store.finish_event(&uuid, request_id, EVENT, &outcome).await.map_err(|e| e.to_string());
        };
        store.finish_event(&uuid, request_id, EVENT, &EventOutcome::Success).await.map_err(|e| e.to_string())?;
        let instance = store.instance(&uuid, false).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("instance {uuid} is gone"))?;
        let host = selection.host.clone();
        let request = super::OperationRequest {
            instance,
            operation: super::Operation::Unshelve,
            snapshot: Some(r.image),
            selection: Some(selection),
            rescue_image: None,
            admin_password: None,
        };
        let bus = self.buses.of(cell).map_err(|e| e.to_string())?;
        AgentClient::new(bus).operate(&host, &request, request_id).await.map_err(|e| e.to_string())
    }

    /// A superconductor over the API `store` and its `cells`, reaching agents over the
    /// cells' `buses`.
    pub fn new(store: Store, cells: Arc<Cells>, buses: Buses, scheduler: SchedulerClient, placement: Arc<client::Placement>) -> Self {
        Superconductor { store, cells, buses, scheduler, placement }
    }

    /// Schedules and builds the instances of one create request.
    pub async fn schedule_and_build_instances(&self, uuids: &[String], request_id: &str) -> Result<(), String> {
        let mut builds: Vec<(InstanceRow, RequestSpec)> = Vec::new();
        for uuid in uuids {
            let (Some(instance), Some(spec)) = (
                self.store.build_request(uuid).await.map_err(|e| e.to_string())?,
                self.store.request_spec(uuid).await.map_err(|e| e.to_string())?,
            ) else {
                // Deleted by its user before it was scheduled.
                continue;
            };
            let spec: RequestSpec =
                serde_json::from_value(spec).map_err(|e| format!("instance {uuid} has a malformed request spec: {e}"))?;
            builds.push((instance, spec));
        }
        if builds.is_empty() {
            return Ok(());
        }
        let specs: Vec<RequestSpec> = builds.iter().map(|(_, s)| s.clone()).collect();
        let destinations = match self.scheduler.select_destinations(&specs, request_id).await {
            Ok(d) => d,
            Err(e) => Destinations::NoValidHost { reason: format!("the scheduler could not be asked: {e}") },
        };
        match destinations {
            Destinations::NoValidHost { reason } => {
                tracing::info!(request_id, %reason, "no valid host: the request's instances go to cell0 in ERROR");
                for (instance, _) in builds {
                    self.bury(instance, NO_VALID_HOST, Some(&reason), request_id).await?;
                }
            }
            Destinations::Chosen(chosen) => {
                for ((instance, spec), selections) in builds.into_iter().zip(chosen) {
                    let mut selections = selections.into_iter();
                    let Some(selection) = selections.next() else { continue };
                    let cell_uuid = selection.cell_uuid.clone();
                    // A build is retried within its cell only, as Nova's are.
                    let alternates = selections.filter(|s| s.cell_uuid == cell_uuid).collect();
                    if let Err(e) = self.build(instance.clone(), spec, selection, alternates, request_id).await {
                        tracing::error!(instance = %instance.uuid, error = %e, "an instance could not be handed to its host");
                        self.fail(instance, &cell_uuid, &e, request_id).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Creates the instance in its host's cell and asks the host to build it.
    async fn build(
        &self,
        mut instance: InstanceRow,
        spec: RequestSpec,
        selection: Selection,
        alternates: Vec<Selection>,
        request_id: &str,
    ) -> Result<(), String> {
        let cell = self
            .cells
            .get(&selection.cell_uuid)
            .ok_or_else(|| format!("the scheduler chose a host of unknown cell {}", selection.cell_uuid))?;
        let store = cell.store().map_err(|e| e.to_string())?;
        instance.availability_zone = Some(selection.availability_zone.clone());
        store.create_instance(&instance, request_id).await.map_err(|e| e.to_string())?;
        store.start_event(&instance.uuid, request_id, EVENT, None).await.map_err(|e| e.to_string())?;
        self.store.map_instance_to_cell(&instance.uuid, &selection.cell_uuid).await.map_err(|e| e.to_string())?;
        if !self.store.delete_build_request(&instance.uuid).await.map_err(|e| e.to_string())? {
            // Its user deleted it while it was being scheduled.
            store.destroy_instance(&instance.uuid).await.map_err(|e| e.to_string())?;
            store.finish_event(&instance.uuid, request_id, EVENT, &EventOutcome::Success).await.map_err(|e| e.to_string())?;
            return self.placement.free(&instance.uuid, request_id).await.map_err(|e| e.to_string());
        }
        store.finish_event(&instance.uuid, request_id, EVENT, &EventOutcome::Success).await.map_err(|e| e.to_string())?;
        let bus = self.buses.of(cell).map_err(|e| e.to_string())?;
        let build = BuildRequest { instance, spec, selection, alternates, retried: false };
        AgentClient::new(bus).build_and_run_instance(&build, request_id).await.map_err(|e| e.to_string())
    }

    /// Frees the claim of an instance that could not be handed to its host and leaves
    /// it in ERROR with a fault: in its cell if it got there, else in cell0.
    async fn fail(&self, instance: InstanceRow, cell_uuid: &str, why: &str, request_id: &str) -> Result<(), String> {
        if let Err(e) = self.placement.free(&instance.uuid, request_id).await {
            tracing::warn!(instance = %instance.uuid, error = %e, "the claim of a failed build could not be freed");
        }
        let created = match self.cells.get(cell_uuid).map(|c| c.store()) {
            Some(Ok(store)) => {
                let changes =
                    crate::store::cell::InstanceChanges { vm_state: Some(VmState::Error), task_state: Some(None), ..Default::default() };
                match store.update_instance(&instance.uuid, &changes, &Default::default()).await {
                    Ok(_) => {
                        let fault = FaultRow {
                            code: 500,
                            message: why.chars().take(255).collect(),
                            details: None,
                            host: None,
                            created_at: common::time::now_micros(),
                        };
                        store.add_fault(&instance.uuid, &fault).await.map_err(|e| e.to_string())?;
                        true
                    }
                    Err(_) => false,
                }
            }
            _ => false,
        };
        if created { Ok(()) } else { self.bury(instance, why, None, request_id).await }
    }

    /// Puts an instance that could not be scheduled into cell0, in ERROR with a fault
    /// saying `message` (and, to admins, `details`).
    async fn bury(&self, mut instance: InstanceRow, message: &str, details: Option<&str>, request_id: &str) -> Result<(), String> {
        let cell0 = self.cells.get(CELL0_UUID).ok_or("cell0 is not mapped")?;
        let store = cell0.store().map_err(|e| e.to_string())?;
        instance.vm_state = VmState::Error;
        instance.task_state = None::<TaskState>;
        store.create_instance(&instance, request_id).await.map_err(|e| e.to_string())?;
        store.start_event(&instance.uuid, request_id, EVENT, None).await.map_err(|e| e.to_string())?;
        let fault = FaultRow {
            code: 500,
            message: message.chars().take(255).collect(),
            details: details.map(str::to_owned),
            host: None,
            created_at: common::time::now_micros(),
        };
        store.add_fault(&instance.uuid, &fault).await.map_err(|e| e.to_string())?;
        store
            .finish_event(&instance.uuid, request_id, EVENT, &EventOutcome::Error { details: fault.message.clone() })
            .await
            .map_err(|e| e.to_string())?;
        self.store.map_instance_to_cell(&instance.uuid, CELL0_UUID).await.map_err(|e| e.to_string())?;
        if !self.store.delete_build_request(&instance.uuid).await.map_err(|e| e.to_string())? {
            store.destroy_instance(&instance.uuid).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl bus::Handler for Superconductor {
    async fn handle(&self, message: Message) -> Result<Value, String> {
        match message.method.as_str() {
            "schedule_and_build_instances" => {
                let args: BuildArgs =
                    serde_json::from_value(message.args).map_err(|e| format!("bad schedule_and_build_instances arguments: {e}"))?;
                let done = self.schedule_and_build_instances(&args.instance_uuids, &message.request_id).await;
                if let Err(e) = &done {
                    tracing::error!(request_id = %message.request_id, error = %e, "scheduling and building failed");
                }
                done.map(|()| Value::Null)
            }
            "unshelve_instance" => {
                let request: UnshelveRequest =
                    serde_json::from_value(message.args).map_err(|e| format!("bad unshelve_instance arguments: {e}"))?;
                let done = self.unshelve_instance(request, &message.request_id).await;
                if let Err(e) = &done {
                    tracing::error!(request_id = %message.request_id, error = %e, "unshelving failed");
                }
                done.map(|()| Value::Null)
            }
            other => Err(format!("the superconductor has no method {other}")),
        }
    }
}
