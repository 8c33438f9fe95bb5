//! `/servers/{id}/os-instance-actions` on the wire.

use serde_json::{Value, json};

use super::{last, parse_limit, query_time, strict_query};
use crate::domain::instance_actions::ActionView;
use crate::domain::{Result, Version};
use crate::store::cell::ActionRow;

/// Which of a server's actions a list asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionsQuery {
    /// Changed at or after (2.58).
    pub changes_since: Option<i64>,
    /// Changed at or before (2.66).
    pub changes_before: Option<i64>,
    /// At most this many (2.58).
    pub limit: Option<usize>,
    /// After the action with this request id (2.58).
    pub marker: Option<String>,
}

/// A list's query; before 2.58 every parameter is ignored.
pub fn parse_list(pairs: &[(String, String)], version: Version) -> Result<ActionsQuery> {
    if !version.at_least(58) {
        return Ok(ActionsQuery::default());
    }
    let mut allowed = vec!["limit", "marker", "changes-since"];
    if version.at_least(66) {
        allowed.push("changes-before");
    }
    strict_query(pairs, &allowed, true)?;
    Ok(ActionsQuery {
        changes_since: last(pairs, "changes-since").map(|v| query_time("changes-since", v)).transpose()?,
        changes_before: last(pairs, "changes-before").map(|v| query_time("changes-before", v)).transpose()?,
        limit: parse_limit(pairs)?,
        marker: last(pairs, "marker").map(str::to_owned),
    })
}

fn time(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(common::time::from_micros(t).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
}

/// An action as listed.
pub fn render_action(a: &ActionRow, version: Version) -> Value {
    let mut body = json!({
        "action": a.action, "instance_uuid": a.instance_uuid, "message": a.message, "project_id": a.project_id,
        "request_id": a.request_id, "start_time": time(Some(a.start_time)), "user_id": a.user_id,
    });
    if version.at_least(58) {
        body["updated_at"] = time(Some(a.updated_at));
    }
    body
}

/// An action with its events, as far as the caller may see them.
pub fn render_show(v: &ActionView, version: Version) -> Value {
    let mut body = render_action(&v.action, version);
    if let Some(events) = &v.events {
        let rendered: Vec<Value> = events
            .iter()
            .map(|e| {
                let mut ev = json!({"event": e.event, "start_time": time(Some(e.start_time)), "finish_time": time(e.finish_time), "result": e.result});
                if v.show_details {
                    ev["traceback"] = Value::Null;
                }
                if version.at_least(62) {
                    let host_id = e.host.as_ref().map_or(String::new(), |h| {
                        openssl::sha::sha224(format!("{}{h}", v.action.project_id).as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
                    });
                    ev["hostId"] = json!(host_id);
                    if v.show_host {
                        ev["host"] = json!(e.host.clone().unwrap_or_default());
                    }
                }
                if version.at_least(84) && v.show_details {
                    ev["details"] = json!(e.details);
                }
                ev
            })
            .collect();
        body["events"] = json!(rendered);
    }
    json!({"instanceAction": body})
}
