//! How an agent builds, operates and deletes its instances: each step recorded through
//! the cell's conductor (task and vm states, action events, faults) and announced as a
//! versioned notification, as Nova's compute manager does.

use compute::rpc::{BuildRequest, ExternalEvents, Operation, OperationRequest, Rotation, Selection, SnapshotTarget};
use compute::states::{PowerState, TaskState, VmState};
use compute::store::cell::{EventOutcome, Expected, FaultRow, InstanceChanges, InstanceRow};

use crate::agent::Inner;
use crate::driver::{DriverError, SnapshotSource};

/// What an operation moves the instance to when it succeeds, and the name of its
/// notifications (`instance.<name>.start` / `.end`).
struct Outcome {
    task: TaskState,
    vm_state: VmState,
    notification: &'static str,
}

fn outcome(op: Operation) -> Outcome {
    let (task, vm_state, notification) = match op {
        Operation::Start => (TaskState::PoweringOn, VmState::Active, "power_on"),
        Operation::Stop => (TaskState::PoweringOff, VmState::Stopped, "power_off"),
        Operation::Reboot { hard: false } => (TaskState::Rebooting, VmState::Active, "reboot"),
        Operation::Reboot { hard: true } => (TaskState::RebootingHard, VmState::Active, "reboot"),
        Operation::Pause => (TaskState::Pausing, VmState::Paused, "pause"),
        Operation::Unpause => (TaskState::Unpausing, VmState::Active, "unpause"),
        Operation::Suspend => (TaskState::Suspending, VmState::Suspended, "suspend"),
        Operation::Resume => (TaskState::Resuming, VmState::Active, "resume"),
        Operation::Rebuild => (TaskState::Rebuilding, VmState::Active, "rebuild"),
        Operation::Rescue => (TaskState::Rescuing, VmState::Rescued, "rescue"),
        Operation::Unrescue => (TaskState::Unrescuing, VmState::Active, "unrescue"),
        Operation::ChangePassword => (TaskState::UpdatingPassword, VmState::Active, "set_admin_password"),
        // A snapshot leaves the vm state as it found it (see `operate`).
        Operation::Snapshot => (TaskState::ImageSnapshot, VmState::Active, "snapshot"),
        Operation::Backup => (TaskState::ImageBackup, VmState::Active, "snapshot"),
        Operation::Shelve => (TaskState::Shelving, VmState::ShelvedOffloaded, "shelve"),
        Operation::Unshelve => (TaskState::Unshelving, VmState::Active, "unshelve"),
        Operation::Terminate => (TaskState::Deleting, VmState::Deleted, "delete"),
    };
    Outcome { task, vm_state, notification }
}

impl Inner {
    async fn notify(&self, event_type: &str, instance: &InstanceRow, fault: Option<&FaultRow>, request_id: &str) {
        self.notifier.info(event_type, compute::domain::notifications::instance_action(instance, fault), request_id).await;
    }

    fn fault(&self, e: &DriverError) -> FaultRow {
        FaultRow {
            code: 500,
            message: e.to_string(),
            details: None,
            host: Some(self.settings.host.clone()),
            created_at: common::time::now_micros(),
        }
    }

