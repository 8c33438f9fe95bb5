//! Regions, services and endpoints on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, bool_field, check, check_same_id, compile, description_schema, extras, member, str_field, with_extras};
use crate::domain::Result;
use crate::store::{EndpointRow, RegionRow, ServiceRow};

const REGION_KNOWN: &[&str] = &["id", "description", "parent_region_id", "links", "parent_region"];
const SERVICE_KNOWN: &[&str] = &["id", "type", "enabled", "links"];
const ENDPOINT_KNOWN: &[&str] = &["id", "service_id", "interface", "url", "region_id", "region", "enabled", "links"];

static REGION: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["region"], "properties": {"region": {
        "type": "object",
        "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 255}, "description": description_schema(),
                       "parent_region_id": {"type": ["string", "null"]}},
    }}}))
});

static SERVICE_CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["service"], "properties": {"service": {
        "type": "object", "required": ["type"],
        "properties": {"type": {"type": "string", "minLength": 1, "maxLength": 255}, "enabled": {"type": "boolean"},
                       "name": {"type": "string", "maxLength": 255}, "description": description_schema()},
    }}}))
});

static SERVICE_UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["service"], "properties": {"service": {
        "type": "object", "minProperties": 1,
        "properties": {"type": {"type": "string", "minLength": 1, "maxLength": 255}, "enabled": {"type": "boolean"},
                       "name": {"type": "string", "maxLength": 255}, "id": {"type": "string"}},
    }}}))
});

fn endpoint_properties() -> Value {
    json!({"service_id": {"type": "string"}, "interface": {"type": "string", "enum": ["public", "internal", "admin"]},
           "url": {"type": "string", "minLength": 1, "maxLength": 225, "pattern": "^[a-zA-Z0-9+.-]+:.+"},
           "region_id": {"type": ["string", "null"]}, "region": {"type": ["string", "null"]}, "enabled": {"type": "boolean"}})
}

static ENDPOINT_CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["endpoint"], "properties": {"endpoint": {
        "type": "object", "required": ["service_id", "interface", "url"], "properties": endpoint_properties(),
    }}}))
});

static ENDPOINT_UPDATE: Schema = Schema::new(|| {
    let mut props = endpoint_properties();
    props["id"] = json!({"type": "string"});
    compile(json!({"type": "object", "required": ["endpoint"], "properties": {"endpoint": {
        "type": "object", "minProperties": 1, "properties": props,
    }}}))
});

/// A region from a create body; `id` comes from the path on `PUT /v3/regions/{id}`.
pub fn parse_region(body: &Map<String, Value>, id: Option<String>) -> Result<RegionRow> {
    check(&REGION, &Value::Object(body.clone()))?;
    let r = member(body, "region")?;
    Ok(RegionRow {
        id: id.or_else(|| str_field(r, "id")).unwrap_or_else(common::ids::hex_id),
        description: str_field(r, "description").unwrap_or_default(),
        parent_region_id: str_field(r, "parent_region_id"),
        extra: extras(r, REGION_KNOWN),
    })
}

/// `before` with an update body applied.
pub fn apply_region_update(before: &RegionRow, body: &Map<String, Value>) -> Result<RegionRow> {
    check(&REGION, &Value::Object(body.clone()))?;
    let r = member(body, "region")?;
    check_same_id(r, &before.id, "region")?;
    let mut after = before.clone();
    if r.contains_key("description") {
        after.description = str_field(r, "description").unwrap_or_default();
    }
    if r.contains_key("parent_region_id") {
        after.parent_region_id = str_field(r, "parent_region_id");
    }
    after.extra.extend(extras(r, REGION_KNOWN));
    Ok(after)
}

/// A region as Keystone returns it.
pub fn render_region(links: &Links, r: &RegionRow) -> Value {
    with_extras(
        json!({"id": r.id, "description": r.description, "parent_region_id": r.parent_region_id,
               "links": links.entity(&format!("regions/{}", r.id))}),
        &r.extra,
    )
}

