//! Services: one row per (host, binary), with the last heartbeat.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::CellStore;
use crate::store::Result;

/// A service as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub id: i64,
    pub uuid: String,
    pub host: String,
    /// `nova-compute`, `nova-conductor`, `nova-scheduler`.
    pub binary: String,
    pub topic: String,
    pub report_count: i64,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    pub forced_down: bool,
    /// The last heartbeat.
    pub last_seen_up: Option<i64>,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

const COLUMNS: &str =
    "id, uuid, host, binary_name, topic, report_count, disabled, disabled_reason, forced_down, last_seen_up, created_at, updated_at";

fn service_from(row: &AnyRow) -> Result<ServiceRow> {
    Ok(ServiceRow {
        id: row.try_get("id")?,
        uuid: db::text(row, "uuid")?,
        host: db::text(row, "host")?,
        binary: db::text(row, "binary_name")?,
        topic: db::text(row, "topic")?,
        report_count: row.try_get("report_count")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        disabled_reason: db::opt_text(row, "disabled_reason")?,
        forced_down: row.try_get::<i64, _>("forced_down")? != 0,
        last_seen_up: row.try_get("last_seen_up")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl CellStore {
    /// Records a heartbeat of `binary` on `host` at `now`, creating the service on its
    /// first one.
    pub async fn report_service(&self, host: &str, binary: &str, topic: &str, now: i64) -> Result<ServiceRow> {
        let mut tx = self.db.begin_write().await?;
        let beat = sqlx::query(&self.sql(
            "UPDATE services SET report_count = report_count + 1, last_seen_up = ?, updated_at = ? WHERE host = ? AND binary_name = ?",
        ))
        .bind(now)
        .bind(now)
        .bind(host)
        .bind(binary)
        .execute(&mut *tx)
        .await?;
        if beat.rows_affected() == 0 {
            let id = self.next_id(&mut tx, "services").await?;
            let text = format!("INSERT INTO services ({COLUMNS}) VALUES (?, ?, ?, ?, ?, 1, 0, NULL, 0, ?, ?, NULL)");
            sqlx::query(&self.sql(&text))
                .bind(id)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(host)
                .bind(binary)
                .bind(topic)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let text = format!("SELECT {COLUMNS} FROM services WHERE host = ? AND binary_name = ?");
        let row = sqlx::query(&self.sql(&text)).bind(host).bind(binary).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        service_from(&row)
    }

    /// Every service, by id.
    pub async fn list_services(&self) -> Result<Vec<ServiceRow>> {
        let text = format!("SELECT {COLUMNS} FROM services ORDER BY id");
        sqlx::query(&text).fetch_all(self.pool()).await?.iter().map(service_from).collect()
    }

    /// The service with this uuid.
    pub async fn get_service(&self, uuid: &str) -> Result<Option<ServiceRow>> {
        let text = format!("SELECT {COLUMNS} FROM services WHERE uuid = ?");
        sqlx::query(&self.sql(&text)).bind(uuid).fetch_optional(self.pool()).await?.as_ref().map(service_from).transpose()
    }

    /// Sets what an operator controls of a service; false when it is gone.
    pub async fn update_service(&self, uuid: &str, disabled: bool, disabled_reason: Option<&str>, forced_down: bool) -> Result<bool> {
        let done =
            sqlx::query(&self.sql("UPDATE services SET disabled = ?, disabled_reason = ?, forced_down = ?, updated_at = ? WHERE uuid = ?"))
                .bind(i64::from(disabled))
                .bind(disabled_reason)
                .bind(i64::from(forced_down))
                .bind(common::time::now_micros())
                .bind(uuid)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a service and its compute nodes; false when it was gone.
    pub async fn delete_service(&self, uuid: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM compute_nodes WHERE service_id IN (SELECT id FROM services WHERE uuid = ?)"))
            .bind(uuid)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(&self.sql("DELETE FROM services WHERE uuid = ?")).bind(uuid).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
