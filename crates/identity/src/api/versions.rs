//! Version discovery documents.

use serde_json::{Value, json};

/// The one API version served, as Keystone 2024+ reports it.
pub const VERSION_ID: &str = "v3.14";
const UPDATED: &str = "2020-04-07T00:00:00Z";

fn version(public_url: &str) -> Value {
    json!({
        "id": VERSION_ID,
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": format!("{}/v3/", public_url.trim_end_matches('/'))}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    })
}

/// `GET /identity/`: the versions list, served with 300 Multiple Choices.
pub fn versions(public_url: &str) -> Value {
    json!({"versions": {"values": [version(public_url)]}})
}

/// `GET /identity/v3`: this version.
pub fn v3(public_url: &str) -> Value {
    json!({"version": version(public_url)})
}
