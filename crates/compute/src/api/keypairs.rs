//! Key pair bodies: the create request per microversion and the views of create, list
//! and show.

use serde_json::{Value, json};

use super::{invalid, last, only_keys, parse_limit, printable_name, py_repr, required, strict_query, string, wrapped};
use crate::domain::keypairs::{CreatedKeypair, KeyType, NewKeypair};
use crate::domain::{Result, Version};
use crate::store::KeypairRow;

/// Whether a key pair name has only the characters its microversion allows: letters,
/// digits, `_`, `-` and spaces, and from 2.92 `@` and `.` too.
fn valid_name(name: &str, version: Version) -> bool {
    name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ') || (version.at_least(92) && matches!(c, '@' | '.')))
}

/// `POST /os-keypairs`.
pub fn parse_create(body: &Value, version: Version) -> Result<NewKeypair> {
    let k = wrapped(body, "keypair")?;
    let mut allowed = vec!["name", "public_key"];
    if version.at_least(2) {
        allowed.push("type");
    }
    if version.at_least(10) {
        allowed.push("user_id");
    }
    only_keys(k, &allowed, Some("keypair"))?;
    let name_value = required(k, "name", "keypair")?;
    let name = string("name", name_value, 1, 255)?;
    printable_name(&name)?;
    if !valid_name(&name, version) {
        let pattern = if version.at_least(92) { r"^[_\\-\\@\\. a-zA-Z0-9]+$" } else { r"^[_\\- a-zA-Z0-9]+$" };
        return Err(invalid("name", name_value, &format!("{} does not match '{pattern}'", py_repr(name_value))));
    }
    if version.at_least(92) {
        required(k, "public_key", "keypair")?;
    }
    let public_key = k.get("public_key").map(|v| string("public_key", v, 0, usize::MAX)).transpose()?;
    let key_type = match k.get("type") {
        None => KeyType::Ssh,
        Some(v) => v
            .as_str()
            .and_then(KeyType::parse)
            .ok_or_else(|| invalid("type", v, &format!("{} is not one of ['ssh', 'x509']", py_repr(v))))?,
    };
    let user_id = k.get("user_id").map(|v| string("user_id", v, 0, usize::MAX)).transpose()?;
    Ok(NewKeypair { name, key_type, public_key, user_id })
}

/// The query of list, show and delete: (user_id from 2.10, marker and limit from 2.35).
pub struct KeypairQuery {
    pub user_id: Option<String>,
    pub marker: Option<String>,
    pub limit: Option<usize>,
}

/// Parses a key pair route's query; `listing` allows the paging parameters.
pub fn parse_query(pairs: &[(String, String)], version: Version, listing: bool) -> Result<KeypairQuery> {
    let allowed: &[&str] = if listing { &["user_id", "limit", "marker"] } else { &["user_id"] };
    strict_query(pairs, allowed, version.at_least(75))?;
    let user_id = if version.at_least(10) { pairs.iter().find(|(k, _)| k == "user_id").map(|(_, v)| v.clone()) } else { None };
    let paged = listing && version.at_least(35);
    Ok(KeypairQuery {
        user_id,
        marker: if paged { last(pairs, "marker").map(str::to_owned) } else { None },
        limit: if paged { parse_limit(pairs)? } else { None },
    })
}

/// The create response.
pub fn render_created(created: &CreatedKeypair, version: Version) -> Value {
    let k = &created.keypair;
    let mut v = json!({"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint, "user_id": k.user_id});
    if version.at_least(2) {
        v["type"] = json!(k.key_type);
    }
    if let Some(private) = &created.private_key {
        v["private_key"] = json!(private);
    }
    json!({ "keypair": v })
}

/// One item of a list (wrapped in `{"keypair": ...}` as Nova wraps them).
pub fn render_item(k: &KeypairRow, version: Version) -> Value {
    let mut v = json!({"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint});
    if version.at_least(2) {
        v["type"] = json!(k.key_type);
    }
    json!({ "keypair": v })
}

/// The show response.
pub fn render_show(k: &KeypairRow, version: Version) -> Value {
    let mut v = json!({
        "name": k.name,
        "public_key": k.public_key,
        "fingerprint": k.fingerprint,
        "user_id": k.user_id,
        "id": k.id,
        "created_at": common::time::keystone_resource_time(k.created_at),
        "updated_at": null,
        "deleted_at": null,
        "deleted": false,
    });
    if version.at_least(2) {
        v["type"] = json!(k.key_type);
    }
    json!({ "keypair": v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_fields_follow_the_microversion() {
        assert!(parse_create(&json!({"keypair": {"name": "a b_c-d"}}), Version(1)).is_ok());
        let e = parse_create(&json!({"keypair": {"name": "a@b"}}), Version(91)).unwrap_err().to_string();
        assert_eq!(e, r"Invalid input for field/attribute name. Value: a@b. 'a@b' does not match '^[_\\- a-zA-Z0-9]+$'");
        assert!(parse_create(&json!({"keypair": {"name": "a@b.c", "public_key": "k"}}), Version(92)).is_ok());
        assert!(parse_create(&json!({"keypair": {"name": "a"}}), Version(92)).is_err(), "2.92 generates no keys");
        assert!(parse_create(&json!({"keypair": {"name": "a", "type": "x509"}}), Version(1)).is_err());
        assert_eq!(parse_create(&json!({"keypair": {"name": "a", "type": "x509"}}), Version(2)).unwrap().key_type, KeyType::X509);
        assert!(parse_create(&json!({"keypair": {"name": "a", "type": "rsa"}}), Version(2)).is_err());
        assert!(parse_create(&json!({"keypair": {"name": "a", "user_id": "u"}}), Version(9)).is_err());
        assert!(parse_create(&json!({"keypair": {"name": " a"}}), Version(2)).is_err());
        assert!(parse_create(&json!({"keypair": {"name": ""}}), Version(2)).is_err());
    }

    #[test]
    fn queries_page_from_235_and_name_users_from_210() {
        let pairs = vec![("user_id".to_owned(), "u".to_owned()), ("limit".to_owned(), "2".to_owned())];
        let q = parse_query(&pairs, Version(9), true).unwrap();
        assert!(q.user_id.is_none() && q.limit.is_none());
        let q = parse_query(&pairs, Version(35), true).unwrap();
        assert_eq!((q.user_id.as_deref(), q.limit), (Some("u"), Some(2)));
        assert!(parse_query(&pairs, Version(75), false).is_err(), "show takes no limit from 2.75");
    }
}
