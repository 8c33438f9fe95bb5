//! Trait bodies and the trait list's query.

use serde_json::{Value, json};

use super::{Schema, check, compile};
use crate::domain::traits::ProviderTraits;
use crate::domain::{Error, Result};
use crate::store::TraitFilter;

static PROVIDER_TRAITS: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {
            "traits": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 255}},
            "resource_provider_generation": {"type": "integer"},
        },
        "required": ["traits", "resource_provider_generation"],
        "additionalProperties": false,
    }))
});

/// Parses `PUT /resource_providers/{uuid}/traits`: the generation and the traits.
pub fn parse_provider_traits(body: &Value) -> Result<(i64, Vec<String>)> {
    check(&PROVIDER_TRAITS, body)?;
    let traits = body["traits"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    Ok((body["resource_provider_generation"].as_i64().unwrap_or_default(), traits))
}

/// Parses the `GET /traits` query: `name=in:A,B` or `name=startswith:P`, `associated`.
pub fn parse_filter(params: &[(String, String)]) -> Result<TraitFilter> {
    let mut filter = TraitFilter::default();
    for (key, value) in params {
        match key.as_str() {
            "name" => {
                let Some((op, arg)) = value.split_once(':') else {
                    return Err(Error::bad(format!(
                        "Badly formatted name parameter. Expected name query string parameter in form: \
                         ?name=[in|startswith]:[name1,name2|prefix]. Got: \"{value}\""
                    )));
                };
                match op {
                    "in" => filter.names = Some(arg.split(',').map(|n| n.trim().to_owned()).collect()),
                    "startswith" => filter.prefix = Some(arg.to_owned()),
                    _ => {}
                }
            }
            "associated" => match value.to_ascii_lowercase().as_str() {
                "true" => filter.associated = Some(true),
                "false" => filter.associated = Some(false),
                _ => return Err(Error::bad("The query parameter \"associated\" only accepts \"true\" or \"false\"")),
            },
            other => {
                return Err(Error::bad(format!(
                    "Invalid query string parameters: Additional properties are not allowed ('{other}' was unexpected)"
                )));
            }
        }
    }
    Ok(filter)
}

/// A trait list.
pub fn render_list(names: &[String]) -> Value {
    json!({"traits": names})
}

/// A provider's traits.
pub fn render_provider(t: &ProviderTraits) -> Value {
    json!({"traits": t.traits, "resource_provider_generation": t.generation})
}
