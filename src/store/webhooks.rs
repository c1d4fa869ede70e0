//! Webhook subscriptions, the outbox and the delivery log. Messages are enqueued inside the
//! transaction of the change that causes them (a new event on an account, a score crossing a
//! band, technologies or identifiers learned): no change without its messages, no message
//! without its change.

use super::{StoreError, dialect, q};
use crate::model::TriggerKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

/// The event types a subscription can receive.
pub const EVENT_TYPES: &[&str] = &[
    "trigger.detected",
    "account.readiness_changed",
    "account.enriched",
    "search.matched",
];

/// A webhook subscription.
#[derive(Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: i64,
    pub url: String,
    /// `generic`, `hubspot`, `bitrix24` or `amocrm`.
    pub format: String,
    /// Event types it receives (empty: all).
    pub event_types: Vec<String>,
    /// Trigger kinds it receives (empty: all).
    pub kinds: Vec<String>,
    /// Bands the account must be in (empty: any).
    pub bands: Vec<String>,
    pub min_readiness: Option<i64>,
    pub segment: Option<String>,
    /// A saved search this subscription follows: it receives `search.matched` for each new
    /// event the search finds, and nothing else.
    #[serde(default)]
    pub saved_search: Option<i64>,
    /// Adapter options: `event_name` (HubSpot), `token_env` (the environment variable holding
    /// the CRM's API token).
    pub options: serde_json::Value,
    #[serde(skip_serializing)]
    pub secret: String,
    #[serde(skip_serializing)]
    pub old_secret: Option<String>,
    pub old_secret_until: Option<DateTime<Utc>>,
    pub paused: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Subscription {
    // By hand: secrets never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("format", &self.format)
            .field("paused", &self.paused)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// What a new subscription is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewSubscription {
    pub url: String,
    #[serde(default = "generic")]
    pub format: String,
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub bands: Vec<String>,
    #[serde(default)]
    pub min_readiness: Option<i64>,
    #[serde(default)]
    pub segment: Option<String>,
    /// Follow this saved search (`search.matched` messages; generic format).
    #[serde(default)]
    pub saved_search: Option<i64>,
    #[serde(default)]
    pub options: Option<serde_json::Value>,
    /// A given secret; one is generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

fn generic() -> String {
    "generic".into()
}

/// The account a message is about, as the subscriptions' filters see it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageAccount {
    pub id: i64,
    pub crm_id: String,
    pub crm: String,
    pub name: String,
    pub domain: Option<String>,
    pub segment: Option<String>,
    pub owner: Option<String>,
    pub score: Option<i64>,
    pub band: Option<String>,
}

/// A message to enqueue: its type, its account, the trigger kind (for `trigger.detected`), and
/// its data (the generic JSON body's `data`).
#[derive(Debug, Clone)]
pub struct Message {
    pub event_type: &'static str,
    pub account: MessageAccount,
    pub kind: Option<TriggerKind>,
    pub data: serde_json::Value,
    /// `search.matched`: the saved search that found the event.
    pub saved_search: Option<i64>,
}

impl Message {
    /// Messages with one key are delivered in order: an account's, or a saved search's.
    fn order_key(&self) -> String {
        match self.saved_search {
            Some(s) => format!("search:{s}"),
            None => format!("account:{}", self.account.id),
        }
    }
}

impl Subscription {
    /// Whether this subscription receives `m`.
    pub fn wants(&self, m: &Message) -> bool {
        if self.paused || self.disabled_at.is_some() {
            return false;
        }
        // A saved search's subscription gets its matches only; its matches go nowhere else.
        if self.saved_search.is_some() || m.saved_search.is_some() {
            return self.saved_search == m.saved_search && m.event_type == "search.matched";
        }
        if !self.event_types.is_empty() && !self.event_types.iter().any(|t| t == m.event_type) {
            return false;
        }
        if let Some(k) = m.kind
            && !self.kinds.is_empty()
            && !self.kinds.iter().any(|x| x == k.as_str())
        {
            return false;
        }
        if let Some(seg) = &self.segment
            && m.account.segment.as_deref() != Some(seg.as_str())
        {
            return false;
        }
        if let Some(min) = self.min_readiness
            && m.account.score.unwrap_or(0) < min
        {
            return false;
        }
        if !self.bands.is_empty()
            && !m
                .account
                .band
                .as_ref()
                .is_some_and(|b| self.bands.iter().any(|x| x == b))
        {
            return false;
        }
        true
    }
}

