//! The fake driver: a host of configured size whose guests exist only in the agent's
//! memory and change state at once. For API tests and scale tests of the control plane
//! (`ferrostack up --fake-computes N` runs N such hosts in one process).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use compute::states::PowerState;
use compute::store::cell::InstanceRow;
use serde_json::json;

use crate::driver::{Driver, DriverError, HostResources, SnapshotSource};

/// How big each fake host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeHostSize {
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
}

impl Default for FakeHostSize {
    /// A mid-sized server: 32 vCPUs, 128 GiB of memory, 2 TB of disk.
    fn default() -> Self {
        FakeHostSize { vcpus: 32, memory_mb: 131_072, local_gb: 2048 }
    }
}

/// A guest of the fake hypervisor: what it uses and its state.
#[derive(Debug, Clone, Copy)]
struct FakeGuest {
    vcpus: i64,
    memory_mb: i64,
    disk_gb: i64,
    power: PowerState,
    /// Booted from a rescue image.
    rescued: bool,
    started: Instant,
}

/// A fake hypervisor on one host.
pub struct FakeDriver {
    node: String,
    size: FakeHostSize,
    started: Instant,
    guests: Mutex<HashMap<String, FakeGuest>>,
    /// Every spawn fails, as on a host whose hypervisor is broken.
    broken: bool,
}

impl FakeDriver {
    /// A fake hypervisor named `node` of `size`, up from now.
    pub fn new(node: &str, size: FakeHostSize) -> Self {
        FakeDriver { node: node.to_owned(), size, started: Instant::now(), guests: Mutex::new(HashMap::new()), broken: false }
    }

    /// The same hypervisor, failing every spawn: to see builds rescheduled elsewhere.
    pub fn broken(self) -> Self {
        FakeDriver { broken: true, ..self }
    }

    /// Moves the guest `uuid` from one of the power states `from` to `to`.
    fn transition(&self, uuid: &str, from: &[PowerState], to: PowerState) -> Result<(), DriverError> {
        let mut guests = self.guests.lock().expect("the fake driver's lock is never poisoned");
        let guest = guests.get_mut(uuid).ok_or_else(|| DriverError::NoGuest(uuid.to_owned()))?;
        if !from.contains(&guest.power) {
            return Err(DriverError::WrongState(format!("instance {uuid} is {:?}, not {from:?}", guest.power)));
        }
        guest.power = to;
        Ok(())
    }
}

/// `uptime`'s line for a host up `secs` seconds at `now` (HH:MM:SS).
fn uptime_line(now: &str, secs: u64) -> String {
    let days = secs / 86_400;
    let hours = (secs % 86_400) / 3600;
    let minutes = (secs % 3600) / 60;
    let up = if days > 0 { format!("{days} days, {hours:2}:{minutes:02}") } else { format!("{hours:2}:{minutes:02}") };
    format!(" {now} up {up},  0 users,  load average: 0.00, 0.00, 0.00")
}

#[async_trait::async_trait]
impl Driver for FakeDriver {
    async fn host_resources(&self) -> Result<HostResources, DriverError> {
        let used: Vec<FakeGuest> = self.guests.lock().expect("the fake driver's lock is never poisoned").values().copied().collect();
        Ok(HostResources {
            hypervisor_hostname: self.node.clone(),
            hypervisor_type: "fake".into(),
            hypervisor_version: 1000,
            cpu_info: json!({"arch": "x86_64", "model": "fake", "vendor": "fake", "topology": {"sockets": 1, "cores": self.size.vcpus, "threads": 1}, "features": []}),
            vcpus: self.size.vcpus,
            memory_mb: self.size.memory_mb,
            local_gb: self.size.local_gb,
            vcpus_used: used.iter().map(|g| g.vcpus).sum(),
            memory_mb_used: used.iter().map(|g| g.memory_mb).sum(),
            local_gb_used: used.iter().map(|g| g.disk_gb).sum(),
            running_vms: used.len() as i64,
        })
    }

    async fn host_uptime(&self) -> Result<String, DriverError> {
        let now = common::time::from_micros(common::time::now_micros()).format("%H:%M:%S").to_string();
        Ok(uptime_line(&now, self.started.elapsed().as_secs()))
    }

    async fn spawn(&self, instance: &InstanceRow) -> Result<(), DriverError> {
        if self.broken {
            return Err(DriverError::Failed(format!("the hypervisor of {} is broken: it spawns nothing", self.node)));
        }
        let size = |key: &str| instance.flavor[key].as_i64().unwrap_or(0);
        let guest = FakeGuest {
            vcpus: size("vcpus"),
            memory_mb: size("memory_mb"),
            disk_gb: size("root_gb") + size("ephemeral_gb"),
            power: PowerState::Running,
            rescued: false,
            started: Instant::now(),
        };
        let mut guests = self.guests.lock().expect("the fake driver's lock is never poisoned");
        if guests.contains_key(&instance.uuid) {
            return Err(DriverError::WrongState(format!("instance {} exists on this host already", instance.uuid)));
        }
        guests.insert(instance.uuid.clone(), guest);
        Ok(())
    }

