//! Host aggregates, their hosts and their metadata.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;

use super::{Result, Store, StoreError};

/// An aggregate as stored, with its hosts (in the order they were added) and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub hosts: Vec<String>,
    pub metadata: BTreeMap<String, String>,
}

impl Store {
    /// Adds an aggregate with `metadata`; `Duplicate` when the name is taken.
    pub async fn create_aggregate(&self, uuid: &str, name: &str, metadata: &BTreeMap<String, String>) -> Result<AggregateRow> {
        let now = common::time::now_micros();
        let mut tx = self.db.begin_write().await?;
        let id = self.next_id(&mut tx, "aggregates").await?;
        let inserted = sqlx::query(&self.sql("INSERT INTO aggregates (id, uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?, NULL)"))
            .bind(id)
            .bind(uuid)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await;
        if let Err(e) = inserted {
            tx.rollback().await?;
            return Err(e.into());
        }
        for (k, v) in metadata {
            sqlx::query(&self.sql("INSERT INTO aggregate_metadata (aggregate_id, meta_key, meta_value) VALUES (?, ?, ?)"))
                .bind(id)
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(AggregateRow {
            id,
            uuid: uuid.to_owned(),
            name: name.to_owned(),
            created_at: now,
            updated_at: None,
            hosts: Vec::new(),
            metadata: metadata.clone(),
        })
    }

    /// Every aggregate, by id.
    pub async fn list_aggregates(&self) -> Result<Vec<AggregateRow>> {
        let rows = sqlx::query("SELECT id, uuid, name, created_at, updated_at FROM aggregates ORDER BY id").fetch_all(self.pool()).await?;
        let mut hosts: HashMap<i64, Vec<String>> = HashMap::new();
        for r in sqlx::query("SELECT aggregate_id, host FROM aggregate_hosts ORDER BY host").fetch_all(self.pool()).await? {
            hosts.entry(r.try_get("aggregate_id")?).or_default().push(db::text(&r, "host")?);
        }
        let mut metadata: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
        for r in sqlx::query("SELECT aggregate_id, meta_key, meta_value FROM aggregate_metadata").fetch_all(self.pool()).await? {
            metadata.entry(r.try_get("aggregate_id")?).or_default().insert(db::text(&r, "meta_key")?, db::text(&r, "meta_value")?);
        }
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                Ok(AggregateRow {
                    id,
                    uuid: db::text(r, "uuid")?,
                    name: db::text(r, "name")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                    hosts: hosts.remove(&id).unwrap_or_default(),
                    metadata: metadata.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// One aggregate.
    pub async fn get_aggregate(&self, id: i64) -> Result<Option<AggregateRow>> {
        Ok(self.list_aggregates().await?.into_iter().find(|a| a.id == id))
    }

    /// Renames an aggregate; `Duplicate` when the name is taken, false when it is gone.
    pub async fn rename_aggregate(&self, id: i64, name: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("UPDATE aggregates SET name = ?, updated_at = ? WHERE id = ?"))
            .bind(name)
            .bind(common::time::now_micros())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets (`Some`) and removes (`None`) metadata keys of an aggregate in one transaction.
    pub async fn update_aggregate_metadata(&self, id: i64, changes: &BTreeMap<String, Option<String>>) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let touched = sqlx::query(&self.sql("UPDATE aggregates SET updated_at = ? WHERE id = ?"))
            .bind(common::time::now_micros())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if touched.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for (k, v) in changes {
            sqlx::query(&self.sql("DELETE FROM aggregate_metadata WHERE aggregate_id = ? AND meta_key = ?"))
                .bind(id)
                .bind(k)
                .execute(&mut *tx)
                .await?;
            if let Some(v) = v {
                sqlx::query(&self.sql("INSERT INTO aggregate_metadata (aggregate_id, meta_key, meta_value) VALUES (?, ?, ?)"))
                    .bind(id)
                    .bind(k)
                    .bind(v)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes an aggregate with its metadata; false when it was gone.
    pub async fn delete_aggregate(&self, id: i64) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        for table in ["aggregate_metadata", "aggregate_hosts"] {
            sqlx::query(&self.sql(&format!("DELETE FROM {table} WHERE aggregate_id = ?"))).bind(id).execute(&mut *tx).await?;
        }
        let done = sqlx::query(&self.sql("DELETE FROM aggregates WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds a host to an aggregate; `Duplicate` when it is a member already.
    pub async fn add_aggregate_host(&self, id: i64, host: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let inserted = sqlx::query(&self.sql("INSERT INTO aggregate_hosts (aggregate_id, host) VALUES (?, ?)"))
            .bind(id)
            .bind(host)
            .execute(&mut *tx)
            .await;
        if let Err(e) = inserted {
            tx.rollback().await?;
            return Err(StoreError::from(e));
        }
        sqlx::query(&self.sql("UPDATE aggregates SET updated_at = ? WHERE id = ?"))
            .bind(common::time::now_micros())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a host from an aggregate; false when it was not a member.
    pub async fn remove_aggregate_host(&self, id: i64, host: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(&self.sql("DELETE FROM aggregate_hosts WHERE aggregate_id = ? AND host = ?"))
            .bind(id)
            .bind(host)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&self.sql("UPDATE aggregates SET updated_at = ? WHERE id = ?"))
            .bind(common::time::now_micros())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
