//! Allocation bodies: the list form before 1.12, the dict form after, consumer
//! generations from 1.28, mappings from 1.34, consumer types from 1.38.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{CLASS_PATTERN, Schema, check, compile, uuid};
use crate::domain::allocations::{AllocationRequest, ConsumerAllocations, ProviderAllocations, UNKNOWN_OWNER};
use crate::domain::{Error, Result, Version};

fn resources() -> Value {
    json!({
        "type": "object",
        "patternProperties": {CLASS_PATTERN: {"type": "integer", "minimum": 1}},
        "additionalProperties": false,
        "minProperties": 1,
    })
}

fn owner() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 255})
}

/// The body of one consumer's allocations in the dict form, for `version`.
fn dict_form(version: Version, allow_empty: bool) -> Value {
    let mut properties = json!({
        "allocations": {
            "type": "object",
            "patternProperties": {"^[0-9a-fA-F-]{36}$": {
                "type": "object",
                "properties": {"resources": resources(), "generation": {"type": "integer"}},
                "required": ["resources"],
                "additionalProperties": false,
            }},
            "additionalProperties": false,
        },
        "project_id": owner(),
        "user_id": owner(),
    });
    let mut required = vec!["allocations", "project_id", "user_id"];
    if !allow_empty {
        properties["allocations"]["minProperties"] = json!(1);
    }
    if version.at_least(28) {
        properties["consumer_generation"] = json!({"type": ["integer", "null"]});
        required.push("consumer_generation");
    }
    if version.at_least(34) {
        properties["mappings"] = json!({
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        });
    }
    if version.at_least(38) {
        properties["consumer_type"] = json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": CLASS_PATTERN});
        required.push("consumer_type");
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn list_form(version: Version) -> Value {
    let mut properties = json!({
        "allocations": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "resource_provider": {
                        "type": "object",
                        "properties": {"uuid": {"type": "string"}},
                        "required": ["uuid"],
                        "additionalProperties": false,
                    },
                    "resources": resources(),
                },
                "required": ["resource_provider", "resources"],
                "additionalProperties": false,
            },
        },
    });
    let mut required = vec!["allocations"];
    if version.at_least(8) {
        properties["project_id"] = owner();
        properties["user_id"] = owner();
        required.extend(["project_id", "user_id"]);
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

static PUT_1_0: Schema = Schema::new(|| compile(list_form(Version(0))));
static PUT_1_8: Schema = Schema::new(|| compile(list_form(Version(8))));
static PUT_1_12: Schema = Schema::new(|| compile(dict_form(Version(12), false)));
static PUT_1_28: Schema = Schema::new(|| compile(dict_form(Version(28), true)));
static PUT_1_34: Schema = Schema::new(|| compile(dict_form(Version(34), true)));
static PUT_1_38: Schema = Schema::new(|| compile(dict_form(Version(38), true)));
static POST_1_13: Schema = Schema::new(|| compile(dict_form(Version(13), true)));

fn put_schema(version: Version) -> &'static jsonschema::Validator {
    match version.0 {
        0..8 => &PUT_1_0,
        8..12 => &PUT_1_8,
        12..28 => &PUT_1_12,
        28..34 => &PUT_1_28,
        34..38 => &PUT_1_34,
        _ => &PUT_1_38,
    }
}

fn post_entry_schema(version: Version) -> &'static jsonschema::Validator {
    match version.0 {
        0..28 => &POST_1_13,
        28..34 => &PUT_1_28,
        34..38 => &PUT_1_34,
        _ => &PUT_1_38,
    }
}

/// A consumer uuid from the URL, or Placement's 400.
pub fn consumer_uuid(raw: &str) -> Result<String> {
    uuid::Uuid::parse_str(raw).map(|u| u.hyphenated().to_string()).map_err(|_| Error::bad(format!("Malformed consumer_uuid: {raw}")))
}

fn amounts(resources: &Value) -> Vec<(String, i64)> {
    resources.as_object().into_iter().flatten().map(|(c, n)| (c.clone(), n.as_i64().unwrap_or_default())).collect()
}

