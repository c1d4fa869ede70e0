//! The source of truth: sqlx over SQLite (WAL, busy timeout, `BEGIN IMMEDIATE` for read-then-write
//! transactions), migrations embedded in the binary. The SQL is portable (`$n` placeholders,
//! integer times, JSON as text) so a PostgreSQL pool can sit behind the same methods later; the
//! SQLite-only statements are named in [`dialect`].

mod accounts;
mod changes;
pub mod copy;
mod documents;
mod leads;
mod postings;
mod saved;
mod scores;
mod sources;
mod sql;
pub mod webhooks;

pub use changes::Change;
pub use documents::{NewEvent, SavedBatch, SavedDocument};
pub use leads::{Choices, LeadFilter, LeadPage};
pub use postings::{Posting, Technographic};
pub use saved::SavedSearch;
pub use scores::{Feedback, ScorePoint, Verdict};
pub use sources::{RunOutcome, SourceHealth};

use crate::config::Config;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::time::Duration;

/// A database failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("no SQLite database at {0} (check the path)")]
    Missing(std::path::PathBuf),
    #[error("cannot create the data folder {path}: {source}")]
    Dir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("database migration failed: {0} (is this database from a newer Trigger Radar?)")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error while {doing}: {source}")]
    Query {
        doing: &'static str,
        source: sqlx::Error,
    },
    #[error("stored data is corrupt ({what}): {message}")]
    Corrupt { what: &'static str, message: String },
}

/// Wraps a sqlx error with what the store was doing.
pub(crate) fn q(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { doing, source }
}

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded default: one file, one machine.
    Sqlite,
    /// Several processes on several machines.
    Postgres,
}

/// The statements that differ between backends, in one place.
pub(crate) mod dialect {
    use super::Backend;

    /// Starts a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so
    /// a read-then-write cannot fail with "database is locked" halfway (STACK trap 6);
    /// PostgreSQL's row locks need no such thing.
    pub fn begin_write(b: Backend) -> &'static str {
        match b {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// Leases up to `$4` active sources due at `$1` that nobody holds (free or expired; a
    /// process's own live lease is a crawl in flight) to `$2` until `$3`, oldest due first. One
    /// statement; on PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent
    /// workers skip each other's rows instead of waiting (STACK trap 7).
    pub fn lease_due(b: Backend) -> &'static str {
        match b {
            Backend::Sqlite => {
                "UPDATE sources SET lease_owner = $2, lease_until = $3 \
                 WHERE name IN (SELECT name FROM sources WHERE active = 1 AND next_run_at <= $1 \
                 AND (lease_owner IS NULL OR lease_until < $1) \
                 ORDER BY next_run_at, name LIMIT $4) RETURNING name"
            }
            Backend::Postgres => {
                "UPDATE sources SET lease_owner = $2, lease_until = $3 \
                 WHERE name IN (SELECT name FROM sources WHERE active = 1 AND next_run_at <= $1 \
                 AND (lease_owner IS NULL OR lease_until < $1) \
                 ORDER BY next_run_at, name LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING name"
            }
        }
    }

    /// Leases up to `$4` webhook messages due at `$1` (ms) to `$2` until `$3`: pending, not
    /// leased, of an active subscription, and the oldest pending message of its subscription and
    /// account, so one account's messages go out in order.
    pub fn lease_outbox(b: Backend) -> &'static str {
        match b {
            Backend::Sqlite => {
                "UPDATE outbox SET lease_owner = $2, lease_until_ms = $3 \
                 WHERE id IN (SELECT o.id FROM outbox o JOIN webhooks w ON w.id = o.webhook_id \
                 WHERE o.status = 'pending' AND o.next_attempt_ms <= $1 \
                 AND (o.lease_until_ms IS NULL OR o.lease_until_ms < $1) \
                 AND w.paused = 0 AND w.disabled_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.webhook_id = o.webhook_id \
                     AND p.order_key = o.order_key AND p.status = 'pending' AND p.id < o.id) \
                 ORDER BY o.id LIMIT $4) \
                 RETURNING id, msg_id, webhook_id, event_type, order_key, payload, created_ms, status, \
                 attempts, next_attempt_ms, last_error, delivered_ms"
            }
            Backend::Postgres => {
                "UPDATE outbox SET lease_owner = $2, lease_until_ms = $3 \
                 WHERE id IN (SELECT o.id FROM outbox o JOIN webhooks w ON w.id = o.webhook_id \
                 WHERE o.status = 'pending' AND o.next_attempt_ms <= $1 \
                 AND (o.lease_until_ms IS NULL OR o.lease_until_ms < $1) \
                 AND w.paused = 0 AND w.disabled_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.webhook_id = o.webhook_id \
                     AND p.order_key = o.order_key AND p.status = 'pending' AND p.id < o.id) \
                 ORDER BY o.id LIMIT $4 FOR UPDATE OF o SKIP LOCKED) \
                 RETURNING id, msg_id, webhook_id, event_type, order_key, payload, created_ms, status, \
                 attempts, next_attempt_ms, last_error, delivered_ms"
            }
        }
    }
}

/// Handle to the database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The PostgreSQL schema the tables live in, when one is configured.
    schema: Option<String>,
    /// Reports of one kind about one company this close in time are one story (seconds).
    story_window: i64,
}

/// Default story window: a week covers a rumour, the announcement and the follow-ups.
pub const DEFAULT_STORY_WINDOW_DAYS: i64 = 7;

/// Totals for summaries and the health of an instance.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub documents: i64,
    pub events: i64,
    pub accounts: i64,
    pub matched_accounts: i64,
    pub attached_events: i64,
}

