//! The index change log: which events were added, replaced or removed, in commit-visible order
//! as far as the database can tell. The process holding the search index replays it
//! ([`crate::search::tail`]); workers without an index only write it.

use super::sql::Sql;
use super::{StoreError, q};
use sqlx::{Any, Transaction};

/// One logged change: the event to (re)index, or to remove when it no longer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub event_id: i64,
    /// Unix seconds when it was written.
    pub at: i64,
}

/// Rows per INSERT (two parameters each; far under PostgreSQL's 65,535).
const CHUNK: usize = 1_000;

/// Logs changes of these events inside the transaction that made them; returns their numbers.
pub(crate) async fn log(
    tx: &mut Transaction<'_, Any>,
    event_ids: &[i64],
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut seqs = Vec::with_capacity(event_ids.len());
    for chunk in event_ids.chunks(CHUNK) {
        let mut s = Sql::new("INSERT INTO index_changes (event_id, at) VALUES ");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.push("(")
                .push_bind(*id)
                .push(", ")
                .push_bind(now)
                .push(")");
        }
        s.push(" RETURNING seq");
        seqs.extend(
            s.build_scalar::<i64>()
                .fetch_all(&mut **tx)
                .await
                .map_err(q("logging index changes"))?,
        );
    }
    Ok(seqs)
}

impl super::Store {
    /// Up to `limit` changes after `cursor`, oldest first.
    pub async fn changes_after(&self, cursor: i64, limit: i64) -> Result<Vec<Change>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT seq, event_id, at FROM index_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(cursor)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading index changes"))?;
        Ok(rows.into_iter().map(change).collect())
    }

    /// The changes numbered `from..=to` (to look again at a range that was missing).
    pub async fn changes_between(&self, from: i64, to: i64) -> Result<Vec<Change>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT seq, event_id, at FROM index_changes WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading index changes"))?;
        Ok(rows.into_iter().map(change).collect())
    }

    /// The oldest change still kept (`None`: nothing was ever logged).
    pub async fn oldest_change(&self) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar("SELECT MIN(seq) FROM index_changes")
            .fetch_one(&self.pool)
            .await
            .map_err(q("reading the index change log"))
    }

    /// The newest change written before `at` (unix seconds); 0 when none. A rebuilt index starts
    /// replaying after it: anything later, or still in flight, is replayed (idempotently).
    pub async fn last_change_before(&self, at: i64) -> Result<i64, StoreError> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM index_changes WHERE at < $1")
                .bind(at)
                .fetch_one(&self.pool)
                .await
                .map_err(q("reading the index change log"))?;
        Ok(seq.unwrap_or(0))
    }

    /// Forgets changes written before `at`, except the newest one (whose number shows an index
    /// that was away longer than that it missed changes and must be rebuilt).
    pub async fn prune_changes(&self, at: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "DELETE FROM index_changes WHERE at < $1 \
             AND seq < (SELECT MAX(seq) FROM index_changes)",
        )
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(q("pruning the index change log"))?;
        Ok(r.rows_affected())
    }
}

fn change((seq, event_id, at): (i64, i64, i64)) -> Change {
    Change { seq, event_id, at }
}
