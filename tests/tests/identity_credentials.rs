//! Passwords, security compliance and application credentials over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::TestCloud;

async fn make_user(c: &TestCloud, admin: &str, name: &str, password: &str) -> String {
    let r = c.call(Method::POST, &c.v3("/users"), Some(admin), Some(json!({"user": {"name": name, "password": password}}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["user"]["id"].as_str().unwrap().to_owned()
}

async fn change_password(c: &TestCloud, uid: &str, original: &str, new: &str) -> system_tests::Reply {
    c.call(
        Method::POST,
        &c.v3(&format!("/users/{uid}/password")),
        None,
        Some(json!({"user": {"original_password": original, "password": new}})),
    )
    .await
}

#[tokio::test]
async fn self_service_password_change_revokes_and_checks_the_original() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let uid = make_user(&c, &admin, "dave", "first-pw").await;
    let (old_token, _) = c.password_token("dave", "first-pw", Some(json!("unscoped"))).await.unwrap();
    assert_eq!(change_password(&c, &uid, "wrong", "second-pw").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(change_password(&c, &uid, "first-pw", "second-pw").await.status, StatusCode::NO_CONTENT);
    let check = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&admin), None, &[("X-Subject-Token", &old_token)]).await;
    assert_eq!(check.status, StatusCode::NOT_FOUND, "a password change revokes the user's tokens");
    assert!(c.password_token("dave", "first-pw", None).await.is_err());
    assert!(c.password_token("dave", "second-pw", Some(json!("unscoped"))).await.is_ok(), "a token issued right after the change is valid");
    let disabled = c.call(Method::PATCH, &c.v3(&format!("/users/{uid}")), Some(&admin), Some(json!({"user": {"enabled": false}}))).await;
    assert_eq!(disabled.status, StatusCode::OK);
    assert_eq!(c.password_token("dave", "second-pw", None).await.unwrap_err().status, StatusCode::UNAUTHORIZED);
}

fn compliance() -> ferrostack::Config {
    let mut config = ferrostack::Config::default();
    let sc = &mut config.identity.security_compliance;
    sc.lockout_failure_attempts = Some(2);
    sc.lockout_duration = Some(2);
    sc.unique_last_password_count = 2;
    sc.password_regex = Some("^.{8,}$".into());
    sc.password_regex_description = Some("at least 8 characters".into());
    config
}

#[tokio::test]
async fn lockout_history_and_regex_follow_security_compliance() {
    let c = TestCloud::start_with(compliance()).await;
    let admin = c.admin_token().await;
    let short = c.call(Method::POST, &c.v3("/users"), Some(&admin), Some(json!({"user": {"name": "erin", "password": "short"}}))).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body["error"]["message"].as_str().unwrap().contains("at least 8 characters"));
    let uid = make_user(&c, &admin, "erin", "long-enough-1").await;

    let reuse = change_password(&c, &uid, "long-enough-1", "long-enough-1").await;
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST, "the current password cannot be reused");
    assert_eq!(change_password(&c, &uid, "long-enough-1", "long-enough-2").await.status, StatusCode::NO_CONTENT);
    let back = change_password(&c, &uid, "long-enough-2", "long-enough-1").await;
    assert_eq!(back.status, StatusCode::BAD_REQUEST, "nor the one before it, with unique_last_password_count = 2");
    let reset =
        c.call(Method::PATCH, &c.v3(&format!("/users/{uid}")), Some(&admin), Some(json!({"user": {"password": "long-enough-2"}}))).await;
    assert_eq!(reset.status, StatusCode::OK, "an administrator's reset is exempt from the history rule, even to the current password");

    for _ in 0..2 {
        assert_eq!(c.password_token("erin", "bad-guess", None).await.unwrap_err().status, StatusCode::UNAUTHORIZED);
    }
    let locked = c.password_token("erin", "long-enough-2", None).await.unwrap_err();
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(locked.body["error"]["message"].as_str().unwrap().contains("locked"), "{}", locked.body);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(c.password_token("erin", "long-enough-2", Some(json!("unscoped"))).await.is_ok(), "the lock lifts after lockout_duration");
}

#[tokio::test]
async fn an_administrator_set_password_must_be_changed_at_first_use() {
    let mut config = ferrostack::Config::default();
    config.identity.security_compliance.change_password_upon_first_use = true;
    let c = TestCloud::start_with(config).await;
    let admin = c.admin_token().await;
    let uid = make_user(&c, &admin, "frank", "given-pw").await;
    let expired = c.password_token("frank", "given-pw", None).await.unwrap_err();
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(expired.body["error"]["message"].as_str().unwrap().contains("expired"));
    assert_eq!(change_password(&c, &uid, "given-pw", "chosen-pw").await.status, StatusCode::NO_CONTENT);
    assert!(c.password_token("frank", "chosen-pw", Some(json!("unscoped"))).await.is_ok());
}

