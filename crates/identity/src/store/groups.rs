//! Groups and their members.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, extra_text, parse_extra};

/// A group.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub description: Option<String>,
    pub extra: Map<String, Value>,
}

fn group_from(row: sqlx::any::AnyRow) -> Result<GroupRow> {
    Ok(GroupRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domain_id: row.try_get("domain_id")?,
        description: db::opt_text(&row, "description")?,
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

impl Store {
    /// Inserts a group.
    pub async fn create_group(&self, g: &GroupRow) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO identity_groups (id, name, domain_id, description, extra) VALUES (?, ?, ?, ?, ?)"))
            .bind(&g.id)
            .bind(&g.name)
            .bind(&g.domain_id)
            .bind(&g.description)
            .bind(extra_text(&g.extra))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites a group's mutable columns.
    pub async fn update_group(&self, g: &GroupRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE identity_groups SET name = ?, description = ?, extra = ? WHERE id = ?"))
            .bind(&g.name)
            .bind(&g.description)
            .bind(extra_text(&g.extra))
            .bind(&g.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One group by id.
    pub async fn get_group(&self, id: &str) -> Result<Option<GroupRow>> {
        sqlx::query(&self.sql("SELECT id, name, domain_id, description, extra FROM identity_groups WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(group_from)
            .transpose()
    }

    /// All groups, by name.
    pub async fn list_groups(&self) -> Result<Vec<GroupRow>> {
        sqlx::query("SELECT id, name, domain_id, description, extra FROM identity_groups ORDER BY name")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(group_from)
            .collect()
    }

    /// The groups a user belongs to, by name.
    pub async fn list_groups_for_user(&self, user_id: &str) -> Result<Vec<GroupRow>> {
        sqlx::query(&self.sql(
            "SELECT g.id, g.name, g.domain_id, g.description, g.extra FROM identity_groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name",
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(group_from)
        .collect()
    }

    /// The ids of the groups a user belongs to.
    pub async fn group_ids_for_user(&self, user_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(&self.sql("SELECT group_id FROM group_members WHERE user_id = ?"))
            .bind(user_id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Deletes a group with its memberships and assignments.
    pub async fn delete_group(&self, id: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for q in [
            "DELETE FROM group_members WHERE group_id = ?",
            "DELETE FROM assignments WHERE actor_type = 'group' AND actor_id = ?",
            "DELETE FROM identity_groups WHERE id = ?",
        ] {
            sqlx::query(&self.sql(q)).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a user to a group; adding a member twice is not an error.
    pub async fn add_group_member(&self, group_id: &str, user_id: &str) -> Result<()> {
        if self.is_group_member(group_id, user_id).await? {
            return Ok(());
        }
        sqlx::query(&self.sql("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)"))
            .bind(group_id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Whether a user is in a group.
    pub async fn is_group_member(&self, group_id: &str, user_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(&self.sql("SELECT COUNT(*) FROM group_members WHERE group_id = ? AND user_id = ?"))
            .bind(group_id)
            .bind(user_id)
            .fetch_one(self.pool())
            .await?;
        Ok(n > 0)
    }

    /// Removes a user from a group; reports whether they were a member.
    pub async fn remove_group_member(&self, group_id: &str, user_id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM group_members WHERE group_id = ? AND user_id = ?"))
            .bind(group_id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
