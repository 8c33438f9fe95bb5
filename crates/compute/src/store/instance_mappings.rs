//! Instance mappings (each instance's cell), build requests (instances not yet placed
//! in a cell) and request specs (what the scheduler was asked for each instance).

use sqlx::Row;

use super::cell::InstanceRow;
use super::{Result, Store, StoreError};

/// Where an instance lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceMappingRow {
    pub instance_uuid: String,
    /// `None` until the scheduler has placed it (or buried it in cell0).
    pub cell_uuid: Option<String>,
    pub project_id: String,
    pub user_id: String,
    pub queued_for_delete: bool,
}

/// One instance of a create request: its build request and its request spec (JSON).
pub struct NewBuild<'a> {
    pub instance: &'a InstanceRow,
    pub request_spec: &'a serde_json::Value,
}

fn corrupt(why: impl std::fmt::Display) -> StoreError {
    StoreError::Db(sqlx::Error::Decode(why.to_string().into()))
}

impl Store {
    /// Records the instances of one create request, each with its mapping, build request
    /// and request spec, joined to `group` when given: all of them or none.
    pub async fn create_builds(&self, builds: &[NewBuild<'_>], group: Option<&str>) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for b in builds {
            let i = b.instance;
            sqlx::query(&self.sql(
                "INSERT INTO instance_mappings (instance_uuid, cell_uuid, project_id, user_id, queued_for_delete, created_at) \
                 VALUES (?, NULL, ?, ?, 0, ?)",
            ))
            .bind(&i.uuid)
            .bind(&i.project_id)
            .bind(&i.user_id)
            .bind(i.created_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&self.sql("INSERT INTO build_requests (instance_uuid, project_id, instance, created_at) VALUES (?, ?, ?, ?)"))
                .bind(&i.uuid)
                .bind(&i.project_id)
                .bind(serde_json::to_string(i).map_err(corrupt)?)
                .bind(i.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&self.sql("INSERT INTO request_specs (instance_uuid, spec) VALUES (?, ?)"))
                .bind(&i.uuid)
                .bind(b.request_spec.to_string())
                .execute(&mut *tx)
                .await?;
            if let Some(group) = group {
                sqlx::query(&self.sql("INSERT INTO server_group_members (group_uuid, instance_uuid) VALUES (?, ?)"))
                    .bind(group)
                    .bind(&i.uuid)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The mapping of the instance `uuid`.
    pub async fn instance_mapping(&self, uuid: &str) -> Result<Option<InstanceMappingRow>> {
        let row =
            sqlx::query(&self.sql(
                "SELECT instance_uuid, cell_uuid, project_id, user_id, queued_for_delete FROM instance_mappings WHERE instance_uuid = ?",
            ))
            .bind(uuid)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(InstanceMappingRow {
                instance_uuid: db::text(&r, "instance_uuid")?,
                cell_uuid: db::opt_text(&r, "cell_uuid")?,
                project_id: db::text(&r, "project_id")?,
                user_id: db::text(&r, "user_id")?,
                queued_for_delete: r.try_get::<i64, _>("queued_for_delete")? != 0,
            })
        })
        .transpose()
    }

    /// Maps the instance to the cell that now holds it.
    pub async fn map_instance_to_cell(&self, uuid: &str, cell_uuid: &str) -> Result<()> {
        sqlx::query(&self.sql("UPDATE instance_mappings SET cell_uuid = ? WHERE instance_uuid = ?"))
            .bind(cell_uuid)
            .bind(uuid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Marks the instance deleted in its mapping (quota counting skips it) and takes it
    /// out of its server groups.
    pub async fn queue_instance_for_delete(&self, uuid: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("UPDATE instance_mappings SET queued_for_delete = 1 WHERE instance_uuid = ?"))
            .bind(uuid)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&self.sql("DELETE FROM server_group_members WHERE instance_uuid = ?")).bind(uuid).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The build request of an instance not yet placed in a cell.
    pub async fn build_request(&self, uuid: &str) -> Result<Option<InstanceRow>> {
        let row = sqlx::query(&self.sql("SELECT instance FROM build_requests WHERE instance_uuid = ?"))
            .bind(uuid)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| serde_json::from_str(&db::text(&r, "instance")?).map_err(corrupt)).transpose()
    }

    /// The build requests of `project_id` (of every project when `None`).
    pub async fn list_build_requests(&self, project_id: Option<&str>) -> Result<Vec<InstanceRow>> {
        let rows = match project_id {
            Some(p) => {
                sqlx::query(&self.sql("SELECT instance FROM build_requests WHERE project_id = ?")).bind(p).fetch_all(self.pool()).await?
            }
            None => sqlx::query(&self.sql("SELECT instance FROM build_requests")).fetch_all(self.pool()).await?,
        };
        rows.iter().map(|r| serde_json::from_str(&db::text(r, "instance")?).map_err(corrupt)).collect()
    }

    /// Rewrites the instance of a build request; `false` when there is none any more.
    pub async fn update_build_request(&self, instance: &InstanceRow) -> Result<bool> {
        let text = serde_json::to_string(instance).map_err(corrupt)?;
        let done = sqlx::query(&self.sql("UPDATE build_requests SET instance = ? WHERE instance_uuid = ?"))
            .bind(text)
            .bind(&instance.uuid)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a build request; `false` when there was none (the user deleted the
    /// instance before it was placed, or it was placed already).
    pub async fn delete_build_request(&self, uuid: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM build_requests WHERE instance_uuid = ?")).bind(uuid).execute(self.pool()).await?;
        Ok(done.rows_affected() == 1)
    }

    /// The request spec of the instance.
    pub async fn request_spec(&self, uuid: &str) -> Result<Option<serde_json::Value>> {
        let row =
            sqlx::query(&self.sql("SELECT spec FROM request_specs WHERE instance_uuid = ?")).bind(uuid).fetch_optional(self.pool()).await?;
        row.map(|r| serde_json::from_str(&db::text(&r, "spec")?).map_err(corrupt)).transpose()
    }

    /// The live members of a server group.
    pub async fn server_group_members(&self, group_uuid: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(&self.sql("SELECT instance_uuid FROM server_group_members WHERE group_uuid = ? ORDER BY instance_uuid"))
            .bind(group_uuid)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| db::text(r, "instance_uuid").map_err(StoreError::from)).collect()
    }

    /// The server group the instance belongs to, if any.
    pub async fn server_group_of(&self, instance_uuid: &str) -> Result<Option<String>> {
        let row = sqlx::query(&self.sql("SELECT group_uuid FROM server_group_members WHERE instance_uuid = ?"))
            .bind(instance_uuid)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| db::text(&r, "group_uuid").map_err(StoreError::from)).transpose()
    }
}
