//! Images and their tags.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, abandon};

/// An image record. `properties` holds the additional properties, all strings.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    pub id: String,
    pub name: Option<String>,
    pub status: String,
    pub visibility: String,
    pub protected: bool,
    pub os_hidden: bool,
    pub owner: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub size: Option<i64>,
    pub virtual_size: Option<i64>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub min_disk: i64,
    pub min_ram: i64,
    pub properties: Map<String, Value>,
    pub tags: Vec<String>,
    /// The stores holding the data, in the order they got it.
    pub stores: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, status, visibility, protected, os_hidden, owner, disk_format, container_format, size, virtual_size, \
                       checksum, os_hash_algo, os_hash_value, min_disk, min_ram, properties, created_at, updated_at";

fn image_from(row: &sqlx::any::AnyRow) -> Result<ImageRow> {
    Ok(ImageRow {
        id: row.try_get("id")?,
        name: db::opt_text(row, "name")?,
        status: row.try_get("status")?,
        visibility: row.try_get("visibility")?,
        protected: row.try_get::<i64, _>("protected")? != 0,
        os_hidden: row.try_get::<i64, _>("os_hidden")? != 0,
        owner: db::opt_text(row, "owner")?,
        disk_format: db::opt_text(row, "disk_format")?,
        container_format: db::opt_text(row, "container_format")?,
        size: row.try_get("size")?,
        virtual_size: row.try_get("virtual_size")?,
        checksum: db::opt_text(row, "checksum")?,
        os_hash_algo: db::opt_text(row, "os_hash_algo")?,
        os_hash_value: db::opt_text(row, "os_hash_value")?,
        min_disk: row.try_get("min_disk")?,
        min_ram: row.try_get("min_ram")?,
        properties: serde_json::from_str(&db::text(row, "properties")?).unwrap_or_default(),
        tags: Vec::new(),
        stores: Vec::new(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[cfg(test)]
impl ImageRow {
    /// A queued, shared, raw image of project `p1` without data, for tests to adjust.
    pub(crate) fn example(id: &str) -> ImageRow {
        ImageRow {
            id: id.into(),
            name: Some(format!("image {id}")),
            status: "queued".into(),
            visibility: "shared".into(),
            protected: false,
            os_hidden: false,
            owner: Some("p1".into()),
            disk_format: Some("raw".into()),
            container_format: Some("bare".into()),
            size: None,
            virtual_size: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            min_disk: 0,
            min_ram: 0,
            properties: Map::new(),
            tags: Vec::new(),
            stores: Vec::new(),
            created_at: 1,
            updated_at: 1,
        }
    }
}

/// Which images a list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope<'a> {
    /// Every image (an administrator's list).
    All,
    /// Those a caller scoped to this project (or to none) may see.
    SeenBy(Option<&'a str>),
}

/// What an upload found in the data it stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageData {
    pub size: i64,
    pub virtual_size: Option<i64>,
    pub checksum: String,
    pub os_hash_algo: String,
    pub os_hash_value: String,
}

impl Store {
    /// Takes image `id`'s row lock for the rest of `tx`, so that a read-then-write in
    /// the transaction cannot interleave with another's (PostgreSQL and MariaDB lock
    /// the row on update; SQLite's write transactions are serial already). False when
    /// there is no such image.
    pub(super) async fn lock_image(&self, tx: &mut sqlx::Transaction<'static, sqlx::Any>, id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("UPDATE images SET updated_at = updated_at WHERE id = ?")).bind(id).execute(&mut **tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Inserts an image with its tags.
    pub async fn create_image(&self, i: &ImageRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql(&format!("INSERT INTO images ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
            .bind(&i.id)
            .bind(&i.name)
            .bind(&i.status)
            .bind(&i.visibility)
            .bind(i64::from(i.protected))
            .bind(i64::from(i.os_hidden))
            .bind(&i.owner)
            .bind(&i.disk_format)
            .bind(&i.container_format)
            .bind(i.size)
            .bind(i.virtual_size)
            .bind(&i.checksum)
            .bind(&i.os_hash_algo)
            .bind(&i.os_hash_value)
            .bind(i.min_disk)
            .bind(i.min_ram)
            .bind(Value::Object(i.properties.clone()).to_string())
            .bind(i.created_at)
            .bind(i.updated_at)
            .execute(&mut *tx)
            .await?;
        for tag in &i.tags {
            sqlx::query(&self.sql("INSERT INTO image_tags (image_id, tag) VALUES (?, ?)")).bind(&i.id).bind(tag).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rewrites what an update may change: name, visibility, flags, owner, formats,
    /// minimums, properties and tags. The service's own `os_glance_*` properties are
    /// kept as stored, since an import may have changed them since `i` was read.
    pub async fn update_image(&self, i: &ImageRow) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        if !self.lock_image(&mut tx, &i.id).await? {
            return abandon(tx).await;
        }
        let stored = sqlx::query(&self.sql("SELECT properties FROM images WHERE id = ?")).bind(&i.id).fetch_one(&mut *tx).await?;
        let stored: Map<String, Value> = serde_json::from_str(&db::text(&stored, "properties")?).unwrap_or_default();
        let mut properties: Map<String, Value> =
            i.properties.iter().filter(|(k, _)| !k.starts_with("os_glance")).map(|(k, v)| (k.clone(), v.clone())).collect();
        properties.extend(stored.into_iter().filter(|(k, _)| k.starts_with("os_glance")));
        sqlx::query(&self.sql(
            "UPDATE images SET name = ?, visibility = ?, protected = ?, os_hidden = ?, owner = ?, disk_format = ?, \
             container_format = ?, min_disk = ?, min_ram = ?, properties = ?, updated_at = ? WHERE id = ?",
        ))
        .bind(&i.name)
        .bind(&i.visibility)
        .bind(i64::from(i.protected))
        .bind(i64::from(i.os_hidden))
        .bind(&i.owner)
        .bind(&i.disk_format)
        .bind(&i.container_format)
        .bind(i.min_disk)
        .bind(i.min_ram)
        .bind(Value::Object(properties).to_string())
        .bind(i.updated_at)
        .bind(&i.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&self.sql("DELETE FROM image_tags WHERE image_id = ?")).bind(&i.id).execute(&mut *tx).await?;
        for tag in &i.tags {
            sqlx::query(&self.sql("INSERT INTO image_tags (image_id, tag) VALUES (?, ?)")).bind(&i.id).bind(tag).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Moves an image from status `from` to `to`; false when it was not in `from`
    /// (another upload got there first, or it is gone).
    pub async fn transition(&self, id: &str, from: &str, to: &str, at: i64) -> Result<bool> {
        let done = sqlx::query(&self.sql("UPDATE images SET status = ?, updated_at = ? WHERE id = ? AND status = ?"))
            .bind(to)
            .bind(at)
            .bind(id)
            .bind(from)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Marks an image whose data was arriving (status `from`: saving, or importing)
    /// active with what its data turned out to be, held by `stores`; false when it is
    /// no longer in `from` (deleted meanwhile).
    pub async fn activate(&self, id: &str, from: &str, data: &ImageData, stores: &[String], at: i64) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(&self.sql(
            "UPDATE images SET status = 'active', size = ?, virtual_size = ?, checksum = ?, os_hash_algo = ?, os_hash_value = ?, \
             updated_at = ? WHERE id = ? AND status = ?",
        ))
        .bind(data.size)
        .bind(data.virtual_size)
        .bind(&data.checksum)
        .bind(&data.os_hash_algo)
        .bind(&data.os_hash_value)
        .bind(at)
        .bind(id)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return abandon(tx).await;
        }
        for store in stores {
            sqlx::query(&self.sql("INSERT INTO image_locations (image_id, store, created_at) VALUES (?, ?, ?)"))
                .bind(id)
                .bind(store)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records that `store` holds a copy of an active image's data; false when the
    /// image is no longer active.
    pub async fn add_location(&self, id: &str, store: &str, at: i64) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        if !self.lock_image(&mut tx, id).await? {
            return abandon(tx).await;
        }
        let status: Option<String> =
            sqlx::query_scalar(&self.sql("SELECT status FROM images WHERE id = ?")).bind(id).fetch_optional(&mut *tx).await?;
        if status.as_deref() != Some("active") {
            return abandon(tx).await;
        }
        sqlx::query(&self.sql("INSERT INTO image_locations (image_id, store, created_at) VALUES (?, ?, ?)"))
            .bind(id)
            .bind(store)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Forgets `store`'s copy unless it is the image's last; false when it was the
    /// last or not there.
    pub async fn remove_location(&self, id: &str, store: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        if !self.lock_image(&mut tx, id).await? {
            return abandon(tx).await;
        }
        let count: i64 =
            sqlx::query_scalar(&self.sql("SELECT COUNT(*) FROM image_locations WHERE image_id = ?")).bind(id).fetch_one(&mut *tx).await?;
        if count < 2 {
            return abandon(tx).await;
        }
        let done = sqlx::query(&self.sql("DELETE FROM image_locations WHERE image_id = ? AND store = ?"))
            .bind(id)
            .bind(store)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn with_tags(&self, mut i: ImageRow) -> Result<ImageRow> {
        i.tags = sqlx::query_scalar(&self.sql("SELECT tag FROM image_tags WHERE image_id = ? ORDER BY tag"))
            .bind(&i.id)
            .fetch_all(self.pool())
            .await?;
        i.stores = sqlx::query_scalar(&self.sql("SELECT store FROM image_locations WHERE image_id = ? ORDER BY created_at, store"))
            .bind(&i.id)
            .fetch_all(self.pool())
            .await?;
        Ok(i)
    }

    /// One image by id.
    pub async fn get_image(&self, id: &str) -> Result<Option<ImageRow>> {
        let row =
            sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM images WHERE id = ?"))).bind(id).fetch_optional(self.pool()).await?;
        match row {
            Some(row) => Ok(Some(self.with_tags(image_from(&row)?).await?)),
            None => Ok(None),
        }
    }

    /// The images `scope` covers, newest first, with their tags and stores.
    pub async fn list_images(&self, scope: ListScope<'_>) -> Result<Vec<ImageRow>> {
        // What a project may see at all, as Glance's database layer narrows it: its own,
        // public and community images, and shared images it is a member of.
        let (filter, project) = match scope {
            ListScope::All => ("", ""),
            ListScope::SeenBy(project) => (
                " WHERE (i.owner = ? OR i.visibility IN ('public', 'community') \
                 OR (i.visibility = 'shared' AND i.id IN (SELECT image_id FROM image_members WHERE member = ?)))",
                project.unwrap_or(""),
            ),
        };
        let columns = COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
        let images_sql = self.sql(&format!("SELECT {columns} FROM images i{filter} ORDER BY i.created_at DESC, i.id DESC")).into_owned();
        let tags_sql = self
            .sql(&format!("SELECT t.image_id, t.tag FROM image_tags t JOIN images i ON i.id = t.image_id{filter} ORDER BY t.tag"))
            .into_owned();
        let stores_sql = self
            .sql(&format!(
                "SELECT l.image_id, l.store FROM image_locations l JOIN images i ON i.id = l.image_id{filter} ORDER BY l.created_at, l.store"
            ))
            .into_owned();
        let project = (!filter.is_empty()).then_some(project);
        let rows = self.fetch_scoped(&images_sql, project).await?;
        let mut tags: HashMap<String, Vec<String>> = HashMap::new();
        for row in self.fetch_scoped(&tags_sql, project).await? {
            tags.entry(row.try_get("image_id")?).or_default().push(row.try_get("tag")?);
        }
        let mut stores: HashMap<String, Vec<String>> = HashMap::new();
        for row in self.fetch_scoped(&stores_sql, project).await? {
            stores.entry(row.try_get("image_id")?).or_default().push(row.try_get("store")?);
        }
        rows.iter()
            .map(|row| {
                let mut image = image_from(row)?;
                image.tags = tags.remove(&image.id).unwrap_or_default();
                image.stores = stores.remove(&image.id).unwrap_or_default();
                Ok(image)
            })
            .collect()
    }

    /// Runs a list query, binding the project twice when it is narrowed to one.
    async fn fetch_scoped(&self, sql: &str, project: Option<&str>) -> Result<Vec<sqlx::any::AnyRow>> {
        let query = sqlx::query(sql);
        let query = match project {
            Some(project) => query.bind(project).bind(project),
            None => query,
        };
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Adds a tag; false when the image already had it.
    pub async fn add_tag(&self, id: &str, tag: &str, at: i64) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let exists: Option<String> = sqlx::query_scalar(&self.sql("SELECT tag FROM image_tags WHERE image_id = ? AND tag = ?"))
            .bind(id)
            .bind(tag)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            sqlx::query(&self.sql("INSERT INTO image_tags (image_id, tag) VALUES (?, ?)")).bind(id).bind(tag).execute(&mut *tx).await?;
            sqlx::query(&self.sql("UPDATE images SET updated_at = ? WHERE id = ?")).bind(at).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(exists.is_none())
    }

    /// Removes a tag; false when the image did not have it.
    pub async fn delete_tag(&self, id: &str, tag: &str, at: i64) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let done =
            sqlx::query(&self.sql("DELETE FROM image_tags WHERE image_id = ? AND tag = ?")).bind(id).bind(tag).execute(&mut *tx).await?;
        if done.rows_affected() > 0 {
            sqlx::query(&self.sql("UPDATE images SET updated_at = ? WHERE id = ?")).bind(at).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes an image with its tags, members and locations; false when it did not exist.
    pub async fn delete_image(&self, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM image_tags WHERE image_id = ?")).bind(id).execute(&mut *tx).await?;
        sqlx::query(&self.sql("DELETE FROM image_members WHERE image_id = ?")).bind(id).execute(&mut *tx).await?;
        sqlx::query(&self.sql("DELETE FROM image_locations WHERE image_id = ?")).bind(id).execute(&mut *tx).await?;
        let done = sqlx::query(&self.sql("DELETE FROM images WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}

/// What one project's images take up, as quotas count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Images, whatever their status.
    pub images: i64,
    /// Images whose data is arriving (saving, uploading, importing).
    pub uploading: i64,
    /// Bytes of stored data (active and deactivated images).
    pub stored_bytes: i64,
    /// Bytes of staged data (uploading and importing images).
    pub staged_bytes: i64,
}

impl Store {
    /// What `owner`'s images take up.
    pub async fn usage(&self, owner: &str) -> Result<Usage> {
        let rows = sqlx::query(&self.sql("SELECT status, size FROM images WHERE owner = ?")).bind(owner).fetch_all(self.pool()).await?;
        let mut usage = Usage::default();
        for row in rows {
            let status: String = row.try_get("status")?;
            let size: i64 = row.try_get::<Option<i64>, _>("size")?.unwrap_or(0);
            usage.images += 1;
            match status.as_str() {
                "saving" => usage.uploading += 1,
                "uploading" | "importing" => {
                    usage.uploading += 1;
                    usage.staged_bytes += size;
                }
                "active" | "deactivated" => usage.stored_bytes += size,
                _ => {}
            }
        }
        Ok(usage)
    }
}
