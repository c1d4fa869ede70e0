//! Per-source crawl state: what the health page shows and what the scheduler reads.

use super::documents::ts;
use super::{StoreError, dialect, q};
use crate::sources::SourceSpec;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// What one crawl of a source did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub at: DateTime<Utc>,
    /// `None` on success; the error text otherwise.
    pub error: Option<String>,
    pub items_seen: i64,
    pub items_new: i64,
    pub next_run_at: DateTime<Utc>,
}

/// A source's health as stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SourceHealth {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub reliability: f32,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_ok_at: Option<DateTime<Utc>>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub items_seen: i64,
    pub items_new: i64,
    pub consecutive_failures: i64,
    pub next_run_at: DateTime<Utc>,
    /// The process crawling it now, if any.
    pub lease_owner: Option<String>,
}

impl super::Store {
    /// Registers sources from their files (new ones are due at once); state of known ones is
    /// kept. Sources no file defines any more, or disabled ones, become inactive (never leased).
    pub async fn sync_sources(&self, specs: &[SourceSpec]) -> Result<(), StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to register sources"))?;
        sqlx::query("UPDATE sources SET active = 0")
            .execute(&mut *tx)
            .await
            .map_err(q("registering sources"))?;
        for s in specs {
            sqlx::query(
                "INSERT INTO sources (name, kind, url, reliability, active) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, \
                 reliability = excluded.reliability, active = excluded.active",
            )
            .bind(&s.name)
            .bind(s.kind.as_str())
            .bind(&s.url)
            .bind(s.reliability as f64)
            .bind(i64::from(s.enabled))
            .execute(&mut *tx)
            .await
            .map_err(q("registering a source"))?;
        }
        tx.commit().await.map_err(q("committing sources"))?;
        Ok(())
    }

    /// Takes the leases of up to `limit` active sources due at `now` that nobody holds (never
    /// leased, or the lease expired), oldest due first; returns their
    /// names. One statement, so two processes never take one source: workers call it as they
    /// free up, and so share the due sources between them.
    pub async fn lease_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(dialect::lease_due(self.backend))
            .bind(now.timestamp())
            .bind(owner)
            .bind(until.timestamp())
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(q("leasing due sources"))
    }

    /// Takes the leases of the named sources that no other process holds, due or not (`crawl
    /// --all`, `crawl --source`); returns the names taken.
    pub async fn lease_named(
        &self,
        owner: &str,
        names: &[String],
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to lease sources"))?;
        let mut taken = Vec::new();
        for name in names {
            let got: Option<String> = sqlx::query_scalar(
                "UPDATE sources SET lease_owner = $2, lease_until = $3 WHERE name = $1 \
                 AND (lease_owner IS NULL OR lease_until < $4 OR lease_owner = $2) RETURNING name",
            )
            .bind(name)
            .bind(owner)
            .bind(until.timestamp())
            .bind(now.timestamp())
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("leasing a source"))?;
            taken.extend(got);
        }
        tx.commit().await.map_err(q("committing leases"))?;
        Ok(taken)
    }

    /// Who holds a source's lease, and until when (`None`: free).
    pub async fn lease_of(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT lease_owner, lease_until FROM sources WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(q("reading a source's lease"))?;
        Ok(match row {
            Some((Some(owner), Some(until))) if until >= now.timestamp() => {
                Some((owner, ts(until)))
            }
            _ => None,
        })
    }

    /// A source's consecutive failures so far.
    pub async fn consecutive_failures(&self, name: &str) -> Result<i64, StoreError> {
        let n: Option<i64> =
            sqlx::query_scalar("SELECT consecutive_failures FROM sources WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(q("reading a source's failures"))?;
        Ok(n.unwrap_or(0))
    }

    /// Extends `owner`'s lease of a source to `until`; false when `owner` no longer holds it
    /// (it expired and another process took the source).
    pub async fn renew_lease(
        &self,
        name: &str,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let r =
            sqlx::query("UPDATE sources SET lease_until = $3 WHERE name = $1 AND lease_owner = $2")
                .bind(name)
                .bind(owner)
                .bind(until.timestamp())
                .execute(&self.pool)
                .await
                .map_err(q("renewing a lease"))?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives back `owner`'s lease of a source without recording a run.
    pub async fn release(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL WHERE name = $1 AND lease_owner = $2",
        )
        .bind(name)
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(q("giving back a lease"))?;
        Ok(())
    }

    /// Number of active sources due at `now`.
    pub async fn due_count(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM sources WHERE active = 1 AND next_run_at <= $1")
            .bind(now.timestamp())
            .fetch_one(&self.pool)
            .await
            .map_err(q("counting due sources"))
    }

    /// Records a crawl's outcome and gives back `owner`'s lease.
    pub async fn record_run_by(
        &self,
        name: &str,
        owner: &str,
        o: &RunOutcome,
    ) -> Result<(), StoreError> {
        self.record(name, Some(owner), o).await
    }

    /// Records a crawl's outcome.
    pub async fn record_run(&self, name: &str, o: &RunOutcome) -> Result<(), StoreError> {
        self.record(name, None, o).await
    }

    async fn record(
        &self,
        name: &str,
        owner: Option<&str>,
        o: &RunOutcome,
    ) -> Result<(), StoreError> {
        let ok = o.error.is_none();
        sqlx::query(
            "UPDATE sources SET last_run_at = $2, \
             last_ok_at = CASE WHEN $3 THEN $2 ELSE last_ok_at END, \
             last_status = $4, last_error = $5, items_seen = $6, items_new = $7, \
             consecutive_failures = CASE WHEN $3 THEN 0 ELSE consecutive_failures + 1 END, \
             next_run_at = $8, \
             lease_until = CASE WHEN lease_owner = $9 THEN NULL ELSE lease_until END, \
             lease_owner = CASE WHEN lease_owner = $9 THEN NULL ELSE lease_owner END \
             WHERE name = $1",
        )
        .bind(name)
        .bind(o.at.timestamp())
        .bind(ok)
        .bind(if ok { "ok" } else { "error" })
        .bind(&o.error)
        .bind(o.items_seen)
        .bind(o.items_new)
        .bind(o.next_run_at.timestamp())
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(q("recording a crawl"))?;
        Ok(())
    }

    /// Makes a source due now ("run now"): the next scheduler tick of any process that crawls
    /// takes it. False when no active source has that name.
    pub async fn make_due(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE sources SET next_run_at = $2 WHERE name = $1 AND active = 1")
            .bind(name)
            .bind(now.timestamp())
            .execute(&self.pool)
            .await
            .map_err(q("making a source due"))?;
        Ok(r.rows_affected() == 1)
    }

    /// Health of every registered source.
    pub async fn source_health(&self) -> Result<Vec<SourceHealth>, StoreError> {
        let rows = sqlx::query("SELECT * FROM sources ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading source health"))?;
        Ok(rows
            .iter()
            .map(|r| SourceHealth {
                name: r.get("name"),
                kind: r.get("kind"),
                url: r.get("url"),
                reliability: r.get::<f64, _>("reliability") as f32,
                last_run_at: r.get::<Option<i64>, _>("last_run_at").map(ts),
                last_ok_at: r.get::<Option<i64>, _>("last_ok_at").map(ts),
                last_status: r.get("last_status"),
                last_error: r.get("last_error"),
                items_seen: r.get("items_seen"),
                items_new: r.get("items_new"),
                consecutive_failures: r.get("consecutive_failures"),
                next_run_at: ts(r.get("next_run_at")),
                lease_owner: r
                    .get::<Option<i64>, _>("lease_until")
                    .filter(|u| *u >= Utc::now().timestamp())
                    .and(r.get("lease_owner")),
            })
            .collect())
    }

    /// Names of sources due at `now`.
    pub async fn due_sources(&self, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT name FROM sources WHERE next_run_at <= $1 ORDER BY next_run_at, name",
        )
        .bind(now.timestamp())
        .fetch_all(&self.pool)
        .await
        .map_err(q("finding due sources"))
    }

    /// Whether the source has never been read successfully (its next crawl is its baseline).
    pub async fn is_baseline_run(&self, name: &str) -> Result<bool, StoreError> {
        let ok: Option<Option<i64>> =
            sqlx::query_scalar("SELECT last_ok_at FROM sources WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(q("reading a source's state"))?;
        Ok(ok.flatten().is_none())
    }

    /// The cache validators stored for `url` (conditional GET).
    pub async fn validators(
        &self,
        url: &str,
    ) -> Result<Option<crate::fetch::Validators>, StoreError> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT etag, last_modified FROM http_validators WHERE url = $1")
                .bind(url)
                .fetch_optional(&self.pool)
                .await
                .map_err(q("reading cache validators"))?;
        Ok(row.map(|(etag, last_modified)| crate::fetch::Validators {
            etag,
            last_modified,
        }))
    }

    /// Stores `url`'s validators after its body was processed (none: forget them).
    pub async fn save_validators(
        &self,
        url: &str,
        v: &crate::fetch::Validators,
    ) -> Result<(), StoreError> {
        if v.etag.is_none() && v.last_modified.is_none() {
            sqlx::query("DELETE FROM http_validators WHERE url = $1")
                .bind(url)
                .execute(&self.pool)
                .await
                .map_err(q("forgetting cache validators"))?;
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO http_validators (url, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
             last_modified = excluded.last_modified, updated_at = excluded.updated_at",
        )
        .bind(url)
        .bind(&v.etag)
        .bind(&v.last_modified)
        .bind(chrono::Utc::now().timestamp())
        .execute(&self.pool)
        .await
        .map_err(q("saving cache validators"))?;
        Ok(())
    }
}
