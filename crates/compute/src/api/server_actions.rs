//! `POST /servers/{id}/action` on the wire: which action a body asks for, its
//! arguments checked as Nova's schemas check them.

use serde_json::{Map, Value};

use base64::Engine;

use super::servers::{access_ip, metadata, reference};
use super::{boolean, invalid, only_keys, printable_name, py_repr, required, string};
use crate::domain::server_actions::Rebuild;
use crate::domain::{Error, Result, Version};
use crate::rpc::Operation;
use crate::states::VmState;

/// An action Ferrostack carries out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAction {
    /// A power operation the server's host carries out.
    Operate(Operation),
    /// Lock, with a reason from 2.73.
    Lock(Option<String>),
    /// Unlock.
    Unlock,
    /// Delete at once, whatever the state (`forceDelete`).
    ForceDelete,
    /// Restore a soft-deleted server.
    Restore,
    /// Rebuild from an image.
    Rebuild(Box<Rebuild>),
    /// Set the vm state (admins).
    ResetState(VmState),
    /// Shelve (and offload at once).
    Shelve,
    /// Offload a shelved server.
    ShelveOffload,
    /// Unshelve, into a zone (2.77) or onto a host (2.91) when given.
    Unshelve { availability_zone: Option<String>, host: Option<String> },
    /// Back up into a new image, keeping `rotation` backups of the type.
    CreateBackup { name: String, rotation: crate::rpc::Rotation, metadata: std::collections::BTreeMap<String, String> },
    /// Rescue, with this admin password and from this image when given.
    Rescue { admin_pass: Option<String>, image: Option<String> },
    /// Unrescue.
    Unrescue,
    /// Set the guest's admin password.
    ChangePassword(String),
    /// Snapshot into a new image with this name and metadata.
    CreateImage { name: String, metadata: std::collections::BTreeMap<String, String> },
    /// One of Nova's actions Ferrostack does not carry out yet.
    NotServed(&'static str),
}

/// Nova's actions that Ferrostack does not carry out yet: each answers 501 saying so.
const NOT_YET_SERVED: [&str; 21] = [
    "resize",
    "confirmResize",
    "revertResize",
    "migrate",
    "os-migrateLive",
    "evacuate",
    "os-getConsoleOutput",
    "addSecurityGroup",
    "removeSecurityGroup",
    "addFixedIp",
    "removeFixedIp",
    "addFloatingIp",
    "removeFloatingIp",
    "injectNetworkInfo",
    "resetNetwork",
    "trigger_crash_dump",
    "os-getVNCConsole",
    "os-getSPICEConsole",
    "os-getSerialConsole",
    "os-getRDPConsole",
    "os-getMKSConsole",
];

/// An action that takes no arguments: Nova's schemas want `null` (clients send it).
fn no_arguments(action: &str, v: &Value) -> Result<()> {
    match v {
        Value::Null => Ok(()),
        Value::Object(m) if m.is_empty() => Ok(()),
        other => Err(invalid(action, other, &format!("{} is not of type 'null'", py_repr(other)))),
    }
}

fn reboot(v: &Value) -> Result<Operation> {
    let obj: &Map<String, Value> = v.as_object().ok_or_else(|| invalid("reboot", v, &format!("{} is not of type 'object'", py_repr(v))))?;
    only_keys(obj, &["type"], Some("reboot"))?;
    let kind = required(obj, "type", "reboot")?;
    match kind.as_str() {
        Some("HARD" | "Hard" | "hard") => Ok(Operation::Reboot { hard: true }),
        Some("SOFT" | "Soft" | "soft") => Ok(Operation::Reboot { hard: false }),
        _ => Err(invalid("type", kind, &format!("{} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']", py_repr(kind)))),
    }
}

fn lock(v: &Value, version: Version) -> Result<Option<String>> {
    if !version.at_least(73) {
        return no_arguments("lock", v).map(|()| None);
    }
    match v {
        Value::Null => Ok(None),
        Value::Object(obj) => {
            only_keys(obj, &["locked_reason"], Some("lock"))?;
            obj.get("locked_reason").map(|r| string("locked_reason", r, 0, 255)).transpose()
        }
        other => Err(invalid("lock", other, &format!("{} is not of type 'object', 'null'", py_repr(other)))),
    }
}

