//! Server groups.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store};

/// A server group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerGroupRow {
    pub uuid: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    /// `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`.
    pub policy: String,
    /// Anti-affinity's rule: at most this many members per host.
    pub max_server_per_host: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "uuid, name, project_id, user_id, policy, max_server_per_host, created_at";

fn group_from(row: &AnyRow) -> Result<ServerGroupRow> {
    Ok(ServerGroupRow {
        uuid: db::text(row, "uuid")?,
        name: db::text(row, "name")?,
        project_id: db::text(row, "project_id")?,
        user_id: db::text(row, "user_id")?,
        policy: db::text(row, "policy")?,
        max_server_per_host: row.try_get("max_server_per_host")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Adds a server group.
    pub async fn create_server_group(&self, g: &ServerGroupRow) -> Result<()> {
        let text = format!("INSERT INTO server_groups ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)");
        sqlx::query(&self.sql(&text))
            .bind(&g.uuid)
            .bind(&g.name)
            .bind(&g.project_id)
            .bind(&g.user_id)
            .bind(&g.policy)
            .bind(g.max_server_per_host)
            .bind(g.created_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The server groups of a project (every project's with `None`), oldest first.
    pub async fn list_server_groups(&self, project: Option<&str>) -> Result<Vec<ServerGroupRow>> {
        let rows = match project {
            Some(p) => {
                let text = format!("SELECT {COLUMNS} FROM server_groups WHERE project_id = ? ORDER BY created_at, uuid");
                sqlx::query(&self.sql(&text)).bind(p).fetch_all(self.pool()).await?
            }
            None => sqlx::query(&format!("SELECT {COLUMNS} FROM server_groups ORDER BY created_at, uuid")).fetch_all(self.pool()).await?,
        };
        rows.iter().map(group_from).collect()
    }

    /// A server group.
    pub async fn get_server_group(&self, uuid: &str) -> Result<Option<ServerGroupRow>> {
        let text = format!("SELECT {COLUMNS} FROM server_groups WHERE uuid = ?");
        sqlx::query(&self.sql(&text)).bind(uuid).fetch_optional(self.pool()).await?.as_ref().map(group_from).transpose()
    }

    /// Deletes a server group; false when it was gone.
    pub async fn delete_server_group(&self, uuid: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM server_groups WHERE uuid = ?")).bind(uuid).execute(self.pool()).await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many server groups a project (or one of its users) has.
    pub async fn count_server_groups(&self, project: &str, user: Option<&str>) -> Result<i64> {
        let row = match user {
            Some(u) => {
                sqlx::query(&self.sql("SELECT COUNT(*) AS n FROM server_groups WHERE project_id = ? AND user_id = ?"))
                    .bind(project)
                    .bind(u)
                    .fetch_one(self.pool())
                    .await?
            }
            None => {
                sqlx::query(&self.sql("SELECT COUNT(*) AS n FROM server_groups WHERE project_id = ?"))
                    .bind(project)
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(row.try_get("n")?)
    }
}
