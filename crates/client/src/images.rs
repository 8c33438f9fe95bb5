//! The image API, as compute reads it on behalf of the user who asked: images are
//! looked up with the user's own token, so that the user sees exactly the images Glance
//! shows them.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::{ClientError, Session};

/// A user's token, passed on to another service (and, as Nova passes its request
/// context, over the bus to the agent acting for the user); never printed.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

    /// Glance's public endpoint, as the catalog gives it.
    pub async fn endpoint(&self) -> Result<&str, ClientError> {
        self.endpoint.get_or_try_init(|| self.session.endpoint("image", &self.region)).await.map(String::as_str)
    }

    /// Sends a request to Glance as the user holding `token`.
    async fn as_user(
        &self,
        method: Method,
        path: &str,
        patch: Option<&Value>,
        token: &UserToken,
        request_id: &str,
    ) -> Result<(StatusCode, Value), ClientError> {
        let url = format!("{}{path}", self.endpoint().await?);
        let mut req =
            self.session.http().request(method.clone(), &url).header("x-auth-token", &token.0).header("x-openstack-request-id", request_id);
        if let Some(ops) = patch {
            req = req.header("content-type", PATCH_MEDIA_TYPE).body(ops.to_string());
        }
        let res = req.send().await.map_err(|e| ClientError::Unavailable(format!("{method} {url}: {e}")))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    fn refused(method: Method, path: &str, status: StatusCode, body: &Value) -> ClientError {
        ClientError::Status {
            service: "image",
            method: method.to_string(),
            path: path.to_owned(),
            status: status.as_u16(),
            body: body.to_string(),
        }
    }

    /// The image `id` as the user holding `token` sees it; `None` when Glance has no
    /// such image for them.
    pub async fn get(&self, id: &str, token: &UserToken, request_id: &str) -> Result<Option<Value>, ClientError> {
        let path = format!("/v2/images/{id}");
        match self.as_user(Method::GET, &path, None, token, request_id).await? {
            (StatusCode::OK, body) => Ok(Some(body)),
            (StatusCode::NOT_FOUND, _) => Ok(None),
            (status, body) => Err(Self::refused(Method::GET, &path, status, &body)),
        }
    }

    /// The images the user sees that match `query` (Glance's list parameters).
    pub async fn list(&self, query: &[(String, String)], token: &UserToken, request_id: &str) -> Result<Vec<Value>, ClientError> {
        let query = serde_urlencoded::to_string(query).map_err(|e| ClientError::Unavailable(e.to_string()))?;
        let path = format!("/v2/images?{query}");
        match self.as_user(Method::GET, &path, None, token, request_id).await? {
            (StatusCode::OK, body) => Ok(body["images"].as_array().cloned().unwrap_or_default()),
            (status, body) => Err(Self::refused(Method::GET, &path, status, &body)),
        }
    }

    /// Creates an image record (no data yet) owned by the user's project.
    pub async fn create(&self, image: &Value, token: &UserToken, request_id: &str) -> Result<Value, ClientError> {
        let base = self.endpoint().await?;
        let url = format!("{base}/v2/images");
        let res = self
            .session
            .http()
            .post(&url)
            .header("x-auth-token", &token.0)
            .header("x-openstack-request-id", request_id)
            .json(image)
            .send()
            .await
            .map_err(|e| ClientError::Unavailable(format!("POST {url}: {e}")))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status == StatusCode::CREATED { Ok(body) } else { Err(Self::refused(Method::POST, "/v2/images", status, &body)) }
    }

    /// Streams the data of image `from` into the queued image `to`, never holding it
    /// whole.
    pub async fn copy_data(&self, from: &str, to: &str, token: &UserToken, request_id: &str) -> Result<(), ClientError> {
        let base = self.endpoint().await?;
        let source = format!("{base}/v2/images/{from}/file");
        let res = self
            .session
            .http()
            .get(&source)
            .header("x-auth-token", &token.0)
            .header("x-openstack-request-id", request_id)
            .send()
            .await
            .map_err(|e| ClientError::Unavailable(format!("GET {source}: {e}")))?;
        if res.status() != StatusCode::OK {
            let status = res.status();
            return Err(Self::refused(Method::GET, &format!("/v2/images/{from}/file"), status, &Value::Null));
        }
        self.put_data(to, reqwest::Body::wrap_stream(res.bytes_stream()), token, request_id).await
    }

    /// Streams the file at `path` into the queued image `to`.
    pub async fn upload_file(&self, path: &std::path::Path, to: &str, token: &UserToken, request_id: &str) -> Result<(), ClientError> {
        let file = tokio::fs::File::open(path).await.map_err(|e| ClientError::Unavailable(format!("{}: {e}", path.display())))?;
        self.put_data(to, reqwest::Body::from(file), token, request_id).await
    }

    async fn put_data(&self, to: &str, data: reqwest::Body, token: &UserToken, request_id: &str) -> Result<(), ClientError> {
        let target = format!("{}/v2/images/{to}/file", self.endpoint().await?);
        let put = self
            .session
            .http()
            .put(&target)
            .header("x-auth-token", &token.0)
            .header("x-openstack-request-id", request_id)
            .header("content-type", "application/octet-stream")
            .body(data)
            .send()
            .await
            .map_err(|e| ClientError::Unavailable(format!("PUT {target}: {e}")))?;
        match put.status() {
            StatusCode::NO_CONTENT => Ok(()),
            status => {
                let body: Value = put.json().await.unwrap_or(Value::Null);
                Err(Self::refused(Method::PUT, &format!("/v2/images/{to}/file"), status, &body))
            }
        }
    }

    /// Deletes an image; why Glance refused, when it did.
    pub async fn delete(&self, id: &str, token: &UserToken, request_id: &str) -> Result<Result<(), ImageRefusal>, ClientError> {
        let path = format!("/v2/images/{id}");
        match self.as_user(Method::DELETE, &path, None, token, request_id).await? {
            (StatusCode::NO_CONTENT, _) => Ok(Ok(())),
            (status, body) => match ImageRefusal::of(status) {
                Some(refusal) => Ok(Err(refusal)),
                None => Err(Self::refused(Method::DELETE, &path, status, &body)),
            },
        }
    }

    /// Makes the image's additional properties exactly `properties`; answers the image
    /// as it now is, or why Glance refused.
    pub async fn set_properties(
        &self,
        id: &str,
        properties: &Map<String, Value>,
        token: &UserToken,
        request_id: &str,
    ) -> Result<Result<Value, ImageRefusal>, ClientError> {
        let Some(image) = self.get(id, token, request_id).await? else { return Ok(Err(ImageRefusal::NotFound)) };
        let current = additional_properties(&image);
        let mut ops: Vec<Value> = current
            .keys()
            .filter(|k| !properties.contains_key(*k))
            .map(|k| json!({"op": "remove", "path": format!("/{}", pointer_escape(k))}))
            .collect();
        for (k, v) in properties {
            if current.get(k) != Some(v) {
                let op = if current.contains_key(k) { "replace" } else { "add" };
                ops.push(json!({"op": op, "path": format!("/{}", pointer_escape(k)), "value": v}));
            }
        }
        if ops.is_empty() {
            return Ok(Ok(image));
        }
        let path = format!("/v2/images/{id}");
        match self.as_user(Method::PATCH, &path, Some(&Value::Array(ops)), token, request_id).await? {
            (StatusCode::OK, body) => Ok(Ok(body)),
            (status, body) => match ImageRefusal::of(status) {
                Some(refusal) => Ok(Err(refusal)),
                None => Err(Self::refused(Method::PATCH, &path, status, &body)),
            },
        }
    }
}

