//! Credentials and policy blobs.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, extra_text, parse_extra};

/// A credential; the blob is stored encrypted and never leaves the store in clear.
#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub id: String,
    pub user_id: String,
    pub project_id: Option<String>,
    pub credential_type: String,
    pub encrypted_blob: String,
    /// Digest of the credential key that sealed the blob; `None` when not recorded.
    pub key_hash: Option<String>,
    pub extra: Map<String, Value>,
}

/// A policy blob (`/v3/policies`).
#[derive(Debug, Clone)]
pub struct PolicyRow {
    pub id: String,
    pub policy_type: String,
    pub blob: String,
    pub extra: Map<String, Value>,
}

fn credential_from(row: sqlx::any::AnyRow) -> Result<CredentialRow> {
    Ok(CredentialRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        project_id: row.try_get("project_id")?,
        credential_type: row.try_get("type")?,
        encrypted_blob: db::text(&row, "encrypted_blob")?,
        key_hash: db::opt_text(&row, "key_hash")?,
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

const CREDENTIAL_COLUMNS: &str = "id, user_id, project_id, type, encrypted_blob, key_hash, extra";

fn policy_from(row: sqlx::any::AnyRow) -> Result<PolicyRow> {
    Ok(PolicyRow {
        id: row.try_get("id")?,
        policy_type: row.try_get("type")?,
        blob: db::text(&row, "content")?,
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

impl Store {
    /// Inserts a credential.
    pub async fn create_credential(&self, c: &CredentialRow) -> Result<()> {
        sqlx::query(&self.sql(&format!("INSERT INTO credentials ({CREDENTIAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)")))
            .bind(&c.id)
            .bind(&c.user_id)
            .bind(&c.project_id)
            .bind(&c.credential_type)
            .bind(&c.encrypted_blob)
            .bind(&c.key_hash)
            .bind(extra_text(&c.extra))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites a credential.
    pub async fn update_credential(&self, c: &CredentialRow) -> Result<()> {
        sqlx::query(
            &self.sql(
                "UPDATE credentials SET user_id = ?, project_id = ?, type = ?, encrypted_blob = ?, key_hash = ?, extra = ? WHERE id = ?",
            ),
        )
        .bind(&c.user_id)
        .bind(&c.project_id)
        .bind(&c.credential_type)
        .bind(&c.encrypted_blob)
        .bind(&c.key_hash)
        .bind(extra_text(&c.extra))
        .bind(&c.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// One credential by id.
    pub async fn get_credential(&self, id: &str) -> Result<Option<CredentialRow>> {
        sqlx::query(&self.sql(&format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(credential_from)
            .transpose()
    }

    /// All credentials, optionally of one user.
    pub async fn list_credentials(&self, user_id: Option<&str>) -> Result<Vec<CredentialRow>> {
        let rows = match user_id {
            Some(u) => {
                sqlx::query(&self.sql(&format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE user_id = ? ORDER BY id")))
                    .bind(u)
                    .fetch_all(self.pool())
                    .await?
            }
            None => sqlx::query(&format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY id")).fetch_all(self.pool()).await?,
        };
        rows.into_iter().map(credential_from).collect()
    }

    /// Deletes a credential; reports whether it existed.
    pub async fn delete_credential(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM credentials WHERE id = ?")).bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Inserts a policy blob.
    pub async fn create_policy(&self, p: &PolicyRow) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO policies (id, type, content, extra) VALUES (?, ?, ?, ?)"))
            .bind(&p.id)
            .bind(&p.policy_type)
            .bind(&p.blob)
            .bind(extra_text(&p.extra))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites a policy blob.
    pub async fn update_policy(&self, p: &PolicyRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE policies SET type = ?, content = ?, extra = ? WHERE id = ?"))
            .bind(&p.policy_type)
            .bind(&p.blob)
            .bind(extra_text(&p.extra))
            .bind(&p.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One policy blob by id.
    pub async fn get_policy(&self, id: &str) -> Result<Option<PolicyRow>> {
        sqlx::query(&self.sql("SELECT id, type, content, extra FROM policies WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(policy_from)
            .transpose()
    }

    /// All policy blobs.
    pub async fn list_policies(&self) -> Result<Vec<PolicyRow>> {
        sqlx::query("SELECT id, type, content, extra FROM policies ORDER BY id")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(policy_from)
            .collect()
    }

    /// Deletes a policy blob; reports whether it existed.
    pub async fn delete_policy(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM policies WHERE id = ?")).bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }
}
