//! Compute nodes: what each hypervisor offers and uses.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::CellStore;
use crate::store::{Result, StoreError};

/// What an agent reports about one of its hypervisors (sent over the bus as is).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeReport {
    pub host: String,
    pub hypervisor_hostname: String,
    pub hypervisor_type: String,
    pub hypervisor_version: i64,
    pub host_ip: String,
    /// The CPU's description, as JSON text.
    pub cpu_info: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub running_vms: i64,
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
    pub disk_allocation_ratio: f64,
    /// Builds that failed in a row on the node (none since the last success).
    #[serde(default)]
    pub failed_builds: i64,
}

/// A compute node as stored: the last report with its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputeNodeRow {
    pub id: i64,
    /// Also its resource provider's uuid in placement.
    pub uuid: String,
    pub service_id: i64,
    pub report: NodeReport,
    /// Whether host discovery has mapped its host to the cell.
    pub mapped: bool,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

const COLUMNS: &str = "id, uuid, service_id, host, hypervisor_hostname, hypervisor_type, hypervisor_version, host_ip, cpu_info, vcpus, \
                       memory_mb, local_gb, vcpus_used, memory_mb_used, local_gb_used, running_vms, cpu_allocation_ratio, \
                       ram_allocation_ratio, disk_allocation_ratio, failed_builds, mapped, created_at, updated_at";

fn node_from(row: &AnyRow) -> Result<ComputeNodeRow> {
    Ok(ComputeNodeRow {
        id: row.try_get("id")?,
        uuid: db::text(row, "uuid")?,
        service_id: row.try_get("service_id")?,
        report: NodeReport {
            host: db::text(row, "host")?,
            hypervisor_hostname: db::text(row, "hypervisor_hostname")?,
            hypervisor_type: db::text(row, "hypervisor_type")?,
            hypervisor_version: row.try_get("hypervisor_version")?,
            host_ip: db::text(row, "host_ip")?,
            cpu_info: db::text(row, "cpu_info")?,
            vcpus: row.try_get("vcpus")?,
            memory_mb: row.try_get("memory_mb")?,
            local_gb: row.try_get("local_gb")?,
            vcpus_used: row.try_get("vcpus_used")?,
            memory_mb_used: row.try_get("memory_mb_used")?,
            local_gb_used: row.try_get("local_gb_used")?,
            running_vms: row.try_get("running_vms")?,
            cpu_allocation_ratio: row.try_get("cpu_allocation_ratio")?,
            ram_allocation_ratio: row.try_get("ram_allocation_ratio")?,
            disk_allocation_ratio: row.try_get("disk_allocation_ratio")?,
            failed_builds: row.try_get("failed_builds")?,
        },
        mapped: row.try_get::<i64, _>("mapped")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl CellStore {
    /// Records a node's report, creating the node (with a new uuid) on its first one.
    /// `Reference` when the host's nova-compute service does not exist.
    pub async fn report_compute_node(&self, r: &NodeReport) -> Result<ComputeNodeRow> {
        let now = common::time::now_micros();
        let mut tx = self.db.begin_write().await?;
        let service = sqlx::query(&self.sql("SELECT id FROM services WHERE host = ? AND binary_name = 'nova-compute'"))
            .bind(&r.host)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(service) = service else {
            tx.rollback().await?;
            return Err(StoreError::Reference);
        };
        let service_id: i64 = service.try_get("id")?;
        let updated = sqlx::query(&self.sql(
            "UPDATE compute_nodes SET service_id = ?, host = ?, hypervisor_type = ?, hypervisor_version = ?, host_ip = ?, cpu_info = ?, \
             vcpus = ?, memory_mb = ?, local_gb = ?, vcpus_used = ?, memory_mb_used = ?, local_gb_used = ?, running_vms = ?, \
             cpu_allocation_ratio = ?, ram_allocation_ratio = ?, disk_allocation_ratio = ?, failed_builds = ?, updated_at = ? \
             WHERE hypervisor_hostname = ?",
        ))
        .bind(service_id)
        .bind(&r.host)
        .bind(&r.hypervisor_type)
        .bind(r.hypervisor_version)
        .bind(&r.host_ip)
        .bind(&r.cpu_info)
        .bind(r.vcpus)
        .bind(r.memory_mb)
        .bind(r.local_gb)
        .bind(r.vcpus_used)
        .bind(r.memory_mb_used)
        .bind(r.local_gb_used)
        .bind(r.running_vms)
        .bind(r.cpu_allocation_ratio)
        .bind(r.ram_allocation_ratio)
        .bind(r.disk_allocation_ratio)
        .bind(r.failed_builds)
        .bind(now)
        .bind(&r.hypervisor_hostname)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            let id = self.next_id(&mut tx, "compute_nodes").await?;
            let text = format!(
                "INSERT INTO compute_nodes ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL)"
            );
            sqlx::query(&self.sql(&text))
                .bind(id)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(service_id)
                .bind(&r.host)
                .bind(&r.hypervisor_hostname)
                .bind(&r.hypervisor_type)
                .bind(r.hypervisor_version)
                .bind(&r.host_ip)
                .bind(&r.cpu_info)
                .bind(r.vcpus)
                .bind(r.memory_mb)
                .bind(r.local_gb)
                .bind(r.vcpus_used)
                .bind(r.memory_mb_used)
                .bind(r.local_gb_used)
                .bind(r.running_vms)
                .bind(r.cpu_allocation_ratio)
                .bind(r.ram_allocation_ratio)
                .bind(r.disk_allocation_ratio)
                .bind(r.failed_builds)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let text = format!("SELECT {COLUMNS} FROM compute_nodes WHERE hypervisor_hostname = ?");
        let row = sqlx::query(&self.sql(&text)).bind(&r.hypervisor_hostname).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        node_from(&row)
    }

    /// Every compute node, by id.
    pub async fn list_compute_nodes(&self) -> Result<Vec<ComputeNodeRow>> {
        let text = format!("SELECT {COLUMNS} FROM compute_nodes ORDER BY id");
        sqlx::query(&text).fetch_all(self.pool()).await?.iter().map(node_from).collect()
    }

    /// Notes that discovery mapped `host` to this cell.
    pub async fn mark_host_mapped(&self, host: &str) -> Result<()> {
        sqlx::query(&self.sql("UPDATE compute_nodes SET mapped = 1 WHERE host = ?")).bind(host).execute(self.pool()).await?;
        Ok(())
    }
}
