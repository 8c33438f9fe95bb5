//! Domains on the wire.

use serde_json::{Map, Value, json};

use super::{
    Links, Schema, bool_field, check, check_same_id, compile, description_schema, extras, member, name_schema, str_field, with_extras,
};
use crate::domain::Result;
use crate::store::DomainRow;

const KNOWN: &[&str] = &["id", "name", "description", "enabled", "links", "tags", "options", "explicit_domain_id"];

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["domain"], "properties": {"domain": {
        "type": "object", "required": ["name"],
        "properties": {"name": name_schema(64), "description": description_schema(), "enabled": {"type": "boolean"},
                       "explicit_domain_id": {"type": "string", "pattern": "^[a-zA-Z0-9-_]{1,64}$"}},
    }}}))
});

static UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["domain"], "properties": {"domain": {
        "type": "object", "minProperties": 1,
        "properties": {"name": name_schema(64), "description": description_schema(), "enabled": {"type": "boolean"},
                       "id": {"type": "string"}},
    }}}))
});

/// A new domain from a create body.
pub fn parse_create(body: &Map<String, Value>) -> Result<DomainRow> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let d = member(body, "domain")?;
    Ok(DomainRow {
        id: str_field(d, "explicit_domain_id").unwrap_or_else(common::ids::hex_id),
        name: str_field(d, "name").unwrap_or_default(),
        description: str_field(d, "description"),
        enabled: bool_field(d, "enabled", true),
        extra: extras(d, KNOWN),
    })
}

/// `before` with an update body applied.
pub fn apply_update(before: &DomainRow, body: &Map<String, Value>) -> Result<DomainRow> {
    check(&UPDATE, &Value::Object(body.clone()))?;
    let d = member(body, "domain")?;
    check_same_id(d, &before.id, "domain")?;
    let mut after = before.clone();
    if let Some(name) = str_field(d, "name") {
        after.name = name;
    }
    if d.contains_key("description") {
        after.description = str_field(d, "description");
    }
    after.enabled = bool_field(d, "enabled", before.enabled);
    after.extra.extend(extras(d, KNOWN));
    Ok(after)
}

/// A domain as Keystone returns it.
pub fn render(links: &Links, d: &DomainRow) -> Value {
    with_extras(
        json!({
            "id": d.id, "name": d.name, "description": d.description.clone().unwrap_or_default(), "enabled": d.enabled,
            "tags": [], "options": {}, "links": links.entity(&format!("domains/{}", d.id)),
        }),
        &d.extra,
    )
}
