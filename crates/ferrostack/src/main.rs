//! `ferrostack`: run a cloud, or manage one.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ferrostack::cloud::{REGION, open_identity, served_services, shutdown_signal};
use ferrostack::{Cloud, CloudOptions, Config};
use identity::domain::bootstrap::BootstrapSpec;
use identity::domain::fernet_keys;

#[derive(Parser)]
#[command(name = "ferrostack", version, about = "OpenStack, rebuilt in Rust: one binary, a whole cloud.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Common {
    /// Where databases, Fernet keys, policy overrides and client config live.
    #[arg(long, default_value = "./ferrostack-data", env = "FERROSTACK_DATA_DIR")]
    data_dir: PathBuf,
    /// Configuration file (TOML); `DATA_DIR/ferrostack.toml` when present otherwise.
    #[arg(long, env = "FERROSTACK_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run every role in one process.
    Up {
        #[command(flatten)]
        common: Common,
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Host name clients use to reach the cloud, if not the listen address.
        #[arg(long)]
        public_host: Option<String>,
        /// Admin password; generated and printed once on first start when not given.
        #[arg(long, env = "FERROSTACK_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Compute hosts with the fake driver to run in this process (default 1, or
        /// `[compute] fake_computes`).
        #[arg(long)]
        fake_computes: Option<usize>,
    },
    /// Administrative tasks.
    Manage {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        task: Task,
    },
}

