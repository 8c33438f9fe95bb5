//! Image's rules: who sees and changes which image, the status machine, properties,
//! and how data enters and leaves the store. No HTTP and no SQL here.

pub mod error;
pub mod images;
pub mod import;
pub mod list;
pub mod members;
pub mod metadefs;
pub mod patch;
pub mod policy;
pub mod quotas;
pub mod tasks;

pub use error::{Error, Result};
pub use images::{ImageFile, NewImage};
pub use list::{ListQuery, Page};
pub use patch::{Change, PatchDialect};

use common::RequestContext;
use common::policy::Policy;
use serde_json::Value;

use crate::store::{Backends, FileStore, Store, WebSource};
use quotas::QuotaSource;

/// Image settings; each has Glance's default.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// Largest image accepted, in bytes (`image_size_cap`).
    pub image_size_cap: u64,
    /// Images a list returns when no limit is given (`limit_param_default`).
    pub limit_param_default: usize,
    /// Most images a list returns whatever the limit (`api_limit_max`).
    pub api_limit_max: usize,
    /// Ports web-download may fetch from (`[import_filtering_opts] allowed_ports`).
    pub import_allowed_ports: Vec<u16>,
    /// This process among those sharing the database (host and data directory): the
    /// tasks it starts carry it, and at start it fails only its own unfinished tasks.
    pub worker: String,
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig {
            image_size_cap: 1 << 40,
            limit_param_default: 25,
            api_limit_max: 1000,
            import_allowed_ports: vec![80, 443],
            worker: "local".into(),
        }
    }
}

/// The image service: its database, its data files, its policy.
pub struct Images {
    store: Store,
    /// The stores image data lives in.
    backends: Backends,
    /// Where `PUT /stage` keeps data until it is imported.
    staging: FileStore,
    /// Where web-download fetches data from.
    web: WebSource,
    policy: Policy,
    config: ImageConfig,
    /// Unified limits to enforce; `None` leaves projects unlimited.
    quotas: Option<QuotaSource>,
}

impl Images {
    /// Builds the service over a migrated store, the data stores and the staging
    /// directory, under `policy` (Glance's defaults from [`policy::default_policy`]
    /// with any operator overrides).
    pub fn new(store: Store, backends: Backends, staging: FileStore, config: ImageConfig, policy: Policy) -> Result<Self> {
        let web = WebSource::new(config.import_allowed_ports.clone())?;
        Ok(Images { store, backends, staging, web, policy, config, quotas: None })
    }

    /// The data stores.
    pub fn backends(&self) -> &Backends {
        &self.backends
    }

    /// Enforces each project's unified limits from `quotas`.
    pub fn with_quotas(mut self, quotas: QuotaSource) -> Self {
        self.quotas = Some(quotas);
        self
    }

    /// The settings in force.
    pub fn config(&self) -> &ImageConfig {
        &self.config
    }

    /// Whether `ctx` passes rule `name` on `target`.
    fn allowed(&self, ctx: &RequestContext, name: &str, target: &Value) -> Result<bool> {
        Ok(self.policy.enforce(name, target, &ctx.policy_credentials())?)
    }

    /// Refuses `ctx` (403) unless it passes rule `name` on `target`.
    fn enforce(&self, ctx: &RequestContext, name: &str, target: &Value) -> Result<()> {
        if self.allowed(ctx, name, target)? {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("You are not authorized to complete {name} action.")))
        }
    }

    /// Whether `ctx` is an administrator (`context_is_admin`).
    pub(crate) fn is_admin(&self, ctx: &RequestContext) -> Result<bool> {
        self.allowed(ctx, "context_is_admin", &Value::Null)
    }
}
