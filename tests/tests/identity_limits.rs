//! Unified limits over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::json;
use system_tests::TestCloud;

#[tokio::test]
async fn registered_defaults_and_project_overrides() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let call = |method: Method, path: &str, body: Option<serde_json::Value>| {
        let (url, admin) = (c.v3(path), admin.clone());
        let c = &c;
        async move { c.call(method, &url, Some(&admin), body).await }
    };
    let service = call(Method::GET, "/services?type=identity", None).await.body["services"][0]["id"].as_str().unwrap().to_owned();
    let project = call(Method::GET, "/projects?name=demo", None).await.body["projects"][0]["id"].as_str().unwrap().to_owned();

    let orphan = call(
        Method::POST,
        "/limits",
        Some(json!({"limits": [{"service_id": service, "project_id": project, "resource_name": "widgets", "resource_limit": 5}]})),
    )
    .await;
    assert_eq!(orphan.status, StatusCode::FORBIDDEN, "a limit needs a registered default");

    let reg = call(
        Method::POST,
        "/registered_limits",
        Some(json!({"registered_limits": [
            {"service_id": service, "resource_name": "widgets", "default_limit": 10, "region_id": "RegionOne"},
            {"service_id": service, "resource_name": "gadgets", "default_limit": 3},
        ]})),
    )
    .await;
    assert_eq!(reg.status, StatusCode::CREATED, "{}", reg.body);
    assert_eq!(reg.body["registered_limits"].as_array().unwrap().len(), 2);
    let widgets = reg.body["registered_limits"][0]["id"].as_str().unwrap().to_owned();
    let dup = call(
        Method::POST,
        "/registered_limits",
        Some(json!({"registered_limits": [{"service_id": service, "resource_name": "gadgets", "default_limit": 1}]})),
    )
    .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let bad_region = call(
        Method::POST,
        "/registered_limits",
        Some(json!({"registered_limits": [{"service_id": service, "resource_name": "x", "default_limit": 1, "region_id": "Atlantis"}]})),
    )
    .await;
    assert_eq!(bad_region.status, StatusCode::BAD_REQUEST);
    let negative = call(
        Method::POST,
        "/registered_limits",
        Some(json!({"registered_limits": [{"service_id": service, "resource_name": "y", "default_limit": -2}]})),
    )
    .await;
    assert_eq!(negative.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        call(Method::GET, "/registered_limits?resource_name=gadgets", None).await.body["registered_limits"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );

    let made = call(Method::POST, "/limits", Some(json!({"limits": [{"service_id": service, "project_id": project, "region_id": "RegionOne", "resource_name": "widgets", "resource_limit": 5}]}))).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let limit = made.body["limits"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(made.body["limits"][0]["project_id"], project.as_str());
    let in_use = call(Method::DELETE, &format!("/registered_limits/{widgets}"), None).await;
    assert_eq!(in_use.status, StatusCode::FORBIDDEN);
    let patched = call(Method::PATCH, &format!("/limits/{limit}"), Some(json!({"limit": {"resource_limit": 7}}))).await;
    assert_eq!(patched.body["limit"]["resource_limit"], 7);
    assert_eq!(call(Method::GET, "/limits/model", None).await.body["model"]["name"], "flat");

    let (demo_token, _) = c.password_token("admin", system_tests::ADMIN_PASSWORD, Some(json!({"project": {"id": project}}))).await.unwrap();
    let mine = c.call(Method::GET, &c.v3("/limits"), Some(&demo_token), None).await;
    assert_eq!(mine.body["limits"].as_array().unwrap().len(), 1);
    assert_eq!(call(Method::DELETE, &format!("/limits/{limit}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(call(Method::DELETE, &format!("/registered_limits/{widgets}"), None).await.status, StatusCode::NO_CONTENT);
}