    /// A fake guest has no accounts: a running one takes any password, keeping none.
    async fn set_admin_password(&self, uuid: &str, _password: &str) -> Result<(), DriverError> {
        let guests = self.guests.lock().expect("the fake driver's lock is never poisoned");
        let guest = guests.get(uuid).ok_or_else(|| DriverError::NoGuest(uuid.to_owned()))?;
        if guest.power != PowerState::Running {
            return Err(DriverError::WrongState(format!("instance {uuid} is not running: its password cannot be set")));
        }
        Ok(())
    }

    async fn diagnostics(&self, uuid: &str) -> Result<compute::rpc::GuestDiagnostics, DriverError> {
        let guests = self.guests.lock().expect("the fake driver's lock is never poisoned");
        let guest = guests.get(uuid).ok_or_else(|| DriverError::NoGuest(uuid.to_owned()))?;
        let state = match guest.power {
            PowerState::Running => "running",
            PowerState::Paused => "paused",
            PowerState::Shutdown => "shutdown",
            PowerState::Suspended => "suspended",
            PowerState::Crashed => "crashed",
            _ => "pending",
        };
        Ok(compute::rpc::GuestDiagnostics {
            state: state.into(),
            driver: "fake".into(),
            hypervisor: "fake".into(),
            hypervisor_os: "fake".into(),
            uptime: i64::try_from(guest.started.elapsed().as_secs()).unwrap_or(i64::MAX),
            config_drive: false,
            num_cpus: guest.vcpus,
            memory_mb: guest.memory_mb,
            disks_gb: vec![guest.disk_gb],
        })
    }

    async fn rescue(&self, instance: &InstanceRow, _rescue_image: &str) -> Result<(), DriverError> {
        let mut guests = self.guests.lock().expect("the fake driver's lock is never poisoned");
        let guest = guests.get_mut(&instance.uuid).ok_or_else(|| DriverError::NoGuest(instance.uuid.clone()))?;
        if guest.rescued {
            return Err(DriverError::WrongState(format!("instance {} is rescued already", instance.uuid)));
        }
        guest.rescued = true;
        guest.power = PowerState::Running;
        Ok(())
    }

    async fn unrescue(&self, uuid: &str) -> Result<(), DriverError> {
        let mut guests = self.guests.lock().expect("the fake driver's lock is never poisoned");
        let guest = guests.get_mut(uuid).ok_or_else(|| DriverError::NoGuest(uuid.to_owned()))?;
        if !guest.rescued {
            return Err(DriverError::WrongState(format!("instance {uuid} is not rescued")));
        }
        guest.rescued = false;
        guest.power = PowerState::Running;
        Ok(())
    }

    /// A fake guest writes nothing to its disk: its snapshot is its image.
    async fn snapshot(&self, uuid: &str) -> Result<SnapshotSource, DriverError> {
        match self.guests.lock().expect("the fake driver's lock is never poisoned").contains_key(uuid) {
            true => Ok(SnapshotSource::BaseImage),
            false => Err(DriverError::NoGuest(uuid.to_owned())),
        }
    }

    async fn destroy(&self, uuid: &str) -> Result<(), DriverError> {
        self.guests.lock().expect("the fake driver's lock is never poisoned").remove(uuid);
        Ok(())
    }

    async fn power_off(&self, uuid: &str) -> Result<(), DriverError> {
        self.transition(uuid, &[PowerState::Running, PowerState::Paused, PowerState::Suspended, PowerState::Shutdown], PowerState::Shutdown)
    }

    async fn power_on(&self, uuid: &str) -> Result<(), DriverError> {
        self.transition(uuid, &[PowerState::Shutdown, PowerState::Running], PowerState::Running)
    }

    async fn reboot(&self, uuid: &str, hard: bool) -> Result<(), DriverError> {
        let from: &[PowerState] = if hard {
            &[PowerState::Running, PowerState::Shutdown, PowerState::Paused, PowerState::Suspended, PowerState::Crashed]
        } else {
            &[PowerState::Running]
        };
        self.transition(uuid, from, PowerState::Running)
    }

    async fn pause(&self, uuid: &str) -> Result<(), DriverError> {
        self.transition(uuid, &[PowerState::Running], PowerState::Paused)
    }

    async fn unpause(&self, uuid: &str) -> Result<(), DriverError> {
        self.transition(uuid, &[PowerState::Paused], PowerState::Running)
    }

    async fn suspend(&self, uuid: &str) -> Result<(), DriverError> {
        self.transition(uuid, &[PowerState::Running], PowerState::Suspended)
    }

    async fn resume(&self, uuid: &str) -> Result<(), DriverError> {
        self.transition(uuid, &[PowerState::Suspended], PowerState::Running)
    }

    async fn power_state(&self, uuid: &str) -> Result<PowerState, DriverError> {
        Ok(self.guests.lock().expect("the fake driver's lock is never poisoned").get(uuid).map_or(PowerState::NoState, |g| g.power))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_like_the_command() {
        assert_eq!(
            uptime_line("08:32:11", 93 * 86_400 + 18 * 3600 + 25 * 60),
            " 08:32:11 up 93 days, 18:25,  0 users,  load average: 0.00, 0.00, 0.00"
        );
        assert_eq!(uptime_line("08:32:11", 125), " 08:32:11 up  0:02,  0 users,  load average: 0.00, 0.00, 0.00");
    }
}
