//! Identity's wire format: request schemas and parsing, and response bodies exactly as
//! Keystone writes them. One file per resource.

pub mod access_rules;
pub mod application_credentials;
pub mod auth;
pub mod catalog;
pub mod credentials;
pub mod domains;
pub mod endpoint_groups;
pub mod groups;
pub mod limits;
pub mod projects;
pub mod role_assignments;
pub mod roles;
pub mod trusts;
pub mod users;
pub mod versions;

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::domain::{Error, Result};

/// Builds links under the public identity endpoint.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    /// Links under `public_url` (`http://host:port/identity`).
    pub fn new(public_url: &str) -> Self {
        Links { base: format!("{}/v3", public_url.trim_end_matches('/')) }
    }

    /// `{"self": ".../v3/{path}"}`.
    pub fn entity(&self, path: &str) -> Value {
        json!({"self": format!("{}/{path}", self.base)})
    }

    /// A list's links: itself, without paging (Keystone lists are not paged).
    pub fn list(&self, path: &str) -> Value {
        json!({"self": format!("{}/{path}", self.base), "previous": null, "next": null})
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }
}

/// A compiled JSON schema.
pub type Schema = LazyLock<jsonschema::Validator>;

/// Compiles a schema written in this crate; a broken one is a bug caught by tests.
pub fn compile(schema: Value) -> jsonschema::Validator {
    jsonschema::validator_for(&schema).expect("identity schemas are valid")
}

/// Checks `body` against `schema`, with Keystone's message for the first problem.
pub fn check(schema: &Schema, body: &Value) -> Result<()> {
    schema.validate(body).map_err(|e| {
        let path = e.instance_path.to_string();
        let field = path.trim_start_matches('/').replace('/', ".");
        Error::Validation(format!("Invalid input for field '{field}': {e}"))
    })
}

/// Keystone's name rule: 1 to `max` characters, not only white space.
pub fn name_schema(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"})
}

/// An id reference: a non-empty string of at most 64 characters.
pub fn id_schema() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 64})
}

/// A nullable free-text description.
pub fn description_schema() -> Value {
    json!({"type": ["string", "null"]})
}

/// The object under `key` in a request body, or a 400 naming it.
pub fn member<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>> {
    body.get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Validation(format!("Invalid input for field '{key}': a JSON object named '{key}' is required.")))
}

/// Keystone lets an update body repeat the entity's own id, but not change it.
pub fn check_same_id(obj: &Map<String, Value>, id: &str, kind: &str) -> Result<()> {
    match obj.get("id") {
        None => Ok(()),
        Some(Value::String(given)) if given == id => Ok(()),
        Some(_) => Err(Error::Validation(format!("Cannot change {kind} ID."))),
    }
}

/// Roles named in a body's `roles` list, each by `id` or by `name`.
pub fn role_refs(obj: &Map<String, Value>) -> Vec<(Option<String>, Option<String>)> {
    obj.get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|r| (str_field(r, "id"), str_field(r, "name")))
        .collect()
}

/// An optional `expires_at` time, or a 400 naming it.
pub fn expires_at(obj: &Map<String, Value>) -> Result<Option<i64>> {
    match str_field(obj, "expires_at") {
        Some(s) => common::time::parse_client_time(&s)
            .map(Some)
            .ok_or_else(|| Error::Validation(format!("Invalid input for field 'expires_at': {s:?} is not a time."))),
        None => Ok(None),
    }
}

/// A string field.
pub fn str_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A boolean field with a default.
pub fn bool_field(obj: &Map<String, Value>, key: &str, default: bool) -> bool {
    obj.get(key).and_then(Value::as_bool).unwrap_or(default)
}

/// The attributes of `obj` that are not in `known`: Keystone keeps them as "extra"
/// attributes and returns them as given.
pub fn extras(obj: &Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    obj.iter().filter(|(k, _)| !known.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Merges extra attributes into a rendered entity without overriding its own fields.
pub fn with_extras(mut entity: Value, extra: &Map<String, Value>) -> Value {
    if let Some(obj) = entity.as_object_mut() {
        for (k, v) in extra {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    entity
}

/// Whether a query parameter given as a string means true, as Keystone reads
/// `?enabled=`: anything but `0`, `false`, `no`, `off` (in any case) is true.
pub fn query_bool(v: &str) -> bool {
    !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_booleans_read_as_keystone_reads_them() {
        assert!(query_bool("true") && query_bool("1") && query_bool("") && query_bool("yes"));
        assert!(!query_bool("False") && !query_bool("0") && !query_bool("off"));
    }

    #[test]
    fn schema_errors_name_the_field() {
        static S: Schema = LazyLock::new(|| {
            compile(json!({"type": "object", "properties": {"user": {"type": "object", "properties": {"name": name_schema(3)}}}}))
        });
        let err = check(&S, &json!({"user": {"name": "toolong"}})).unwrap_err();
        assert!(err.to_string().starts_with("Invalid input for field 'user.name'"), "{err}");
        assert!(check(&S, &json!({"user": {"name": "ok"}})).is_ok());
        assert!(check(&S, &json!({"user": {"name": "  "}})).is_err(), "blank names are refused");
    }
}
