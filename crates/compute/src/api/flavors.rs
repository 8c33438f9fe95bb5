//! Flavor bodies: create and update requests, extra specs, access actions, list
//! queries, and the brief and detailed views per microversion.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{
    boolean, integer, invalid, last, only_keys, parse_limit, printable_name, py_repr, required, strict_bool, strict_query, string, wrapped,
};
use crate::domain::flavors::{FlavorQuery, NewFlavor, PublicFilter, SORT_KEYS};
use crate::domain::{Error, Result, Version};
use crate::store::FlavorRow;

const MAX_INT: i64 = i32::MAX as i64;

/// Whether `s` is a flavor id Nova accepts: letters, digits, `.`, ` `, `_` and `-`, not
/// starting or ending with a space.
fn valid_flavor_id(s: &str) -> bool {
    !s.starts_with(' ') && !s.ends_with(' ') && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ' ' | '_' | '-'))
}

/// A description: absent, null, or printable text of at most 65535 characters.
fn description(v: &Value) -> Result<Option<String>> {
    if v.is_null() {
        return Ok(None);
    }
    let s = string("description", v, 0, 65535)?;
    if !s.chars().all(|c| super::is_printable(c) || c.is_whitespace()) {
        return Err(invalid("description", v, &format!("{} does not match printable characters", py_repr(v))));
    }
    Ok(Some(s))
}

/// `POST /flavors`.
pub fn parse_create(body: &Value, version: Version) -> Result<NewFlavor> {
    let f = wrapped(body, "flavor")?;
    let mut allowed =
        vec!["name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap", "rxtx_factor", "os-flavor-access:is_public"];
    if version.at_least(55) {
        allowed.push("description");
    }
    only_keys(f, &allowed, Some("flavor"))?;
    for key in ["name", "ram", "vcpus", "disk"] {
        required(f, key, "flavor")?;
    }
    let name = string("name", &f["name"], 1, 255)?;
    printable_name(&name)?;
    let flavorid = match f.get("id") {
        None | Some(Value::Null) => None,
        Some(v @ Value::String(s)) => {
            string("id", v, 1, 255)?;
            if !valid_flavor_id(s) {
                return Err(invalid("id", v, &format!("{} does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'", py_repr(v))));
            }
            Some(s.clone())
        }
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => return Err(invalid("id", other, &format!("{} is not of type 'string', 'number', 'null'", py_repr(other)))),
    };
    let rxtx_factor = match f.get("rxtx_factor") {
        None => 1.0,
        Some(v) => {
            let n = match v {
                Value::Number(n) => n.as_f64().unwrap_or(0.0),
                Value::String(s) if regex_number(s) => s.parse().unwrap_or(0.0),
                other => return Err(invalid("rxtx_factor", other, &format!("{} is not of type 'number', 'string'", py_repr(other)))),
            };
            if n <= 0.0 {
                return Err(invalid("rxtx_factor", v, &format!("{} is less than or equal to the minimum of 0", py_repr(v))));
            }
            n
        }
    };
    Ok(NewFlavor {
        flavorid,
        name,
        memory_mb: integer("ram", &f["ram"], 1, MAX_INT)?,
        vcpus: integer("vcpus", &f["vcpus"], 1, MAX_INT)?,
        root_gb: integer("disk", &f["disk"], 0, MAX_INT)?,
        ephemeral_gb: f
            .get("OS-FLV-EXT-DATA:ephemeral")
            .map(|v| integer("OS-FLV-EXT-DATA:ephemeral", v, 0, MAX_INT))
            .transpose()?
            .unwrap_or(0),
        swap: f.get("swap").map(|v| integer("swap", v, 0, MAX_INT)).transpose()?.unwrap_or(0),
        rxtx_factor,
        is_public: f.get("os-flavor-access:is_public").map(|v| boolean("os-flavor-access:is_public", v)).transpose()?.unwrap_or(true),
        description: f.get("description").map(description).transpose()?.flatten(),
    })
}

