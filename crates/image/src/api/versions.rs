//! The versions document Glance answers at its root.

use serde_json::{Value, json};

/// The API versions served: up to 2.7 (hidden images, multihash), whose features this
/// service has; image import (2.6) answers 501 until it is built.
const VERSIONS: [(&str, &str); 8] = [
    ("v2.7", "CURRENT"),
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
