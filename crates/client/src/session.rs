//! A service user's session with identity.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::ClientError;

/// A token is renewed this long before it expires.
const RENEW_MARGIN: Duration = Duration::from_secs(120);

/// The service user a role authenticates as.
#[derive(Clone)]
pub struct ServiceCredentials {
    pub username: String,
    pub password: String,
    pub user_domain_name: String,
    pub project_name: String,
    pub project_domain_name: String,
}

impl std::fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceCredentials")
            .field("username", &self.username)
            .field("password", &"***")
            .field("user_domain_name", &self.user_domain_name)
            .field("project_name", &self.project_name)
            .field("project_domain_name", &self.project_domain_name)
            .finish()
    }
}

struct Token {
    value: String,
    renew_at: Instant,
    catalog: Value,
}

/// A service user's token and catalog, and the HTTP client calls go through.
pub struct Session {
    http: reqwest::Client,
    identity_url: String,
    credentials: ServiceCredentials,
    token: tokio::sync::Mutex<Option<Token>>,
}

impl Session {
    /// A session with identity at `identity_url` (`http://host/identity`); every call
    /// gives up after `timeout`.
    pub fn new(identity_url: &str, credentials: ServiceCredentials, timeout: Duration) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder().timeout(timeout).build().map_err(|e| ClientError::Unavailable(e.to_string()))?;
        Ok(Session { http, identity_url: identity_url.trim_end_matches('/').to_owned(), credentials, token: tokio::sync::Mutex::new(None) })
    }

    /// The identity endpoint this session authenticates against.
    pub fn identity_url(&self) -> &str {
        &self.identity_url
    }

    /// The HTTP client, for calls that carry someone else's token.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The service user's token, fetched when there is none, when it is near its
    /// expiry, or when `renew` (the last one was refused).
    pub async fn token(&self, renew: bool) -> Result<String, ClientError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref()
            && !renew
            && Instant::now() < t.renew_at
        {
            return Ok(t.value.clone());
        }
        let fresh = self.authenticate().await?;
        let value = fresh.value.clone();
        *slot = Some(fresh);
        Ok(value)
    }

    async fn authenticate(&self) -> Result<Token, ClientError> {
        let c = &self.credentials;
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": c.username, "domain": {"name": c.user_domain_name}, "password": c.password}}},
            "scope": {"project": {"name": c.project_name, "domain": {"name": c.project_domain_name}}},
        }});
        let unavailable = |why: String| ClientError::Unavailable(format!("getting a service token from {}: {why}", self.identity_url));
        let res = self
            .http
            .post(format!("{}/v3/auth/tokens", self.identity_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if res.status() != StatusCode::CREATED {
            return Err(unavailable(format!("status {}", res.status())));
        }
        let value = res
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| unavailable("no X-Subject-Token".into()))?;
        let body: Value = res.json().await.map_err(|e| unavailable(e.to_string()))?;
        let lifetime = token_lifetime(&body).unwrap_or(RENEW_MARGIN);
        Ok(Token { value, renew_at: Instant::now() + lifetime.saturating_sub(RENEW_MARGIN), catalog: body["token"]["catalog"].clone() })
    }

    /// The public endpoint of `service_type` in `region`.
    pub async fn endpoint(&self, service_type: &str, region: &str) -> Result<String, ClientError> {
        self.token(false).await?;
        let slot = self.token.lock().await;
        let catalog = slot.as_ref().map(|t| &t.catalog).cloned().unwrap_or(Value::Null);
        catalog
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["type"] == service_type)
            .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
            .find(|e| e["interface"] == "public" && e["region_id"] == region)
            .and_then(|e| e["url"].as_str().map(|u| u.trim_end_matches('/').to_owned()))
            .ok_or_else(|| ClientError::Unavailable(format!("no public {service_type} endpoint in region {region} of the catalog")))
    }

    /// Sends a request as the service user, renewing the token once if it is refused;
    /// answers the status and the JSON body (`null` when empty).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        request_id: &str,
    ) -> Result<(StatusCode, Value), ClientError> {
        for renew in [false, true] {
            let token = self.token(renew).await?;
            let mut req = self.http.request(method.clone(), url).header("x-auth-token", token).header("x-openstack-request-id", request_id);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let res = req.send().await.map_err(|e| ClientError::Unavailable(format!("{method} {url}: {e}")))?;
            let status = res.status();
            if status == StatusCode::UNAUTHORIZED && !renew {
                continue;
            }
            let bytes = res.bytes().await.map_err(|e| ClientError::Unavailable(format!("{method} {url}: {e}")))?;
            let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
            return Ok((status, value));
        }
        Err(ClientError::Unavailable(format!("identity refuses the service user's token for {method} {url}")))
    }
}

/// How long until the token in a token body (`{"token": {"expires_at": ...}}`) expires.
pub fn token_lifetime(body: &Value) -> Option<Duration> {
    let at = common::time::parse_client_time(body["token"]["expires_at"].as_str()?)?;
    let left = at - common::time::now_micros();
    Some(Duration::from_micros(u64::try_from(left).unwrap_or(0)))
}
