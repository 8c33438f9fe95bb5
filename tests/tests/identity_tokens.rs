//! Tokens over HTTP: issue, validate, revoke, rescope, scopes, and the errors clients see.

use reqwest::{Method, StatusCode};
use serde_json::json;
use system_tests::{ADMIN_PASSWORD, TestCloud};

#[tokio::test]
async fn version_documents_and_request_ids() {
    let c = TestCloud::start().await;
    let root = c.call(Method::GET, &format!("{}/identity", c.cloud.base_url), None, None).await;
    assert_eq!(root.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(root.body["versions"]["values"][0]["id"], "v3.14");
    assert_eq!(root.body["versions"]["values"][0]["status"], "stable");
    let v3 = c.call(Method::GET, &c.v3("/"), None, None).await;
    assert_eq!(v3.status, StatusCode::OK);
    assert_eq!(v3.body["version"]["links"][0]["href"], format!("{}/identity/v3/", c.cloud.base_url));
    assert_eq!(v3.body["version"]["media-types"][0]["type"], "application/vnd.openstack.identity-v3+json");
    let id = v3.headers["x-openstack-request-id"].to_str().unwrap();
    assert!(id.starts_with("req-"));
    let inbound = "req-0b4ad1c8-64a9-4c48-8e43-3a3b2c3d4e5f";
    let echoed = c.call_with(Method::GET, &c.v3(""), None, None, &[("X-OpenStack-Request-ID", inbound)]).await;
    assert_eq!(echoed.headers["x-openstack-request-id"], inbound);
}

#[tokio::test]
async fn password_tokens_carry_what_keystone_puts_in_them() {
    let c = TestCloud::start().await;
    let scope = json!({"project": {"name": "admin", "domain": {"name": "Default"}}});
    let (token, body) = c.password_token("admin", ADMIN_PASSWORD, Some(scope)).await.unwrap();
    let t = &body["token"];
    assert!(token.starts_with("gAAAAA"), "a Fernet token");
    assert_eq!(t["methods"], json!(["password"]));
    assert_eq!(t["user"]["name"], "admin");
    assert_eq!(t["user"]["domain"], json!({"id": "default", "name": "Default"}));
    assert_eq!(t["project"]["name"], "admin");
    assert_eq!(t["project"]["domain"]["id"], "default");
    assert_eq!(t["is_domain"], false);
    let mut roles: Vec<&str> = t["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["admin", "member", "reader"], "implied roles are expanded");
    assert_eq!(t["audit_ids"].as_array().unwrap().len(), 1);
    assert!(t["expires_at"].as_str().unwrap().ends_with('Z'));
    let identity = t["catalog"].as_array().unwrap().iter().find(|s| s["type"] == "identity").expect("identity in catalog");
    assert_eq!(identity["endpoints"].as_array().unwrap().len(), 3);
    assert!(identity["endpoints"].as_array().unwrap().iter().all(|e| e["url"] == format!("{}/identity", c.cloud.base_url)));

    let no_catalog = c
        .call(
            Method::POST,
            &c.v3("/auth/tokens?nocatalog"),
            None,
            Some(json!({"auth": {"identity": {"methods": ["token"], "token": {"id": token}}}})),
        )
        .await;
    assert_eq!(no_catalog.status, StatusCode::CREATED);
    assert!(no_catalog.body["token"].get("catalog").is_none());

    let validated = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&token), None, &[("X-Subject-Token", &token)]).await;
    assert_eq!(validated.status, StatusCode::OK);
    assert_eq!(validated.headers["x-subject-token"], token.as_str());
    assert_eq!(validated.body["token"]["audit_ids"], t["audit_ids"]);
    assert_eq!(validated.body["token"]["expires_at"], t["expires_at"]);
}

#[tokio::test]
async fn scopes_unscoped_domain_system_and_default_project() {
    let c = TestCloud::start().await;
    let (_, unscoped) = c.password_token("admin", ADMIN_PASSWORD, Some(json!("unscoped"))).await.unwrap();
    assert!(unscoped["token"].get("project").is_none() && unscoped["token"].get("roles").is_none());
    let (_, default) = c.password_token("admin", ADMIN_PASSWORD, None).await.unwrap();
    assert_eq!(default["token"]["project"]["name"], "admin", "no scope means the default project");
    let (_, system) = c.password_token("admin", ADMIN_PASSWORD, Some(json!({"system": {"all": true}}))).await.unwrap();
    assert_eq!(system["token"]["system"], json!({"all": true}));
    let refused = c.password_token("admin", ADMIN_PASSWORD, Some(json!({"domain": {"id": "default"}}))).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "no role on the domain");
    let admin = c.admin_token().await;
    let grant = c.call(Method::GET, &c.v3("/users?name=admin"), Some(&admin), None).await;
    let admin_id = grant.body["users"][0]["id"].as_str().unwrap().to_owned();
    let roles = c.call(Method::GET, &c.v3("/roles?name=reader"), Some(&admin), None).await;
    let reader = roles.body["roles"][0]["id"].as_str().unwrap().to_owned();
    let put = c.call(Method::PUT, &c.v3(&format!("/domains/default/users/{admin_id}/roles/{reader}")), Some(&admin), None).await;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    let (_, domain) = c.password_token("admin", ADMIN_PASSWORD, Some(json!({"domain": {"name": "Default"}}))).await.unwrap();
    assert_eq!(domain["token"]["domain"]["id"], "default");
    assert_eq!(domain["token"]["roles"][0]["name"], "reader");
}

