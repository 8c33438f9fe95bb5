//! `/os-simple-tenant-usage` on the wire.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{invalid_query, last, parse_limit, strict_query};
use crate::domain::simple_tenant_usage::{Period, ServerUsage};
use crate::domain::{Result, Version};

/// What a usage request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    pub period: Period,
    /// Each server's usage too (always in a single project's usage).
    pub detailed: bool,
    /// Paging over servers, from 2.40.
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

fn time(name: &str, v: Option<&str>) -> Result<i64> {
    match v.filter(|v| !v.is_empty()) {
        None => Ok(common::time::now_micros()),
        Some(v) => common::time::parse_client_time(&v.replacen(' ', "T", 1))
            .ok_or_else(|| invalid_query(name, v, "Invalid datetime string: Datetime is in invalid format")),
    }
}

/// A usage query; unknown parameters are refused from 2.75.
pub fn parse_query(pairs: &[(String, String)], version: Version) -> Result<UsageQuery> {
    let paged = version.at_least(40);
    let mut allowed = vec!["start", "end", "detailed"];
    if paged {
        allowed.extend(["limit", "marker"]);
    }
    strict_query(pairs, &allowed, version.at_least(75))?;
    Ok(UsageQuery {
        period: Period { start: time("start", last(pairs, "start"))?, stop: time("end", last(pairs, "end"))? },
        detailed: last(pairs, "detailed") == Some("1"),
        limit: if paged { parse_limit(pairs)? } else { None },
        marker: if paged { last(pairs, "marker").map(str::to_owned) } else { None },
    })
}

fn iso(t: i64) -> String {
    common::time::from_micros(t).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn server(u: &ServerUsage) -> Value {
    let i = &u.instance;
    let f = &i.flavor;
    let started = i.launched_at.unwrap_or(i.created_at);
    let (state, uptime_until) = match i.terminated_at {
        Some(t) => ("terminated".to_owned(), t),
        None => (i.vm_state.as_str().to_owned(), common::time::now_micros()),
    };
    json!({
        "instance_id": i.uuid, "name": i.display_name, "tenant_id": i.project_id, "hours": u.hours,
        "flavor": f["name"].as_str().unwrap_or_default(), "memory_mb": f["memory_mb"].as_i64().unwrap_or(0),
        "local_gb": f["root_gb"].as_i64().unwrap_or(0) + f["ephemeral_gb"].as_i64().unwrap_or(0), "vcpus": f["vcpus"].as_i64().unwrap_or(0),
        "started_at": iso(started), "ended_at": i.terminated_at.map(iso), "state": state,
        "uptime": (uptime_until - started).max(0) / 1_000_000,
    })
}

/// Each project's totals (and, when `detailed`, its servers), in order of first use.
pub fn render_usages(period: Period, usages: &[ServerUsage], detailed: bool) -> Vec<Value> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_project: BTreeMap<&str, Value> = BTreeMap::new();
    for u in usages {
        let project = u.instance.project_id.as_str();
        let summary = by_project.entry(project).or_insert_with(|| {
            order.push(project);
            let mut s = json!({
                "tenant_id": project, "total_local_gb_usage": 0.0, "total_vcpus_usage": 0.0, "total_memory_mb_usage": 0.0,
                "total_hours": 0.0, "start": iso(period.start), "stop": iso(period.stop),
            });
            if detailed {
                s["server_usages"] = json!([]);
            }
            s
        });
        let line = server(u);
        let add = |s: &mut Value, key: &str, amount: f64| s[key] = json!(s[key].as_f64().unwrap_or(0.0) + amount);
        add(summary, "total_local_gb_usage", line["local_gb"].as_f64().unwrap_or(0.0) * u.hours);
        add(summary, "total_vcpus_usage", line["vcpus"].as_f64().unwrap_or(0.0) * u.hours);
        add(summary, "total_memory_mb_usage", line["memory_mb"].as_f64().unwrap_or(0.0) * u.hours);
        add(summary, "total_hours", u.hours);
        if let Some(list) = summary["server_usages"].as_array_mut() {
            list.push(line);
        }
    }
    order.into_iter().filter_map(|p| by_project.remove(p)).collect()
}
