//! Flavors, their extra specs, and the projects a private flavor is shared with.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError};

/// A flavor as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FlavorRow {
    /// Internal id: creation order, and the number Nova's access messages show.
    pub id: i64,
    /// The id clients use.
    pub flavorid: String,
    pub name: String,
    pub memory_mb: i64,
    pub vcpus: i64,
    pub root_gb: i64,
    pub ephemeral_gb: i64,
    pub swap: i64,
    pub rxtx_factor: f64,
    pub vcpu_weight: Option<i64>,
    pub disabled: bool,
    pub is_public: bool,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    /// Its extra specs, by key.
    pub extra_specs: BTreeMap<String, String>,
}

/// Which flavors a listing or lookup may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlavorVisibility {
    /// Every flavor.
    All,
    /// Only private flavors, of any project.
    PrivateOnly,
    /// Public flavors and the private ones shared with this project; disabled ones
    /// too when `include_disabled`.
    SharedWith { project_id: Option<String>, include_disabled: bool },
}

const COLUMNS: &str = "id, flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb, swap, rxtx_factor, vcpu_weight, disabled, \
                       is_public, description, created_at, updated_at";

fn flavor_from(row: &AnyRow) -> Result<FlavorRow> {
    Ok(FlavorRow {
        id: row.try_get("id")?,
        flavorid: db::text(row, "flavorid")?,
        name: db::text(row, "name")?,
        memory_mb: row.try_get("memory_mb")?,
        vcpus: row.try_get("vcpus")?,
        root_gb: row.try_get("root_gb")?,
        ephemeral_gb: row.try_get("ephemeral_gb")?,
        swap: row.try_get("swap")?,
        rxtx_factor: row.try_get("rxtx_factor")?,
        vcpu_weight: row.try_get("vcpu_weight")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        is_public: row.try_get::<i64, _>("is_public")? != 0,
        description: db::opt_text(row, "description")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        extra_specs: BTreeMap::new(),
    })
}