/// One message in the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub msg_id: String,
    pub webhook_id: i64,
    pub event_type: String,
    pub order_key: String,
    /// The generic JSON event.
    pub payload: String,
    pub created_ms: i64,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub delivered_ms: Option<i64>,
}

/// What one delivery attempt ended in.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Delivered,
    /// Try again at this time (ms).
    Retry {
        at_ms: i64,
    },
    /// No more tries.
    Dead,
    /// The endpoint answered 410 Gone: the subscription is disabled, the message waits.
    Disable,
}

/// The record of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub outbox_id: i64,
    pub webhook_id: i64,
    pub attempt: i64,
    pub at_ms: i64,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
    pub verdict: Verdict,
}

/// One line of a subscription's delivery log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryLog {
    pub msg_id: String,
    pub event_type: String,
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub outcome: String,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// Counts of a subscription's messages by status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
}

fn ms(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t).unwrap_or_default()
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn subscription_from_row(r: &sqlx::any::AnyRow) -> Result<Subscription, StoreError> {
    let list = |c: &str| super::json_vec(r.get::<&str, _>(c), "webhook filters");
    Ok(Subscription {
        id: r.get("id"),
        url: r.get("url"),
        format: r.get("format"),
        event_types: list("event_types")?,
        kinds: list("kinds")?,
        bands: list("bands")?,
        min_readiness: r.get("min_readiness"),
        segment: r.get("segment"),
        saved_search: r.get("saved_search"),
        options: serde_json::from_str(r.get::<&str, _>("options")).map_err(|e| {
            StoreError::Corrupt {
                what: "webhook options",
                message: e.to_string(),
            }
        })?,
        secret: r.get("secret"),
        old_secret: r.get("old_secret"),
        old_secret_until: r
            .get::<Option<i64>, _>("old_secret_until")
            .map(super::documents::ts),
        paused: r.get::<i64, _>("paused") != 0,
        disabled_at: r
            .get::<Option<i64>, _>("disabled_at")
            .map(super::documents::ts),
        disabled_reason: r.get("disabled_reason"),
        created_at: super::documents::ts(r.get("created_at")),
    })
}

fn outbox_from_row(r: &sqlx::any::AnyRow) -> OutboxRow {
    OutboxRow {
        id: r.get("id"),
        msg_id: r.get("msg_id"),
        webhook_id: r.get("webhook_id"),
        event_type: r.get("event_type"),
        order_key: r.get("order_key"),
        payload: r.get("payload"),
        created_ms: r.get("created_ms"),
        status: r.get("status"),
        attempts: r.get("attempts"),
        next_attempt_ms: r.get("next_attempt_ms"),
        last_error: r.get("last_error"),
        delivered_ms: r.get("delivered_ms"),
    }
}