/// Null or a string: `Some(None)` for null, as a rebuild unsets with it.
fn nullable(field: &str, v: &Value, max: usize) -> Result<Option<String>> {
    if v.is_null() { Ok(None) } else { string(field, v, 0, max).map(Some) }
}

fn rebuild(v: &Value, version: Version) -> Result<Rebuild> {
    let obj: &Map<String, Value> =
        v.as_object().ok_or_else(|| invalid("rebuild", v, &format!("{} is not of type 'object'", py_repr(v))))?;
    let mut allowed =
        vec!["imageRef", "name", "adminPass", "metadata", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig", "preserve_ephemeral"];
    if !version.at_least(57) {
        allowed.push("personality");
    }
    for (minor, key) in [(19, "description"), (54, "key_name"), (57, "user_data"), (63, "trusted_image_certificates"), (90, "hostname")] {
        if version.at_least(minor) {
            allowed.push(key);
        }
    }
    only_keys(obj, &allowed, Some("rebuild"))?;
    let image = string("imageRef", required(obj, "imageRef", "rebuild")?, 1, 255)?;
    let name = obj
        .get("name")
        .map(|n| {
            let name = string("name", n, 1, 255)?;
            printable_name(&name)?;
            Ok::<_, Error>(name)
        })
        .transpose()?;
    if let Some(d) = obj.get("OS-DCF:diskConfig")
        && !matches!(d.as_str(), Some("AUTO" | "MANUAL"))
    {
        return Err(invalid("OS-DCF:diskConfig", d, &format!("{} is not one of ['AUTO', 'MANUAL']", py_repr(d))));
    }
    if let Some(p) = obj.get("preserve_ephemeral") {
        boolean("preserve_ephemeral", p)?;
    }
    if obj.get("personality").is_some_and(|p| p.as_array().is_some_and(|a| !a.is_empty())) {
        return Err(Error::BadRequest("Injected files (personality) are not supported by Ferrostack: use user_data or metadata.".into()));
    }
    if obj.get("trusted_image_certificates").is_some_and(|c| c.as_array().is_some_and(|a| !a.is_empty())) {
        return Err(Error::BadRequest("Trusted image certificates are not supported by Ferrostack.".into()));
    }
    let user_data = obj.get("user_data").map(|u| nullable("user_data", u, 65535)).transpose()?;
    if let Some(Some(u)) = &user_data
        && base64::engine::general_purpose::STANDARD.decode(u).is_err()
    {
        return Err(Error::BadRequest("User data needs to be valid base 64.".into()));
    }
    let address = |key: &str, v6: bool| -> Result<Option<Option<String>>> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) if v.as_str() == Some("") => Ok(Some(None)),
            Some(v) => access_ip(key, v, v6).map(Some),
        }
    };
    Ok(Rebuild {
        image_ref: reference(&image),
        name,
        admin_pass: obj.get("adminPass").map(|p| string("adminPass", p, 0, 255)).transpose()?,
        metadata: obj.get("metadata").map(|m| metadata("metadata", m)).transpose()?,
        access_ip_v4: address("accessIPv4", false)?,
        access_ip_v6: address("accessIPv6", true)?,
        description: obj.get("description").map(|d| nullable("description", d, 255)).transpose()?,
        key_name: obj.get("key_name").map(|k| nullable("key_name", k, 255)).transpose()?,
        user_data,
        hostname: obj.get("hostname").map(|h| string("hostname", h, 1, 63)).transpose()?,
    })
}

