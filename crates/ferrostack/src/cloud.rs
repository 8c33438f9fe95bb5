//! Starting a cloud: open each service's database, set up keys, bootstrap, and serve
//! every role on one listener under devstack-style path prefixes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use common::policy::Policy;
use identity::domain::bootstrap::{BootstrapOutcome, BootstrapSpec, ServiceSpec};
use identity::domain::{KeyDirs, fernet_keys, policy_rules};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Layer;

use crate::config::Config;

/// How to start a cloud.
#[derive(Debug, Clone)]
pub struct CloudOptions {
    /// Where databases, keys, policy overrides and client config live.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The host clients use to reach the cloud, when not the listen address.
    pub public_host: Option<String>,
    /// The admin password to set; `None` keeps the existing one or generates one.
    pub admin_password: Option<String>,
    /// Settings.
    pub config: Config,
}

/// A cloud that is serving.
pub struct Cloud {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http://host:port`, where clients reach it.
    pub base_url: String,
    /// What bootstrap did (passwords it set, whether this was the first start).
    pub bootstrap: BootstrapOutcome,
    /// The identity service, for tests and management.
    pub identity: Arc<identity::Identity>,
    /// The bus versioned notifications are sent on: listeners serve
    /// [`bus::INFO_TOPIC`] on it.
    pub notifications: Arc<bus::InProcessBus>,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    background: Vec<JoinHandle<()>>,
    compute_components: ComputeComponents,
}

/// The catalog entries of every role this binary serves, at `base_url`.
pub fn served_services(base_url: &str) -> Vec<ServiceSpec> {
    vec![
        ServiceSpec {
            service_type: "identity".into(),
            name: "keystone".into(),
            url: format!("{base_url}/identity"),
            registered_limits: Vec::new(),
        },
        ServiceSpec {
            service_type: "image".into(),
            name: "glance".into(),
            url: format!("{base_url}/image"),
            registered_limits: image::domain::quotas::REGISTERED_DEFAULTS.iter().map(|(r, d)| ((*r).to_owned(), *d)).collect(),
        },
        ServiceSpec {
            service_type: "compute".into(),
            name: "nova".into(),
            url: format!("{base_url}/compute/v2.1"),
            registered_limits: Vec::new(),
        },
        ServiceSpec {
            service_type: "placement".into(),
            name: "placement".into(),
            url: format!("{base_url}/placement"),
            registered_limits: Vec::new(),
        },
    ]
}

/// The image data stores the configuration names, or the single store `file`.
fn image_backends(data_dir: &Path, settings: &crate::config::ImageSettings) -> anyhow::Result<image::store::Backends> {
    use image::store::{Backend, Backends, FileStore, SINGLE_STORE};
    let default_dir = |id: &str| if id == SINGLE_STORE { data_dir.join("images") } else { data_dir.join("image-stores").join(id) };
    if settings.stores.is_empty() {
        return Backends::single(&default_dir(SINGLE_STORE)).context("image data directory");
    }
    let mut stores = Vec::new();
    for s in &settings.stores {
        let dir = s.path.clone().unwrap_or_else(|| default_dir(&s.id));
        let files = FileStore::open(&dir).with_context(|| format!("image store {} at {}", s.id, dir.display()))?;
        stores.push(Backend { id: s.id.clone(), description: s.description.clone(), files });
    }
    let default = settings.default_store.clone().unwrap_or_else(|| settings.stores[0].id.clone());
    Backends::multiple(stores, &default).map_err(|e| anyhow::anyhow!("[image] stores: {e}"))
}

/// Opens the image service over its database and its data directory (`DATA_DIR/images`).
pub async fn open_image(data_dir: &Path, config: &Config, limits: http_api::Limits) -> anyhow::Result<image::Images> {
    let url = match &config.database.image {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", data_dir.join("image.db").display()),
    };
    let store = image::store::Store::new(db::Database::connect(&url).await?);
    store.migrate().await.context("image database migration")?;
    let backends = image_backends(data_dir, &config.image)?;
    let staging = image::store::FileStore::open(&data_dir.join("image-staging")).context("image staging directory")?;
    let policy = with_overrides(image::domain::policy::default_policy()?, data_dir, &["image-policy.yaml", "image-policy.json"])?;
    let quotas = image::domain::quotas::QuotaSource { limits, region: REGION.into() };
    let host = host_name();
    let data_dir_path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let mut image_config = image::ImageConfig { worker: format!("{host}:{}", data_dir_path.display()), ..Default::default() };
    if let Some(ports) = &config.image.import_allowed_ports {
        image_config.import_allowed_ports = ports.clone();
    }
    let images = image::Images::new(store, backends, staging, image_config, policy)?.with_quotas(quotas);
    let recovered = images.recover_interrupted_tasks().await?;
    if recovered > 0 {
        tracing::warn!(tasks = recovered, "image tasks interrupted by the last stop were marked failed");
    }
    Ok(images)
}

