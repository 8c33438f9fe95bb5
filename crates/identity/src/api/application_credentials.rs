//! Application credentials on the wire.

use serde_json::{Map, Value, json};

use super::access_rules;
use super::{Links, Schema, bool_field, check, compile, description_schema, expires_at, member, name_schema, role_refs, str_field};
use crate::domain::{NewAccessRule, NewAppCred, Result};
use crate::store::{AppCredRow, RoleRow};
use common::time::keystone_resource_time;

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["application_credential"], "properties": {"application_credential": {
        "type": "object", "required": ["name"], "additionalProperties": false,
        "properties": {
            "name": name_schema(255), "description": description_schema(), "secret": {"type": ["string", "null"]},
            "expires_at": {"type": ["string", "null"]}, "unrestricted": {"type": ["boolean", "null"]},
            "roles": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                      "minProperties": 1}},
            "access_rules": {"type": "array", "items": super::access_rules::rule_schema()},
        },
    }}}))
});

/// A new application credential request from a create body.
pub fn parse_create(body: &Map<String, Value>) -> Result<NewAppCred> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let a = member(body, "application_credential")?;
    let expires_at = expires_at(a)?;
    let roles = role_refs(a);
    Ok(NewAppCred {
        name: str_field(a, "name").unwrap_or_default(),
        description: str_field(a, "description"),
        secret: str_field(a, "secret"),
        expires_at,
        unrestricted: bool_field(a, "unrestricted", false),
        roles,
        access_rules: a
            .get("access_rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|r| NewAccessRule {
                id: str_field(r, "id"),
                service: str_field(r, "service"),
                path: str_field(r, "path"),
                method: str_field(r, "method"),
            })
            .collect(),
    })
}

/// An application credential as Keystone returns it; `secret` only on creation, and
/// `access_rules` only when it has some.
pub fn render(links: &Links, a: &AppCredRow, roles: &[RoleRow], secret: Option<&str>) -> Value {
    let mut v = json!({
        "id": a.id, "name": a.name, "description": a.description, "user_id": a.user_id, "project_id": a.project_id,
        "expires_at": a.expires_at.map(keystone_resource_time), "unrestricted": a.unrestricted, "system": null,
        "roles": roles.iter().filter(|r| a.role_ids.contains(&r.id)).map(|r| json!({"id": r.id, "name": r.name, "domain_id": r.domain_id})).collect::<Vec<_>>(),
        "links": links.entity(&format!("users/{}/application_credentials/{}", a.user_id, a.id)),
    });
    if let Some(secret) = secret {
        v["secret"] = json!(secret);
    }
    if !a.access_rules.is_empty() {
        v["access_rules"] = a.access_rules.iter().map(access_rules::render_embedded).collect();
    }
    v
}
