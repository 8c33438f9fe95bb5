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

fn key_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_str().is_some_and(|n| n.parse::<u64>().is_ok())).count()
}

async fn create_credential(c: &TestCloud, admin: &str, user_id: &str, blob: &str) -> String {
    let body = json!({"credential": {"user_id": user_id, "type": "totp", "blob": blob}});
    let r = c.call(Method::POST, &c.v3("/credentials"), Some(admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["credential"]["id"].as_str().unwrap().to_owned()
}

async fn credential_blob(c: &TestCloud, admin: &str, id: &str) -> String {
    let r = c.call(Method::GET, &c.v3(&format!("/credentials/{id}")), Some(admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["credential"]["blob"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn credential_key_rotation_waits_for_migration_and_keeps_every_blob_readable() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let identity = &c.cloud.identity;
    let keys = c.dir.path().join("credential-keys");
    let me = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&admin), None, &[("X-Subject-Token", &admin)]).await;
    let user_id = me.body["token"]["user"]["id"].as_str().unwrap().to_owned();
    let first = create_credential(&c, &admin, &user_id, "first-secret").await;

    identity.rotate_credential_keys().await.expect("every credential is on the primary key");
    assert_eq!(key_count(&keys), 3);
    assert_eq!(identity.credentials_not_on_primary_key().await.unwrap(), 1, "the first blob is on what is now a secondary key");
    let refused = identity.rotate_credential_keys().await.unwrap_err();
    assert!(refused.to_string().contains("credential-migrate"), "{refused}");
    assert_eq!(key_count(&keys), 3, "a refused rotation changes no key");

    let second = create_credential(&c, &admin, &user_id, "second-secret").await;
    assert_eq!(identity.migrate_credentials().await.unwrap(), 1, "only the blob on an older key is resealed");
    assert_eq!(identity.credentials_not_on_primary_key().await.unwrap(), 0);
    identity.rotate_credential_keys().await.expect("after migration the oldest key can go");
    identity.rotate_credential_keys().await.unwrap_err();
    identity.migrate_credentials().await.unwrap();
    identity.rotate_credential_keys().await.unwrap();
    assert_eq!(key_count(&keys), 3, "staged, primary and one secondary");
    assert_eq!(credential_blob(&c, &admin, &first).await, "first-secret", "the key that first sealed this blob is long gone");
    assert_eq!(credential_blob(&c, &admin, &second).await, "second-secret");
}

#[tokio::test]
async fn access_rules_restrict_what_a_credential_token_may_call() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let erin = c.project_member("erin").await;
    let (uid, token) = (erin.user_id, erin.token);
    let creds = c.v3(&format!("/users/{uid}/application_credentials"));
    let compute_rule = json!({"path": "/v2.1/servers/*/ips", "method": "GET", "service": "compute"});
    let projects_rule = json!({"path": "/v3/auth/projects", "method": "GET", "service": "identity"});
    let body = |name: &str, rules: Value| json!({"application_credential": {"name": name, "access_rules": rules}});

    for bad in [
        json!([{"path": "v3/no-leading-slash", "method": "GET", "service": "identity"}]),
        json!([{"path": "/v3/users", "method": "FETCH", "service": "identity"}]),
        json!([{"path": "/v3/users", "method": "GET", "service": "identity", "color": "red"}]),
        json!([{"path": "/v3/users", "method": "GET"}]),
    ] {
        let r = c.call(Method::POST, &creds, Some(&token), Some(body("bad", bad.clone()))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
    }
    let unknown = c.call(Method::POST, &creds, Some(&token), Some(body("unknown", json!([{"id": "0123abcd"}])))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);

    let made = c.call(Method::POST, &creds, Some(&token), Some(body("ci", json!([compute_rule, projects_rule])))).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let cred = made.body["application_credential"].clone();
    let mut echoed = cred["access_rules"][0].clone();
    let compute_rule_id = echoed.as_object_mut().unwrap().remove("id").unwrap();
    assert_eq!(echoed, compute_rule, "the rule comes back exactly as asked, with its id");
    let plain = c.call(Method::POST, &creds, Some(&token), Some(json!({"application_credential": {"name": "plain"}}))).await;
    assert!(plain.body["application_credential"].get("access_rules").is_none(), "no rules, no key, as Keystone");

    let same = c.call(Method::POST, &creds, Some(&token), Some(body("same", json!([compute_rule])))).await;
    assert_eq!(same.body["application_credential"]["access_rules"][0]["id"], compute_rule_id, "identical rules are one rule");
    let by_id = c.call(Method::POST, &creds, Some(&token), Some(body("by-id", json!([{"id": compute_rule_id}])))).await;
    assert_eq!(by_id.status, StatusCode::CREATED, "{}", by_id.body);
    assert_eq!(by_id.body["application_credential"]["access_rules"][0]["path"], "/v2.1/servers/*/ips");

    let auth = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}});
    let issued = c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth)).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert_eq!(issued.body["token"]["application_credential"]["access_rules"].as_array().unwrap().len(), 2);
    let restricted = issued.headers["x-subject-token"].to_str().unwrap().to_owned();

    let allowed = c.call(Method::GET, &c.v3("/auth/projects"), Some(&restricted), None).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    let denied = c.call(Method::GET, &c.v3(&format!("/users/{uid}")), Some(&restricted), None).await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED, "outside the rules: {}", denied.body);
    assert!(denied.headers.contains_key("www-authenticate"));
    let other_method = c.call(Method::HEAD, &c.v3("/auth/projects"), Some(&restricted), None).await;
    assert_eq!(other_method.status, StatusCode::UNAUTHORIZED, "a rule names one method");

    let validate = |caller: String, headers: Vec<(&'static str, String)>| {
        let (c, restricted) = (&c, restricted.clone());
        async move {
            let mut all: Vec<(&str, &str)> = vec![("X-Subject-Token", &restricted)];
            all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
            c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&caller), None, &all).await.status
        }
    };
    assert_eq!(validate(admin.clone(), vec![]).await, StatusCode::NOT_FOUND, "a validator that does not enforce rules gets no such token");
    assert_eq!(validate(admin.clone(), vec![("OpenStack-Identity-Access-Rules", "0.9".into())]).await, StatusCode::NOT_FOUND);
    assert_eq!(validate(admin.clone(), vec![("OpenStack-Identity-Access-Rules", "1".into())]).await, StatusCode::OK);
    assert_eq!(
        validate(restricted.clone(), vec![("OpenStack-Identity-Access-Rules", "1.0".into())]).await,
        StatusCode::OK,
        "validating tokens is always allowed"
    );

    // A service acting for the user, proven by a valid X-Service-Token with the service role, is not held to the rules.
    c.make_service_user(&admin, "svc", "svc-pw").await;
    let (svc_token, _) =
        c.password_token("svc", "svc-pw", Some(json!({"project": {"name": "service", "domain": {"id": "default"}}}))).await.unwrap();
    let as_service =
        c.call_with(Method::GET, &c.v3(&format!("/users/{uid}")), Some(&restricted), None, &[("X-Service-Token", &svc_token)]).await;
    assert_eq!(as_service.status, StatusCode::OK, "{}", as_service.body);
    let fake_service =
        c.call_with(Method::GET, &c.v3(&format!("/users/{uid}")), Some(&restricted), None, &[("X-Service-Token", &admin)]).await;
    assert_eq!(fake_service.status, StatusCode::UNAUTHORIZED, "a token without the service role is no service token");

    // The rules outlive their credentials until deleted, and a rule in use stays.
    let rules_url = c.v3(&format!("/users/{uid}/access_rules"));
    let listed = c.call(Method::GET, &rules_url, Some(&token), None).await;
    assert_eq!(listed.body["access_rules"].as_array().unwrap().len(), 2, "{}", listed.body);
    let filtered = c.call(Method::GET, &format!("{rules_url}?service=compute"), Some(&token), None).await;
    assert_eq!(filtered.body["access_rules"].as_array().unwrap().len(), 1);
    let rule_url = format!("{rules_url}/{}", compute_rule_id.as_str().unwrap());
    let shown = c.call(Method::GET, &rule_url, Some(&token), None).await;
    assert_eq!(shown.body["access_rule"]["method"], "GET");
    let in_use = c.call(Method::DELETE, &rule_url, Some(&token), None).await;
    assert_eq!(in_use.status, StatusCode::FORBIDDEN);
    assert_eq!(in_use.body["error"]["message"], "May not delete access rule in use");
    for name in ["ci", "same", "by-id"] {
        let id = c.call(Method::GET, &format!("{creds}?name={name}"), Some(&token), None).await.body["application_credentials"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(c.call(Method::DELETE, &format!("{creds}/{id}"), Some(&token), None).await.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(c.call(Method::GET, &rule_url, Some(&token), None).await.status, StatusCode::OK, "the rule outlives its credentials");
    assert_eq!(c.call(Method::DELETE, &rule_url, Some(&token), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(c.call(Method::GET, &rule_url, Some(&token), None).await.status, StatusCode::NOT_FOUND);

    let other_token = c.project_member("frank").await.token;
    let foreign = c.call(Method::GET, &rules_url, Some(&other_token), None).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "another user's rules are theirs");
}
