//! Token revocation events.

use sqlx::Row;

use super::{Result, Store};

/// A revocation event: tokens issued at or before `issued_before` that match every
/// field that is set are revoked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationRow {
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    pub audit_id: Option<String>,
    pub audit_chain_id: Option<String>,
    pub issued_before: i64,
    pub revoked_at: i64,
}

impl Store {
    /// Records a revocation event.
    pub async fn create_revocation(&self, r: &RevocationRow) -> Result<()> {
        sqlx::query(&self.sql(
            "INSERT INTO revocation_events (id, user_id, project_id, domain_id, audit_id, audit_chain_id, issued_before, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(common::ids::hex_id())
        .bind(&r.user_id)
        .bind(&r.project_id)
        .bind(&r.domain_id)
        .bind(&r.audit_id)
        .bind(&r.audit_chain_id)
        .bind(r.issued_before)
        .bind(r.revoked_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Events revoked at or after `since`, oldest first.
    pub async fn list_revocations_since(&self, since: i64) -> Result<Vec<RevocationRow>> {
        let rows = sqlx::query(&self.sql(
            "SELECT user_id, project_id, domain_id, audit_id, audit_chain_id, issued_before, revoked_at FROM revocation_events WHERE revoked_at >= ? ORDER BY revoked_at",
        ))
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(RevocationRow {
                    user_id: r.try_get("user_id")?,
                    project_id: r.try_get("project_id")?,
                    domain_id: r.try_get("domain_id")?,
                    audit_id: r.try_get("audit_id")?,
                    audit_chain_id: r.try_get("audit_chain_id")?,
                    issued_before: r.try_get("issued_before")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Forgets events older than any token still worth checking.
    pub async fn prune_revocations(&self, revoked_before: i64) -> Result<u64> {
        let done =
            sqlx::query(&self.sql("DELETE FROM revocation_events WHERE revoked_at < ?")).bind(revoked_before).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }
}