/// One consumer's entry in the dict form.
fn from_dict(consumer: String, body: &Value, version: Version) -> Result<AllocationRequest> {
    let mut allocations = Vec::new();
    for (provider, entry) in body["allocations"].as_object().into_iter().flatten() {
        let provider = uuid(provider)?;
        for (class, n) in amounts(&entry["resources"]) {
            allocations.push((provider.clone(), class, n));
        }
    }
    Ok(AllocationRequest {
        consumer_uuid: consumer,
        project_id: body["project_id"].as_str().unwrap_or(UNKNOWN_OWNER).to_owned(),
        user_id: body["user_id"].as_str().unwrap_or(UNKNOWN_OWNER).to_owned(),
        consumer_type: body.get("consumer_type").and_then(Value::as_str).map(str::to_owned),
        consumer_generation: version.at_least(28).then(|| body["consumer_generation"].as_i64()),
        allocations,
    })
}

/// Parses `PUT /allocations/{consumer}`.
pub fn parse_put(consumer: String, body: &Value, version: Version) -> Result<AllocationRequest> {
    check(put_schema(version), body)?;
    if version.at_least(12) {
        return from_dict(consumer, body, version);
    }
    let mut allocations = Vec::new();
    for entry in body["allocations"].as_array().into_iter().flatten() {
        let provider = uuid(entry["resource_provider"]["uuid"].as_str().unwrap_or_default())?;
        for (class, n) in amounts(&entry["resources"]) {
            allocations.push((provider.clone(), class, n));
        }
    }
    Ok(AllocationRequest {
        consumer_uuid: consumer,
        project_id: body["project_id"].as_str().unwrap_or(UNKNOWN_OWNER).to_owned(),
        user_id: body["user_id"].as_str().unwrap_or(UNKNOWN_OWNER).to_owned(),
        consumer_type: None,
        consumer_generation: None,
        allocations,
    })
}

/// Parses `POST /allocations` (1.13+): consumer uuid → its entry.
pub fn parse_post(body: &Value, version: Version) -> Result<Vec<AllocationRequest>> {
    let Some(entries) = body.as_object().filter(|o| !o.is_empty()) else {
        return Err(Error::bad("JSON does not validate: the body must map at least one consumer uuid to its allocations"));
    };
    let mut out = Vec::with_capacity(entries.len());
    for (consumer, entry) in entries {
        if consumer.len() != 36 || !consumer.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(Error::bad(format!("JSON does not validate: '{consumer}' does not match '^[0-9a-fA-F-]{{36}}$'")));
        }
        check(post_entry_schema(version), entry)?;
        out.push(from_dict(consumer_uuid(consumer)?, entry, version)?);
    }
    Ok(out)
}

/// A consumer's allocations.
pub fn render_consumer(c: &ConsumerAllocations, version: Version) -> Value {
    let mut by_provider: BTreeMap<&str, (i64, Map<String, Value>)> = BTreeMap::new();
    for a in &c.allocations {
        let entry = by_provider.entry(&a.provider_uuid).or_insert_with(|| (a.provider_generation, Map::new()));
        entry.1.insert(a.resource_class.clone(), json!(a.used));
    }
    let allocations: Map<String, Value> =
        by_provider.into_iter().map(|(p, (g, r))| (p.to_owned(), json!({"generation": g, "resources": r}))).collect();
    let mut body = json!({"allocations": allocations});
    if let Some(consumer) = &c.consumer {
        if version.at_least(12) {
            body["project_id"] = json!(consumer.project_id);
            body["user_id"] = json!(consumer.user_id);
        }
        if version.at_least(28) {
            body["consumer_generation"] = json!(consumer.generation);
        }
        if version.at_least(38) {
            body["consumer_type"] = json!(consumer.consumer_type.as_deref().unwrap_or("unknown"));
        }
    }
    body
}

/// A provider's allocations by consumer.
pub fn render_provider(p: &ProviderAllocations, version: Version) -> Value {
    let mut by_consumer: BTreeMap<&str, (i64, Map<String, Value>)> = BTreeMap::new();
    for a in &p.allocations {
        let entry = by_consumer.entry(&a.consumer_uuid).or_insert_with(|| (a.consumer_generation, Map::new()));
        entry.1.insert(a.resource_class.clone(), json!(a.used));
    }
    let allocations: Map<String, Value> = by_consumer
        .into_iter()
        .map(|(c, (g, r))| {
            let mut v = json!({"resources": r});
            if version.at_least(28) {
                v["consumer_generation"] = json!(g);
            }
            (c.to_owned(), v)
        })
        .collect();
    json!({"allocations": allocations, "resource_provider_generation": p.generation})
}
