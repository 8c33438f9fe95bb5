//! Images on the wire: the image body, create requests, JSON patches and list queries.

use common::time::{iso8601, parse_client_time};
use serde_json::{Map, Value, json};

use crate::domain::images::{READ_ONLY, is_reserved};
use crate::domain::list::{Filter, SORT_KEYS, TimeOp};
use crate::domain::{Change, Error, ListQuery, NewImage, PatchDialect, Result};
use crate::store::ImageRow;

/// The patch media types, as `Accept-Patch` lists them.
pub const PATCH_MEDIA_TYPES: &str = "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch";

/// An image as Glance returns it: every base attribute (null when unset), the
/// additional properties beside them, and the links.
pub fn render(i: &ImageRow) -> Value {
    let mut v = json!({
        "id": i.id, "name": i.name, "status": i.status, "visibility": i.visibility, "protected": i.protected,
        "os_hidden": i.os_hidden, "checksum": i.checksum, "os_hash_algo": i.os_hash_algo, "os_hash_value": i.os_hash_value,
        "size": i.size, "virtual_size": i.virtual_size, "min_disk": i.min_disk, "min_ram": i.min_ram,
        "disk_format": i.disk_format, "container_format": i.container_format, "owner": i.owner,
        "created_at": iso8601(i.created_at), "updated_at": iso8601(i.updated_at), "tags": i.tags,
        "self": format!("/v2/images/{}", i.id), "file": format!("/v2/images/{}/file", i.id), "schema": "/v2/schemas/image",
    });
    let obj = v.as_object_mut().expect("an image is an object");
    if !i.stores.is_empty() {
        // Sorted, as clients compare the joined list (tempest's waiters do).
        let mut stores = i.stores.clone();
        stores.sort();
        obj.insert("stores".into(), json!(stores.join(",")));
    }
    for (key, value) in &i.properties {
        obj.entry(key.clone()).or_insert_with(|| value.clone());
    }
    v
}

fn bad(key: &str, what: &str) -> Error {
    Error::BadRequest(format!("Invalid value for '{key}': {what} is expected."))
}

fn opt_string(key: &str, v: &Value) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(bad(key, "a string or null")),
    }
}

/// A create request. Attributes only the service sets are refused with 403, as Glance
/// does, before any type is checked; then every value must have its type (400).
pub fn parse_create(body: &Value) -> Result<NewImage> {
    let obj = body.as_object().ok_or_else(|| Error::BadRequest("Body expected in request.".into()))?;
    for key in obj.keys() {
        if READ_ONLY.contains(&key.as_str()) && key != "id" {
            return Err(Error::Forbidden(format!("Attribute '{key}' is read-only.")));
        }
        if is_reserved(key) {
            return Err(Error::Forbidden(format!("Attribute '{key}' is reserved.")));
        }
    }
    let mut req = NewImage::default();
    let mut properties = Map::new();
    for (key, v) in obj {
        match key.as_str() {
            "id" => req.id = Some(v.as_str().ok_or_else(|| bad(key, "a string"))?.to_owned()),
            "name" => req.name = opt_string(key, v)?,
            "visibility" => req.visibility = Some(v.as_str().ok_or_else(|| bad(key, "a string"))?.to_owned()),
            "protected" => req.protected = v.as_bool().ok_or_else(|| bad(key, "a boolean"))?,
            "os_hidden" => req.os_hidden = v.as_bool().ok_or_else(|| bad(key, "a boolean"))?,
            "owner" => req.owner = opt_string(key, v)?,
            "disk_format" => req.disk_format = opt_string(key, v)?,
            "container_format" => req.container_format = opt_string(key, v)?,
            "min_disk" => req.min_disk = v.as_i64().ok_or_else(|| bad(key, "an integer"))?,
            "min_ram" => req.min_ram = v.as_i64().ok_or_else(|| bad(key, "an integer"))?,
            "tags" => {
                let tags = v.as_array().ok_or_else(|| bad(key, "a list of strings"))?;
                req.tags = tags
                    .iter()
                    .map(|t| t.as_str().map(str::to_owned).ok_or_else(|| bad(key, "a list of strings")))
                    .collect::<Result<_>>()?;
            }
            _ => {
                let text = v.as_str().ok_or_else(|| bad(key, "a string (additional properties are strings)"))?;
                properties.insert(key.clone(), Value::String(text.to_owned()));
            }
        }
    }
    req.properties = properties;
    Ok(req)
}

