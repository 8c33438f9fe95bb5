//! Nova's versioned notification payloads for what compute serves (instances, flavors,
//! key pairs, aggregates, server groups, services), sent on the notifications bus.

use serde_json::{Value, json};

use crate::states::PowerState;
use crate::store::cell::{FaultRow, InstanceRow, ServiceRow};
use crate::store::{AggregateRow, FlavorRow, KeypairRow, ServerGroupRow};

fn nova(name: &str, version: &str, data: Value) -> Value {
    bus::versioned("nova", name, version, data)
}

/// `FlavorPayload` 1.4.
pub fn flavor(f: &FlavorRow, projects: &[String]) -> Value {
    nova(
        "FlavorPayload",
        "1.4",
        json!({
            "flavorid": f.flavorid, "name": f.name, "memory_mb": f.memory_mb, "vcpus": f.vcpus, "root_gb": f.root_gb,
            "ephemeral_gb": f.ephemeral_gb, "swap": f.swap, "rxtx_factor": f.rxtx_factor, "vcpu_weight": f.vcpu_weight.unwrap_or(0),
            "disabled": f.disabled, "is_public": f.is_public, "extra_specs": f.extra_specs, "projects": projects,
            "description": f.description,
        }),
    )
}

/// `KeypairPayload` 1.0; a key pair about to be created has no fingerprint (and, when
/// generated, no public key) yet.
pub fn keypair(user_id: &str, name: &str, key_type: &str, created: Option<&KeypairRow>, public_key: Option<&str>) -> Value {
    nova(
        "KeypairPayload",
        "1.0",
        json!({
            "user_id": user_id, "name": name, "type": key_type,
            "fingerprint": created.map(|k| k.fingerprint.clone()),
            "public_key": created.map(|k| k.public_key.clone()).or(public_key.map(str::to_owned)),
        }),
    )
}

/// `AggregatePayload` 1.1; before a create, no id and no hosts.
pub fn aggregate(a: &AggregateRow, created: bool) -> Value {
    nova(
        "AggregatePayload",
        "1.1",
        json!({
            "uuid": a.uuid, "name": a.name, "metadata": a.metadata,
            "id": if created { json!(a.id) } else { Value::Null },
            "hosts": if created { json!(a.hosts) } else { Value::Null },
        }),
    )
}

/// `ServerGroupPayload` 1.1 (rule values as strings, as Nova sends them).
pub fn server_group(g: &ServerGroupRow) -> Value {
    let rules = match g.max_server_per_host {
        Some(n) => json!({"max_server_per_host": n.to_string()}),
        None => json!({}),
    };
    nova(
        "ServerGroupPayload",
        "1.1",
        json!({
            "uuid": g.uuid, "name": g.name, "project_id": g.project_id, "user_id": g.user_id,
            "policies": [g.policy], "policy": g.policy, "rules": rules, "members": [], "hosts": null,
        }),
    )
}

/// `ServiceStatusPayload` 1.1.
pub fn service(s: &ServiceRow) -> Value {
    nova(
        "ServiceStatusPayload",
        "1.1",
        json!({
            "uuid": s.uuid, "host": s.host, "binary": s.binary, "topic": s.topic, "disabled": s.disabled,
            "disabled_reason": s.disabled_reason, "forced_down": s.forced_down, "version": 1, "availability_zone": null,
            "report_count": s.report_count,
            "last_seen_up": s.last_seen_up.map(|t| common::time::from_micros(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        }),
    )
}

fn iso(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(common::time::from_micros(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

/// Nova's name for a power state in notifications.
fn power_state_name(p: PowerState) -> &'static str {
    match p {
        PowerState::NoState => "pending",
        PowerState::Running => "running",
        PowerState::Paused => "paused",
        PowerState::Shutdown => "shutdown",
        PowerState::Crashed => "crashed",
        PowerState::Suspended => "suspended",
    }
}

/// `InstanceActionPayload` 1.8, with the fault when the action failed.
pub fn instance_action(i: &InstanceRow, fault: Option<&FaultRow>) -> Value {
    let f = &i.flavor;
    let flavor = nova(
        "FlavorPayload",
        "1.4",
        json!({
            "flavorid": f["flavorid"], "name": f["name"], "memory_mb": f["memory_mb"], "vcpus": f["vcpus"], "root_gb": f["root_gb"],
            "ephemeral_gb": f["ephemeral_gb"], "swap": f["swap"], "extra_specs": f["extra_specs"],
        }),
    );
    let fault = fault.map_or(Value::Null, |x| {
        nova("ExceptionPayload", "1.1", json!({"exception": "InstanceFault", "exception_message": x.message, "module_name": "ferrostack", "function_name": "", "traceback": ""}))
    });
    nova(
        "InstanceActionPayload",
        "1.8",
        json!({
            "uuid": i.uuid, "user_id": i.user_id, "tenant_id": i.project_id, "reservation_id": i.reservation_id,
            "display_name": i.display_name, "display_description": i.display_description, "host_name": i.hostname,
            "host": i.host, "node": i.node, "availability_zone": i.availability_zone, "flavor": flavor,
            "image_uuid": i.image_ref, "key_name": i.key_name, "created_at": iso(Some(i.created_at)),
            "launched_at": iso(i.launched_at), "terminated_at": iso(i.terminated_at), "deleted_at": iso(i.deleted_at),
            "updated_at": iso(Some(i.updated_at)), "state": i.vm_state.as_str(), "task_state": i.task_state.map(|t| t.as_str()),
            "power_state": power_state_name(i.power_state), "progress": i.progress, "ip_addresses": [], "block_devices": [],
            "metadata": i.metadata, "locked": i.locked_by.is_some(), "locked_reason": i.locked_reason,
            "action_initiator_user": i.user_id, "action_initiator_project": i.project_id, "fault": fault,
        }),
    )
}
