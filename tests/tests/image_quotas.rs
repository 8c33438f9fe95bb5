//! Image quotas from identity's unified limits: registered at bootstrap, overridden per
//! project, enforced with Glance's 413.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::TestCloud;

async fn send_data(c: &TestCloud, token: &str, id: &str, what: &str, data: Vec<u8>) -> (StatusCode, Value) {
    let reply = c.put_data(&c.image(&format!("/v2/images/{id}/{what}")), token, data).await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn each_project_is_held_to_its_image_limits() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let registered = c.call(Method::GET, &c.v3("/registered_limits"), Some(&admin), None).await;
    let defaults: Vec<(String, i64)> = registered.body["registered_limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["resource_name"].as_str().unwrap().to_owned(), l["default_limit"].as_i64().unwrap()))
        .collect();
    assert!(defaults.contains(&("image_count_total".into(), 1000)), "bootstrap registers image limits: {defaults:?}");

    let tight = c.project_member("tight").await;
    let service = c.call(Method::GET, &c.v3("/services?type=image"), Some(&admin), None).await.body["services"][0]["id"].clone();
    let limit = |resource: &str, value: i64| json!({"service_id": service, "project_id": tight.project_id, "region_id": "RegionOne", "resource_name": resource, "resource_limit": value});
    let set = c
        .call(
            Method::POST,
            &c.v3("/limits"),
            Some(&admin),
            Some(json!({"limits": [limit("image_count_total", 2), limit("image_size_total", 1), limit("image_stage_total", 1)]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.body);

    let body = json!({"name": "q", "disk_format": "raw", "container_format": "bare"});
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = c.call(Method::POST, &c.image("/v2/images"), Some(&tight.token), Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let third = c.call(Method::POST, &c.image("/v2/images"), Some(&tight.token), Some(body.clone())).await;
    assert_eq!(third.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", third.body);
    assert!(third.body["message"].as_str().unwrap().contains("image_count_total is over limit of 2"), "{}", third.body);
    let listed = c.call(Method::GET, &c.image("/v2/images"), Some(&tight.token), None).await;
    assert_eq!(listed.body["images"].as_array().unwrap().len(), 2, "the refused image was not written");

    assert_eq!(send_data(&c, &tight.token, &ids[0], "file", vec![7; 600 << 10]).await.0, StatusCode::NO_CONTENT);
    let (status, refused) = send_data(&c, &tight.token, &ids[1], "file", vec![7; 600 << 10]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "600 KiB more would pass 1 MiB: {refused}");
    let second = c.call(Method::GET, &c.image(&format!("/v2/images/{}", ids[1])), Some(&tight.token), None).await.body;
    assert_eq!((second["status"].as_str(), &second["size"]), (Some("queued"), &Value::Null), "a refused upload leaves nothing");
    assert!(!c.dir.path().join("images").join(&ids[1]).exists());

    let (status, refused) = send_data(&c, &tight.token, &ids[1], "stage", vec![7; 2 << 20]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "2 MiB staged would pass 1 MiB: {refused}");
    assert!(!c.dir.path().join("image-staging").join(&ids[1]).exists());
    assert_eq!(send_data(&c, &tight.token, &ids[1], "stage", vec![7; 300 << 10]).await.0, StatusCode::NO_CONTENT);
    // Usage counts whole MiB, rounded down as Glance does: 600 KiB stored and 300 KiB
    // more still fit a 1 MiB limit.
    let import = c
        .call(
            Method::POST,
            &c.image(&format!("/v2/images/{}/import", ids[1])),
            Some(&tight.token),
            Some(json!({"method": {"name": "glance-direct"}})),
        )
        .await;
    assert_eq!(import.status, StatusCode::ACCEPTED, "{}", import.body);
    let mut status = Value::Null;
    for _ in 0..100 {
        status = c.call(Method::GET, &c.image(&format!("/v2/images/{}", ids[1])), Some(&tight.token), None).await.body["status"].clone();
        if status == "active" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "active");
    let usage = c.call(Method::GET, &c.image("/v2/info/usage"), Some(&tight.token), None).await;
    assert_eq!(usage.body["usage"]["image_size_total"], json!({"limit": 1, "usage": 0}), "{}", usage.body);
    assert_eq!(usage.body["usage"]["image_count_total"], json!({"limit": 2, "usage": 2}), "{}", usage.body);

    // Another project is held only to the registered defaults.
    let roomy = c.project_member("roomy").await;
    for _ in 0..3 {
        assert_eq!(c.call(Method::POST, &c.image("/v2/images"), Some(&roomy.token), Some(body.clone())).await.status, StatusCode::CREATED);
    }
}