/// Opens placement over its database (`DATA_DIR/placement.db` by default).
pub async fn open_placement(data_dir: &Path, config: &Config) -> anyhow::Result<placement::Placement> {
    let url = match &config.database.placement {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", data_dir.join("placement.db").display()),
    };
    let store = placement::store::Store::new(db::Database::connect(&url).await?);
    store.migrate().await.context("placement database migration")?;
    let policy =
        with_overrides(placement::domain::policy::default_policy()?, data_dir, &["placement-policy.yaml", "placement-policy.json"])?;
    Ok(placement::Placement::new(store, policy).await?)
}

/// How compute's API role and its components reach the other services.
pub struct ComputeConnections {
    /// Placement, as nova's service user.
    pub placement: Arc<client::Placement>,
    /// The image service, as each request's user.
    pub images: Arc<client::Images>,
    /// Where versioned notifications go.
    pub notifier: bus::Notifier,
    /// The API-level bus the superconductor and the scheduler serve on.
    pub api_bus: Arc<dyn bus::Bus>,
}

/// Compute's API role with its cells (cell0 and cell1 on a new cloud) and each cell's
/// bus. Creates the default flavors on a new cloud.
pub async fn open_compute(
    data_dir: &Path,
    config: &Config,
    connections: &ComputeConnections,
) -> anyhow::Result<(compute::Compute, Arc<compute::domain::cells::Cells>, compute::domain::cells::Buses)> {
    let store = open_compute_api(data_dir, config).await?;
    let cells = Arc::new(compute::domain::cells::Cells::open(&store).await?);
    let mut buses = compute::domain::cells::Buses::default();
    for cell in cells.all() {
        let url = &cell.mapping.transport_url;
        if url.starts_with(compute::domain::cells::IN_PROCESS_SCHEME) {
            buses.insert(url, Arc::new(bus::InProcessBus::new()));
        } else if url.starts_with("amqp://") {
            match bus::AmqpBus::connect(url).await {
                Ok(amqp) => buses.insert(url, Arc::new(amqp)),
                Err(e) => {
                    tracing::error!(cell = %cell.mapping.name, error = %e, "the cell's bus cannot be reached: the cell is unavailable")
                }
            }
        } else {
            tracing::error!(cell = %cell.mapping.name, "the cell's bus URL is neither inproc:// nor amqp://: the cell is unavailable");
        }
    }
    let policy = with_overrides(compute::domain::policy::default_policy()?, data_dir, &["compute-policy.yaml", "compute-policy.json"])?;
    let settings =
        compute::domain::ComputeSettings { service_down_time: Duration::from_secs(config.compute.service_down_time), ..Default::default() };
    let api_connections = compute::domain::Connections {
        placement: connections.placement.clone(),
        images: connections.images.clone(),
        superconductor: compute::rpc::SuperconductorClient::new(connections.api_bus.clone()),
        notifier: connections.notifier.clone(),
    };
    let compute = compute::Compute::new(store, cells.clone(), buses.clone(), api_connections, policy, settings);
    compute.bootstrap_flavors().await?;
    Ok((compute, cells, buses))
}

