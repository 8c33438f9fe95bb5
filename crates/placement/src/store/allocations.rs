//! Consumers and the allocations they hold against providers.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;
use sqlx::any::AnyRow;

use super::inventories::INVENTORY_COLUMNS;
use super::{InventoryRow, Result, Store, Tx, WriteRefused, placeholders, refuse};

/// A consumer: whatever holds allocations (an instance, a migration, a port).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerRow {
    /// Its uuid.
    pub uuid: String,
    /// The project it belongs to.
    pub project_id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// What kind of consumer it is (`INSTANCE`, `MIGRATION`); `None` is unknown.
    pub consumer_type: Option<String>,
    /// Bumped by every change to its allocations.
    pub generation: i64,
}

/// One allocation: what a consumer holds of a class on a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationRow {
    /// The consumer.
    pub consumer_uuid: String,
    /// The provider.
    pub provider_uuid: String,
    /// The provider's generation when read.
    pub provider_generation: i64,
    /// The consumer's generation.
    pub consumer_generation: i64,
    /// The resource class.
    pub resource_class: String,
    /// How much.
    pub used: i64,
}

/// A consumer's new allocations, replacing all it held.
#[derive(Debug, Clone)]
pub struct ConsumerWrite {
    /// The consumer.
    pub consumer_uuid: String,
    /// Its project.
    pub project_id: String,
    /// Its user.
    pub user_id: String,
    /// Its type; `None` keeps what it had (or unknown for a new consumer).
    pub consumer_type: Option<String>,
    /// The generation the caller read: `Some(None)` says the consumer is new,
    /// `Some(Some(g))` that it has generation `g`; `None` skips the check (before 1.28).
    pub expected_generation: Option<Option<i64>>,
    /// `(provider, class, amount)`; empty removes every allocation of the consumer.
    pub allocations: Vec<(String, String, i64)>,
}

/// One provider and class an allocation write asks for, with what it holds already.
#[derive(Debug)]
pub struct CapacityCheck<'a> {
    /// The provider.
    pub provider: &'a str,
    /// The class.
    pub class: &'a str,
    /// Its inventory of the class, if it has one.
    pub inventory: Option<&'a InventoryRow>,
    /// What consumers other than those written hold of it.
    pub others: i64,
    /// What the write asks in all.
    pub amount: i64,
    /// What all consumers held of it before the write.
    pub before: i64,
}

/// Usage totals of one consumer type (or of all) for a project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageByType {
    /// How many consumers hold anything.
    pub consumer_count: i64,
    /// What they hold, per class.
    pub usages: BTreeMap<String, i64>,
}

fn consumer(row: &AnyRow) -> Result<ConsumerRow> {
    Ok(ConsumerRow {
        uuid: db::text(row, "uuid")?,
        project_id: db::text(row, "project_id")?,
        user_id: db::text(row, "user_id")?,
        consumer_type: db::opt_text(row, "consumer_type")?,
        generation: row.try_get("generation")?,
    })
}

const CONSUMER_COLUMNS: &str = "uuid, project_id, user_id, consumer_type, generation";

/// Allocations with their provider's and consumer's generations, for [`allocation`].
const ALLOCATIONS: &str = "SELECT a.consumer_uuid, a.provider_uuid, p.generation, c.generation AS consumer_generation, a.resource_class, \
                           a.used FROM allocations a JOIN resource_providers p ON p.uuid = a.provider_uuid \
                           JOIN consumers c ON c.uuid = a.consumer_uuid";