fn unshelve(v: &Value, version: Version) -> Result<ServerAction> {
    let none = ServerAction::Unshelve { availability_zone: None, host: None };
    let obj = match v {
        Value::Null => return Ok(none),
        Value::Object(o) if version.at_least(77) => o,
        other => return Err(invalid("unshelve", other, &format!("{} is not of type 'null'", py_repr(other)))),
    };
    let allowed: &[&str] = if version.at_least(91) { &["availability_zone", "host"] } else { &["availability_zone"] };
    only_keys(obj, allowed, Some("unshelve"))?;
    let availability_zone = match obj.get("availability_zone") {
        None | Some(Value::Null) => None,
        Some(z) => Some(string("availability_zone", z, 1, 255)?),
    };
    let host = obj.get("host").map(|h| string("host", h, 1, 255)).transpose()?;
    Ok(ServerAction::Unshelve { availability_zone, host })
}

fn create_backup(v: &Value) -> Result<ServerAction> {
    let obj = v.as_object().ok_or_else(|| invalid("createBackup", v, &format!("{} is not of type 'object'", py_repr(v))))?;
    only_keys(obj, &["name", "backup_type", "rotation", "metadata"], Some("createBackup"))?;
    let name = string("name", required(obj, "name", "createBackup")?, 1, 255)?;
    printable_name(&name)?;
    let backup_type = string("backup_type", required(obj, "backup_type", "createBackup")?, 0, 255)?;
    let rotation = required(obj, "rotation", "createBackup")?;
    let keep = match rotation {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid("rotation", rotation, &format!("{} is not a non-negative integer", py_repr(rotation))))?;
    let metadata = obj.get("metadata").map(|m| metadata("metadata", m)).transpose()?.unwrap_or_default();
    let rotation = crate::rpc::Rotation { backup_type, keep: usize::try_from(keep).unwrap_or(usize::MAX) };
    Ok(ServerAction::CreateBackup { name, rotation, metadata })
}

fn rescue(v: &Value) -> Result<ServerAction> {
    let obj = match v {
        Value::Null => return Ok(ServerAction::Rescue { admin_pass: None, image: None }),
        Value::Object(o) => o,
        other => return Err(invalid("rescue", other, &format!("{} is not of type 'object', 'null'", py_repr(other)))),
    };
    only_keys(obj, &["adminPass", "rescue_image_ref"], Some("rescue"))?;
    let admin_pass = obj.get("adminPass").map(|p| string("adminPass", p, 0, 255)).transpose()?;
    let image = obj.get("rescue_image_ref").map(|i| string("rescue_image_ref", i, 1, 255)).transpose()?.map(|i| reference(&i));
    Ok(ServerAction::Rescue { admin_pass, image })
}

fn change_password(v: &Value) -> Result<ServerAction> {
    let obj = v.as_object().ok_or_else(|| invalid("changePassword", v, &format!("{} is not of type 'object'", py_repr(v))))?;
    only_keys(obj, &["adminPass"], Some("changePassword"))?;
    let password = required(obj, "adminPass", "changePassword")?;
    // Never quote a password back: the message names the field only.
    let password =
        password.as_str().ok_or_else(|| Error::BadRequest("Invalid input for field/attribute adminPass: it must be a string.".into()))?;
    Ok(ServerAction::ChangePassword(password.to_owned()))
}

fn create_image(v: &Value) -> Result<ServerAction> {
    let obj = v.as_object().ok_or_else(|| invalid("createImage", v, &format!("{} is not of type 'object'", py_repr(v))))?;
    only_keys(obj, &["name", "metadata"], Some("createImage"))?;
    let name = string("name", required(obj, "name", "createImage")?, 1, 255)?;
    printable_name(&name)?;
    let metadata = obj.get("metadata").map(|m| metadata("metadata", m)).transpose()?.unwrap_or_default();
    Ok(ServerAction::CreateImage { name, metadata })
}

fn reset_state(v: &Value) -> Result<VmState> {
    let obj = v.as_object().ok_or_else(|| invalid("os-resetState", v, &format!("{} is not of type 'object'", py_repr(v))))?;
    only_keys(obj, &["state"], Some("os-resetState"))?;
    let state = required(obj, "state", "os-resetState")?;
    match state.as_str() {
        Some("active") => Ok(VmState::Active),
        Some("error") => Ok(VmState::Error),
        _ => Err(invalid("state", state, &format!("{} is not one of ['active', 'error']", py_repr(state)))),
    }
}