/// A decimal number as a string (`^[0-9]+(\.[0-9]+)?$`).
fn regex_number(s: &str) -> bool {
    let (whole, frac) = s.split_once('.').map_or((s, None), |(w, f)| (w, Some(f)));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && frac.is_none_or(digits)
}

/// `PUT /flavors/{id}` (2.55): the description, which is all that may change.
pub fn parse_update(body: &Value) -> Result<Option<String>> {
    let f = wrapped(body, "flavor")?;
    only_keys(f, &["description"], Some("flavor"))?;
    description(required(f, "description", "flavor")?)
}

/// An extra spec value: a string of at most 255 characters, or a number (stored as text).
fn spec_value(v: &Value) -> Result<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(invalid("extra_specs", other, &format!("{} is not of type 'string', 'number'", py_repr(other))));
        }
    };
    if s.chars().count() > 255 {
        return Err(Error::BadRequest(format!("extra_specs value has {} characters, more than 255.", s.chars().count())));
    }
    Ok(s)
}

/// Whether an extra spec key is acceptable: 1–255 of letters, digits, `-_:. `.
fn valid_spec_key(k: &str) -> bool {
    (1..=255).contains(&k.chars().count()) && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | ' '))
}

fn spec_map(obj: &Map<String, Value>, field: &str) -> Result<BTreeMap<String, String>> {
    let mut specs = BTreeMap::new();
    for (k, v) in obj {
        if !valid_spec_key(k) {
            return Err(invalid(
                field,
                &Value::Object(obj.clone()),
                &format!("'{k}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{{1,255}}$'"),
            ));
        }
        specs.insert(k.clone(), spec_value(v)?);
    }
    Ok(specs)
}

/// `POST /flavors/{id}/os-extra_specs`: `{"extra_specs": {...}}`.
pub fn parse_extra_specs(body: &Value) -> Result<BTreeMap<String, String>> {
    spec_map(wrapped(body, "extra_specs")?, "extra_specs")
}

/// `PUT /flavors/{id}/os-extra_specs/{key}`: `{key: value}`, the key matching the URL.
pub fn parse_extra_spec(body: &Value, key: &str) -> Result<BTreeMap<String, String>> {
    let Some(obj) = body.as_object() else {
        return Err(Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))));
    };
    match obj.len() {
        0 => return Err(Error::BadRequest("{} does not have enough properties".into())),
        1 => {}
        _ => return Err(Error::BadRequest(format!("{} has too many properties", py_repr(body)))),
    }
    let specs = spec_map(obj, "extra_specs")?;
    if !specs.contains_key(key) {
        return Err(Error::BadRequest("Request body and URI mismatch".into()));
    }
    Ok(specs)
}

/// An access action: `{"addTenantAccess"|"removeTenantAccess": {"tenant": "..."}}`,
/// as (add?, project).
pub fn parse_access_action(body: &Value) -> Result<(bool, String)> {
    let Some(obj) = body.as_object() else {
        return Err(Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))));
    };
    let (add, action) = match obj.keys().next().map(String::as_str) {
        Some("addTenantAccess") => (true, "addTenantAccess"),
        Some("removeTenantAccess") => (false, "removeTenantAccess"),
        Some(other) => return Err(Error::BadRequest(format!("There is no such action: {other}"))),
        None => return Err(Error::BadRequest("Malformed request body".into())),
    };
    let inner = wrapped(body, action)?;
    only_keys(inner, &["tenant"], Some(action))?;
    let tenant = string("tenant", required(inner, "tenant", action)?, 1, 255)?;
    Ok((add, tenant))
}

