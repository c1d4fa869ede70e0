//! Saved searches: a name, the search as a query string, and the random key of its feed.

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
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO saved_searches (name, query, feed_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
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
}
