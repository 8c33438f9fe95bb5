//! Compute's tables and queries. Nothing here knows HTTP, microversions or policy.

mod aggregates;
pub mod cell;
mod cells;
mod flavors;
mod instance_mappings;
mod keypairs;
mod quotas;
mod server_groups;

pub use aggregates::AggregateRow;
pub use cells::{CellMappingRow, HostMappingRow};
pub use flavors::{DuplicateFlavor, FlavorRow, FlavorVisibility};
pub use instance_mappings::{InstanceMappingRow, NewBuild};
pub use keypairs::KeypairRow;
pub use quotas::QuotaScope;
pub use server_groups::ServerGroupRow;

#[cfg(test)]
mod tests;

use db::Database;
pub use db::StoreError;

/// The API database's schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/api");

/// Store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A write transaction.
type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Compute's API database.
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

    async fn next_id(&self, tx: &mut Tx, counter: &str) -> Result<i64> {
        next_id(&self.db, tx, counter).await
    }
}

/// The next id of `counter` (a row of the database's `id_counters`), taken inside `tx`:
/// the counter's row stays locked until it ends, so concurrent writers get distinct ids
/// on every backend.
async fn next_id(db: &Database, tx: &mut Tx, counter: &str) -> Result<i64> {
    sqlx::query(&db.sql("UPDATE id_counters SET last_id = last_id + 1 WHERE name = ?")).bind(counter).execute(&mut **tx).await?;
    let row = sqlx::query(&db.sql("SELECT last_id FROM id_counters WHERE name = ?")).bind(counter).fetch_one(&mut **tx).await?;
    Ok(sqlx::Row::try_get(&row, "last_id")?)
}
