//! Job postings seen on job-board sources: first and last seen, closed when they leave the board.

use super::{StoreError, q};
use chrono::{DateTime, Utc};

/// One posting as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Posting {
    pub url: String,
    pub title: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

fn ts(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

impl super::Store {
    /// Records one listing of `source` at `now`: new postings are opened, listed ones stay open,
    /// open ones no longer listed are closed. Returns how many were new.
    pub async fn observe_postings(
        &self,
        source: &str,
        account_id: Option<i64>,
        listed: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to record postings"))?;
        let t = now.timestamp();
        let mut new = 0;
        for (url, title) in listed {
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO postings (source, url, account_id, title, first_seen_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (source, url) DO NOTHING RETURNING id",
            )
            .bind(source)
            .bind(url)
            .bind(account_id)
            .bind(title)
            .bind(t)
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("recording a posting"))?;
            if inserted.is_some() {
                new += 1;
            } else {
                // Seen again; a posting that comes back reopens.
                sqlx::query(
                    "UPDATE postings SET last_seen_at = $3, title = $4, account_id = $5, closed_at = NULL \
                     WHERE source = $1 AND url = $2",
                )
                .bind(source)
                .bind(url)
                .bind(t)
                .bind(title)
                .bind(account_id)
                .execute(&mut *tx)
                .await
                .map_err(q("recording a posting"))?;
            }
        }
        // Open postings this listing no longer has left the board now (compared by URL: two
        // crawls can fall within one second).
        let open: Vec<String> =
            sqlx::query_scalar("SELECT url FROM postings WHERE source = $1 AND closed_at IS NULL")
                .bind(source)
                .fetch_all(&mut *tx)
                .await
                .map_err(q("reading open postings"))?;
        let listed_urls: std::collections::HashSet<&str> =
            listed.iter().map(|(u, _)| u.as_str()).collect();
        for url in open.iter().filter(|u| !listed_urls.contains(u.as_str())) {
            sqlx::query("UPDATE postings SET closed_at = $3 WHERE source = $1 AND url = $2")
                .bind(source)
                .bind(url)
                .bind(t)
                .execute(&mut *tx)
                .await
                .map_err(q("closing a posting"))?;
        }
        tx.commit().await.map_err(q("committing postings"))?;
        Ok(new)
    }

    /// The account's postings first seen since `since` or still open then, oldest first.
    pub async fn postings_of(
        &self,
        account_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<Posting>, StoreError> {
        let rows: Vec<(String, String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT url, title, first_seen_at, last_seen_at, closed_at FROM postings \
             WHERE account_id = $1 AND (closed_at IS NULL OR closed_at >= $2) \
             ORDER BY first_seen_at, id",
        )
        .bind(account_id)
        .bind(since.timestamp())
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading postings"))?;
        Ok(rows
            .into_iter()
            .map(|(url, title, f, l, c)| Posting {
                url,
                title,
                first_seen_at: ts(f),
                last_seen_at: ts(l),
                closed_at: c.map(ts),
            })
            .collect())
    }

    /// When the account's postings were first observed at all (its hiring history starts).
    pub async fn postings_since(
        &self,
        account_id: i64,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let t: Option<i64> =
            sqlx::query_scalar("SELECT MIN(first_seen_at) FROM postings WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(&self.pool)
                .await
                .map_err(q("reading postings"))?;
        Ok(t.map(ts))
    }

    /// Records technologies seen in the account's postings at `now` (first seen kept).
    pub async fn observe_technologies(
        &self,
        account_id: i64,
        names: &[String],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to record technologies"))?;
        let mut learned = Vec::new();
        for n in names {
            let known: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM account_technologies WHERE account_id = $1 AND name = $2",
            )
            .bind(account_id)
            .bind(n)
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("reading a technology"))?;
            if known.is_none() {
                learned.push(n.clone());
            }
            sqlx::query(
                "INSERT INTO account_technologies (account_id, name, source, first_seen_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account_id, name) DO UPDATE SET \
                 last_seen_at = excluded.last_seen_at, source = excluded.source",
            )
            .bind(account_id)
            .bind(n)
            .bind(source)
            .bind(now.timestamp())
            .execute(&mut *tx)
            .await
            .map_err(q("recording a technology"))?;
        }
        if !learned.is_empty() {
            let subs = super::webhooks::active_in(&mut tx).await?;
            if !subs.is_empty()
                && let Some(a) = super::webhooks::message_account(&mut tx, account_id).await?
            {
                let msg = crate::deliver::events::enriched(a, &learned, &[]);
                super::webhooks::enqueue(&mut tx, &subs, &msg, now.timestamp_millis()).await?;
            }
        }
        tx.commit().await.map_err(q("committing technologies"))?;
        Ok(())
    }

    /// The account's technographics, most recently seen first.
    pub async fn technographics(&self, account_id: i64) -> Result<Vec<Technographic>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, source, first_seen_at, last_seen_at FROM account_technologies \
             WHERE account_id = $1 ORDER BY last_seen_at DESC, name",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading technographics"))?;
        Ok(rows
            .into_iter()
            .map(|(name, source, f, l)| Technographic {
                name,
                source,
                first_seen_at: ts(f),
                last_seen_at: ts(l),
            })
            .collect())
    }
}

/// A technology an account uses, as its postings show.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Technographic {
    pub name: String,
    /// The source that showed it last.
    pub source: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}
