//! Groups on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, check, check_same_id, compile, description_schema, extras, member, name_schema, str_field, with_extras};
use crate::domain::{Error, Result};
use crate::store::GroupRow;

const KNOWN: &[&str] = &["id", "name", "domain_id", "description", "links"];

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["group"], "properties": {"group": {
        "type": "object", "required": ["name"],
        "properties": {"name": name_schema(64), "domain_id": {"type": "string"}, "description": description_schema()},
    }}}))
});

static UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["group"], "properties": {"group": {
        "type": "object", "minProperties": 1,
        "properties": {"name": name_schema(64), "domain_id": {"type": "string"}, "description": description_schema(), "id": {"type": "string"}},
    }}}))
});

/// A new group from a create body.
pub fn parse_create(body: &Map<String, Value>, default_domain_id: &str) -> Result<GroupRow> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let g = member(body, "group")?;
    Ok(GroupRow {
        id: common::ids::hex_id(),
        name: str_field(g, "name").unwrap_or_default(),
        domain_id: str_field(g, "domain_id").unwrap_or_else(|| default_domain_id.to_owned()),
        description: str_field(g, "description"),
        extra: extras(g, KNOWN),
    })
}

/// `before` with an update body applied.
pub fn apply_update(before: &GroupRow, body: &Map<String, Value>) -> Result<GroupRow> {
    check(&UPDATE, &Value::Object(body.clone()))?;
    let g = member(body, "group")?;
    check_same_id(g, &before.id, "group")?;
    if str_field(g, "domain_id").is_some_and(|d| d != before.domain_id) {
        return Err(Error::Validation("Cannot change Domain ID.".into()));
    }
    let mut after = before.clone();
    if let Some(name) = str_field(g, "name") {
        after.name = name;
    }
    if g.contains_key("description") {
        after.description = str_field(g, "description");
    }
    after.extra.extend(extras(g, KNOWN));
    Ok(after)
}

/// A group as Keystone returns it.
pub fn render(links: &Links, g: &GroupRow) -> Value {
    with_extras(
        json!({"id": g.id, "name": g.name, "domain_id": g.domain_id, "description": g.description.clone().unwrap_or_default(),
               "links": links.entity(&format!("groups/{}", g.id))}),
        &g.extra,
    )
}
