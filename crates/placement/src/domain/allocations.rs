//! Allocations: what consumers hold, the capacity rules every write passes, consumer
//! generations, and usages.

use std::collections::BTreeMap;

use common::RequestContext;
use serde_json::json;

use super::{Code, Error, Placement, Result, Version, no_provider};
use crate::store::{AllocationRow, CapacityCheck, ConsumerRow, ConsumerWrite, InventoryRow, UsageByType, WriteRefused};

/// A consumer with what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerAllocations {
    /// The consumer, when it holds anything.
    pub consumer: Option<ConsumerRow>,
    /// Its allocations, by provider then class.
    pub allocations: Vec<AllocationRow>,
}

/// The allocations held against one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderAllocations {
    /// By consumer then class.
    pub allocations: Vec<AllocationRow>,
    /// The provider's generation.
    pub generation: i64,
}

/// The project and user a consumer gets when a client older than 1.8 names none.
pub const UNKNOWN_OWNER: &str = "00000000-0000-0000-0000-000000000000";

/// What one consumer's write asks: one entry of `POST /allocations` or the body of
/// `PUT /allocations/{consumer}`.
#[derive(Debug, Clone)]
pub struct AllocationRequest {
    /// The consumer.
    pub consumer_uuid: String,
    /// Its project.
    pub project_id: String,
    /// Its user.
    pub user_id: String,
    /// Its type (1.38+).
    pub consumer_type: Option<String>,
    /// The generation the caller read (1.28+): `None` for a new consumer.
    pub consumer_generation: Option<Option<i64>>,
    /// `(provider, class, amount)`.
    pub allocations: Vec<(String, String, i64)>,
}

/// Checks one provider and class of a write against its inventory, as Placement does:
/// within the unit limits, and within capacity unless the write lowers the usage of a
/// provider that is already over it.
fn fits(c: &CapacityCheck) -> Result<(), String> {
    let (provider, class) = (c.provider, c.class);
    let Some(inv) = c.inventory else {
        return Err(format!("Unable to allocate inventory: Inventory for '{class}' on resource provider '{provider}' invalid."));
    };
    let per_allocation_ok =
        |inv: &InventoryRow| c.amount >= inv.min_unit && c.amount <= inv.max_unit && c.amount % inv.step_size.max(1) == 0;
    if !per_allocation_ok(inv) {
        return Err(format!(
            "Unable to allocate inventory: Unable to create allocation for '{class}' on resource provider '{provider}'. The requested amount \
             would violate inventory constraints."
        ));
    }
    let capacity = (inv.total - inv.reserved) as f64 * inv.allocation_ratio;
    let after = c.others + c.amount;
    if (after as f64) > capacity && after > c.before {
        return Err(format!(
            "Unable to allocate inventory: Unable to create allocation for '{class}' on resource provider '{provider}'. The requested amount \
             would exceed the capacity."
        ));
    }
    Ok(())
}

impl Placement {
    /// What a consumer holds.
    pub async fn consumer_allocations(&self, ctx: &RequestContext, consumer: &str) -> Result<ConsumerAllocations> {
        self.authorize_plain(ctx, "placement:allocations:list")?;
        let allocations = self.store().consumer_allocations(consumer).await?;
        let consumer = if allocations.is_empty() { None } else { self.store().consumer(consumer).await? };
        Ok(ConsumerAllocations { consumer, allocations })
    }

    /// What consumers hold against a provider.
    pub async fn provider_allocations(&self, ctx: &RequestContext, uuid: &str) -> Result<ProviderAllocations> {
        self.authorize_plain(ctx, "placement:resource_providers:allocations:list")?;
        let p =
            self.store().provider(uuid).await?.ok_or_else(|| {
                Error::NotFound(format!("Resource provider '{uuid}' not found: No resource provider with uuid {uuid} found"))
            })?;
        Ok(ProviderAllocations { allocations: self.store().provider_allocations(uuid).await?, generation: p.generation })
    }

    /// Replaces one consumer's allocations (PUT).
    pub async fn put_allocations(&self, ctx: &RequestContext, request: AllocationRequest) -> Result<()> {
        self.authorize_plain(ctx, "placement:allocations:update")?;
        let consumer = request.consumer_uuid.clone();
        self.write_allocations(vec![request], |class| {
            format!("Unable to allocate inventory for consumer {consumer}: No such resource class {class}.")
        })
        .await
    }

    /// Replaces several consumers' allocations at once (POST, 1.13+).
    pub async fn post_allocations(&self, ctx: &RequestContext, requests: Vec<AllocationRequest>) -> Result<()> {
        self.authorize_plain(ctx, "placement:allocations:manage")?;
        self.write_allocations(requests, |class| format!("Unable to allocate inventory No such resource class {class}.")).await
    }

    async fn write_allocations(&self, requests: Vec<AllocationRequest>, unknown_class: impl Fn(&str) -> String) -> Result<()> {
        let writes = self.prepare_writes(requests, unknown_class).await?;
        self.store().replace_allocations(&writes, fits).await.map_err(refused_allocations)
    }

