//! Resource providers: creation in trees, renames and moves, deletion, and lists.

use common::RequestContext;

use super::query::{AggregateExpr, TraitExpr};
use super::{Code, Error, Placement, Result, Version, no_provider};
use crate::store::{ProviderFilter, ProviderRow, WriteRefused};

/// What a provider list asks for.
#[derive(Debug, Clone, Default)]
pub struct ProviderQuery {
    /// Exactly this name.
    pub name: Option<String>,
    /// Exactly this uuid.
    pub uuid: Option<String>,
    /// Only the tree this provider is in.
    pub in_tree: Option<String>,
    /// Aggregates the provider must (not) be in.
    pub member_of: AggregateExpr,
    /// Amounts the provider must have room for.
    pub resources: Vec<(String, i64)>,
    /// Traits the provider must (not) have.
    pub required: TraitExpr,
}

impl Placement {
    /// Creates a provider, a root or under `parent`.
    pub async fn create_provider(
        &self,
        ctx: &RequestContext,
        name: &str,
        uuid: Option<String>,
        parent: Option<String>,
    ) -> Result<ProviderRow> {
        self.authorize_plain(ctx, "placement:resource_providers:create")?;
        let uuid = uuid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let refused = |why: &str| {
            Error::bad(format!("Unable to create resource provider \"{name}\", {uuid}: Object action create failed because: {why}"))
        };
        if name.is_empty() {
            return Err(refused("name is required"));
        }
        let root = match &parent {
            Some(p) if *p == uuid => {
                return Err(refused(
                    "parent provider UUID cannot be same as UUID. Please set parent provider UUID to None if there is no parent.",
                ));
            }
            Some(p) => self.store().provider(p).await?.ok_or_else(|| refused("parent provider UUID does not exist."))?.root_uuid,
            None => uuid.clone(),
        };
        let row = ProviderRow { uuid: uuid.clone(), name: name.to_owned(), generation: 0, parent_uuid: parent, root_uuid: root };
        match self.store().create_provider(&row).await {
            Ok(()) => Ok(row),
            Err(WriteRefused::Rule(column)) => {
                let value = if column == "uuid" { &uuid } else { &row.name };
                Err(Error::conflict(Code::DuplicateName, format!("Conflicting resource provider {column}: {value} already exists.")))
            }
            Err(WriteRefused::NoProvider(_)) => Err(refused("parent provider UUID does not exist.")),
            Err(e) => Err(e.into()),
        }
    }

    /// One provider.
    pub async fn get_provider(&self, ctx: &RequestContext, uuid: &str) -> Result<ProviderRow> {
        self.authorize_plain(ctx, "placement:resource_providers:show")?;
        self.store().provider(uuid).await?.ok_or_else(|| no_provider(uuid))
    }

    /// Providers matching `q`, oldest first.
    pub async fn list_providers(&self, ctx: &RequestContext, q: &ProviderQuery) -> Result<Vec<ProviderRow>> {
        self.authorize_plain(ctx, "placement:resource_providers:list")?;
        let classes: Vec<&str> = q.resources.iter().map(|(c, _)| c.as_str()).collect();
        if let Err(class) = self.require_classes(&classes).await {
            return Err(Error::bad(format!("Invalid resource class in resources parameter: No such resource class {class}.")));
        }
        self.require_traits(&q.required, |missing| format!("Invalid trait(s) in \"required\" parameter: No such trait(s): {missing}."))
            .await?;
        let mut filter = ProviderFilter { name: q.name.clone(), uuid: q.uuid.clone(), ..Default::default() };
        if let Some(member) = &q.in_tree {
            match self.store().provider(member).await? {
                Some(p) => filter.root_uuid = Some(p.root_uuid),
                None => return Ok(Vec::new()),
            }
        }
        let mut rows = self.store().list_providers(&filter).await?;
        if !q.resources.is_empty() {
            let with_room: std::collections::HashSet<String> = self.store().providers_with_room(&q.resources).await?.into_iter().collect();
            rows.retain(|p| with_room.contains(&p.uuid));
        }
        if !q.required.is_empty() || !q.member_of.is_empty() {
            let uuids: Vec<String> = rows.iter().map(|p| p.uuid.clone()).collect();
            let data = self.store().load_providers_by_uuid(&uuids).await?;
            rows.retain(|p| {
                data.providers.get(&p.uuid).is_some_and(|d| q.required.matches(&d.traits) && q.member_of.matches(&d.aggregates))
            });
        }
        Ok(rows)
    }

    /// Renames a provider and, from 1.14, sets its parent: adopting an orphan always,
    /// moving or orphaning a child only from 1.37, never into its own subtree.
    pub async fn update_provider(
        &self,
        ctx: &RequestContext,
        version: Version,
        uuid: &str,
        name: &str,
        parent: Option<Option<String>>,
    ) -> Result<ProviderRow> {
        self.authorize_plain(ctx, "placement:resource_providers:update")?;
        let current = self.store().provider(uuid).await?.ok_or_else(|| no_provider(uuid))?;
        let refused =
            |why: &str| Error::bad(format!("Unable to save resource provider {uuid}: Object action update failed because: {why}"));
        let parent = parent.unwrap_or_else(|| current.parent_uuid.clone());
        if parent != current.parent_uuid {
            if current.parent_uuid.is_some() && !version.at_least(37) {
                return Err(refused(if parent.is_some() {
                    "re-parenting a provider is not currently allowed."
                } else {
                    "un-parenting a provider is not currently allowed."
                }));
            }
            if let Some(p) = &parent {
                if self.store().provider(p).await?.is_none() {
                    return Err(Error::bad(format!(
                        "Unable to save resource provider {uuid}: Object action create failed because: parent provider UUID does not exist."
                    )));
                }
                if self.store().is_ancestor_or_self(uuid, p).await? {
                    return Err(refused("creating loop in the provider tree is not allowed."));
                }
            }
        }
        match self.store().update_provider(uuid, name, parent.as_deref()).await {
            Ok(row) => Ok(row),
            Err(WriteRefused::Rule(_)) => {
                Err(Error::conflict(Code::DuplicateName, format!("Conflicting resource provider {name} already exists.")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a provider without children or allocations.
    pub async fn delete_provider(&self, ctx: &RequestContext, uuid: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:resource_providers:delete")?;
        match self.store().delete_provider(uuid).await {
            Ok(()) => Ok(()),
            Err(WriteRefused::NoProvider(_)) => Err(Error::NotFound(format!("No resource provider with uuid {uuid} found for delete"))),
            Err(WriteRefused::Rule(r)) if r == "children" => Err(Error::conflict(
                Code::CannotDeleteParent,
                format!("Unable to delete parent resource provider {uuid}: It has child resource providers."),
            )),
            Err(WriteRefused::Rule(_)) => Err(Error::conflict(
                Code::ProviderInUse,
                format!("Unable to delete resource provider {uuid}: Resource provider has allocations."),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses trait names in `expr` that do not exist, worded by `message`.
    pub(super) async fn require_traits(&self, expr: &TraitExpr, message: impl Fn(&str) -> String) -> Result<()> {
        let names = expr.names();
        if names.is_empty() {
            return Ok(());
        }
        let existing = self.store().existing_traits(&names).await?;
        let missing: Vec<&str> = names.iter().filter(|n| !existing.contains(n)).map(String::as_str).collect();
        if missing.is_empty() { Ok(()) } else { Err(Error::bad(message(&missing.join(", ")))) }
    }
}
