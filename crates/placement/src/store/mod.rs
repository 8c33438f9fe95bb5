//! Placement's tables and queries. Nothing here knows HTTP, microversions or policy.
//!
//! Every write that changes what a provider offers or holds bumps the provider's
//! generation in the same transaction, and takes the provider's row lock first (in
//! uuid order when there are several), so capacity checks and generation checks see
//! one consistent state on every backend.

mod aggregates;
mod allocations;
mod candidates;
mod inventories;
mod providers;
mod resource_classes;
mod traits;

pub use allocations::{AllocationRow, CapacityCheck, ConsumerRow, ConsumerWrite, UsageByType};
pub use candidates::{CandidateScope, ProviderCapacity, TreeData};
pub use inventories::InventoryRow;
pub use providers::{ProviderFilter, ProviderRow};
pub use traits::TraitFilter;

#[cfg(test)]
mod tests;

use db::{Database, placeholders};

/// Placement's schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub use db::StoreError;

/// Store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A write transaction.
type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Why a write was refused before anything was written (the transaction is rolled back).
#[derive(Debug, thiserror::Error)]
pub enum WriteRefused {
    /// A provider named by the write does not exist.
    #[error("resource provider {0} not found")]
    NoProvider(String),
    /// A provider's generation is not the one the caller read.
    #[error("resource provider {0} changed since it was read")]
    ProviderGeneration(String),
    /// A consumer's generation is not the one the caller read (or it exists when the
    /// caller said it is new, or not when the caller said it exists).
    #[error("consumer {0} changed since it was read")]
    ConsumerGeneration(String),
    /// Inventory of classes that still have allocations would be removed.
    #[error("inventory of {classes:?} on {provider} is in use")]
    InventoryInUse { provider: String, classes: Vec<String> },
    /// The domain's rules, checked inside the transaction, refused the write.
    #[error("{0}")]
    Rule(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for WriteRefused {
    fn from(e: sqlx::Error) -> Self {
        WriteRefused::Store(e.into())
    }
}

/// Ends a transaction that is to change nothing, and passes the refusal on. Dropping it
/// instead would leave its rollback for the connection's next use, and MariaDB would
/// hold the transaction's locks until then.
async fn refuse<T>(tx: Tx, why: WriteRefused) -> Result<T, WriteRefused> {
    tx.rollback().await?;
    Err(why)
}

/// Placement's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Wraps a connected database; call [`Store::migrate`] before first use.
    pub fn new(db: Database) -> Self {
        Store { db }
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<(), db::DbError> {
        self.db.migrate(&MIGRATOR).await
    }

    fn sql<'a>(&self, q: &'a str) -> std::borrow::Cow<'a, str> {
        self.db.sql(q)
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.db.pool()
    }

    /// Bumps a provider's generation, taking its row lock; `expected` refuses the write
    /// when the generation is another. Answers the new generation.
    async fn bump_generation(&self, tx: &mut Tx, uuid: &str, expected: Option<i64>) -> Result<i64, WriteRefused> {
        let now = common::time::now_micros();
        let done = match expected {
            Some(g) => {
                sqlx::query(
                    &self
                        .sql("UPDATE resource_providers SET generation = generation + 1, updated_at = ? WHERE uuid = ? AND generation = ?"),
                )
                .bind(now)
                .bind(uuid)
                .bind(g)
                .execute(&mut **tx)
                .await?
            }
            None => {
                sqlx::query(&self.sql("UPDATE resource_providers SET generation = generation + 1, updated_at = ? WHERE uuid = ?"))
                    .bind(now)
                    .bind(uuid)
                    .execute(&mut **tx)
                    .await?
            }
        };
        if done.rows_affected() == 0 {
            let exists =
                sqlx::query(&self.sql("SELECT 1 FROM resource_providers WHERE uuid = ?")).bind(uuid).fetch_optional(&mut **tx).await?;
            return Err(if exists.is_some() {
                WriteRefused::ProviderGeneration(uuid.to_owned())
            } else {
                WriteRefused::NoProvider(uuid.to_owned())
            });
        }
        let row =
            sqlx::query(&self.sql("SELECT generation FROM resource_providers WHERE uuid = ?")).bind(uuid).fetch_one(&mut **tx).await?;
        Ok(sqlx::Row::try_get(&row, "generation")?)
    }
}

impl Store {
    /// Inserts a custom resource class or trait (`table`) by name; false when it exists.
    async fn insert_custom_name(&self, table: &str, name: &str) -> Result<bool> {
        let now = common::time::now_micros();
        let done = sqlx::query(&self.sql(&format!("INSERT INTO {table} (name, standard, created_at, updated_at) VALUES (?, 0, ?, ?)")))
            .bind(name)
            .bind(now)
            .bind(now)
            .execute(self.pool())
            .await;
        match done {
            Ok(_) => Ok(true),
            Err(e) if db::is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Takes a provider's row lock without changing it; answers its generation.
    async fn lock_provider(&self, tx: &mut Tx, uuid: &str) -> Result<i64, WriteRefused> {
        let done = sqlx::query(&self.sql("UPDATE resource_providers SET updated_at = updated_at WHERE uuid = ?"))
            .bind(uuid)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(WriteRefused::NoProvider(uuid.to_owned()));
        }
        let row =
            sqlx::query(&self.sql("SELECT generation FROM resource_providers WHERE uuid = ?")).bind(uuid).fetch_one(&mut **tx).await?;
        Ok(sqlx::Row::try_get(&row, "generation")?)
    }
}
