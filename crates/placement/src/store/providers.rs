//! Resource providers and their trees.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, Tx, WriteRefused, placeholders, refuse};

/// A resource provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRow {
    /// Its uuid.
    pub uuid: String,
    /// Its name, unique in the deployment.
    pub name: String,
    /// Bumped by every change to what it offers or holds.
    pub generation: i64,
    /// Its parent, for a nested provider.
    pub parent_uuid: Option<String>,
    /// The root of its tree (itself for a root).
    pub root_uuid: String,
}

/// Which providers a list returns; every part set must hold.
#[derive(Debug, Clone, Default)]
pub struct ProviderFilter {
    /// Exactly this name.
    pub name: Option<String>,
    /// Exactly this uuid.
    pub uuid: Option<String>,
    /// Only the tree whose root this is.
    pub root_uuid: Option<String>,
    /// Only these providers (the domain's answer to the filters it evaluates itself).
    pub among: Option<Vec<String>>,
}

const COLUMNS: &str = "uuid, name, generation, parent_uuid, root_uuid";

fn provider(row: &AnyRow) -> Result<ProviderRow> {
    Ok(ProviderRow {
        uuid: db::text(row, "uuid")?,
        name: db::text(row, "name")?,
        generation: row.try_get("generation")?,
        parent_uuid: db::opt_text(row, "parent_uuid")?,
        root_uuid: db::text(row, "root_uuid")?,
    })
}

