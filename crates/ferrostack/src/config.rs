//! The configuration file (TOML). Every setting has a default, so a cloud runs without
//! one; `DATA_DIR/ferrostack.toml` is read when present.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where each service's database is; SQLite files in the data directory by default.
    pub database: DatabaseConfig,
    /// Identity settings (Keystone's `[token]`, `[security_compliance]`, ...).
    pub identity: identity::IdentityConfig,
    /// Image settings: where image data is stored.
    pub image: ImageSettings,
    /// Compute settings: heartbeats, host discovery, the fake hosts `up` runs.
    pub compute: ComputeConfig,
    /// The filter scheduler's filters and weighers (Nova's `[filter_scheduler]`).
    pub scheduler: SchedulerConfig,
}

/// The filter scheduler's settings, named as in Nova.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerConfig {
    /// The filters hosts pass, in order (`ComputeFilter`, `AvailabilityZoneFilter`, ...).
    pub enabled_filters: Vec<String>,
    /// Each weigher (`RAMWeigher`, `CPUWeigher`, ...) with its multiplier.
    pub weighers: std::collections::BTreeMap<String, f64>,
    /// Hosts tried per instance: the chosen one and its alternates.
    pub max_attempts: usize,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            enabled_filters: compute::scheduler::DEFAULT_FILTERS.iter().map(|f| f.name().to_owned()).collect(),
            weighers: compute::scheduler::DEFAULT_WEIGHERS.iter().map(|w| (w.name().to_owned(), 1.0)).collect(),
            max_attempts: 3,
        }
    }
}

/// Compute's settings (Nova's `report_interval`, `service_down_time`, ...), in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComputeConfig {
    /// Fake compute hosts `ferrostack up` runs in its own process (`--fake-computes`).
    pub fake_computes: usize,
    /// How many of those fake hosts fail every build (the first ones), to watch builds
    /// being rescheduled to alternate hosts.
    pub fake_broken_computes: usize,
    /// Each fake host's vCPUs, memory (MiB) and disk (GiB).
    pub fake_host_vcpus: i64,
    pub fake_host_memory_mb: i64,
    pub fake_host_local_gb: i64,
    /// How often services send heartbeats.
    pub report_interval: u64,
    /// How old a service's last heartbeat may be before it counts as down.
    pub service_down_time: u64,
    /// How often agents report their resources.
    pub resource_interval: u64,
    /// How often new compute hosts are mapped to their cell.
    pub discover_hosts_interval: u64,
    /// cell1's bus when the cells are first created: `amqp://user:password@host/vhost`
    /// (one vhost per cell); its own in-process bus when unset.
    pub cell1_transport_url: Option<String>,
}

impl Default for ComputeConfig {
    fn default() -> Self {
        ComputeConfig {
            fake_computes: 1,
            fake_broken_computes: 0,
            fake_host_vcpus: 32,
            fake_host_memory_mb: 131_072,
            fake_host_local_gb: 2048,
            report_interval: 10,
            service_down_time: 60,
            resource_interval: 60,
            discover_hosts_interval: 30,
            cell1_transport_url: None,
        }
    }
}

/// Image data stores, as Glance's `enabled_backends`. None configured means one store,
/// `file`, in `DATA_DIR/images`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageSettings {
    /// The stores, in order (`[[image.stores]]`).
    pub stores: Vec<StoreSettings>,
    /// The store data goes to when a request names none; the first store by default.
    pub default_store: Option<String>,
    /// Ports `web-download` may fetch from (Glance's `[import_filtering_opts]
    /// allowed_ports`); 80 and 443 by default.
    pub import_allowed_ports: Option<Vec<u16>>,
}

/// One image data store: a directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// Its identifier, as clients name it.
    pub id: String,
    /// What it is for, shown by `GET /v2/info/stores`.
    pub description: Option<String>,
    /// Its directory; `DATA_DIR/images` for a store called `file`, else
    /// `DATA_DIR/image-stores/<id>`.
    pub path: Option<PathBuf>,
}

/// Database URLs per service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Identity's database URL (`sqlite://`, `postgres://` or `mysql://`).
    pub identity: Option<String>,
    /// Image's database URL.
    pub image: Option<String>,
    /// Placement's database URL.
    pub placement: Option<String>,
    /// Compute's API database URL (flavors, key pairs, cell and host mappings).
    pub compute_api: Option<String>,
    /// cell0's database URL, used when the cells are first created.
    pub compute_cell0: Option<String>,
    /// cell1's database URL, used when the cells are first created.
    pub compute_cell1: Option<String>,
}

impl Config {
    /// Reads `path`, or the data directory's `ferrostack.toml` when `path` is `None`
    /// (defaults when that file does not exist).
    pub fn load(path: Option<&Path>, data_dir: &Path) -> anyhow::Result<Self> {
        let (path, required): (PathBuf, bool) = match path {
            Some(p) => (p.to_owned(), true),
            None => (data_dir.join("ferrostack.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Config::default()),
            Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_file_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(None, dir.path()).unwrap();
        assert_eq!(config.identity.token_expiration, 3600);
        std::fs::write(
            dir.path().join("ferrostack.toml"),
            "[identity]\ntoken_expiration = 60\n[identity.security_compliance]\nlockout_failure_attempts = 3\n",
        )
        .unwrap();
        let config = Config::load(None, dir.path()).unwrap();
        assert_eq!(config.identity.token_expiration, 60);
        assert_eq!(config.identity.security_compliance.lockout_failure_attempts, Some(3));
        std::fs::write(dir.path().join("ferrostack.toml"), "[identity]\ntoken_expiry = 60\n").unwrap();
        let err = Config::load(None, dir.path()).unwrap_err().to_string();
        assert!(err.contains("ferrostack.toml") && err.contains("token_expiry"), "{err}");
        assert!(Config::load(Some(&dir.path().join("missing.toml")), dir.path()).is_err());
    }
}
