//! Quota limits per project, per user of a project, and per quota class.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Result, Store};

/// Whose limits a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaScope<'a> {
    /// A project's own limits.
    Project(&'a str),
    /// A user's limits within a project.
    User { project: &'a str, user: &'a str },
    /// A quota class (`default`).
    Class(&'a str),
}

impl QuotaScope<'_> {
    /// The table, and the WHERE clause with its values, of this scope's rows.
    fn rows(&self) -> (&'static str, &'static str, Vec<&str>) {
        match *self {
            QuotaScope::Project(p) => ("quotas", "project_id = ?", vec![p]),
            QuotaScope::User { project, user } => ("project_user_quotas", "project_id = ? AND user_id = ?", vec![project, user]),
            QuotaScope::Class(c) => ("quota_classes", "class_name = ?", vec![c]),
        }
    }
}

impl Store {
    /// The limits set for `scope`, by resource.
    pub async fn quota_limits(&self, scope: QuotaScope<'_>) -> Result<BTreeMap<String, i64>> {
        let (table, clause, values) = scope.rows();
        let text = format!("SELECT resource, hard_limit FROM {table} WHERE {clause}");
        let sql = self.sql(&text);
        let mut q = sqlx::query(&sql);
        for v in values {
            q = q.bind(v);
        }
        q.fetch_all(self.pool()).await?.iter().map(|r| Ok((db::text(r, "resource")?, r.try_get("hard_limit")?))).collect()
    }

    /// The sum over every user of a project of their limit of each resource.
    pub async fn user_quota_sums(&self, project: &str) -> Result<BTreeMap<String, i64>> {
        let text = format!(
            "SELECT resource, {} AS total FROM project_user_quotas WHERE project_id = ? GROUP BY resource",
            self.db.sum_bigint("hard_limit")
        );
        let rows = sqlx::query(&self.sql(&text)).bind(project).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((db::text(r, "resource")?, r.try_get("total")?))).collect()
    }

    /// Sets limits of `scope`, all in one transaction.
    pub async fn set_quota_limits(&self, scope: QuotaScope<'_>, limits: &BTreeMap<String, i64>) -> Result<()> {
        let (table, clause, values) = scope.rows();
        let columns = match scope {
            QuotaScope::Project(_) => "project_id, resource, hard_limit",
            QuotaScope::User { .. } => "project_id, user_id, resource, hard_limit",
            QuotaScope::Class(_) => "class_name, resource, hard_limit",
        };
        let marks = vec!["?"; values.len() + 2].join(", ");
        let delete = format!("DELETE FROM {table} WHERE {clause} AND resource = ?");
        let insert = format!("INSERT INTO {table} ({columns}) VALUES ({marks})");
        let mut tx = self.db.begin_write().await?;
        for (resource, limit) in limits {
            let sql = self.sql(&delete);
            let mut q = sqlx::query(&sql);
            for v in &values {
                q = q.bind(*v);
            }
            q.bind(resource).execute(&mut *tx).await?;
            let sql = self.sql(&insert);
            let mut q = sqlx::query(&sql);
            for v in &values {
                q = q.bind(*v);
            }
            q.bind(resource).bind(*limit).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets a project's limits and its users' (or one user's), back to the defaults.
    pub async fn delete_quota_limits(&self, project: &str, user: Option<&str>) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        match user {
            Some(u) => {
                sqlx::query(&self.sql("DELETE FROM project_user_quotas WHERE project_id = ? AND user_id = ?"))
                    .bind(project)
                    .bind(u)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                for table in ["quotas", "project_user_quotas"] {
                    sqlx::query(&self.sql(&format!("DELETE FROM {table} WHERE project_id = ?"))).bind(project).execute(&mut *tx).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
