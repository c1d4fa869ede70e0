//! Readiness rows: the latest score per account with its explanation.

use super::accounts::account_from_row;
use super::{StoreError, dialect, q};
use crate::model::{Account, Readiness};
use sqlx::Row;

impl super::Store {
    /// Replaces all readiness rows with `scores` in one transaction.
    pub async fn save_readiness(&self, scores: &[Readiness]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with(dialect::BEGIN_WRITE)
            .await
            .map_err(q("starting to save scores"))?;
        sqlx::query("DELETE FROM readiness")
            .execute(&mut *tx)
            .await
            .map_err(q("clearing old scores"))?;
        let now = chrono::Utc::now().timestamp();
        for r in scores {
            let detail = serde_json::to_string(r).map_err(|e| StoreError::Corrupt {
                what: "readiness",
                message: e.to_string(),
            })?;
            sqlx::query(
                "INSERT INTO readiness (account_id, score, band, detail, computed_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(r.account_id)
            .bind(r.score as i64)
            .bind(r.band.as_str())
            .bind(detail)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(q("saving a score"))?;
        }
        tx.commit().await.map_err(q("committing scores"))?;
        Ok(())
    }

    /// Accounts with a score, highest first.
    pub async fn leads(&self, limit: i64) -> Result<Vec<(Account, Readiness)>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.*, r.detail FROM readiness r JOIN accounts a ON a.id = r.account_id \
             ORDER BY r.score DESC, r.account_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading leads"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let readiness: Readiness =
                serde_json::from_str(r.get::<&str, _>("detail")).map_err(|e| {
                    StoreError::Corrupt {
                        what: "readiness",
                        message: e.to_string(),
                    }
                })?;
            out.push((account_from_row(&r)?, readiness));
        }
        Ok(out)
    }
}
