//! Images: creation, who may see and change them, deletion, tags, data in and out,
//! and the status machine (queued → saving → active, deactivated and back).

use std::path::PathBuf;

use bytes::Bytes;
use common::RequestContext;
use common::time::now_micros;
use futures_util::Stream;
use serde_json::{Map, Value};

use super::error::no_image;
use super::policy::{image_target, project_target};
use super::quotas::Claim;
use super::{Error, Images, Result};
use crate::store::{FileStore, ImageRow, MemberRow, StoreError};

/// Disk formats Glance accepts by default.
pub const DISK_FORMATS: [&str; 11] = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"];
/// Container formats Glance accepts by default.
pub const CONTAINER_FORMATS: [&str; 8] = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"];
/// Who may see an image besides its owner.
pub const VISIBILITIES: [&str; 4] = ["public", "private", "shared", "community"];
/// Attributes only the service sets: refused in a create body or a PATCH.
pub const READ_ONLY: [&str; 14] = [
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "size",
    "virtual_size",
    "direct_url",
    "self",
    "file",
    "schema",
    "os_hash_algo",
    "os_hash_value",
    "stores",
    "id",
];
/// The base attributes every image has; the rest are additional properties.
pub const BASE: [&str; 10] =
    ["name", "visibility", "protected", "os_hidden", "owner", "disk_format", "container_format", "min_disk", "min_ram", "tags"];
/// Most tags, or additional properties, one image may carry (`image_tag_quota`,
/// `image_property_quota`).
pub const MAX_TAGS: usize = 128;
/// Most additional properties on one image.
pub const MAX_PROPERTIES: usize = 128;

/// Whether `key` names something Glance reserves for itself.
pub fn is_reserved(key: &str) -> bool {
    matches!(key, "location" | "locations" | "deleted" | "deleted_at") || key.starts_with("os_glance")
}

/// What a create request asks for; types were checked on the wire.
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    pub id: Option<String>,
    pub name: Option<String>,
    pub visibility: Option<String>,
    pub protected: bool,
    pub os_hidden: bool,
    pub owner: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub min_disk: i64,
    pub min_ram: i64,
    pub tags: Vec<String>,
    pub properties: Map<String, Value>,
}

/// An image's data, as a download serves it.
#[derive(Debug)]
pub struct ImageFile {
    pub image: ImageRow,
    /// Where the data is; `None` when the image has none yet.
    pub path: Option<PathBuf>,
}

/// Checks the values of the attributes a create or an update may set.
pub(crate) fn check_values(image: &ImageRow) -> Result<()> {
    let one_of = |field: &str, value: &Option<String>, allowed: &[&str]| match value {
        Some(v) if !allowed.contains(&v.as_str()) => {
            Err(Error::BadRequest(format!("Invalid value '{v}' for {field}: it must be one of {}.", allowed.join(", "))))
        }
        _ => Ok(()),
    };
    one_of("disk_format", &image.disk_format, &DISK_FORMATS)?;
    one_of("container_format", &image.container_format, &CONTAINER_FORMATS)?;
    one_of("visibility", &Some(image.visibility.clone()), &VISIBILITIES)?;
    if image.min_disk < 0 || image.min_ram < 0 {
        return Err(Error::BadRequest("min_disk and min_ram must be 0 or more.".into()));
    }
    if image.name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(Error::BadRequest("Invalid value for name: longer than 255 characters.".into()));
    }
    if let Some(tag) = image.tags.iter().find(|t| t.chars().count() > 255 || t.contains('/')) {
        return Err(Error::BadRequest(format!("Invalid tag {tag:?}: at most 255 characters, and no '/'.")));
    }
    if image.tags.len() > MAX_TAGS || image.properties.len() > MAX_PROPERTIES {
        return Err(Error::TooLarge(format!("An image may have at most {MAX_TAGS} tags and {MAX_PROPERTIES} additional properties.")));
    }
    if let Some(key) = image.properties.keys().find(|k| k.chars().count() > 255) {
        return Err(Error::BadRequest(format!("Property name {key:?} is longer than 255 characters.")));
    }
    Ok(())
}

