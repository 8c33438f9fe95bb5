//! Credentials, OS-EC2 credentials and policy blobs on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, check, check_same_id, compile, extras, member, str_field, with_extras};
use crate::domain::{Credential, Error, Result};
use crate::store::PolicyRow;

const CREDENTIAL_KNOWN: &[&str] = &["id", "user_id", "project_id", "type", "blob", "links"];
const POLICY_KNOWN: &[&str] = &["id", "type", "blob", "links"];

static CREDENTIAL_CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["credential"], "properties": {"credential": {
        "type": "object", "required": ["blob", "type", "user_id"],
        "properties": {"blob": {"type": "string"}, "type": {"type": "string", "minLength": 1, "maxLength": 255},
                       "user_id": {"type": "string"}, "project_id": {"type": ["string", "null"]}},
    }}}))
});

static CREDENTIAL_UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["credential"], "properties": {"credential": {
        "type": "object", "minProperties": 1,
        "properties": {"blob": {"type": "string"}, "type": {"type": "string", "minLength": 1, "maxLength": 255},
                       "user_id": {"type": "string"}, "project_id": {"type": ["string", "null"]}, "id": {"type": "string"}},
    }}}))
});

static EC2_CREATE: Schema =
    Schema::new(|| compile(json!({"type": "object", "required": ["tenant_id"], "properties": {"tenant_id": {"type": "string"}}})));

static POLICY: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["policy"], "properties": {"policy": {
        "type": "object", "properties": {"blob": {"type": "string"}, "type": {"type": "string", "maxLength": 255}},
    }}}))
});

/// A new credential from a create body.
pub fn parse_create(body: &Map<String, Value>) -> Result<Credential> {
    check(&CREDENTIAL_CREATE, &Value::Object(body.clone()))?;
    let c = member(body, "credential")?;
    Ok(Credential {
        id: common::ids::hex_id(),
        user_id: str_field(c, "user_id").unwrap_or_default(),
        project_id: str_field(c, "project_id"),
        credential_type: str_field(c, "type").unwrap_or_default(),
        blob: str_field(c, "blob").unwrap_or_default(),
        extra: extras(c, CREDENTIAL_KNOWN),
    })
}

/// `before` with an update body applied.
pub fn apply_update(before: &Credential, body: &Map<String, Value>) -> Result<Credential> {
    check(&CREDENTIAL_UPDATE, &Value::Object(body.clone()))?;
    let c = member(body, "credential")?;
    check_same_id(c, &before.id, "credential")?;
    let mut after = before.clone();
    if let Some(v) = str_field(c, "blob") {
        after.blob = v;
    }
    if let Some(v) = str_field(c, "type") {
        after.credential_type = v;
    }
    if let Some(v) = str_field(c, "user_id") {
        after.user_id = v;
    }
    if c.contains_key("project_id") {
        after.project_id = str_field(c, "project_id");
    }
    after.extra.extend(extras(c, CREDENTIAL_KNOWN));
    Ok(after)
}

/// A credential as Keystone returns it.
pub fn render(links: &Links, c: &Credential) -> Value {
    with_extras(
        json!({"id": c.id, "user_id": c.user_id, "project_id": c.project_id, "type": c.credential_type, "blob": c.blob,
               "links": links.entity(&format!("credentials/{}", c.id))}),
        &c.extra,
    )
}

/// The project of an OS-EC2 create body.
pub fn parse_ec2_create(body: &Map<String, Value>) -> Result<String> {
    check(&EC2_CREATE, &Value::Object(body.clone()))?;
    str_field(body, "tenant_id").ok_or_else(|| Error::Validation("Invalid input for field 'tenant_id'.".into()))
}

/// An EC2 credential as OS-EC2 returns it.
pub fn render_ec2(links: &Links, c: &Credential) -> Value {
    let blob: Value = serde_json::from_str(&c.blob).unwrap_or_default();
    let access = blob.get("access").cloned().unwrap_or_default();
    json!({"user_id": c.user_id, "tenant_id": c.project_id, "access": access, "secret": blob.get("secret"),
           "trust_id": blob.get("trust_id"),
           "links": links.entity(&format!("users/{}/credentials/OS-EC2/{}", c.user_id, access.as_str().unwrap_or_default()))})
}

/// A policy blob from a create body.
pub fn parse_policy(body: &Map<String, Value>) -> Result<PolicyRow> {
    check(&POLICY, &Value::Object(body.clone()))?;
    let p = member(body, "policy")?;
    let (Some(blob), Some(policy_type)) = (str_field(p, "blob"), str_field(p, "type")) else {
        return Err(Error::Validation("Invalid input for field 'policy': 'blob' and 'type' are required.".into()));
    };
    Ok(PolicyRow { id: common::ids::hex_id(), policy_type, blob, extra: extras(p, POLICY_KNOWN) })
}

/// `before` with a policy update body applied.
pub fn apply_policy_update(before: &PolicyRow, body: &Map<String, Value>) -> Result<PolicyRow> {
    check(&POLICY, &Value::Object(body.clone()))?;
    let p = member(body, "policy")?;
    let mut after = before.clone();
    if let Some(v) = str_field(p, "blob") {
        after.blob = v;
    }
    if let Some(v) = str_field(p, "type") {
        after.policy_type = v;
    }
    after.extra.extend(extras(p, POLICY_KNOWN));
    Ok(after)
}

/// A policy blob as Keystone returns it.
pub fn render_policy(links: &Links, p: &PolicyRow) -> Value {
    with_extras(json!({"id": p.id, "type": p.policy_type, "blob": p.blob, "links": links.entity(&format!("policies/{}", p.id))}), &p.extra)
}
