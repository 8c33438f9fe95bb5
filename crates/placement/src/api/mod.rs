//! Placement's wire format: request schemas and parsing, response bodies, one file per
//! resource, each aware of the microversion that shapes it.

pub mod aggregates;
pub mod allocation_candidates;
pub mod allocations;
pub mod inventories;
pub mod reshaper;
pub mod resource_classes;
pub mod resource_providers;
pub mod traits;
pub mod usages;
pub mod versions;

use std::sync::LazyLock;

use serde_json::Value;

use crate::domain::{Error, Result};

/// A compiled JSON schema.
pub type Schema = LazyLock<jsonschema::Validator>;

/// Compiles a schema written in this crate; a broken one is a bug caught by tests.
pub fn compile(schema: Value) -> jsonschema::Validator {
    jsonschema::validator_for(&schema).expect("placement schemas are valid")
}

/// Checks a body against a schema, with Placement's message for the first problem.
pub fn check(schema: &jsonschema::Validator, body: &Value) -> Result<()> {
    schema.validate(body).map_err(|e| Error::bad(format!("JSON does not validate: {e}")))
}

/// Checks query parameters (as one object) against a schema.
pub fn check_query(schema: &jsonschema::Validator, params: &Value) -> Result<()> {
    schema.validate(params).map_err(|e| Error::bad(format!("Invalid query string parameters: {e}")))
}

/// A uuid in its dashed lower-case form, or a 400 naming the field.
pub fn uuid(value: &str) -> Result<String> {
    uuid::Uuid::parse_str(value)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| Error::bad(format!("JSON does not validate: '{value}' is not a 'uuid'")))
}

/// An optional string field.
fn opt_str(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The largest integer Placement accepts in inventories and amounts.
pub const MAX_INT: i64 = 2_147_483_647;

/// `^[A-Z0-9_]+$`: how resource class names in bodies look.
pub const CLASS_PATTERN: &str = "^[A-Z0-9_]+$";
