//! Key pairs, unique by name per user.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store};

/// A key pair as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeypairRow {
    /// The number show answers with; assigned at insert.
    pub id: i64,
    pub user_id: String,
    pub name: String,
    /// `ssh` or `x509`.
    pub key_type: String,
    pub fingerprint: String,
    /// The public key (or PEM certificate) exactly as given or generated.
    pub public_key: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, user_id, name, key_type, fingerprint, public_key, created_at";

fn keypair_from(row: &AnyRow) -> Result<KeypairRow> {
    Ok(KeypairRow {
        id: row.try_get("id")?,
        user_id: db::text(row, "user_id")?,
        name: db::text(row, "name")?,
        key_type: db::text(row, "key_type")?,
        fingerprint: db::text(row, "fingerprint")?,
        public_key: db::text(row, "public_key")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Adds a key pair (its `id` is assigned here); `Duplicate` when the user has one of
    /// that name.
    pub async fn create_keypair(&self, keypair: &KeypairRow) -> Result<KeypairRow> {
        let mut tx = self.db.begin_write().await?;
        let id = self.next_id(&mut tx, "key_pairs").await?;
        let text = format!("INSERT INTO key_pairs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)");
        let sql = self.sql(&text);
        let inserted = sqlx::query(&sql)
            .bind(id)
            .bind(&keypair.user_id)
            .bind(&keypair.name)
            .bind(&keypair.key_type)
            .bind(&keypair.fingerprint)
            .bind(&keypair.public_key)
            .bind(keypair.created_at)
            .execute(&mut *tx)
            .await;
        if let Err(e) = inserted {
            tx.rollback().await?;
            return Err(e.into());
        }
        tx.commit().await?;
        Ok(KeypairRow { id, ..keypair.clone() })
    }

    /// How many key pairs a user has.
    pub async fn count_keypairs(&self, user_id: &str) -> Result<usize> {
        let row =
            sqlx::query(&self.sql("SELECT COUNT(*) AS n FROM key_pairs WHERE user_id = ?")).bind(user_id).fetch_one(self.pool()).await?;
        Ok(usize::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
    }

    /// A user's key pair by name.
    pub async fn get_keypair(&self, user_id: &str, name: &str) -> Result<Option<KeypairRow>> {
        let text = format!("SELECT {COLUMNS} FROM key_pairs WHERE user_id = ? AND name = ?");
        let sql = self.sql(&text);
        sqlx::query(&sql).bind(user_id).bind(name).fetch_optional(self.pool()).await?.as_ref().map(keypair_from).transpose()
    }

    /// A user's key pairs by name, those after `marker` only, at most `limit`.
    pub async fn list_keypairs(&self, user_id: &str, marker: Option<&str>, limit: Option<usize>) -> Result<Vec<KeypairRow>> {
        let after = if marker.is_some() { " AND name > ?" } else { "" };
        let limit = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
        let text = format!("SELECT {COLUMNS} FROM key_pairs WHERE user_id = ?{after} ORDER BY name{limit}");
        let sql = self.sql(&text);
        let mut q = sqlx::query(&sql).bind(user_id);
        if let Some(m) = marker {
            q = q.bind(m);
        }
        q.fetch_all(self.pool()).await?.iter().map(keypair_from).collect()
    }

    /// Deletes a user's key pair; false when there was none of that name.
    pub async fn delete_keypair(&self, user_id: &str, name: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM key_pairs WHERE user_id = ? AND name = ?"))
            .bind(user_id)
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
