//! `GET /`: the version document, which needs no token.

use serde_json::{Value, json};

use crate::domain::MAX_MINOR;

/// The one version Placement has, with its microversion range.
pub fn document() -> Value {
    json!({"versions": [{
        "id": "v1.0",
        "max_version": format!("1.{MAX_MINOR}"),
        "min_version": "1.0",
        "status": "CURRENT",
        "links": [{"rel": "self", "href": ""}],
    }]})
}
