//! Placement's rules: what may be created, changed and allocated, under which
//! microversion, and how allocation candidates are found. No HTTP, no SQL.

pub mod aggregates;
pub mod allocations;
pub mod candidates;
pub mod inventories;
pub mod policy;
pub mod providers;
pub mod query;
pub mod resource_classes;
pub mod traits;

use common::RequestContext;
use common::policy::Policy;
use serde_json::{Value, json};

use crate::store::{Store, StoreError, WriteRefused};

/// The newest microversion served (`1.39`), by its minor number.
pub const MAX_MINOR: u16 = 39;

/// A Placement microversion `1.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u16);

impl Version {
    /// Whether this is `1.minor` or newer.
    pub fn at_least(self, minor: u16) -> bool {
        self.0 >= minor
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "1.{}", self.0)
    }
}

/// The machine-readable `code` of an error (from 1.23), as Placement names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Nothing more specific.
    Undefined,
    /// A generation changed since the caller read it: read again and retry.
    ConcurrentUpdate,
    /// Inventory that allocations still use.
    InventoryInUse,
    /// A provider name or uuid that exists already.
    DuplicateName,
    /// A provider that allocations still use.
    ProviderInUse,
    /// A provider that still has children.
    CannotDeleteParent,
    /// A provider named in a body that does not exist.
    ProviderNotFound,
    /// A query parameter given twice that may be given once.
    DuplicateKey,
    /// A query parameter whose value cannot be used.
    BadValue,
    /// A query that lacks a parameter it needs.
    MissingValue,
}

impl Code {
    /// The code as it appears in an error body.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Undefined => "placement.undefined_code",
            Code::ConcurrentUpdate => "placement.concurrent_update",
            Code::InventoryInUse => "placement.inventory.inuse",
            Code::DuplicateName => "placement.duplicate_name",
            Code::ProviderInUse => "placement.resource_provider.inuse",
            Code::CannotDeleteParent => "placement.resource_provider.cannot_delete_parent",
            Code::ProviderNotFound => "placement.resource_provider.not_found",
            Code::DuplicateKey => "placement.query.duplicate_key",
            Code::BadValue => "placement.query.bad_value",
            Code::MissingValue => "placement.query.missing_value",
        }
    }
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input (400).
    #[error("{message}")]
    BadRequest { code: Code, message: String },
    /// Policy refused (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there (404).
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method (405).
    #[error("The method specified is not allowed for this resource.")]
    MethodNotAllowed,
    /// The body is not JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The state does not allow it (409).
    #[error("{message}")]
    Conflict { code: Code, message: String },
    /// Placement has this, Ferrostack not yet (501).
    #[error("{0}")]
    NotImplemented(String),
    /// The database failed (500).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A rule could not be evaluated (500).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A 400 without a specific code.
    pub fn bad(message: impl Into<String>) -> Self {
        Error::BadRequest { code: Code::Undefined, message: message.into() }
    }

    /// A 409.
    pub fn conflict(code: Code, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into() }
    }
}

/// Domain result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A refused write that no handler turned into something more specific.
impl From<WriteRefused> for Error {
    fn from(w: WriteRefused) -> Self {
        match w {
            WriteRefused::NoProvider(u) => Error::NotFound(format!("No resource provider with uuid {u} found")),
            WriteRefused::ProviderGeneration(_) => Error::conflict(
                Code::ConcurrentUpdate,
                "Resource provider's generation already changed. Please update the generation and try again.",
            ),
            WriteRefused::ConsumerGeneration(c) => Error::conflict(Code::ConcurrentUpdate, format!("consumer generation conflict for {c}")),
            WriteRefused::InventoryInUse { provider, classes } => Error::conflict(
                Code::InventoryInUse,
                format!("Inventory for '{}' on resource provider '{provider}' in use.", classes.join(", ")),
            ),
            WriteRefused::Rule(r) => Error::conflict(Code::Undefined, r),
            WriteRefused::Store(s) => Error::Store(s),
        }
    }
}

/// The placement service.
pub struct Placement {
    store: Store,
    policy: Policy,
}

impl Placement {
    /// Serves `store` (migrated) under `policy`, writing the standard resource classes
    /// and traits that are missing.
    pub async fn new(store: Store, policy: Policy) -> Result<Self> {
        store.sync_standard_classes(&resource_classes::standard()).await?;
        store.sync_standard_traits(&traits::standard()).await?;
        Ok(Placement { store, policy })
    }

    /// Checks `rule` for the caller; `target` carries what the rule may compare with.
    fn authorize(&self, ctx: &RequestContext, rule: &str, target: Value) -> Result<()> {
        let creds = ctx.policy_credentials();
        match self.policy.enforce(rule, &target, &creds) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::Forbidden(format!("Policy does not allow {rule} to be performed."))),
            Err(e) => Err(Error::Internal(format!("policy rule {rule} cannot be evaluated: {e}"))),
        }
    }

    /// Checks a rule whose target is the caller's own project.
    fn authorize_plain(&self, ctx: &RequestContext, rule: &str) -> Result<()> {
        self.authorize(ctx, rule, json!({"project_id": ctx.project_id()}))
    }

    /// The store, for the domain's modules.
    fn store(&self) -> &Store {
        &self.store
    }
}

/// The text of a provider that does not exist, as Placement words it.
fn no_provider(uuid: &str) -> Error {
    Error::NotFound(format!("No resource provider with uuid {uuid} found"))
}
