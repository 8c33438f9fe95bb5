//! Image members on the wire.

use common::time::iso8601;
use serde_json::{Value, json};

use crate::domain::{Error, Result};
use crate::store::MemberRow;

/// A membership as Glance returns it.
pub fn render(m: &MemberRow) -> Value {
    json!({
        "image_id": m.image_id, "member_id": m.member, "status": m.status,
        "created_at": iso8601(m.created_at), "updated_at": iso8601(m.updated_at), "schema": "/v2/schemas/member",
    })
}

/// A member list.
pub fn render_list(members: &[MemberRow]) -> Value {
    json!({"members": members.iter().map(render).collect::<Vec<_>>(), "schema": "/v2/schemas/members"})
}

/// The string field `key` of a request body, or 400.
fn required_string<'a>(body: &'a Value, key: &str) -> Result<&'a str> {
    body.get(key).and_then(Value::as_str).ok_or_else(|| Error::BadRequest(format!("Body must be an object with a string '{key}'.")))
}

/// `{"member": "<project id>"}`, the body that adds a member.
pub fn parse_add(body: &Value) -> Result<&str> {
    required_string(body, "member")
}

/// `{"status": "accepted"}`, a member's answer.
pub fn parse_status(body: &Value) -> Result<&str> {
    required_string(body, "status")
}
