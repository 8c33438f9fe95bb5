//! Tasks and import requests on the wire.

use common::time::{from_micros, iso8601};
use serde_json::{Map, Value, json};

use crate::api::images::parse_create;
use crate::domain::import::ImportRequest;
use crate::domain::tasks::{TASK_SORT_KEYS, TASK_STATUSES, TaskQuery};
use crate::domain::{Error, NewImage, Result};
use crate::store::TaskRow;

/// Task types Glance knows.
pub const TASK_TYPES: [&str; 3] = ["import", "api_image_import", "location_import"];

/// The fields every task view has.
fn summary(t: &TaskRow) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert("id".into(), json!(t.id));
    v.insert("type".into(), json!(t.kind));
    v.insert("status".into(), json!(t.status));
    v.insert("owner".into(), json!(t.owner));
    v.insert("created_at".into(), json!(iso8601(t.created_at)));
    v.insert("updated_at".into(), json!(iso8601(t.updated_at)));
    v.insert("self".into(), json!(format!("/v2/tasks/{}", t.id)));
    v.insert("schema".into(), json!("/v2/schemas/task"));
    if let Some(at) = t.expires_at {
        v.insert("expires_at".into(), json!(iso8601(at)));
    }
    v
}

/// A task as `GET /v2/tasks/{id}` shows it; ids and expiry only when set.
pub fn render(t: &TaskRow) -> Value {
    let mut v = summary(t);
    v.insert("input".into(), t.input.clone());
    v.insert("result".into(), t.result.clone().unwrap_or(Value::Null));
    v.insert("message".into(), json!(t.message));
    for (key, value) in [("image_id", &t.image_id), ("request_id", &t.request_id), ("user_id", &t.user_id)] {
        if let Some(value) = value {
            v.insert(key.into(), json!(value));
        }
    }
    Value::Object(v)
}

/// A task in a `GET /v2/tasks` list: no input, result or message.
pub fn render_stub(t: &TaskRow) -> Value {
    Value::Object(summary(t))
}

/// Glance's database time format, which `GET /v2/images/{id}/tasks` uses.
fn record_time(us: i64) -> String {
    from_micros(us).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A task as `GET /v2/images/{id}/tasks` shows it: the whole record.
pub fn render_record(t: &TaskRow) -> Value {
    json!({
        "id": t.id, "type": t.kind, "status": t.status, "owner": t.owner, "image_id": t.image_id,
        "request_id": t.request_id, "user_id": t.user_id, "input": t.input, "result": t.result, "message": t.message,
        "expires_at": t.expires_at.map(record_time), "created_at": record_time(t.created_at),
        "updated_at": record_time(t.updated_at), "deleted_at": null, "deleted": false,
    })
}

/// An import request: `{"method": {"name": ...}}`, with `stores` (a list of store
/// ids), `all_stores` and `all_stores_must_succeed` (booleans) when given, and the
/// store the `X-Image-Meta-Store` header names.
pub fn parse_import(body: Value, header_store: Option<&str>) -> Result<ImportRequest> {
    let method = body
        .get("method")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::BadRequest("Import request requires a 'method' field with a 'name'.".into()))?
        .to_owned();
    let flag = |key: &str, default: bool| match body.get(key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::BadRequest(format!("'{key}' must be a boolean."))),
    };
    let (all_stores, all_stores_must_succeed) = (flag("all_stores", false)?, flag("all_stores_must_succeed", true)?);
    let stores = match body.get("stores") {
        None => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|s| s.as_str().map(str::to_owned).ok_or_else(|| Error::BadRequest("'stores' must be a list of store ids.".into())))
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(_) => return Err(Error::BadRequest("'stores' must be a list of store ids.".into())),
    };
    let uri = match body["method"].get("uri") {
        None => None,
        Some(Value::String(uri)) => Some(uri.clone()),
        Some(_) => return Err(Error::BadRequest("'method.uri' must be a string.".into())),
    };
    Ok(ImportRequest { method, uri, stores, header_store: header_store.map(str::to_owned), all_stores, all_stores_must_succeed, body })
}

/// A task list query.
pub fn parse_task_query(params: &[(String, String)]) -> Result<TaskQuery> {
    let mut q = TaskQuery::default();
    let (mut key, mut ascending) = (None, false);
    for (name, raw) in params {
        match name.as_str() {
            "limit" => q.limit = Some(raw.parse().map_err(|_| Error::BadRequest("limit param must be an integer of 0 or more".into()))?),
            "marker" => {
                uuid::Uuid::parse_str(raw).map_err(|_| Error::BadRequest(format!("Invalid marker {raw}: it must be a task id.")))?;
                q.marker = Some(raw.clone());
            }
            "sort_key" if TASK_SORT_KEYS.contains(&raw.as_str()) => key = Some(raw.clone()),
            "sort_key" => {
                return Err(Error::BadRequest(format!("Invalid sort_key: {raw}. It must be one of {}.", TASK_SORT_KEYS.join(", "))));
            }
            "sort_dir" => {
                ascending = match raw.as_str() {
                    "asc" => true,
                    "desc" => false,
                    _ => return Err(Error::BadRequest(format!("Invalid sort direction: {raw}"))),
                }
            }
            "status" if TASK_STATUSES.contains(&raw.as_str()) => q.status = Some(raw.clone()),
            "status" => return Err(Error::BadRequest(format!("Invalid status value: {raw}"))),
            "type" if raw == "import" || raw == "api_image_import" => q.kind = Some(raw.clone()),
            "type" => return Err(Error::BadRequest(format!("Invalid type value: {raw}"))),
            other => return Err(Error::BadRequest(format!("Unknown task filter: {other}"))),
        }
    }
    q.sort = Some((key.unwrap_or_else(|| "created_at".into()), ascending));
    Ok(q)
}

/// A `POST /v2/tasks` body: a known `type` and an object `input`. Only the legacy
/// `import` type is created this way: its input names the data (`import_from`) and the
/// image to create (`image_properties`). Returns the image, the URL and the input.
pub fn parse_new_task(body: &Value) -> Result<(NewImage, String, Value)> {
    let kind = body.get("type").and_then(Value::as_str).ok_or_else(|| Error::BadRequest("Task requires a 'type'.".into()))?;
    if !TASK_TYPES.contains(&kind) {
        return Err(Error::BadRequest(format!("Invalid task type {kind:?}: it must be one of {}.", TASK_TYPES.join(", "))));
    }
    let input = match body.get("input") {
        Some(input @ Value::Object(_)) => input.clone(),
        _ => return Err(Error::BadRequest("Task requires an object 'input'.".into())),
    };
    if kind != "import" {
        return Err(Error::BadRequest(format!("Tasks of type '{kind}' are created by the service, not through /v2/tasks.")));
    }
    let uri = input
        .get("import_from")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::BadRequest("An import task needs 'import_from', the URL of the data.".into()))?
        .to_owned();
    let properties = input.get("image_properties").cloned().unwrap_or_else(|| json!({}));
    if !properties.is_object() {
        return Err(Error::BadRequest("'image_properties' must be an object.".into()));
    }
    Ok((parse_create(&properties)?, uri, input))
}
