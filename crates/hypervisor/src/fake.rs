//! The fake driver: a host of configured size whose guests exist only in the agent's
//! memory and change state at once. For API tests and scale tests of the control plane
//! (`ferrostack up --fake-computes N` runs N such hosts in one process).

use std::time::Instant;

use serde_json::json;

use crate::driver::{Driver, DriverError, HostResources};

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

/// A fake hypervisor on one host.
pub struct FakeDriver {
    node: String,
    size: FakeHostSize,
    started: Instant,
}

impl FakeDriver {
    /// A fake hypervisor named `node` of `size`, up from now.
    pub fn new(node: &str, size: FakeHostSize) -> Self {
        FakeDriver { node: node.to_owned(), size, started: Instant::now() }
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
        Ok(HostResources {
            hypervisor_hostname: self.node.clone(),
            hypervisor_type: "fake".into(),
            hypervisor_version: 1000,
            cpu_info: json!({"arch": "x86_64", "model": "fake", "vendor": "fake", "topology": {"sockets": 1, "cores": self.size.vcpus, "threads": 1}, "features": []}),
            vcpus: self.size.vcpus,
            memory_mb: self.size.memory_mb,
            local_gb: self.size.local_gb,
            vcpus_used: 0,
            memory_mb_used: 0,
            local_gb_used: 0,
            running_vms: 0,
        })
    }

    async fn host_uptime(&self) -> Result<String, DriverError> {
        let now = common::time::from_micros(common::time::now_micros()).format("%H:%M:%S").to_string();
        Ok(uptime_line(&now, self.started.elapsed().as_secs()))
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