/// The filter scheduler's settings from the configuration; an unknown filter or weigher
/// stops the cloud from starting rather than being ignored.
fn scheduler_settings(config: &Config) -> anyhow::Result<compute::scheduler::SchedulerSettings> {
    let filters = config
        .scheduler
        .enabled_filters
        .iter()
        .map(|name| compute::scheduler::Filter::parse(name).with_context(|| format!("[scheduler] enabled_filters: no filter {name}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let weighers = config
        .scheduler
        .weighers
        .iter()
        .map(|(name, m)| compute::scheduler::Weigher::parse(name, *m).with_context(|| format!("[scheduler] weighers: no weigher {name}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if config.scheduler.max_attempts == 0 {
        anyhow::bail!("[scheduler] max_attempts must be at least 1");
    }
    Ok(compute::scheduler::SchedulerSettings {
        filters,
        weighers,
        max_attempts: config.scheduler.max_attempts,
        service_down_time: Duration::from_secs(config.compute.service_down_time),
        ..Default::default()
    })
}

/// Compute's API database, migrated, with cell0 and cell1 on a new cloud.
pub async fn open_compute_api(data_dir: &Path, config: &Config) -> anyhow::Result<compute::store::Store> {
    let sqlite = |name: &str| format!("sqlite://{}", data_dir.join(name).display());
    let url = config.database.compute_api.clone().unwrap_or_else(|| sqlite("compute_api.db"));
    let store = compute::store::Store::new(db::Database::connect(&url).await?);
    store.migrate().await.context("compute API database migration")?;
    let cell0 = config.database.compute_cell0.clone().unwrap_or_else(|| sqlite("compute_cell0.db"));
    let cell1 = config.database.compute_cell1.clone().unwrap_or_else(|| sqlite("compute_cell1.db"));
    compute::domain::cells::ensure_default_cells(&store, &cell0, &cell1, config.compute.cell1_transport_url.as_deref()).await?;
    Ok(store)
}

/// A URL with its password replaced by `***`, fit to print.
pub fn masked_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// This machine's host name, which its services are registered as.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "localhost".into())
}

/// The compute parts that run beside the API in one process; they stop when dropped.
#[derive(Default)]
struct ComputeComponents {
    _scheduler: Option<bus::Serving>,
    _superconductor: Option<bus::Serving>,
    _conductors: Vec<compute::rpc::ConductorService>,
    _agents: Vec<hypervisor::Agent>,
}

/// Starts the scheduler and the superconductor on the API bus, each compute cell's
/// conductor, and `fake_computes` agents with fake drivers in cell1.
async fn start_compute_components(
    compute: &compute::Compute,
    cells: &Arc<compute::domain::cells::Cells>,
    buses: &compute::domain::cells::Buses,
    connections: &ComputeConnections,
    config: &Config,
) -> anyhow::Result<ComputeComponents> {
    let host = host_name();
    let api_store = compute.api_store().clone();
    let scheduler =
        compute::scheduler::Scheduler::new(api_store.clone(), cells.clone(), connections.placement.clone(), scheduler_settings(config)?);
    let api_bus = connections.api_bus.as_ref();
    let scheduler = api_bus.serve(compute::rpc::SCHEDULER_TOPIC, &host, Arc::new(scheduler)).await?;
    let scheduler_client = compute::rpc::SchedulerClient::new(connections.api_bus.clone(), SERVICE_CALL_TIMEOUT);
    let superconductor =
        compute::rpc::Superconductor::new(api_store, cells.clone(), buses.clone(), scheduler_client, connections.placement.clone());
    let superconductor = api_bus.serve(compute::rpc::CONDUCTOR_TOPIC, &host, Arc::new(superconductor)).await?;

    let config = &config.compute;
    let report_interval = Duration::from_secs(config.report_interval);
    let mut conductors = Vec::new();
    let mut agents = Vec::new();
    for cell in cells.compute_cells() {
        let (Ok(store), Ok(bus)) = (cell.store(), buses.of(cell)) else { continue };
        let publisher = connections.notifier.as_publisher(&format!("nova-conductor:{host}"));
        let conductor =
            compute::rpc::Conductor::serve(store.clone(), bus.clone(), publisher, connections.placement.clone(), &host, report_interval);
        conductors.push(conductor.await?);
        if cell.mapping.name != "cell1" {
            continue;
        }
        let size = hypervisor::FakeHostSize {
            vcpus: config.fake_host_vcpus,
            memory_mb: config.fake_host_memory_mb,
            local_gb: config.fake_host_local_gb,
        };
        for i in 1..=config.fake_computes {
            let name = if config.fake_computes == 1 { host.clone() } else { format!("{host}-{i}") };
            let settings = hypervisor::AgentSettings {
                report_interval,
                resource_interval: Duration::from_secs(config.resource_interval),
                ..hypervisor::AgentSettings::for_host(&name)
            };
            let conductor = compute::rpc::ConductorClient::new(bus.clone(), SERVICE_CALL_TIMEOUT);
            let driver = hypervisor::FakeDriver::new(&name, size);
            let driver = Arc::new(if i <= config.fake_broken_computes { driver.broken() } else { driver });
            let agent_connections = hypervisor::AgentConnections {
                bus: bus.clone(),
                conductor,
                placement: connections.placement.clone(),
                images: connections.images.clone(),
                notifier: connections.notifier.clone(),
            };
            agents.push(hypervisor::Agent::start(settings, driver, agent_connections).await?);
        }
    }
    Ok(ComputeComponents { _scheduler: Some(scheduler), _superconductor: Some(superconductor), _conductors: conductors, _agents: agents })
}

/// Maps new compute hosts to their cells every `interval`.
fn spawn_host_discovery(compute: Arc<compute::Compute>, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            if let Err(e) = compute.discover_hosts().await {
                tracing::warn!(error = %e, "host discovery failed");
            }
        }
    })
}

/// Every call one service makes to another gives up after this long.
const SERVICE_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The region the cloud bootstraps and its services live in.
pub const REGION: &str = "RegionOne";

/// A service's default policy with the operator's files from the data directory
/// (`names`, in order) applied over it.
fn with_overrides(mut policy: Policy, data_dir: &Path, names: &[&str]) -> anyhow::Result<Policy> {
    for name in names {
        let path = data_dir.join(name);
        if path.exists() {
            policy.apply_file(&path)?;
            tracing::info!(path = %path.display(), "policy overrides applied");
        }
    }
    Ok(policy)
}

/// Opens identity over its database and keys, creating keys on first use.
pub async fn open_identity(data_dir: &Path, config: &Config, public_url: &str) -> anyhow::Result<identity::Identity> {
    let url = match &config.database.identity {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", data_dir.join("identity.db").display()),
    };
    let db = db::Database::connect(&url).await?;
    let store = identity::store::Store::new(db);
    store.migrate().await.context("identity database migration")?;
    let keys = KeyDirs { tokens: data_dir.join("fernet-keys"), credentials: data_dir.join("credential-keys") };
    fernet_keys::setup(&keys.tokens)?;
    fernet_keys::setup(&keys.credentials)?;
    let policy = with_overrides(policy_rules::default_policy()?, data_dir, &["policy.yaml", "policy.json"])?;
    Ok(identity::Identity::new(store, config.identity.clone(), keys, policy, public_url.to_owned()).await?)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

impl Cloud {
    /// Starts every role and returns once the listener accepts requests.
    pub async fn start(opts: CloudOptions) -> anyhow::Result<Cloud> {
        std::fs::create_dir_all(&opts.data_dir).with_context(|| format!("creating {}", opts.data_dir.display()))?;
        let listener = TcpListener::bind(opts.listen).await.with_context(|| format!("listening on {}", opts.listen))?;
        let addr = listener.local_addr()?;
        let host = match &opts.public_host {
            Some(h) => h.clone(),
            None if addr.ip().is_unspecified() => "127.0.0.1".to_owned(),
            None => addr.ip().to_string(),
        };
        let base_url = format!("http://{host}:{}", addr.port());
        let identity = Arc::new(open_identity(&opts.data_dir, &opts.config, &format!("{base_url}/identity")).await?);
        let service_users = crate::service_users::load_all(&opts.data_dir)?;
        let spec = BootstrapSpec {
            admin_password: opts.admin_password.clone(),
            region: REGION.into(),
            services: served_services(&base_url),
            service_users: service_users.clone(),
        };
        let bootstrap = identity.bootstrap(&spec).await?;
        crate::clouds::write(&opts.data_dir, &base_url, &bootstrap.passwords)?;

        let images = Arc::new(open_image(&opts.data_dir, &opts.config, identity.clone()).await?);
        let image_state =
            image::AppState { images: images.clone(), validator: identity.clone(), endpoint: format!("{base_url}/image").into() };
        let placement_state = placement::AppState {
            placement: Arc::new(open_placement(&opts.data_dir, &opts.config).await?),
            validator: identity.clone(),
            endpoint: format!("{base_url}/placement").into(),
        };
        let nova = service_users.iter().find(|u| u.name == "nova").context("nova's service user")?;
        let credentials = client::ServiceCredentials {
            username: nova.name.clone(),
            password: nova.password.clone(),
            user_domain_name: "Default".into(),
            project_name: "service".into(),
            project_domain_name: "Default".into(),
        };
        let session = Arc::new(client::Session::new(&format!("{base_url}/identity"), credentials, SERVICE_CALL_TIMEOUT)?);
        let notifications = Arc::new(bus::InProcessBus::new());
        let connections = ComputeConnections {
            placement: Arc::new(client::Placement::new(session.clone(), REGION)),
            images: Arc::new(client::Images::new(session, REGION)),
            notifier: bus::Notifier::new(notifications.clone(), &format!("nova-api:{}", host_name())),
            api_bus: Arc::new(bus::InProcessBus::new()),
        };
        let (compute, cells, buses) = open_compute(&opts.data_dir, &opts.config, &connections).await?;
        let compute = Arc::new(compute);
        let compute_state =
            compute::AppState { compute: compute.clone(), validator: identity.clone(), endpoint: format!("{base_url}/compute").into() };
        // Keystone answers `/v3` and `/v3/` alike, so identity's paths lose a trailing
        // slash; Glance does not (`GET /v2/images/` names no image), so image's keep it.
        let identity_app = tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash()
            .layer(identity::router(identity::AppState::new(identity.clone())));
        let router = Router::new()
            .nest_service("/identity", identity_app)
            .nest_service("/image", image::router(image_state))
            .nest_service("/placement", placement::router(placement_state))
            .nest_service("/compute", compute::router(compute_state))
            .fallback(|| async { http_api::keystone_error(axum::http::StatusCode::NOT_FOUND, "No service is served at this path.") })
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(http_api::error::panic_response))
            .layer(axum::middleware::from_fn(http_api::request_id::middleware));
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        let compute_components = start_compute_components(&compute, &cells, &buses, &connections, &opts.config).await?;
        let background = vec![
            spawn_revocation_sync(identity.clone()),
            spawn_task_purge(images),
            spawn_host_discovery(compute, Duration::from_secs(opts.config.compute.discover_hosts_interval)),
        ];
        Ok(Cloud { addr, base_url, bootstrap, identity, notifications, shutdown: Some(tx), server, background, compute_components })
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for task in &self.background {
            task.abort();
        }
        self.compute_components = ComputeComponents::default();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.server).await??;
        Ok(())
    }
}