/// A service from a create body.
pub fn parse_service(body: &Map<String, Value>) -> Result<ServiceRow> {
    check(&SERVICE_CREATE, &Value::Object(body.clone()))?;
    let s = member(body, "service")?;
    Ok(ServiceRow {
        id: common::ids::hex_id(),
        service_type: str_field(s, "type").unwrap_or_default(),
        enabled: bool_field(s, "enabled", true),
        extra: extras(s, SERVICE_KNOWN),
    })
}

/// `before` with an update body applied.
pub fn apply_service_update(before: &ServiceRow, body: &Map<String, Value>) -> Result<ServiceRow> {
    check(&SERVICE_UPDATE, &Value::Object(body.clone()))?;
    let s = member(body, "service")?;
    check_same_id(s, &before.id, "service")?;
    let mut after = before.clone();
    if let Some(t) = str_field(s, "type") {
        after.service_type = t;
    }
    after.enabled = bool_field(s, "enabled", before.enabled);
    after.extra.extend(extras(s, SERVICE_KNOWN));
    Ok(after)
}

/// A service as Keystone returns it.
pub fn render_service(links: &Links, s: &ServiceRow) -> Value {
    with_extras(
        json!({"id": s.id, "type": s.service_type, "enabled": s.enabled, "links": links.entity(&format!("services/{}", s.id))}),
        &s.extra,
    )
}

/// An endpoint from a create body, and whether it named its region only by the legacy
/// `region` field (Keystone then creates the region if it is missing).
pub fn parse_endpoint(body: &Map<String, Value>) -> Result<(EndpointRow, bool)> {
    check(&ENDPOINT_CREATE, &Value::Object(body.clone()))?;
    let e = member(body, "endpoint")?;
    let legacy_region = str_field(e, "region_id").is_none() && str_field(e, "region").is_some();
    let row = EndpointRow {
        id: common::ids::hex_id(),
        service_id: str_field(e, "service_id").unwrap_or_default(),
        interface: str_field(e, "interface").unwrap_or_default(),
        url: str_field(e, "url").unwrap_or_default(),
        region_id: str_field(e, "region_id").or_else(|| str_field(e, "region")),
        enabled: bool_field(e, "enabled", true),
        extra: extras(e, ENDPOINT_KNOWN),
    };
    Ok((row, legacy_region))
}

/// `before` with an update body applied, and whether it named its region only by the
/// legacy `region` field.
pub fn apply_endpoint_update(before: &EndpointRow, body: &Map<String, Value>) -> Result<(EndpointRow, bool)> {
    check(&ENDPOINT_UPDATE, &Value::Object(body.clone()))?;
    let e = member(body, "endpoint")?;
    check_same_id(e, &before.id, "endpoint")?;
    let mut after = before.clone();
    if let Some(v) = str_field(e, "service_id") {
        after.service_id = v;
    }
    if let Some(v) = str_field(e, "interface") {
        after.interface = v;
    }
    if let Some(v) = str_field(e, "url") {
        after.url = v;
    }
    if e.contains_key("region_id") || e.contains_key("region") {
        after.region_id = str_field(e, "region_id").or_else(|| str_field(e, "region"));
    }
    after.enabled = bool_field(e, "enabled", before.enabled);
    after.extra.extend(extras(e, ENDPOINT_KNOWN));
    let legacy_region = str_field(e, "region_id").is_none() && str_field(e, "region").is_some();
    Ok((after, legacy_region))
}

/// An endpoint as Keystone returns it.
pub fn render_endpoint(links: &Links, e: &EndpointRow) -> Value {
    with_extras(
        json!({"id": e.id, "service_id": e.service_id, "interface": e.interface, "url": e.url,
               "region_id": e.region_id, "region": e.region_id, "enabled": e.enabled,
               "links": links.entity(&format!("endpoints/{}", e.id))}),
        &e.extra,
    )
}
