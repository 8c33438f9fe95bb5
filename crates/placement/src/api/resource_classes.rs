//! Resource class bodies.

use serde_json::{Value, json};

use super::{Schema, check, compile};
use crate::domain::Result;

static NAME: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {"name": {"type": "string", "pattern": "^CUSTOM_[A-Z0-9_]+$", "maxLength": 255}},
        "required": ["name"],
        "additionalProperties": false,
    }))
});

/// Parses `{"name": "CUSTOM_..."}`.
pub fn parse_name(body: &Value) -> Result<String> {
    check(&NAME, body)?;
    Ok(body["name"].as_str().unwrap_or_default().to_owned())
}

/// Checks a class name given in the URL (PUT, 1.7+) as the body schema would.
pub fn check_url_name(name: &str) -> Result<()> {
    check(&NAME, &json!({"name": name}))
}

/// One class, linked under `mount`.
pub fn render(name: &str, mount: &str) -> Value {
    json!({"name": name, "links": [{"rel": "self", "href": format!("{mount}/resource_classes/{name}")}]})
}

/// Every class.
pub fn render_list(names: &[String], mount: &str) -> Value {
    json!({"resource_classes": names.iter().map(|n| render(n, mount)).collect::<Vec<_>>()})
}