/// Whether a caller sees `image` at all, as Glance's database layer decides: an
/// administrator every image, anyone public and community ones, the owner (`project`)
/// its own, and a project a shared image is offered to (`member`) whatever it answered.
pub(crate) fn sees(admin: bool, project: Option<&str>, image: &ImageRow, member: bool) -> bool {
    admin
        || matches!(image.visibility.as_str(), "public" | "community")
        || project.is_some_and(|p| image.owner.as_deref() == Some(p))
        || (image.visibility == "shared" && member)
}

/// Whether `id` is shaped like an image id (a UUID); anything else names no image.
fn is_image_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

/// An image the caller may see, with the caller's own membership of it, if any.
#[derive(Debug)]
pub(crate) struct Visible {
    pub image: ImageRow,
    pub membership: Option<MemberRow>,
}

impl Visible {
    /// The policy target for this image as the caller sees it.
    pub fn target(&self) -> Value {
        image_target(&self.image, self.membership.as_ref().map(|m| m.member.as_str()))
    }
}

impl Images {
    /// Whether `ctx` owns `image`.
    pub(crate) fn owns(&self, ctx: &RequestContext, image: &ImageRow) -> bool {
        ctx.project_id().is_some_and(|p| image.owner.as_deref() == Some(p))
    }

    /// An image `ctx` may see, or 404: as Glance's database layer decides, an
    /// administrator sees every image, anyone sees public and community ones, the
    /// owner its own, and a project a shared image is offered to sees it whatever it
    /// answered.
    pub(crate) async fn visible(&self, ctx: &RequestContext, id: &str) -> Result<Visible> {
        if !is_image_id(id) {
            return Err(no_image(id));
        }
        let image = self.store.get_image(id).await?.ok_or_else(|| no_image(id))?;
        let membership = match ctx.project_id() {
            Some(project) if image.visibility == "shared" => self.store.get_member(id, project).await?,
            _ => None,
        };
        if !sees(self.is_admin(ctx)?, ctx.project_id(), &image, membership.is_some()) {
            return Err(no_image(id));
        }
        Ok(Visible { image, membership })
    }

    /// An image `ctx` may see and rule `get_image` lets it read, or 404 (Glance does
    /// not tell a caller that an image it may not read exists).
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> Result<ImageRow> {
        let seen = self.visible(ctx, id).await?;
        if !self.allowed(ctx, "get_image", &seen.target())? {
            return Err(no_image(id));
        }
        Ok(seen.image)
    }

    /// An image `ctx` may change: visible (else 404), allowed by `rule` and owned or
    /// administered (else 403).
    pub(crate) async fn changeable(&self, ctx: &RequestContext, id: &str, rule: &str) -> Result<ImageRow> {
        let seen = self.visible(ctx, id).await?;
        self.enforce(ctx, rule, &seen.target())?;
        if !self.is_admin(ctx)? && !self.owns(ctx, &seen.image) {
            return Err(Error::Forbidden(format!("You are not permitted to modify image {id}: it belongs to another project.")));
        }
        Ok(seen.image)
    }

    /// Refuses a visibility `ctx` may not give `image`.
    pub(crate) fn check_visibility_allowed(&self, ctx: &RequestContext, image: &ImageRow) -> Result<()> {
        match image.visibility.as_str() {
            "public" => self.enforce(ctx, "publicize_image", &image_target(image, None)),
            "community" => self.enforce(ctx, "communitize_image", &image_target(image, None)),
            _ => Ok(()),
        }
    }

