//! Saved searches: a name, the search as a query string, and the random key of its feed.

use super::webhooks::{Message, active_in, enqueue};
use super::{StoreError, q};
use chrono::{DateTime, Utc};

/// One saved search.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    /// The search as `/search` and `/api/events` take it (`q=…&kind=…`).
    pub query: String,
    /// The random part of its feed's address (`/feeds/searches/{key}.atom`).
    pub feed_key: String,
    pub created_at: DateTime<Utc>,
}

type Row = (i64, String, String, String, i64);

fn from_row((id, name, query, feed_key, at): Row) -> SavedSearch {
    SavedSearch {
        id,
        name,
        query,
        feed_key,
        created_at: DateTime::from_timestamp(at, 0).unwrap_or_default(),
    }
}

impl super::Store {
    /// Saves a search; returns it with its id.
    pub async fn save_search(
        &self,
        name: &str,
        query: &str,
        feed_key: &str,
    ) -> Result<SavedSearch, StoreError> {
        let now = Utc::now().timestamp();
        // Its alerts start from now: events stored before it was saved are in its feed already.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO saved_searches (name, query, feed_key, created_at, alerted_through) \
             VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(seq), 0) FROM index_changes)) RETURNING id",
        )
        .bind(name)
        .bind(query)
        .bind(feed_key)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(q("saving a search"))?;
        Ok(from_row((
            id,
            name.into(),
            query.into(),
            feed_key.into(),
            now,
        )))
    }

    /// Every saved search, newest first.
    pub async fn saved_searches(&self) -> Result<Vec<SavedSearch>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, query, feed_key, created_at FROM saved_searches ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading saved searches"))?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// The saved search with this feed key.
    pub async fn saved_search_by_key(&self, key: &str) -> Result<Option<SavedSearch>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, name, query, feed_key, created_at FROM saved_searches WHERE feed_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(q("reading a saved search"))?;
        Ok(row.map(from_row))
    }

    /// Deletes a saved search; false when there was none.
    pub async fn delete_saved_search(&self, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM saved_searches WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(q("deleting a saved search"))?;
        Ok(r.rows_affected() == 1)
    }

    /// The saved search with this id.
    pub async fn saved_search(&self, id: i64) -> Result<Option<SavedSearch>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, name, query, feed_key, created_at FROM saved_searches WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(q("reading a saved search"))?;
        Ok(row.map(from_row))
    }

    /// Saved searches that an active webhook follows, each with the index change up to which
    /// its new matches were sent.
    pub async fn alerting_searches(&self) -> Result<Vec<(SavedSearch, i64)>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT s.id, s.name, s.query, s.feed_key, s.created_at, s.alerted_through \
             FROM saved_searches s WHERE EXISTS (SELECT 1 FROM webhooks w \
             WHERE w.saved_search = s.id AND w.paused = 0 AND w.disabled_at IS NULL) ORDER BY s.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading saved searches with webhooks"))?;
        Ok(rows
            .into_iter()
            .map(|(id, name, query, key, at, through)| {
                (from_row((id, name, query, key, at)), through)
            })
            .collect())
    }

    /// Starts a saved search's alerts from the newest index change, unless an active webhook
    /// already follows it (a new subscriber is not sent the search's history).
    pub async fn start_search_alerts(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE saved_searches SET alerted_through = \
             (SELECT COALESCE(MAX(seq), 0) FROM index_changes) WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM webhooks w WHERE w.saved_search = $1 AND w.paused = 0 AND w.disabled_at IS NULL)",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(q("starting a saved search's alerts"))?;
        Ok(())
    }

    /// Enqueues `search.matched` messages for the events a saved search found in the index
    /// changes up to `through`, and moves its mark there, in one transaction. An event it has
    /// sent before is not sent again. Returns how many messages were enqueued.
    pub async fn record_search_alerts(
        &self,
        saved_search: i64,
        through: i64,
        found: &[(i64, Message)],
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to record search alerts"))?;
        let subs = active_in(&mut tx).await?;
        let mut n = 0;
        for (event_id, m) in found {
            let new = sqlx::query(
                "INSERT INTO search_alerts (saved_search, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(saved_search)
            .bind(*event_id)
            .execute(&mut *tx)
            .await
            .map_err(q("recording a search alert"))?
            .rows_affected()
                == 1;
            if new {
                n += enqueue(&mut tx, &subs, m, now_ms).await?;
            }
        }
        sqlx::query(
            "UPDATE saved_searches SET alerted_through = $2 WHERE id = $1 AND alerted_through < $2",
        )
        .bind(saved_search)
        .bind(through)
        .execute(&mut *tx)
        .await
        .map_err(q("moving a saved search's alert mark"))?;
        tx.commit().await.map_err(q("committing search alerts"))?;
        Ok(n)
    }
}