/// The dialect a PATCH's media type names (parameters ignored), or 415.
pub fn patch_dialect(content_type: Option<&str>) -> Result<PatchDialect> {
    let media = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        "application/openstack-images-v2.1-json-patch" => Ok(PatchDialect::V2_1),
        "application/openstack-images-v2.0-json-patch" => Ok(PatchDialect::V2_0),
        other => Err(Error::UnsupportedMediaType(format!("Unsupported Content-Type {other:?}: use one of {PATCH_MEDIA_TYPES}."))),
    }
}

/// The attribute a JSON pointer names: exactly one segment, with `~1` and `~0` decoded.
fn pointer_key(path: &str) -> Result<String> {
    let invalid = || Error::BadRequest(format!("Invalid JSON pointer for this resource: '{path}'"));
    let segment = path.strip_prefix('/').filter(|s| !s.is_empty() && !s.contains('/')).ok_or_else(invalid)?;
    let mut key = String::with_capacity(segment.len());
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        match (c, c == '~') {
            (_, true) => match chars.next() {
                Some('0') => key.push('~'),
                Some('1') => key.push('/'),
                _ => return Err(invalid()),
            },
            (c, false) => key.push(c),
        }
    }
    Ok(key)
}

/// The changes of a PATCH body in `dialect`.
pub fn parse_patch(dialect: PatchDialect, body: &Value) -> Result<Vec<Change>> {
    let ops = body.as_array().ok_or_else(|| Error::BadRequest("Request body must be a JSON array of operation objects.".into()))?;
    let mut changes = Vec::with_capacity(ops.len());
    for op in ops {
        let obj = op.as_object().ok_or_else(|| Error::BadRequest("Operations must be JSON objects.".into()))?;
        let (name, path) = match dialect {
            PatchDialect::V2_1 => {
                let name = obj
                    .get("op")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::BadRequest("Unable to find 'op' in JSON Schema change".into()))?;
                let path = obj
                    .get("path")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::BadRequest("Unable to find 'path' in JSON Schema change".into()))?;
                (name, path)
            }
            PatchDialect::V2_0 => {
                let named: Vec<&str> = ["add", "remove", "replace"].into_iter().filter(|k| obj.contains_key(*k)).collect();
                let [name] = named[..] else {
                    return Err(Error::BadRequest(
                        "Operation objects must contain exactly one of \"add\", \"remove\", or \"replace\".".into(),
                    ));
                };
                (name, obj[name].as_str().ok_or_else(|| Error::BadRequest(format!("'{name}' must name a path.")))?)
            }
        };
        let key = pointer_key(path)?;
        let value = || {
            obj.get("value").cloned().ok_or_else(|| Error::BadRequest(format!("Operation \"{name}\" requires a member named \"value\".")))
        };
        changes.push(match name {
            "add" => Change::Add { key, value: value()? },
            "replace" => Change::Replace { key, value: value()? },
            "remove" => Change::Remove { key },
            other => return Err(Error::BadRequest(format!("Invalid operation: `{other}`: valid operations are add, remove and replace."))),
        });
    }
    Ok(changes)
}

fn one_of(key: &str, raw: &str) -> Result<Filter> {
    let values = match raw.split_once(':') {
        Some(("eq", v)) => vec![v.to_owned()],
        Some(("in", list)) => split_in(list),
        Some((op, _)) if ["name", "id", "status", "container_format", "disk_format"].contains(&key) => {
            return Err(Error::BadRequest(format!("Unable to filter by unknown operator '{op}'.")));
        }
        _ => vec![raw.to_owned()],
    };
    Ok(Filter::OneOf { key: key.to_owned(), values })
}

