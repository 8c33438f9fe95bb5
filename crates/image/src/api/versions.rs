//! The versions document Glance answers at its root.

use serde_json::{Value, json};

/// The API versions served, as a single-store Glance lists them: 2.9 (import
/// requests that name stores) and everything up to 2.7 (hidden images, multihash).
/// 2.8 and 2.10 to 2.13 mean several stores, and are not listed.
const VERSIONS: [(&str, &str); 9] = [
    ("v2.9", "CURRENT"),
    ("v2.7", "SUPPORTED"),
    ("v2.6", "SUPPORTED"),
    ("v2.5", "SUPPORTED"),
    ("v2.4", "SUPPORTED"),
    ("v2.3", "SUPPORTED"),
    ("v2.2", "SUPPORTED"),
    ("v2.1", "SUPPORTED"),
    ("v2.0", "SUPPORTED"),
];

/// `{"versions": [...]}`, each linking to `{endpoint}/v2/`.
pub fn document(endpoint: &str) -> Value {
    let versions: Vec<Value> = VERSIONS
        .iter()
        .map(|(id, status)| json!({"id": id, "status": status, "links": [{"rel": "self", "href": format!("{endpoint}/v2/")}]}))
        .collect();
    json!({"versions": versions})
}
