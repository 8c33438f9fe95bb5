//! Provider aggregate bodies: a bare list before 1.19, with the generation after.

use serde_json::{Value, json};

use super::{Schema, check, compile, uuid};
use crate::domain::aggregates::ProviderAggregates;
use crate::domain::{Result, Version};

static LIST: Schema = Schema::new(|| compile(json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true})));

static WITH_GENERATION: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {
            "aggregates": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
            "resource_provider_generation": {"type": "integer"},
        },
        "required": ["aggregates", "resource_provider_generation"],
        "additionalProperties": false,
    }))
});

/// Parses `PUT .../aggregates`: the generation (1.19+) and the aggregate uuids.
pub fn parse(body: &Value, version: Version) -> Result<(Option<i64>, Vec<String>)> {
    let (generation, list) = if version.at_least(19) {
        check(&WITH_GENERATION, body)?;
        (body["resource_provider_generation"].as_i64(), &body["aggregates"])
    } else {
        check(&LIST, body)?;
        (None, body)
    };
    let aggregates = list.as_array().into_iter().flatten().filter_map(Value::as_str).map(uuid).collect::<Result<Vec<_>>>()?;
    Ok((generation, aggregates))
}

/// A provider's aggregates.
pub fn render(a: &ProviderAggregates, version: Version) -> Value {
    if version.at_least(19) {
        json!({"aggregates": a.aggregates, "resource_provider_generation": a.generation})
    } else {
        json!({"aggregates": a.aggregates})
    }
}