    /// Checks what a write of allocations names (consumer generations, providers,
    /// classes) before the store takes its locks.
    async fn prepare_writes(&self, requests: Vec<AllocationRequest>, unknown_class: impl Fn(&str) -> String) -> Result<Vec<ConsumerWrite>> {
        for r in &requests {
            if let Some(expected) = r.consumer_generation {
                let actual = self.store().consumer(&r.consumer_uuid).await?.map(|c| c.generation);
                if actual != expected {
                    let show = |g: Option<i64>| g.map_or_else(|| "None".to_owned(), |g| g.to_string());
                    let wanted = actual.map_or_else(|| "null".to_owned(), |g| g.to_string());
                    return Err(Error::conflict(
                        Code::ConcurrentUpdate,
                        format!("consumer generation conflict - expected {wanted} but got {}", show(expected)),
                    ));
                }
            }
        }
        let mut providers: Vec<&str> = requests.iter().flat_map(|r| r.allocations.iter().map(|(p, _, _)| p.as_str())).collect();
        providers.sort_unstable();
        providers.dedup();
        let known = self.store().providers_by_uuid(&providers.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>()).await?;
        if let Some(missing) = providers.iter().find(|p| !known.iter().any(|k| k.uuid == **p)) {
            return Err(Error::bad(format!("Allocation for resource provider '{missing}' that does not exist.")));
        }
        let classes: Vec<&str> = requests.iter().flat_map(|r| r.allocations.iter().map(|(_, c, _)| c.as_str())).collect();
        if let Err(class) = self.require_classes(&classes).await {
            return Err(Error::bad(unknown_class(&class)));
        }
        Ok(requests
            .into_iter()
            .map(|r| ConsumerWrite {
                consumer_uuid: r.consumer_uuid,
                project_id: r.project_id,
                user_id: r.user_id,
                consumer_type: r.consumer_type,
                expected_generation: r.consumer_generation,
                allocations: r.allocations,
            })
            .collect())
    }

    /// Moves inventories and allocations between providers at once (`POST /reshaper`,
    /// 1.30+): each provider's inventories under the generation the caller read, and the
    /// consumers' allocations under theirs; nothing held may be left without inventory.
    pub async fn reshape(
        &self,
        ctx: &RequestContext,
        version: Version,
        inventories: Vec<(String, i64, Vec<InventoryRow>)>,
        allocations: Vec<AllocationRequest>,
    ) -> Result<()> {
        self.authorize_plain(ctx, "placement:reshaper:reshape")?;
        for (uuid, _, rows) in &inventories {
            if self.store().provider(uuid).await?.is_none() {
                return Err(Error::bad(format!("Resource provider {uuid} in inventories not found")));
            }
            let classes: Vec<&str> = rows.iter().map(|i| i.resource_class.as_str()).collect();
            if let Err(class) = self.require_classes(&classes).await {
                return Err(Error::bad(format!(
                    "Unknown resource class in inventory for resource provider {uuid}: No such resource class {class}."
                )));
            }
            if let Some(why) = rows.iter().find_map(|i| super::inventories::invalid_capacity(version, uuid, i)) {
                return Err(Error::bad(format!("Unable to update inventory for resource provider {uuid}: {why}")));
            }
        }
        let writes =
            self.prepare_writes(allocations, |class| format!("Unable to allocate inventory No such resource class {class}.")).await?;
        self.store().reshape(&inventories, &writes, fits).await.map_err(|e| match e {
            WriteRefused::ProviderGeneration(_) => Error::conflict(Code::ConcurrentUpdate, "resource provider generation conflict"),
            WriteRefused::InventoryInUse { provider, classes } => Error::conflict(
                Code::InventoryInUse,
                format!("update conflict: Inventory for '{}' on resource provider '{provider}' in use.", classes.join(", ")),
            ),
            other => refused_allocations(other),
        })
    }

    /// Removes everything a consumer holds.
    pub async fn delete_allocations(&self, ctx: &RequestContext, consumer: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:allocations:delete")?;
        if self.store().delete_allocations(consumer).await? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("No allocations for consumer '{consumer}'")))
        }
    }

    /// What is used of each class a provider offers (zero where nothing is).
    pub async fn provider_usages(&self, ctx: &RequestContext, uuid: &str) -> Result<(BTreeMap<String, i64>, i64)> {
        self.authorize_plain(ctx, "placement:resource_providers:usages")?;
        let p = self.store().provider(uuid).await?.ok_or_else(|| no_provider(uuid))?;
        let mut usages: BTreeMap<String, i64> = self.store().inventories(uuid).await?.into_iter().map(|i| (i.resource_class, 0)).collect();
        for (class, used) in self.store().provider_usages(uuid).await? {
            usages.insert(class, used);
        }
        Ok((usages, p.generation))
    }

    /// What a project's (and a user's) consumers hold, by consumer type (`None`:
    /// unknown). Readers of the project may ask, as well as admins and services.
    pub async fn project_usages(
        &self,
        ctx: &RequestContext,
        project_id: &str,
        user_id: Option<&str>,
    ) -> Result<BTreeMap<Option<String>, UsageByType>> {
        self.authorize(ctx, "placement:usages", json!({"project_id": project_id, "user_id": user_id}))?;
        Ok(self.store().project_usages(project_id, user_id).await?)
    }
}

/// A refused write of allocations, as Placement words it.
fn refused_allocations(e: WriteRefused) -> Error {
    match e {
        WriteRefused::ConsumerGeneration(c) => {
            Error::conflict(Code::ConcurrentUpdate, format!("consumer generation conflict - consumer {c} was changed by another request"))
        }
        WriteRefused::NoProvider(p) => Error::bad(format!("Allocation for resource provider '{p}' that does not exist.")),
        other => other.into(),
    }
}
