//! What providers offer: inventories, their validity, and their replacement under the
//! provider's generation.

use common::RequestContext;

use super::{Code, Error, Placement, Result, Version, no_provider};
use crate::store::{InventoryRow, WriteRefused};

/// A provider's inventories with its generation.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderInventories {
    /// By class name.
    pub inventories: Vec<InventoryRow>,
    /// The provider's generation.
    pub generation: i64,
}

/// Why an inventory cannot exist, as Placement words it (reserved may equal total, so
/// that nothing is offered, from 1.26).
pub(super) fn invalid_capacity(version: Version, provider: &str, inv: &InventoryRow) -> Option<String> {
    let capacity = inv.capacity();
    if version.at_least(26) && capacity < 0 {
        return Some(format!(
            "Invalid inventory for '{}' on resource provider '{provider}'. The reserved value is greater than total.",
            inv.resource_class
        ));
    }
    if !version.at_least(26) && capacity <= 0 {
        return Some(format!(
            "Invalid inventory for '{}' on resource provider '{provider}'. The reserved value is greater than or equal to total.",
            inv.resource_class
        ));
    }
    None
}

impl Placement {
    /// A provider's inventories.
    pub async fn inventories(&self, ctx: &RequestContext, uuid: &str) -> Result<ProviderInventories> {
        self.authorize_plain(ctx, "placement:resource_providers:inventories:list")?;
        self.read_inventories(uuid).await
    }

    async fn read_inventories(&self, uuid: &str) -> Result<ProviderInventories> {
        let p = self.store().provider(uuid).await?.ok_or_else(|| no_provider(uuid))?;
        Ok(ProviderInventories { inventories: self.store().inventories(uuid).await?, generation: p.generation })
    }

    /// One inventory of a provider.
    pub async fn inventory(&self, ctx: &RequestContext, uuid: &str, class: &str) -> Result<(InventoryRow, i64)> {
        self.authorize_plain(ctx, "placement:resource_providers:inventories:show")?;
        let all = self.read_inventories(uuid).await?;
        let inv = all.inventories.into_iter().find(|i| i.resource_class == class);
        inv.map(|i| (i, all.generation)).ok_or_else(|| Error::NotFound(format!("No inventory of class {class} for {uuid}")))
    }

