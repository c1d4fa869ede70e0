//! The source of truth: sqlx over SQLite (WAL, busy timeout, `BEGIN IMMEDIATE` for read-then-write
//! transactions), migrations embedded in the binary. The SQL is portable (`$n` placeholders,
//! integer times, JSON as text) so a PostgreSQL pool can sit behind the same methods later; the
//! SQLite-only statements are named in [`dialect`].

mod accounts;
mod documents;
mod postings;
mod scores;
mod sources;
pub mod webhooks;

pub use documents::{NewEvent, SavedDocument};
pub use postings::{Posting, Technographic};
pub use scores::{Feedback, ScorePoint, Verdict};
pub use sources::{RunOutcome, SourceHealth};

use crate::config::Config;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::time::Duration;

/// A database failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
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

/// The statements that differ between backends, in one place.
pub(crate) mod dialect {
    /// Starts a write transaction that takes the write lock up front, so a read-then-write cannot
    /// fail with "database is locked" halfway (STACK trap 6).
    pub const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

    /// Leases up to `$4` active sources due at `$1` that nobody holds (free or expired; a
    /// process's own live lease is a crawl in flight) to `$2` until `$3`, oldest due first. One statement, atomic on SQLite;
    /// PostgreSQL adds `FOR UPDATE SKIP LOCKED` to the inner select so that concurrent workers
    /// skip each other's rows instead of waiting (STACK trap 7).
    pub const LEASE_DUE: &str = "UPDATE sources SET lease_owner = $2, lease_until = $3 \
        WHERE name IN (SELECT name FROM sources WHERE active = 1 AND next_run_at <= $1 \
        AND (lease_owner IS NULL OR lease_until < $1) \
        ORDER BY next_run_at, name LIMIT $4) RETURNING name";

    /// Leases up to `$4` webhook messages due at `$1` (ms) to `$2` until `$3`: pending, not
    /// leased, of an active subscription, and the oldest pending message of its subscription and
    /// account, so one account's messages go out in order. PostgreSQL adds `FOR UPDATE SKIP
    /// LOCKED` to the inner select.
    pub const LEASE_OUTBOX: &str = "UPDATE outbox SET lease_owner = $2, lease_until_ms = $3 \
        WHERE id IN (SELECT o.id FROM outbox o JOIN webhooks w ON w.id = o.webhook_id \
        WHERE o.status = 'pending' AND o.next_attempt_ms <= $1 \
        AND (o.lease_until_ms IS NULL OR o.lease_until_ms < $1) \
        AND w.paused = 0 AND w.disabled_at IS NULL \
        AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.webhook_id = o.webhook_id \
            AND p.order_key = o.order_key AND p.status = 'pending' AND p.id < o.id) \
        ORDER BY o.id LIMIT $4) \
        RETURNING id, msg_id, webhook_id, event_type, order_key, payload, created_ms, status, \
        attempts, next_attempt_ms, last_error, delivered_ms";
}

/// Handle to the database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
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
    /// Opens (creating if needed) the database of `cfg` and applies migrations.
    pub async fn open(cfg: &Config) -> Result<Store, StoreError> {
        let path = cfg.sqlite_path();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Open {
                url: cfg.database_url.clone(),
                source,
            })?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store {
            pool,
            story_window: cfg.detect.story_window_days.max(0) * 86_400,
        })
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

    /// Closes the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) fn json_vec(text: &str, what: &'static str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}