/// `GET /flavors[/detail]` parameters.
pub fn parse_list_query(pairs: &[(String, String)], version: Version, admin: bool) -> Result<FlavorQuery> {
    strict_query(pairs, &["limit", "marker", "is_public", "minRam", "minDisk", "sort_key", "sort_dir"], version.at_least(75))?;
    let int_filter = |name: &str| -> Result<Option<i64>> {
        last(pairs, name)
            .map(|v| v.trim().parse::<i64>().map_err(|_| Error::BadRequest(format!("Invalid {name} filter [{v}]"))))
            .transpose()
    };
    let public = match last(pairs, "is_public") {
        _ if !admin => PublicFilter::PublicAndShared,
        None => PublicFilter::PublicAndShared,
        Some(v) if v.eq_ignore_ascii_case("none") => PublicFilter::All,
        Some(v) => match strict_bool(v) {
            Some(true) => PublicFilter::PublicAndShared,
            Some(false) => PublicFilter::PrivateOnly,
            None => return Err(Error::BadRequest(format!("Invalid is_public filter [{v}]"))),
        },
    };
    let sort_key = match last(pairs, "sort_key") {
        Some(k) if !SORT_KEYS.contains(&k) => {
            let allowed = SORT_KEYS.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
            return Err(super::invalid_query("sort_key", k, &format!("'{k}' is not one of [{allowed}]")));
        }
        other => other.map(str::to_owned),
    };
    let descending = match last(pairs, "sort_dir") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(d) => return Err(super::invalid_query("sort_dir", d, &format!("'{d}' is not one of ['asc', 'desc']"))),
    };
    Ok(FlavorQuery {
        public,
        min_ram: int_filter("minRam")?,
        min_disk: int_filter("minDisk")?,
        sort_key,
        descending,
        limit: parse_limit(pairs)?,
        marker: last(pairs, "marker").map(str::to_owned),
    })
}

/// Self and bookmark links of a flavor, under `base` (`http://host/compute`).
fn links(base: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{base}/v2.1/flavors/{id}")},
        {"rel": "bookmark", "href": format!("{base}/flavors/{id}")},
    ])
}

/// A flavor in a brief list.
pub fn render_brief(f: &FlavorRow, version: Version, base: &str) -> Value {
    let mut v = json!({"id": f.flavorid, "name": f.name, "links": links(base, &f.flavorid)});
    if version.at_least(55) {
        v["description"] = json!(f.description);
    }
    v
}

/// A flavor in full; extra specs from 2.61 when the caller may read them.
pub fn render_detail(f: &FlavorRow, version: Version, base: &str, with_specs: bool) -> Value {
    let swap = if f.swap == 0 && !version.at_least(75) { json!("") } else { json!(f.swap) };
    let mut v = json!({
        "id": f.flavorid,
        "name": f.name,
        "ram": f.memory_mb,
        "disk": f.root_gb,
        "swap": swap,
        "OS-FLV-EXT-DATA:ephemeral": f.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": f.disabled,
        "vcpus": f.vcpus,
        "os-flavor-access:is_public": f.is_public,
        "rxtx_factor": f.rxtx_factor,
        "links": links(base, &f.flavorid),
    });
    if version.at_least(55) {
        v["description"] = json!(f.description);
    }
    if version.at_least(61) && with_specs {
        v["extra_specs"] = json!(f.extra_specs);
    }
    v
}

