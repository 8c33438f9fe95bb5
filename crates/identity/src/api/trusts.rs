//! Trusts (OS-TRUST) on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, bool_field, check, compile, expires_at, member, role_refs, roles, str_field};
use crate::domain::Result;
use crate::domain::trusts::NewTrust;
use crate::store::{RoleRow, TrustRow};
use common::time::keystone_token_time;

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["trust"], "properties": {"trust": {
        "type": "object", "required": ["trustor_user_id", "trustee_user_id", "impersonation"],
        "properties": {
            "trustor_user_id": {"type": "string", "minLength": 1}, "trustee_user_id": {"type": "string", "minLength": 1},
            "impersonation": {"type": "boolean"}, "project_id": {"type": ["string", "null"]},
            "expires_at": {"type": ["string", "null"]}, "remaining_uses": {"type": ["integer", "null"], "minimum": 1},
            "allow_redelegation": {"type": ["boolean", "null"]}, "redelegation_count": {"type": ["integer", "null"], "minimum": 0},
            "roles": {"type": "array", "items": {"type": "object", "minProperties": 1,
                      "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}},
        },
    }}}))
});

/// A trust request from a create body.
pub fn parse_create(body: &Map<String, Value>) -> Result<NewTrust> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let t = member(body, "trust")?;
    let expires_at = expires_at(t)?;
    let roles = role_refs(t);
    Ok(NewTrust {
        trustor_user_id: str_field(t, "trustor_user_id").unwrap_or_default(),
        trustee_user_id: str_field(t, "trustee_user_id").unwrap_or_default(),
        project_id: str_field(t, "project_id"),
        impersonation: bool_field(t, "impersonation", false),
        expires_at,
        remaining_uses: t.get("remaining_uses").and_then(Value::as_i64),
        allow_redelegation: bool_field(t, "allow_redelegation", false),
        redelegation_count: t.get("redelegation_count").and_then(Value::as_i64),
        roles,
    })
}

/// A trust as Keystone returns it.
pub fn render(links: &Links, t: &TrustRow, all_roles: &[RoleRow]) -> Value {
    let roles: Vec<Value> = all_roles.iter().filter(|r| t.role_ids.contains(&r.id)).map(|r| roles::render(links, r)).collect();
    json!({
        "id": t.id, "trustor_user_id": t.trustor_user_id, "trustee_user_id": t.trustee_user_id, "project_id": t.project_id,
        "impersonation": t.impersonation, "expires_at": t.expires_at.map(keystone_token_time),
        "remaining_uses": t.remaining_uses, "redelegated_trust_id": t.redelegated_trust_id,
        "redelegation_count": t.redelegation_count, "roles": roles,
        "roles_links": links.list(&format!("OS-TRUST/trusts/{}/roles", t.id)),
        "links": links.entity(&format!("OS-TRUST/trusts/{}", t.id)),
    })
}
