//! Application credential access rules.

use sqlx::Row;

use super::{Result, Store};

/// An access rule, owned by a user and shared by the application credentials naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRuleRow {
    pub id: String,
    pub user_id: String,
    pub service: String,
    pub path: String,
    pub method: String,
}

/// What deleting an access rule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRuleDeletion {
    Deleted,
    /// An application credential still names the rule; nothing was deleted.
    InUse,
    Missing,
}

const COLUMNS: &str = "id, user_id, service, path, method";

fn access_rule_from(row: sqlx::any::AnyRow) -> Result<AccessRuleRow> {
    Ok(AccessRuleRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        service: row.try_get("service")?,
        path: row.try_get("path")?,
        method: row.try_get("method")?,
    })
}

impl Store {
    /// One access rule by id.
    pub async fn get_access_rule(&self, id: &str) -> Result<Option<AccessRuleRow>> {
        sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM access_rules WHERE id = ?")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(access_rule_from)
            .transpose()
    }

    /// A user's rule for exactly this service, path and method, if there is one.
    pub async fn find_access_rule(&self, user_id: &str, service: &str, path: &str, method: &str) -> Result<Option<AccessRuleRow>> {
        sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM access_rules WHERE user_id = ? AND service = ? AND path = ? AND method = ?")))
            .bind(user_id)
            .bind(service)
            .bind(path)
            .bind(method)
            .fetch_optional(self.pool())
            .await?
            .map(access_rule_from)
            .transpose()
    }

    /// A user's access rules, whether or not an application credential names them.
    pub async fn list_access_rules(&self, user_id: &str) -> Result<Vec<AccessRuleRow>> {
        let rows = sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM access_rules WHERE user_id = ? ORDER BY id")))
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(access_rule_from).collect()
    }

    /// The access rules an application credential names.
    pub(super) async fn app_cred_access_rules(&self, app_cred_id: &str) -> Result<Vec<AccessRuleRow>> {
        let rows = sqlx::query(&self.sql(
            "SELECT r.id, r.user_id, r.service, r.path, r.method FROM access_rules r \
             JOIN application_credential_access_rules l ON l.access_rule_id = r.id \
             WHERE l.application_credential_id = ? ORDER BY r.id",
        ))
        .bind(app_cred_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(access_rule_from).collect()
    }

    /// Deletes an access rule unless an application credential names it. One
    /// statement, so a credential created meanwhile cannot lose its rule.
    pub async fn delete_access_rule(&self, id: &str) -> Result<AccessRuleDeletion> {
        let done = sqlx::query(&self.sql(
            "DELETE FROM access_rules WHERE id = ? AND NOT EXISTS \
             (SELECT 1 FROM application_credential_access_rules WHERE access_rule_id = ?)",
        ))
        .bind(id)
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() > 0 {
            return Ok(AccessRuleDeletion::Deleted);
        }
        Ok(if self.get_access_rule(id).await?.is_some() { AccessRuleDeletion::InUse } else { AccessRuleDeletion::Missing })
    }
}
