//! OS-EP-FILTER: endpoint groups and which endpoints projects see.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, extra_text, parse_extra};

/// An endpoint group: endpoints chosen by service, region and interface.
#[derive(Debug, Clone)]
pub struct EndpointGroupRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Any of `service_id`, `region_id`, `interface`.
    pub filters: Map<String, Value>,
}

fn group_from(row: sqlx::any::AnyRow) -> Result<EndpointGroupRow> {
    Ok(EndpointGroupRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: db::opt_text(&row, "description")?,
        filters: parse_extra(&db::text(&row, "filters")?),
    })
}

impl Store {
    /// Inserts an endpoint group.
    pub async fn create_endpoint_group(&self, g: &EndpointGroupRow) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO endpoint_groups (id, name, description, filters) VALUES (?, ?, ?, ?)"))
            .bind(&g.id)
            .bind(&g.name)
            .bind(&g.description)
            .bind(extra_text(&g.filters))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites an endpoint group.
    pub async fn update_endpoint_group(&self, g: &EndpointGroupRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE endpoint_groups SET name = ?, description = ?, filters = ? WHERE id = ?"))
            .bind(&g.name)
            .bind(&g.description)
            .bind(extra_text(&g.filters))
            .bind(&g.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every endpoint group.
    pub async fn list_endpoint_groups(&self) -> Result<Vec<EndpointGroupRow>> {
        sqlx::query("SELECT id, name, description, filters FROM endpoint_groups ORDER BY name")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(group_from)
            .collect()
    }

    /// Deletes an endpoint group and its project associations.
    pub async fn delete_endpoint_group(&self, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM project_endpoint_groups WHERE endpoint_group_id = ?")).bind(id).execute(&mut *tx).await?;
        let done = sqlx::query(&self.sql("DELETE FROM endpoint_groups WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every `(project, endpoint)` association.
    pub async fn list_project_endpoints(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT project_id, endpoint_id FROM project_endpoints").fetch_all(self.pool()).await?;
        rows.into_iter().map(|r| Ok((r.try_get("project_id")?, r.try_get("endpoint_id")?))).collect()
    }

    /// Every `(endpoint group, project)` association.
    pub async fn list_project_endpoint_groups(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT endpoint_group_id, project_id FROM project_endpoint_groups").fetch_all(self.pool()).await?;
        rows.into_iter().map(|r| Ok((r.try_get("endpoint_group_id")?, r.try_get("project_id")?))).collect()
    }

    /// Associates an endpoint (or, with `group`, an endpoint group) with a project;
    /// associating twice is not an error.
    pub async fn add_endpoint_association(&self, group: bool, id: &str, project_id: &str) -> Result<()> {
        let exists = self.endpoint_association_exists(group, id, project_id).await?;
        if !exists {
            let q = if group {
                "INSERT INTO project_endpoint_groups (endpoint_group_id, project_id) VALUES (?, ?)"
            } else {
                "INSERT INTO project_endpoints (endpoint_id, project_id) VALUES (?, ?)"
            };
            sqlx::query(&self.sql(q)).bind(id).bind(project_id).execute(self.pool()).await?;
        }
        Ok(())
    }

    /// Whether an endpoint (or endpoint group) is associated with a project.
    pub async fn endpoint_association_exists(&self, group: bool, id: &str, project_id: &str) -> Result<bool> {
        let q = if group {
            "SELECT COUNT(*) FROM project_endpoint_groups WHERE endpoint_group_id = ? AND project_id = ?"
        } else {
            "SELECT COUNT(*) FROM project_endpoints WHERE endpoint_id = ? AND project_id = ?"
        };
        let n: i64 = sqlx::query_scalar(&self.sql(q)).bind(id).bind(project_id).fetch_one(self.pool()).await?;
        Ok(n > 0)
    }

    /// Removes an association; reports whether it existed.
    pub async fn remove_endpoint_association(&self, group: bool, id: &str, project_id: &str) -> Result<bool> {
        let q = if group {
            "DELETE FROM project_endpoint_groups WHERE endpoint_group_id = ? AND project_id = ?"
        } else {
            "DELETE FROM project_endpoints WHERE endpoint_id = ? AND project_id = ?"
        };
        let done = sqlx::query(&self.sql(q)).bind(id).bind(project_id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }
}
