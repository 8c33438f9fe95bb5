//! What each provider offers, per resource class.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, WriteRefused, refuse};

/// A provider's inventory of one resource class.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryRow {
    /// The resource class.
    pub resource_class: String,
    /// How much exists.
    pub total: i64,
    /// How much of it is kept back from consumers.
    pub reserved: i64,
    /// The least one allocation may take.
    pub min_unit: i64,
    /// The most one allocation may take.
    pub max_unit: i64,
    /// Allocations come in multiples of this.
    pub step_size: i64,
    /// Overcommit: capacity is `(total - reserved) * allocation_ratio`.
    pub allocation_ratio: f64,
}

impl InventoryRow {
    /// What consumers may hold in all.
    pub fn capacity(&self) -> i64 {
        ((self.total - self.reserved) as f64 * self.allocation_ratio) as i64
    }
}

pub(super) const INVENTORY_COLUMNS: &str = "resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio";

pub(super) fn inventory(row: &AnyRow) -> Result<InventoryRow> {
    Ok(InventoryRow {
        resource_class: db::text(row, "resource_class")?,
        total: row.try_get("total")?,
        reserved: row.try_get("reserved")?,
        min_unit: row.try_get("min_unit")?,
        max_unit: row.try_get("max_unit")?,
        step_size: row.try_get("step_size")?,
        allocation_ratio: row.try_get("allocation_ratio")?,
    })
}

impl Store {
    /// A provider's inventories, by resource class name.
    pub async fn inventories(&self, provider: &str) -> Result<Vec<InventoryRow>> {
        let rows =
            sqlx::query(&self.sql(&format!("SELECT {INVENTORY_COLUMNS} FROM inventories WHERE provider_uuid = ? ORDER BY resource_class")))
                .bind(provider)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(inventory).collect()
    }

    /// Replaces all of a provider's inventories when its generation is still
    /// `generation`. A class that is dropped while consumers hold some of it is refused.
    /// Answers the new generation.
    pub async fn replace_inventories(&self, provider: &str, generation: i64, inventories: &[InventoryRow]) -> Result<i64, WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        match self.write_inventories(&mut tx, provider, generation, inventories).await {
            Ok(g) => {
                match self.refuse_orphans(&mut tx, provider).await {
                    Ok(()) => {}
                    Err(e) => return refuse(tx, e).await,
                }
                tx.commit().await?;
                Ok(g)
            }
            Err(e) => refuse(tx, e).await,
        }
    }

    /// Replaces a provider's inventories inside `tx` under its generation, without
    /// checking that what consumers hold is still offered (see [`Store::refuse_orphans`]).
    pub(super) async fn write_inventories(
        &self,
        tx: &mut super::Tx,
        provider: &str,
        generation: i64,
        inventories: &[InventoryRow],
    ) -> Result<i64, WriteRefused> {
        let new_generation = self.bump_generation(tx, provider, Some(generation)).await?;
        sqlx::query(&self.sql("DELETE FROM inventories WHERE provider_uuid = ?")).bind(provider).execute(&mut **tx).await?;
        for i in inventories {
            sqlx::query(
                &self.sql(&format!("INSERT INTO inventories (provider_uuid, {INVENTORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")),
            )
            .bind(provider)
            .bind(&i.resource_class)
            .bind(i.total)
            .bind(i.reserved)
            .bind(i.min_unit)
            .bind(i.max_unit)
            .bind(i.step_size)
            .bind(i.allocation_ratio)
            .execute(&mut **tx)
            .await?;
        }
        self.recount_used(tx, provider, None).await?;
        Ok(new_generation)
    }

    /// Refuses when consumers hold classes of `provider` it no longer offers.
    pub(super) async fn refuse_orphans(&self, tx: &mut super::Tx, provider: &str) -> Result<(), WriteRefused> {
        let held = sqlx::query(&self.sql(
            "SELECT DISTINCT resource_class FROM allocations a WHERE a.provider_uuid = ? AND NOT EXISTS \
             (SELECT 1 FROM inventories i WHERE i.provider_uuid = a.provider_uuid AND i.resource_class = a.resource_class)",
        ))
        .bind(provider)
        .fetch_all(&mut **tx)
        .await?;
        let mut in_use = held.iter().map(|r| db::text(r, "resource_class")).collect::<Result<Vec<_>, _>>()?;
        if in_use.is_empty() {
            return Ok(());
        }
        in_use.sort();
        Err(WriteRefused::InventoryInUse { provider: provider.to_owned(), classes: in_use })
    }

    /// Sets `inventories.used` from the allocations, for one class of a provider or all.
    pub(super) async fn recount_used(&self, tx: &mut super::Tx, provider: &str, class: Option<&str>) -> Result<()> {
        let class_clause = if class.is_some() { " AND resource_class = ?" } else { "" };
        let q = format!(
            "UPDATE inventories SET used = (SELECT {} FROM allocations a WHERE a.provider_uuid = inventories.provider_uuid \
             AND a.resource_class = inventories.resource_class) WHERE provider_uuid = ?{class_clause}",
            self.db.sum_bigint("a.used")
        );
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql).bind(provider);
        if let Some(c) = class {
            query = query.bind(c);
        }
        query.execute(&mut **tx).await?;
        Ok(())
    }

    /// What consumers hold of each class on a provider (classes nobody holds left out).
    pub async fn provider_usages(&self, provider: &str) -> Result<Vec<(String, i64)>> {
        let q = format!(
            "SELECT resource_class, {} AS used FROM allocations WHERE provider_uuid = ? GROUP BY resource_class ORDER BY resource_class",
            self.db.sum_bigint("used")
        );
        let rows = sqlx::query(&self.sql(&q)).bind(provider).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((db::text(r, "resource_class")?, r.try_get("used")?))).collect()
    }
}
