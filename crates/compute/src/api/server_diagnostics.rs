//! `/servers/{id}/diagnostics` on the wire: the driver's own form before 2.48, the
//! standard one from it. Counters the driver does not measure are null.

use serde_json::{Value, json};

use crate::domain::Version;
use crate::rpc::GuestDiagnostics;

/// A guest's diagnostics.
pub fn render(d: &GuestDiagnostics, version: Version) -> Value {
    if !version.at_least(48) {
        let mut v = json!({"state": d.state, "uptime": d.uptime, "num_cpus": d.num_cpus, "memory": d.memory_mb * 1024});
        for (i, gb) in d.disks_gb.iter().enumerate() {
            v[format!("disk{i}_capacity_gb")] = json!(gb);
        }
        return v;
    }
    let disks: Vec<Value> = d
        .disks_gb
        .iter()
        .map(|_| json!({"read_bytes": null, "read_requests": null, "write_bytes": null, "write_requests": null, "errors_count": null}))
        .collect();
    json!({
        "state": d.state, "driver": d.driver, "hypervisor": d.hypervisor, "hypervisor_os": d.hypervisor_os,
        "uptime": d.uptime, "config_drive": d.config_drive, "num_cpus": d.num_cpus, "num_nics": 0,
        "num_disks": d.disks_gb.len(), "cpu_details": [], "nic_details": [], "disk_details": disks,
        "memory_details": {"maximum": d.memory_mb, "used": null},
    })
}