/// `a,b,"c,d"`: values separated by commas, a quoted value may hold commas.
fn split_in(list: &str) -> Vec<String> {
    let (mut values, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in list.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => values.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    values.push(current);
    values
}

fn time_filter(key: &str, raw: &str) -> Result<Filter> {
    let ops =
        [("gt", TimeOp::Gt), ("gte", TimeOp::Gte), ("lt", TimeOp::Lt), ("lte", TimeOp::Lte), ("eq", TimeOp::Eq), ("neq", TimeOp::Neq)];
    let (op, time) = match raw.split_once(':') {
        Some((op, rest)) if op.chars().all(|c| c.is_ascii_alphabetic()) => {
            let op = ops
                .iter()
                .find(|(name, _)| *name == op)
                .map(|(_, o)| *o)
                .ok_or_else(|| Error::BadRequest(format!("Invalid operator {op} for {key}.")))?;
            (op, rest)
        }
        _ => (TimeOp::Eq, raw),
    };
    let at = parse_client_time(time).ok_or_else(|| Error::BadRequest(format!("Invalid time format for {key}: {time}.")))?;
    Ok(Filter::Time { key: key.to_owned(), op, at })
}

fn flag(key: &str, raw: &str) -> Result<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::BadRequest(format!("Invalid value '{raw}' for {key}: true or false is expected."))),
    }
}

/// A list query, from its (possibly repeated) parameters.
pub fn parse_list_query(params: &[(String, String)]) -> Result<ListQuery> {
    let mut q = ListQuery::default();
    let (mut sort_keys, mut sort_dirs, mut sort) = (Vec::new(), Vec::new(), None);
    for (key, raw) in params {
        match key.as_str() {
            "limit" => {
                q.limit = Some(raw.parse::<usize>().map_err(|_| Error::BadRequest("limit param must be an integer of 0 or more".into()))?);
            }
            "marker" => q.marker = Some(raw.clone()),
            "sort_key" => sort_keys.push(raw.clone()),
            "sort_dir" => sort_dirs.push(raw.clone()),
            "sort" => sort = Some(raw.clone()),
            "visibility" => {
                if !["community", "public", "private", "shared", "all"].contains(&raw.as_str()) {
                    return Err(Error::BadRequest(format!("Invalid visibility value: {raw}")));
                }
                q.visibility = Some(raw.clone());
            }
            "member_status" => {
                if !["pending", "accepted", "rejected", "all"].contains(&raw.as_str()) {
                    return Err(Error::BadRequest(format!("Invalid status value: {raw}")));
                }
                q.member_status = Some(raw.clone());
            }
            "os_hidden" => q.os_hidden = flag(key, raw)?,
            "protected" => q.filters.push(Filter::OneOf { key: key.clone(), values: vec![flag(key, raw)?.to_string()] }),
            "tag" => q.filters.push(Filter::Tag(raw.clone())),
            "created_at" | "updated_at" => q.filters.push(time_filter(key, raw)?),
            "changes-since" => return Err(Error::BadRequest("changes-since is not a filter of the v2 API.".into())),
            _ => {
                let bound = key.strip_suffix("_min").map(|k| (k, true)).or_else(|| key.strip_suffix("_max").map(|k| (k, false)));
                match bound.filter(|(k, _)| ["size", "virtual_size", "min_disk", "min_ram"].contains(k)) {
                    Some((k, min)) => {
                        let bound = raw
                            .parse::<i64>()
                            .map_err(|_| Error::BadRequest(format!("Invalid value for {key}: an integer is expected.")))?;
                        q.filters.push(Filter::Bound { key: k.to_owned(), min, bound });
                    }
                    None => q.filters.push(one_of(key, raw)?),
                }
            }
        }
    }
    q.sort = match sort {
        Some(_) if !sort_keys.is_empty() || !sort_dirs.is_empty() => {
            return Err(Error::BadRequest("The 'sort' parameter cannot be combined with sort_key or sort_dir.".into()));
        }
        Some(spec) => spec
            .split(',')
            .map(|item| {
                let (k, dir) = item.split_once(':').unwrap_or((item, "desc"));
                Ok((k.trim().to_owned(), direction(dir)?))
            })
            .collect::<Result<_>>()?,
        None => {
            let dirs: Vec<bool> = sort_dirs.iter().map(|d| direction(d)).collect::<Result<_>>()?;
            if dirs.len() > 1 && dirs.len() != sort_keys.len() {
                return Err(Error::BadRequest("Number of sort dirs does not match the number of sort keys".into()));
            }
            sort_keys.iter().enumerate().map(|(i, k)| (k.clone(), dirs.get(i).or(dirs.first()).copied().unwrap_or(false))).collect()
        }
    };
    if let Some((k, _)) = q.sort.iter().find(|(k, _)| !SORT_KEYS.contains(&k.as_str())) {
        return Err(Error::BadRequest(format!("Invalid sort key: {k}. It must be one of the following: {}.", SORT_KEYS.join(", "))));
    }
    Ok(q)
}

