//! `POST /servers/{id}/action` on the wire: which action a body asks for, its
//! arguments checked as Nova's schemas check them.

use serde_json::{Map, Value};

use super::{invalid, only_keys, py_repr, required, string};
use crate::domain::{Error, Result, Version};
use crate::rpc::Operation;

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
}

/// Nova's actions that Ferrostack does not carry out yet: each answers 501 saying so.
const NOT_YET_SERVED: [&str; 31] = [
    "rebuild",
    "resize",
    "confirmResize",
    "revertResize",
    "shelve",
    "shelveOffload",
    "unshelve",
    "createImage",
    "createBackup",
    "migrate",
    "os-migrateLive",
    "evacuate",
    "os-getConsoleOutput",
    "rescue",
    "unrescue",
    "os-resetState",
    "changePassword",
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
        n if NOT_YET_SERVED.contains(&n) => {
            Err(Error::NotImplemented(format!("The server action {n} is not implemented in Ferrostack yet.")))
        }
        n => Err(Error::BadRequest(format!("There is no such action: {n}"))),
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
    fn unserved_actions_say_so_and_unknown_ones_are_bad_requests() {
        assert!(matches!(parse_action(&json!({"shelve": null}), v(1)), Err(Error::NotImplemented(_))));
        match parse_action(&json!({"fly": null}), v(1)) {
            Err(Error::BadRequest(m)) => assert_eq!(m, "There is no such action: fly"),
            other => panic!("{other:?}"),
        }
        assert!(parse_action(&json!({"os-start": null, "os-stop": null}), v(1)).is_err());
    }
}