/// `{"flavor_access": [...]}`.
pub fn render_access(flavorid: &str, projects: &[String]) -> Value {
    json!({"flavor_access": projects.iter().map(|p| json!({"flavor_id": flavorid, "tenant_id": p})).collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies_follow_novas_schema() {
        let v = Version(55);
        let f =
            parse_create(&json!({"flavor": {"name": "a", "ram": "512", "vcpus": 1, "disk": 0, "id": 10, "description": "x"}}), v).unwrap();
        assert_eq!((f.flavorid.as_deref(), f.memory_mb, f.is_public, f.rxtx_factor), (Some("10"), 512, true, 1.0));
        assert!(parse_create(&json!({"flavor": {"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "id": 0}}), v).unwrap().flavorid.is_none());
        let e =
            parse_create(&json!({"flavor": {"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "description": "x"}}), Version(54)).unwrap_err();
        assert!(e.to_string().contains("Additional properties are not allowed ('description' was unexpected)"), "{e}");
        let e = parse_create(&json!({"flavor": {"name": "a", "vcpus": 1, "disk": 0}}), v).unwrap_err();
        assert!(e.to_string().ends_with("'ram' is a required property"), "{e}");
        assert!(parse_create(&json!({"flavor": {"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "id": " x"}}), v).is_err());
        assert!(parse_create(&json!({"flavor": {"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "swap": ""}}), v).is_err());
        assert!(parse_create(&json!({"flavor": {"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "rxtx_factor": 0}}), v).is_err());
        assert!(
            parse_create(&json!({"flavor": {"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "os-flavor-access:is_public": "maybe"}}), v)
                .is_err()
        );
        assert!(
            !parse_create(&json!({"flavor": {"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "os-flavor-access:is_public": "False"}}), v)
                .unwrap()
                .is_public
        );
    }

    #[test]
    fn extra_spec_bodies_and_actions() {
        assert_eq!(parse_extra_specs(&json!({"extra_specs": {"a": 1, "b": "x"}})).unwrap()["a"], "1");
        assert!(parse_extra_specs(&json!({"extra_specs": {"bad/key": "x"}})).is_err());
        assert!(parse_extra_specs(&json!({"extra_specs": {"a": true}})).is_err());
        assert_eq!(parse_extra_spec(&json!({"a": "1"}), "b").unwrap_err().to_string(), "Request body and URI mismatch");
        assert!(parse_extra_spec(&json!({"a": "1", "b": "2"}), "a").is_err());
        assert_eq!(parse_access_action(&json!({"addTenantAccess": {"tenant": "p"}})).unwrap(), (true, "p".to_owned()));
        assert!(parse_access_action(&json!({"addTenantAccess": {}})).is_err());
        assert_eq!(parse_access_action(&json!({"reboot": {}})).unwrap_err().to_string(), "There is no such action: reboot");
    }

    #[test]
    fn list_queries_honour_admin_only_filters_and_strictness() {
        let pairs = |s: &str| super::super::query_pairs(Some(s)).unwrap();
        assert_eq!(parse_list_query(&pairs("is_public=none"), Version(1), true).unwrap().public, PublicFilter::All);
        assert_eq!(parse_list_query(&pairs("is_public=bogus"), Version(1), false).unwrap().public, PublicFilter::PublicAndShared);
        assert!(parse_list_query(&pairs("is_public=bogus"), Version(1), true).is_err());
        assert!(parse_list_query(&pairs("minRam=x"), Version(1), false).is_err());
        assert!(parse_list_query(&pairs("foo=1"), Version(74), false).is_ok());
        assert!(parse_list_query(&pairs("foo=1"), Version(75), false).is_err());
        assert!(parse_list_query(&pairs("sort_key=bogus"), Version(1), false).is_err());
    }

    #[test]
    fn views_change_with_the_microversion() {
        let f = FlavorRow {
            id: 1,
            flavorid: "1".into(),
            name: "m1.tiny".into(),
            memory_mb: 512,
            vcpus: 1,
            root_gb: 1,
            ephemeral_gb: 0,
            swap: 0,
            rxtx_factor: 1.0,
            vcpu_weight: None,
            disabled: false,
            is_public: true,
            description: None,
            created_at: 0,
            updated_at: None,
            extra_specs: BTreeMap::from([("k".into(), "v".into())]),
        };
        let old = render_detail(&f, Version(1), "http://h/compute", true);
        assert_eq!(old["swap"], "");
        assert!(old.get("description").is_none() && old.get("extra_specs").is_none());
        assert_eq!(old["links"][0]["href"], "http://h/compute/v2.1/flavors/1");
        assert_eq!(old["links"][1]["href"], "http://h/compute/flavors/1");
        let new = render_detail(&f, Version(75), "http://h/compute", true);
        assert_eq!(new["swap"], 0);
        assert_eq!(new["extra_specs"]["k"], "v");
        assert!(new.get("description").is_some_and(Value::is_null));
        assert!(render_detail(&f, Version(75), "http://h/compute", false).get("extra_specs").is_none());
        assert!(render_brief(&f, Version(55), "b").get("description").is_some());
    }
}
