//! Identity's rules: authentication, tokens, revocation, role resolution, and the
//! invariants of every resource. No HTTP and no SQL here.

pub mod auth;
pub mod bootstrap;
mod cache;
pub mod config;
pub mod endpoint_filter;
pub mod error;
pub mod fernet_keys;
pub mod limits;
pub mod policy_rules;
pub mod revocation;
pub mod roles;
pub mod tokens;
pub mod trusts;

mod app_creds;
mod catalog;
mod credentials;
mod passwords;
mod projects;
mod users;

pub use app_creds::{NewAccessRule, NewAppCred};
pub use catalog::CatalogEntry;
pub use config::{IdentityConfig, SecurityCompliance};
pub use credentials::{Credential, ec2_credential_id};
pub use error::{Error, Result};
pub use tokens::{TokenData, TokenScope};

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::policy::Policy;
use parking_lot::RwLock;
use serde_json::Value;

use crate::store::{DomainRow, ProjectRow, RevocationRow, Store};
use cache::GenerationCache;
use revocation::RevocationIndex;

/// Where the two Fernet key repositories are: one seals tokens, the other credential
/// blobs, so either can rotate on its own schedule.
#[derive(Debug, Clone)]
pub struct KeyDirs {
    /// Token keys (Keystone's `[fernet_tokens] key_repository`).
    pub tokens: PathBuf,
    /// Credential keys (Keystone's `[credential] key_repository`).
    pub credentials: PathBuf,
}

/// Tokens kept validated in memory.
const TOKEN_CACHE_SIZE: usize = 16_384;

/// Domain and project names kept resolved in memory.
const NAME_CACHE_SIZE: usize = 4_096;

/// The identity service: its store, keys, revocation index, policy and caches.
pub struct Identity {
    store: Store,
    config: IdentityConfig,
    key_dir: PathBuf,
    keys: RwLock<Arc<fernet_keys::LoadedKeys>>,
    credential_key_dir: PathBuf,
    credential_keys: RwLock<Arc<fernet_keys::LoadedKeys>>,
    /// What both key repositories held when last loaded, to notice a rotation.
    keys_digest: RwLock<[u8; 32]>,
    revocations: RwLock<RevocationIndex>,
    /// Bumped by every write that can change what a token means (roles, users,
    /// projects, catalog); cached token data and catalogs from older generations are
    /// recomputed.
    generation: AtomicU64,
    /// Validated tokens by their text: a token found here was opened by a key that is
    /// still loaded, since reloading changed keys starts a new generation.
    token_cache: GenerationCache<String, Arc<TokenData>>,
    resolve_cache: GenerationCache<tokens::ResolveKey, Arc<TokenData>>,
    domains_by_name: GenerationCache<String, DomainRow>,
    /// Projects by (domain id, name).
    projects_by_name: GenerationCache<(String, String), ProjectRow>,
    catalog_cache: RwLock<Option<(u64, Arc<Value>)>>,
    endpoint_filter_cache: RwLock<Option<(u64, Arc<endpoint_filter::EndpointFilter>)>>,
    policy: Policy,
    public_url: String,
}

impl Identity {
    /// Builds the service over a migrated store and its key repositories.
    pub async fn new(store: Store, config: IdentityConfig, keys: KeyDirs, policy: Policy, public_url: String) -> Result<Self> {
        let KeyDirs { tokens: key_dir, credentials: credential_key_dir } = keys;
        let keys = fernet_keys::load(&key_dir).map_err(|e| Error::Internal(e.to_string()))?;
        let credential_keys = fernet_keys::load(&credential_key_dir).map_err(|e| Error::Internal(e.to_string()))?;
        let keys_digest = fernet_keys::digest([&keys, &credential_keys]);
        let identity = Identity {
            store,
            config,
            key_dir,
            keys: RwLock::new(Arc::new(keys)),
            credential_key_dir,
            credential_keys: RwLock::new(Arc::new(credential_keys)),
            keys_digest: RwLock::new(keys_digest),
            revocations: RwLock::new(RevocationIndex::default()),
            generation: AtomicU64::new(0),
            token_cache: GenerationCache::new(TOKEN_CACHE_SIZE),
            resolve_cache: GenerationCache::new(TOKEN_CACHE_SIZE),
            domains_by_name: GenerationCache::new(NAME_CACHE_SIZE),
            projects_by_name: GenerationCache::new(NAME_CACHE_SIZE),
            catalog_cache: RwLock::new(None),
            endpoint_filter_cache: RwLock::new(None),
            policy,
            public_url,
        };
        identity.refresh_revocations().await?;
        Ok(identity)
    }

    /// The store, for bootstrap and tests.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings in force.
    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The public identity endpoint (`http://host:port/identity`).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Marks cached token data and catalogs stale after a write.
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Re-reads both key repositories, after a rotation by this or another process.
    /// Changed keys start a new generation, so no token is taken on the word of a key
    /// that is gone.
    pub fn reload_keys(&self) -> Result<()> {
        let keys = fernet_keys::load(&self.key_dir).map_err(|e| Error::Internal(e.to_string()))?;
        let credential_keys = fernet_keys::load(&self.credential_key_dir).map_err(|e| Error::Internal(e.to_string()))?;
        let digest = fernet_keys::digest([&keys, &credential_keys]);
        if *self.keys_digest.read() == digest {
            return Ok(());
        }
        *self.keys.write() = Arc::new(keys);
        *self.credential_keys.write() = Arc::new(credential_keys);
        *self.keys_digest.write() = digest;
        self.changed();
        Ok(())
    }

    /// Records a revocation event and applies it at once.
    async fn revoke(&self, event: RevocationRow) -> Result<()> {
        self.store.create_revocation(&event).await?;
        self.revocations.write().insert(&event);
        Ok(())
    }

    /// Loads events other processes recorded since the last refresh. Such an event
    /// follows a write this process did not see (a role removed, a user disabled), so
    /// it also starts a new generation.
    pub async fn refresh_revocations(&self) -> Result<()> {
        let since = self.revocations.read().latest_revoked_at();
        let events = self.store.list_revocations_since(since).await?;
        let mut index = self.revocations.write();
        let mut news = false;
        for e in &events {
            news |= index.insert(e);
        }
        if news {
            self.changed();
        }
        Ok(())
    }

    /// Deletes revocation events no live token can match any more.
    pub async fn prune_revocations(&self) -> Result<u64> {
        let horizon = self.config.token_expiration + self.config.allow_expired_window;
        let cut = common::time::now_micros() - horizon * 1_000_000;
        Ok(self.store.prune_revocations(cut).await?)
    }
}
