//! `os-quota-sets`, `os-quota-class-sets` and `limits` bodies per microversion.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{boolean, invalid, last, only_keys, py_repr, strict_query, wrapped};
use crate::domain::quotas::{QuotaView, quota_class_update_keys, quota_set_keys};
use crate::domain::{Result, Version};

const MAX_LIMIT: i64 = i32::MAX as i64;

/// A limit: an integer, or a string of one, from -1 (unlimited) to 2^31-1.
fn limit_value(field: &str, v: &Value) -> Result<i64> {
    let n = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(field, v, &format!("{} does not match '^-?[0-9]+$'", py_repr(v))));
            }
            s.parse().unwrap_or(i64::MAX)
        }
        other => return Err(invalid(field, other, &format!("{} is not of type 'integer', 'string'", py_repr(other)))),
    };
    if n < -1 {
        return Err(invalid(field, v, &format!("{n} is less than the minimum of -1")));
    }
    if n > MAX_LIMIT {
        return Err(invalid(field, v, &format!("{n} is greater than the maximum of {MAX_LIMIT}")));
    }
    Ok(n)
}

/// `?user_id=` of the quota set routes (unknown parameters refused from 2.75).
pub fn parse_user(pairs: &[(String, String)], version: Version) -> Result<Option<String>> {
    strict_query(pairs, &["user_id"], version.at_least(75))?;
    Ok(pairs.iter().find(|(k, _)| k == "user_id").map(|(_, v)| v.clone()))
}

/// `?tenant_id=` of `/limits` (unknown parameters refused from 2.75).
pub fn parse_tenant(pairs: &[(String, String)], version: Version) -> Result<Option<String>> {
    strict_query(pairs, &["tenant_id"], version.at_least(75))?;
    Ok(last(pairs, "tenant_id").map(str::to_owned))
}

/// `PUT /os-quota-sets/{project}`: the new limits and `force`.
pub fn parse_update(body: &Value, version: Version) -> Result<(BTreeMap<String, i64>, bool)> {
    let q = wrapped(body, "quota_set")?;
    let mut allowed = quota_set_keys(version);
    allowed.push("force");
    only_keys(q, &allowed, Some("quota_set"))?;
    let mut limits = BTreeMap::new();
    let mut force = false;
    for (k, v) in q {
        if k == "force" {
            force = boolean("force", v)?;
        } else {
            limits.insert(k.clone(), limit_value(k, v)?);
        }
    }
    Ok((limits, force))
}

/// `PUT /os-quota-class-sets/{class}`.
pub fn parse_class_update(body: &Value, version: Version) -> Result<BTreeMap<String, i64>> {
    let q = wrapped(body, "quota_class_set")?;
    only_keys(q, &quota_class_update_keys(version), Some("quota_class_set"))?;
    q.iter().map(|(k, v)| Ok((k.clone(), limit_value(k, v)?))).collect()
}

/// The `keys` of `limits`, with `"id": id` when given.
pub fn render_limits_map(limits: &BTreeMap<String, i64>, keys: &[&str], id: Option<&str>) -> Value {
    let mut m: Map<String, Value> = keys.iter().map(|k| ((*k).to_owned(), json!(limits.get(*k).copied().unwrap_or(-1)))).collect();
    if let Some(id) = id {
        m.insert("id".into(), json!(id));
    }
    Value::Object(m)
}

/// A quota set (`id` for show and defaults, none for update).
pub fn render_quota_set(limits: &BTreeMap<String, i64>, version: Version, id: Option<&str>) -> Value {
    json!({ "quota_set": render_limits_map(limits, &quota_set_keys(version), id) })
}

/// The detailed quota set: `{limit, in_use, reserved}` per resource.
pub fn render_detail(view: &QuotaView, version: Version, id: &str) -> Value {
    let mut m: Map<String, Value> = quota_set_keys(version)
        .iter()
        .map(|k| {
            let limit = view.limits.get(*k).copied().unwrap_or(-1);
            let in_use = view.in_use.get(*k).copied().unwrap_or(0);
            ((*k).to_owned(), json!({"limit": limit, "in_use": in_use, "reserved": 0}))
        })
        .collect();
    m.insert("id".into(), json!(id));
    json!({ "quota_set": m })
}

/// `GET /limits`: the absolute limits and usage per microversion; no rate limits.
pub fn render_absolute(view: &QuotaView, version: Version) -> Value {
    let limit = |r: &str| view.limits.get(r).copied().unwrap_or(-1);
    let used = |r: &str| view.in_use.get(r).copied().unwrap_or(0);
    let mut a = json!({
        "maxServerMeta": limit("metadata_items"),
        "maxTotalCores": limit("cores"),
        "maxTotalInstances": limit("instances"),
        "maxTotalKeypairs": limit("key_pairs"),
        "maxTotalRAMSize": limit("ram"),
        "maxServerGroups": limit("server_groups"),
        "maxServerGroupMembers": limit("server_group_members"),
        "totalCoresUsed": used("cores"),
        "totalInstancesUsed": used("instances"),
        "totalRAMUsed": used("ram"),
        "totalServerGroupsUsed": used("server_groups"),
    });
    if !version.at_least(57) {
        a["maxPersonality"] = json!(limit("injected_files"));
        a["maxPersonalitySize"] = json!(limit("injected_file_content_bytes"));
    }
    if !version.at_least(39) {
        a["maxImageMeta"] = json!(limit("metadata_items"));
    }
    if !version.at_least(36) {
        a["maxSecurityGroups"] = json!(limit("security_groups"));
        a["maxSecurityGroupRules"] = json!(limit("security_group_rules"));
        a["maxTotalFloatingIps"] = json!(limit("floating_ips"));
        a["totalFloatingIpsUsed"] = json!(0);
        a["totalSecurityGroupsUsed"] = json!(0);
    }
    json!({"limits": {"rate": [], "absolute": a}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_take_integers_or_digit_strings_and_refuse_retired_keys() {
        let (limits, force) = parse_update(&json!({"quota_set": {"ram": "5120", "instances": -1, "force": "True"}}), Version(1)).unwrap();
        assert_eq!((limits["ram"], limits["instances"], force), (5120, -1, true));
        assert!(parse_update(&json!({"quota_set": {"ram": -2}}), Version(1)).is_err());
        assert!(parse_update(&json!({"quota_set": {"ram": "abc"}}), Version(1)).is_err());
        assert!(parse_update(&json!({"quota_set": {"ram": 2_147_483_648_i64}}), Version(1)).is_err());
        assert!(parse_update(&json!({"quota_set": {"injected_files": 1}}), Version(56)).is_ok());
        let e = parse_update(&json!({"quota_set": {"injected_files": 1}}), Version(57)).unwrap_err().to_string();
        assert!(e.ends_with("Additional properties are not allowed ('injected_files' was unexpected)"), "{e}");
        assert!(parse_class_update(&json!({"quota_class_set": {"server_groups": 1}}), Version(1)).is_ok());
        assert!(parse_class_update(&json!({"quota_class_set": {"fixed_ips": 1}}), Version(50)).is_err());
    }

    #[test]
    fn absolute_limits_shrink_with_the_microversion() {
        let view = QuotaView::default();
        let count = |v: u16| render_absolute(&view, Version(v))["limits"]["absolute"].as_object().unwrap().len();
        assert_eq!((count(1), count(36), count(39), count(57)), (19, 14, 13, 11));
    }
}
