//! Trusts, credentials (EC2 too) and policy blobs over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::TestCloud;

/// A trustor with two roles on a project, and a trustee.
struct Setup {
    admin: String,
    project: String,
    trustor: String,
    trustor_token: String,
    trustee: String,
    delegated: String,
}

async fn setup(c: &TestCloud) -> Setup {
    let admin = c.admin_token().await;
    let post = |path: &'static str, body: Value| {
        let admin = admin.clone();
        async move { c.call(Method::POST, &c.v3(path), Some(&admin), Some(body)).await }
    };
    let project = post("/projects", json!({"project": {"name": "shared"}})).await.body["project"]["id"].as_str().unwrap().to_owned();
    let trustor =
        post("/users", json!({"user": {"name": "trustor", "password": "pw-or"}})).await.body["user"]["id"].as_str().unwrap().to_owned();
    let trustee =
        post("/users", json!({"user": {"name": "trustee", "password": "pw-ee"}})).await.body["user"]["id"].as_str().unwrap().to_owned();
    let delegated = post("/roles", json!({"role": {"name": "delegated"}})).await.body["role"]["id"].as_str().unwrap().to_owned();
    let kept = post("/roles", json!({"role": {"name": "kept"}})).await.body["role"]["id"].as_str().unwrap().to_owned();
    for role in [&delegated, &kept] {
        let r = c.call(Method::PUT, &c.v3(&format!("/projects/{project}/users/{trustor}/roles/{role}")), Some(&admin), None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    let (trustor_token, _) = c.password_token("trustor", "pw-or", Some(json!({"project": {"id": project}}))).await.unwrap();
    Setup { admin, project, trustor, trustor_token, trustee, delegated }
}

fn trust_body(s: &Setup, impersonation: bool, extra: Value) -> Value {
    let mut trust = json!({"trustor_user_id": s.trustor, "trustee_user_id": s.trustee, "project_id": s.project,
                           "impersonation": impersonation, "roles": [{"name": "delegated"}]});
    trust.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({"trust": trust})
}

async fn trust_token(c: &TestCloud, trust_id: &str) -> system_tests::Reply {
    let auth = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "trustee", "domain": {"id": "default"}, "password": "pw-ee"}}},
                               "scope": {"OS-TRUST:trust": {"id": trust_id}}}});
    c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth)).await
}

#[tokio::test]
async fn trusts_delegate_roles_with_or_without_impersonation() {
    let c = TestCloud::start().await;
    let s = setup(&c).await;
    let trusts = c.v3("/OS-TRUST/trusts");
    let made = c
        .call(Method::POST, &trusts, Some(&s.trustor_token), Some(trust_body(&s, true, json!({"expires_at": "2099-01-02T03:04:05Z"}))))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let trust = &made.body["trust"];
    assert_eq!(trust["expires_at"], "2099-01-02T03:04:05.000000Z");
    assert_eq!(trust["roles"].as_array().unwrap().len(), 1);
    assert!(trust["links"]["self"].as_str().unwrap().contains("v3/OS-TRUST/trusts"));
    let id = trust["id"].as_str().unwrap();

    let token = trust_token(&c, id).await;
    assert_eq!(token.status, StatusCode::CREATED, "{}", token.body);
    let t = &token.body["token"];
    assert_eq!(t["user"]["id"], s.trustor.as_str(), "impersonation: the token acts as the trustor");
    assert_eq!(t["OS-TRUST:trust"]["trustee_user"]["id"], s.trustee.as_str());
    assert_eq!(t["project"]["id"], s.project.as_str());
    let names: Vec<&str> = t["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["delegated"], "only delegated roles");
    let trust_token_id = token.headers["x-subject-token"].to_str().unwrap().to_owned();

    let roles = c.call(Method::GET, &format!("{trusts}/{id}/roles"), Some(&s.trustor_token), None).await;
    assert_eq!(roles.body["roles"][0]["id"], s.delegated.as_str());
    let not_delegated = c.call(Method::HEAD, &format!("{trusts}/{id}/roles/{}", s.project), Some(&s.trustor_token), None).await;
    assert_eq!(not_delegated.status, StatusCode::NOT_FOUND);
    let mine = c.call(Method::GET, &format!("{trusts}?trustor_user_id={}", s.trustor), Some(&s.trustor_token), None).await;
    assert_eq!(mine.body["trusts"].as_array().unwrap().len(), 1);
    let all = c.call(Method::GET, &trusts, Some(&s.trustor_token), None).await;
    assert_eq!(all.status, StatusCode::FORBIDDEN, "only admins list every trust");

    let rescope =
        json!({"auth": {"identity": {"methods": ["token"], "token": {"id": trust_token_id}}, "scope": {"project": {"id": s.project}}}});
    assert_eq!(c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(rescope)).await.status, StatusCode::FORBIDDEN);

    assert_eq!(c.call(Method::DELETE, &format!("{trusts}/{id}"), Some(&s.trustor_token), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(c.call(Method::GET, &format!("{trusts}/{id}"), Some(&s.trustor_token), None).await.status, StatusCode::NOT_FOUND);
    let after = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&s.admin), None, &[("X-Subject-Token", &trust_token_id)]).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "deleting a trust ends its tokens");

    let plain = c.call(Method::POST, &trusts, Some(&s.trustor_token), Some(trust_body(&s, false, json!({})))).await;
    let token = trust_token(&c, plain.body["trust"]["id"].as_str().unwrap()).await;
    assert_eq!(token.body["token"]["user"]["id"], s.trustee.as_str(), "without impersonation the trustee acts as themself");
}

