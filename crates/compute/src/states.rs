//! An instance's three states as Nova keeps them — `vm_state` (what it is), `task_state`
//! (what is being done to it) and `power_state` (what the hypervisor last said) — and the
//! one `status` the API shows for them.
//!
//! A leaf module: the store saves these, the domain moves them, the wire shows them.

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Nova's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value Nova spells `s`.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What an instance is (Nova's `vm_states`).
    VmState {
        Active = "active",
        Building = "building",
        Paused = "paused",
        Suspended = "suspended",
        Stopped = "stopped",
        Rescued = "rescued",
        Resized = "resized",
        SoftDeleted = "soft-delete",
        Deleted = "deleted",
        Error = "error",
        Shelved = "shelved",
        ShelvedOffloaded = "shelved_offloaded",
    }
}

string_enum! {
    /// What is being done to an instance (Nova's `task_states`).
    TaskState {
        Scheduling = "scheduling",
        BlockDeviceMapping = "block_device_mapping",
        Networking = "networking",
        Spawning = "spawning",
        ImageSnapshot = "image_snapshot",
        ImageSnapshotPending = "image_snapshot_pending",
        ImagePendingUpload = "image_pending_upload",
        ImageUploading = "image_uploading",
        ImageBackup = "image_backup",
        UpdatingPassword = "updating_password",
        ResizePrep = "resize_prep",
        ResizeMigrating = "resize_migrating",
        ResizeMigrated = "resize_migrated",
        ResizeFinish = "resize_finish",
        ResizeReverting = "resize_reverting",
        ResizeConfirming = "resize_confirming",
        Rebooting = "rebooting",
        RebootPending = "reboot_pending",
        RebootStarted = "reboot_started",
        RebootingHard = "rebooting_hard",
        RebootPendingHard = "reboot_pending_hard",
        RebootStartedHard = "reboot_started_hard",
        Pausing = "pausing",
        Unpausing = "unpausing",
        Suspending = "suspending",
        Resuming = "resuming",
        PoweringOff = "powering-off",
        PoweringOn = "powering-on",
        Rescuing = "rescuing",
        Unrescuing = "unrescuing",
        Rebuilding = "rebuilding",
        RebuildBlockDeviceMapping = "rebuild_block_device_mapping",
        RebuildSpawning = "rebuild_spawning",
        Migrating = "migrating",
        Deleting = "deleting",
        SoftDeleting = "soft-deleting",
        Restoring = "restoring",
        Shelving = "shelving",
        ShelvingImagePendingUpload = "shelving_image_pending_upload",
        ShelvingImageUploading = "shelving_image_uploading",
        ShelvingOffloading = "shelving_offloading",
        Unshelving = "unshelving",
    }
}

/// What the hypervisor last reported (Nova's `power_state`, shown as its number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "i64", try_from = "i64")]
pub enum PowerState {
    NoState,
    Running,
    Paused,
    Shutdown,
    Crashed,
    Suspended,
}

impl PowerState {
    /// Nova's number for it.
    pub fn code(self) -> i64 {
        match self {
            PowerState::NoState => 0,
            PowerState::Running => 1,
            PowerState::Paused => 3,
            PowerState::Shutdown => 4,
            PowerState::Crashed => 6,
            PowerState::Suspended => 7,
        }
    }

    /// The state Nova numbers `n`.
    pub fn from_code(n: i64) -> Option<Self> {
        Some(match n {
            0 => PowerState::NoState,
            1 => PowerState::Running,
            3 => PowerState::Paused,
            4 => PowerState::Shutdown,
            6 => PowerState::Crashed,
            7 => PowerState::Suspended,
            _ => return None,
        })
    }
}

impl From<PowerState> for i64 {
    fn from(p: PowerState) -> i64 {
        p.code()
    }
}

impl TryFrom<i64> for PowerState {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        PowerState::from_code(n).ok_or_else(|| format!("{n} is not a power state"))
    }
}

/// The task states of a reboot, a rebuild and a resize, which change the status.
const SOFT_REBOOT: [TaskState; 3] = [TaskState::Rebooting, TaskState::RebootPending, TaskState::RebootStarted];
const HARD_REBOOT: [TaskState; 3] = [TaskState::RebootingHard, TaskState::RebootPendingHard, TaskState::RebootStartedHard];
const REBUILD: [TaskState; 3] = [TaskState::Rebuilding, TaskState::RebuildBlockDeviceMapping, TaskState::RebuildSpawning];
const RESIZE: [TaskState; 4] = [TaskState::ResizePrep, TaskState::ResizeMigrating, TaskState::ResizeMigrated, TaskState::ResizeFinish];

