//! The version documents at the service root and at `/v2.1`.

use serde_json::{Value, json};

use crate::domain::{MAX_MINOR, MIN_MINOR};

/// When v2.1 was introduced, as Nova dates it.
const V21_UPDATED: &str = "2013-07-23T11:33:21Z";

fn v21(base: &str) -> Value {
    json!({
        "id": "v2.1",
        "status": "CURRENT",
        "version": format!("2.{MAX_MINOR}"),
        "min_version": format!("2.{MIN_MINOR}"),
        "updated": V21_UPDATED,
        "links": [{"rel": "self", "href": format!("{base}/v2.1/")}],
    })
}

/// `GET /`: the versions served (only v2.1: the legacy v2.0 API is not), where `base`
/// is the compute endpoint without a version (`http://host/compute`).
pub fn list(base: &str) -> Value {
    json!({"versions": [v21(base)]})
}

/// `GET /v2.1/`: the one version, with its media type.
pub fn show(base: &str) -> Value {
    let mut v = v21(base);
    v["links"] = json!([
        {"rel": "self", "href": format!("{base}/v2.1/")},
        {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
    ]);
    v["media-types"] = json!([{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}]);
    json!({ "version": v })
}
