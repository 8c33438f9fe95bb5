//! Image's tables, queries, data files and the web sources image data is fetched
//! from. Nothing here knows the image API or policy.

mod backends;
mod files;
mod images;
mod members;
mod metadefs;
mod tasks;
mod web;

pub use backends::{Backend, Backends, SINGLE_STORE};
pub use files::{FileStore, Staged, WriteError, read_stream};
pub use images::{ImageData, ImageRow, ListScope, Usage};
pub use members::MemberRow;
pub use metadefs::{AssociationRow, NamespaceContents, NamespaceRow, ObjectRow, PropertyRow, ResourceTypeRow, TagRow};
pub use tasks::TaskRow;
pub use web::{WebError, WebSource, redacted};

#[cfg(test)]
mod metadefs_tests;
#[cfg(test)]
mod tests;

use db::Database;

/// Image's schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub use db::StoreError;

/// Store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Ends a write transaction that is to change nothing, and answers "not done".
/// Dropping it instead would leave its rollback for the connection's next use, and
/// MariaDB would hold the transaction's locks until then.
async fn abandon(tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<bool> {
    tx.rollback().await?;
    Ok(false)
}

/// Image's database.
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
}