/// The API's `status` of an instance, as Nova derives it from the vm and task states.
pub fn status(vm: VmState, task: Option<TaskState>) -> &'static str {
    let is = |set: &[TaskState]| task.is_some_and(|t| set.contains(&t));
    match vm {
        VmState::Active if is(&SOFT_REBOOT) => "REBOOT",
        VmState::Active if is(&HARD_REBOOT) => "HARD_REBOOT",
        VmState::Active if task == Some(TaskState::UpdatingPassword) => "PASSWORD",
        VmState::Active | VmState::Stopped | VmState::Error if is(&REBUILD) => "REBUILD",
        VmState::Active | VmState::Paused if task == Some(TaskState::Migrating) => "MIGRATING",
        VmState::Active | VmState::Stopped if is(&RESIZE) => "RESIZE",
        VmState::Active => "ACTIVE",
        VmState::Building => "BUILD",
        VmState::Stopped => "SHUTOFF",
        VmState::Resized if task == Some(TaskState::ResizeReverting) => "REVERT_RESIZE",
        VmState::Resized => "VERIFY_RESIZE",
        VmState::Paused => "PAUSED",
        VmState::Suspended => "SUSPENDED",
        VmState::Rescued => "RESCUE",
        VmState::Error => "ERROR",
        VmState::Deleted => "DELETED",
        VmState::SoftDeleted => "SOFT_DELETED",
        VmState::Shelved => "SHELVED",
        VmState::ShelvedOffloaded => "SHELVED_OFFLOADED",
    }
}

/// The vm and task states a `status` filter of a server list stands for: the vm states,
/// and the task states it requires (`None`: any). Unknown statuses stand for nothing.
pub fn states_of_status(status: &str) -> Option<(Vec<VmState>, Option<Vec<TaskState>>)> {
    let upper = status.to_ascii_uppercase();
    let mut vms = Vec::new();
    let mut tasks: Option<Vec<TaskState>> = None;
    for &vm in VmState::ALL {
        if self::status(vm, None) == upper {
            vms.push(vm);
        }
    }
    if vms.is_empty() {
        // A status that only some task states give (REBOOT, RESIZE, ...).
        for &vm in VmState::ALL {
            for &task in TaskState::ALL {
                if self::status(vm, Some(task)) == upper && self::status(vm, None) != upper {
                    if !vms.contains(&vm) {
                        vms.push(vm);
                    }
                    let t = tasks.get_or_insert_with(Vec::new);
                    if !t.contains(&task) {
                        t.push(task);
                    }
                }
            }
        }
    }
    (!vms.is_empty()).then_some((vms, tasks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_novas_state_map() {
        assert_eq!(status(VmState::Active, None), "ACTIVE");
        assert_eq!(status(VmState::Active, Some(TaskState::Deleting)), "ACTIVE");
        assert_eq!(status(VmState::Active, Some(TaskState::RebootStartedHard)), "HARD_REBOOT");
        assert_eq!(status(VmState::Stopped, Some(TaskState::ResizeMigrating)), "RESIZE");
        assert_eq!(status(VmState::Stopped, Some(TaskState::PoweringOn)), "SHUTOFF");
        assert_eq!(status(VmState::Resized, Some(TaskState::ResizeReverting)), "REVERT_RESIZE");
        assert_eq!(status(VmState::Error, Some(TaskState::Rebuilding)), "REBUILD");
        assert_eq!(status(VmState::Building, Some(TaskState::Scheduling)), "BUILD");
        assert_eq!(status(VmState::ShelvedOffloaded, None), "SHELVED_OFFLOADED");
    }

    #[test]
    fn status_filters_name_their_states() {
        assert_eq!(states_of_status("active"), Some((vec![VmState::Active], None)));
        let (vms, tasks) = states_of_status("REBOOT").unwrap();
        assert_eq!(vms, vec![VmState::Active]);
        assert_eq!(tasks.unwrap(), SOFT_REBOOT.to_vec());
        let (vms, _) = states_of_status("RESIZE").unwrap();
        assert_eq!(vms, vec![VmState::Active, VmState::Stopped]);
        assert_eq!(states_of_status("NOT_A_STATUS"), None);
    }

    #[test]
    fn states_round_trip_through_their_spelling() {
        for &t in TaskState::ALL {
            assert_eq!(TaskState::parse(t.as_str()), Some(t));
        }
        assert_eq!(serde_json::to_string(&PowerState::Shutdown).unwrap(), "4");
        assert_eq!(serde_json::from_str::<PowerState>("7").unwrap(), PowerState::Suspended);
        assert_eq!(serde_json::to_string(&VmState::SoftDeleted).unwrap(), "\"soft-delete\"");
    }
}
