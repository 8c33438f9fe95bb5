//! Database connections for Ferrostack services.
//!
//! Every service owns one database, named by a URL: `sqlite://PATH` (the embedded
//! default), `postgres://...` or `mysql://...` (MariaDB). Stores write portable SQL with
//! `?` placeholders and pass it through [`Database::sql`], which spells the placeholders
//! the way the connected backend wants them.
//!
//! Portable column types: `VARCHAR(n)` for ids and names, `TEXT` for free text and JSON,
//! `BIGINT` for numbers, times (microseconds since the epoch) and flags (0 or 1): sqlx's
//! `Any` driver cannot decode SQLite's `BOOLEAN`, so flags are never declared as one.

pub mod testing;

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor, Row};

/// Why a database could not be reached or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no backend Ferrostack speaks.
    #[error("unsupported database URL scheme in {0:?}: use sqlite://, postgres:// or mysql://")]
    UnsupportedUrl(String),
    /// Connecting failed.
    #[error("cannot connect to the {backend} database: {source}")]
    Connect { backend: Backend, source: sqlx::Error },
    /// A migration failed; the schema is left at the last migration that succeeded.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The kind of database behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: one file per service database, the embedded default.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MariaDB or MySQL.
    MySql,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MariaDB/MySQL",
        })
    }
}

impl Backend {
    /// The backend a URL names.
    pub fn of_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            _ => Err(DbError::UnsupportedUrl(url.to_owned())),
        }
    }
}

/// A pool of connections to one service's database.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

impl Database {
    /// Connects to `url`, creating an SQLite file if it does not exist yet.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::MySql => url.replacen("mariadb:", "mysql:", 1),
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let connect_err = |source| DbError::Connect { backend, source };
        let options = AnyConnectOptions::from_str(&url).map_err(connect_err)?.log_statements(tracing::log::LevelFilter::Trace);
        let pool = AnyPoolOptions::new()
            // SQLite serialises writers anyway; a small pool avoids lock churn.
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;").await?;
                        }
                        Backend::MySql => {
                            conn.execute("SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES'").await?;
                            // PostgreSQL's isolation, which the stores are written for:
                            // MariaDB's default (repeatable read) adds gap locks, and two
                            // writers filling neighbouring key ranges deadlock on them.
                            conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED").await?;
                        }
                        Backend::Postgres => {}
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        Ok(Database { pool, backend })
    }

    /// The connection pool, for queries and transactions.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later
    /// fails at once with "database is locked" when another writer got there between,
    /// whereas an immediate one waits its turn (up to the busy timeout).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres | Backend::MySql => self.pool.begin().await,
        }
    }

    /// Spells `?` placeholders for this backend (`$1, $2, ...` on PostgreSQL).
    pub fn sql<'a>(&self, query: &'a str) -> Cow<'a, str> {
        match self.backend {
            Backend::Postgres => Cow::Owned(numbered_placeholders(query)),
            Backend::Sqlite | Backend::MySql => Cow::Borrowed(query),
        }
    }

    /// `SUM(expr)` as a BIGINT, zero over no rows. PostgreSQL and MariaDB sum BIGINTs
    /// into DECIMALs, which sqlx's `Any` driver cannot decode, so the sum is cast back.
    pub fn sum_bigint(&self, expr: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("COALESCE(SUM({expr}), 0)"),
            Backend::Postgres => format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)"),
            Backend::MySql => format!("CAST(COALESCE(SUM({expr}), 0) AS SIGNED)"),
        }
    }

    /// Brings the schema up to date with the service's migrations.
    pub async fn migrate(&self, migrator: &Migrator) -> Result<(), DbError> {
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `?, ?, ?` for `n` values, for `IN (...)` lists (spelled per backend by [`Database::sql`]).
pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Rewrites `?` into `$1, $2, ...`, leaving quoted literals alone.
fn numbered_placeholders(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 8);
    let mut n = 0;
    let mut quote: Option<char> = None;
    for c in query.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A `TEXT` column as a string. MariaDB reports `TEXT` as a BLOB through sqlx's `Any`
/// driver, so bytes are accepted too when they are UTF-8.
pub fn text(row: &AnyRow, column: &str) -> Result<String, sqlx::Error> {
    opt_text(row, column)?.ok_or_else(|| sqlx::Error::ColumnDecode { index: column.to_owned(), source: "unexpected NULL".into() })
}

/// A nullable `TEXT` column as a string; see [`text`].
pub fn opt_text(row: &AnyRow, column: &str) -> Result<Option<String>, sqlx::Error> {
    match row.try_get::<Option<String>, _>(column) {
        Ok(v) => Ok(v),
        Err(sqlx::Error::ColumnDecode { .. }) => {
            let bytes: Option<Vec<u8>> = row.try_get(column)?;
            bytes
                .map(|b| String::from_utf8(b).map_err(|e| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(e) }))
                .transpose()
        }
        Err(e) => Err(e),
    }
}

