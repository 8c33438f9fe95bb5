//! Image updates: the changes of a JSON patch, applied with Glance's rules, all or
//! nothing.

use common::RequestContext;
use common::time::now_micros;
use serde_json::Value;

use super::images::{BASE, CONTAINER_FORMATS, DISK_FORMATS, READ_ONLY, is_reserved};
use super::{Error, Images, Result};
use crate::store::ImageRow;

/// The two patch media types Glance takes. They differ in one rule: `add` on a
/// property that is already set is refused in 2.0 and overwrites in 2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchDialect {
    /// `application/openstack-images-v2.0-json-patch`.
    V2_0,
    /// `application/openstack-images-v2.1-json-patch`.
    V2_1,
}

/// One change, on one top-level attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Add { key: String, value: Value },
    Replace { key: String, value: Value },
    Remove { key: String },
}

impl Change {
    fn key(&self) -> &str {
        match self {
            Change::Add { key, .. } | Change::Replace { key, .. } | Change::Remove { key } => key,
        }
    }
}

fn is_set(image: &ImageRow, key: &str) -> bool {
    match key {
        "name" => image.name.is_some(),
        "owner" => image.owner.is_some(),
        "disk_format" => image.disk_format.is_some(),
        "container_format" => image.container_format.is_some(),
        "tags" => !image.tags.is_empty(),
        k if BASE.contains(&k) => true,
        k => image.properties.contains_key(k),
    }
}

fn string_or_null(key: &str, value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(Error::BadRequest(format!("Invalid value {other} for {key}: a string or null is expected."))),
    }
}

impl Images {
    /// Applies `changes` to image `id` for `ctx`; nothing is saved unless all apply.
    pub async fn update(&self, ctx: &RequestContext, id: &str, dialect: PatchDialect, changes: Vec<Change>) -> Result<ImageRow> {
        let mut image = self.changeable(ctx, id, "modify_image").await?;
        for change in &changes {
            let key = change.key();
            if READ_ONLY.contains(&key) {
                return Err(Error::Forbidden(format!("Attribute '{key}' is read-only.")));
            }
            if is_reserved(key) {
                return Err(Error::Forbidden(format!("Attribute '{key}' is reserved.")));
            }
        }
        for change in changes {
            match change {
                Change::Add { key, value } => {
                    if dialect == PatchDialect::V2_0 && is_set(&image, &key) {
                        return Err(Error::Conflict(format!("Property {key} already present.")));
                    }
                    self.set(ctx, &mut image, &key, value)?;
                }
                Change::Replace { key, value } => {
                    if !BASE.contains(&key.as_str()) && !image.properties.contains_key(&key) {
                        return Err(Error::Conflict(format!("Property {key} does not exist.")));
                    }
                    self.set(ctx, &mut image, &key, value)?;
                }
                Change::Remove { key } => {
                    if BASE.contains(&key.as_str()) {
                        return Err(Error::Forbidden(format!("Property {key} may not be removed.")));
                    }
                    if image.properties.remove(&key).is_none() {
                        return Err(Error::Conflict(format!("Property {key} does not exist.")));
                    }
                }
            }
        }
        image.updated_at = now_micros();
        self.save(&image).await?;
        Ok(image)
    }

    fn set(&self, ctx: &RequestContext, image: &mut ImageRow, key: &str, value: Value) -> Result<()> {
        let bad = |what: &str| Error::BadRequest(format!("Invalid value for {key}: {what} is expected."));
        match key {
            "name" => image.name = string_or_null(key, &value)?,
            "visibility" => {
                let visibility = value.as_str().ok_or_else(|| bad("a string"))?.to_owned();
                if visibility != image.visibility {
                    image.visibility = visibility;
                    self.check_visibility_allowed(ctx, image)?;
                }
            }
            "protected" => image.protected = value.as_bool().ok_or_else(|| bad("a boolean"))?,
            "os_hidden" => image.os_hidden = value.as_bool().ok_or_else(|| bad("a boolean"))?,
            "owner" => {
                let owner = string_or_null(key, &value)?;
                if owner != image.owner && !self.is_admin(ctx)? {
                    return Err(Error::Forbidden("Only an administrator may change the owner of an image.".into()));
                }
                image.owner = owner;
            }
            "disk_format" | "container_format" => {
                let format = string_or_null(key, &value)?;
                let allowed: &[&str] = if key == "disk_format" { &DISK_FORMATS } else { &CONTAINER_FORMATS };
                if let Some(f) = format.as_deref().filter(|f| !allowed.contains(f)) {
                    return Err(Error::BadRequest(format!("Invalid value '{f}' for {key}: it must be one of {}.", allowed.join(", "))));
                }
                if image.status != "queued"
                    && format.as_deref()
                        != if key == "disk_format" { image.disk_format.as_deref() } else { image.container_format.as_deref() }
                {
                    return Err(Error::Forbidden(format!("Attribute {key} can be only replaced for a queued image.")));
                }
                if key == "disk_format" { image.disk_format = format } else { image.container_format = format }
            }
            "min_disk" | "min_ram" => {
                let n = value.as_i64().filter(|n| *n >= 0).ok_or_else(|| bad("an integer of 0 or more"))?;
                if key == "min_disk" { image.min_disk = n } else { image.min_ram = n }
            }
            "tags" => {
                let tags = value.as_array().ok_or_else(|| bad("a list of strings"))?;
                let mut tags: Vec<String> =
                    tags.iter().map(|t| t.as_str().map(str::to_owned).ok_or_else(|| bad("a list of strings"))).collect::<Result<_>>()?;
                tags.sort();
                tags.dedup();
                image.tags = tags;
            }
            _ => {
                let value = value.as_str().ok_or_else(|| bad("a string (additional properties are strings)"))?;
                image.properties.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
        Ok(())
    }
}