#[derive(Subcommand)]
enum Task {
    /// Create or upgrade every service's database schema.
    DbSync,
    /// Create the default domain, projects, users, roles and catalog (idempotent).
    Bootstrap {
        /// Admin password to set; generated when the admin user does not exist yet.
        #[arg(long, env = "FERROSTACK_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Base URL the catalog should point at.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
    /// Create the Fernet key repository if it does not exist.
    FernetSetup,
    /// Rotate the Fernet keys: the staged key becomes primary.
    FernetRotate,
    /// Create the credential key repository (keys that encrypt credential blobs) if it
    /// does not exist.
    CredentialSetup,
    /// Rotate the credential keys; refused until every credential is encrypted with the
    /// primary key (run `credential-migrate` after each rotation).
    CredentialRotate,
    /// Re-encrypt every credential not encrypted with the primary credential key.
    CredentialMigrate,
    /// Compute cells (Nova's `nova-manage cell_v2`).
    #[command(subcommand)]
    Cell(CellTask),
}

#[derive(Subcommand)]
enum CellTask {
    /// List the cells, with their database and bus (passwords masked).
    List,
    /// Add a cell with its own database and bus.
    Create {
        /// The cell's name.
        #[arg(long)]
        name: String,
        /// Its database URL; `sqlite://DATA_DIR/compute_<name>.db` by default.
        #[arg(long)]
        database: Option<String>,
        /// Its bus URL; its own in-process bus (`inproc://<name>`) by default.
        #[arg(long)]
        transport_url: Option<String>,
    },
    /// Delete a cell no host is mapped to.
    Delete {
        /// The cell's uuid.
        #[arg(long)]
        uuid: String,
    },
    /// Map compute hosts that have reported to their cells.
    DiscoverHosts,
}

/// `ferrostack manage cell ...`.
async fn manage_cell(data_dir: &std::path::Path, config: &Config, task: CellTask) -> anyhow::Result<()> {
    use compute::domain::cells;
    let api = ferrostack::cloud::open_compute_api(data_dir, config).await?;
    match task {
        CellTask::List => {
            let hosts = api.list_host_mappings().await?;
            for c in api.list_cells().await? {
                let count = hosts.iter().filter(|h| h.cell_uuid == c.uuid).count();
                let db = ferrostack::cloud::masked_url(&c.database_connection);
                println!(
                    "{}  {:<12} hosts: {count:<4} database: {db}  bus: {}",
                    c.uuid,
                    c.name,
                    ferrostack::cloud::masked_url(&c.transport_url)
                );
            }
        }
        CellTask::Create { name, database, transport_url } => {
            let database = database.unwrap_or_else(|| format!("sqlite://{}", data_dir.join(format!("compute_{name}.db")).display()));
            let transport = transport_url.unwrap_or_else(|| format!("{}{name}", cells::IN_PROCESS_SCHEME));
            let cell = cells::create_cell(&api, &name, &database, &transport).await?;
            println!("created cell {} ({}); running clouds open it at their next start", cell.name, cell.uuid);
        }
        CellTask::Delete { uuid } => {
            cells::delete_cell(&api, &uuid).await?;
            println!("deleted cell {uuid}");
        }
        CellTask::DiscoverHosts => {
            let opened = cells::Cells::open(&api).await?;
            let mapped = cells::discover_hosts(&api, &opened).await?;
            println!("{mapped} new host(s) mapped to their cell");
        }
    }
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERROSTACK_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    // Colour only for a person at a terminal: log files and journals get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).init();
}

async fn up(
    common: Common,
    listen: SocketAddr,
    public_host: Option<String>,
    admin_password: Option<String>,
    fake_computes: Option<usize>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut config = Config::load(common.config.as_deref(), &common.data_dir)?;
    if let Some(n) = fake_computes {
        config.compute.fake_computes = n;
    }
    let opts = CloudOptions { data_dir: common.data_dir.clone(), listen, public_host, admin_password, config };
    let cloud = Cloud::start(opts).await?;
    let clouds_yaml = std::fs::canonicalize(common.data_dir.join("clouds.yaml")).unwrap_or_else(|_| common.data_dir.join("clouds.yaml"));
    println!("Ferrostack is up at {} ({} ms)", cloud.base_url, started.elapsed().as_millis());
    println!("  identity: {}/identity/v3", cloud.base_url);
    for (user, password) in cloud.bootstrap.passwords.iter().filter(|(u, _)| cloud.bootstrap.generated.contains(u)) {
        println!("  password of {user}: {password}  (shown once; also in {})", clouds_yaml.display());
    }
    println!("Use it with the openstack CLI:");
    println!("  export OS_CLIENT_CONFIG_FILE={}", clouds_yaml.display());
    println!("  openstack --os-cloud ferrostack-admin token issue");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    cloud.stop().await
}

async fn manage(common: Common, task: Task) -> anyhow::Result<()> {
    let config = Config::load(common.config.as_deref(), &common.data_dir)?;
    std::fs::create_dir_all(&common.data_dir)?;
    let keys = common.data_dir.join("fernet-keys");
    let credential_keys = common.data_dir.join("credential-keys");
    match task {
        Task::FernetSetup => {
            let created = fernet_keys::setup(&keys)?;
            println!("{} {}", if created { "created" } else { "kept existing keys in" }, keys.display());
        }
        Task::FernetRotate => {
            fernet_keys::rotate(&keys, config.identity.max_active_keys)?;
            println!("rotated keys in {}; running servers pick them up within a minute", keys.display());
        }
        Task::CredentialSetup => {
            let created = fernet_keys::setup(&credential_keys)?;
            println!("{} {}", if created { "created" } else { "kept existing keys in" }, credential_keys.display());
        }
        Task::CredentialRotate => {
            let identity = open_identity(&common.data_dir, &config, "http://127.0.0.1:8080/identity").await?;
            identity.rotate_credential_keys().await?;
            println!("rotated keys in {}; run `ferrostack manage credential-migrate` next", credential_keys.display());
        }
        Task::CredentialMigrate => {
            let identity = open_identity(&common.data_dir, &config, "http://127.0.0.1:8080/identity").await?;
            let rewritten = identity.migrate_credentials().await?;
            println!("{rewritten} credential(s) re-encrypted with the primary credential key");
        }
        Task::Cell(cell_task) => manage_cell(&common.data_dir, &config, cell_task).await?,
        Task::DbSync => {
            open_identity(&common.data_dir, &config, "http://127.0.0.1:8080/identity").await?;
            println!("identity schema is up to date");
            let api = ferrostack::cloud::open_compute_api(&common.data_dir, &config).await?;
            for cell in compute::domain::cells::Cells::open(&api).await?.all() {
                cell.store().map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            println!("compute API and cell schemas are up to date");
        }
        Task::Bootstrap { admin_password, public_url } => {
            let public_url = public_url.trim_end_matches('/').to_owned();
            let identity = open_identity(&common.data_dir, &config, &format!("{public_url}/identity")).await?;
            let spec = BootstrapSpec {
                admin_password,
                region: REGION.into(),
                services: served_services(&public_url),
                service_users: ferrostack::service_users::load_all(&common.data_dir)?,
            };
            let outcome = identity.bootstrap(&spec).await?;
            ferrostack::clouds::write(&common.data_dir, &public_url, &outcome.passwords).context("writing clouds.yaml")?;
            println!("bootstrap done{}", if outcome.first { " (first time)" } else { "" });
            for (user, password) in outcome.passwords.iter().filter(|(u, _)| outcome.generated.contains(u)) {
                println!("  password of {user}: {password}  (shown once; also in clouds.yaml)");
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    match Cli::parse().command {
        Command::Up { common, listen, public_host, admin_password, fake_computes } => {
            up(common, listen, public_host, admin_password, fake_computes).await
        }
        Command::Manage { common, task } => manage(common, task).await,
    }
}