    /// Replaces all of a provider's inventories (PUT).
    pub async fn replace_inventories(
        &self,
        ctx: &RequestContext,
        version: Version,
        uuid: &str,
        generation: i64,
        inventories: Vec<InventoryRow>,
    ) -> Result<ProviderInventories> {
        self.authorize_plain(ctx, "placement:resource_providers:inventories:update")?;
        let current = self.read_inventories(uuid).await?;
        if current.generation != generation {
            return Err(Error::conflict(Code::ConcurrentUpdate, "resource provider generation conflict"));
        }
        let classes: Vec<&str> = inventories.iter().map(|i| i.resource_class.as_str()).collect();
        if let Err(class) = self.require_classes(&classes).await {
            return Err(Error::bad(format!(
                "Unknown resource class in inventory for resource provider {uuid}: No such resource class {class}."
            )));
        }
        if let Some(why) = inventories.iter().find_map(|i| invalid_capacity(version, uuid, i)) {
            return Err(Error::bad(format!("Unable to update inventory for resource provider {uuid}: {why}")));
        }
        match self.store().replace_inventories(uuid, generation, &inventories).await {
            Ok(generation) => Ok(ProviderInventories { inventories: sorted(inventories), generation }),
            Err(WriteRefused::ProviderGeneration(_)) => {
                Err(Error::conflict(Code::ConcurrentUpdate, "resource provider generation conflict"))
            }
            Err(WriteRefused::InventoryInUse { provider, classes }) => Err(Error::conflict(
                Code::InventoryInUse,
                format!("update conflict: Inventory for '{}' on resource provider '{provider}' in use.", classes.join(", ")),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds one inventory (POST); the generation is not checked, a class already
    /// offered is a conflict.
    pub async fn create_inventory(
        &self,
        ctx: &RequestContext,
        version: Version,
        uuid: &str,
        inv: InventoryRow,
    ) -> Result<(InventoryRow, i64)> {
        self.authorize_plain(ctx, "placement:resource_providers:inventories:create")?;
        let current = self.read_inventories(uuid).await?;
        let unable = |why: String| Error::bad(format!("Unable to create inventory for resource provider {uuid}: {why}"));
        if let Err(class) = self.require_classes(&[inv.resource_class.as_str()]).await {
            return Err(unable(format!("No such resource class {class}.")));
        }
        if let Some(why) = invalid_capacity(version, uuid, &inv) {
            return Err(unable(why));
        }
        if current.inventories.iter().any(|i| i.resource_class == inv.resource_class) {
            return Err(Error::conflict(
                Code::ConcurrentUpdate,
                format!("Update conflict: inventory of {} already exists on resource provider {uuid}", inv.resource_class),
            ));
        }
        let mut all = current.inventories;
        all.push(inv.clone());
        let generation = self.store().replace_inventories(uuid, current.generation, &all).await.map_err(concurrent)?;
        Ok((inv, generation))
    }

    /// Changes one inventory (PUT) when the generation is still `generation`.
    pub async fn update_inventory(
        &self,
        ctx: &RequestContext,
        version: Version,
        uuid: &str,
        generation: i64,
        inv: InventoryRow,
    ) -> Result<(InventoryRow, i64)> {
        self.authorize_plain(ctx, "placement:resource_providers:inventories:update")?;
        let current = self.read_inventories(uuid).await?;
        if current.generation != generation {
            return Err(Error::conflict(Code::ConcurrentUpdate, "resource provider generation conflict"));
        }
        if let Err(class) = self.require_classes(&[inv.resource_class.as_str()]).await {
            return Err(Error::NotFound(format!("No such resource class {class}.")));
        }
        if !current.inventories.iter().any(|i| i.resource_class == inv.resource_class) {
            return Err(Error::bad(format!(
                "No inventory record with resource class for resource provider {uuid}: No inventory of class {} found.",
                inv.resource_class
            )));
        }
        if let Some(why) = invalid_capacity(version, uuid, &inv) {
            return Err(Error::bad(format!("Unable to update inventory for resource provider {uuid}: {why}")));
        }
        let all: Vec<InventoryRow> =
            current.inventories.into_iter().map(|i| if i.resource_class == inv.resource_class { inv.clone() } else { i }).collect();
        let generation = self.store().replace_inventories(uuid, generation, &all).await.map_err(concurrent)?;
        Ok((inv, generation))
    }

    /// Removes one inventory; the generation is not checked.
    pub async fn delete_inventory(&self, ctx: &RequestContext, uuid: &str, class: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:resource_providers:inventories:delete")?;
        let current = self.read_inventories(uuid).await?;
        if self.require_classes(&[class]).await.is_err() {
            return Err(Error::NotFound(format!("No inventory of class {class} found for delete: No such resource class {class}.")));
        }
        if !current.inventories.iter().any(|i| i.resource_class == class) {
            return Err(Error::NotFound(format!(
                "No inventory of class {class} found for delete: No inventory of class {class} found for delete"
            )));
        }
        let rest: Vec<InventoryRow> = current.inventories.into_iter().filter(|i| i.resource_class != class).collect();
        match self.store().replace_inventories(uuid, current.generation, &rest).await {
            Ok(_) => Ok(()),
            Err(WriteRefused::InventoryInUse { provider, .. }) => Err(Error::conflict(
                Code::ConcurrentUpdate,
                format!("Unable to delete inventory of class {class}: Inventory for '{class}' on resource provider '{provider}' in use."),
            )),
            Err(e) => Err(concurrent(e)),
        }
    }

    /// Removes all of a provider's inventories (1.5+).
    pub async fn delete_inventories(&self, ctx: &RequestContext, uuid: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:resource_providers:inventories:delete")?;
        let current = self.read_inventories(uuid).await?;
        match self.store().replace_inventories(uuid, current.generation, &[]).await {
            Ok(_) => Ok(()),
            Err(WriteRefused::ProviderGeneration(_)) => Err(Error::conflict(
                Code::ConcurrentUpdate,
                format!(
                    "Unable to delete inventory for resource provider {uuid} because the inventory was updated by another process. \
                     Please retry your request."
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

fn sorted(mut inventories: Vec<InventoryRow>) -> Vec<InventoryRow> {
    inventories.sort_by(|a, b| a.resource_class.cmp(&b.resource_class));
    inventories
}

/// A generation race while writing what was read a moment ago.
fn concurrent(e: WriteRefused) -> Error {
    match e {
        WriteRefused::ProviderGeneration(u) => {
            Error::conflict(Code::ConcurrentUpdate, format!("Update conflict: resource provider {u} was changed by another request"))
        }
        other => other.into(),
    }
}