#[tokio::test]
async fn trusts_refuse_what_the_trustor_cannot_give() {
    let cloud = TestCloud::start().await;
    let c = &cloud;
    let s = setup(c).await;
    let trusts = c.v3("/OS-TRUST/trusts");
    let post = |body: Value, token: String| {
        let url = trusts.clone();
        async move { c.call(Method::POST, &url, Some(&token), Some(body)).await }
    };
    let bad_time = post(trust_body(&s, true, json!({"expires_at": "bad.123Z"})), s.trustor_token.clone()).await;
    assert_eq!(bad_time.status, StatusCode::BAD_REQUEST);
    let past = post(trust_body(&s, true, json!({"expires_at": "2001-01-01T00:00:00Z"})), s.trustor_token.clone()).await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST);
    let not_held = post(trust_body(&s, true, json!({"roles": [{"name": "admin"}]})), s.trustor_token.clone()).await;
    assert_eq!(not_held.status, StatusCode::FORBIDDEN);
    let other_trustor = post(trust_body(&s, true, json!({})), s.admin.clone()).await;
    assert_eq!(other_trustor.status, StatusCode::FORBIDDEN, "only the trustor creates a trust");
    let zero = post(trust_body(&s, true, json!({"remaining_uses": 0})), s.trustor_token.clone()).await;
    assert_eq!(zero.status, StatusCode::BAD_REQUEST);

    let once = post(trust_body(&s, true, json!({"remaining_uses": 1})), s.trustor_token.clone()).await;
    let id = once.body["trust"]["id"].as_str().unwrap().to_owned();
    assert_eq!(trust_token(c, &id).await.status, StatusCode::CREATED);
    assert_eq!(trust_token(c, &id).await.status, StatusCode::FORBIDDEN, "the only use is spent");
    let left = c.call(Method::GET, &format!("{trusts}/{id}"), Some(&s.trustor_token), None).await;
    assert_eq!(left.body["trust"]["remaining_uses"], 0);

    let ours = post(trust_body(&s, true, json!({})), s.trustor_token.clone()).await;
    let auth = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": system_tests::ADMIN_PASSWORD}}},
                               "scope": {"OS-TRUST:trust": {"id": ours.body["trust"]["id"]}}}});
    assert_eq!(
        c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth)).await.status,
        StatusCode::FORBIDDEN,
        "only the trustee uses it"
    );
}

async fn trust_token_as(c: &TestCloud, user: &str, password: &str, trust_id: &str) -> system_tests::Reply {
    let auth = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}}},
                               "scope": {"OS-TRUST:trust": {"id": trust_id}}}});
    c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth)).await
}