    /// Builds a scheduled instance; on failure it goes to ERROR with a fault and its
    /// claim in placement is freed.
    pub(crate) async fn build(&self, build: BuildRequest, request_id: &str) {
        let uuid = build.instance.uuid.clone();
        let event = "compute_build_and_run_instance";
        let host = self.settings.host.clone();
        if let Err(e) = self.conductor.event_start(&uuid, event, &host, request_id).await {
            tracing::warn!(instance = %uuid, error = %e, "the build's event could not be recorded");
        }
        self.notify("instance.create.start", &build.instance, None, request_id).await;
        let placed = InstanceChanges {
            task_state: Some(Some(TaskState::Spawning)),
            host: Some(Some(host.clone())),
            node: Some(Some(build.selection.node.clone())),
            launched_on: Some(Some(host.clone())),
            ..Default::default()
        };
        let expected = Expected { task_states: Some(vec![Some(TaskState::Scheduling)]), vm_states: None };
        let instance = match self.conductor.instance_update(&uuid, &placed, &expected, request_id).await {
            Ok(i) => i,
            Err(e) => {
                tracing::info!(instance = %uuid, error = %e, "the instance went away before it was built");
                self.free(&uuid, request_id).await;
                let _ = self.conductor.event_finish(&uuid, event, &EventOutcome::Error { details: e.to_string() }, request_id).await;
                return;
            }
        };
        if let Err(e) = self.driver.spawn(&instance).await {
            let fault = self.fault(&e);
            let _ = self.driver.destroy(&uuid).await;
            self.count_build(false).await;
            if (build.retried || !build.alternates.is_empty()) && self.reschedule(build, &fault, request_id).await {
                return;
            }
            let failed = InstanceChanges { vm_state: Some(VmState::Error), task_state: Some(None), ..Default::default() };
            self.free(&uuid, request_id).await;
            let errored = self.conductor.instance_update(&uuid, &failed, &Expected::default(), request_id).await;
            let _ = self.conductor.instance_fault(&uuid, &fault, request_id).await;
            let _ = self.conductor.event_finish(&uuid, event, &EventOutcome::Error { details: fault.message.clone() }, request_id).await;
            self.notify("instance.create.error", &errored.unwrap_or(instance), Some(&fault), request_id).await;
            return;
        }
        let power_state = self.driver.power_state(&uuid).await.unwrap_or(PowerState::Running);
        let active = InstanceChanges {
            vm_state: Some(VmState::Active),
            task_state: Some(None),
            power_state: Some(power_state),
            launched_at: Some(Some(common::time::now_micros())),
            ..Default::default()
        };
        let expected = Expected { task_states: Some(vec![Some(TaskState::Spawning)]), vm_states: None };
        match self.conductor.instance_update(&uuid, &active, &expected, request_id).await {
            Ok(built) => {
                self.count_build(true).await;
                let _ = self.conductor.event_finish(&uuid, event, &EventOutcome::Success, request_id).await;
                self.notify("instance.create.end", &built, None, request_id).await;
            }
            Err(e) => {
                // Deleted while it was spawning: the delete owns it now.
                tracing::info!(instance = %uuid, error = %e, "the instance was deleted while it was built");
                let _ = self.conductor.event_finish(&uuid, event, &EventOutcome::Error { details: e.to_string() }, request_id).await;
            }
        }
    }

