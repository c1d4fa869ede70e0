//! Readiness rows (the latest score per account with its explanation), their history, and SDR
//! feedback.

use super::accounts::account_from_row;
use super::{StoreError, q};
use crate::model::{Account, Readiness};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// What an SDR said about an event on an account, or about the account.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The SDR acted on it.
    Taken,
    /// Wrong company, or no reason to call: its contribution is removed.
    NotRelevant,
}

impl Verdict {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Taken => "taken",
            Verdict::NotRelevant => "not_relevant",
        }
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "taken" => Ok(Verdict::Taken),
            "not_relevant" | "irrelevant" => Ok(Verdict::NotRelevant),
            other => Err(format!(
                "unknown feedback `{other}` (expected taken or not-relevant)"
            )),
        }
    }
}

/// One stored feedback record.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Feedback {
    pub id: i64,
    pub account_id: i64,
    pub event_id: Option<i64>,
    pub verdict: Verdict,
    pub author: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One point of an account's score history.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScorePoint {
    pub at: DateTime<Utc>,
    pub score: u8,
    pub band: String,
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        what: "readiness",
        message: e.to_string(),
    }
}

impl super::Store {
    /// Stores the scores of these accounts (others keep theirs); an account whose score has no
    /// contributions left loses its row. A history point is added when score or band changed.
    pub async fn save_scores(&self, scores: &[Readiness]) -> Result<(), StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to save scores"))?;
        let subs = super::webhooks::active_in(&mut tx).await?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        for r in scores {
            let prev: Option<(i64, String)> =
                sqlx::query_as("SELECT score, band FROM readiness WHERE account_id = $1")
                    .bind(r.account_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(q("reading a score"))?;
            if r.contributions.is_empty() {
                sqlx::query("DELETE FROM readiness WHERE account_id = $1")
                    .bind(r.account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(q("removing a score"))?;
            } else {
                let detail = serde_json::to_string(r).map_err(corrupt)?;
                sqlx::query(
                    "INSERT INTO readiness (account_id, score, band, detail, computed_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
                     score = excluded.score, band = excluded.band, detail = excluded.detail, \
                     computed_at = excluded.computed_at",
                )
                .bind(r.account_id)
                .bind(r.score as i64)
                .bind(r.band.as_str())
                .bind(detail)
                .bind(r.computed_at.timestamp())
                .execute(&mut *tx)
                .await
                .map_err(q("saving a score"))?;
            }
            let changed = match &prev {
                Some((s, b)) => *s != r.score as i64 || b != r.band.as_str(),
                None => !r.contributions.is_empty(),
            };
            // A band boundary crossed (cold counts as a band: no score is cold).
            let old_band = prev.as_ref().map_or("cold", |(_, b)| b.as_str());
            let new_band = if r.contributions.is_empty() {
                "cold"
            } else {
                r.band.as_str()
            };
            if !subs.is_empty()
                && old_band != new_band
                && let Some(a) = super::webhooks::message_account(&mut tx, r.account_id).await?
            {
                let msg = crate::deliver::events::readiness_changed(a, prev.clone(), r);
                super::webhooks::enqueue(&mut tx, &subs, &msg, now_ms).await?;
            }
            if changed {
                sqlx::query(
                    "INSERT INTO readiness_history (account_id, computed_at, score, band) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(r.account_id)
                .bind(r.computed_at.timestamp())
                .bind(r.score as i64)
                .bind(r.band.as_str())
                .execute(&mut *tx)
                .await
                .map_err(q("recording score history"))?;
            }
        }
        tx.commit().await.map_err(q("committing scores"))?;
        Ok(())
    }

    /// Every stored score (for recomputing decay without reading events).
    pub async fn scores(&self) -> Result<Vec<Readiness>, StoreError> {
        let rows = sqlx::query("SELECT detail FROM readiness ORDER BY account_id")
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading scores"))?;
        rows.iter()
            .map(|r| serde_json::from_str(r.get::<&str, _>("detail")).map_err(corrupt))
            .collect()
    }

    /// One account's stored score.
    pub async fn score_of(&self, account_id: i64) -> Result<Option<Readiness>, StoreError> {
        let row = sqlx::query("SELECT detail FROM readiness WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("reading a score"))?;
        row.map(|r| serde_json::from_str(r.get::<&str, _>("detail")).map_err(corrupt))
            .transpose()
    }

    /// An account's score over time, oldest first.
    pub async fn score_history(&self, account_id: i64) -> Result<Vec<ScorePoint>, StoreError> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT computed_at, score, band FROM readiness_history WHERE account_id = $1 \
             ORDER BY computed_at, id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading score history"))?;
        Ok(rows
            .into_iter()
            .map(|(at, score, band)| ScorePoint {
                at: DateTime::from_timestamp(at, 0).unwrap_or_default(),
                score: score.clamp(0, 100) as u8,
                band,
            })
            .collect())
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
                serde_json::from_str(r.get::<&str, _>("detail")).map_err(corrupt)?;
            out.push((account_from_row(&r)?, readiness));
        }
        Ok(out)
    }

    /// Stores feedback. `factors` are the contribution's factors at the time (JSON), kept so
    /// weights can be learned from feedback later. The event is also remembered by URL, kind and
    /// story, so the verdict survives a re-crawl of a changed document.
    pub async fn add_feedback(
        &self,
        account_id: i64,
        event_id: Option<i64>,
        verdict: Verdict,
        author: Option<&str>,
        note: Option<&str>,
        factors: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        let (url, kind, story, source): (
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
        ) = match event_id {
            Some(id) => sqlx::query_as(
                "SELECT d.url, e.kind, COALESCE(e.story_id, e.id), d.source FROM events e \
                     JOIN documents d ON d.id = e.document_id WHERE e.id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("reading the event of feedback"))?
            .map_or(
                (None, None, None, None),
                |(u, k, st, so): (String, String, i64, String)| {
                    (Some(u), Some(k), Some(st), Some(so))
                },
            ),
            None => (None, None, None, None),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO feedback (account_id, scope, event_id, url, kind, story_id, verdict, author, \
             note, source, factors, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(account_id)
        .bind(if event_id.is_some() { "event" } else { "account" })
        .bind(event_id)
        .bind(url)
        .bind(kind)
        .bind(story)
        .bind(verdict.as_str())
        .bind(author)
        .bind(note)
        .bind(source)
        .bind(factors.to_string())
        .bind(Utc::now().timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(q("saving feedback"))?;
        Ok(id)
    }

    /// Whether the event is attached to the account (whatever feedback says).
    pub async fn is_attached(&self, account_id: i64, event_id: i64) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM event_accounts WHERE account_id = $1 AND event_id = $2",
        )
        .bind(account_id)
        .bind(event_id)
        .fetch_one(&self.pool)
        .await
        .map_err(q("checking an attachment"))?;
        Ok(n > 0)
    }

    /// An account's feedback, newest first.
    pub async fn feedback(&self, account_id: i64) -> Result<Vec<Feedback>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, account_id, event_id, verdict, author, note, created_at FROM feedback \
             WHERE account_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading feedback"))?;
        rows.iter()
            .map(|r| {
                Ok(Feedback {
                    id: r.get("id"),
                    account_id: r.get("account_id"),
                    event_id: r.get("event_id"),
                    verdict: r.get::<&str, _>("verdict").parse().map_err(|m| {
                        StoreError::Corrupt {
                            what: "feedback verdict",
                            message: m,
                        }
                    })?,
                    author: r.get("author"),
                    note: r.get("note"),
                    created_at: DateTime::from_timestamp(r.get("created_at"), 0)
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Accounts marked not relevant as a whole, with the latest such feedback's time.
    pub async fn muted_accounts(
        &self,
    ) -> Result<std::collections::HashMap<i64, DateTime<Utc>>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT f.account_id, f.created_at FROM feedback f WHERE f.scope = 'account' \
             AND f.verdict = 'not_relevant' AND NOT EXISTS (SELECT 1 FROM feedback g \
             WHERE g.account_id = f.account_id AND g.scope = 'account' AND g.id > f.id)",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading feedback"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(a, t)| DateTime::from_timestamp(t, 0).map(|t| (a, t)))
            .collect())
    }
}
