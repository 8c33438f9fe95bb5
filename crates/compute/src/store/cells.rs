//! Cell mappings (each cell's database and bus) and host mappings (each compute
//! host's cell).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store};

/// A cell: where its database and its bus are.
#[derive(Clone, PartialEq, Eq)]
pub struct CellMappingRow {
    pub uuid: String,
    pub name: String,
    /// Its database URL (may hold a password: never logged).
    pub database_connection: String,
    /// Its bus URL (`inproc://` for the process's own bus).
    pub transport_url: String,
    pub disabled: bool,
    pub created_at: i64,
}

impl std::fmt::Debug for CellMappingRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellMappingRow").field("uuid", &self.uuid).field("name", &self.name).field("disabled", &self.disabled).finish()
    }
}

/// A compute host and its cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostMappingRow {
    pub host: String,
    pub cell_uuid: String,
}

fn cell_from(row: &AnyRow) -> Result<CellMappingRow> {
    Ok(CellMappingRow {
        uuid: db::text(row, "uuid")?,
        name: db::text(row, "name")?,
        database_connection: db::text(row, "database_connection")?,
        transport_url: db::text(row, "transport_url")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Adds a cell; `Duplicate` when its uuid or name is taken.
    pub async fn create_cell(&self, cell: &CellMappingRow) -> Result<()> {
        let sql = self.sql(
            "INSERT INTO cell_mappings (uuid, name, database_connection, transport_url, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(&cell.uuid)
            .bind(&cell.name)
            .bind(&cell.database_connection)
            .bind(&cell.transport_url)
            .bind(i64::from(cell.disabled))
            .bind(cell.created_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every cell, cell0 first, then by name.
    pub async fn list_cells(&self) -> Result<Vec<CellMappingRow>> {
        let rows =
            sqlx::query("SELECT uuid, name, database_connection, transport_url, disabled, created_at FROM cell_mappings ORDER BY name")
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(cell_from).collect()
    }

    /// Deletes a cell that no host is mapped to; false when there was none.
    pub async fn delete_cell(&self, uuid: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM cell_mappings WHERE uuid = ?")).bind(uuid).execute(self.pool()).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Maps a host to a cell unless it is mapped already; true when it was new.
    pub async fn map_host(&self, host: &str, cell_uuid: &str) -> Result<bool> {
        let sql = self.sql("INSERT INTO host_mappings (host, cell_uuid, created_at) VALUES (?, ?, ?)");
        match sqlx::query(&sql).bind(host).bind(cell_uuid).bind(common::time::now_micros()).execute(self.pool()).await {
            Ok(_) => Ok(true),
            Err(e) if db::is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Every host mapping.
    pub async fn list_host_mappings(&self) -> Result<Vec<HostMappingRow>> {
        let rows = sqlx::query("SELECT host, cell_uuid FROM host_mappings ORDER BY host").fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok(HostMappingRow { host: db::text(r, "host")?, cell_uuid: db::text(r, "cell_uuid")? })).collect()
    }

    /// Forgets a host's mapping (its service was deleted).
    pub async fn unmap_host(&self, host: &str) -> Result<()> {
        sqlx::query(&self.sql("DELETE FROM host_mappings WHERE host = ?")).bind(host).execute(self.pool()).await?;
        Ok(())
    }
}
