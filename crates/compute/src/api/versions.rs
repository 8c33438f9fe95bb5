//! The version documents at the service root and at `/v2.1`.

use serde_json::{Value, json};

use crate::domain::{MAX_MINOR, MIN_MINOR};

/// When v2.1 was introduced, as Nova dates it.
const V21_UPDATED: &str = "2013-07-23T11:33:21Z";

/// When v2.0 was, likewise.
const V20_UPDATED: &str = "2011-01-21T11:33:21Z";

/// The legacy v2.0 API: v2.1 at its first microversion, without microversions.
fn v20(base: &str) -> Value {
    json!({
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": V20_UPDATED,
        "links": [{"rel": "self", "href": format!("{base}/v2/")}],
    })
}

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

/// `GET /`: the versions served, where `base` is the compute endpoint without a
/// version (`http://host/compute`).
pub fn list(base: &str) -> Value {
    json!({"versions": [v20(base), v21(base)]})
}

/// `GET /v2/`: the legacy version, with its media type.
pub fn show_v20(base: &str) -> Value {
    let mut v = v20(base);
    v["links"] = json!([
        {"rel": "self", "href": format!("{base}/v2/")},
        {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
    ]);
    v["media-types"] = json!([{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}]);
    json!({ "version": v })
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
