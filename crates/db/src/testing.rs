//! Throw-away databases for tests: an SQLite file always, and a fresh PostgreSQL and
//! MariaDB database when those servers answer.
//!
//! A server that does not answer is skipped with a printed reason, unless
//! `FERROSTACK_REQUIRE_ALL_DBS=1` (set by CI, where both run) makes that a failure.
//! The URLs of the admin connections come from `FERROSTACK_TEST_POSTGRES_URL` and
//! `FERROSTACK_TEST_MYSQL_URL`, defaulting to the local servers.

use crate::{Backend, Database};

/// A database that lives as long as this value; server-side ones are dropped on drop.
pub struct TestDatabase {
    /// The connection pool to use.
    pub db: Database,
    /// The database's URL, for code under test that connects by itself.
    pub url: String,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.cleanup.take() {
            // Drop needs a runtime of its own: the test's may already be shutting down.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(admin.pool()).await;
                        }
                    });
                }
            })
            .join()
            .ok();
        }
    }
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// An empty SQLite database in a temporary directory.
pub async fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Database::connect(&url).await.expect("SQLite always opens");
    TestDatabase { db, url, cleanup: None, _dir: Some(dir) }
}

async fn server(backend: Backend) -> Option<TestDatabase> {
    let (admin_url, label) = match backend {
        Backend::Postgres => (env_or("FERROSTACK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"), "PostgreSQL"),
        Backend::MySql => (env_or("FERROSTACK_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"), "MariaDB"),
        Backend::Sqlite => return Some(sqlite().await),
    };
    let required = std::env::var("FERROSTACK_REQUIRE_ALL_DBS").is_ok_and(|v| v == "1");
    let unavailable = |why: String| {
        assert!(!required, "{label} is required (FERROSTACK_REQUIRE_ALL_DBS=1) but {why}");
        eprintln!("skipping {label}: {why}");
        None
    };
    let admin = match Database::connect(&admin_url).await {
        Ok(admin) => admin,
        Err(e) => return unavailable(e.to_string()),
    };
    let name = format!("ferrostack_test_{}", uuid::Uuid::new_v4().simple());
    if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}")).execute(admin.pool()).await {
        return unavailable(format!("cannot create a database: {e}"));
    }
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').expect("admin URL names a database");
    let url = format!("{base}/{name}");
    match Database::connect(&url).await {
        Ok(db) => Some(TestDatabase { db, url, cleanup: Some((admin_url, name)), _dir: None }),
        Err(e) => unavailable(e.to_string()),
    }
}

/// One fresh database on every backend this machine offers: SQLite first.
pub async fn databases() -> Vec<TestDatabase> {
    let mut all = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        all.extend(server(backend).await);
    }
    all
}
