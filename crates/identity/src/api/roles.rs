//! Roles and implied roles on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, check, check_same_id, compile, description_schema, member, name_schema, str_field};
use crate::domain::Result;
use crate::store::RoleRow;

fn properties() -> Value {
    json!({"name": name_schema(255), "domain_id": {"type": ["string", "null"]}, "description": description_schema(),
           "options": {"type": "object", "properties": {"immutable": {"type": ["boolean", "null"]}}, "additionalProperties": false}})
}

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["role"], "properties": {"role": {
        "type": "object", "required": ["name"], "properties": properties(),
    }}}))
});

static UPDATE: Schema = Schema::new(|| {
    let mut props = properties();
    props["id"] = json!({"type": "string"});
    props["domain_id"] = json!({"not": {}});
    compile(json!({"type": "object", "required": ["role"], "properties": {"role": {
        "type": "object", "minProperties": 1, "properties": props,
    }}}))
});

/// A new role from a create body.
pub fn parse_create(body: &Map<String, Value>) -> Result<RoleRow> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let r = member(body, "role")?;
    Ok(RoleRow {
        id: common::ids::hex_id(),
        name: str_field(r, "name").unwrap_or_default(),
        domain_id: str_field(r, "domain_id"),
        description: str_field(r, "description"),
        options: r.get("options").and_then(Value::as_object).cloned().unwrap_or_default(),
    })
}

/// `before` with an update body applied.
pub fn apply_update(before: &RoleRow, body: &Map<String, Value>) -> Result<RoleRow> {
    check(&UPDATE, &Value::Object(body.clone()))?;
    let r = member(body, "role")?;
    check_same_id(r, &before.id, "role")?;
    let mut after = before.clone();
    if let Some(name) = str_field(r, "name") {
        after.name = name;
    }
    if r.contains_key("description") {
        after.description = str_field(r, "description");
    }
    if let Some(opts) = r.get("options").and_then(Value::as_object) {
        after.options.extend(opts.clone());
    }
    Ok(after)
}

/// A role as Keystone returns it.
pub fn render(links: &Links, r: &RoleRow) -> Value {
    json!({"id": r.id, "name": r.name, "domain_id": r.domain_id, "description": r.description,
           "options": r.options, "links": links.entity(&format!("roles/{}", r.id))})
}

/// A role as an implication names it.
pub fn render_ref(links: &Links, r: &RoleRow) -> Value {
    json!({"id": r.id, "name": r.name, "links": links.entity(&format!("roles/{}", r.id))})
}

/// One implication, `PUT`/`GET /v3/roles/{prior}/implies/{implied}`.
pub fn render_implication(links: &Links, prior: &RoleRow, implied: &RoleRow) -> Value {
    json!({"role_inference": {"prior_role": render_ref(links, prior), "implies": render_ref(links, implied)},
           "links": links.entity(&format!("roles/{}/implies/{}", prior.id, implied.id))})
}