#[tokio::test]
async fn rescoping_keeps_expiry_and_chains_audit_ids() {
    let c = TestCloud::start().await;
    let (unscoped, body) = c.password_token("admin", ADMIN_PASSWORD, Some(json!("unscoped"))).await.unwrap();
    let auth = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}},
                               "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}});
    let rescoped = c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth)).await;
    assert_eq!(rescoped.status, StatusCode::CREATED);
    let t = &rescoped.body["token"];
    assert_eq!(t["project"]["name"], "demo");
    assert_eq!(t["methods"], json!(["password", "token"]));
    assert_eq!(t["expires_at"], body["token"]["expires_at"], "a rescoped token never outlives its parent");
    assert_eq!(t["audit_ids"][1], body["token"]["audit_ids"][0]);
}

#[tokio::test]
async fn revoked_tokens_stop_working_at_once() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let (victim, _) =
        c.password_token("admin", ADMIN_PASSWORD, Some(json!({"project": {"name": "demo", "domain": {"id": "default"}}}))).await.unwrap();
    let head = c.call_with(Method::HEAD, &c.v3("/auth/tokens"), Some(&admin), None, &[("X-Subject-Token", &victim)]).await;
    assert_eq!(head.status, StatusCode::OK);
    let del = c.call_with(Method::DELETE, &c.v3("/auth/tokens"), Some(&admin), None, &[("X-Subject-Token", &victim)]).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let gone = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&admin), None, &[("X-Subject-Token", &victim)]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "Keystone answers 404 for a revoked subject token");
    let rescope = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": victim}}}});
    let reused = c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(rescope)).await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND, "a revoked token given to the token method is a 404, as in Keystone");
    let used = c.call(Method::GET, &c.v3("/users"), Some(&victim), None).await;
    assert_eq!(used.status, StatusCode::UNAUTHORIZED);
    assert_eq!(used.headers["www-authenticate"], format!("Keystone uri=\"{}/identity\"", c.cloud.base_url).as_str());
    assert_eq!(used.body["error"]["code"], 401);
    assert_eq!(used.body["error"]["title"], "Unauthorized");
    assert_eq!(c.call(Method::GET, &c.v3("/users"), Some(&admin), None).await.status, StatusCode::OK, "other tokens live on");
}

#[tokio::test]
async fn bad_credentials_and_bad_bodies_get_keystones_errors() {
    let c = TestCloud::start().await;
    let wrong = c.password_token("admin", "not-the-password", None).await.unwrap_err();
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"]["message"], "The request you have made requires authentication.");
    assert!(wrong.headers.contains_key("www-authenticate"));
    let nobody = c.password_token("nobody", "x", None).await.unwrap_err();
    assert_eq!(nobody.body, wrong.body, "an unknown user looks exactly like a wrong password");

    let garbage = c.http.post(c.v3("/auth/tokens")).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = garbage.json().await.unwrap();
    assert_eq!(body["error"]["code"], 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("not valid JSON"));
    for bad in [
        json!({"auth": {}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "x"}}}}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": "x", "password": 7}}}}}),
    ] {
        let r = c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(bad.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.body["error"]["title"], "Bad Request");
    }
    let forged = c.call(Method::GET, &c.v3("/users"), Some("gAAAAABforged"), None).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn state_and_tokens_survive_a_restart() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let made = c.call(Method::POST, &c.v3("/users"), Some(&admin), Some(json!({"user": {"name": "kept", "password": "pw-kept-1"}}))).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let c = c.restart(ferrostack::Config::default()).await;
    assert!(!c.cloud.bootstrap.first, "the second start is not a first bootstrap");
    assert_eq!(
        c.call(Method::GET, &c.v3("/users?name=kept"), Some(&admin), None).await.body["users"][0]["name"],
        "kept",
        "keys persisted: old tokens still valid"
    );
    assert!(c.password_token("kept", "pw-kept-1", Some(json!("unscoped"))).await.is_ok());
}
