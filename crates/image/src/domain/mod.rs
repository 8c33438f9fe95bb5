//! Image's rules: who sees and changes which image, the status machine, properties,
//! and how data enters and leaves the store. No HTTP and no SQL here.

pub mod error;
pub mod images;
pub mod list;
pub mod patch;

pub use error::{Error, Result};
pub use images::{ImageFile, NewImage};
pub use list::{ListQuery, Page};
pub use patch::{Change, PatchDialect};

use common::RequestContext;
use common::policy::Policy;
use serde_json::json;

use crate::store::{FileStore, Store};

/// Image settings; each has Glance's default.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// Largest image accepted, in bytes (`image_size_cap`).
    pub image_size_cap: u64,
    /// Images a list returns when no limit is given (`limit_param_default`).
    pub limit_param_default: usize,
    /// Most images a list returns whatever the limit (`api_limit_max`).
    pub api_limit_max: usize,
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig { image_size_cap: 1 << 40, limit_param_default: 25, api_limit_max: 1000 }
    }
}

/// Glance's default rules that this service consults; ownership and visibility
/// themselves are rules of the domain, as in Glance's database layer.
fn default_policy() -> Result<Policy> {
    Ok(Policy::new(&[
        ("context_is_admin", "role:admin"),
        ("publicize_image", "role:admin"),
        ("communitize_image", "role:member or role:admin"),
        ("add_image", "role:member or role:admin"),
        ("modify_image", "role:member or role:admin"),
        ("upload_image", "role:member or role:admin"),
        ("delete_image", "role:member or role:admin"),
        ("get_image", "role:reader or role:admin"),
        ("get_images", "role:reader or role:admin"),
        ("download_image", "role:reader or role:admin"),
    ])?)
}

/// The image service: its database, its data files, its policy.
pub struct Images {
    store: Store,
    files: FileStore,
    policy: Policy,
    config: ImageConfig,
}

impl Images {
    /// Builds the service over a migrated store and a data directory.
    pub fn new(store: Store, files: FileStore, config: ImageConfig) -> Result<Self> {
        Ok(Images { store, files, policy: default_policy()?, config })
    }

    /// The settings in force.
    pub fn config(&self) -> &ImageConfig {
        &self.config
    }

    /// Whether `ctx` passes rule `name`.
    fn allowed(&self, ctx: &RequestContext, name: &str) -> Result<bool> {
        Ok(self.policy.enforce(name, &json!({}), &ctx.policy_credentials())?)
    }

    /// Refuses `ctx` unless it passes rule `name`.
    fn enforce(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        if self.allowed(ctx, name)? { Ok(()) } else { Err(Error::Forbidden(format!("You are not authorized to complete {name} action."))) }
    }

    pub(crate) fn is_admin(&self, ctx: &RequestContext) -> Result<bool> {
        self.allowed(ctx, "context_is_admin")
    }
}
