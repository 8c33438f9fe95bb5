//! Application credential access rules on the wire.

use serde_json::{Value, json};

use super::Links;
use crate::store::AccessRuleRow;

/// The methods a rule may name, as Keystone accepts them.
const METHODS: [&str; 6] = ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"];

/// One rule in an application credential create body: an existing rule by `id`, or a
/// rule by `service`, `path` and `method`.
pub fn rule_schema() -> Value {
    let id_string = json!({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-zA-Z0-9-]+$"});
    json!({"type": "object", "additionalProperties": false, "minProperties": 1, "properties": {
        "id": id_string,
        "service": id_string,
        "path": {"type": "string", "minLength": 1, "maxLength": 225, "pattern": "^/"},
        "method": {"type": "string", "enum": METHODS},
    }})
}

/// A rule inside an application credential or a token: exactly what was asked, and its id.
pub fn render_embedded(r: &AccessRuleRow) -> Value {
    json!({"id": r.id, "service": r.service, "path": r.path, "method": r.method})
}

/// A rule as `/v3/users/{user_id}/access_rules` returns it.
pub fn render(links: &Links, r: &AccessRuleRow) -> Value {
    let mut v = render_embedded(r);
    v["links"] = links.entity(&format!("users/{}/access_rules/{}", r.user_id, r.id));
    v
}
