//! A role running apart from identity validates tokens over HTTP, with a bounded cache,
//! and honours `X-Service-Token`.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use http_api::{Authenticated, RemoteValidator, ServiceCredentials, Validator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::TestCloud;

fn credentials() -> ServiceCredentials {
    ServiceCredentials {
        username: "remote-role".into(),
        password: "remote-role-pw".into(),
        user_domain_name: "Default".into(),
        project_name: "service".into(),
        project_domain_name: "Default".into(),
    }
}

/// Serves `app` on a free loopback port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Serves `GET /whoami` behind the validator; returns its base URL.
async fn protected_service(validator: Validator) -> String {
    serve(
        Router::new()
            .route(
                "/whoami",
                get(|Authenticated(ctx): Authenticated| async move {
                    Json(json!({"user": ctx.user_id, "roles": ctx.roles, "service_roles": ctx.service_roles}))
                }),
            )
            .with_state(validator),
    )
    .await
}

#[tokio::test]
async fn remote_roles_validate_cache_and_see_revocations_within_the_ttl() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    c.make_service_user(&admin, "remote-role", "remote-role-pw").await;

    let identity_url = format!("{}/identity", c.cloud.base_url);
    let remote =
        Arc::new(RemoteValidator::new(&identity_url, credentials(), NonZeroUsize::new(2).unwrap(), Duration::from_millis(400)).unwrap());
    let url = protected_service(remote.clone()).await;
    let whoami = |token: Option<String>, service: Option<String>| {
        let (c, url) = (&c, format!("{url}/whoami"));
        async move {
            let headers: Vec<(&str, &str)> = service.as_deref().map(|s| vec![("X-Service-Token", s)]).unwrap_or_default();
            c.call_with(Method::GET, &url, token.as_deref(), None, &headers).await
        }
    };

    let anonymous = whoami(None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers["www-authenticate"], format!("Keystone uri=\"{identity_url}\"").as_str());

    let (user_token, _) = c
        .password_token("admin", system_tests::ADMIN_PASSWORD, Some(json!({"project": {"name": "demo", "domain": {"id": "default"}}})))
        .await
        .unwrap();
    let me: Value = whoami(Some(user_token.clone()), None).await.body;
    assert_eq!(me["roles"], json!(["admin", "member", "reader"]));
    let fetched = remote.fetches();
    assert_eq!(whoami(Some(user_token.clone()), None).await.status, StatusCode::OK);
    assert_eq!(remote.fetches(), fetched, "the second validation is served from the cache");
    assert_eq!(whoami(Some("gAAAAAjunk".into()), None).await.status, StatusCode::UNAUTHORIZED);

    let (nova_token, _) = c
        .password_token("remote-role", "remote-role-pw", Some(json!({"project": {"name": "service", "domain": {"id": "default"}}})))
        .await
        .unwrap();
    let with_service = whoami(Some(user_token.clone()), Some(nova_token)).await;
    assert_eq!(with_service.body["service_roles"], json!(["service"]));
    assert_eq!(
        whoami(Some(user_token.clone()), Some("gAAAAAforged".into())).await.status,
        StatusCode::UNAUTHORIZED,
        "a bad service token is refused"
    );

    let revoke = c.call_with(Method::DELETE, &c.v3("/auth/tokens"), Some(&admin), None, &[("X-Subject-Token", &user_token)]).await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        whoami(Some(user_token), None).await.status,
        StatusCode::UNAUTHORIZED,
        "the revocation reaches the remote role within the ttl"
    );
}

#[tokio::test]
async fn an_unreachable_identity_is_a_503_not_a_401() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let remote =
        RemoteValidator::new(&format!("http://{closed}/identity"), credentials(), NonZeroUsize::new(8).unwrap(), Duration::from_secs(60))
            .unwrap();
    let url = protected_service(Arc::new(remote)).await;
    let res = reqwest::Client::new().get(format!("{url}/whoami")).header("X-Auth-Token", "gAAAAAanything").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], 503);
}

/// Serves a compute-like API behind the validator, naming its service type; returns its base URL.
async fn compute_like_service(validator: Validator) -> String {
    let ok = || async { "ok" };
    serve(
        Router::new()
            .route("/v2.1/servers/{id}/ips", get(move |_: Authenticated| ok()))
            .route("/v2.1/servers/{id}", get(move |_: Authenticated| ok()))
            .layer(axum::Extension(http_api::ServiceType("compute")))
            .with_state(validator),
    )
    .await
}

#[tokio::test]
async fn remote_roles_hold_credential_tokens_to_their_access_rules() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    c.make_service_user(&admin, "remote-role", "remote-role-pw").await;

    let (user_token, body) = c
        .password_token("admin", system_tests::ADMIN_PASSWORD, Some(json!({"project": {"name": "demo", "domain": {"id": "default"}}})))
        .await
        .unwrap();
    let uid = body["token"]["user"]["id"].as_str().unwrap().to_owned();
    let rule = json!({"path": "/v2.1/servers/*/ips", "method": "GET", "service": "compute"});
    let made = c
        .call(
            Method::POST,
            &c.v3(&format!("/users/{uid}/application_credentials")),
            Some(&user_token),
            Some(json!({"application_credential": {"name": "ips-only", "access_rules": [rule]}})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let cred = &made.body["application_credential"];
    let auth = json!({"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}});
    let issued = c.call(Method::POST, &c.v3("/auth/tokens"), None, Some(auth)).await;
    let restricted = issued.headers["x-subject-token"].to_str().unwrap().to_owned();

    let identity_url = format!("{}/identity", c.cloud.base_url);
    let remote =
        Arc::new(RemoteValidator::new(&identity_url, credentials(), NonZeroUsize::new(8).unwrap(), Duration::from_secs(60)).unwrap());
    let compute = compute_like_service(remote.clone()).await;
    let get = |path: &'static str, token: String| {
        let (c, url) = (&c, format!("{compute}{path}"));
        async move { c.call(Method::GET, &url, Some(&token), None).await.status }
    };
    assert_eq!(get("/v2.1/servers/abc/ips", restricted.clone()).await, StatusCode::OK, "the rule allows it");
    assert_eq!(get("/v2.1/servers/abc", restricted.clone()).await, StatusCode::UNAUTHORIZED, "no rule allows it");
    assert_eq!(get("/v2.1/servers/abc", user_token.clone()).await, StatusCode::OK, "unrestricted tokens are not held to rules");
    let (nova_token, _) = c
        .password_token("remote-role", "remote-role-pw", Some(json!({"project": {"name": "service", "domain": {"id": "default"}}})))
        .await
        .unwrap();
    let with_service = |service: String| {
        let (c, url, restricted) = (&c, format!("{compute}/v2.1/servers/abc"), restricted.clone());
        async move { c.call_with(Method::GET, &url, Some(&restricted), None, &[("X-Service-Token", &service)]).await.status }
    };
    assert_eq!(with_service(nova_token).await, StatusCode::OK, "a service acting for the user is not held to its rules");
    assert_eq!(with_service(admin.clone()).await, StatusCode::UNAUTHORIZED, "a token without the service role is no service token");

    // A service without a service type cannot judge rules, so it refuses restricted tokens.
    let whoami = protected_service(remote).await;
    let status = c.call(Method::GET, &format!("{whoami}/whoami"), Some(&restricted), None).await.status;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
