//! Tasks: records of asynchronous work on images, and the import state they guard.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, abandon};

/// A task record.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub id: String,
    /// `api_image_import` for an interoperable import.
    pub kind: String,
    /// `pending`, `processing`, `success` or `failure`.
    pub status: String,
    pub owner: Option<String>,
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    pub image_id: Option<String>,
    pub input: Value,
    pub result: Option<Value>,
    pub message: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The process running the task (see [`ImageConfig::worker`](crate::ImageConfig)).
    pub worker: Option<String>,
}

const COLUMNS: &str =
    "id, type, status, owner, user_id, request_id, image_id, input, result, message, expires_at, created_at, updated_at, worker";

fn task_from(row: &sqlx::any::AnyRow) -> Result<TaskRow> {
    let json = |text: String| serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(TaskRow {
        id: row.try_get("id")?,
        kind: row.try_get("type")?,
        status: row.try_get("status")?,
        owner: db::opt_text(row, "owner")?,
        user_id: db::opt_text(row, "user_id")?,
        request_id: db::opt_text(row, "request_id")?,
        image_id: db::opt_text(row, "image_id")?,
        input: json(db::text(row, "input")?),
        result: db::opt_text(row, "result")?.map(json),
        message: db::text(row, "message")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        worker: db::opt_text(row, "worker")?,
    })
}

impl Store {
    /// Takes image `id`'s row lock in `tx` and reads its status and properties; `None`
    /// when there is no such image.
    async fn locked_status(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: &str,
    ) -> Result<Option<(String, Map<String, Value>)>> {
        if !self.lock_image(tx, id).await? {
            return Ok(None);
        }
        let row = sqlx::query(&self.sql("SELECT status, properties FROM images WHERE id = ?")).bind(id).fetch_one(&mut **tx).await?;
        let properties = serde_json::from_str(&db::text(&row, "properties")?).unwrap_or_default();
        Ok(Some((row.try_get("status")?, properties)))
    }

    /// Starts an import: moves the image from `from` to `to`, records `task`, takes
    /// the import lock (property `os_glance_import_task`) and names the stores being
    /// written (`os_glance_importing_to_stores`), all or nothing. False when the image
    /// is no longer in `from` or another import holds the lock.
    pub async fn begin_import(&self, image_id: &str, from: &str, to: &str, importing_to: &str, task: &TaskRow) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let Some((status, mut properties)) = self.locked_status(&mut tx, image_id).await? else { return abandon(tx).await };
        if status != from || properties.contains_key("os_glance_import_task") {
            return abandon(tx).await;
        }
        properties.insert("os_glance_import_task".into(), Value::String(task.id.clone()));
        properties.insert("os_glance_importing_to_stores".into(), Value::String(importing_to.to_owned()));
        properties.entry("os_glance_failed_import").or_insert_with(|| Value::String(String::new()));
        sqlx::query(&self.sql("UPDATE images SET status = ?, properties = ?, updated_at = ? WHERE id = ?"))
            .bind(to)
            .bind(Value::Object(properties).to_string())
            .bind(task.created_at)
            .bind(image_id)
            .execute(&mut *tx)
            .await?;
        insert_task(&mut tx, &self.sql(&format!("INSERT INTO tasks ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")), task)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ends an import: releases the lock, names the stores that failed
    /// (`os_glance_failed_import`) and, when it failed and the image is still
    /// importing, puts the image back to `queued` without data. False when the image
    /// has gone.
    pub async fn end_import(&self, image_id: &str, failed: bool, failed_stores: &str, at: i64) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let Some((status, mut properties)) = self.locked_status(&mut tx, image_id).await? else { return abandon(tx).await };
        properties.remove("os_glance_import_task");
        properties.insert("os_glance_importing_to_stores".into(), Value::String(String::new()));
        properties.insert("os_glance_failed_import".into(), Value::String(failed_stores.to_owned()));
        let revert = failed && status == "importing";
        let sql = if revert {
            "UPDATE images SET status = 'queued', size = NULL, virtual_size = NULL, properties = ?, updated_at = ? WHERE id = ?"
        } else {
            "UPDATE images SET properties = ?, updated_at = ? WHERE id = ?"
        };
        sqlx::query(&self.sql(sql)).bind(Value::Object(properties).to_string()).bind(at).bind(image_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records the size of staged data (Glance shows it while the image is `uploading`).
    pub async fn set_staged_size(&self, image_id: &str, size: i64, at: i64) -> Result<bool> {
        let done = sqlx::query(&self.sql("UPDATE images SET size = ?, updated_at = ? WHERE id = ? AND status = 'uploading'"))
            .bind(size)
            .bind(at)
            .bind(image_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Moves a task on: its status, and when it finishes its result, message and expiry.
    pub async fn update_task(&self, task: &TaskRow) -> Result<bool> {
        let done =
            sqlx::query(&self.sql("UPDATE tasks SET status = ?, result = ?, message = ?, expires_at = ?, updated_at = ? WHERE id = ?"))
                .bind(&task.status)
                .bind(task.result.as_ref().map(Value::to_string))
                .bind(&task.message)
                .bind(task.expires_at)
                .bind(task.updated_at)
                .bind(&task.id)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// One task.
    pub async fn get_task(&self, id: &str) -> Result<Option<TaskRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?"))).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(task_from).transpose()
    }

    /// Every task not expired at `now`, newest first; those of one image when given.
    pub async fn list_tasks(&self, image_id: Option<&str>, now: i64) -> Result<Vec<TaskRow>> {
        let filter = if image_id.is_some() { " AND image_id = ?" } else { "" };
        let sql =
            format!("SELECT {COLUMNS} FROM tasks WHERE (expires_at IS NULL OR expires_at > ?){filter} ORDER BY created_at DESC, id DESC");
        let sql = self.sql(&sql);
        let mut query = sqlx::query(&sql).bind(now);
        if let Some(image_id) = image_id {
            query = query.bind(image_id);
        }
        query.fetch_all(self.pool()).await?.iter().map(task_from).collect()
    }

    /// Removes tasks that expired before `now`; returns how many.
    pub async fn purge_expired_tasks(&self, now: i64) -> Result<u64> {
        let done = sqlx::query(&self.sql("DELETE FROM tasks WHERE expires_at IS NOT NULL AND expires_at <= ?"))
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

async fn insert_task(tx: &mut sqlx::Transaction<'static, sqlx::Any>, sql: &str, t: &TaskRow) -> Result<()> {
    sqlx::query(sql)
        .bind(&t.id)
        .bind(&t.kind)
        .bind(&t.status)
        .bind(&t.owner)
        .bind(&t.user_id)
        .bind(&t.request_id)
        .bind(&t.image_id)
        .bind(t.input.to_string())
        .bind(t.result.as_ref().map(Value::to_string))
        .bind(&t.message)
        .bind(t.expires_at)
        .bind(t.created_at)
        .bind(t.updated_at)
        .bind(&t.worker)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
