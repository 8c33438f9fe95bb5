//! Image members: which projects a shared image is offered to.

use std::collections::HashMap;

use sqlx::Row;

use super::{Result, Store, abandon};

/// One project's membership of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub image_id: String,
    /// The member project's id.
    pub member: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "image_id, member, status, created_at, updated_at";

fn member_from(row: &sqlx::any::AnyRow) -> Result<MemberRow> {
    Ok(MemberRow {
        image_id: row.try_get("image_id")?,
        member: db::text(row, "member")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Adds a member unless the image already has `quota` of them; false when full.
    /// A second membership of the same project is a [`StoreError::Duplicate`](super::StoreError).
    pub async fn add_member(&self, m: &MemberRow, quota: usize) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        // The image's row lock serialises concurrent additions, so the count holds.
        self.lock_image(&mut tx, &m.image_id).await?;
        let count: i64 = sqlx::query_scalar(&self.sql("SELECT COUNT(*) FROM image_members WHERE image_id = ?"))
            .bind(&m.image_id)
            .fetch_one(&mut *tx)
            .await?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= quota {
            return abandon(tx).await;
        }
        sqlx::query(&self.sql(&format!("INSERT INTO image_members ({COLUMNS}) VALUES (?, ?, ?, ?, ?)")))
            .bind(&m.image_id)
            .bind(&m.member)
            .bind(&m.status)
            .bind(m.created_at)
            .bind(m.updated_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// An image's members, oldest first.
    pub async fn list_members(&self, image_id: &str) -> Result<Vec<MemberRow>> {
        let rows = sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM image_members WHERE image_id = ? ORDER BY created_at, member")))
            .bind(image_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(member_from).collect()
    }

    /// One membership.
    pub async fn get_member(&self, image_id: &str, member: &str) -> Result<Option<MemberRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM image_members WHERE image_id = ? AND member = ?")))
            .bind(image_id)
            .bind(member)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(member_from).transpose()
    }

    /// Records a member's answer; false when there is no such membership.
    pub async fn set_member_status(&self, image_id: &str, member: &str, status: &str, at: i64) -> Result<bool> {
        let done = sqlx::query(&self.sql("UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member = ?"))
            .bind(status)
            .bind(at)
            .bind(image_id)
            .bind(member)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends a membership; false when there was none.
    pub async fn delete_member(&self, image_id: &str, member: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM image_members WHERE image_id = ? AND member = ?"))
            .bind(image_id)
            .bind(member)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The status of each membership `project` holds, by image id.
    pub async fn memberships(&self, project: &str) -> Result<HashMap<String, String>> {
        let rows = sqlx::query(&self.sql("SELECT image_id, status FROM image_members WHERE member = ?"))
            .bind(project)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("image_id")?, r.try_get("status")?))).collect()
    }
}
