//! `os-hypervisors` and `os-availability-zone` views per microversion.

use serde_json::{Value, json};

use super::{last, strict_bool, strict_query};
use crate::domain::hypervisors::{HypervisorView, Zone};
use crate::domain::{Error, ItemId, Result, Version};
use crate::store::cell::InstanceRow;

/// `GET /os-hypervisors[/detail]` parameters (2.33 paging, 2.53 pattern and servers).
#[derive(Debug, Clone, Default)]
pub struct HypervisorQuery {
    pub pattern: Option<String>,
    pub with_servers: bool,
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

/// Parses a hypervisor list query.
pub fn parse_list_query(pairs: &[(String, String)], version: Version) -> Result<HypervisorQuery> {
    let mut allowed = Vec::new();
    if version.at_least(33) {
        allowed.extend(["limit", "marker"]);
    }
    if version.at_least(53) {
        allowed.extend(["hypervisor_hostname_pattern", "with_servers"]);
    }
    strict_query(pairs, &allowed, version.at_least(53))?;
    let with_servers = match last(pairs, "with_servers") {
        Some(v) if version.at_least(53) => {
            strict_bool(v).ok_or_else(|| super::invalid_query("with_servers", v, &format!("'{v}' is not a valid boolean")))?
        }
        _ => false,
    };
    let pattern = last(pairs, "hypervisor_hostname_pattern").filter(|_| version.at_least(53)).map(str::to_owned);
    if pattern.is_some() && (last(pairs, "limit").is_some() || last(pairs, "marker").is_some()) {
        return Err(Error::BadRequest(
            "Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.".into(),
        ));
    }
    Ok(HypervisorQuery {
        pattern,
        with_servers,
        limit: if version.at_least(33) { super::parse_limit(pairs)? } else { None },
        marker: last(pairs, "marker").filter(|_| version.at_least(33)).map(str::to_owned),
    })
}

/// A hypervisor id in a path: an integer before 2.53, a uuid from then on.
pub fn parse_id(id: &str, version: Version) -> Result<ItemId> {
    if version.at_least(53) {
        uuid::Uuid::parse_str(id).map_err(|_| Error::BadRequest(format!("Invalid uuid {id}")))?;
        Ok(ItemId::Uuid(id.to_owned()))
    } else {
        id.parse().map(ItemId::Number).map_err(|_| Error::NotFound(format!("Hypervisor with ID {id} could not be found.")))
    }
}

/// The page of `hypervisors` after `marker` (a uuid from 2.53, an id before).
pub fn page(hypervisors: Vec<HypervisorView>, q: &HypervisorQuery, version: Version) -> Result<Vec<HypervisorView>> {
    let start = match &q.marker {
        None => 0,
        Some(m) => {
            let at = hypervisors.iter().position(|h| if version.at_least(53) { &h.node.uuid == m } else { h.node.id.to_string() == *m });
            at.ok_or_else(|| Error::BadRequest(format!("marker [{m}] not found")))? + 1
        }
    };
    Ok(hypervisors.into_iter().skip(start).take(q.limit.unwrap_or(usize::MAX)).collect())
}

/// A hypervisor, brief or detailed; `uptime` is shown in detailed views from 2.88, and
/// the servers on it when asked for (an empty list only from 2.75, as Nova shows it).
pub fn render(h: &HypervisorView, version: Version, detailed: bool, uptime: Option<&str>, servers: Option<&[InstanceRow]>) -> Value {
    let uuids = version.at_least(53);
    let n = &h.node.report;
    let mut v = json!({
        "id": if uuids { json!(h.node.uuid) } else { json!(h.node.id) },
        "hypervisor_hostname": n.hypervisor_hostname,
        "state": if h.service.up { "up" } else { "down" },
        "status": if h.service.service.disabled { "disabled" } else { "enabled" },
    });
    if detailed {
        v["hypervisor_type"] = json!(n.hypervisor_type);
        v["hypervisor_version"] = json!(n.hypervisor_version);
        v["host_ip"] = json!(n.host_ip);
        v["service"] = json!({
            "id": if uuids { json!(h.service.service.uuid) } else { json!(h.service.service.id) },
            "host": n.host,
            "disabled_reason": h.service.service.disabled_reason,
        });
        if version.at_least(88) {
            v["uptime"] = json!(uptime);
        } else {
            v["vcpus"] = json!(n.vcpus);
            v["memory_mb"] = json!(n.memory_mb);
            v["local_gb"] = json!(n.local_gb);
            v["vcpus_used"] = json!(n.vcpus_used);
            v["memory_mb_used"] = json!(n.memory_mb_used);
            v["local_gb_used"] = json!(n.local_gb_used);
            v["free_ram_mb"] = json!(n.memory_mb - n.memory_mb_used);
            v["free_disk_gb"] = json!(n.local_gb - n.local_gb_used);
            v["current_workload"] = json!(0);
            v["running_vms"] = json!(n.running_vms);
            v["disk_available_least"] = json!(n.local_gb - n.local_gb_used);
            v["cpu_info"] = if version.at_least(28) { serde_json::from_str(&n.cpu_info).unwrap_or(json!({})) } else { json!(n.cpu_info) };
        }
    }
    if let Some(servers) = servers
        && (!servers.is_empty() || version.at_least(75))
    {
        let listed: Vec<Value> = servers.iter().map(|i| json!({"name": format!("instance-{}", &i.uuid[..8]), "uuid": i.uuid})).collect();
        v["servers"] = json!(listed);
    }
    v
}

/// `GET /os-hypervisors/statistics` (before 2.88).
pub fn render_statistics(all: &[HypervisorView]) -> Value {
    let sum = |f: &dyn Fn(&HypervisorView) -> i64| all.iter().map(f).sum::<i64>();
    json!({"hypervisor_statistics": {
        "count": all.len(),
        "vcpus": sum(&|h| h.node.report.vcpus),
        "memory_mb": sum(&|h| h.node.report.memory_mb),
        "local_gb": sum(&|h| h.node.report.local_gb),
        "vcpus_used": sum(&|h| h.node.report.vcpus_used),
        "memory_mb_used": sum(&|h| h.node.report.memory_mb_used),
        "local_gb_used": sum(&|h| h.node.report.local_gb_used),
        "free_ram_mb": sum(&|h| h.node.report.memory_mb - h.node.report.memory_mb_used),
        "free_disk_gb": sum(&|h| h.node.report.local_gb - h.node.report.local_gb_used),
        "current_workload": 0,
        "running_vms": sum(&|h| h.node.report.running_vms),
        "disk_available_least": sum(&|h| h.node.report.local_gb - h.node.report.local_gb_used),
    }})
}

/// `GET /os-availability-zone[/detail]`.
pub fn render_zones(zones: &[Zone], detailed: bool) -> Value {
    let items: Vec<Value> = zones
        .iter()
        .map(|z| {
            let hosts = if detailed {
                let hosts: serde_json::Map<String, Value> = z
                    .hosts
                    .iter()
                    .map(|(host, services)| {
                        let services: serde_json::Map<String, Value> = services
                            .iter()
                            .map(|(binary, s)| {
                                let updated = s.service.updated_at.unwrap_or(s.service.created_at);
                                let state = json!({"available": s.up, "active": !s.service.disabled,
                                                   "updated_at": common::time::keystone_resource_time(updated)});
                                (binary.clone(), state)
                            })
                            .collect();
                        (host.clone(), Value::Object(services))
                    })
                    .collect();
                Value::Object(hosts)
            } else {
                Value::Null
            };
            json!({"zoneName": z.name, "zoneState": {"available": z.available}, "hosts": hosts})
        })
        .collect();
    json!({ "availabilityZoneInfo": items })
}