impl Store {
    /// Opens (creating if needed) the database of `cfg` and applies migrations: an SQLite file
    /// (WAL, busy timeout, foreign keys), or PostgreSQL for `postgres://` URLs (in
    /// `database_schema` when set, created if missing).
    pub async fn open(cfg: &Config) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let open_err = |source| StoreError::Open {
            url: redact(&cfg.database_url),
            source,
        };
        if cfg.is_postgres() {
            let schema = cfg.database_schema.clone();
            if let Some(s) = &schema {
                check_schema_name(s)?;
                // The schema must exist before connections put it on their search path.
                let admin = AnyPoolOptions::new()
                    .max_connections(1)
                    .connect(&cfg.database_url)
                    .await
                    .map_err(open_err)?;
                let create = format!("CREATE SCHEMA IF NOT EXISTS \"{s}\"");
                sqlx::query(sqlx::AssertSqlSafe(create))
                    .execute(&admin)
                    .await
                    .map_err(q("creating the database schema"))?;
                admin.close().await;
            }
            let pool = AnyPoolOptions::new()
                .max_connections(cfg.database_connections.max(2))
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    let schema = schema.clone();
                    Box::pin(async move {
                        if let Some(s) = schema {
                            let set = format!("SET search_path TO \"{s}\"");
                            sqlx::query(sqlx::AssertSqlSafe(set))
                                .execute(&mut *conn)
                                .await?;
                        }
                        Ok(())
                    })
                })
                .connect(&cfg.database_url)
                .await
                .map_err(open_err)?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            return Ok(Store {
                pool,
                backend: Backend::Postgres,
                schema: cfg.database_schema.clone(),
                story_window: cfg.detect.story_window_days.max(0) * 86_400,
            });
        }
        let path = cfg.sqlite_path();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // What SqliteConnectOptions would set, through the Any driver.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA foreign_keys = ON",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            schema: None,
            story_window: cfg.detect.story_window_days.max(0) * 86_400,
        })
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `BEGIN` for a transaction that reads then writes.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        self.pool
            .begin_with(dialect::begin_write(self.backend))
            .await
    }

    /// Counts for the summary line and the health page.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let row: (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM events), \
             (SELECT COUNT(*) FROM accounts), (SELECT COUNT(DISTINCT account_id) FROM event_accounts), \
             (SELECT COUNT(DISTINCT event_id) FROM event_accounts)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(q("counting rows"))?;
        Ok(Stats {
            documents: row.0,
            events: row.1,
            accounts: row.2,
            matched_accounts: row.3,
            attached_events: row.4,
        })
    }

    /// Opens the database at `url` (`sqlite://PATH`, a plain path, or `postgres://…`, with
    /// `schema` on PostgreSQL) with `cfg`'s other settings; relative SQLite paths are taken from
    /// the working directory. `must_exist`: an SQLite file that is not there is an error, not a
    /// new empty database.
    pub async fn open_url(
        cfg: &Config,
        url: &str,
        schema: Option<String>,
        must_exist: bool,
    ) -> Result<Store, StoreError> {
        let mut c = cfg.clone();
        c.database_schema = schema;
        c.database_url = if url.contains("://") {
            url.to_string()
        } else {
            format!("sqlite://{url}")
        };
        if !c.is_postgres() && c.database_url.starts_with("sqlite://") {
            let path = c.sqlite_path();
            if must_exist && !path.exists() {
                return Err(StoreError::Missing(path));
            }
        }
        if let Err(e) = c.validate() {
            return Err(StoreError::Open {
                url: redact(url),
                source: sqlx::Error::Configuration(e.to_string().into()),
            });
        }
        Store::open(&c).await
    }

    /// The migrations applied to this database: (version, description), oldest first.
    pub async fn migrations(&self) -> Result<Vec<(i64, String)>, StoreError> {
        sqlx::query_as("SELECT version, description FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading the applied migrations"))
    }

    /// Removes this store's PostgreSQL schema with everything in it, and closes the pool (for
    /// benches and tests that made a throwaway schema). Does nothing on SQLite or without a
    /// configured schema.
    pub async fn drop_schema(self) -> Result<(), StoreError> {
        if let (Backend::Postgres, Some(s)) = (self.backend, &self.schema) {
            check_schema_name(s)?;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA \"{s}\" CASCADE")))
                .execute(&self.pool)
                .await
                .map_err(q("dropping the database schema"))?;
        }
        self.pool.close().await;
        Ok(())
    }

    /// Closes the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL with its password hidden (for messages and logs).
pub fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

fn check_schema_name(s: &str) -> Result<(), StoreError> {
    if s.is_empty() || s.len() > 63 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Corrupt {
            what: "database_schema",
            message: format!("`{s}` is not a schema name (letters, digits and _, at most 63)"),
        });
    }
    Ok(())
}

pub(crate) fn json_vec(text: &str, what: &'static str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schema change is made for both engines in one commit: the two migration folders hold
    /// the same versions with the same names.
    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = names(&format!("{root}/migrations/sqlite"));
        assert!(sqlite.len() >= 6, "{sqlite:?}");
        assert_eq!(sqlite, names(&format!("{root}/migrations/postgres")));
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://radar:s3cret@db.local:5432/radar"),
            "postgres://radar:***@db.local:5432/radar"
        );
        assert_eq!(redact("radar.db"), "radar.db");
        assert!(check_schema_name("trigger_radar").is_ok());
        assert!(check_schema_name("x\"; DROP TABLE y").is_err());
    }
}
