//! Cells v2: cell0 holds instances that were never scheduled, the other cells hold
//! hosts and their instances, each with its own database. A cell whose database cannot
//! be reached fails only the requests that need it, with an error naming it.

use std::collections::BTreeMap;

use super::{Compute, Error, Result};
use crate::store::cell::CellStore;
use crate::store::{CellMappingRow, Store};

/// cell0's fixed uuid, as Nova fixes it.
pub const CELL0_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// The scheme of in-process buses: `inproc://<cell name>`, one bus per cell, so cells
/// in one process stay as apart as cells on separate message brokers.
pub const IN_PROCESS_SCHEME: &str = "inproc://";

/// One cell and its database, or why it could not be opened.
pub struct Cell {
    pub mapping: CellMappingRow,
    store: std::result::Result<CellStore, String>,
}

impl Cell {
    /// Whether this is cell0.
    pub fn is_cell0(&self) -> bool {
        self.mapping.uuid == CELL0_UUID
    }

    /// The cell's database, or the error that names the cell.
    pub fn store(&self) -> Result<&CellStore> {
        self.store
            .as_ref()
            .map_err(|why| Error::Unavailable(format!("Cell {} ({}) is unavailable: {why}", self.mapping.name, self.mapping.uuid)))
    }
}

/// The cells of the cloud, by uuid.
#[derive(Default)]
pub struct Cells {
    cells: BTreeMap<String, Cell>,
}

impl Cells {
    /// Opens every mapped cell's database; one that fails is kept with its error.
    pub async fn open(api: &Store) -> Result<Self> {
        let mut cells = BTreeMap::new();
        for mapping in api.list_cells().await? {
            let store = CellStore::open(&mapping.database_connection).await.map_err(|e| e.to_string());
            if let Err(why) = &store {
                tracing::error!(cell = %mapping.name, uuid = %mapping.uuid, error = %why, "a cell's database cannot be opened");
            }
            cells.insert(mapping.uuid.clone(), Cell { mapping, store });
        }
        Ok(Cells { cells })
    }

    /// Every cell, cell0 first.
    pub fn all(&self) -> impl Iterator<Item = &Cell> {
        self.cells.values()
    }

    /// The cells that hold hosts (all but cell0).
    pub fn compute_cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells.values().filter(|c| !c.is_cell0())
    }

    /// The cell with this uuid.
    pub fn get(&self, uuid: &str) -> Option<&Cell> {
        self.cells.get(uuid)
    }
}

/// The cells a new cloud starts with: cell0 and cell1, with these database URLs, and
/// cell1's bus at `cell1_transport` (its own in-process bus when `None`).
pub async fn ensure_default_cells(api: &Store, cell0_url: &str, cell1_url: &str, cell1_transport: Option<&str>) -> Result<()> {
    if !api.list_cells().await?.is_empty() {
        return Ok(());
    }
    let now = common::time::now_micros();
    for (uuid, name, url) in [(CELL0_UUID.to_owned(), "cell0", cell0_url), (uuid::Uuid::new_v4().to_string(), "cell1", cell1_url)] {
        let mapping = CellMappingRow {
            uuid,
            name: name.to_owned(),
            database_connection: url.to_owned(),
            transport_url: match cell1_transport {
                Some(url) if name == "cell1" => url.to_owned(),
                _ => format!("{IN_PROCESS_SCHEME}{name}"),
            },
            disabled: false,
            created_at: now,
        };
        api.create_cell(&mapping).await?;
    }
    tracing::info!("cells cell0 and cell1 created");
    Ok(())
}

/// Adds a cell whose database (created and migrated now, to prove it reachable) is at
/// `database_url` and whose bus is at `transport_url`.
pub async fn create_cell(api: &Store, name: &str, database_url: &str, transport_url: &str) -> Result<CellMappingRow> {
    if name.is_empty() || name.len() > 255 {
        return Err(Error::BadRequest("a cell's name is 1 to 255 characters".into()));
    }
    CellStore::open(database_url).await.map_err(|e| Error::BadRequest(format!("the cell's database cannot be used: {e}")))?;
    let mapping = CellMappingRow {
        uuid: uuid::Uuid::new_v4().to_string(),
        name: name.to_owned(),
        database_connection: database_url.to_owned(),
        transport_url: transport_url.to_owned(),
        disabled: false,
        created_at: common::time::now_micros(),
    };
    match api.create_cell(&mapping).await {
        Err(crate::store::StoreError::Duplicate) => Err(Error::Conflict(format!("a cell named {name} exists already"))),
        other => other.map(|()| mapping).map_err(Error::from),
    }
}

/// Deletes a cell that no host is mapped to (cell0 stays: it holds what failed to
/// schedule).
pub async fn delete_cell(api: &Store, uuid: &str) -> Result<()> {
    if uuid == CELL0_UUID {
        return Err(Error::BadRequest("cell0 cannot be deleted".into()));
    }
    let hosts: Vec<String> = api.list_host_mappings().await?.into_iter().filter(|m| m.cell_uuid == uuid).map(|m| m.host).collect();
    if !hosts.is_empty() {
        return Err(Error::Conflict(format!("the cell still has hosts: {}; delete their compute services first", hosts.join(", "))));
    }
    if !api.delete_cell(uuid).await? {
        return Err(Error::NotFound(format!("no cell {uuid}")));
    }
    Ok(())
}

