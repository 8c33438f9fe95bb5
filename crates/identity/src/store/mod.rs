//! Identity's tables and queries. Nothing here knows HTTP or policy; callers get plain
//! rows back and [`StoreError`] on failure.

mod access_rules;
mod app_creds;
mod assignments;
mod catalog;
mod credentials;
mod endpoint_filter;
mod groups;
mod limits;
mod projects;
mod revocations;
mod roles;
mod trusts;
mod users;

pub use access_rules::{AccessRuleDeletion, AccessRuleRow};
pub use app_creds::AppCredRow;
pub use assignments::{ActorType, AssignmentFilter, AssignmentRow, TargetType};
pub use catalog::{EndpointRow, RegionRow, ServiceRow};
pub use credentials::{CredentialRow, PolicyRow};
pub use endpoint_filter::EndpointGroupRow;
pub use groups::GroupRow;
pub use limits::{LimitRow, RegisteredLimitRow};
pub use projects::{DomainRow, ProjectRow};
pub use revocations::RevocationRow;
pub use roles::RoleRow;
pub use trusts::TrustRow;
pub use users::{PasswordRow, UserRow};

#[cfg(test)]
mod tests;

use db::Database;
use serde_json::{Map, Value};

/// Identity's schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub use db::StoreError;

/// Store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Identity's database.
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

/// Free-form attributes stored as JSON text; anything unreadable reads as empty.
pub(crate) fn parse_extra(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Free-form attributes as JSON text.
pub(crate) fn extra_text(extra: &Map<String, Value>) -> String {
    Value::Object(extra.clone()).to_string()
}
