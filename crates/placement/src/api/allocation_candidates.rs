//! `GET /allocation_candidates`: its query, version by version, and its body.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

use crate::domain::candidates::{CandidateQuery, Candidates, GroupPolicy, RequestGroup};
use crate::domain::query::{parse_member_of, parse_required, parse_required_all, parse_resources};
use crate::domain::{Code, Error, Result, Version};

static NUMBERED: LazyLock<Regex> = LazyLock::new(|| Regex::new("^(resources|required|member_of|in_tree)([1-9][0-9]*)?$").expect("valid"));
static NAMED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^(resources|required|member_of|in_tree)([a-zA-Z0-9_-]{1,64})?$").expect("valid"));

fn unexpected(key: &str) -> Error {
    Error::bad(format!("Invalid query string parameters: Additional properties are not allowed ('{key}' was unexpected)"))
}

/// The group parameter a key names at `version` (`resources`, `required`, ...) and its
/// suffix, or `None` when the key is no group parameter there.
fn group_key(key: &str, version: Version) -> Option<(&str, &str)> {
    let pattern: &Regex = if version.at_least(33) { &NAMED } else { &NUMBERED };
    let caps = pattern.captures(key)?;
    let (kind, suffix) = (caps.get(1)?.as_str(), caps.get(2).map_or("", |m| m.as_str()));
    let since = match kind {
        "resources" => 10,
        "required" => 17,
        "member_of" => 21,
        _ => 31,
    };
    if !version.at_least(since) || (!suffix.is_empty() && !version.at_least(25)) {
        return None;
    }
    Some((&key[..kind.len()], &key[kind.len()..]))
}

