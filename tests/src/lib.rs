//! Harness for system tests: a whole cloud started in-process on a free loopback port,
//! and a small client that speaks to it over real HTTP as any OpenStack client would.

use std::net::SocketAddr;

use ferrostack::{Cloud, CloudOptions, Config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The admin password every test cloud gets.
pub const ADMIN_PASSWORD: &str = "system-test-admin";

/// A running cloud in a temporary data directory.
pub struct TestCloud {
    /// The cloud.
    pub cloud: Cloud,
    /// Its data directory (kept until drop).
    pub dir: tempfile::TempDir,
    /// HTTP client.
    pub http: reqwest::Client,
}

/// A user with the member role on a project of its own.
#[derive(Debug, Clone)]
pub struct ProjectMember {
    pub user_id: String,
    pub project_id: String,
    /// A token scoped to the project.
    pub token: String,
}

/// A response: status, headers and JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestCloud {
    /// Starts a cloud with `config`; bcrypt is kept cheap so tests stay fast.
    pub async fn start_with(mut config: Config) -> TestCloud {
        config.identity.password_hash_rounds = 4;
        let dir = tempfile::tempdir().expect("temporary directory");
        let cloud = Self::boot(dir.path(), config).await;
        TestCloud { cloud, dir, http: reqwest::Client::new() }
    }

    /// Starts a cloud with default settings, but without compute hosts, whose resource
    /// providers would otherwise show up in placement's tests (compute's tests ask for
    /// them with [`TestCloud::start_with`]).
    pub async fn start() -> TestCloud {
        let mut config = Config::default();
        config.compute.fake_computes = 0;
        Self::start_with(config).await
    }

    async fn boot(dir: &std::path::Path, config: Config) -> Cloud {
        let opts = CloudOptions {
            data_dir: dir.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_host: None,
            admin_password: Some(ADMIN_PASSWORD.into()),
            config,
        };
        Cloud::start(opts).await.expect("cloud starts")
    }

    /// Stops the cloud and starts it again on the same data directory.
    pub async fn restart(self, config: Config) -> TestCloud {
        let TestCloud { cloud, dir, http } = self;
        cloud.stop().await.expect("clean stop");
        let mut config = config;
        config.identity.password_hash_rounds = 4;
        let cloud = Self::boot(dir.path(), config).await;
        TestCloud { cloud, dir, http }
    }

    /// `http://127.0.0.1:PORT/identity/v3` + `path`.
    pub fn v3(&self, path: &str) -> String {
        format!("{}/identity/v3{path}", self.cloud.base_url)
    }

    /// `http://127.0.0.1:PORT/image` + `path`.
    pub fn image(&self, path: &str) -> String {
        format!("{}/image{path}", self.cloud.base_url)
    }

    /// `http://127.0.0.1:PORT/placement` + `path`.
    pub fn placement(&self, path: &str) -> String {
        format!("{}/placement{path}", self.cloud.base_url)
    }

    /// Listens to the cloud's versioned notifications; each arrives as its envelope.
    pub async fn notifications(&self) -> Notifications {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let serving =
            bus::Bus::serve(self.cloud.notifications.as_ref(), bus::INFO_TOPIC, "test-listener", std::sync::Arc::new(Listener(tx)))
                .await
                .expect("listening");
        Notifications { rx, _serving: serving }
    }

    /// `http://127.0.0.1:PORT/compute` + `path`.
    pub fn compute(&self, path: &str) -> String {
        format!("{}/compute{path}", self.cloud.base_url)
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn call(&self, method: Method, url: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call_with(method, url, token, body, &[]).await
    }

    /// Sends a request with extra headers.
    pub async fn call_with(&self, method: Method, url: &str, token: Option<&str>, body: Option<Value>, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request reaches the cloud");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    /// Issues a token by password; returns (token, body) or the failed reply.
    pub async fn password_token(&self, user: &str, password: &str, scope: Option<Value>) -> Result<(String, Value), Reply> {
        let mut auth = json!({"identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}}}});
        if let Some(s) = scope {
            auth["scope"] = s;
        }
        let reply = self.call(Method::POST, &self.v3("/auth/tokens"), None, Some(json!({"auth": auth}))).await;
        if reply.status != StatusCode::CREATED {
            return Err(reply);
        }
        let token = reply.headers["x-subject-token"].to_str().expect("ascii token").to_owned();
        Ok((token, reply.body))
    }

    /// A project-scoped admin token.
    pub async fn admin_token(&self) -> String {
        let scope = json!({"project": {"name": "admin", "domain": {"id": "default"}}});
        self.password_token("admin", ADMIN_PASSWORD, Some(scope)).await.expect("admin authenticates").0
    }

    /// Creates user `name` with the `service` role on project `service`, as a
    /// deployment gives each service's own user; returns its id.
    pub async fn make_service_user(&self, admin: &str, name: &str, password: &str) -> String {
        let first_id = |reply: Reply, key: &str| reply.body[key][0]["id"].as_str().expect("listed").to_owned();
        let project = first_id(self.call(Method::GET, &self.v3("/projects?name=service"), Some(admin), None).await, "projects");
        let role = first_id(self.call(Method::GET, &self.v3("/roles?name=service"), Some(admin), None).await, "roles");
        let user =
            self.call(Method::POST, &self.v3("/users"), Some(admin), Some(json!({"user": {"name": name, "password": password}}))).await;
        assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
        let id = user.body["user"]["id"].as_str().expect("user id").to_owned();
        let grant = self.call(Method::PUT, &self.v3(&format!("/projects/{project}/users/{id}/roles/{role}")), Some(admin), None).await;
        assert_eq!(grant.status, StatusCode::NO_CONTENT);
        id
    }

    /// Creates user `name` (password `member-pw`) with the member role on a new project
    /// `<name>-project`, and scopes a token to it.
    pub async fn project_member(&self, name: &str) -> ProjectMember {
        let admin = self.admin_token().await;
        let user =
            self.call(Method::POST, &self.v3("/users"), Some(&admin), Some(json!({"user": {"name": name, "password": "member-pw"}}))).await;
        assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
        let user_id = user.body["user"]["id"].as_str().expect("user id").to_owned();
        let project = self
            .call(Method::POST, &self.v3("/projects"), Some(&admin), Some(json!({"project": {"name": format!("{name}-project")}})))
            .await;
        assert_eq!(project.status, StatusCode::CREATED, "{}", project.body);
        let project_id = project.body["project"]["id"].as_str().expect("project id").to_owned();
        let roles = self.call(Method::GET, &self.v3("/roles?name=member"), Some(&admin), None).await;
        let role = roles.body["roles"][0]["id"].as_str().expect("the member role").to_owned();
        let grant =
            self.call(Method::PUT, &self.v3(&format!("/projects/{project_id}/users/{user_id}/roles/{role}")), Some(&admin), None).await;
        assert_eq!(grant.status, StatusCode::NO_CONTENT);
        let scope = json!({"project": {"id": project_id}});
        let (token, _) = self.password_token(name, "member-pw", Some(scope)).await.expect("the member authenticates");
        ProjectMember { user_id, project_id, token }
    }

    /// `PUT`s `data` as `application/octet-stream` (image data: `/file` or `/stage`).
    pub async fn put_data(&self, url: &str, token: &str, data: Vec<u8>) -> Reply {
        let res = self
            .http
            .put(url)
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/octet-stream")
            .body(data)
            .send()
            .await
            .expect("the cloud answers");
        let (status, headers) = (res.status(), res.headers().clone());
        Reply { status, headers, body: res.json().await.unwrap_or(Value::Null) }
    }
}

struct Listener(tokio::sync::mpsc::UnboundedSender<Value>);

#[async_trait::async_trait]
impl bus::Handler for Listener {
    async fn handle(&self, message: bus::Message) -> Result<Value, String> {
        let _ = self.0.send(message.args);
        Ok(Value::Null)
    }
}

/// Notifications received since [`TestCloud::notifications`] was called.
pub struct Notifications {
    rx: tokio::sync::mpsc::UnboundedReceiver<Value>,
    _serving: bus::Serving,
}

impl Notifications {
    /// The next notification's envelope (waiting at most five seconds).
    pub async fn next(&mut self) -> Value {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a notification in time")
            .expect("the bus is open")
    }

    /// The event types of the next `n` notifications.
    pub async fn event_types(&mut self, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.next().await["event_type"].as_str().unwrap_or_default().to_owned());
        }
        out
    }
}