    /// Gives a build that failed here back to the cell's conductor for its next
    /// alternate host: frees this host's claim and takes the instance off this host.
    /// `false` when it could not be handed back (the build then fails here).
    async fn reschedule(&self, mut build: BuildRequest, fault: &FaultRow, request_id: &str) -> bool {
        let uuid = build.instance.uuid.clone();
        let event = "compute_build_and_run_instance";
        self.free(&uuid, request_id).await;
        let off_host = InstanceChanges {
            task_state: Some(Some(TaskState::Scheduling)),
            host: Some(None),
            node: Some(None),
            launched_on: Some(None),
            ..Default::default()
        };
        let spawning = Expected { task_states: Some(vec![Some(TaskState::Spawning)]), vm_states: None };
        let _ = self.conductor.event_finish(&uuid, event, &EventOutcome::Error { details: fault.message.clone() }, request_id).await;
        match self.conductor.instance_update(&uuid, &off_host, &spawning, request_id).await {
            Ok(instance) => build.instance = instance,
            // Deleted meanwhile: nothing is left to build.
            Err(_) => return true,
        }
        match self.conductor.reschedule_build(&build, request_id).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(instance = %uuid, error = %e, "a failed build could not be rescheduled");
                false
            }
        }
    }

    /// Carries out an operation the API accepted (and set the task state of).
    pub(crate) async fn operate(&self, request: OperationRequest, request_id: &str) {
        let OperationRequest { instance, operation, snapshot, selection, rescue_image, admin_password } = request;
        let uuid = instance.uuid.clone();
        let event = format!("compute_{}", operation.method());
        let o = outcome(operation);
        if let Err(e) = self.conductor.event_start(&uuid, &event, &self.settings.host, request_id).await {
            tracing::warn!(instance = %uuid, error = %e, "an operation's event could not be recorded");
        }
        self.notify(&format!("instance.{}.start", o.notification), &instance, None, request_id).await;
        let done = match operation {
            Operation::Start => self.driver.power_on(&uuid).await,
            Operation::Stop => self.driver.power_off(&uuid).await,
            Operation::Reboot { hard } => self.driver.reboot(&uuid, hard).await,
            Operation::Pause => self.driver.pause(&uuid).await,
            Operation::Unpause => self.driver.unpause(&uuid).await,
            Operation::Suspend => self.driver.suspend(&uuid).await,
            Operation::Resume => self.driver.resume(&uuid).await,
            Operation::Rebuild => self.respawn(&instance).await,
            Operation::Rescue => self.driver.rescue(&instance, rescue_image.as_deref().unwrap_or(&instance.image_ref)).await,
            Operation::Unrescue => self.driver.unrescue(&uuid).await,
            Operation::ChangePassword => match &admin_password {
                Some(p) => self.driver.set_admin_password(&uuid, &p.0).await,
                None => Err(DriverError::Failed("a password change carries no password".into())),
            },
            Operation::Snapshot | Operation::Backup => {
                self.snapshot(&instance, snapshot.as_ref(), TaskState::ImageUploading, request_id).await
            }
            Operation::Shelve => self.shelve(&instance, snapshot.as_ref(), request_id).await,
            Operation::Unshelve => self.unshelve(&instance, snapshot.as_ref(), request_id).await,
            Operation::Terminate => self.driver.destroy(&uuid).await,
        };
        if operation == Operation::Terminate {
            return self.finish_terminate(instance, done, &event, request_id).await;
        }
        let mut expected = Expected { task_states: Some(vec![Some(o.task)]), vm_states: None };
        match operation {
            Operation::Snapshot => expected.task_states = Some(vec![Some(TaskState::ImageSnapshot), Some(TaskState::ImageUploading)]),
            Operation::Backup => expected.task_states = Some(vec![Some(TaskState::ImageBackup), Some(TaskState::ImageUploading)]),
            Operation::Shelve => expected.task_states = Some(vec![Some(TaskState::Shelving), Some(TaskState::ShelvingImageUploading)]),
            _ => {}
        }
        match done {
            Ok(()) => {
                let power_state = self.driver.power_state(&uuid).await.unwrap_or(PowerState::NoState);
                let rebuilt = operation == Operation::Rebuild;
                // A stopped server is rebuilt stopped, as Nova does.
                let vm_state =
                    if (rebuilt && instance.vm_state == VmState::Stopped) || matches!(operation, Operation::Snapshot | Operation::Backup) {
                        instance.vm_state
                    } else {
                        o.vm_state
                    };
                let base = InstanceChanges {
                    vm_state: Some(vm_state),
                    task_state: Some(None),
                    power_state: Some(power_state),
                    launched_at: rebuilt.then(|| Some(common::time::now_micros())),
                    ..Default::default()
                };
                let changes = match operation {
                    Operation::Shelve => self.offloaded(&instance, snapshot.as_ref(), base),
                    Operation::Unshelve => self.placed(&instance, selection.as_ref(), base),
                    _ => base,
                };
                match self.conductor.instance_update(&uuid, &changes, &expected, request_id).await {
                    Ok(updated) => {
                        let _ = self.conductor.event_finish(&uuid, &event, &EventOutcome::Success, request_id).await;
                        self.notify(&format!("instance.{}.end", o.notification), &updated, None, request_id).await;
                    }
                    Err(e) => {
                        tracing::info!(instance = %uuid, error = %e, "the instance changed while it was operated on");
                        let _ =
                            self.conductor.event_finish(&uuid, &event, &EventOutcome::Error { details: e.to_string() }, request_id).await;
                    }
                }
            }
            Err(e) => {
                // The operation failed: the instance stays as it was, without the task;
                // a failed rebuild has lost its guest, so it is in ERROR; a failed
                // unshelve gives back the host it was given.
                let fault = self.fault(&e);
                if operation == Operation::Unshelve {
                    self.free(&uuid, request_id).await;
                }
                let power_state = self.driver.power_state(&uuid).await.unwrap_or(PowerState::NoState);
                let vm_state = (operation == Operation::Rebuild).then_some(VmState::Error);
                let revert = InstanceChanges { vm_state, task_state: Some(None), power_state: Some(power_state), ..Default::default() };
                let _ = self.conductor.instance_update(&uuid, &revert, &expected, request_id).await;
                let _ = self.conductor.instance_fault(&uuid, &fault, request_id).await;
                let _ =
                    self.conductor.event_finish(&uuid, &event, &EventOutcome::Error { details: fault.message.clone() }, request_id).await;
                self.notify(&format!("instance.{}.error", o.notification), &instance, Some(&fault), request_id).await;
            }
        }
    }

    /// Acts on what other services report about an instance: `power-update` (the guest
    /// was powered on or off outside compute) brings the driver and the record in line;
    /// the network and volume events have nothing waiting on them, as no guest here
    /// has ports or volumes yet, so they are only logged.
    pub(crate) async fn external_events(&self, events: ExternalEvents, request_id: &str) {
        let uuid = events.instance.uuid.clone();
        for event in events.events {
            match (event.name.as_str(), event.tag.as_deref()) {
                ("power-update", Some(tag @ ("POWER_ON" | "POWER_OFF"))) => {
                    let on = tag == "POWER_ON";
                    let done = if on { self.driver.power_on(&uuid).await } else { self.driver.power_off(&uuid).await };
                    if let Err(e) = done
                        && !matches!(e, DriverError::WrongState(_))
                    {
                        tracing::warn!(instance = %uuid, error = %e, "a power-update event could not be carried out");
                        continue;
                    }
                    let power_state = self.driver.power_state(&uuid).await.unwrap_or(PowerState::NoState);
                    let changes = InstanceChanges {
                        vm_state: Some(if on { VmState::Active } else { VmState::Stopped }),
                        power_state: Some(power_state),
                        ..Default::default()
                    };
                    let idle = Expected { task_states: Some(vec![None]), vm_states: Some(vec![VmState::Active, VmState::Stopped]) };
                    if let Err(e) = self.conductor.instance_update(&uuid, &changes, &idle, request_id).await {
                        tracing::info!(instance = %uuid, error = %e, "a power-update event found the instance busy");
                    }
                }
                (name, tag) => tracing::info!(instance = %uuid, event = name, tag, status = %event.status, "external event received"),
            }
        }
    }

    /// Uploads the guest's disk into the queued image the API created; on failure the
    /// image is deleted, as Nova does, so no empty image is left behind.
    async fn snapshot(
        &self,
        instance: &InstanceRow,
        target: Option<&SnapshotTarget>,
        uploading: TaskState,
        request_id: &str,
    ) -> Result<(), DriverError> {
        let target = target.ok_or_else(|| DriverError::Failed("a snapshot request names no image".into()))?;
        let from = Expected { task_states: Some(vec![instance.task_state]), vm_states: None };
        let uploading = InstanceChanges { task_state: Some(Some(uploading)), ..Default::default() };
        if let Err(e) = self.conductor.instance_update(&instance.uuid, &uploading, &from, request_id).await {
            tracing::info!(instance = %instance.uuid, error = %e, "the instance changed before its snapshot was taken");
        }
        let done = match self.driver.snapshot(&instance.uuid).await? {
            SnapshotSource::BaseImage => self.images.copy_data(&instance.image_ref, &target.image_id, &target.token, request_id).await,
            SnapshotSource::File(path) => {
                let sent = self.images.upload_file(&path, &target.image_id, &target.token, request_id).await;
                if let Err(e) = tokio::fs::remove_file(&path).await {
                    tracing::warn!(path = %path.display(), error = %e, "a snapshot's file could not be removed");
                }
                sent
            }
        };
        if let Err(e) = done {
            if let Err(gone) = self.images.delete(&target.image_id, &target.token, request_id).await {
                tracing::warn!(image = %target.image_id, error = %gone, "a failed snapshot's image could not be deleted");
            }
            return Err(DriverError::Failed(format!("the snapshot could not be uploaded: {e}")));
        }
        if let Some(rotation) = &target.rotation {
            self.rotate_backups(instance, rotation, &target.token, request_id).await;
        }
        Ok(())
    }

    /// Deletes the server's backups of the rotation's type beyond the newest `keep`.
    async fn rotate_backups(&self, instance: &InstanceRow, rotation: &Rotation, token: &client::UserToken, request_id: &str) {
        let query: Vec<(String, String)> = [
            ("instance_uuid", instance.uuid.as_str()),
            ("image_type", "backup"),
            ("backup_type", rotation.backup_type.as_str()),
            ("sort_key", "created_at"),
            ("sort_dir", "desc"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let backups = match self.images.list(&query, token, request_id).await {
            Ok(b) => b,
            Err(e) => return tracing::warn!(instance = %instance.uuid, error = %e, "backups could not be listed for rotation"),
        };
        for old in backups.iter().skip(rotation.keep) {
            let Some(id) = old["id"].as_str() else { continue };
            match self.images.delete(id, token, request_id).await {
                Ok(Ok(())) => tracing::info!(instance = %instance.uuid, image = id, "an old backup was rotated out"),
                Ok(Err(refusal)) => tracing::warn!(image = id, ?refusal, "an old backup could not be deleted"),
                Err(e) => tracing::warn!(image = id, error = %e, "an old backup could not be deleted"),
            }
        }
    }

    /// Shelves: powers the guest off, uploads its disk into the shelve's image, then
    /// removes it from this host and frees its resources.
    async fn shelve(&self, instance: &InstanceRow, target: Option<&SnapshotTarget>, request_id: &str) -> Result<(), DriverError> {
        match self.driver.power_off(&instance.uuid).await {
            Ok(()) | Err(DriverError::WrongState(_)) => {}
            Err(e) => return Err(e),
        }
        self.snapshot(instance, target, TaskState::ShelvingImageUploading, request_id).await?;
        self.driver.destroy(&instance.uuid).await?;
        self.free(&instance.uuid, request_id).await;
        Ok(())
    }

    /// The record of a shelved instance once it has left this host.
    fn offloaded(&self, instance: &InstanceRow, target: Option<&SnapshotTarget>, base: InstanceChanges) -> InstanceChanges {
        let mut system_metadata = instance.system_metadata.clone();
        system_metadata.insert("shelved_at".into(), common::time::iso8601(common::time::now_micros()));
        system_metadata.insert("shelved_host".into(), self.settings.host.clone());
        if let Some(t) = target {
            system_metadata.insert("shelved_image_id".into(), t.image_id.clone());
        }
        InstanceChanges {
            power_state: Some(PowerState::Shutdown),
            host: Some(None),
            node: Some(None),
            system_metadata: Some(system_metadata),
            ..base
        }
    }

    /// Unshelves: spawns the guest from its shelved image here, then deletes that
    /// image, as Nova does.
    async fn unshelve(&self, instance: &InstanceRow, image: Option<&SnapshotTarget>, request_id: &str) -> Result<(), DriverError> {
        let image = image.ok_or_else(|| DriverError::Failed("an unshelve request names no image".into()))?;
        let from_shelve = InstanceRow { image_ref: image.image_id.clone(), ..instance.clone() };
        self.driver.spawn(&from_shelve).await?;
        match self.images.delete(&image.image_id, &image.token, request_id).await {
            Ok(Ok(())) => {}
            Ok(Err(refusal)) => tracing::warn!(image = %image.image_id, ?refusal, "an unshelved instance's image could not be deleted"),
            Err(e) => tracing::warn!(image = %image.image_id, error = %e, "an unshelved instance's image could not be deleted"),
        }
        Ok(())
    }

    /// The record of an unshelved instance, on this host.
    fn placed(&self, instance: &InstanceRow, selection: Option<&Selection>, base: InstanceChanges) -> InstanceChanges {
        let system_metadata =
            instance.system_metadata.iter().filter(|(k, _)| !k.starts_with("shelved_")).map(|(k, v)| (k.clone(), v.clone())).collect();
        InstanceChanges {
            host: Some(Some(self.settings.host.clone())),
            node: selection.map(|s| Some(s.node.clone())),
            availability_zone: selection.map(|s| Some(s.availability_zone.clone())),
            system_metadata: Some(system_metadata),
            ..base
        }
    }

    /// Replaces the guest with one spawned from the instance's (new) image, powered off
    /// again if the server was stopped.
    async fn respawn(&self, instance: &InstanceRow) -> Result<(), DriverError> {
        match self.driver.destroy(&instance.uuid).await {
            Ok(()) | Err(DriverError::NoGuest(_)) => {}
            Err(e) => return Err(e),
        }
        self.driver.spawn(instance).await?;
        if instance.vm_state == VmState::Stopped {
            self.driver.power_off(&instance.uuid).await?;
        }
        Ok(())
    }

    async fn finish_terminate(&self, instance: InstanceRow, done: Result<(), DriverError>, event: &str, request_id: &str) {
        let uuid = instance.uuid.clone();
        if let Err(e) = done {
            let fault = self.fault(&e);
            let failed = InstanceChanges { vm_state: Some(VmState::Error), task_state: Some(None), ..Default::default() };
            let _ = self.conductor.instance_update(&uuid, &failed, &Expected::default(), request_id).await;
            let _ = self.conductor.instance_fault(&uuid, &fault, request_id).await;
            let _ = self.conductor.event_finish(&uuid, event, &EventOutcome::Error { details: fault.message.clone() }, request_id).await;
            return;
        }
        self.free(&uuid, request_id).await;
        if let Err(e) = self.conductor.instance_destroy(&uuid, request_id).await {
            tracing::error!(instance = %uuid, error = %e, "a deleted guest's instance could not be marked deleted");
        }
        let _ = self.conductor.event_finish(&uuid, event, &EventOutcome::Success, request_id).await;
        let mut gone = instance;
        gone.vm_state = VmState::Deleted;
        gone.task_state = None;
        gone.power_state = PowerState::NoState;
        self.notify("instance.delete.end", &gone, None, request_id).await;
    }

    /// Frees the instance's claim in placement.
    async fn free(&self, uuid: &str, request_id: &str) {
        if let Err(e) = self.placement.free(uuid, request_id).await {
            tracing::warn!(instance = %uuid, error = %e, "an instance's allocations could not be freed");
        }
    }
}
