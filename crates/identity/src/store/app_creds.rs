//! Application credentials.

use sqlx::Row;

use super::{AccessRuleRow, Result, Store};

/// An application credential; the secret itself is never stored, only its hash.
#[derive(Debug, Clone)]
pub struct AppCredRow {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub project_id: String,
    pub secret_hash: String,
    pub description: Option<String>,
    pub expires_at: Option<i64>,
    pub unrestricted: bool,
    pub created_at: i64,
    pub role_ids: Vec<String>,
    /// The calls its tokens may make; empty when it is not restricted by rules.
    pub access_rules: Vec<AccessRuleRow>,
}

const COLUMNS: &str = "id, name, user_id, project_id, secret_hash, description, expires_at, unrestricted, created_at";

fn app_cred_from(row: sqlx::any::AnyRow) -> Result<AppCredRow> {
    Ok(AppCredRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        user_id: row.try_get("user_id")?,
        project_id: row.try_get("project_id")?,
        secret_hash: row.try_get("secret_hash")?,
        description: db::opt_text(&row, "description")?,
        expires_at: row.try_get("expires_at")?,
        unrestricted: row.try_get::<i64, _>("unrestricted")? != 0,
        created_at: row.try_get("created_at")?,
        role_ids: Vec::new(),
        access_rules: Vec::new(),
    })
}

impl Store {
    /// Inserts an application credential with its roles and access rules, creating
    /// the rules it names that do not exist yet.
    pub async fn create_app_cred(&self, a: &AppCredRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql(
            "INSERT INTO application_credentials (id, name, user_id, project_id, secret_hash, description, expires_at, unrestricted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(&a.id)
        .bind(&a.name)
        .bind(&a.user_id)
        .bind(&a.project_id)
        .bind(&a.secret_hash)
        .bind(&a.description)
        .bind(a.expires_at)
        .bind(i64::from(a.unrestricted))
        .bind(a.created_at)
        .execute(&mut *tx)
        .await?;
        for role_id in &a.role_ids {
            sqlx::query(&self.sql("INSERT INTO application_credential_roles (application_credential_id, role_id) VALUES (?, ?)"))
                .bind(&a.id)
                .bind(role_id)
                .execute(&mut *tx)
                .await?;
        }
        for rule in &a.access_rules {
            let exists: Option<String> =
                sqlx::query_scalar(&self.sql("SELECT id FROM access_rules WHERE id = ?")).bind(&rule.id).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                sqlx::query(&self.sql("INSERT INTO access_rules (id, user_id, service, path, method) VALUES (?, ?, ?, ?, ?)"))
                    .bind(&rule.id)
                    .bind(&rule.user_id)
                    .bind(&rule.service)
                    .bind(&rule.path)
                    .bind(&rule.method)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                &self.sql("INSERT INTO application_credential_access_rules (application_credential_id, access_rule_id) VALUES (?, ?)"),
            )
            .bind(&a.id)
            .bind(&rule.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn with_roles(&self, mut a: AppCredRow) -> Result<AppCredRow> {
        a.role_ids = sqlx::query_scalar(&self.sql("SELECT role_id FROM application_credential_roles WHERE application_credential_id = ?"))
            .bind(&a.id)
            .fetch_all(self.pool())
            .await?;
        a.access_rules = self.app_cred_access_rules(&a.id).await?;
        Ok(a)
    }

    /// One application credential by id.
    pub async fn get_app_cred(&self, id: &str) -> Result<Option<AppCredRow>> {
        let q = format!("SELECT {COLUMNS} FROM application_credentials WHERE id = ?");
        match sqlx::query(&self.sql(&q)).bind(id).fetch_optional(self.pool()).await? {
            Some(row) => Ok(Some(self.with_roles(app_cred_from(row)?).await?)),
            None => Ok(None),
        }
    }

    /// One application credential by its owner and name.
    pub async fn get_app_cred_by_name(&self, user_id: &str, name: &str) -> Result<Option<AppCredRow>> {
        let q = format!("SELECT {COLUMNS} FROM application_credentials WHERE user_id = ? AND name = ?");
        match sqlx::query(&self.sql(&q)).bind(user_id).bind(name).fetch_optional(self.pool()).await? {
            Some(row) => Ok(Some(self.with_roles(app_cred_from(row)?).await?)),
            None => Ok(None),
        }
    }

    /// A user's application credentials, by name.
    pub async fn list_app_creds(&self, user_id: &str) -> Result<Vec<AppCredRow>> {
        let q = format!("SELECT {COLUMNS} FROM application_credentials WHERE user_id = ? ORDER BY name");
        let rows = sqlx::query(&self.sql(&q)).bind(user_id).fetch_all(self.pool()).await?;
        let mut all = Vec::with_capacity(rows.len());
        for row in rows {
            all.push(self.with_roles(app_cred_from(row)?).await?);
        }
        Ok(all)
    }

    /// Deletes an application credential; reports whether it existed.
    pub async fn delete_app_cred(&self, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM application_credential_roles WHERE application_credential_id = ?"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&self.sql("DELETE FROM application_credential_access_rules WHERE application_credential_id = ?"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(&self.sql("DELETE FROM application_credentials WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
