//! Trusts (OS-TRUST).

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, extra_text, parse_extra};

/// A trust and the roles it delegates.
#[derive(Debug, Clone)]
pub struct TrustRow {
    pub id: String,
    pub trustor_user_id: String,
    pub trustee_user_id: String,
    pub project_id: Option<String>,
    pub impersonation: bool,
    pub expires_at: Option<i64>,
    pub remaining_uses: Option<i64>,
    pub allow_redelegation: bool,
    /// How many more times this trust may be redelegated down a chain.
    pub redelegation_count: i64,
    /// The trust this one was redelegated from.
    pub redelegated_trust_id: Option<String>,
    pub role_ids: Vec<String>,
    pub extra: Map<String, Value>,
}

const COLUMNS: &str = "id, trustor_user_id, trustee_user_id, project_id, impersonation, expires_at, remaining_uses, allow_redelegation, \
                       redelegation_count, redelegated_trust_id, extra";

fn trust_from(row: sqlx::any::AnyRow) -> Result<TrustRow> {
    Ok(TrustRow {
        id: row.try_get("id")?,
        trustor_user_id: row.try_get("trustor_user_id")?,
        trustee_user_id: row.try_get("trustee_user_id")?,
        project_id: row.try_get("project_id")?,
        impersonation: row.try_get::<i64, _>("impersonation")? != 0,
        expires_at: row.try_get("expires_at")?,
        remaining_uses: row.try_get("remaining_uses")?,
        allow_redelegation: row.try_get::<i64, _>("allow_redelegation")? != 0,
        redelegation_count: row.try_get("redelegation_count")?,
        redelegated_trust_id: row.try_get("redelegated_trust_id")?,
        role_ids: Vec::new(),
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

impl Store {
    /// Inserts a trust with its roles.
    pub async fn create_trust(&self, t: &TrustRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql(&format!("INSERT INTO trusts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
            .bind(&t.id)
            .bind(&t.trustor_user_id)
            .bind(&t.trustee_user_id)
            .bind(&t.project_id)
            .bind(i64::from(t.impersonation))
            .bind(t.expires_at)
            .bind(t.remaining_uses)
            .bind(i64::from(t.allow_redelegation))
            .bind(t.redelegation_count)
            .bind(&t.redelegated_trust_id)
            .bind(extra_text(&t.extra))
            .execute(&mut *tx)
            .await?;
        for role_id in &t.role_ids {
            sqlx::query(&self.sql("INSERT INTO trust_roles (trust_id, role_id) VALUES (?, ?)"))
                .bind(&t.id)
                .bind(role_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn with_trust_roles(&self, mut t: TrustRow) -> Result<TrustRow> {
        t.role_ids = sqlx::query_scalar(&self.sql("SELECT role_id FROM trust_roles WHERE trust_id = ? ORDER BY role_id"))
            .bind(&t.id)
            .fetch_all(self.pool())
            .await?;
        Ok(t)
    }

    /// One trust by id.
    pub async fn get_trust(&self, id: &str) -> Result<Option<TrustRow>> {
        let q = format!("SELECT {COLUMNS} FROM trusts WHERE id = ?");
        match sqlx::query(&self.sql(&q)).bind(id).fetch_optional(self.pool()).await? {
            Some(row) => Ok(Some(self.with_trust_roles(trust_from(row)?).await?)),
            None => Ok(None),
        }
    }

    /// Every trust.
    pub async fn list_trusts(&self) -> Result<Vec<TrustRow>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM trusts ORDER BY id")).fetch_all(self.pool()).await?;
        let mut all = Vec::with_capacity(rows.len());
        for row in rows {
            all.push(self.with_trust_roles(trust_from(row)?).await?);
        }
        Ok(all)
    }

    /// Uses up one of a limited trust's uses; false when none are left. Unlimited
    /// trusts always succeed. One statement, so concurrent uses cannot overdraw.
    pub async fn consume_trust_use(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql(
            "UPDATE trusts SET remaining_uses = remaining_uses - 1 WHERE id = ? AND remaining_uses IS NOT NULL AND remaining_uses > 0",
        ))
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        let unlimited: Option<i64> = sqlx::query_scalar(&self.sql("SELECT COUNT(*) FROM trusts WHERE id = ? AND remaining_uses IS NULL"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(unlimited.unwrap_or(0) > 0)
    }

    /// The ids of the trusts redelegated from trust `id`.
    pub async fn list_redelegated_trust_ids(&self, id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(&self.sql("SELECT id FROM trusts WHERE redelegated_trust_id = ? ORDER BY id"))
            .bind(id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Deletes a trust; reports whether it existed.
    pub async fn delete_trust(&self, id: &str) -> Result<bool> {
        Ok(self.delete_trusts(&[id.to_owned()]).await? > 0)
    }

    /// Deletes trusts in one transaction; reports how many existed.
    pub async fn delete_trusts(&self, ids: &[String]) -> Result<u64> {
        let mut tx = self.db.begin_write().await?;
        let mut deleted = 0;
        for id in ids {
            sqlx::query(&self.sql("DELETE FROM trust_roles WHERE trust_id = ?")).bind(id).execute(&mut *tx).await?;
            deleted += sqlx::query(&self.sql("DELETE FROM trusts WHERE id = ?")).bind(id).execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(deleted)
    }
}
