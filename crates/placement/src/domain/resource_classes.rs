//! Resource classes: the standard ones (os-resource-classes) and `CUSTOM_*` ones.

use common::RequestContext;
use regex::Regex;
use std::sync::LazyLock;

use super::{Error, Placement, Result};
use crate::store::WriteRefused;

/// The standard classes, in os-resource-classes' order (tools/placement-standard-names.sh).
const STANDARD: &str = include_str!("standard_resource_classes.txt");

/// The standard resource class names.
pub fn standard() -> Vec<&'static str> {
    STANDARD.lines().filter(|l| !l.is_empty()).collect()
}

static CUSTOM: LazyLock<Regex> = LazyLock::new(|| Regex::new("^CUSTOM_[A-Z0-9_]+$").expect("valid pattern"));

/// Whether `name` is a well-formed custom class name.
pub fn is_custom_name(name: &str) -> bool {
    name.len() <= 255 && CUSTOM.is_match(name)
}

fn no_class(name: &str) -> Error {
    Error::NotFound(format!("No such resource class {name}."))
}

impl Placement {
    /// Every resource class.
    pub async fn list_resource_classes(&self, ctx: &RequestContext) -> Result<Vec<String>> {
        self.authorize_plain(ctx, "placement:resource_classes:list")?;
        Ok(self.store().resource_classes().await?)
    }

    /// One class, by name.
    pub async fn get_resource_class(&self, ctx: &RequestContext, name: &str) -> Result<String> {
        self.authorize_plain(ctx, "placement:resource_classes:show")?;
        if self.store().resource_class_exists(name).await? { Ok(name.to_owned()) } else { Err(no_class(name)) }
    }

    /// Creates a custom class (POST): a class that exists is a conflict.
    pub async fn create_resource_class(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:resource_classes:create")?;
        if self.store().create_resource_class(name).await? {
            Ok(())
        } else {
            Err(Error::conflict(super::Code::Undefined, format!("Conflicting resource class already exists: {name}")))
        }
    }

    /// Creates a custom class if missing (PUT, 1.7+); true when created.
    pub async fn ensure_resource_class(&self, ctx: &RequestContext, name: &str) -> Result<bool> {
        self.authorize_plain(ctx, "placement:resource_classes:update")?;
        Ok(self.store().create_resource_class(name).await?)
    }

    /// Renames a custom class (PUT, 1.2 to 1.6).
    pub async fn rename_resource_class(&self, ctx: &RequestContext, from: &str, to: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:resource_classes:update")?;
        if !self.store().resource_class_exists(from).await? {
            return Err(no_class(from));
        }
        if standard().contains(&from) {
            return Err(Error::bad(format!("Cannot update standard resource class {from}")));
        }
        match self.store().rename_resource_class(from, to).await {
            Ok(()) => Ok(()),
            Err(WriteRefused::Rule(r)) if r == "duplicate" => {
                Err(Error::conflict(super::Code::Undefined, format!("Resource class already exists: {to}")))
            }
            Err(WriteRefused::Rule(r)) if r == "in use" => Err(Error::conflict(
                super::Code::Undefined,
                format!("Cannot update resource class {from}: Class is in use in inventory or allocations."),
            )),
            Err(WriteRefused::Rule(_)) => Err(no_class(from)),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a custom class nothing uses.
    pub async fn delete_resource_class(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:resource_classes:delete")?;
        if !self.store().resource_class_exists(name).await? {
            return Err(no_class(name));
        }
        if standard().contains(&name) {
            return Err(Error::bad(format!("Error in delete resource class: Cannot delete standard resource class {name}.")));
        }
        match self.store().delete_resource_class(name).await {
            Ok(()) => Ok(()),
            Err(WriteRefused::Rule(r)) if r == "in use" => Err(Error::conflict(
                super::Code::Undefined,
                format!("Error in delete resource class: Cannot delete resource class {name}. Class is in use in inventory."),
            )),
            Err(WriteRefused::Rule(_)) => Err(no_class(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses names among `classes` that are no resource class.
    pub(super) async fn require_classes(&self, classes: &[&str]) -> Result<(), String> {
        let known = self.store().resource_classes().await.map_err(|e| e.to_string())?;
        match classes.iter().find(|c| !known.iter().any(|k| k == *c)) {
            Some(missing) => Err((*missing).to_owned()),
            None => Ok(()),
        }
    }
}