impl Store {
    /// A consumer, if it holds or held allocations.
    pub async fn consumer(&self, uuid: &str) -> Result<Option<ConsumerRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {CONSUMER_COLUMNS} FROM consumers WHERE uuid = ?")))
            .bind(uuid)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(consumer).transpose()
    }

    /// A consumer's allocations, by provider then class.
    pub async fn consumer_allocations(&self, uuid: &str) -> Result<Vec<AllocationRow>> {
        let rows = sqlx::query(&self.sql(&format!("{ALLOCATIONS} WHERE a.consumer_uuid = ? ORDER BY a.provider_uuid, a.resource_class")))
            .bind(uuid)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(allocation).collect()
    }

    /// The allocations held against a provider, by consumer then class.
    pub async fn provider_allocations(&self, provider: &str) -> Result<Vec<AllocationRow>> {
        let rows = sqlx::query(&self.sql(&format!("{ALLOCATIONS} WHERE a.provider_uuid = ? ORDER BY a.consumer_uuid, a.resource_class")))
            .bind(provider)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(allocation).collect()
    }

    /// Replaces the allocations of every consumer in `writes`, all or none. `check`
    /// sees each provider and class written, and refuses with a message when the
    /// request does not fit; it runs under the providers' row locks.
    pub async fn replace_allocations(
        &self,
        writes: &[ConsumerWrite],
        check: impl Fn(&CapacityCheck) -> Result<(), String>,
    ) -> Result<(), WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        match self.write_allocations(&mut tx, writes, check).await {
            Ok(()) => Ok(tx.commit().await?),
            Err(e) => refuse(tx, e).await,
        }
    }

    /// Moves inventories and allocations at once (the reshaper): each provider's new
    /// inventories under its generation, then the consumers' new allocations, and only
    /// then the check that nothing held has lost its inventory. All or none.
    pub async fn reshape(
        &self,
        inventories: &[(String, i64, Vec<super::InventoryRow>)],
        writes: &[ConsumerWrite],
        check: impl Fn(&CapacityCheck) -> Result<(), String>,
    ) -> Result<(), WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        let mut providers: Vec<&(String, i64, Vec<super::InventoryRow>)> = inventories.iter().collect();
        // Row locks in uuid order, as every writer takes them.
        providers.sort_by(|a, b| a.0.cmp(&b.0));
        for (provider, generation, rows) in providers {
            if let Err(e) = self.write_inventories(&mut tx, provider, *generation, rows).await {
                return refuse(tx, e).await;
            }
        }
        if let Err(e) = self.write_allocations(&mut tx, writes, check).await {
            return refuse(tx, e).await;
        }
        for (provider, _, _) in inventories {
            if let Err(e) = self.refuse_orphans(&mut tx, provider).await {
                return refuse(tx, e).await;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the consumers' allocations inside `tx` (see [`Store::replace_allocations`]).
    async fn write_allocations(
        &self,
        tx: &mut Tx,
        writes: &[ConsumerWrite],
        check: impl Fn(&CapacityCheck) -> Result<(), String>,
    ) -> Result<(), WriteRefused> {
        let consumers: Vec<&str> = writes.iter().map(|w| w.consumer_uuid.as_str()).collect();
        // Every provider the consumers hold or will hold something on, locked in uuid
        // order so concurrent writers cannot deadlock.
        let mut providers: BTreeSet<String> = writes.iter().flat_map(|w| w.allocations.iter().map(|(p, _, _)| p.clone())).collect();
        let held = self.held_by(tx, &consumers).await?;
        providers.extend(held.iter().map(|a| a.provider_uuid.clone()));
        for p in &providers {
            self.bump_generation(tx, p, None).await?;
        }
        for w in writes {
            let current = sqlx::query(&self.sql(&format!("SELECT {CONSUMER_COLUMNS} FROM consumers WHERE uuid = ?")))
                .bind(&w.consumer_uuid)
                .fetch_optional(&mut **tx)
                .await?;
            let current = current.as_ref().map(consumer).transpose()?;
            if let Some(expected) = w.expected_generation
                && current.as_ref().map(|c| c.generation) != expected
            {
                return Err(WriteRefused::ConsumerGeneration(w.consumer_uuid.clone()));
            }
        }
        // Capacity: what the writes ask against what everyone else holds.
        let mut asked: BTreeMap<(String, String), i64> = BTreeMap::new();
        for w in writes {
            for (p, c, n) in &w.allocations {
                *asked.entry((p.clone(), c.clone())).or_default() += n;
            }
        }
        for ((provider, class), amount) in &asked {
            let row = sqlx::query(
                &self.sql(&format!("SELECT {INVENTORY_COLUMNS}, used FROM inventories WHERE provider_uuid = ? AND resource_class = ?")),
            )
            .bind(provider)
            .bind(class)
            .fetch_optional(&mut **tx)
            .await?;
            let inventory = row.as_ref().map(super::inventories::inventory).transpose()?;
            let before: i64 = match &row {
                Some(r) => r.try_get("used")?,
                None => 0,
            };
            let others = self.used_by_others(tx, provider, class, &consumers).await?;
            let asked = CapacityCheck { provider, class, inventory: inventory.as_ref(), others, amount: *amount, before };
            if let Err(why) = check(&asked) {
                return Err(WriteRefused::Rule(why));
            }
        }
        let now = common::time::now_micros();
        for w in writes {
            sqlx::query(&self.sql("DELETE FROM allocations WHERE consumer_uuid = ?")).bind(&w.consumer_uuid).execute(&mut **tx).await?;
            if w.allocations.is_empty() {
                sqlx::query(&self.sql("DELETE FROM consumers WHERE uuid = ?")).bind(&w.consumer_uuid).execute(&mut **tx).await?;
                continue;
            }
            let updated = sqlx::query(&self.sql(
                "UPDATE consumers SET project_id = ?, user_id = ?, consumer_type = COALESCE(?, consumer_type), \
                 generation = generation + 1, updated_at = ? WHERE uuid = ?",
            ))
            .bind(&w.project_id)
            .bind(&w.user_id)
            .bind(&w.consumer_type)
            .bind(now)
            .bind(&w.consumer_uuid)
            .execute(&mut **tx)
            .await?;
            if updated.rows_affected() == 0 {
                sqlx::query(
                    &self.sql(&format!("INSERT INTO consumers ({CONSUMER_COLUMNS}, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)")),
                )
                .bind(&w.consumer_uuid)
                .bind(&w.project_id)
                .bind(&w.user_id)
                .bind(&w.consumer_type)
                .bind(now)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            }
            for (p, c, n) in &w.allocations {
                sqlx::query(&self.sql(
                    "INSERT INTO allocations (consumer_uuid, provider_uuid, resource_class, used, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                ))
                .bind(&w.consumer_uuid)
                .bind(p)
                .bind(c)
                .bind(n)
                .bind(now)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            }
        }
        let mut touched: BTreeSet<(&str, &str)> = held.iter().map(|a| (a.provider_uuid.as_str(), a.resource_class.as_str())).collect();
        touched.extend(asked.keys().map(|(p, c)| (p.as_str(), c.as_str())));
        for (p, c) in touched {
            self.recount_used(tx, p, Some(c)).await?;
        }
        Ok(())
    }

    async fn held_by(&self, tx: &mut Tx, consumers: &[&str]) -> Result<Vec<AllocationRow>> {
        let q = format!("{ALLOCATIONS} WHERE a.consumer_uuid IN ({})", placeholders(consumers.len()));
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql);
        for c in consumers {
            query = query.bind(*c);
        }
        query.fetch_all(&mut **tx).await?.iter().map(allocation).collect()
    }

    async fn used_by_others(&self, tx: &mut Tx, provider: &str, class: &str, consumers: &[&str]) -> Result<i64> {
        let q = format!(
            "SELECT {} AS used FROM allocations WHERE provider_uuid = ? AND resource_class = ? AND consumer_uuid NOT IN ({})",
            self.db.sum_bigint("used"),
            placeholders(consumers.len())
        );
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql).bind(provider).bind(class);
        for c in consumers {
            query = query.bind(*c);
        }
        Ok(query.fetch_one(&mut **tx).await?.try_get("used")?)
    }

    /// Removes every allocation of a consumer, and the consumer; false when it held none.
    pub async fn delete_allocations(&self, consumer_uuid: &str) -> Result<bool, WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        let held = self.held_by(&mut tx, &[consumer_uuid]).await?;
        if held.is_empty() {
            tx.rollback().await?;
            return Ok(false);
        }
        let providers: BTreeSet<&str> = held.iter().map(|a| a.provider_uuid.as_str()).collect();
        for p in providers {
            if let Err(e) = self.bump_generation(&mut tx, p, None).await {
                return refuse(tx, e).await;
            }
        }
        sqlx::query(&self.sql("DELETE FROM allocations WHERE consumer_uuid = ?")).bind(consumer_uuid).execute(&mut *tx).await?;
        sqlx::query(&self.sql("DELETE FROM consumers WHERE uuid = ?")).bind(consumer_uuid).execute(&mut *tx).await?;
        for a in &held {
            self.recount_used(&mut tx, &a.provider_uuid, Some(&a.resource_class)).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// What a project's consumers (a user's, when given) hold, per consumer type
    /// (`None` for consumers of unknown type).
    pub async fn project_usages(&self, project_id: &str, user_id: Option<&str>) -> Result<BTreeMap<Option<String>, UsageByType>> {
        let user_clause = if user_id.is_some() { " AND c.user_id = ?" } else { "" };
        let q = format!(
            "SELECT c.consumer_type, a.resource_class, {} AS used FROM allocations a \
             JOIN consumers c ON c.uuid = a.consumer_uuid WHERE c.project_id = ?{user_clause} GROUP BY c.consumer_type, a.resource_class",
            self.db.sum_bigint("a.used")
        );
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql).bind(project_id);
        if let Some(u) = user_id {
            query = query.bind(u);
        }
        let mut out: BTreeMap<Option<String>, UsageByType> = BTreeMap::new();
        for row in query.fetch_all(self.pool()).await? {
            let entry = out.entry(db::opt_text(&row, "consumer_type")?).or_default();
            entry.usages.insert(db::text(&row, "resource_class")?, row.try_get("used")?);
        }
        // Consumers are counted apart: one consumer holds several classes.
        let q = format!(
            "SELECT c.consumer_type, COUNT(DISTINCT c.uuid) AS consumers FROM consumers c WHERE c.project_id = ?{user_clause} \
             AND EXISTS (SELECT 1 FROM allocations a WHERE a.consumer_uuid = c.uuid) GROUP BY c.consumer_type"
        );
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql).bind(project_id);
        if let Some(u) = user_id {
            query = query.bind(u);
        }
        for row in query.fetch_all(self.pool()).await? {
            if let Some(entry) = out.get_mut(&db::opt_text(&row, "consumer_type")?) {
                entry.consumer_count = row.try_get("consumers")?;
            }
        }
        Ok(out)
    }
}

fn allocation(row: &AnyRow) -> Result<AllocationRow> {
    Ok(AllocationRow {
        consumer_uuid: db::text(row, "consumer_uuid")?,
        provider_uuid: db::text(row, "provider_uuid")?,
        provider_generation: row.try_get("generation")?,
        consumer_generation: row.try_get("consumer_generation")?,
        resource_class: db::text(row, "resource_class")?,
        used: row.try_get("used")?,
    })
}