/// The action an action body asks for: its one key names it.
pub fn parse_action(body: &Value, version: Version) -> Result<ServerAction> {
    let top = body.as_object().ok_or_else(|| Error::BadRequest("Malformed request body".into()))?;
    let mut keys = top.iter();
    let (name, args) = match (keys.next(), keys.next()) {
        (Some((k, v)), None) => (k.as_str(), v),
        (None, _) => return Err(Error::BadRequest("Malformed request body: it names no action".into())),
        _ => return Err(Error::BadRequest("Malformed request body: an action body names exactly one action".into())),
    };
    let operate = |op| no_arguments(name, args).map(|()| ServerAction::Operate(op));
    match name {
        "os-start" => operate(Operation::Start),
        "os-stop" => operate(Operation::Stop),
        "pause" => operate(Operation::Pause),
        "unpause" => operate(Operation::Unpause),
        "suspend" => operate(Operation::Suspend),
        "resume" => operate(Operation::Resume),
        "reboot" => reboot(args).map(ServerAction::Operate),
        "lock" => lock(args, version).map(ServerAction::Lock),
        "unlock" => no_arguments(name, args).map(|()| ServerAction::Unlock),
        "forceDelete" => no_arguments(name, args).map(|()| ServerAction::ForceDelete),
        "restore" => no_arguments(name, args).map(|()| ServerAction::Restore),
        "os-resetState" => reset_state(args).map(ServerAction::ResetState),
        "createImage" => create_image(args),
        "createBackup" => create_backup(args),
        "rescue" => rescue(args),
        "unrescue" => no_arguments(name, args).map(|()| ServerAction::Unrescue),
        "changePassword" => change_password(args),
        "shelve" => no_arguments(name, args).map(|()| ServerAction::Shelve),
        "shelveOffload" => no_arguments(name, args).map(|()| ServerAction::ShelveOffload),
        "unshelve" => unshelve(args, version),
        "rebuild" => rebuild(args, version).map(|r| ServerAction::Rebuild(Box::new(r))),
        n => match NOT_YET_SERVED.iter().find(|a| **a == n) {
            Some(action) => Ok(ServerAction::NotServed(action)),
            None => Err(Error::BadRequest(format!("There is no such action: {n}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn v(minor: u16) -> Version {
        Version(minor)
    }

    #[test]
    fn power_actions_take_null_and_reboot_takes_a_type() {
        assert_eq!(parse_action(&json!({"os-stop": null}), v(1)).unwrap(), ServerAction::Operate(Operation::Stop));
        assert_eq!(
            parse_action(&json!({"reboot": {"type": "hard"}}), v(1)).unwrap(),
            ServerAction::Operate(Operation::Reboot { hard: true })
        );
        assert!(matches!(parse_action(&json!({"reboot": {"type": "WARM"}}), v(1)), Err(Error::BadRequest(_))));
        assert!(matches!(parse_action(&json!({"reboot": {}}), v(1)), Err(Error::BadRequest(_))));
        assert!(matches!(parse_action(&json!({"pause": 1}), v(1)), Err(Error::BadRequest(_))));
    }

    #[test]
    fn a_lock_reason_needs_2_73() {
        assert_eq!(parse_action(&json!({"lock": {"locked_reason": "audit"}}), v(73)).unwrap(), ServerAction::Lock(Some("audit".into())));
        assert!(parse_action(&json!({"lock": {"locked_reason": "audit"}}), v(72)).is_err());
        assert!(parse_action(&json!({"lock": {"locked_reason": "x".repeat(256)}}), v(73)).is_err());
    }

    #[test]
    fn a_rebuild_names_its_image_and_what_else_changes_by_microversion() {
        let r = parse_action(&json!({"rebuild": {"imageRef": "http://img/v2/images/abc", "name": "new", "metadata": {"a": "b"}}}), v(1))
            .unwrap();
        let ServerAction::Rebuild(r) = r else { panic!("{r:?}") };
        assert_eq!((r.image_ref.as_str(), r.name.as_deref(), r.metadata.map(|m| m.len())), ("abc", Some("new"), Some(1)));
        assert!(parse_action(&json!({"rebuild": {"name": "new"}}), v(1)).is_err(), "imageRef is required");
        assert!(parse_action(&json!({"rebuild": {"imageRef": "i", "key_name": null}}), v(53)).is_err(), "key_name arrived in 2.54");
        let r = parse_action(&json!({"rebuild": {"imageRef": "i", "key_name": null, "user_data": null}}), v(57)).unwrap();
        let ServerAction::Rebuild(r) = r else { panic!("{r:?}") };
        assert_eq!((r.key_name, r.user_data), (Some(None), Some(None)), "null unsets");
        assert!(parse_action(&json!({"rebuild": {"imageRef": "i", "OS-DCF:diskConfig": "SOMETIMES"}}), v(1)).is_err());
    }

    #[test]
    fn an_unshelve_names_a_zone_from_2_77_and_a_host_from_2_91() {
        let to = |zone: Option<&str>, host: Option<&str>| ServerAction::Unshelve {
            availability_zone: zone.map(Into::into),
            host: host.map(Into::into),
        };
        assert_eq!(parse_action(&json!({"unshelve": null}), v(1)).unwrap(), to(None, None));
        assert!(parse_action(&json!({"unshelve": {"availability_zone": "z"}}), v(76)).is_err());
        assert_eq!(parse_action(&json!({"unshelve": {"availability_zone": "z"}}), v(77)).unwrap(), to(Some("z"), None));
        assert!(parse_action(&json!({"unshelve": {"host": "h"}}), v(90)).is_err());
        assert_eq!(parse_action(&json!({"unshelve": {"host": "h"}}), v(91)).unwrap(), to(None, Some("h")));
    }

    #[test]
    fn a_backup_names_its_type_and_rotation() {
        let a = parse_action(&json!({"createBackup": {"name": "b", "backup_type": "daily", "rotation": "2"}}), v(1)).unwrap();
        assert!(matches!(a, ServerAction::CreateBackup { rotation, .. } if rotation.keep == 2 && rotation.backup_type == "daily"));
        assert!(parse_action(&json!({"createBackup": {"name": "b", "backup_type": "daily", "rotation": -1}}), v(1)).is_err());
        assert!(parse_action(&json!({"createBackup": {"name": "b", "rotation": 1}}), v(1)).is_err());
    }

    #[test]
    fn a_snapshot_needs_a_name() {
        let a = parse_action(&json!({"createImage": {"name": "snap", "metadata": {"k": "v"}}}), v(1)).unwrap();
        assert!(matches!(a, ServerAction::CreateImage { name, metadata } if name == "snap" && metadata.len() == 1));
        assert!(parse_action(&json!({"createImage": {}}), v(1)).is_err());
        assert!(parse_action(&json!({"createImage": {"name": ""}}), v(1)).is_err());
    }

    #[test]
    fn a_state_reset_is_to_active_or_error() {
        assert_eq!(parse_action(&json!({"os-resetState": {"state": "error"}}), v(1)).unwrap(), ServerAction::ResetState(VmState::Error));
        assert!(parse_action(&json!({"os-resetState": {"state": "stopped"}}), v(1)).is_err());
        assert!(parse_action(&json!({"os-resetState": {"type": "active"}}), v(1)).is_err());
    }

    #[test]
    fn unserved_actions_say_so_and_unknown_ones_are_bad_requests() {
        assert_eq!(parse_action(&json!({"migrate": null}), v(1)).unwrap(), ServerAction::NotServed("migrate"));
        match parse_action(&json!({"fly": null}), v(1)) {
            Err(Error::BadRequest(m)) => assert_eq!(m, "There is no such action: fly"),
            other => panic!("{other:?}"),
        }
        assert!(parse_action(&json!({"os-start": null, "os-stop": null}), v(1)).is_err());
    }
}