impl Store {
    /// Creates a provider. A duplicate uuid or name is refused with the name of the
    /// column that clashed.
    pub async fn create_provider(&self, p: &ProviderRow) -> Result<(), WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        let clash = sqlx::query(&self.sql("SELECT uuid FROM resource_providers WHERE uuid = ? OR name = ?"))
            .bind(&p.uuid)
            .bind(&p.name)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = clash {
            let what = if db::text(&row, "uuid")? == p.uuid { "uuid" } else { "name" };
            return refuse(tx, WriteRefused::Rule(what.to_owned())).await;
        }
        if let Some(parent) = &p.parent_uuid
            && self.provider_in(&mut tx, parent).await?.is_none()
        {
            return refuse(tx, WriteRefused::NoProvider(parent.clone())).await;
        }
        let now = common::time::now_micros();
        sqlx::query(&self.sql(&format!("INSERT INTO resource_providers ({COLUMNS}, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")))
            .bind(&p.uuid)
            .bind(&p.name)
            .bind(p.generation)
            .bind(&p.parent_uuid)
            .bind(&p.root_uuid)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn provider_in(&self, tx: &mut Tx, uuid: &str) -> Result<Option<ProviderRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM resource_providers WHERE uuid = ?")))
            .bind(uuid)
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref().map(provider).transpose()
    }

    /// One provider.
    pub async fn provider(&self, uuid: &str) -> Result<Option<ProviderRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM resource_providers WHERE uuid = ?")))
            .bind(uuid)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(provider).transpose()
    }

    /// Providers by uuid, in no particular order; unknown ones are left out.
    pub async fn providers_by_uuid(&self, uuids: &[String]) -> Result<Vec<ProviderRow>> {
        let mut out = Vec::with_capacity(uuids.len());
        for chunk in uuids.chunks(500) {
            let q = format!("SELECT {COLUMNS} FROM resource_providers WHERE uuid IN ({})", placeholders(chunk.len()));
            let sql = self.sql(&q);
            let mut query = sqlx::query(&sql);
            for u in chunk {
                query = query.bind(u);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.push(provider(&row)?);
            }
        }
        Ok(out)
    }

    /// Providers that pass `filter`, oldest first.
    pub async fn list_providers(&self, filter: &ProviderFilter) -> Result<Vec<ProviderRow>> {
        let mut clauses = Vec::new();
        let mut binds: Vec<&str> = Vec::new();
        if let Some(name) = &filter.name {
            clauses.push("name = ?".to_owned());
            binds.push(name);
        }
        if let Some(uuid) = &filter.uuid {
            clauses.push("uuid = ?".to_owned());
            binds.push(uuid);
        }
        if let Some(root) = &filter.root_uuid {
            clauses.push("root_uuid = ?".to_owned());
            binds.push(root);
        }
        if let Some(among) = &filter.among {
            if among.is_empty() {
                return Ok(Vec::new());
            }
            if among.len() <= 500 {
                clauses.push(format!("uuid IN ({})", placeholders(among.len())));
                binds.extend(among.iter().map(String::as_str));
            }
        }
        let where_clause = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let q = format!("SELECT {COLUMNS} FROM resource_providers{where_clause} ORDER BY created_at, uuid");
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut out: Vec<ProviderRow> = rows.iter().map(provider).collect::<Result<_>>()?;
        if let Some(among) = filter.among.as_ref().filter(|a| a.len() > 500) {
            let keep: std::collections::HashSet<&str> = among.iter().map(String::as_str).collect();
            out.retain(|p| keep.contains(p.uuid.as_str()));
        }
        Ok(out)
    }

    /// Renames a provider and sets its parent, moving its whole subtree to the new
    /// parent's root. The domain has checked that the move is allowed.
    pub async fn update_provider(&self, uuid: &str, name: &str, parent: Option<&str>) -> Result<ProviderRow, WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        let Some(current) = self.provider_in(&mut tx, uuid).await? else {
            return refuse(tx, WriteRefused::NoProvider(uuid.to_owned())).await;
        };
        let clash = sqlx::query(&self.sql("SELECT uuid FROM resource_providers WHERE name = ? AND uuid <> ?"))
            .bind(name)
            .bind(uuid)
            .fetch_optional(&mut *tx)
            .await?;
        if clash.is_some() {
            return refuse(tx, WriteRefused::Rule("name".into())).await;
        }
        let new_root = match parent {
            Some(p) => match self.provider_in(&mut tx, p).await? {
                Some(parent_row) => parent_row.root_uuid,
                None => return refuse(tx, WriteRefused::NoProvider(p.to_owned())).await,
            },
            None => uuid.to_owned(),
        };
        let now = common::time::now_micros();
        sqlx::query(&self.sql("UPDATE resource_providers SET name = ?, parent_uuid = ?, root_uuid = ?, updated_at = ? WHERE uuid = ?"))
            .bind(name)
            .bind(parent)
            .bind(&new_root)
            .bind(now)
            .bind(uuid)
            .execute(&mut *tx)
            .await?;
        if new_root != current.root_uuid {
            let mut frontier = vec![uuid.to_owned()];
            while let Some(node) = frontier.pop() {
                let children = sqlx::query(&self.sql("SELECT uuid FROM resource_providers WHERE parent_uuid = ?"))
                    .bind(&node)
                    .fetch_all(&mut *tx)
                    .await?;
                for child in children {
                    let child = db::text(&child, "uuid")?;
                    sqlx::query(&self.sql("UPDATE resource_providers SET root_uuid = ?, updated_at = ? WHERE uuid = ?"))
                        .bind(&new_root)
                        .bind(now)
                        .bind(&child)
                        .execute(&mut *tx)
                        .await?;
                    frontier.push(child);
                }
            }
        }
        let updated = self.provider_in(&mut tx, uuid).await?.ok_or_else(|| WriteRefused::NoProvider(uuid.to_owned()))?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Whether `ancestor` is `uuid` or above it in its tree.
    pub async fn is_ancestor_or_self(&self, ancestor: &str, uuid: &str) -> Result<bool> {
        let mut at = Some(uuid.to_owned());
        while let Some(node) = at {
            if node == ancestor {
                return Ok(true);
            }
            at = self.provider(&node).await?.and_then(|p| p.parent_uuid);
        }
        Ok(false)
    }

    /// Deletes a provider with its inventories, traits and aggregates. Refused while it
    /// has children (`Rule("children")`) or allocations (`Rule("allocations")`).
    pub async fn delete_provider(&self, uuid: &str) -> Result<(), WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        if let Err(e) = self.bump_generation(&mut tx, uuid, None).await {
            return refuse(tx, e).await;
        }
        let child = sqlx::query(&self.sql("SELECT 1 FROM resource_providers WHERE parent_uuid = ? LIMIT 1"))
            .bind(uuid)
            .fetch_optional(&mut *tx)
            .await?;
        if child.is_some() {
            return refuse(tx, WriteRefused::Rule("children".into())).await;
        }
        let held =
            sqlx::query(&self.sql("SELECT 1 FROM allocations WHERE provider_uuid = ? LIMIT 1")).bind(uuid).fetch_optional(&mut *tx).await?;
        if held.is_some() {
            return refuse(tx, WriteRefused::Rule("allocations".into())).await;
        }
        for table in ["inventories", "provider_traits", "provider_aggregates"] {
            sqlx::query(&self.sql(&format!("DELETE FROM {table} WHERE provider_uuid = ?"))).bind(uuid).execute(&mut *tx).await?;
        }
        sqlx::query(&self.sql("DELETE FROM resource_providers WHERE uuid = ?")).bind(uuid).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