impl Store {
    /// Adds a flavor (its `id` is assigned here) with its extra specs; `Duplicate` when
    /// the name or flavorid is taken, with which one in the message's column.
    pub async fn create_flavor(&self, flavor: &FlavorRow) -> Result<FlavorRow, DuplicateFlavor> {
        let mut tx = self.db.begin_write().await.map_err(StoreError::from)?;
        for (column, value, which) in [("flavorid", &flavor.flavorid, DuplicateFlavor::Id), ("name", &flavor.name, DuplicateFlavor::Name)] {
            let taken = sqlx::query(&self.sql(&format!("SELECT 1 FROM flavors WHERE {column} = ?")))
                .bind(value)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            if taken.is_some() {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(which);
            }
        }
        let id = self.next_id(&mut tx, "flavors").await?;
        let sql = self.sql(
            "INSERT INTO flavors (id, flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb, swap, rxtx_factor, vcpu_weight, disabled, \
             is_public, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        );
        sqlx::query(&sql)
            .bind(id)
            .bind(&flavor.flavorid)
            .bind(&flavor.name)
            .bind(flavor.memory_mb)
            .bind(flavor.vcpus)
            .bind(flavor.root_gb)
            .bind(flavor.ephemeral_gb)
            .bind(flavor.swap)
            .bind(flavor.rxtx_factor)
            .bind(flavor.vcpu_weight)
            .bind(i64::from(flavor.disabled))
            .bind(i64::from(flavor.is_public))
            .bind(&flavor.description)
            .bind(flavor.created_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                // A concurrent create took the name or id between the check and the insert.
                StoreError::Duplicate => DuplicateFlavor::Name,
                other => DuplicateFlavor::Store(other),
            })?;
        for (key, value) in &flavor.extra_specs {
            self.put_extra_spec(&mut tx, id, key, value).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(FlavorRow { id, ..flavor.clone() })
    }

    async fn put_extra_spec(&self, tx: &mut super::Tx, flavor: i64, key: &str, value: &str) -> Result<()> {
        sqlx::query(&self.sql("DELETE FROM flavor_extra_specs WHERE flavor_id = ? AND spec_key = ?"))
            .bind(flavor)
            .bind(key)
            .execute(&mut **tx)
            .await?;
        sqlx::query(&self.sql("INSERT INTO flavor_extra_specs (flavor_id, spec_key, spec_value) VALUES (?, ?, ?)"))
            .bind(flavor)
            .bind(key)
            .bind(value)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Whether any flavor was ever created here (deleted ones count).
    pub async fn flavors_ever_created(&self) -> Result<bool> {
        let row = sqlx::query("SELECT last_id FROM id_counters WHERE name = 'flavors'").fetch_one(self.pool()).await?;
        Ok(row.try_get::<i64, _>("last_id")? > 0)
    }

    /// The flavor with client id `flavorid`, with its extra specs, if `visibility`
    /// lets the caller see it.
    pub async fn get_flavor(&self, flavorid: &str, visibility: &FlavorVisibility) -> Result<Option<FlavorRow>> {
        let (clause, project) = visibility_clause(visibility);
        let text = format!("SELECT {COLUMNS} FROM flavors WHERE flavorid = ?{clause}");
        let sql = self.sql(&text);
        let mut q = sqlx::query(&sql).bind(flavorid);
        if let Some(p) = project {
            q = q.bind(p);
        }
        let Some(row) = q.fetch_optional(self.pool()).await? else { return Ok(None) };
        let mut flavor = flavor_from(&row)?;
        flavor.extra_specs = self.extra_specs(flavor.id).await?;
        Ok(Some(flavor))
    }

    /// Every flavor `visibility` shows with at least `min_ram` MiB and `min_disk` GiB,
    /// with extra specs, in no particular order.
    pub async fn list_flavors(&self, visibility: &FlavorVisibility, min_ram: Option<i64>, min_disk: Option<i64>) -> Result<Vec<FlavorRow>> {
        let (clause, project) = visibility_clause(visibility);
        let text = format!("SELECT {COLUMNS} FROM flavors WHERE memory_mb >= ? AND root_gb >= ?{clause}");
        let sql = self.sql(&text);
        let mut q = sqlx::query(&sql).bind(min_ram.unwrap_or(0)).bind(min_disk.unwrap_or(0));
        if let Some(p) = project {
            q = q.bind(p);
        }
        let mut flavors = q.fetch_all(self.pool()).await?.iter().map(flavor_from).collect::<Result<Vec<_>>>()?;
        let mut specs: std::collections::HashMap<i64, BTreeMap<String, String>> = std::collections::HashMap::new();
        for row in sqlx::query("SELECT flavor_id, spec_key, spec_value FROM flavor_extra_specs").fetch_all(self.pool()).await? {
            specs.entry(row.try_get("flavor_id")?).or_default().insert(db::text(&row, "spec_key")?, db::text(&row, "spec_value")?);
        }
        for f in &mut flavors {
            f.extra_specs = specs.remove(&f.id).unwrap_or_default();
        }
        Ok(flavors)
    }

    /// A flavor's extra specs.
    pub async fn extra_specs(&self, flavor: i64) -> Result<BTreeMap<String, String>> {
        let rows = sqlx::query(&self.sql("SELECT spec_key, spec_value FROM flavor_extra_specs WHERE flavor_id = ?"))
            .bind(flavor)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((db::text(r, "spec_key")?, db::text(r, "spec_value")?))).collect()
    }

    /// Sets a flavor's description; false when the flavor is gone.
    pub async fn set_flavor_description(&self, flavor: i64, description: Option<&str>) -> Result<bool> {
        let done = sqlx::query(&self.sql("UPDATE flavors SET description = ?, updated_at = ? WHERE id = ?"))
            .bind(description)
            .bind(common::time::now_micros())
            .bind(flavor)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a flavor with its specs and access list; false when it was gone.
    pub async fn delete_flavor(&self, flavor: i64) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        for table in ["flavor_extra_specs", "flavor_projects"] {
            sqlx::query(&self.sql(&format!("DELETE FROM {table} WHERE flavor_id = ?"))).bind(flavor).execute(&mut *tx).await?;
        }
        let done = sqlx::query(&self.sql("DELETE FROM flavors WHERE id = ?")).bind(flavor).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Merges `specs` into a flavor's extra specs, in one transaction.
    pub async fn merge_extra_specs(&self, flavor: i64, specs: &BTreeMap<String, String>) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for (key, value) in specs {
            self.put_extra_spec(&mut tx, flavor, key, value).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes one extra spec; false when the flavor had no such key.
    pub async fn delete_extra_spec(&self, flavor: i64, key: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM flavor_extra_specs WHERE flavor_id = ? AND spec_key = ?"))
            .bind(flavor)
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The projects a flavor is shared with, sorted.
    pub async fn flavor_projects(&self, flavor: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(&self.sql("SELECT project_id FROM flavor_projects WHERE flavor_id = ? ORDER BY project_id"))
            .bind(flavor)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(db::text(r, "project_id")?)).collect()
    }

    /// Shares a flavor with a project; `Duplicate` when it already is.
    pub async fn add_flavor_project(&self, flavor: i64, project: &str) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO flavor_projects (flavor_id, project_id) VALUES (?, ?)"))
            .bind(flavor)
            .bind(project)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Stops sharing a flavor with a project; false when it was not shared.
    pub async fn remove_flavor_project(&self, flavor: i64, project: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM flavor_projects WHERE flavor_id = ? AND project_id = ?"))
            .bind(flavor)
            .bind(project)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Why a flavor was not created.
#[derive(Debug, thiserror::Error)]
pub enum DuplicateFlavor {
    /// Its flavorid is taken.
    #[error("flavor id taken")]
    Id,
    /// Its name is taken.
    #[error("flavor name taken")]
    Name,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The WHERE clause (starting with ` AND`) that limits flavors to `visibility`.
fn visibility_clause(visibility: &FlavorVisibility) -> (String, Option<String>) {
    match visibility {
        FlavorVisibility::All => (String::new(), None),
        FlavorVisibility::PrivateOnly => (" AND is_public = 0".into(), None),
        FlavorVisibility::SharedWith { project_id, include_disabled } => {
            let disabled = if *include_disabled { "" } else { " AND disabled = 0" };
            match project_id {
                Some(p) => (
                    format!(
                        "{disabled} AND (is_public = 1 OR EXISTS (SELECT 1 FROM flavor_projects fp WHERE fp.flavor_id = flavors.id AND fp.project_id = ?))"
                    ),
                    Some(p.clone()),
                ),
                None => (format!("{disabled} AND is_public = 1"), None),
            }
        }
    }
}