/// Maps every compute host not yet mapped to the cell that reported it, as Nova's host
/// discovery does; answers how many hosts were mapped.
pub async fn discover_hosts(api: &Store, cells: &Cells) -> Result<usize> {
    let mut mapped = 0;
    for cell in cells.compute_cells() {
        let store = match cell.store() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "host discovery skips a cell");
                continue;
            }
        };
        let hosts: std::collections::BTreeSet<String> =
            store.list_compute_nodes().await?.into_iter().filter(|n| !n.mapped).map(|n| n.report.host).collect();
        for host in hosts {
            if api.map_host(&host, &cell.mapping.uuid).await? {
                tracing::info!(%host, cell = %cell.mapping.name, "compute host mapped");
                mapped += 1;
            }
            store.mark_host_mapped(&host).await?;
        }
    }
    Ok(mapped)
}

impl Compute {
    /// The cloud's cells.
    pub fn cells(&self) -> &Cells {
        &self.cells
    }

    /// Maps new compute hosts to their cells (see [`discover_hosts`]).
    pub async fn discover_hosts(&self) -> Result<usize> {
        discover_hosts(self.store(), &self.cells).await
    }
}

/// Each cell's bus, by the cell's transport URL.
#[derive(Default, Clone)]
pub struct Buses {
    by_url: std::collections::HashMap<String, std::sync::Arc<dyn bus::Bus>>,
}

impl Buses {
    /// Serves the cells whose transport URL is `url` over `bus`.
    pub fn insert(&mut self, url: &str, bus: std::sync::Arc<dyn bus::Bus>) {
        self.by_url.insert(url.to_owned(), bus);
    }

    /// The bus of `cell`, or the error naming the cell.
    pub fn of(&self, cell: &Cell) -> Result<std::sync::Arc<dyn bus::Bus>> {
        self.by_url.get(&cell.mapping.transport_url).cloned().ok_or_else(|| {
            Error::Unavailable(format!("Cell {} ({}) is unavailable: its bus is not connected", cell.mapping.name, cell.mapping.uuid))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::cell::NodeReport;

    #[tokio::test]
    async fn discovery_maps_each_reported_host_once_and_unreachable_cells_are_named() {
        let api_db = db::testing::sqlite().await;
        let cell1_db = db::testing::sqlite().await;
        let api = Store::new(api_db.db.clone());
        api.migrate().await.unwrap();
        ensure_default_cells(&api, "sqlite:///nonexistent/dir/cell0.db", &cell1_db.url, None).await.unwrap();
        let cells = Cells::open(&api).await.unwrap();
        let cell0 = cells.get(CELL0_UUID).unwrap();
        let e = cell0.store().map(|_| ()).expect_err("cell0's database cannot be opened").to_string();
        assert!(e.starts_with("Cell cell0 (00000000-0000-0000-0000-000000000000) is unavailable:"), "{e}");

        let cell1 = cells.compute_cells().next().unwrap();
        let store = cell1.store().unwrap().clone();
        store.report_service("h1", "nova-compute", "compute", 1).await.unwrap();
        let report = NodeReport {
            host: "h1".into(),
            hypervisor_hostname: "h1".into(),
            hypervisor_type: "fake".into(),
            hypervisor_version: 1,
            host_ip: "127.0.0.1".into(),
            cpu_info: "{}".into(),
            vcpus: 1,
            memory_mb: 1,
            local_gb: 1,
            vcpus_used: 0,
            memory_mb_used: 0,
            local_gb_used: 0,
            running_vms: 0,
            cpu_allocation_ratio: 1.0,
            ram_allocation_ratio: 1.0,
            disk_allocation_ratio: 1.0,
            failed_builds: 0,
        };
        store.report_compute_node(&report).await.unwrap();

        let session =
            Arc::new(client::Session::new("http://127.0.0.1:9/identity", test_credentials(), std::time::Duration::from_secs(1)).unwrap());
        let connections = super::super::Connections {
            placement: Arc::new(client::Placement::new(session.clone(), "RegionOne")),
            images: Arc::new(client::Images::new(session, "RegionOne")),
            superconductor: crate::rpc::SuperconductorClient::new(Arc::new(bus::InProcessBus::new())),
            notifier: bus::Notifier::new(Arc::new(bus::InProcessBus::new()), "nova-api:test"),
        };
        let policy = super::super::policy::default_policy().unwrap();
        let compute = Compute::new(api.clone(), Arc::new(cells), Buses::default(), connections, policy, Default::default());
        assert_eq!(compute.discover_hosts().await.unwrap(), 1);
        assert_eq!(compute.discover_hosts().await.unwrap(), 0, "a mapped host is not mapped again");
        let mappings = api.list_host_mappings().await.unwrap();
        assert_eq!(
            (mappings[0].host.as_str(), mappings[0].cell_uuid.as_str()),
            ("h1", compute.cells().compute_cells().next().unwrap().mapping.uuid.as_str())
        );
    }

    fn test_credentials() -> client::ServiceCredentials {
        client::ServiceCredentials {
            username: "nova".into(),
            password: "unused".into(),
            user_domain_name: "Default".into(),
            project_name: "service".into(),
            project_domain_name: "Default".into(),
        }
    }
}
