//! A cell's database: its services, hypervisors and instances.

mod actions;
mod compute_nodes;
mod instances;
mod services;

pub use actions::{ActionRow, EventOutcome, EventRow};
pub use compute_nodes::{ComputeNodeRow, NodeReport};
pub use instances::{Expected, FaultRow, InstanceChanges, InstanceFilter, InstanceRow, Page, Param, SortKey, UpdateRefused};
pub use services::ServiceRow;

use db::Database;

use super::Result;

/// A cell database's schema migrations, embedded in the binary.
pub static CELL_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/cell");

/// One cell's database.
#[derive(Debug, Clone)]
pub struct CellStore {
    db: Database,
}

impl CellStore {
    /// Wraps a connected database; call [`CellStore::migrate`] before first use.
    pub fn new(db: Database) -> Self {
        CellStore { db }
    }

    /// Connects to a cell's database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self, db::DbError> {
        let store = CellStore::new(Database::connect(url).await?);
        store.migrate().await?;
        Ok(store)
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<(), db::DbError> {
        self.db.migrate(&CELL_MIGRATOR).await
    }

    fn sql<'a>(&self, q: &'a str) -> std::borrow::Cow<'a, str> {
        self.db.sql(q)
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.db.pool()
    }

    /// The next id of `counter`, taken inside `tx` (see `Store::next_id`).
    async fn next_id(&self, tx: &mut super::Tx, counter: &str) -> Result<i64> {
        super::next_id(&self.db, tx, counter).await
    }
}
