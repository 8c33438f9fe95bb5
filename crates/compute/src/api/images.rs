//! `/images` on the wire: Glance's images as Nova's proxy showed them.

use serde_json::{Value, json};

use super::{invalid_query, last, parse_limit};
use crate::domain::Result;
use crate::domain::images::ImageQuery;

/// The newest microversion the image proxy answers at.
pub const MAX_PROXY_MINOR: u16 = 35;

/// The newest microversion image metadata is answered at.
pub const MAX_METADATA_MINOR: u16 = 38;

/// A list's query: Nova's filters in Glance's terms.
pub fn parse_list(pairs: &[(String, String)]) -> Result<ImageQuery> {
    let mut q = ImageQuery::default();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => q.glance.push(("name".into(), v.clone())),
            "status" => q.glance.push(("status".into(), v.to_ascii_lowercase())),
            "changes-since" => q.glance.push(("updated_at".into(), format!("gte:{v}"))),
            "server" => q.glance.push(("instance_uuid".into(), v.rsplit('/').next().unwrap_or(v).to_owned())),
            "type" => q.glance.push(("image_type".into(), v.clone())),
            "marker" => q.glance.push(("marker".into(), v.clone())),
            "minRam" => q.min_ram = Some(v.parse().map_err(|_| invalid_query("minRam", v, &format!("'{v}' is not an integer")))?),
            "minDisk" => q.min_disk = Some(v.parse().map_err(|_| invalid_query("minDisk", v, &format!("'{v}' is not an integer")))?),
            other => {
                if let Some(property) = other.strip_prefix("property-") {
                    q.glance.push((property.to_owned(), v.clone()));
                }
            }
        }
    }
    if let Some(limit) = parse_limit(pairs)? {
        q.glance.push(("limit".into(), limit.to_string()));
    }
    Ok(q)
}

/// The requested page size, for the next link.
pub fn limit(pairs: &[(String, String)]) -> Option<usize> {
    last(pairs, "limit").and_then(|l| l.parse().ok())
}

fn links(endpoint: &str, glance: &str, kind: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{endpoint}/v2.1/{kind}/{id}")},
        {"rel": "bookmark", "href": format!("{endpoint}/{kind}/{id}")},
        {"rel": "alternate", "type": "application/vnd.openstack.image", "href": format!("{glance}/images/{id}")},
    ])
}

/// An image in a brief list.
pub fn render_brief(image: &Value, endpoint: &str, glance: &str) -> Value {
    let id = image["id"].as_str().unwrap_or_default();
    json!({"id": id, "name": image["name"], "links": links(endpoint, glance, "images", id)})
}

/// An image in full.
pub fn render(image: &Value, endpoint: &str, glance: &str) -> Value {
    let id = image["id"].as_str().unwrap_or_default();
    let status = image["status"].as_str().unwrap_or_default();
    let metadata = client::additional_properties(image);
    let mut body = json!({
        "id": id, "name": image["name"],
        "minRam": image["min_ram"].as_i64().unwrap_or(0), "minDisk": image["min_disk"].as_i64().unwrap_or(0),
        "metadata": metadata, "created": image["created_at"], "updated": image["updated_at"],
        "status": match status {
            "active" => "ACTIVE",
            "queued" | "saving" => "SAVING",
            "deleted" | "pending_delete" => "DELETED",
            "killed" => "ERROR",
            _ => "UNKNOWN",
        },
        "progress": match status {
            "queued" => 25,
            "saving" => 50,
            "active" => 100,
            _ => 0,
        },
        "OS-EXT-IMG-SIZE:size": image["size"].as_i64().unwrap_or(0),
        "links": links(endpoint, glance, "images", id),
    });
    if let Some(server) = metadata.get("instance_uuid").and_then(Value::as_str) {
        body["server"] = json!({"id": server, "links": [
            {"rel": "self", "href": format!("{endpoint}/v2.1/servers/{server}")},
            {"rel": "bookmark", "href": format!("{endpoint}/servers/{server}")},
        ]});
    }
    if let Some(auto) = metadata.get("auto_disk_config").and_then(Value::as_str) {
        let on = matches!(auto.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on" | "y" | "t");
        body["OS-DCF:diskConfig"] = json!(if on { "AUTO" } else { "MANUAL" });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn nova_filters_become_glance_filters() {
        let q = parse_list(&pairs(&[
            ("status", "ACTIVE"),
            ("server", "http://x/servers/abc"),
            ("property-os_distro", "cirros"),
            ("minRam", "512"),
        ]))
        .unwrap();
        assert_eq!(q.glance, pairs(&[("status", "active"), ("instance_uuid", "abc"), ("os_distro", "cirros")]));
        assert_eq!(q.min_ram, Some(512));
        assert!(parse_list(&pairs(&[("minDisk", "big")])).is_err());
    }

    #[test]
    fn images_show_statuses_and_metadata_as_nova_did() {
        let image = json!({"id": "i", "name": "n", "status": "queued", "min_ram": 0, "size": null, "os_distro": "cirros",
            "instance_uuid": "s", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
        let shown = render(&image, "http://c/compute", "http://c/image");
        assert_eq!((shown["status"].as_str(), shown["progress"].as_i64()), (Some("SAVING"), Some(25)));
        assert_eq!(shown["metadata"], json!({"os_distro": "cirros", "instance_uuid": "s"}));
        assert_eq!(shown["server"]["id"], "s");
        assert_eq!(shown["links"][2]["href"], "http://c/image/images/i");
    }
}