/// Why Glance refused to change or delete an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRefusal {
    /// No such image for this user.
    NotFound,
    /// The user may not change it.
    Forbidden,
    /// Its state does not allow it (protected, or busy).
    Conflict,
    /// Over Glance's property quota.
    TooLarge,
}

impl ImageRefusal {
    fn of(status: StatusCode) -> Option<Self> {
        Some(match status {
            StatusCode::NOT_FOUND => ImageRefusal::NotFound,
            StatusCode::FORBIDDEN => ImageRefusal::Forbidden,
            StatusCode::CONFLICT => ImageRefusal::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => ImageRefusal::TooLarge,
            _ => return None,
        })
    }
}

/// The media type of Glance's JSON patches.
const PATCH_MEDIA_TYPE: &str = "application/openstack-images-v2.1-json-patch";

/// The attributes Glance's image schema defines; an image's other keys are its
/// additional properties.
const SCHEMA_ATTRIBUTES: [&str; 25] = [
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "size",
    "virtual_size",
    "container_format",
    "disk_format",
    "created_at",
    "updated_at",
    "tags",
    "direct_url",
    "min_ram",
    "min_disk",
    "self",
    "file",
    "stores",
    "schema",
    "locations",
];

/// An image's additional properties (what Nova shows as its metadata).
pub fn additional_properties(image: &Value) -> Map<String, Value> {
    image
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !SCHEMA_ATTRIBUTES.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A key as a JSON pointer segment.
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additional_properties_are_what_the_schema_does_not_define() {
        let image = json!({"id": "i", "name": "n", "min_ram": 0, "os_distro": "cirros", "hw_disk_bus": "virtio", "tags": []});
        let props = additional_properties(&image);
        assert_eq!(props.keys().collect::<Vec<_>>(), ["hw_disk_bus", "os_distro"]);
        assert_eq!(pointer_escape("a/b~c"), "a~1b~0c");
    }
}
