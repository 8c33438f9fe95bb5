//! The image proxy (`/images`, deprecated since 2.36): the caller's images as Glance
//! shows them to the caller, read and changed with the caller's own token.

use std::collections::BTreeMap;

use client::{ImageRefusal, UserToken};
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
            Err(ImageRefusal::NotFound) => Err(not_found()),
            Err(_) => Err(Error::Forbidden("You are not allowed to delete the image.".into())),
        }
    }

    /// An image's metadata: its additional properties.
    pub async fn image_metadata(&self, ctx: &RequestContext, token: &UserToken, id: &str) -> Result<Map<String, Value>> {
        Ok(client::additional_properties(&self.show_image(ctx, token, id).await?))
    }

    /// Merges `items` into an image's metadata; answers all of it.
    pub async fn merge_image_metadata(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        id: &str,
        items: BTreeMap<String, String>,
    ) -> Result<Map<String, Value>> {
        let mut metadata = self.image_metadata(ctx, token, id).await?;
        metadata.extend(items.into_iter().map(|(k, v)| (k, Value::String(v))));
        self.store_image_metadata(ctx, token, id, metadata).await
    }

    /// Replaces an image's metadata with `items`.
    pub async fn replace_image_metadata(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        id: &str,
        items: BTreeMap<String, String>,
    ) -> Result<Map<String, Value>> {
        self.store_image_metadata(ctx, token, id, items.into_iter().map(|(k, v)| (k, Value::String(v))).collect()).await
    }

    /// Removes one item of an image's metadata.
    pub async fn delete_image_metadata_item(&self, ctx: &RequestContext, token: &UserToken, id: &str, key: &str) -> Result<()> {
        let mut metadata = self.image_metadata(ctx, token, id).await?;
        if metadata.remove(key).is_none() {
            return Err(Error::NotFound("Invalid metadata key".into()));
        }
        self.store_image_metadata(ctx, token, id, metadata).await.map(|_| ())
    }

    /// Makes an image's metadata exactly `metadata`, within the caller's project's
    /// `metadata_items` quota; answers it as stored.
    async fn store_image_metadata(
        &self,
        ctx: &RequestContext,
        token: &UserToken,
        id: &str,
        metadata: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        self.check_metadata_quota(ctx.project_id().unwrap_or_default(), metadata.len()).await?;
        match self.images.set_properties(id, &metadata, token, &ctx.request_id).await.map_err(unavailable)? {
            Ok(image) => Ok(client::additional_properties(&image)),
            Err(ImageRefusal::NotFound) => Err(not_found()),
            Err(ImageRefusal::TooLarge) => Err(Error::Forbidden("Image metadata limit exceeded".into())),
            Err(_) => Err(Error::Forbidden(format!("Not authorized for image {id}."))),
        }
    }
}