/// Parses the query at `version`.
pub fn parse(params: &[(String, String)], version: Version) -> Result<CandidateQuery> {
    #[derive(Default)]
    struct Raw<'a> {
        resources: Option<&'a str>,
        required: Vec<&'a str>,
        member_of: Vec<&'a str>,
        in_tree: Option<&'a str>,
    }
    let mut raw: BTreeMap<&str, Raw> = BTreeMap::new();
    let mut q = CandidateQuery::default();
    let mut root_required: Vec<&str> = Vec::new();
    let mut limit_seen = false;
    let mut policy_seen = false;
    for (key, value) in params {
        if let Some((kind, suffix)) = group_key(key, version) {
            let g = raw.entry(suffix).or_default();
            match kind {
                "resources" => g.resources = Some(value),
                "required" => g.required.push(value),
                "member_of" => g.member_of.push(value),
                _ => g.in_tree = Some(value),
            }
            continue;
        }
        match key.as_str() {
            "limit" if version.at_least(16) => {
                if value.is_empty() || value.starts_with('0') || !value.chars().all(|c| c.is_ascii_digit()) {
                    return Err(Error::bad(format!("Invalid query string parameters: '{value}' does not match '^[1-9][0-9]*$'")));
                }
                if !limit_seen {
                    q.limit = Some(value.parse().unwrap_or(usize::MAX));
                    limit_seen = true;
                }
            }
            "group_policy" if version.at_least(25) => {
                let policy = match value.as_str() {
                    "none" => GroupPolicy::None,
                    "isolate" => GroupPolicy::Isolate,
                    _ => return Err(Error::bad(format!("Invalid query string parameters: '{value}' is not one of ['none', 'isolate']"))),
                };
                if !policy_seen {
                    q.group_policy = Some(policy);
                    policy_seen = true;
                }
            }
            "root_required" if version.at_least(35) => root_required.push(value),
            "same_subtree" if version.at_least(36) => q.same_subtree.push(value.split(',').map(|s| s.trim().to_owned()).collect()),
            other => return Err(unexpected(other)),
        }
    }
    if root_required.len() > 1 {
        return Err(Error::BadRequest {
            code: Code::DuplicateKey,
            message: "Query parameter 'root_required' may be specified only once.".into(),
        });
    }
    if let Some(value) = root_required.first() {
        if value.starts_with("in:") {
            return Err(Error::bad(format!(
                "Invalid query string parameters: Expected 'root_required' parameter value of the form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got: {value}"
            )));
        }
        q.root_required = parse_required(value, version)?;
        if let Some(set) = q.root_required.conflict() {
            return Err(Error::BadRequest {
                code: Code::BadValue,
                message: format!("Conflicting required and forbidden traits found in root_required: {}", set.join(", ")),
            });
        }
    }
    if !version.at_least(25) && !raw.contains_key("") {
        return Err(Error::bad("Invalid query string parameters: 'resources' is a required property"));
    }
    let orphans = |kind: &str, keys: Vec<String>| {
        let kinds = if kind == "required" { "traits" } else { kind };
        let spacing = if kind == "required" { "  " } else { " " };
        Error::bad(format!(
            "All {kinds} parameters must be associated with resources.{spacing}Found the following orphaned {kinds} keys: {}",
            keys.join(", ")
        ))
    };
    if !version.at_least(36) {
        let orphan_required: Vec<String> =
            raw.iter().filter(|(_, g)| g.resources.is_none() && !g.required.is_empty()).map(|(s, _)| format!("required{s}")).collect();
        if !orphan_required.is_empty() {
            return Err(orphans("required", orphan_required));
        }
        let orphan_member: Vec<String> =
            raw.iter().filter(|(_, g)| g.resources.is_none() && !g.member_of.is_empty()).map(|(s, _)| format!("member_of{s}")).collect();
        if !orphan_member.is_empty() {
            return Err(orphans("member_of", orphan_member));
        }
        if raw.values().any(|g| g.resources.is_none()) {
            return Err(Error::bad("All request groups must specify resources."));
        }
        if raw.is_empty() {
            return Err(Error::bad("At least one request group (`resources` or `resources{$S}`) is required."));
        }
    } else {
        if !raw.values().any(|g| g.resources.is_some()) {
            return Err(Error::BadRequest {
                code: Code::MissingValue,
                message: "There must be at least one resources or resources[$S] parameter.".into(),
            });
        }
        if raw.get("").is_some_and(|g| g.resources.is_none()) {
            return Err(Error::bad("All request groups must specify resources."));
        }
        let in_subtree = |s: &str| q.same_subtree.iter().any(|set| set.iter().any(|x| x == s));
        let bad: Vec<&str> =
            raw.iter().filter(|(s, g)| !s.is_empty() && g.resources.is_none() && !in_subtree(s)).map(|(s, _)| *s).collect();
        if !bad.is_empty() {
            return Err(Error::BadRequest {
                code: Code::BadValue,
                message: format!(
                    "Resourceless suffixed group request should be specified in `same_subtree` query param: bad group(s) - {bad:?}."
                ),
            });
        }
    }
    for (suffix, g) in raw {
        let required = parse_required_all(&g.required, version)?;
        if let Some(set) = required.conflict() {
            return Err(Error::bad(format!(
                "Conflicting required and forbidden traits found in the following traits keys: required{suffix}: ({})",
                set.join(", ")
            )));
        }
        let in_tree = g
            .in_tree
            .map(|t| {
                uuid::Uuid::parse_str(t.trim()).map(|u| u.hyphenated().to_string()).map_err(|_| {
                    Error::bad(format!("Invalid query string parameters: Expected 'in_tree' parameter to be a format of uuid. Got: {t}"))
                })
            })
            .transpose()?;
        q.groups.push(RequestGroup {
            suffix: suffix.to_owned(),
            resources: g.resources.map(parse_resources).transpose()?.unwrap_or_default(),
            required,
            member_of: parse_member_of(&g.member_of, version, suffix)?,
            in_tree,
        });
    }
    Ok(q)
}

/// The body at `version`.
pub fn render(c: &Candidates, version: Version) -> Value {
    let requests: Vec<Value> = c
        .candidates
        .iter()
        .map(|cand| {
            let mut body = if version.at_least(12) {
                let allocations: Map<String, Value> = cand.allocations.iter().map(|(p, r)| (p.clone(), json!({"resources": r}))).collect();
                json!({"allocations": allocations})
            } else {
                let allocations: Vec<Value> =
                    cand.allocations.iter().map(|(p, r)| json!({"resource_provider": {"uuid": p}, "resources": r})).collect();
                json!({"allocations": allocations})
            };
            if version.at_least(34) {
                body["mappings"] = json!(cand.mappings);
            }
            body
        })
        .collect();
    let summaries: Map<String, Value> = c
        .summaries
        .iter()
        .map(|(uuid, p)| {
            let resources: Map<String, Value> = p
                .inventories
                .iter()
                .filter(|(class, _)| version.at_least(27) || c.requested_classes.contains(*class))
                .map(|(class, (inv, used))| (class.clone(), json!({"capacity": inv.capacity(), "used": used})))
                .collect();
            let mut summary = json!({"resources": resources});
            if version.at_least(17) {
                summary["traits"] = json!(p.traits);
            }
            if version.at_least(29) {
                summary["parent_provider_uuid"] = json!(p.parent_uuid);
                summary["root_provider_uuid"] = json!(p.root_uuid);
            }
            (uuid.clone(), summary)
        })
        .collect();
    json!({"allocation_requests": requests, "provider_summaries": summaries})
}
