//! `os-aggregates` bodies and views.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{invalid, is_printable, only_keys, printable_name, py_repr, required, string, wrapped};
use crate::domain::aggregates::AZ_KEY;
use crate::domain::{Error, Result, Version};
use crate::store::AggregateRow;

/// An aggregate id in a path: an integer (`-1` included, which then is not found).
pub fn parse_id(id: &str) -> Result<i64> {
    id.trim().parse().map_err(|_| Error::BadRequest("Invalid input received: id must be an integer".into()))
}

/// An availability zone name: printable, no `:`, not starting or ending with whitespace.
fn zone(v: &Value) -> Result<Option<String>> {
    if v.is_null() {
        return Ok(None);
    }
    let bad = || invalid("availability_zone", v, &format!("{} is not valid under any of the given schemas", py_repr(v)));
    let s = v.as_str().ok_or_else(bad)?;
    let trimmed = !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace);
    if s.is_empty() || s.chars().count() > 255 || s.contains(':') || !trimmed || !s.chars().all(is_printable) {
        return Err(bad());
    }
    Ok(Some(s.to_owned()))
}

/// `POST /os-aggregates`: (name, zone).
pub fn parse_create(body: &Value) -> Result<(String, Option<String>)> {
    let a = wrapped(body, "aggregate")?;
    only_keys(a, &["name", "availability_zone"], Some("aggregate"))?;
    let name = string("name", required(a, "name", "aggregate")?, 1, 255)?;
    printable_name(&name)?;
    Ok((name, a.get("availability_zone").map(zone).transpose()?.flatten()))
}

/// `PUT /os-aggregates/{id}`: a new name (stripped, as Nova strips it) and/or a zone
/// (`Some(None)` when the body asks for none, which the domain refuses).
pub fn parse_update(body: &Value) -> Result<(Option<String>, Option<Option<String>>)> {
    let a = wrapped(body, "aggregate")?;
    only_keys(a, &["name", "availability_zone"], Some("aggregate"))?;
    if a.is_empty() {
        return Err(invalid("aggregate", &json!({}), "{} is not valid under any of the given schemas"));
    }
    let name = match a.get("name") {
        None => None,
        Some(v) => {
            let s = string("name", v, 1, 255)?;
            if s.trim().is_empty() || !s.chars().all(is_printable) {
                return Err(Error::BadRequest(
                    "An invalid 'name' value was provided. The name must be: printable characters with at least one non space character"
                        .into(),
                ));
            }
            Some(s.trim().to_owned())
        }
    };
    Ok((name, a.get("availability_zone").map(zone).transpose()?))
}

/// An action on an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    AddHost(String),
    RemoveHost(String),
    /// Keys to set (`Some`) or remove (`None`).
    SetMetadata(BTreeMap<String, Option<String>>),
}

fn host(v: &Value) -> Result<String> {
    let s = string("host", v, 1, 255)?;
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
        return Err(invalid("host", v, &format!("{} does not match '^[a-zA-Z0-9-._]*$'", py_repr(v))));
    }
    Ok(s)
}

/// `POST /os-aggregates/{id}/action`.
pub fn parse_action(body: &Value) -> Result<Action> {
    let Some(obj) = body.as_object() else {
        return Err(Error::BadRequest("Malformed request body".into()));
    };
    if obj.len() != 1 {
        return Err(Error::BadRequest("Malformed request body".into()));
    }
    let name = obj.keys().next().ok_or_else(|| Error::BadRequest("Malformed request body".into()))?;
    let inner = match name.as_str() {
        "add_host" | "remove_host" | "set_metadata" => wrapped(body, name)?,
        other => return Err(Error::BadRequest(format!("There is no such action: {other}"))),
    };
    match name.as_str() {
        "set_metadata" => {
            only_keys(inner, &["metadata"], Some(name))?;
            let metadata = required(inner, "metadata", name)?;
            let Some(map) = metadata.as_object() else {
                return Err(invalid("metadata", metadata, &format!("{} is not of type 'object'", py_repr(metadata))));
            };
            let mut changes = BTreeMap::new();
            for (k, v) in map {
                let key_ok = (1..=255).contains(&k.chars().count())
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | ' '));
                if !key_ok {
                    return Err(invalid("metadata", metadata, &format!("Additional properties are not allowed ('{k}' was unexpected)")));
                }
                let value = match v {
                    Value::Null => None,
                    Value::String(s) if s.chars().count() <= 255 => Some(s.clone()),
                    other => return Err(invalid(k, other, &format!("{} is not valid under any of the given schemas", py_repr(other)))),
                };
                changes.insert(k.clone(), value);
            }
            Ok(Action::SetMetadata(changes))
        }
        action => {
            only_keys(inner, &["host"], Some(action))?;
            let h = host(required(inner, "host", action)?)?;
            Ok(if action == "add_host" { Action::AddHost(h) } else { Action::RemoveHost(h) })
        }
    }
}

/// An aggregate; `created` leaves out hosts and metadata, as Nova's create does.
pub fn render(a: &AggregateRow, version: Version, created: bool) -> Value {
    let mut v = json!({
        "availability_zone": a.metadata.get(AZ_KEY),
        "created_at": common::time::keystone_resource_time(a.created_at),
        "deleted": false,
        "deleted_at": null,
        "id": a.id,
        "name": a.name,
        "updated_at": a.updated_at.map(common::time::keystone_resource_time),
    });
    if !created {
        v["hosts"] = json!(a.hosts);
        v["metadata"] = json!(a.metadata);
    }
    if version.at_least(41) {
        v["uuid"] = json!(a.uuid);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_novas_schema() {
        assert_eq!(parse_create(&json!({"aggregate": {"name": "a", "availability_zone": "z"}})).unwrap(), ("a".into(), Some("z".into())));
        assert!(parse_create(&json!({"aggregate": {"name": ""}})).is_err());
        assert!(parse_create(&json!({"aggregate": {"name": "a", "availability_zone": "bad:zone"}})).is_err());
        assert!(parse_create(&json!({"aggregate": {"name": "a".repeat(256)}})).is_err());
        assert_eq!(parse_update(&json!({"aggregate": {"name": "  padded  "}})).unwrap().0.as_deref(), Some("padded"));
        assert_eq!(parse_update(&json!({"aggregate": {"availability_zone": null}})).unwrap().1, Some(None));
        assert!(parse_update(&json!({"aggregate": {}})).is_err());
        assert_eq!(parse_action(&json!({"add_host": {"host": "h-1.x"}})).unwrap(), Action::AddHost("h-1.x".into()));
        assert!(parse_action(&json!({"add_host": {"host": "a/b"}})).is_err());
        assert!(parse_action(&json!({"add_host": {"host": "h"}, "remove_host": {"host": "h"}})).is_err());
        let Action::SetMetadata(m) = parse_action(&json!({"set_metadata": {"metadata": {"k": "v", "gone": null}}})).unwrap() else {
            panic!()
        };
        assert_eq!((m["k"].as_deref(), m["gone"].as_deref()), (Some("v"), None));
        assert!(parse_action(&json!({"set_metadata": {"metadata": {"k": 1}}})).is_err());
        assert_eq!(parse_id("-1").unwrap(), -1);
        assert_eq!(parse_id("abc").unwrap_err().to_string(), "Invalid input received: id must be an integer");
    }
}
