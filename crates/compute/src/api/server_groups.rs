//! `os-server-groups` bodies per microversion: a one-item `policies` list before 2.64
//! (soft policies from 2.15), `policy` and `rules` from then on.

use serde_json::{Value, json};

use super::{invalid, last, only_keys, printable_name, py_repr, required, strict_query, string, wrapped};
use crate::domain::server_groups::{NewServerGroup, ServerGroupView};
use crate::domain::{Result, Version};

/// The policies a microversion knows.
fn policies(version: Version) -> &'static [&'static str] {
    if version.at_least(15) {
        &["anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity"]
    } else {
        &["anti-affinity", "affinity"]
    }
}

fn one_of(field: &str, v: &Value, allowed: &[&str]) -> Result<String> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s.to_owned()),
        _ => {
            let list = allowed.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
            Err(invalid(field, v, &format!("{} is not one of [{list}]", py_repr(v))))
        }
    }
}

/// `POST /os-server-groups`.
pub fn parse_create(body: &Value, version: Version) -> Result<NewServerGroup> {
    let g = wrapped(body, "server_group")?;
    let allowed: &[&str] = if version.at_least(64) { &["name", "policy", "rules"] } else { &["name", "policies"] };
    only_keys(g, allowed, Some("server_group"))?;
    let name = string("name", required(g, "name", "server_group")?, 1, 255)?;
    printable_name(&name)?;
    if !version.at_least(64) {
        let list = required(g, "policies", "server_group")?;
        let items = list.as_array().ok_or_else(|| invalid("policies", list, &format!("{} is not of type 'array'", py_repr(list))))?;
        if items.len() != 1 {
            let why = if items.is_empty() { "should be non-empty" } else { "is too long" };
            return Err(invalid("policies", list, &format!("{} {why}", py_repr(list))));
        }
        return Ok(NewServerGroup { name, policy: one_of("policies", &items[0], policies(version))?, max_server_per_host: None });
    }
    let policy = one_of("policy", required(g, "policy", "server_group")?, policies(version))?;
    let max_server_per_host = match g.get("rules") {
        None => None,
        Some(rules) => {
            let r = rules.as_object().ok_or_else(|| invalid("rules", rules, &format!("{} is not of type 'object'", py_repr(rules))))?;
            only_keys(r, &["max_server_per_host"], Some("rules"))?;
            r.get("max_server_per_host").map(|v| super::integer("max_server_per_host", v, 1, i64::from(i32::MAX))).transpose()?
        }
    };
    Ok(NewServerGroup { name, policy, max_server_per_host })
}

/// `GET /os-server-groups` parameters: (all_projects, limit, offset).
pub fn parse_list_query(pairs: &[(String, String)], version: Version) -> Result<(bool, Option<usize>, usize)> {
    strict_query(pairs, &["all_projects", "limit", "offset"], version.at_least(75))?;
    let offset = match last(pairs, "offset") {
        None => 0,
        Some(v) => v.parse().map_err(|_| super::invalid_query("offset", v, &format!("'{v}' does not match '^[0-9]*$'")))?,
    };
    Ok((pairs.iter().any(|(k, _)| k == "all_projects"), super::parse_limit(pairs)?, offset))
}

/// A server group with its members.
pub fn render(g: &ServerGroupView, version: Version) -> Value {
    let ServerGroupView { group: g, members } = g;
    let mut v = json!({"id": g.uuid, "name": g.name, "members": members});
    if version.at_least(64) {
        v["policy"] = json!(g.policy);
        v["rules"] = match g.max_server_per_host {
            Some(n) => json!({"max_server_per_host": n}),
            None => json!({}),
        };
    } else {
        v["policies"] = json!([g.policy]);
        v["metadata"] = json!({});
    }
    if version.at_least(13) {
        v["project_id"] = json!(g.project_id);
        v["user_id"] = json!(g.user_id);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_and_rules_follow_the_microversion() {
        let g = parse_create(&json!({"server_group": {"name": "g", "policies": ["affinity"]}}), Version(1)).unwrap();
        assert_eq!(g.policy, "affinity");
        assert!(parse_create(&json!({"server_group": {"name": "g", "policies": ["soft-affinity"]}}), Version(14)).is_err());
        assert!(parse_create(&json!({"server_group": {"name": "g", "policies": ["soft-affinity"]}}), Version(15)).is_ok());
        assert!(parse_create(&json!({"server_group": {"name": "g", "policies": ["affinity", "anti-affinity"]}}), Version(15)).is_err());
        assert!(parse_create(&json!({"server_group": {"name": "g", "policies": ["affinity"]}}), Version(64)).is_err());
        let g = parse_create(
            &json!({"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}}),
            Version(64),
        )
        .unwrap();
        assert_eq!(g.max_server_per_host, Some(2));
        assert!(
            parse_create(
                &json!({"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 0}}}),
                Version(64)
            )
            .is_err()
        );
    }
}
