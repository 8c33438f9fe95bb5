//! Compute's wire format: request bodies parsed and checked as Nova's JSON schemas
//! check them (with Nova's wording of what is wrong), and response bodies spelled as
//! Nova spells them, per microversion.

pub mod aggregates;
pub mod flavors;
pub mod hosts;
pub mod hypervisors;
pub mod images;
pub mod instance_actions;
pub mod keypairs;
pub mod quotas;
pub mod server_actions;
pub mod server_diagnostics;
pub mod server_external_events;
pub mod server_groups;
pub mod servers;
pub mod services;
pub mod simple_tenant_usage;
pub mod versions;

use serde_json::{Map, Value};

use crate::domain::{Error, Result};

/// Nova's wording of a value that fails its schema.
pub(crate) fn invalid(field: &str, value: &Value, why: &str) -> Error {
    Error::BadRequest(format!("Invalid input for field/attribute {field}. Value: {}. {why}", py_str(value)))
}

/// Nova's wording of a query parameter that fails its schema.
pub(crate) fn invalid_query(name: &str, value: &str, why: &str) -> Error {
    Error::BadRequest(format!("Invalid input for query parameters {name}. Value: {value}. {why}"))
}

/// A value as Python's `str()` prints it, which is how Nova quotes bad input.
pub(crate) fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// A value as Python's `repr()` prints it.
pub(crate) fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!("{{{}}}", m.iter().map(|(k, v)| format!("'{k}': {}", py_repr(v))).collect::<Vec<_>>().join(", ")),
    }
}

/// The body as an object whose only key is `wrapper` (whose value must be an object),
/// refusing any other key as Nova's `additionalProperties: false` does.
pub(crate) fn wrapped<'a>(body: &'a Value, wrapper: &str) -> Result<&'a Map<String, Value>> {
    let inner = wrapped_value(body, wrapper)?;
    inner.as_object().ok_or_else(|| invalid(wrapper, inner, &format!("{} is not of type 'object'", py_repr(inner))))
}

/// As [`wrapped`], for a wrapper whose value is an array.
pub(crate) fn wrapped_array<'a>(body: &'a Value, wrapper: &str) -> Result<&'a Vec<Value>> {
    let inner = wrapped_value(body, wrapper)?;
    inner.as_array().ok_or_else(|| invalid(wrapper, inner, &format!("{} is not of type 'array'", py_repr(inner))))
}

fn wrapped_value<'a>(body: &'a Value, wrapper: &str) -> Result<&'a Value> {
    let Some(top) = body.as_object() else {
        return Err(Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))));
    };
    let Some(inner) = top.get(wrapper) else {
        return Err(Error::BadRequest(format!("'{wrapper}' is a required property")));
    };
    only_keys(top, &[wrapper], None)?;
    Ok(inner)
}

/// Refuses keys outside `allowed`; `field` names the object in the message (none at
/// the top level).
pub(crate) fn only_keys(obj: &Map<String, Value>, allowed: &[&str], field: Option<&str>) -> Result<()> {
    let extra: Vec<String> = obj.keys().filter(|k| !allowed.contains(&k.as_str())).map(|k| format!("'{k}'")).collect();
    if extra.is_empty() {
        return Ok(());
    }
    let verb = if extra.len() == 1 { "was" } else { "were" };
    let why = format!("Additional properties are not allowed ({} {verb} unexpected)", extra.join(", "));
    Err(match field {
        Some(f) => invalid(f, &Value::Object(obj.clone()), &why),
        None => Error::BadRequest(why),
    })
}

/// A required key of `obj` (named `field` in the message).
pub(crate) fn required<'a>(obj: &'a Map<String, Value>, key: &str, field: &str) -> Result<&'a Value> {
    obj.get(key).ok_or_else(|| invalid(field, &Value::Object(obj.clone()), &format!("'{key}' is a required property")))
}

/// A string of `min..=max` characters.
pub(crate) fn string(field: &str, v: &Value, min: usize, max: usize) -> Result<String> {
    let Some(s) = v.as_str() else {
        return Err(invalid(field, v, &format!("{} is not of type 'string'", py_repr(v))));
    };
    let len = s.chars().count();
    if len < min {
        return Err(invalid(field, v, &format!("{} should be non-empty", py_repr(v))));
    }
    if len > max {
        return Err(invalid(field, v, &format!("{} is too long", py_repr(v))));
    }
    Ok(s.to_owned())
}

/// Nova's `name` format: printable characters, not starting or ending with whitespace.
pub(crate) fn printable_name(s: &str) -> Result<()> {
    let printable = s.chars().all(is_printable);
    let trimmed = !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace);
    if printable && trimmed {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.".into(),
        ))
    }
}

/// Whether Nova counts `c` as printable: no control or format characters, and of the
/// separators only spaces.
pub(crate) fn is_printable(c: char) -> bool {
    !c.is_control()
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
        && !('\u{e000}'..='\u{f8ff}').contains(&c)
        && (c as u32) < 0xffff
}