/// Forgets image tasks whose time to live has passed, hourly.
fn spawn_task_purge(images: Arc<image::Images>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match images.purge_expired_tasks().await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired image tasks removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging expired image tasks failed"),
            }
        }
    })
}

/// Picks up revocations other processes record and keys `fernet-rotate` wrote, and
/// forgets expired revocation events.
fn spawn_revocation_sync(identity: Arc<identity::Identity>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            ticks += 1;
            if let Err(e) = identity.refresh_revocations().await {
                tracing::warn!(error = %e, "refreshing revocation events failed");
            }
            if ticks.is_multiple_of(30)
                && let Err(e) = identity.reload_keys()
            {
                tracing::warn!(error = %e, "reloading Fernet keys failed");
            }
            if ticks.is_multiple_of(1800) {
                match identity.prune_revocations().await {
                    Ok(n) if n > 0 => tracing::info!(pruned = n, "expired revocation events removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "pruning revocation events failed"),
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::masked_url;

    #[test]
    fn urls_lose_only_their_password() {
        assert_eq!(masked_url("mysql://nova:s3cret@db:3306/nova_cell1"), "mysql://nova:***@db:3306/nova_cell1");
        assert_eq!(masked_url("sqlite:///var/lib/f/compute_cell1.db"), "sqlite:///var/lib/f/compute_cell1.db");
        assert_eq!(masked_url("inproc://cell1"), "inproc://cell1");
        assert_eq!(masked_url("amqp://guest@rabbit:5672/"), "amqp://guest@rabbit:5672/");
    }
}