#[tokio::test]
async fn trusts_redelegate_down_a_chain_no_further_than_every_link_allows() {
    let c = TestCloud::start().await;
    let s = setup(&c).await;
    let trusts = c.v3("/OS-TRUST/trusts");
    let third = c.call(Method::POST, &c.v3("/users"), Some(&s.admin), Some(json!({"user": {"name": "third", "password": "pw-3"}}))).await;
    let third = third.body["user"]["id"].as_str().unwrap().to_owned();
    let post = |token: String, body: Value| {
        let url = trusts.clone();
        let c = &c;
        async move { c.call(Method::POST, &url, Some(&token), Some(body)).await }
    };

    let too_deep = post(s.trustor_token.clone(), trust_body(&s, true, json!({"allow_redelegation": true, "redelegation_count": 4}))).await;
    assert_eq!(too_deep.status, StatusCode::FORBIDDEN, "{}", too_deep.body);
    let uses = post(s.trustor_token.clone(), trust_body(&s, true, json!({"allow_redelegation": true, "remaining_uses": 2}))).await;
    assert_eq!(uses.status, StatusCode::BAD_REQUEST, "a redelegatable trust has no use limit");

    let root = post(
        s.trustor_token.clone(),
        trust_body(&s, true, json!({"allow_redelegation": true, "redelegation_count": 2, "expires_at": "2099-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(root.status, StatusCode::CREATED, "{}", root.body);
    let root = &root.body["trust"];
    assert_eq!(root["redelegation_count"], 2);
    assert_eq!(root["redelegated_trust_id"], Value::Null);
    assert!(root.get("allow_redelegation").is_none(), "Keystone never returns allow_redelegation");
    let root_id = root["id"].as_str().unwrap().to_owned();
    let root_token = trust_token(&c, &root_id).await;
    assert_eq!(root_token.status, StatusCode::CREATED);
    let root_token = root_token.headers["x-subject-token"].to_str().unwrap().to_owned();

    // Made with the trust-scoped token, a trust is redelegated from that trust.
    let child_body = |extra: Value| {
        let mut t = json!({"trustor_user_id": s.trustor, "trustee_user_id": third, "project_id": s.project,
                           "impersonation": true, "allow_redelegation": true, "roles": [{"name": "delegated"}]});
        t.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"trust": t})
    };
    for (extra, why) in [
        (json!({"redelegation_count": 2}), "the count only goes down, by one"),
        (json!({"expires_at": "2099-06-01T00:00:00Z"}), "no later than the trust above"),
        (json!({"roles": [{"name": "kept"}]}), "only roles the trust above delegates"),
        (json!({"allow_redelegation": false, "remaining_uses": 1}), "a redelegated trust has no use limit"),
    ] {
        let r = post(root_token.clone(), child_body(extra)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{why}: {}", r.body);
    }
    let child = post(root_token.clone(), child_body(json!({}))).await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.body);
    let child = &child.body["trust"];
    assert_eq!(child["redelegated_trust_id"], root_id.as_str());
    assert_eq!(child["redelegation_count"], 1);
    assert_eq!(child["expires_at"], "2099-01-01T00:00:00.000000Z", "the expiry of the trust above is inherited");
    let child_id = child["id"].as_str().unwrap().to_owned();

    let child_token = trust_token_as(&c, "third", "pw-3", &child_id).await;
    assert_eq!(child_token.status, StatusCode::CREATED, "{}", child_token.body);
    assert_eq!(child_token.body["token"]["user"]["id"], s.trustor.as_str());
    let names: Vec<&str> = child_token.body["token"]["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["delegated"]);
    let child_token = child_token.headers["x-subject-token"].to_str().unwrap().to_owned();

    let grandchild = post(child_token.clone(), child_body(json!({"trustee_user_id": s.trustee}))).await;
    assert_eq!(grandchild.status, StatusCode::CREATED, "{}", grandchild.body);
    assert_eq!(grandchild.body["trust"]["redelegation_count"], 0, "the chain is used up");
    let grandchild_token = trust_token(&c, grandchild.body["trust"]["id"].as_str().unwrap()).await;
    assert_eq!(grandchild_token.status, StatusCode::CREATED);
    let grandchild_token = grandchild_token.headers["x-subject-token"].to_str().unwrap().to_owned();
    let beyond = post(grandchild_token.clone(), child_body(json!({}))).await;
    assert_eq!(beyond.status, StatusCode::FORBIDDEN, "no redelegation past the count: {}", beyond.body);

    let plain = post(s.trustor_token.clone(), trust_body(&s, true, json!({}))).await;
    assert_eq!(plain.body["trust"]["redelegation_count"], 0);
    let plain_token = trust_token(&c, plain.body["trust"]["id"].as_str().unwrap()).await;
    let plain_token = plain_token.headers["x-subject-token"].to_str().unwrap().to_owned();
    assert_eq!(post(plain_token, child_body(json!({}))).await.status, StatusCode::FORBIDDEN, "a trust without redelegation stays put");

    // Deleting a trust takes every trust redelegated from it, and their tokens.
    assert_eq!(c.call(Method::DELETE, &format!("{trusts}/{root_id}"), Some(&s.trustor_token), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(c.call(Method::GET, &format!("{trusts}/{child_id}"), Some(&s.admin), None).await.status, StatusCode::NOT_FOUND);
    for token in [&child_token, &grandchild_token] {
        let check = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&s.admin), None, &[("X-Subject-Token", token)]).await;
        assert_eq!(check.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn credentials_are_owned_encrypted_and_ec2_ids_follow_the_access_key() {
    let c = TestCloud::start().await;
    let s = setup(&c).await;
    let body = json!({"credential": {"user_id": s.trustor, "project_id": s.project, "type": "ec2", "blob": "{\"access\": \"AK\", \"secret\": \"SK\"}"}});
    let made = c.call(Method::POST, &c.v3("/credentials"), Some(&s.trustor_token), Some(body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.body["credential"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id, identity::domain::ec2_credential_id("AK"));
    let on_disk: String = ["identity.db", "identity.db-wal"]
        .iter()
        .filter_map(|f| std::fs::read(c.dir.path().join(f)).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect();
    assert!(on_disk.contains(&id), "the credential row is in the files read");
    assert!(!on_disk.contains("\"secret\": \"SK\""), "blobs are encrypted at rest");
    let no_project = json!({"credential": {"user_id": s.trustor, "type": "ec2", "blob": "{\"access\": \"AK2\"}"}});
    assert_eq!(c.call(Method::POST, &c.v3("/credentials"), Some(&s.trustor_token), Some(no_project)).await.status, StatusCode::BAD_REQUEST);
    let for_other = json!({"credential": {"user_id": s.trustee, "type": "cert", "blob": "x"}});
    assert_eq!(c.call(Method::POST, &c.v3("/credentials"), Some(&s.trustor_token), Some(for_other)).await.status, StatusCode::FORBIDDEN);
    let cert = json!({"credential": {"user_id": s.trustee, "type": "cert", "blob": "x"}});
    assert_eq!(c.call(Method::POST, &c.v3("/credentials"), Some(&s.admin), Some(cert)).await.status, StatusCode::CREATED);
    let visible = c.call(Method::GET, &c.v3("/credentials"), Some(&s.trustor_token), None).await;
    assert_eq!(visible.body["credentials"].as_array().unwrap().len(), 1, "a user sees only their own");
    let all = c.call(Method::GET, &c.v3("/credentials?type=cert"), Some(&s.admin), None).await;
    assert_eq!(all.body["credentials"].as_array().unwrap().len(), 1);
    let patched = c
        .call(
            Method::PATCH,
            &c.v3(&format!("/credentials/{id}")),
            Some(&s.trustor_token),
            Some(json!({"credential": {"blob": "{\"access\": \"other\", \"secret\": \"new\"}"}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "an ec2 blob may change, as in Keystone");
    assert_eq!(patched.body["credential"]["id"], id.as_str(), "and the credential keeps its id");
    let no_access = c
        .call(Method::PATCH, &c.v3(&format!("/credentials/{id}")), Some(&s.trustor_token), Some(json!({"credential": {"blob": "{}"}})))
        .await;
    assert_eq!(no_access.status, StatusCode::BAD_REQUEST, "an ec2 blob needs an access key");

    let ec2 = c.v3(&format!("/users/{}/credentials/OS-EC2", s.trustor));
    let pair = c.call(Method::POST, &ec2, Some(&s.trustor_token), Some(json!({"tenant_id": s.project}))).await;
    assert_eq!(pair.status, StatusCode::CREATED, "{}", pair.body);
    let access = pair.body["credential"]["access"].as_str().unwrap().to_owned();
    assert_eq!(pair.body["credential"]["tenant_id"], s.project.as_str());
    assert_eq!(
        c.call(Method::GET, &format!("{ec2}/{access}"), Some(&s.trustor_token), None).await.body["credential"]["secret"],
        pair.body["credential"]["secret"]
    );
    assert_eq!(c.call(Method::GET, &ec2, Some(&s.trustor_token), None).await.body["credentials"].as_array().unwrap().len(), 2);
    assert_eq!(c.call(Method::DELETE, &format!("{ec2}/{access}"), Some(&s.trustor_token), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(c.call(Method::GET, &format!("{ec2}/{access}"), Some(&s.trustor_token), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn policy_blobs_round_trip() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let made =
        c.call(Method::POST, &c.v3("/policies"), Some(&admin), Some(json!({"policy": {"blob": "{}", "type": "application/json"}}))).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let id = made.body["policy"]["id"].as_str().unwrap();
    let updated =
        c.call(Method::PATCH, &c.v3(&format!("/policies/{id}")), Some(&admin), Some(json!({"policy": {"type": "text/plain"}}))).await;
    assert_eq!(updated.body["policy"]["type"], "text/plain");
    assert_eq!(c.call(Method::GET, &c.v3("/policies"), Some(&admin), None).await.body["policies"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.call(Method::POST, &c.v3("/policies"), Some(&admin), Some(json!({"policy": {"type": "x"}}))).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(c.call(Method::DELETE, &c.v3(&format!("/policies/{id}")), Some(&admin), None).await.status, StatusCode::NO_CONTENT);
}