/// An integer, or a string of digits, in `min..=max` (Nova's `positive_integer` and
/// `non_negative_integer` types).
pub(crate) fn integer(field: &str, v: &Value, min: i64, max: i64) -> Result<i64> {
    let n = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse::<i64>().unwrap_or(i64::MAX),
        Value::String(_) => return Err(invalid(field, v, &format!("{} does not match '^[0-9]+$'", py_repr(v)))),
        other => return Err(invalid(field, v, &format!("{} is not of type 'integer', 'string'", py_repr(other)))),
    };
    if n < min {
        return Err(invalid(field, v, &format!("{n} is less than the minimum of {min}")));
    }
    if n > max {
        return Err(invalid(field, v, &format!("{n} is greater than the maximum of {max}")));
    }
    Ok(n)
}

/// A boolean, or one of the strings Nova's `boolean` type accepts.
pub(crate) fn boolean(field: &str, v: &Value) -> Result<bool> {
    const TRUE: [&str; 9] = ["True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes"];
    const FALSE: [&str; 9] = ["False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No"];
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if TRUE.contains(&s.as_str()) || s == "yes" => Ok(true),
        Value::String(s) if FALSE.contains(&s.as_str()) || s == "no" => Ok(false),
        other => Err(invalid(field, other, &format!("{} is not of type 'boolean', 'string'", py_repr(other)))),
    }
}

/// oslo's strict boolean of a query value (`1/t/true/on/y/yes`, `0/f/false/off/n/no`).
pub(crate) fn strict_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Some(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// The query string's parameters in order.
pub(crate) fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| Error::BadRequest(format!("Invalid query string: {e}")))
}

/// The last value given for `name`, as Nova's handlers read it.
pub(crate) fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// From 2.75 unknown query parameters are refused (before, they are ignored).
pub(crate) fn strict_query(pairs: &[(String, String)], allowed: &[&str], strict: bool) -> Result<()> {
    if !strict {
        return Ok(());
    }
    let mut extra: Vec<String> = pairs.iter().filter(|(k, _)| !allowed.contains(&k.as_str())).map(|(k, _)| format!("'{k}'")).collect();
    extra.dedup();
    if extra.is_empty() {
        return Ok(());
    }
    let verb = if extra.len() == 1 { "was" } else { "were" };
    Err(Error::BadRequest(format!("Additional properties are not allowed ({} {verb} unexpected)", extra.join(", "))))
}

/// A date-time query value.
pub(crate) fn query_time(name: &str, v: &str) -> Result<i64> {
    common::time::parse_client_time(v).ok_or_else(|| invalid_query(name, v, &format!("'{v}' is not a 'date-time'")))
}

/// A `limit` query value: digits only.
pub(crate) fn parse_limit(pairs: &[(String, String)]) -> Result<Option<usize>> {
    match last(pairs, "limit") {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(v.parse().unwrap_or(usize::MAX))),
        Some(v) => Err(invalid_query("limit", v, &format!("'{v}' does not match '^[0-9]*$'"))),
    }
}

/// A `next` link to the page after `marker`: the request's parameters sorted by name,
/// with `marker` replaced.
pub(crate) fn next_link(base: &str, pairs: &[(String, String)], marker: &str) -> Value {
    let mut params: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "marker").cloned().collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    params.push(("marker".into(), marker.to_owned()));
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    serde_json::json!([{"rel": "next", "href": format!("{base}?{query}")}])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_quoted_as_python_prints_them() {
        assert_eq!(py_repr(&json!({"name": "x", "n": 1, "b": true, "z": null})), "{'b': True, 'n': 1, 'name': 'x', 'z': None}");
        assert_eq!(py_str(&json!("abc")), "abc");
        assert_eq!(py_repr(&json!("it's")), "'it\\'s'");
    }

    #[test]
    fn integers_accept_digit_strings_within_bounds() {
        assert_eq!(integer("ram", &json!("512"), 1, 10_000).unwrap(), 512);
        let e = integer("ram", &json!(0), 1, 10).unwrap_err().to_string();
        assert_eq!(e, "Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1");
        let e = integer("swap", &json!(""), 0, 10).unwrap_err().to_string();
        assert_eq!(e, "Invalid input for field/attribute swap. Value: . '' does not match '^[0-9]+$'");
        assert!(integer("ram", &json!(1.5), 1, 10).is_err());
    }

    #[test]
    fn names_must_be_printable_and_trimmed() {
        assert!(printable_name("m1.tiny").is_ok());
        assert!(printable_name(" lead").is_err());
        assert!(printable_name("trail ").is_err());
        assert!(printable_name("bell\u{7}").is_err());
    }

    #[test]
    fn next_links_sort_parameters_and_replace_the_marker() {
        let pairs = vec![("marker".to_owned(), "a".to_owned()), ("limit".to_owned(), "2".to_owned())];
        assert_eq!(next_link("http://h/v2.1/flavors", &pairs, "b")[0]["href"], "http://h/v2.1/flavors?limit=2&marker=b");
    }
}