    /// Creates an image record, queued for data.
    pub async fn create(&self, ctx: &RequestContext, req: NewImage) -> Result<ImageRow> {
        let admin = self.is_admin(ctx)?;
        let owner = match req.owner {
            Some(owner) if !admin && Some(owner.as_str()) != ctx.project_id() => {
                return Err(Error::Forbidden(format!("You are not permitted to create images owned by '{owner}'.")));
            }
            Some(owner) => Some(owner),
            None => ctx.project_id().map(str::to_owned),
        };
        self.enforce(ctx, "add_image", &project_target(owner.as_deref()))?;
        self.enforce_quota(owner.as_deref(), Claim::NewImage).await?;
        let id = match req.id {
            Some(id) if !is_image_id(&id) => return Err(Error::BadRequest(format!("Invalid image id {id:?}: it must be a UUID."))),
            Some(id) => id,
            None => uuid::Uuid::new_v4().to_string(),
        };
        let now = now_micros();
        let mut tags = req.tags;
        tags.sort();
        tags.dedup();
        let image = ImageRow {
            id,
            name: req.name,
            status: "queued".into(),
            visibility: req.visibility.unwrap_or_else(|| "shared".into()),
            protected: req.protected,
            os_hidden: req.os_hidden,
            owner,
            disk_format: req.disk_format,
            container_format: req.container_format,
            size: None,
            virtual_size: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            min_disk: req.min_disk,
            min_ram: req.min_ram,
            properties: req.properties,
            tags,
            stores: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        check_values(&image)?;
        self.check_visibility_allowed(ctx, &image)?;
        match self.store.create_image(&image).await {
            Err(StoreError::Duplicate) => Err(Error::Conflict(format!("An image with identifier {} already exists", image.id))),
            other => other.map_err(Error::from),
        }?;
        Ok(image)
    }

    /// Deletes an image and frees its data; protected images stay.
    pub async fn delete(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let image = self.changeable(ctx, id, "delete_image").await?;
        if image.protected {
            return Err(Error::Forbidden(format!("Image {id} is protected and cannot be deleted.")));
        }
        if !self.store.delete_image(id).await? {
            return Err(no_image(id));
        }
        // The image is gone for clients now; data that cannot be freed is logged for
        // the operator rather than failing the request, and every store is tried.
        for (place, files) in self.backends.all().iter().map(|b| (b.id.as_str(), &b.files)).chain([("staging", &self.staging)]) {
            if let Err(e) = files.remove(id).await {
                tracing::error!(image = %id, store = %place, error = %e, "the data of a deleted image could not be freed");
            }
        }
        Ok(())
    }

    /// Adds a tag (idempotent).
    pub async fn add_tag(&self, ctx: &RequestContext, id: &str, tag: &str) -> Result<()> {
        let mut image = self.changeable(ctx, id, "modify_image").await?;
        if image.tags.iter().any(|t| t == tag) {
            return Ok(());
        }
        image.tags.push(tag.to_owned());
        check_values(&image)?;
        self.store.add_tag(id, tag, now_micros()).await?;
        Ok(())
    }

    /// Removes a tag; 404 when the image does not carry it.
    pub async fn delete_tag(&self, ctx: &RequestContext, id: &str, tag: &str) -> Result<()> {
        self.changeable(ctx, id, "modify_image").await?;
        if !self.store.delete_tag(id, tag, now_micros()).await? {
            return Err(Error::NotFound(format!("Tag {tag} not found on image {id}")));
        }
        Ok(())
    }

    /// Stores an image's data, streamed from `body` into `store` (the default store
    /// when `None`): queued → saving → active. On any failure the data is dropped and
    /// the image is queued again, as Glance does.
    pub async fn upload<S, E>(&self, ctx: &RequestContext, id: &str, store: Option<&str>, body: S) -> Result<()>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let image = self.changeable(ctx, id, "upload_image").await?;
        let (store_id, files) = self.store_for(store)?;
        if image.disk_format.is_none() || image.container_format.is_none() {
            return Err(Error::BadRequest("Properties disk_format, container_format must be set prior to saving data.".into()));
        }
        let room = self.enforce_quota(image.owner.as_deref(), Claim::Upload).await?;
        if !self.store.transition(id, "queued", "saving", now_micros()).await? {
            return Err(Error::Conflict(format!("Image status transition from {} to saving is not allowed", image.status)));
        }
        let limit = room.map_or(self.config.image_size_cap, |room| room.min(self.config.image_size_cap));
        let staged = match files.write(id, body, Some(limit)).await {
            Ok(staged) => staged,
            Err(e) => {
                self.store.transition(id, "saving", "queued", now_micros()).await?;
                return Err(e.into());
            }
        };
        let data = staged.data.clone();
        if let Err(e) = files.commit(id, staged).await {
            self.store.transition(id, "saving", "queued", now_micros()).await?;
            return Err(Error::Internal(format!("storing the data of image {id}: {e}")));
        }
        if !self.store.activate(id, "saving", &data, &[store_id], now_micros()).await? {
            // Deleted while its data was arriving.
            files.remove(id).await.map_err(|e| Error::Internal(e.to_string()))?;
            return Err(Error::Gone(format!("Image {id} was deleted during the upload.")));
        }
        Ok(())
    }

