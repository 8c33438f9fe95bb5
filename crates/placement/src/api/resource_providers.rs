//! Resource provider bodies.

use serde_json::{Value, json};

use super::{Schema, check, compile, opt_str, uuid};
use crate::domain::providers::ProviderQuery;
use crate::domain::query::{parse_member_of, parse_required_all, parse_resources};
use crate::domain::{Error, Result, Version};
use crate::store::ProviderRow;

static CREATE: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "uuid": {"type": "string"},
        },
        "required": ["name"],
        "additionalProperties": false,
    }))
});

static CREATE_NESTED: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "uuid": {"type": "string"},
            "parent_provider_uuid": {"type": ["string", "null"]},
        },
        "required": ["name"],
        "additionalProperties": false,
    }))
});

static UPDATE: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 200}},
        "required": ["name"],
        "additionalProperties": false,
    }))
});

static UPDATE_NESTED: Schema = Schema::new(|| {
    compile(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "parent_provider_uuid": {"type": ["string", "null"]},
        },
        "required": ["name"],
        "additionalProperties": false,
    }))
});

/// A create body: name, uuid and parent.
pub struct NewProvider {
    /// The name.
    pub name: String,
    /// The uuid asked for.
    pub uuid: Option<String>,
    /// The parent (1.14+).
    pub parent: Option<String>,
}

/// Parses `POST /resource_providers`.
pub fn parse_create(body: &Value, version: Version) -> Result<NewProvider> {
    check(if version.at_least(14) { &CREATE_NESTED } else { &CREATE }, body)?;
    Ok(NewProvider {
        name: opt_str(body, "name").unwrap_or_default(),
        uuid: opt_str(body, "uuid").map(|u| uuid(&u)).transpose()?,
        parent: opt_str(body, "parent_provider_uuid").map(|u| uuid(&u)).transpose()?,
    })
}

/// Parses `PUT /resource_providers/{uuid}`: the name and, from 1.14, the parent if
/// given (`Some(None)` removes it).
pub fn parse_update(body: &Value, version: Version) -> Result<(String, Option<Option<String>>)> {
    check(if version.at_least(14) { &UPDATE_NESTED } else { &UPDATE }, body)?;
    let name = opt_str(body, "name").unwrap_or_default();
    let parent = match body.get("parent_provider_uuid") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(uuid(v.as_str().ok_or_else(|| Error::bad("JSON does not validate: parent_provider_uuid"))?)?)),
    };
    Ok((name, parent))
}

/// Parses the `GET /resource_providers` query at `version`: `name`, `uuid`, and
/// `member_of` (1.3), `resources` (1.4), `in_tree` (1.14), `required` (1.18).
pub fn parse_list_query(params: &[(String, String)], version: Version) -> Result<ProviderQuery> {
    let invalid_uuid = |key: &str, value: &str| Error::bad(format!("Invalid query string parameters: '{value}' is not a '{key}' uuid"));
    let mut q = ProviderQuery::default();
    let (mut member_of, mut required) = (Vec::new(), Vec::new());
    for (key, value) in params {
        match key.as_str() {
            "name" => q.name = Some(value.clone()),
            "uuid" => q.uuid = Some(uuid(value).map_err(|_| invalid_uuid("uuid", value))?),
            "member_of" if version.at_least(3) => member_of.push(value.as_str()),
            "resources" if version.at_least(4) => q.resources = parse_resources(value)?,
            "in_tree" if version.at_least(14) => q.in_tree = Some(uuid(value).map_err(|_| invalid_uuid("in_tree", value))?),
            "required" if version.at_least(18) => required.push(value.as_str()),
            other => {
                return Err(Error::bad(format!(
                    "Invalid query string parameters: Additional properties are not allowed ('{other}' was unexpected)"
                )));
            }
        }
    }
    q.member_of = parse_member_of(&member_of, version, "")?;
    q.required = parse_required_all(&required, version)?;
    Ok(q)
}

/// A provider as Placement shows it at `version`, with the links that version lists
/// (under `mount`, where placement is served).
pub fn render(p: &ProviderRow, version: Version, mount: &str) -> Value {
    let base = format!("{mount}/resource_providers/{}", p.uuid);
    let mut links = vec![json!({"rel": "self", "href": base}), json!({"rel": "inventories", "href": format!("{base}/inventories")})];
    links.push(json!({"rel": "usages", "href": format!("{base}/usages")}));
    if version.at_least(1) {
        links.push(json!({"rel": "aggregates", "href": format!("{base}/aggregates")}));
    }
    if version.at_least(6) {
        links.push(json!({"rel": "traits", "href": format!("{base}/traits")}));
    }
    if version.at_least(11) {
        links.push(json!({"rel": "allocations", "href": format!("{base}/allocations")}));
    }
    let mut body = json!({"uuid": p.uuid, "name": p.name, "generation": p.generation, "links": links});
    if version.at_least(14) {
        body["parent_provider_uuid"] = json!(p.parent_uuid);
        body["root_provider_uuid"] = json!(p.root_uuid);
    }
    body
}

/// A list of providers.
pub fn render_list(rows: &[ProviderRow], version: Version, mount: &str) -> Value {
    json!({"resource_providers": rows.iter().map(|p| render(p, version, mount)).collect::<Vec<_>>()})
}
