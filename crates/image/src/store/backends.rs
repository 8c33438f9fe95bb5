//! The stores image data lives in: each a directory of files (a [`FileStore`]). One
//! store, `file`, unless the operator configures several, as Glance's
//! `enabled_backends` does.

use std::path::Path;

use super::FileStore;

/// The name of the only store when no stores are configured.
pub const SINGLE_STORE: &str = "file";

/// One store.
#[derive(Debug, Clone)]
pub struct Backend {
    /// Its identifier, as `stores` and `/v2/info/stores` name it.
    pub id: String,
    /// What the operator says it is for.
    pub description: Option<String>,
    /// Its data.
    pub files: FileStore,
}

/// Every store, and which takes data when a request names none.
#[derive(Debug, Clone)]
pub struct Backends {
    stores: Vec<Backend>,
    default: String,
    multiple: bool,
}

impl Backends {
    /// The single store `file` in `dir`.
    pub fn single(dir: &Path) -> std::io::Result<Backends> {
        let files = FileStore::open(dir)?;
        Ok(Backends {
            stores: vec![Backend { id: SINGLE_STORE.into(), description: None, files }],
            default: SINGLE_STORE.into(),
            multiple: false,
        })
    }

    /// Several stores; `default` must be one of them.
    pub fn multiple(stores: Vec<Backend>, default: &str) -> Result<Backends, String> {
        if !stores.iter().any(|b| b.id == default) {
            return Err(format!("the default store {default:?} is not one of the configured stores"));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = stores.iter().find(|b| !seen.insert(b.id.as_str())) {
            return Err(format!("store {:?} is configured twice", dup.id));
        }
        Ok(Backends { stores, default: default.to_owned(), multiple: true })
    }

    /// Whether the operator configured several stores (Glance's multi-store mode).
    pub fn is_multiple(&self) -> bool {
        self.multiple
    }

    /// The store data goes to when a request names none.
    pub fn default_id(&self) -> &str {
        &self.default
    }

    /// Every store, in configured order.
    pub fn all(&self) -> &[Backend] {
        &self.stores
    }

    /// The store called `id`.
    pub fn get(&self, id: &str) -> Option<&FileStore> {
        self.stores.iter().find(|b| b.id == id).map(|b| &b.files)
    }
}