    /// An image's data for `ctx`: none until active; a deactivated image's only for
    /// administrators.
    pub async fn download(&self, ctx: &RequestContext, id: &str) -> Result<ImageFile> {
        let seen = self.visible(ctx, id).await?;
        self.enforce(ctx, "download_image", &seen.target())?;
        let image = seen.image;
        if image.status == "deactivated" && !self.is_admin(ctx)? {
            return Err(Error::Forbidden("The requested image has been deactivated. Image data download is forbidden.".into()));
        }
        if !matches!(image.status.as_str(), "active" | "deactivated") {
            return Ok(ImageFile { image, path: None });
        }
        let path = image
            .stores
            .iter()
            .find_map(|store| self.backends.get(store))
            .map(|files| files.path(id))
            .ok_or_else(|| Error::Internal(format!("image {id} is held only by stores that are not configured: {:?}", image.stores)))?;
        Ok(ImageFile { image, path: Some(path) })
    }

    /// Deactivates (`deactivate`) or reactivates an image; doing it twice is no error.
    pub async fn set_active(&self, ctx: &RequestContext, id: &str, active: bool) -> Result<()> {
        let image = self.changeable(ctx, id, if active { "reactivate" } else { "deactivate" }).await?;
        let (from, to) = if active { ("deactivated", "active") } else { ("active", "deactivated") };
        if image.status == to {
            return Ok(());
        }
        if image.status != from || !self.store.transition(id, from, to, now_micros()).await? {
            return Err(Error::Forbidden(format!(
                "Not allowed to {} image in status '{}'.",
                if active { "reactivate" } else { "deactivate" },
                image.status
            )));
        }
        Ok(())
    }

    /// Saves an update that `patch` checked.
    pub(crate) async fn save(&self, image: &ImageRow) -> Result<()> {
        check_values(image)?;
        if !self.store.update_image(image).await? {
            return Err(no_image(&image.id));
        }
        Ok(())
    }
}

impl Images {
    /// The store a request names (the default when `None`) and its files; in
    /// single-store mode every request goes to the one store, as in Glance.
    pub(crate) fn store_for(&self, store: Option<&str>) -> Result<(String, &FileStore)> {
        let id = match store {
            Some(id) if self.backends.is_multiple() => id,
            _ => self.backends.default_id(),
        };
        let files = self.backends.get(id).ok_or_else(|| Error::BadRequest(format!("Store for identifier {id} not found")))?;
        Ok((id.to_owned(), files))
    }

    /// Deletes the copy of an active image's data in `store` (`DELETE /v2/stores/{store}/{id}`);
    /// the last copy is refused.
    pub async fn delete_from_store(&self, ctx: &RequestContext, store: &str, id: &str) -> Result<()> {
        if !self.backends.is_multiple() {
            return Err(Error::NotFound("Multi backend is not supported at this site.".into()));
        }
        let seen = self.visible(ctx, id).await?;
        self.enforce(ctx, "delete_image_location", &seen.target())?;
        let files = self.backends.get(store).ok_or_else(|| Error::NotFound(format!("Unknown store {store}.")))?;
        if seen.image.status != "active" {
            return Err(Error::Conflict(format!(
                "Image {id} is {}: only an active image's data can be deleted from a store.",
                seen.image.status
            )));
        }
        if !seen.image.stores.iter().any(|s| s == store) {
            return Err(Error::NotFound(format!("Image {id} is not present in store {store}.")));
        }
        if !self.store.remove_location(id, store).await? {
            return Err(Error::Conflict(format!("Store {store} holds the only copy of image {id}'s data; delete the image instead.")));
        }
        files.remove(id).await.map_err(|e| Error::Internal(format!("freeing the data of image {id} in {store}: {e}")))
    }
}
