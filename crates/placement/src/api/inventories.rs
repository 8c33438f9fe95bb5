//! Inventory bodies.

use serde_json::{Map, Value, json};

use super::{CLASS_PATTERN, MAX_INT, Schema, check, compile};
use crate::domain::inventories::ProviderInventories;
use crate::domain::{Error, Result};
use crate::store::InventoryRow;

fn fields() -> Value {
    json!({
        "total": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        "reserved": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
        "min_unit": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        "max_unit": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        "step_size": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        "allocation_ratio": {"type": "number", "maximum": 3.40282e38},
    })
}

static RECORD: Schema =
    Schema::new(|| compile(json!({"type": "object", "properties": fields(), "required": ["total"], "additionalProperties": false})));

static CREATE: Schema = Schema::new(|| {
    let mut properties = fields();
    properties["resource_class"] = json!({"type": "string", "pattern": CLASS_PATTERN});
    properties["resource_provider_generation"] = json!({"type": "integer"});
    compile(json!({"type": "object", "properties": properties, "required": ["total", "resource_class"], "additionalProperties": false}))
});

static UPDATE_ONE: Schema = Schema::new(|| {
    let mut properties = fields();
    properties["resource_provider_generation"] = json!({"type": "integer"});
    compile(json!({
        "type": "object",
        "properties": properties,
        "required": ["total", "resource_provider_generation"],
        "additionalProperties": false,
    }))
});

static REPLACE: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {
            "resource_provider_generation": {"type": "integer"},
            "inventories": {"type": "object", "patternProperties": {CLASS_PATTERN: {"type": "object"}}},
        },
        "required": ["resource_provider_generation", "inventories"],
        "additionalProperties": false,
    }))
});

fn record(class: &str, body: &Value) -> InventoryRow {
    let int = |k: &str, default: i64| body.get(k).and_then(Value::as_i64).unwrap_or(default);
    InventoryRow {
        resource_class: class.to_owned(),
        total: int("total", 0),
        reserved: int("reserved", 0),
        min_unit: int("min_unit", 1),
        max_unit: int("max_unit", MAX_INT),
        step_size: int("step_size", 1),
        allocation_ratio: body.get("allocation_ratio").and_then(Value::as_f64).unwrap_or(1.0),
    }
}

/// Parses `PUT .../inventories`: the generation and every inventory.
pub fn parse_replace(body: &Value) -> Result<(i64, Vec<InventoryRow>)> {
    check(&REPLACE, body)?;
    let mut out = Vec::new();
    for (class, inv) in body["inventories"].as_object().into_iter().flatten() {
        check(&RECORD, inv)?;
        out.push(record(class, inv));
    }
    Ok((body["resource_provider_generation"].as_i64().unwrap_or_default(), out))
}

/// Parses `POST .../inventories`.
pub fn parse_create(body: &Value) -> Result<InventoryRow> {
    check(&CREATE, body)?;
    Ok(record(body["resource_class"].as_str().unwrap_or_default(), body))
}

/// Parses `PUT .../inventories/{class}`: the generation and the inventory.
pub fn parse_update(class: &str, body: &Value) -> Result<(i64, InventoryRow)> {
    check(&UPDATE_ONE, body)?;
    let generation =
        body["resource_provider_generation"].as_i64().ok_or_else(|| Error::bad("JSON does not validate: resource_provider_generation"))?;
    Ok((generation, record(class, body)))
}

fn fields_of(i: &InventoryRow) -> Map<String, Value> {
    let v = json!({
        "total": i.total,
        "reserved": i.reserved,
        "min_unit": i.min_unit,
        "max_unit": i.max_unit,
        "step_size": i.step_size,
        "allocation_ratio": i.allocation_ratio,
    });
    v.as_object().cloned().unwrap_or_default()
}

/// One inventory with the provider's generation.
pub fn render_one(i: &InventoryRow, generation: i64) -> Value {
    let mut body = fields_of(i);
    body.insert("resource_provider_generation".into(), json!(generation));
    Value::Object(body)
}

/// All of a provider's inventories.
pub fn render_all(all: &ProviderInventories) -> Value {
    let inventories: Map<String, Value> = all.inventories.iter().map(|i| (i.resource_class.clone(), Value::Object(fields_of(i)))).collect();
    json!({"resource_provider_generation": all.generation, "inventories": inventories})
}
