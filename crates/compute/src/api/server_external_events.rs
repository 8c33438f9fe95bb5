//! `/os-server-external-events` on the wire.

use serde_json::{Map, Value, json};

use super::{invalid, only_keys, py_repr, required, string, wrapped_array};
use crate::domain::server_external_events::{EventOutcome, ReportedEvent};
use crate::domain::{Error, Result, Version};
use crate::rpc::ExternalEvent;

/// The event names each microversion accepts.
fn names(version: Version) -> Vec<&'static str> {
    let mut names = vec!["network-changed", "network-vif-plugged", "network-vif-unplugged", "network-vif-deleted"];
    for (minor, name) in [(51, "volume-extended"), (76, "power-update"), (82, "accelerator-request-bound"), (93, "volume-reimaged")] {
        if version.at_least(minor) {
            names.push(name);
        }
    }
    names
}

fn event(v: &Value, version: Version) -> Result<ReportedEvent> {
    let obj: &Map<String, Value> = v.as_object().ok_or_else(|| invalid("events", v, &format!("{} is not of type 'object'", py_repr(v))))?;
    only_keys(obj, &["name", "server_uuid", "status", "tag"], Some("events"))?;
    let name = required(obj, "name", "events")?;
    let allowed = names(version);
    if !name.as_str().is_some_and(|n| allowed.contains(&n)) {
        return Err(invalid("name", name, &format!("{} is not one of {:?}", py_repr(name), allowed)));
    }
    let server = string("server_uuid", required(obj, "server_uuid", "events")?, 1, 36)?;
    if uuid::Uuid::parse_str(&server).is_err() {
        return Err(invalid("server_uuid", &obj["server_uuid"], &format!("'{server}' is not a 'uuid'")));
    }
    let status = match obj.get("status") {
        None => "completed".to_owned(),
        Some(s) if matches!(s.as_str(), Some("failed" | "completed" | "in-progress")) => s.as_str().unwrap_or_default().to_owned(),
        Some(s) => return Err(invalid("status", s, &format!("{} is not one of ['failed', 'completed', 'in-progress']", py_repr(s)))),
    };
    let tag = obj.get("tag").map(|t| string("tag", t, 0, 255)).transpose()?;
    Ok(ReportedEvent { server_uuid: server, event: ExternalEvent { name: name.as_str().unwrap_or_default().to_owned(), status, tag } })
}

/// A create body: at least one event.
pub fn parse_create(body: &Value, version: Version) -> Result<Vec<ReportedEvent>> {
    let events = wrapped_array(body, "events")?;
    if events.is_empty() {
        return Err(Error::BadRequest("Invalid input for field/attribute events. Value: []. [] should be non-empty".into()));
    }
    events.iter().map(|e| event(e, version)).collect()
}

/// The answer: each event with its code, and 200 when all were handed on (207 else).
pub fn render(outcomes: &[EventOutcome]) -> (u16, Value) {
    let all_ok = outcomes.iter().all(|o| o.code == 200);
    let events: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let mut e = json!({
                "name": o.reported.event.name, "server_uuid": o.reported.server_uuid, "code": o.code,
                "status": if o.code == 200 { "completed" } else { "failed" },
            });
            if let Some(tag) = &o.reported.event.tag {
                e["tag"] = json!(tag);
            }
            e
        })
        .collect();
    (if all_ok { 200 } else { 207 }, json!({"events": events}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_follow_the_microversion() {
        let body =
            |name: &str| json!({"events": [{"name": name, "server_uuid": "2f1ac6a6-58ad-4b55-9c36-2a1b3a0b7c8e", "tag": "POWER_ON"}]});
        assert!(parse_create(&body("network-vif-plugged"), Version(1)).is_ok());
        assert!(parse_create(&body("power-update"), Version(75)).is_err());
        assert_eq!(parse_create(&body("power-update"), Version(76)).unwrap()[0].event.status, "completed");
        assert!(parse_create(&json!({"events": []}), Version(1)).is_err());
        assert!(parse_create(&json!({"events": [{"name": "network-changed", "server_uuid": "nope"}]}), Version(1)).is_err());
    }
}
