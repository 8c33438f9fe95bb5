//! OS-EP-FILTER over HTTP: endpoint groups, associations, and the catalog a project's
//! tokens carry.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::TestCloud;

fn endpoint_ids(token_body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = token_body["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["endpoints"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn associations_narrow_a_projects_catalog() {
    let cloud = TestCloud::start().await;
    let c = &cloud;
    let admin = c.admin_token().await;
    let call = |method: Method, path: String, body: Option<Value>| {
        let admin = admin.clone();
        async move { c.call(method, &c.v3(&path), Some(&admin), body).await }
    };
    let svc =
        call(Method::POST, "/services".into(), Some(json!({"service": {"type": "compute", "name": "nova"}}))).await.body["service"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let mut compute = Vec::new();
    for interface in ["public", "internal"] {
        let e = call(
            Method::POST,
            "/endpoints".into(),
            Some(json!({"endpoint": {"service_id": svc, "interface": interface, "url": "http://nova", "region_id": "RegionOne"}})),
        )
        .await;
        compute.push(e.body["endpoint"]["id"].as_str().unwrap().to_owned());
    }
    let scope = json!({"project": {"name": "demo", "domain": {"id": "default"}}});
    let project = call(Method::GET, "/projects?name=demo".into(), None).await.body["projects"][0]["id"].as_str().unwrap().to_owned();
    let (_, before) = c.password_token("admin", system_tests::ADMIN_PASSWORD, Some(scope.clone())).await.unwrap();
    let all_endpoints = call(Method::GET, "/endpoints".into(), None).await.body["endpoints"].as_array().unwrap().len();
    assert_eq!(endpoint_ids(&before).len(), all_endpoints, "no association: every endpoint");

    let put = call(Method::PUT, format!("/OS-EP-FILTER/projects/{project}/endpoints/{}", compute[0]), None).await;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(Method::HEAD, format!("/OS-EP-FILTER/projects/{project}/endpoints/{}", compute[0]), None).await.status,
        StatusCode::NO_CONTENT
    );
    let (_, narrowed) = c.password_token("admin", system_tests::ADMIN_PASSWORD, Some(scope.clone())).await.unwrap();
    assert_eq!(endpoint_ids(&narrowed), vec![compute[0].clone()], "one association: one endpoint");

    let group = call(
        Method::POST,
        "/OS-EP-FILTER/endpoint_groups".into(),
        Some(json!({"endpoint_group": {"name": "compute-all", "description": "d", "filters": {"service_id": svc}}})),
    )
    .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let gid = group.body["endpoint_group"]["id"].as_str().unwrap().to_owned();
    let bad = call(
        Method::POST,
        "/OS-EP-FILTER/endpoint_groups".into(),
        Some(json!({"endpoint_group": {"name": "x", "filters": {"colour": "red"}}})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        call(Method::GET, format!("/OS-EP-FILTER/endpoint_groups/{gid}/endpoints"), None).await.body["endpoints"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        call(Method::PUT, format!("/OS-EP-FILTER/endpoint_groups/{gid}/projects/{project}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    let (token, grouped) = c.password_token("admin", system_tests::ADMIN_PASSWORD, Some(scope.clone())).await.unwrap();
    let mut want = compute.clone();
    want.sort();
    assert_eq!(endpoint_ids(&grouped), want, "the group adds the service's other endpoint");
    let validated = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&admin), None, &[("X-Subject-Token", &token)]).await;
    assert_eq!(endpoint_ids(&validated.body), want, "validation shows the same catalog");
    assert_eq!(
        call(Method::GET, format!("/OS-EP-FILTER/projects/{project}/endpoint_groups"), None).await.body["endpoint_groups"][0]["id"],
        gid.as_str()
    );
    assert_eq!(
        call(Method::GET, format!("/OS-EP-FILTER/endpoints/{}/projects", compute[0]), None).await.body["projects"][0]["id"],
        project.as_str()
    );

    let (_, other) = c
        .password_token("admin", system_tests::ADMIN_PASSWORD, Some(json!({"project": {"name": "admin", "domain": {"id": "default"}}})))
        .await
        .unwrap();
    assert_eq!(endpoint_ids(&other).len(), all_endpoints, "other projects are untouched");

    assert_eq!(call(Method::DELETE, format!("/OS-EP-FILTER/endpoint_groups/{gid}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(Method::DELETE, format!("/OS-EP-FILTER/projects/{project}/endpoints/{}", compute[0]), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(Method::DELETE, format!("/OS-EP-FILTER/projects/{project}/endpoints/{}", compute[0]), None).await.status,
        StatusCode::NOT_FOUND
    );
    let (_, after) = c.password_token("admin", system_tests::ADMIN_PASSWORD, Some(scope)).await.unwrap();
    assert_eq!(endpoint_ids(&after).len(), all_endpoints, "no association left: every endpoint again");
}
