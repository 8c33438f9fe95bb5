//! Unified limits: registered limits and project or domain limits.

use sqlx::Row;

use super::{Result, Store};

/// A default limit for one resource of one service, optionally in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredLimitRow {
    pub id: String,
    pub service_id: String,
    pub region_id: Option<String>,
    pub resource_name: String,
    pub default_limit: i64,
    pub description: Option<String>,
}

/// A limit for a project or a domain, overriding the registered default.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitRow {
    pub id: String,
    /// `project` or `domain`.
    pub target_type: String,
    pub target_id: String,
    pub service_id: String,
    pub region_id: Option<String>,
    pub resource_name: String,
    pub resource_limit: i64,
    pub description: Option<String>,
}

fn region(row: &sqlx::any::AnyRow) -> Result<Option<String>> {
    let r: String = row.try_get("region_id")?;
    Ok((!r.is_empty()).then_some(r))
}

fn registered_from(row: sqlx::any::AnyRow) -> Result<RegisteredLimitRow> {
    Ok(RegisteredLimitRow {
        region_id: region(&row)?,
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        resource_name: row.try_get("resource_name")?,
        default_limit: row.try_get("default_limit")?,
        description: db::opt_text(&row, "description")?,
    })
}

fn limit_from(row: sqlx::any::AnyRow) -> Result<LimitRow> {
    Ok(LimitRow {
        region_id: region(&row)?,
        id: row.try_get("id")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        service_id: row.try_get("service_id")?,
        resource_name: row.try_get("resource_name")?,
        resource_limit: row.try_get("resource_limit")?,
        description: db::opt_text(&row, "description")?,
    })
}

impl Store {
    /// Inserts registered limits, all or none.
    pub async fn create_registered_limits(&self, limits: &[RegisteredLimitRow]) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for l in limits {
            sqlx::query(&self.sql(
                "INSERT INTO registered_limits (id, service_id, region_id, resource_name, default_limit, description) VALUES (?, ?, ?, ?, ?, ?)",
            ))
            .bind(&l.id)
            .bind(&l.service_id)
            .bind(l.region_id.as_deref().unwrap_or(""))
            .bind(&l.resource_name)
            .bind(l.default_limit)
            .bind(&l.description)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rewrites a registered limit.
    pub async fn update_registered_limit(&self, l: &RegisteredLimitRow) -> Result<()> {
        sqlx::query(&self.sql(
            "UPDATE registered_limits SET service_id = ?, region_id = ?, resource_name = ?, default_limit = ?, description = ? WHERE id = ?",
        ))
        .bind(&l.service_id)
        .bind(l.region_id.as_deref().unwrap_or(""))
        .bind(&l.resource_name)
        .bind(l.default_limit)
        .bind(&l.description)
        .bind(&l.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every registered limit.
    pub async fn list_registered_limits(&self) -> Result<Vec<RegisteredLimitRow>> {
        sqlx::query("SELECT id, service_id, region_id, resource_name, default_limit, description FROM registered_limits ORDER BY service_id, resource_name")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(registered_from)
            .collect()
    }

    /// Deletes a registered limit; reports whether it existed.
    pub async fn delete_registered_limit(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM registered_limits WHERE id = ?")).bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Inserts limits, all or none.
    pub async fn create_limits(&self, limits: &[LimitRow]) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for l in limits {
            sqlx::query(&self.sql(
                "INSERT INTO limits (id, target_type, target_id, service_id, region_id, resource_name, resource_limit, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ))
            .bind(&l.id)
            .bind(&l.target_type)
            .bind(&l.target_id)
            .bind(&l.service_id)
            .bind(l.region_id.as_deref().unwrap_or(""))
            .bind(&l.resource_name)
            .bind(l.resource_limit)
            .bind(&l.description)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rewrites a limit's value and description.
    pub async fn update_limit(&self, l: &LimitRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE limits SET resource_limit = ?, description = ? WHERE id = ?"))
            .bind(l.resource_limit)
            .bind(&l.description)
            .bind(&l.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every limit.
    pub async fn list_limits(&self) -> Result<Vec<LimitRow>> {
        sqlx::query("SELECT id, target_type, target_id, service_id, region_id, resource_name, resource_limit, description FROM limits ORDER BY target_id, resource_name")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(limit_from)
            .collect()
    }

    /// The limits of one project.
    pub async fn list_project_limits(&self, project_id: &str) -> Result<Vec<LimitRow>> {
        sqlx::query(&self.sql(
            "SELECT id, target_type, target_id, service_id, region_id, resource_name, resource_limit, description FROM limits \
             WHERE target_type = 'project' AND target_id = ? ORDER BY resource_name",
        ))
        .bind(project_id)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(limit_from)
        .collect()
    }

    /// Deletes a limit; reports whether it existed.
    pub async fn delete_limit(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM limits WHERE id = ?")).bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }
}
