//! The versions document Glance answers at its root.

use serde_json::{Value, json};

/// The API versions every image service lists: as a single-store Glance, 2.9
/// (import requests that name stores) and everything up to 2.7 (hidden images,
/// multihash).
const ALWAYS: [&str; 9] = ["v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"];
/// What several stores add, as Glance lists it: stores (2.8), copy-image and deleting
/// from a store (2.10), import locks (2.11), image tasks (2.12), quota usage (2.13).
const MULTIPLE_STORES: [&str; 5] = ["v2.13", "v2.12", "v2.11", "v2.10", "v2.8"];

/// `{"versions": [...]}`, newest (CURRENT) first, each linking to `{endpoint}/v2/`.
pub fn document(endpoint: &str, multiple_stores: bool) -> Value {
    let mut ids: Vec<&str> = if multiple_stores { MULTIPLE_STORES.to_vec() } else { Vec::new() };
    ids.extend(ALWAYS);
    ids.sort_by_key(|id| std::cmp::Reverse(minor(id)));
    let versions: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let status = if i == 0 { "CURRENT" } else { "SUPPORTED" };
            json!({"id": id, "status": status, "links": [{"rel": "self", "href": format!("{endpoint}/v2/")}]})
        })
        .collect();
    json!({"versions": versions})
}

/// The minor number of `v2.N`.
fn minor(id: &str) -> u32 {
    id.rsplit('.').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_stores_add_their_versions_in_order() {
        let ids = |doc: Value| doc["versions"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let single = ids(document("http://x/image", false));
        assert_eq!(single[..3], ["v2.9", "v2.7", "v2.6"]);
        let multiple = ids(document("http://x/image", true));
        assert_eq!(multiple[..7], ["v2.13", "v2.12", "v2.11", "v2.10", "v2.9", "v2.8", "v2.7"]);
        assert_eq!(document("http://x/image", true)["versions"][0]["status"], "CURRENT");
        assert_eq!(document("http://x/image", true)["versions"][1]["status"], "SUPPORTED");
    }
}