/// A new message id: `msg_` and 16 random bytes in hex.
pub fn new_msg_id() -> Result<String, StoreError> {
    let b = crate::deliver::sign::random_bytes(16).map_err(|e| StoreError::Corrupt {
        what: "message id",
        message: e.to_string(),
    })?;
    Ok(format!(
        "msg_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// The active subscriptions, read inside a transaction that may enqueue messages.
pub(crate) async fn active_in(
    tx: &mut Transaction<'_, Any>,
) -> Result<Vec<Subscription>, StoreError> {
    let rows = sqlx::query("SELECT * FROM webhooks WHERE paused = 0 AND disabled_at IS NULL")
        .fetch_all(&mut **tx)
        .await
        .map_err(q("reading webhook subscriptions"))?;
    rows.iter().map(subscription_from_row).collect()
}

/// The account as messages describe it, with its current score, read inside a transaction.
pub(crate) async fn message_account(
    tx: &mut Transaction<'_, Any>,
    account_id: i64,
) -> Result<Option<MessageAccount>, StoreError> {
    let row = sqlx::query(
        "SELECT a.id, a.crm_id, a.crm, a.name, a.domain, a.segment, a.owner, r.score, r.band \
         FROM accounts a LEFT JOIN readiness r ON r.account_id = a.id WHERE a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(q("reading an account for a webhook"))?;
    Ok(row.map(|r| MessageAccount {
        id: r.get("id"),
        crm_id: r.get("crm_id"),
        crm: r.get::<Option<String>, _>("crm").unwrap_or_default(),
        name: r.get("name"),
        domain: r
            .get::<Option<String>, _>("domain")
            .and_then(|d| d.split([',', ' ']).next().map(str::to_string))
            .filter(|d| !d.is_empty()),
        segment: r.get("segment"),
        owner: r.get("owner"),
        score: r.get("score"),
        band: r.get("band"),
    }))
}

/// Enqueues `m` for every subscription in `subs` that wants it; returns how many messages.
pub(crate) async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    subs: &[Subscription],
    m: &Message,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for s in subs.iter().filter(|s| s.wants(m)) {
        let msg_id = new_msg_id()?;
        let payload = serde_json::json!({
            "id": msg_id,
            "type": m.event_type,
            "timestamp": ms(now_ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": m.data,
        });
        sqlx::query(
            "INSERT INTO outbox (msg_id, webhook_id, event_type, order_key, payload, created_ms, next_attempt_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&msg_id)
        .bind(s.id)
        .bind(m.event_type)
        .bind(m.order_key())
        .bind(payload.to_string())
        .bind(now_ms)
        .execute(&mut **tx)
        .await
        .map_err(q("enqueueing a webhook message"))?;
        n += 1;
    }
    Ok(n)
}

impl super::Store {
    /// Creates a subscription with its (given or generated) secret.
    pub async fn add_webhook(
        &self,
        s: &NewSubscription,
        secret: &str,
    ) -> Result<Subscription, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (url, format, event_types, kinds, bands, min_readiness, segment, options, secret, created_at, saved_search) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(&s.url)
        .bind(&s.format)
        .bind(json_list(&s.event_types))
        .bind(json_list(&s.kinds))
        .bind(json_list(&s.bands))
        .bind(s.min_readiness)
        .bind(&s.segment)
        .bind(
            s.options
                .clone()
                .unwrap_or_else(|| serde_json::json!({}))
                .to_string(),
        )
        .bind(secret)
        .bind(Utc::now().timestamp())
        .bind(s.saved_search)
        .fetch_one(&self.pool)
        .await
        .map_err(q("adding a webhook"))?;
        self.webhook(id).await?.ok_or(StoreError::Corrupt {
            what: "webhook",
            message: "the new subscription could not be read back".into(),
        })
    }

    /// One subscription.
    pub async fn webhook(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query("SELECT * FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("reading a webhook"))?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    /// Every subscription.
    pub async fn webhooks(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query("SELECT * FROM webhooks ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading webhooks"))?;
        rows.iter().map(subscription_from_row).collect()
    }

    /// Pauses or resumes a subscription (resuming also clears a 410's disabling).
    pub async fn set_webhook_paused(&self, id: i64, paused: bool) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE webhooks SET paused = $2, \
             disabled_at = CASE WHEN $2 THEN disabled_at ELSE NULL END, \
             disabled_reason = CASE WHEN $2 THEN disabled_reason ELSE NULL END WHERE id = $1",
        )
        .bind(id)
        .bind(paused)
        .execute(&self.pool)
        .await
        .map_err(q("pausing a webhook"))?;
        Ok(r.rows_affected() > 0)
    }

    /// Deletes a subscription with its messages and log.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to delete a webhook"))?;
        sqlx::query("DELETE FROM deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(q("deleting a webhook's log"))?;
        let r = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(q("deleting a webhook"))?;
        tx.commit().await.map_err(q("committing a deletion"))?;
        Ok(r.rows_affected() > 0)
    }

    /// Replaces the secret; the old one stays valid (signed too) until `grace_until`.
    pub async fn rotate_webhook_secret(
        &self,
        id: i64,
        secret: &str,
        grace_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE webhooks SET old_secret = secret, old_secret_until = $3, secret = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(secret)
        .bind(grace_until.timestamp())
        .execute(&self.pool)
        .await
        .map_err(q("rotating a webhook secret"))?;
        Ok(r.rows_affected() > 0)
    }

    /// Enqueues messages outside any other change (tests, the bench, `webhooks test`).
    pub async fn enqueue_messages(
        &self,
        msgs: &[Message],
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to enqueue messages"))?;
        let subs = active_in(&mut tx).await?;
        let mut n = 0;
        for m in msgs {
            n += enqueue(&mut tx, &subs, m, now_ms).await?;
        }
        tx.commit().await.map_err(q("committing messages"))?;
        Ok(n)
    }

    /// The account as messages describe it (with its current score).
    pub async fn message_account(&self, id: i64) -> Result<Option<MessageAccount>, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(q("starting to read an account"))?;
        let a = message_account(&mut tx, id).await?;
        tx.commit().await.map_err(q("reading an account"))?;
        Ok(a)
    }

    /// Leases up to `limit` messages due at `now_ms`: the oldest pending message of each
    /// subscription and account (messages of one account go out in order), of active
    /// subscriptions, not leased by anyone.
    pub async fn lease_outbox(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(dialect::lease_outbox(self.backend))
            .bind(now_ms)
            .bind(owner)
            .bind(until_ms)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(q("leasing webhook messages"))?;
        let mut out: Vec<OutboxRow> = rows.iter().map(outbox_from_row).collect();
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    /// Gives leased messages back untouched (their endpoint was busy).
    pub async fn release_outbox(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut qb = super::sql::Sql::new(
            "UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL WHERE id IN (",
        );
        qb.push_list(ids.iter().copied());
        qb.push(")");
        qb.build()
            .execute(&self.pool)
            .await
            .map_err(q("giving back webhook messages"))?;
        Ok(())
    }

    /// Records attempts in one transaction: the outbox rows move on (delivered, retried later,
    /// dead), a 410 disables its subscription, every attempt goes to the log.
    pub async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        if attempts.is_empty() {
            return Ok(());
        }
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to record deliveries"))?;
        for a in attempts {
            let (status, next, outcome) = match &a.verdict {
                Verdict::Delivered => ("delivered", None, "delivered"),
                Verdict::Retry { at_ms } => ("pending", Some(*at_ms), "retry"),
                Verdict::Dead => ("dead", None, "dead"),
                Verdict::Disable => ("pending", None, "disabled"),
            };
            sqlx::query(
                "UPDATE outbox SET status = $2, attempts = $3, \
                 next_attempt_ms = COALESCE($4, next_attempt_ms), last_error = $5, \
                 delivered_ms = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_ms END, \
                 lease_owner = NULL, lease_until_ms = NULL WHERE id = $1",
            )
            .bind(a.outbox_id)
            .bind(status)
            .bind(a.attempt)
            .bind(next)
            .bind(&a.error)
            .bind(a.at_ms + a.latency_ms)
            .execute(&mut *tx)
            .await
            .map_err(q("recording a delivery"))?;
            if a.verdict == Verdict::Disable {
                sqlx::query(
                    "UPDATE webhooks SET disabled_at = $2, disabled_reason = $3 WHERE id = $1",
                )
                .bind(a.webhook_id)
                .bind(a.at_ms / 1000)
                .bind("the endpoint answered 410 Gone; `webhooks resume ID` turns it back on")
                .execute(&mut *tx)
                .await
                .map_err(q("disabling a webhook"))?;
            }
            sqlx::query(
                "INSERT INTO deliveries (outbox_id, webhook_id, attempt, at_ms, status_code, latency_ms, outcome, error, response_excerpt) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(a.outbox_id)
            .bind(a.webhook_id)
            .bind(a.attempt)
            .bind(a.at_ms)
            .bind(a.status_code.map(i64::from))
            .bind(a.latency_ms)
            .bind(outcome)
            .bind(&a.error)
            .bind(&a.response_excerpt)
            .execute(&mut *tx)
            .await
            .map_err(q("logging a delivery"))?;
        }
        tx.commit().await.map_err(q("committing deliveries"))?;
        Ok(())
    }

    /// A subscription's delivery log, newest first.
    pub async fn delivery_log(
        &self,
        webhook_id: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryLog>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.msg_id, o.event_type, d.attempt, d.at_ms, d.status_code, d.latency_ms, d.outcome, \
             d.error, d.response_excerpt FROM deliveries d JOIN outbox o ON o.id = d.outbox_id \
             WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading a delivery log"))?;
        Ok(rows
            .iter()
            .map(|r| DeliveryLog {
                msg_id: r.get("msg_id"),
                event_type: r.get("event_type"),
                attempt: r.get("attempt"),
                at: ms(r.get("at_ms")),
                status_code: r.get("status_code"),
                latency_ms: r.get("latency_ms"),
                outcome: r.get("outcome"),
                error: r.get("error"),
                response_excerpt: r.get("response_excerpt"),
            })
            .collect())
    }

    /// Messages of a subscription (all with `None`), oldest first.
    pub async fn outbox(&self, webhook_id: Option<i64>) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = match webhook_id {
            Some(w) => {
                sqlx::query("SELECT * FROM outbox WHERE webhook_id = $1 ORDER BY id")
                    .bind(w)
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query("SELECT * FROM outbox ORDER BY id")
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(q("reading the outbox"))?;
        Ok(rows.iter().map(outbox_from_row).collect())
    }

    /// Counts of a subscription's messages by status.
    pub async fn outbox_counts(&self, webhook_id: i64) -> Result<OutboxCounts, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM outbox WHERE webhook_id = $1 GROUP BY status",
        )
        .bind(webhook_id)
        .fetch_all(&self.pool)
        .await
        .map_err(q("counting webhook messages"))?;
        let mut c = OutboxCounts::default();
        for (s, n) in rows {
            match s.as_str() {
                "pending" => c.pending = n,
                "delivered" => c.delivered = n,
                _ => c.dead += n,
            }
        }
        Ok(c)
    }

    /// Puts messages back in the queue, due now: one by id, or every dead one (of one
    /// subscription, or all). Returns how many.
    pub async fn redeliver(
        &self,
        msg_id: Option<&str>,
        dead_of: Option<Option<i64>>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let r = match (msg_id, dead_of) {
            (Some(id), _) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = $2, \
                     lease_owner = NULL, lease_until_ms = NULL WHERE msg_id = $1",
                )
                .bind(id)
                .bind(now_ms)
                .execute(&self.pool)
                .await
            }
            (None, Some(Some(w))) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = $2 \
                     WHERE status = 'dead' AND webhook_id = $1",
                )
                .bind(w)
                .bind(now_ms)
                .execute(&self.pool)
                .await
            }
            (None, Some(None)) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = $1 \
                     WHERE status = 'dead'",
                )
                .bind(now_ms)
                .execute(&self.pool)
                .await
            }
            (None, None) => return Ok(0),
        }
        .map_err(q("re-queueing messages"))?;
        Ok(r.rows_affected())
    }

    /// Stores an API token's hash under a name; returns its id.
    pub async fn add_token(&self, name: &str, hash: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO api_tokens (name, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(hash)
        .bind(Utc::now().timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(q("adding an API token"))
    }

    /// The name of the live token with this hash (and marks it used).
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING name",
        )
        .bind(hash)
        .bind(Utc::now().timestamp())
        .fetch_optional(&self.pool)
        .await
        .map_err(q("checking an API token"))
    }

    /// Every token: (id, name, created, last used, revoked).
    pub async fn tokens(
        &self,
    ) -> Result<Vec<(i64, String, i64, Option<i64>, Option<i64>)>, StoreError> {
        sqlx::query_as(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(q("listing API tokens"))
    }

    /// Revokes a token.
    pub async fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(Utc::now().timestamp())
        .execute(&self.pool)
        .await
        .map_err(q("revoking an API token"))?;
        Ok(r.rows_affected() > 0)
    }
}
