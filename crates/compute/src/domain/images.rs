//! The image proxy (`/images`, deprecated since 2.36): the caller's images as Glance
//! shows them to the caller, read and changed with the caller's own token.

use axum::http::StatusCode;
use client::UserToken;
use common::RequestContext;
use serde_json::{Map, Value};

use super::{Compute, Error, Result};

/// Which images a list asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageQuery {
    /// Glance's own list parameters (name, status, updated_at, properties, paging).
    pub glance: Vec<(String, String)>,
    /// At least this much memory (MiB) or disk (GiB) asked of a flavor.
    pub min_ram: Option<i64>,
    pub min_disk: Option<i64>,
}

fn not_found() -> Error {
    Error::NotFound("Image not found.".into())
}

fn unavailable(e: client::ClientError) -> Error {
    Error::Unavailable(format!("the image service cannot be asked: {e}"))
}

impl Compute {
    /// Where Glance serves images, for the links that point at it.
    pub async fn image_endpoint(&self) -> Result<String> {
        self.images.endpoint().await.map(str::to_owned).map_err(unavailable)
    }

    /// The images the caller sees.
    pub async fn list_images(&self, ctx: &RequestContext, token: &UserToken, q: &ImageQuery) -> Result<Vec<Value>> {
        let images = self.images.list(&q.glance, token, &ctx.request_id).await.map_err(|e| match e.status() {
            Some(400) => Error::BadRequest(format!("The image service refused the list's filters: {e}")),
            _ => unavailable(e),
        })?;
        let at_least = |image: &Value, key: &str, min: Option<i64>| min.is_none_or(|m| image[key].as_i64().unwrap_or(0) >= m);
        Ok(images.into_iter().filter(|i| at_least(i, "min_ram", q.min_ram) && at_least(i, "min_disk", q.min_disk)).collect())
    }

    /// One image.
    pub async fn show_image(&self, ctx: &RequestContext, token: &UserToken, id: &str) -> Result<Value> {
        self.images.get(id, token, &ctx.request_id).await.map_err(unavailable)?.ok_or_else(not_found)
    }

    /// Deletes an image, if Glance lets the caller.
    pub async fn delete_image(&self, ctx: &RequestContext, token: &UserToken, id: &str) -> Result<()> {
        match self.images.delete(id, token, &ctx.request_id).await.map_err(unavailable)? {
            Ok(()) => Ok(()),
            Err(StatusCode::NOT_FOUND) => Err(not_found()),
            Err(_) => Err(Error::Forbidden("You are not allowed to delete the image.".into())),
        }
    }

    /// Makes an image's metadata (its additional properties) `metadata`, within the
    /// caller's project's `metadata_items` quota; answers it as stored.
    pub async fn set_image_metadata(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        id: &str,
        metadata: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        self.check_metadata_quota(ctx.project_id().unwrap_or_default(), metadata.len()).await?;
        match self.images.set_properties(id, &metadata, token, &ctx.request_id).await.map_err(unavailable)? {
            Ok(image) => Ok(client::additional_properties(&image)),
            Err(StatusCode::NOT_FOUND) => Err(not_found()),
            Err(StatusCode::PAYLOAD_TOO_LARGE) => Err(Error::Forbidden("Image metadata limit exceeded".into())),
            Err(_) => Err(Error::Forbidden(format!("Not authorized for image {id}."))),
        }
    }
}