fn direction(dir: &str) -> Result<bool> {
    match dir {
        "asc" => Ok(true),
        "desc" => Ok(false),
        other => Err(Error::BadRequest(format!("Invalid sort direction: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn create_refuses_what_only_the_service_sets() {
        assert!(matches!(parse_create(&json!({"status": "active"})), Err(Error::Forbidden(_))));
        assert!(matches!(parse_create(&json!({"os_glance_x": "y"})), Err(Error::Forbidden(_))));
        assert!(matches!(parse_create(&json!({"min_ram": "big"})), Err(Error::BadRequest(_))));
        assert!(matches!(parse_create(&json!({"custom": 5})), Err(Error::BadRequest(_))), "additional properties are strings");
        let ok = parse_create(&json!({"name": "n", "disk_format": "raw", "custom": "", "tags": ["a"]})).unwrap();
        assert_eq!((ok.name.as_deref(), ok.tags.len(), ok.properties["custom"].as_str()), (Some("n"), 1, Some("")));
    }

    #[test]
    fn patches_in_both_dialects() {
        let v21 = parse_patch(PatchDialect::V2_1, &json!([{"op": "add", "path": "/a~1b", "value": "x"}, {"op": "remove", "path": "/c"}]))
            .unwrap();
        assert_eq!(v21, [Change::Add { key: "a/b".into(), value: json!("x") }, Change::Remove { key: "c".into() }]);
        let v20 = parse_patch(PatchDialect::V2_0, &json!([{"replace": "/name", "value": "new"}])).unwrap();
        assert_eq!(v20, [Change::Replace { key: "name".into(), value: json!("new") }]);
        for bad in [
            json!({}),
            json!([{"op": "move", "path": "/a"}]),
            json!([{"op": "add", "path": "/a/b", "value": 1}]),
            json!([{"op": "add", "path": "/a"}]),
        ] {
            assert!(parse_patch(PatchDialect::V2_1, &bad).is_err(), "{bad}");
        }
        assert!(matches!(patch_dialect(Some("application/json")), Err(Error::UnsupportedMediaType(_))));
        assert_eq!(patch_dialect(Some("application/openstack-images-v2.1-json-patch; charset=UTF-8")).unwrap(), PatchDialect::V2_1);
    }

    #[test]
    fn list_queries_parse_as_glance_reads_them() {
        let q = parse_list_query(&params(&[
            ("limit", "1"),
            ("size_min", "10"),
            ("tag", "a"),
            ("tag", "b"),
            ("name", "in:x,\"y,z\""),
            ("os_hidden", "True"),
        ]))
        .unwrap();
        assert_eq!(q.limit, Some(1));
        assert!(q.os_hidden);
        assert!(q.filters.contains(&Filter::Bound { key: "size".into(), min: true, bound: 10 }));
        assert!(q.filters.contains(&Filter::OneOf { key: "name".into(), values: vec!["x".into(), "y,z".into()] }));
        assert_eq!(q.filters.iter().filter(|f| matches!(f, Filter::Tag(_))).count(), 2);
        let sorted = parse_list_query(&params(&[("sort", "name:asc,size")])).unwrap();
        assert_eq!(sorted.sort, [("name".to_owned(), true), ("size".to_owned(), false)]);
        for bad in [
            &[("limit", "-1")][..],
            &[("sort_key", "owner")],
            &[("visibility", "everyone")],
            &[("status", "like:x")],
            &[("sort", "name"), ("sort_key", "id")],
            &[("created_at", "gt:yesterday")],
        ] {
            assert!(parse_list_query(&params(bad)).is_err(), "{bad:?}");
        }
    }
}
