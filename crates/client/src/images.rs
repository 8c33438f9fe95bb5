//! The image API, as compute reads it on behalf of the user who asked: images are
//! looked up with the user's own token, so that the user sees exactly the images Glance
//! shows them.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::{ClientError, Session};

/// A user's token, passed on to another service; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct UserToken(pub String);

impl std::fmt::Debug for UserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserToken(***)")
    }
}

/// An image client that finds Glance's endpoint in the service user's catalog.
pub struct Images {
    session: Arc<Session>,
    region: String,
    endpoint: OnceCell<String>,
}

impl Images {
    /// A client for the image endpoint of `region`.
    pub fn new(session: Arc<Session>, region: &str) -> Self {
        Images { session, region: region.to_owned(), endpoint: OnceCell::new() }
    }

    /// The image `id` as the user holding `token` sees it; `None` when Glance has no
    /// such image for them.
    pub async fn get(&self, id: &str, token: &UserToken, request_id: &str) -> Result<Option<Value>, ClientError> {
        let base = self.endpoint.get_or_try_init(|| self.session.endpoint("image", &self.region)).await?;
        let path = format!("/v2/images/{id}");
        let url = format!("{base}{path}");
        let res = self
            .session
            .http()
            .get(&url)
            .header("x-auth-token", &token.0)
            .header("x-openstack-request-id", request_id)
            .send()
            .await
            .map_err(|e| ClientError::Unavailable(format!("GET {url}: {e}")))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        match status {
            StatusCode::OK => Ok(Some(body)),
            StatusCode::NOT_FOUND => Ok(None),
            s => Err(ClientError::Status {
                service: "image",
                method: Method::GET.to_string(),
                path,
                status: s.as_u16(),
                body: body.to_string(),
            }),
        }
    }
}
