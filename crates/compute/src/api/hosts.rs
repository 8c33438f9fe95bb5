//! `/os-hosts` on the wire (up to 2.42).

use serde_json::{Value, json};

use super::{invalid, only_keys, py_repr};
use crate::domain::hosts::HostResource;
use crate::domain::services::ServiceView;
use crate::domain::{Error, Result};

/// The newest microversion `/os-hosts` answers at.
pub const MAX_MINOR: u16 = 42;

/// A host as listed: each service's host, topic and zone.
pub fn render_listed(s: &ServiceView) -> Value {
    json!({"host_name": s.service.host, "service": s.service.topic, "zone": s.zone})
}

/// A compute host's resources.
pub fn render_resources(host: &str, lines: &[HostResource]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|l| json!({"resource": {"host": host, "project": l.project, "cpu": l.cpu, "memory_mb": l.memory_mb, "disk_gb": l.disk_gb}}))
        .collect();
    json!({ "host": items })
}

/// What an update asks: enable or disable the host, and (not served) maintenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostUpdate {
    pub enable: Option<bool>,
    pub maintenance: Option<bool>,
}

fn switch(field: &str, v: &Value) -> Result<bool> {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("enable") => Ok(true),
        Some("disable") => Ok(false),
        _ => {
            Err(invalid(field, v, &format!("{} is not one of ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE']", py_repr(v))))
        }
    }
}

/// An update body: `status`, `maintenance_mode`, or both.
pub fn parse_update(body: &Value) -> Result<HostUpdate> {
    let obj = body.as_object().ok_or_else(|| Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))))?;
    only_keys(obj, &["status", "maintenance_mode"], None)?;
    let update = HostUpdate {
        enable: obj.get("status").map(|v| switch("status", v)).transpose()?,
        maintenance: obj.get("maintenance_mode").map(|v| switch("maintenance_mode", v)).transpose()?,
    };
    if update.enable.is_none() && update.maintenance.is_none() {
        return Err(Error::BadRequest(format!("{} is not valid under any of the given schemas", py_repr(body))));
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_a_status_or_maintenance() {
        assert_eq!(parse_update(&json!({"status": "Disable"})).unwrap(), HostUpdate { enable: Some(false), maintenance: None });
        assert!(parse_update(&json!({})).is_err());
        assert!(parse_update(&json!({"status": "off"})).is_err());
        assert!(parse_update(&json!({"status": "enable", "reboot": true})).is_err());
    }
}
