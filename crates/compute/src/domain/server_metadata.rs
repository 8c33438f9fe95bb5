//! Server metadata (key/value pairs) and tags.

use std::collections::BTreeMap;

use common::RequestContext;

use super::{Compute, Error, Result};

/// The most tags a server has (Nova's `MAX_TAGS`).
pub const MAX_TAGS: usize = 50;

impl Compute {
    /// The server's metadata.
    pub async fn server_metadata(&self, ctx: &RequestContext, uuid: &str) -> Result<BTreeMap<String, String>> {
        let instance = self.in_cell_or_building(ctx, uuid).await?;
        self.authorize_instance(ctx, "os_compute_api:server-metadata:index", &instance)?;
        Ok(instance.metadata)
    }

    /// One metadata item.
    pub async fn server_metadata_item(&self, ctx: &RequestContext, uuid: &str, key: &str) -> Result<String> {
        let instance = self.in_cell_or_building(ctx, uuid).await?;
        self.authorize_instance(ctx, "os_compute_api:server-metadata:show", &instance)?;
        instance.metadata.get(key).cloned().ok_or_else(|| Error::NotFound("Metadata item was not found".into()))
    }

    /// Merges items into the metadata (`replace`: replaces it all); answers the items
    /// written (`replace`) or the whole metadata (a merge), as Nova does.
    pub async fn set_server_metadata(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        items: BTreeMap<String, String>,
        replace: bool,
        rule: &str,
    ) -> Result<BTreeMap<String, String>> {
        let (store, instance) = self.in_cell(ctx, uuid, "update metadata").await?;
        self.authorize_instance(ctx, rule, &instance)?;
        self.check_unlocked(ctx, &instance)?;
        let resulting = if replace {
            items.len()
        } else {
            instance.metadata.keys().chain(items.keys()).collect::<std::collections::BTreeSet<_>>().len()
        };
        self.check_metadata_quota(&instance.project_id, resulting).await?;
        let all = store.set_metadata(uuid, &items, replace).await?;
        Ok(if replace { items } else { all })
    }

    /// Deletes one metadata item.
    pub async fn delete_server_metadata_item(&self, ctx: &RequestContext, uuid: &str, key: &str) -> Result<()> {
        let (store, instance) = self.in_cell(ctx, uuid, "delete metadata").await?;
        self.authorize_instance(ctx, "os_compute_api:server-metadata:delete", &instance)?;
        self.check_unlocked(ctx, &instance)?;
        if !store.delete_metadata_key(uuid, key).await? {
            return Err(Error::NotFound("Metadata item was not found".into()));
        }
        Ok(())
    }

    /// The server's tags.
    pub async fn server_tags(&self, ctx: &RequestContext, uuid: &str) -> Result<Vec<String>> {
        let instance = self.in_cell_or_building(ctx, uuid).await?;
        self.authorize_instance(ctx, "os_compute_api:os-server-tags:index", &instance)?;
        Ok(instance.tags)
    }

    /// Whether the server has `tag` (404 when not).
    pub async fn check_server_tag(&self, ctx: &RequestContext, uuid: &str, tag: &str) -> Result<()> {
        let instance = self.in_cell_or_building(ctx, uuid).await?;
        self.authorize_instance(ctx, "os_compute_api:os-server-tags:show", &instance)?;
        if !instance.tags.iter().any(|t| t == tag) {
            return Err(Error::NotFound(format!("Tag {tag} could not be found.")));
        }
        Ok(())
    }

    /// Replaces the server's tags.
    pub async fn replace_server_tags(&self, ctx: &RequestContext, uuid: &str, mut tags: Vec<String>) -> Result<Vec<String>> {
        let (store, instance) = self.in_cell(ctx, uuid, "update tags").await?;
        self.authorize_instance(ctx, "os_compute_api:os-server-tags:update_all", &instance)?;
        tags.sort();
        tags.dedup();
        if tags.len() > MAX_TAGS {
            return Err(Error::BadRequest(format!("The number of tags exceeded the per-server limit {MAX_TAGS}")));
        }
        store.set_tags(uuid, &tags).await?;
        Ok(tags)
    }

    /// Adds one tag; answers whether it is new.
    pub async fn add_server_tag(&self, ctx: &RequestContext, uuid: &str, tag: &str) -> Result<bool> {
        let (store, instance) = self.in_cell(ctx, uuid, "update tags").await?;
        self.authorize_instance(ctx, "os_compute_api:os-server-tags:update", &instance)?;
        if instance.tags.iter().any(|t| t == tag) {
            return Ok(false);
        }
        if instance.tags.len() >= MAX_TAGS {
            return Err(Error::BadRequest(format!("The number of tags exceeded the per-server limit {MAX_TAGS}")));
        }
        Ok(store.add_tag(uuid, tag).await?)
    }

    /// Removes one tag.
    pub async fn delete_server_tag(&self, ctx: &RequestContext, uuid: &str, tag: &str) -> Result<()> {
        let (store, instance) = self.in_cell(ctx, uuid, "delete tags").await?;
        self.authorize_instance(ctx, "os_compute_api:os-server-tags:delete", &instance)?;
        if !store.delete_tag(uuid, tag).await? {
            return Err(Error::NotFound(format!("Tag {tag} could not be found.")));
        }
        Ok(())
    }

    /// Removes every tag.
    pub async fn delete_server_tags(&self, ctx: &RequestContext, uuid: &str) -> Result<()> {
        let (store, instance) = self.in_cell(ctx, uuid, "delete tags").await?;
        self.authorize_instance(ctx, "os_compute_api:os-server-tags:delete_all", &instance)?;
        store.set_tags(uuid, &[]).await?;
        Ok(())
    }

    /// The instance wherever it is (a build request reads like an instance).
    async fn in_cell_or_building(&self, ctx: &RequestContext, uuid: &str) -> Result<crate::store::cell::InstanceRow> {
        Ok(match self.locate(ctx, uuid).await? {
            super::servers::Located::Building(i) | super::servers::Located::InCell { instance: i, .. } => i,
        })
    }
}
