//! Users on the wire.

use serde_json::{Map, Value, json};

use super::{Links, Schema, bool_field, check, check_same_id, compile, extras, member, name_schema, str_field, with_extras};
use crate::domain::{Error, Result};
use crate::store::UserRow;
use common::time::keystone_token_time;

const KNOWN: &[&str] = &["id", "name", "domain_id", "enabled", "links", "password", "default_project_id", "options", "password_expires_at"];

/// User options Keystone knows.
const OPTIONS: &[&str] = &[
    "ignore_change_password_upon_first_use",
    "ignore_password_expiry",
    "ignore_lockout_failure_attempts",
    "lock_password",
    "ignore_user_inactivity",
    "multi_factor_auth_rules",
    "multi_factor_auth_enabled",
];

fn properties() -> Value {
    json!({"name": name_schema(255), "domain_id": {"type": "string"}, "enabled": {"type": "boolean"},
           "password": {"type": ["string", "null"]}, "default_project_id": {"type": ["string", "null"]},
           "description": {"type": ["string", "null"]}, "options": {"type": "object"}})
}

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["user"], "properties": {"user": {
        "type": "object", "required": ["name"], "properties": properties(),
    }}}))
});

static UPDATE: Schema = Schema::new(|| {
    let mut props = properties();
    props["id"] = json!({"type": "string"});
    compile(json!({"type": "object", "required": ["user"], "properties": {"user": {
        "type": "object", "minProperties": 1, "properties": props,
    }}}))
});

static CHANGE_PASSWORD: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["user"], "properties": {"user": {
        "type": "object", "required": ["password", "original_password"], "additionalProperties": false,
        "properties": {"password": {"type": "string"}, "original_password": {"type": "string"}},
    }}}))
});

fn options(u: &Map<String, Value>) -> Result<Map<String, Value>> {
    let opts = u.get("options").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(unknown) = opts.keys().find(|k| !OPTIONS.contains(&k.as_str())) {
        return Err(Error::Validation(format!("Invalid input for field 'options': {unknown:?} is not a user option.")));
    }
    Ok(opts)
}

/// A new user and its password from a create body.
pub fn parse_create(body: &Map<String, Value>, default_domain_id: &str) -> Result<(UserRow, Option<String>)> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let u = member(body, "user")?;
    let user = UserRow {
        id: common::ids::hex_id(),
        name: str_field(u, "name").unwrap_or_default(),
        domain_id: str_field(u, "domain_id").unwrap_or_else(|| default_domain_id.to_owned()),
        enabled: bool_field(u, "enabled", true),
        default_project_id: str_field(u, "default_project_id"),
        extra: extras(u, KNOWN),
        options: options(u)?,
        created_at: common::time::now_micros(),
        last_active_at: None,
        failed_auth_count: 0,
        failed_auth_at: None,
    };
    Ok((user, str_field(u, "password")))
}

/// `before` with an update body applied, and the new password if one is set.
pub fn apply_update(before: &UserRow, body: &Map<String, Value>) -> Result<(UserRow, Option<String>)> {
    check(&UPDATE, &Value::Object(body.clone()))?;
    let u = member(body, "user")?;
    check_same_id(u, &before.id, "user")?;
    if let Some(domain_id) = str_field(u, "domain_id")
        && domain_id != before.domain_id
    {
        return Err(Error::Validation("Cannot change Domain ID.".into()));
    }
    let mut after = before.clone();
    if let Some(name) = str_field(u, "name") {
        after.name = name;
    }
    after.enabled = bool_field(u, "enabled", before.enabled);
    if u.contains_key("default_project_id") {
        after.default_project_id = str_field(u, "default_project_id");
    }
    for (k, v) in options(u)? {
        if v.is_null() {
            after.options.remove(&k);
        } else {
            after.options.insert(k, v);
        }
    }
    after.extra.extend(extras(u, KNOWN));
    Ok((after, str_field(u, "password")))
}

/// The new and original passwords from a self-service change body.
pub fn parse_change_password(body: &Map<String, Value>) -> Result<(String, String)> {
    check(&CHANGE_PASSWORD, &Value::Object(body.clone()))?;
    let u = member(body, "user")?;
    Ok((str_field(u, "password").unwrap_or_default(), str_field(u, "original_password").unwrap_or_default()))
}

/// A user as Keystone returns it.
pub fn render(links: &Links, u: &UserRow, password_expires_at: Option<i64>) -> Value {
    let mut user = json!({
        "id": u.id, "name": u.name, "domain_id": u.domain_id, "enabled": u.enabled,
        "password_expires_at": password_expires_at.map(keystone_token_time),
        "options": u.options, "links": links.entity(&format!("users/{}", u.id)),
    });
    if let Some(p) = &u.default_project_id {
        user["default_project_id"] = json!(p);
    }
    with_extras(user, &u.extra)
}
