//! Registered limits and limits on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, check, compile, member, str_field};
use crate::domain::{Error, Result};
use crate::store::{LimitRow, RegisteredLimitRow};

fn limit_value() -> Value {
    json!({"type": "integer", "minimum": -1, "maximum": 2147483647})
}

static REGISTERED_CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["registered_limits"], "properties": {"registered_limits": {
        "type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["service_id", "resource_name", "default_limit"], "additionalProperties": false,
            "properties": {"service_id": {"type": "string"}, "region_id": {"type": ["string", "null"]},
                           "resource_name": {"type": "string", "minLength": 1, "maxLength": 255},
                           "default_limit": limit_value(), "description": {"type": ["string", "null"]}},
        },
    }}}))
});

static REGISTERED_UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["registered_limit"], "properties": {"registered_limit": {
        "type": "object", "minProperties": 1, "additionalProperties": false,
        "properties": {"service_id": {"type": "string"}, "region_id": {"type": ["string", "null"]},
                       "resource_name": {"type": "string", "minLength": 1, "maxLength": 255},
                       "default_limit": limit_value(), "description": {"type": ["string", "null"]}},
    }}}))
});

static LIMITS_CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["limits"], "properties": {"limits": {
        "type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["service_id", "resource_name", "resource_limit"], "additionalProperties": false,
            "properties": {"service_id": {"type": "string"}, "region_id": {"type": ["string", "null"]},
                           "project_id": {"type": "string"}, "domain_id": {"type": "string"},
                           "resource_name": {"type": "string", "minLength": 1, "maxLength": 255},
                           "resource_limit": limit_value(), "description": {"type": ["string", "null"]}},
        },
    }}}))
});

static LIMIT_UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["limit"], "properties": {"limit": {
        "type": "object", "minProperties": 1, "additionalProperties": false,
        "properties": {"resource_limit": limit_value(), "description": {"type": ["string", "null"]}},
    }}}))
});

/// Registered limits from a create body.
pub fn parse_registered(body: &Map<String, Value>) -> Result<Vec<RegisteredLimitRow>> {
    check(&REGISTERED_CREATE, &Value::Object(body.clone()))?;
    Ok(body
        .get("registered_limits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|l| RegisteredLimitRow {
            id: common::ids::hex_id(),
            service_id: str_field(l, "service_id").unwrap_or_default(),
            region_id: str_field(l, "region_id"),
            resource_name: str_field(l, "resource_name").unwrap_or_default(),
            default_limit: l.get("default_limit").and_then(Value::as_i64).unwrap_or_default(),
            description: str_field(l, "description"),
        })
        .collect())
}

/// `before` with a registered limit update applied.
pub fn apply_registered_update(before: &RegisteredLimitRow, body: &Map<String, Value>) -> Result<RegisteredLimitRow> {
    check(&REGISTERED_UPDATE, &Value::Object(body.clone()))?;
    let l = member(body, "registered_limit")?;
    let mut after = before.clone();
    if let Some(v) = str_field(l, "service_id") {
        after.service_id = v;
    }
    if l.contains_key("region_id") {
        after.region_id = str_field(l, "region_id");
    }
    if let Some(v) = str_field(l, "resource_name") {
        after.resource_name = v;
    }
    if let Some(v) = l.get("default_limit").and_then(Value::as_i64) {
        after.default_limit = v;
    }
    if l.contains_key("description") {
        after.description = str_field(l, "description");
    }
    Ok(after)
}

/// A registered limit as Keystone returns it.
pub fn render_registered(links: &Links, l: &RegisteredLimitRow) -> Value {
    json!({"id": l.id, "service_id": l.service_id, "region_id": l.region_id, "resource_name": l.resource_name,
           "default_limit": l.default_limit, "description": l.description,
           "links": links.entity(&format!("registered_limits/{}", l.id))})
}

/// Limits from a create body; each names a project or a domain, and the caller's
/// project is the default.
pub fn parse_limits(body: &Map<String, Value>, default_project: Option<&str>) -> Result<Vec<LimitRow>> {
    check(&LIMITS_CREATE, &Value::Object(body.clone()))?;
    let mut out = Vec::new();
    for l in body.get("limits").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object) {
        let (target_type, target_id) = match (str_field(l, "project_id"), str_field(l, "domain_id")) {
            (Some(p), None) => ("project", p),
            (None, Some(d)) => ("domain", d),
            (None, None) => (
                "project",
                default_project.map(str::to_owned).ok_or_else(|| Error::Validation("A limit needs a project_id or a domain_id.".into()))?,
            ),
            (Some(_), Some(_)) => return Err(Error::Validation("A limit names a project_id or a domain_id, not both.".into())),
        };
        out.push(LimitRow {
            id: common::ids::hex_id(),
            target_type: target_type.to_owned(),
            target_id,
            service_id: str_field(l, "service_id").unwrap_or_default(),
            region_id: str_field(l, "region_id"),
            resource_name: str_field(l, "resource_name").unwrap_or_default(),
            resource_limit: l.get("resource_limit").and_then(Value::as_i64).unwrap_or_default(),
            description: str_field(l, "description"),
        });
    }
    Ok(out)
}

/// `before` with a limit update applied.
pub fn apply_limit_update(before: &LimitRow, body: &Map<String, Value>) -> Result<LimitRow> {
    check(&LIMIT_UPDATE, &Value::Object(body.clone()))?;
    let l = member(body, "limit")?;
    let mut after = before.clone();
    if let Some(v) = l.get("resource_limit").and_then(Value::as_i64) {
        after.resource_limit = v;
    }
    if l.contains_key("description") {
        after.description = str_field(l, "description");
    }
    Ok(after)
}

/// A limit as Keystone returns it.
pub fn render_limit(links: &Links, l: &LimitRow) -> Value {
    let (project, domain) = if l.target_type == "project" { (Some(&l.target_id), None) } else { (None, Some(&l.target_id)) };
    json!({"id": l.id, "project_id": project, "domain_id": domain, "service_id": l.service_id, "region_id": l.region_id,
           "resource_name": l.resource_name, "resource_limit": l.resource_limit, "description": l.description,
           "links": links.entity(&format!("limits/{}", l.id))})
}
