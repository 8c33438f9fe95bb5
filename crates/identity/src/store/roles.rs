//! Roles and role implications.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, extra_text, parse_extra};

/// A role; `domain_id` is set for domain-specific roles.
#[derive(Debug, Clone)]
pub struct RoleRow {
    pub id: String,
    pub name: String,
    pub domain_id: Option<String>,
    pub description: Option<String>,
    pub options: Map<String, Value>,
}

fn role_from(row: sqlx::any::AnyRow) -> Result<RoleRow> {
    let domain_id: String = row.try_get("domain_id")?;
    Ok(RoleRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domain_id: (!domain_id.is_empty()).then_some(domain_id),
        description: db::opt_text(&row, "description")?,
        options: parse_extra(&db::text(&row, "options")?),
    })
}

impl Store {
    /// Inserts a role.
    pub async fn create_role(&self, r: &RoleRow) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO roles (id, name, domain_id, description, options) VALUES (?, ?, ?, ?, ?)"))
            .bind(&r.id)
            .bind(&r.name)
            .bind(r.domain_id.as_deref().unwrap_or(""))
            .bind(&r.description)
            .bind(extra_text(&r.options))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites a role's mutable columns.
    pub async fn update_role(&self, r: &RoleRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE roles SET name = ?, description = ?, options = ? WHERE id = ?"))
            .bind(&r.name)
            .bind(&r.description)
            .bind(extra_text(&r.options))
            .bind(&r.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One role by id.
    pub async fn get_role(&self, id: &str) -> Result<Option<RoleRow>> {
        sqlx::query(&self.sql("SELECT id, name, domain_id, description, options FROM roles WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(role_from)
            .transpose()
    }

    /// Every role, global and domain-specific, by name.
    pub async fn list_roles(&self) -> Result<Vec<RoleRow>> {
        sqlx::query("SELECT id, name, domain_id, description, options FROM roles ORDER BY name")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(role_from)
            .collect()
    }

    /// Deletes a role with its implications and assignments.
    pub async fn delete_role(&self, id: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM implied_roles WHERE prior_role_id = ? OR implied_role_id = ?"))
            .bind(id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for q in [
            "DELETE FROM assignments WHERE role_id = ?",
            "DELETE FROM application_credential_roles WHERE role_id = ?",
            "DELETE FROM roles WHERE id = ?",
        ] {
            sqlx::query(&self.sql(q)).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every implication as `(prior, implied)` role ids.
    pub async fn list_implied_roles(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT prior_role_id, implied_role_id FROM implied_roles").fetch_all(self.pool()).await?;
        rows.into_iter().map(|r| Ok((r.try_get("prior_role_id")?, r.try_get("implied_role_id")?))).collect()
    }

    /// Records that `prior` implies `implied`; recording it twice is not an error.
    pub async fn create_implied_role(&self, prior: &str, implied: &str) -> Result<()> {
        let exists: i64 =
            sqlx::query_scalar(&self.sql("SELECT COUNT(*) FROM implied_roles WHERE prior_role_id = ? AND implied_role_id = ?"))
                .bind(prior)
                .bind(implied)
                .fetch_one(self.pool())
                .await?;
        if exists == 0 {
            sqlx::query(&self.sql("INSERT INTO implied_roles (prior_role_id, implied_role_id) VALUES (?, ?)"))
                .bind(prior)
                .bind(implied)
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// Removes an implication; reports whether it existed.
    pub async fn delete_implied_role(&self, prior: &str, implied: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM implied_roles WHERE prior_role_id = ? AND implied_role_id = ?"))
            .bind(prior)
            .bind(implied)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