/// Why a store call failed, in the terms a service acts on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (a duplicate name or id).
    #[error("duplicate entry")]
    Duplicate,
    /// A row the write refers to does not exist, or others still refer to this one.
    #[error("referenced row missing or still referenced")]
    Reference,
    /// Anything else the database reported.
    #[error(transparent)]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unique_violation(&e) {
            StoreError::Duplicate
        } else if is_foreign_key_violation(&e) {
            StoreError::Reference
        } else {
            StoreError::Db(e)
        }
    }
}

/// Whether a query failed because it broke a unique constraint, on any backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.is_unique_violation())
}

/// Whether a query failed because it broke a foreign key, on any backend.
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.is_foreign_key_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_read_then_write_transactions_wait_their_turn() {
        for test_db in testing::databases().await {
            let db = test_db.db.clone();
            sqlx::query("CREATE TABLE counter (id VARCHAR(8) PRIMARY KEY, n BIGINT NOT NULL)").execute(db.pool()).await.unwrap();
            sqlx::query("INSERT INTO counter (id, n) VALUES ('c', 0)").execute(db.pool()).await.unwrap();
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        let mut tx = db.begin_write().await?;
                        let n: i64 = sqlx::query_scalar("SELECT n FROM counter WHERE id = 'c'").fetch_one(&mut *tx).await?;
                        sqlx::query(&db.sql("UPDATE counter SET n = ? WHERE id = 'c' AND n = ?"))
                            .bind(n + 1)
                            .bind(n)
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap().unwrap_or_else(|e| panic!("{}: {e}", db.backend()));
            }
            if db.backend() == Backend::Sqlite {
                let n: i64 = sqlx::query_scalar("SELECT n FROM counter").fetch_one(db.pool()).await.unwrap();
                assert_eq!(n, 8, "SQLite serialises immediate transactions: no update is lost");
            }
        }
    }

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(numbered_placeholders("a = ? AND b = '?' AND c = ?"), "a = $1 AND b = '?' AND c = $2");
        assert_eq!(numbered_placeholders("no params"), "no params");
    }

    #[test]
    fn url_schemes_pick_backends() {
        assert_eq!(Backend::of_url("sqlite:///tmp/x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgresql://u@h/d").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of_url("mariadb://u@h/d").unwrap(), Backend::MySql);
        assert!(Backend::of_url("oracle://x").is_err());
    }

    #[tokio::test]
    async fn each_available_backend_round_trips_a_row() {
        for test_db in testing::databases().await {
            let db = &test_db.db;
            let pool = db.pool();
            sqlx::query("CREATE TABLE t (id VARCHAR(64) PRIMARY KEY, n BIGINT NOT NULL, flag BIGINT NOT NULL)")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query(&db.sql("INSERT INTO t (id, n, flag) VALUES (?, ?, ?)"))
                .bind("a")
                .bind(7_i64)
                .bind(1_i64)
                .execute(pool)
                .await
                .unwrap();
            let (n, flag): (i64, i64) =
                sqlx::query_as(&db.sql("SELECT n, flag FROM t WHERE id = ?")).bind("a").fetch_one(pool).await.unwrap();
            assert_eq!((n, flag), (7, 1), "{}", db.backend());
            sqlx::query("CREATE TABLE notes (id VARCHAR(64) PRIMARY KEY, body TEXT, other TEXT)").execute(pool).await.unwrap();
            sqlx::query(&db.sql("INSERT INTO notes (id, body, other) VALUES (?, ?, ?)"))
                .bind("n")
                .bind("héllo")
                .bind(None::<String>)
                .execute(pool)
                .await
                .unwrap();
            let row = sqlx::query("SELECT body, other FROM notes").fetch_one(pool).await.unwrap();
            assert_eq!(text(&row, "body").unwrap(), "héllo", "{}", db.backend());
            assert_eq!(opt_text(&row, "other").unwrap(), None, "{}", db.backend());
            assert!(text(&row, "other").is_err(), "{}", db.backend());
            let dup = sqlx::query(&db.sql("INSERT INTO t (id, n, flag) VALUES (?, ?, ?)"))
                .bind("a")
                .bind(1_i64)
                .bind(0_i64)
                .execute(pool)
                .await
                .unwrap_err();
            assert!(is_unique_violation(&dup), "{}: {dup}", db.backend());
        }
    }
}
