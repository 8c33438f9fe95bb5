//! OS-EP-FILTER endpoint groups on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, check, check_same_id, compile, description_schema, member, name_schema, str_field};
use crate::domain::Result;
use crate::store::EndpointGroupRow;

fn properties() -> Value {
    json!({"name": name_schema(255), "description": description_schema(), "filters": {"type": "object"}, "id": {"type": "string"}})
}

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["endpoint_group"], "properties": {"endpoint_group": {
        "type": "object", "required": ["name", "filters"], "properties": properties(),
    }}}))
});

static UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["endpoint_group"], "properties": {"endpoint_group": {
        "type": "object", "minProperties": 1, "properties": properties(),
    }}}))
});

fn filters(g: &Map<String, Value>) -> Map<String, Value> {
    g.get("filters").and_then(Value::as_object).cloned().unwrap_or_default()
}

/// An endpoint group from a create body.
pub fn parse_create(body: &Map<String, Value>) -> Result<EndpointGroupRow> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let g = member(body, "endpoint_group")?;
    Ok(EndpointGroupRow {
        id: common::ids::hex_id(),
        name: str_field(g, "name").unwrap_or_default(),
        description: str_field(g, "description"),
        filters: filters(g),
    })
}

/// `before` with an update body applied.
pub fn apply_update(before: &EndpointGroupRow, body: &Map<String, Value>) -> Result<EndpointGroupRow> {
    check(&UPDATE, &Value::Object(body.clone()))?;
    let g = member(body, "endpoint_group")?;
    check_same_id(g, &before.id, "endpoint group")?;
    let mut after = before.clone();
    if let Some(name) = str_field(g, "name") {
        after.name = name;
    }
    if g.contains_key("description") {
        after.description = str_field(g, "description");
    }
    if g.contains_key("filters") {
        after.filters = filters(g);
    }
    Ok(after)
}

/// An endpoint group as Keystone returns it.
pub fn render(links: &Links, g: &EndpointGroupRow) -> Value {
    json!({"id": g.id, "name": g.name, "description": g.description, "filters": g.filters,
           "links": links.entity(&format!("OS-EP-FILTER/endpoint_groups/{}", g.id))})
}
