//! Users and their password history.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, extra_text, parse_extra};

/// A user.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub enabled: bool,
    pub default_project_id: Option<String>,
    pub extra: Map<String, Value>,
    pub options: Map<String, Value>,
    pub created_at: i64,
    pub last_active_at: Option<i64>,
    pub failed_auth_count: i64,
    pub failed_auth_at: Option<i64>,
}

/// One password a user has had.
#[derive(Debug, Clone)]
pub struct PasswordRow {
    pub hash: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub self_service: bool,
}

const USER_COLUMNS: &str =
    "id, name, domain_id, enabled, default_project_id, extra, options, created_at, last_active_at, failed_auth_count, failed_auth_at";

fn user_from(row: sqlx::any::AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domain_id: row.try_get("domain_id")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        default_project_id: row.try_get("default_project_id")?,
        extra: parse_extra(&db::text(&row, "extra")?),
        options: parse_extra(&db::text(&row, "options")?),
        created_at: row.try_get("created_at")?,
        last_active_at: row.try_get("last_active_at")?,
        failed_auth_count: row.try_get("failed_auth_count")?,
        failed_auth_at: row.try_get("failed_auth_at")?,
    })
}

impl Store {
    /// Inserts a user and, when given, its first password, in one transaction.
    pub async fn create_user(&self, u: &UserRow, password: Option<&PasswordRow>) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql(
            "INSERT INTO users (id, name, domain_id, enabled, default_project_id, extra, options, created_at, last_active_at, failed_auth_count, failed_auth_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(&u.id)
        .bind(&u.name)
        .bind(&u.domain_id)
        .bind(i64::from(u.enabled))
        .bind(&u.default_project_id)
        .bind(extra_text(&u.extra))
        .bind(extra_text(&u.options))
        .bind(u.created_at)
        .bind(u.last_active_at)
        .bind(u.failed_auth_count)
        .bind(u.failed_auth_at)
        .execute(&mut *tx)
        .await?;
        if let Some(p) = password {
            insert_password(self, &mut tx, &u.id, p).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rewrites a user's mutable columns and, when given, adds a new current password.
    pub async fn update_user(&self, u: &UserRow, password: Option<&PasswordRow>) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql(
            "UPDATE users SET name = ?, enabled = ?, default_project_id = ?, extra = ?, options = ?, failed_auth_count = ?, failed_auth_at = ? WHERE id = ?",
        ))
        .bind(&u.name)
        .bind(i64::from(u.enabled))
        .bind(&u.default_project_id)
        .bind(extra_text(&u.extra))
        .bind(extra_text(&u.options))
        .bind(u.failed_auth_count)
        .bind(u.failed_auth_at)
        .bind(&u.id)
        .execute(&mut *tx)
        .await?;
        if let Some(p) = password {
            insert_password(self, &mut tx, &u.id, p).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the outcome of a password check: the failure count and time, or a success.
    pub async fn record_auth_attempt(
        &self,
        user_id: &str,
        failed_count: i64,
        failed_at: Option<i64>,
        active_at: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            &self.sql(
                "UPDATE users SET failed_auth_count = ?, failed_auth_at = ?, last_active_at = COALESCE(?, last_active_at) WHERE id = ?",
            ),
        )
        .bind(failed_count)
        .bind(failed_at)
        .bind(active_at)
        .bind(user_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// One user by id.
    pub async fn get_user(&self, id: &str) -> Result<Option<UserRow>> {
        let q = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        sqlx::query(&self.sql(&q)).bind(id).fetch_optional(self.pool()).await?.map(user_from).transpose()
    }

    /// One user by name within a domain.
    pub async fn get_user_by_name(&self, domain_id: &str, name: &str) -> Result<Option<UserRow>> {
        let q = format!("SELECT {USER_COLUMNS} FROM users WHERE domain_id = ? AND name = ?");
        sqlx::query(&self.sql(&q)).bind(domain_id).bind(name).fetch_optional(self.pool()).await?.map(user_from).transpose()
    }

    /// All users, by name.
    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        let q = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        sqlx::query(&q).fetch_all(self.pool()).await?.into_iter().map(user_from).collect()
    }

    /// The members of a group, by name.
    pub async fn list_users_in_group(&self, group_id: &str) -> Result<Vec<UserRow>> {
        let q = format!(
            "SELECT {} FROM users u JOIN group_members m ON m.user_id = u.id WHERE m.group_id = ? ORDER BY u.name",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        sqlx::query(&self.sql(&q)).bind(group_id).fetch_all(self.pool()).await?.into_iter().map(user_from).collect()
    }

    /// A user's passwords, oldest first; the last is the current one.
    pub async fn password_history(&self, user_id: &str) -> Result<Vec<PasswordRow>> {
        let rows = sqlx::query(
            &self.sql("SELECT hash, created_at, expires_at, self_service FROM passwords WHERE user_id = ? ORDER BY created_at, id"),
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PasswordRow {
                    hash: r.try_get("hash")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    self_service: r.try_get::<i64, _>("self_service")? != 0,
                })
            })
            .collect()
    }

    /// Deletes a user with its passwords, memberships, assignments and application
    /// credentials.
    pub async fn delete_user(&self, id: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for q in [
            "DELETE FROM passwords WHERE user_id = ?",
            "DELETE FROM group_members WHERE user_id = ?",
            "DELETE FROM assignments WHERE actor_type = 'user' AND actor_id = ?",
            "DELETE FROM application_credential_roles WHERE application_credential_id IN (SELECT id FROM application_credentials WHERE user_id = ?)",
            "DELETE FROM application_credential_access_rules WHERE application_credential_id IN (SELECT id FROM application_credentials WHERE user_id = ?)",
            "DELETE FROM access_rules WHERE user_id = ?",
            "DELETE FROM application_credentials WHERE user_id = ?",
            "DELETE FROM credentials WHERE user_id = ?",
            "DELETE FROM trust_roles WHERE trust_id IN (SELECT id FROM trusts WHERE trustor_user_id = ? OR trustee_user_id = ?)",
            "DELETE FROM trusts WHERE trustor_user_id = ? OR trustee_user_id = ?",
            "DELETE FROM users WHERE id = ?",
        ] {
            let sql = self.sql(q);
            let mut query = sqlx::query(&sql);
            for _ in 0..q.matches('?').count() {
                query = query.bind(id);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_password(store: &Store, tx: &mut sqlx::Transaction<'_, sqlx::Any>, user_id: &str, p: &PasswordRow) -> Result<()> {
    sqlx::query(&store.sql("INSERT INTO passwords (id, user_id, hash, created_at, expires_at, self_service) VALUES (?, ?, ?, ?, ?, ?)"))
        .bind(common::ids::hex_id())
        .bind(user_id)
        .bind(&p.hash)
        .bind(p.created_at)
        .bind(p.expires_at)
        .bind(i64::from(p.self_service))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