#[tokio::test]
async fn application_credentials_authenticate_with_a_subset_of_roles() {
    let c = TestCloud::start().await;
    let scope = json!({"project": {"name": "admin", "domain": {"id": "default"}}});
    let (token, body) = c.password_token("admin", system_tests::ADMIN_PASSWORD, Some(scope)).await.unwrap();
    let uid = body["token"]["user"]["id"].as_str().unwrap().to_owned();
    let path = c.v3(&format!("/users/{uid}/application_credentials"));
    let made = c
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"application_credential": {"name": "ci", "roles": [{"name": "reader"}], "expires_at": "2099-01-01T00:00:00"}})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let cred = &made.body["application_credential"];
    let (id, secret) = (cred["id"].as_str().unwrap().to_owned(), cred["secret"].as_str().unwrap().to_owned());
    assert_eq!(cred["roles"][0]["name"], "reader");
    assert_eq!(cred["expires_at"], "2099-01-01T00:00:00.000000");
    let listed = c.call(Method::GET, &path, Some(&token), None).await;
    assert!(listed.body["application_credentials"][0].get("secret").is_none(), "the secret is shown once");
    let dup = c.call(Method::POST, &path, Some(&token), Some(json!({"application_credential": {"name": "ci"}}))).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let greedy = c
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"application_credential": {"name": "greedy", "roles": [{"name": "nonexistent"}]}})),
        )
        .await;
    assert_eq!(greedy.status, StatusCode::FORBIDDEN);

    let auth = |secret: &str| json!({"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"id": id, "secret": secret}}}});
    let bad = c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth("wrong"))).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let ok = c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth(&secret))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let t = &ok.body["token"];
    assert_eq!(t["methods"], json!(["application_credential"]));
    assert_eq!(t["project"]["name"], "admin");
    assert_eq!(t["roles"], json!([{"id": t["roles"][0]["id"], "name": "reader"}]), "only the credential's roles");
    assert_eq!(t["application_credential"]["restricted"], true);
    let cred_token = ok.headers["x-subject-token"].to_str().unwrap().to_owned();
    let nested = c.call(Method::POST, &path, Some(&cred_token), Some(json!({"application_credential": {"name": "nested"}}))).await;
    assert_eq!(nested.status, StatusCode::FORBIDDEN, "a restricted credential cannot make more");
    let scoped = json!({"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"id": id, "secret": secret}},
                                 "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}});
    assert_eq!(c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(scoped)).await.status, StatusCode::UNAUTHORIZED);

    let deleted = c.call(Method::DELETE, &format!("{path}/{id}"), Some(&token), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let after: Value = c.call(Method::GET, &c.v3("/users"), Some(&cred_token), None).await.body;
    assert_eq!(after["error"]["code"], 401, "tokens of a deleted credential stop working");
}

#[tokio::test]
async fn password_age_and_expiry_follow_security_compliance() {
    let mut config = ferrostack::Config::default();
    config.identity.security_compliance.minimum_password_age = 1;
    config.identity.security_compliance.password_expires_days = Some(30);
    let c = TestCloud::start_with(config).await;
    let admin = c.admin_token().await;
    let uid = make_user(&c, &admin, "gina", "first-pw").await;
    let (_, body) = c.password_token("gina", "first-pw", Some(json!("unscoped"))).await.unwrap();
    let expires = body["token"]["user"]["password_expires_at"].as_str().expect("an expiring password shows when");
    let days = (common::time::parse_client_time(expires).unwrap() - common::time::now_micros()) / 86_400_000_000;
    assert_eq!(days, 29, "30 days from now, give or take the seconds since");
    let early = change_password(&c, &uid, "first-pw", "second-pw").await;
    assert_eq!(early.status, StatusCode::FORBIDDEN, "a password younger than a day cannot be changed by its owner");
    assert!(early.body["error"]["message"].as_str().unwrap().contains("minimum password age"));
    let reset = c.call(Method::PATCH, &c.v3(&format!("/users/{uid}")), Some(&admin), Some(json!({"user": {"password": "reset-pw"}}))).await;
    assert_eq!(reset.status, StatusCode::OK, "an administrator may reset it at any time");
}
