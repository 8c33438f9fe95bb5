//! Resource classes: the standard ones and operators' `CUSTOM_*` ones.

use super::{Result, Store, WriteRefused, refuse};

impl Store {
    /// Writes every standard class that is missing (at start).
    pub async fn sync_standard_classes(&self, names: &[&str]) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let now = common::time::now_micros();
        for name in names {
            let exists =
                sqlx::query(&self.sql("SELECT 1 FROM resource_classes WHERE name = ?")).bind(*name).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                sqlx::query(&self.sql("INSERT INTO resource_classes (name, standard, created_at, updated_at) VALUES (?, 1, ?, ?)"))
                    .bind(*name)
                    .bind(now)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every class: standard first, as written at start, then custom ones by name.
    pub async fn resource_classes(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(&self.sql("SELECT name FROM resource_classes ORDER BY standard DESC, created_at, name"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| db::text(r, "name").map_err(Into::into)).collect()
    }

    /// Whether a class exists.
    pub async fn resource_class_exists(&self, name: &str) -> Result<bool> {
        Ok(sqlx::query(&self.sql("SELECT 1 FROM resource_classes WHERE name = ?")).bind(name).fetch_optional(self.pool()).await?.is_some())
    }

    /// Creates a custom class; false when it exists already.
    pub async fn create_resource_class(&self, name: &str) -> Result<bool> {
        self.insert_custom_name("resource_classes", name).await
    }

    /// Renames a custom class that nothing uses (`Rule("in use")` otherwise).
    pub async fn rename_resource_class(&self, from: &str, to: &str) -> Result<(), WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        if self.class_in_use(&mut tx, from).await? {
            return refuse(tx, WriteRefused::Rule("in use".into())).await;
        }
        let done = sqlx::query(&self.sql("UPDATE resource_classes SET name = ?, updated_at = ? WHERE name = ? AND standard = 0"))
            .bind(to)
            .bind(common::time::now_micros())
            .bind(from)
            .execute(&mut *tx)
            .await;
        match done {
            Ok(d) if d.rows_affected() == 0 => refuse(tx, WriteRefused::Rule("not found".into())).await,
            Ok(_) => {
                tx.commit().await?;
                Ok(())
            }
            Err(e) if db::is_unique_violation(&e) => refuse(tx, WriteRefused::Rule("duplicate".into())).await,
            Err(e) => refuse(tx, WriteRefused::Store(e.into())).await,
        }
    }

    /// Deletes a custom class that no inventory or allocation uses: `Rule("in use")` or
    /// `Rule("not found")` otherwise.
    pub async fn delete_resource_class(&self, name: &str) -> Result<(), WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        if self.class_in_use(&mut tx, name).await? {
            return refuse(tx, WriteRefused::Rule("in use".into())).await;
        }
        let done =
            sqlx::query(&self.sql("DELETE FROM resource_classes WHERE name = ? AND standard = 0")).bind(name).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return refuse(tx, WriteRefused::Rule("not found".into())).await;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn class_in_use(&self, tx: &mut super::Tx, name: &str) -> Result<bool> {
        for table in ["inventories", "allocations"] {
            let used = sqlx::query(&self.sql(&format!("SELECT 1 FROM {table} WHERE resource_class = ? LIMIT 1")))
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?;
            if used.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
