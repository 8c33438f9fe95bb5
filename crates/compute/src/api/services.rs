//! `os-services` bodies: list filters, the 2.53 update body and the older
//! enable/disable/force-down actions, and the service view per microversion.

use serde_json::{Value, json};

use super::{boolean, invalid, last, only_keys, py_repr, required, strict_query, string};
use crate::domain::services::{ServiceChange, ServiceView};
use crate::domain::{Error, ItemId, Result, Version};

/// `GET /os-services` filters: (host, binary).
pub fn parse_list_query(pairs: &[(String, String)], version: Version) -> Result<(Option<String>, Option<String>)> {
    strict_query(pairs, &["host", "binary"], version.at_least(75))?;
    Ok((last(pairs, "host").map(str::to_owned), last(pairs, "binary").map(str::to_owned)))
}

/// A service id in a path: an integer before 2.53, a uuid from then on.
pub fn parse_id(id: &str, version: Version) -> Result<ItemId> {
    if version.at_least(53) {
        uuid::Uuid::parse_str(id).map_err(|_| Error::BadRequest(format!("Invalid uuid {id}")))?;
        Ok(ItemId::Uuid(id.to_owned()))
    } else {
        id.parse().map(ItemId::Number).map_err(|_| Error::BadRequest(format!("Invalid service id {id}")))
    }
}

/// `PUT /os-services/{uuid}` (2.53+).
pub fn parse_update(body: &Value) -> Result<ServiceChange> {
    let Some(obj) = body.as_object() else {
        return Err(Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))));
    };
    only_keys(obj, &["status", "disabled_reason", "forced_down"], None)?;
    let status = match obj.get("status") {
        None => None,
        Some(v) => match v.as_str() {
            Some("enabled") => Some(false),
            Some("disabled") => Some(true),
            _ => return Err(invalid("status", v, &format!("{} is not one of ['enabled', 'disabled']", py_repr(v)))),
        },
    };
    let reason = obj.get("disabled_reason").map(|v| string("disabled_reason", v, 1, 255)).transpose()?;
    if reason.is_some() && status != Some(true) {
        let named = obj.get("status").and_then(Value::as_str).unwrap_or("None");
        return Err(Error::BadRequest(format!("Specifying 'disabled_reason' with status '{named}' is invalid.")));
    }
    let forced_down = obj.get("forced_down").map(|v| boolean("forced_down", v)).transpose()?;
    if status.is_none() && forced_down.is_none() {
        return Err(Error::BadRequest("At least one of 'status' or 'forced_down' must be specified in the request body.".into()));
    }
    Ok(ServiceChange { disabled: status, disabled_reason: reason, forced_down })
}

/// The actions of `PUT /os-services/{action}` before 2.53.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyAction {
    Enable,
    Disable,
    DisableLogReason,
    ForceDown,
}

/// A pre-2.53 action's name, body (`host`, `binary`, ...) and change.
pub fn parse_legacy(action: &str, body: &Value, version: Version) -> Result<(LegacyAction, String, String, ServiceChange)> {
    let action = match action {
        "enable" => LegacyAction::Enable,
        "disable" => LegacyAction::Disable,
        "disable-log-reason" => LegacyAction::DisableLogReason,
        "force-down" if version.at_least(11) => LegacyAction::ForceDown,
        other => return Err(Error::NotFound(format!("Unknown action {other}"))),
    };
    let Some(obj) = body.as_object() else {
        return Err(Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))));
    };
    let allowed: &[&str] = match action {
        LegacyAction::Enable | LegacyAction::Disable => &["host", "binary"],
        LegacyAction::DisableLogReason => &["host", "binary", "disabled_reason"],
        LegacyAction::ForceDown => &["host", "binary", "forced_down"],
    };
    only_keys(obj, allowed, None)?;
    let host = string("host", required(obj, "host", "service")?, 1, 255)?;
    let binary = string("binary", required(obj, "binary", "service")?, 1, 255)?;
    let change = match action {
        LegacyAction::Enable => ServiceChange { disabled: Some(false), ..Default::default() },
        LegacyAction::Disable => ServiceChange { disabled: Some(true), ..Default::default() },
        LegacyAction::DisableLogReason => ServiceChange {
            disabled: Some(true),
            disabled_reason: Some(string("disabled_reason", required(obj, "disabled_reason", "service")?, 1, 255)?),
            ..Default::default()
        },
        LegacyAction::ForceDown => {
            ServiceChange { forced_down: Some(boolean("forced_down", required(obj, "forced_down", "service")?)?), ..Default::default() }
        }
    };
    Ok((action, host, binary, change))
}

/// The reply to a pre-2.53 action.
pub fn render_legacy(action: LegacyAction, s: &ServiceView) -> Value {
    let mut v = json!({"host": s.service.host, "binary": s.service.binary});
    match action {
        LegacyAction::ForceDown => v["forced_down"] = json!(s.service.forced_down),
        LegacyAction::DisableLogReason => {
            v["status"] = json!(status(s));
            v["disabled_reason"] = json!(s.service.disabled_reason);
        }
        LegacyAction::Enable | LegacyAction::Disable => v["status"] = json!(status(s)),
    }
    json!({ "service": v })
}

fn status(s: &ServiceView) -> &'static str {
    if s.service.disabled { "disabled" } else { "enabled" }
}

/// A service.
pub fn render(s: &ServiceView, version: Version) -> Value {
    let id = if version.at_least(53) { json!(s.service.uuid) } else { json!(s.service.id) };
    let updated = s.service.updated_at.unwrap_or(s.service.created_at);
    let mut v = json!({
        "id": id,
        "binary": s.service.binary,
        "disabled_reason": s.service.disabled_reason,
        "host": s.service.host,
        "state": if s.up { "up" } else { "down" },
        "status": status(s),
        "updated_at": common::time::keystone_resource_time(updated),
        "zone": s.zone,
    });
    if version.at_least(11) {
        v["forced_down"] = json!(s.service.forced_down);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_need_a_change_and_reasons_go_with_disabling() {
        assert_eq!(parse_update(&json!({"status": "disabled", "disabled_reason": "maintenance"})).unwrap().disabled, Some(true));
        let e = parse_update(&json!({"status": "enabled", "disabled_reason": "x"})).unwrap_err().to_string();
        assert_eq!(e, "Specifying 'disabled_reason' with status 'enabled' is invalid.");
        assert!(parse_update(&json!({})).is_err());
        assert!(parse_update(&json!({"status": "paused"})).is_err());
        assert_eq!(parse_update(&json!({"forced_down": true})).unwrap().forced_down, Some(true));
        assert!(parse_id("1", Version(52)).is_ok() && parse_id("1", Version(53)).is_err());
    }

    #[test]
    fn legacy_actions_name_the_service_by_host_and_binary() {
        let (a, host, _, change) =
            parse_legacy("disable-log-reason", &json!({"host": "h", "binary": "nova-compute", "disabled_reason": "r"}), Version(1))
                .unwrap();
        assert_eq!((a, host.as_str(), change.disabled_reason.as_deref()), (LegacyAction::DisableLogReason, "h", Some("r")));
        assert!(parse_legacy("force-down", &json!({"host": "h", "binary": "b", "forced_down": true}), Version(10)).is_err());
        assert!(parse_legacy("enable", &json!({"host": "h"}), Version(1)).is_err());
    }
}
