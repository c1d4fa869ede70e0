//! Webhook delivery from the durable outbox: messages are leased (so several processes deliver
//! without sending one twice beyond the at-least-once contract), shaped for their CRM, signed
//! (Standard Webhooks), sent with a per-endpoint limit so a slow endpoint does not hold up the
//! others, and recorded. Failures are retried on [`RETRY_SCHEDULE`] with jitter for about three
//! days, `Retry-After` honoured; 410 disables the subscription; then the message is dead until
//! `webhooks redeliver`.

pub mod adapters;
mod alerts;
pub mod events;
pub mod manage;
pub mod sign;
pub mod ssrf;

use crate::config::DeliverConfig;
use crate::store::webhooks::{Attempt, OutboxRow, Subscription, Verdict};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Waits after the 1st, 2nd, … failed attempt: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h,
/// 4 h, 8 h, 12 h, 24 h, 24 h — 13 attempts over about 3.2 days — each ±10% at random.
pub const RETRY_SCHEDULE: &[u64] = &[
    5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200, 86_400, 86_400,
];

/// Messages leased at once by the continuous worker.
const LEASE_BATCH: usize = 512;

/// Longest response excerpt kept in the delivery log.
const EXCERPT: usize = 300;

/// Bitrix24 allows 2 requests per second per portal.
const BITRIX_PACE: Duration = Duration::from_millis(500);

/// After `QUERY_LIMIT_EXCEEDED` Bitrix24 wants a pause; this much at least.
const BITRIX_BACKOFF_MS: i64 = 2_000;

/// Why delivery could not run.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(String),
}

/// The time delivery runs on: the wall clock, or a test's.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock.
pub fn wall_clock() -> Clock {
    Arc::new(Utc::now)
}

/// When attempt `attempts + 1` is due after a failure at `now_ms`; `None` when the schedule is
/// used up. `salt` varies the jitter between messages.
pub fn next_attempt(attempts: i64, now_ms: i64, salt: u64) -> Option<i64> {
    let base = *RETRY_SCHEDULE.get(usize::try_from(attempts - 1).ok()?)? as i64 * 1000;
    let mut x = salt ^ (now_ms as u64).rotate_left(17) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // ±10%.
    let jitter = (x % 2001) as i64 - 1000;
    Some(now_ms + base + base * jitter / 10_000)
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct PassReport {
    pub attempted: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub dead: usize,
    pub disabled: usize,
    /// Leased but given back: the endpoint was at its limit.
    pub deferred: usize,
}

struct Endpoint {
    slots: Arc<Semaphore>,
    /// Earliest start of the next request (paced endpoints).
    next_at: Arc<tokio::sync::Mutex<Instant>>,
    paced: bool,
}

/// Delivers the outbox.
pub struct Deliverer {
    store: Store,
    client: reqwest::Client,
    cfg: DeliverConfig,
    owner: String,
    clock: Clock,
    endpoints: Mutex<HashMap<i64, Arc<Endpoint>>>,
    global: Arc<Semaphore>,
    /// Woken when messages were enqueued in this process.
    pub wake: Arc<tokio::sync::Notify>,
}

impl Deliverer {
    /// A deliverer over `store`, named `owner` in leases, on `clock`.
    pub fn new(
        store: Store,
        cfg: &DeliverConfig,
        user_agent: &str,
        owner: &str,
        clock: Clock,
    ) -> Result<Deliverer, DeliverError> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(cfg.timeout_secs.clamp(1, 10)))
            // A redirect could lead past the SSRF guard's URL check; receivers answer directly.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(ssrf::Guard::new(&cfg.allow_private)))
            .pool_max_idle_per_host(cfg.per_endpoint.max(1))
            .build()
            .map_err(|e| DeliverError::Client(e.to_string()))?;
        Ok(Deliverer {
            store,
            client,
            cfg: cfg.clone(),
            owner: owner.to_string(),
            clock,
            endpoints: Mutex::new(HashMap::new()),
            global: Arc::new(Semaphore::new(cfg.concurrency.max(1))),
            wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    fn now_ms(&self) -> i64 {
        (self.clock)().timestamp_millis()
    }

    fn endpoint(&self, sub: &Subscription) -> Arc<Endpoint> {
        let mut map = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(sub.id)
            .or_insert_with(|| {
                let paced = sub.format == "bitrix24";
                Arc::new(Endpoint {
                    slots: Arc::new(Semaphore::new(if paced {
                        1
                    } else {
                        self.cfg.per_endpoint.max(1)
                    })),
                    next_at: Arc::new(tokio::sync::Mutex::new(Instant::now())),
                    paced,
                })
            })
            .clone()
    }

    /// One pass: leases every due message (up to `limit`), sends them (endpoint limits
    /// respected), records the results. Tests drive it with their own clock.
    pub async fn deliver_due(&self, limit: usize) -> Result<PassReport, DeliverError> {
        let now = self.now_ms();
        let rows = self
            .store
            .lease_outbox(
                &self.owner,
                now,
                now + self.cfg.lease_seconds.max(1) * 1000,
                limit,
            )
            .await?;
        let subs = self.subscriptions().await?;
        let sends = rows.into_iter().filter_map(|row| {
            let sub = subs.get(&row.webhook_id)?.clone();
            Some(async move {
                let ep = self.endpoint(&sub);
                let _slot = ep.slots.clone().acquire_owned().await.ok();
                self.send(&sub, &ep, row).await
            })
        });
        let attempts: Vec<Attempt> = futures_util::future::join_all(sends).await;
        let report = tally(&attempts, 0);
        self.store.record_attempts(&attempts).await?;
        Ok(report)
    }

    async fn subscriptions(&self) -> Result<HashMap<i64, Subscription>, DeliverError> {
        Ok(self
            .store
            .webhooks()
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect())
    }

    /// Delivers continuously until `shutdown` flips: leases as slots free up, sends each message
    /// on its own task (a slow endpoint holds only its own slots), records results in batches.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Attempt>();
        let writer = {
            let me = self.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while let Some(a) = rx.recv().await {
                    buf.push(a);
                    // Whatever else finished meanwhile goes into the same transaction.
                    while buf.len() < 1_000
                        && let Ok(a) = rx.try_recv()
                    {
                        buf.push(a);
                    }
                    if let Err(e) = me.store.record_attempts(&buf).await {
                        tracing::error!(error = %e, messages = buf.len(), "recording deliveries failed; their leases expire and they are sent again");
                    }
                    buf.clear();
                }
            })
        };
        let poll = Duration::from_millis(self.cfg.poll_ms.max(1));
        let mut subs: HashMap<i64, Subscription> = HashMap::new();
        let mut subs_at = Instant::now() - Duration::from_secs(3600);
        // Leased messages waiting for a slot: leasing in batches keeps the database's work per
        // message small.
        let mut queue: std::collections::VecDeque<OutboxRow> = Default::default();
        let mut busy: Vec<i64> = Vec::new();
        let mut started = 0usize;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if queue.is_empty() {
                // Everything leased last time waits for a busy endpoint: do not spin.
                if started == 0 && !busy.is_empty() {
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                started = 0;
                if !busy.is_empty() {
                    if let Err(e) = self.store.release_outbox(&busy).await {
                        tracing::warn!(error = %e, "giving back messages failed; their leases expire");
                    }
                    busy.clear();
                }
                if subs_at.elapsed() > Duration::from_secs(2) {
                    match self.subscriptions().await {
                        Ok(s) => {
                            subs = s;
                            subs_at = Instant::now();
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "reading webhook subscriptions failed")
                        }
                    }
                }
                let now = self.now_ms();
                let until = now + self.cfg.lease_seconds.max(1) * 1000;
                match self
                    .store
                    .lease_outbox(
                        &self.owner,
                        now,
                        until,
                        LEASE_BATCH.max(self.cfg.concurrency),
                    )
                    .await
                {
                    Ok(rows) => queue.extend(rows),
                    Err(e) => tracing::error!(error = %e, "leasing webhook messages failed"),
                }
                if queue.is_empty() {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            }
            let global = tokio::select! {
                p = self.global.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = shutdown.changed() => continue,
            };
            let Some(row) = queue.pop_front() else {
                continue;
            };
            let Some(sub) = subs.get(&row.webhook_id).cloned() else {
                busy.push(row.id);
                continue;
            };
            let ep = self.endpoint(&sub);
            let Ok(slot) = ep.slots.clone().try_acquire_owned() else {
                // Its endpoint is at its limit: the others go on, this one waits its turn.
                busy.push(row.id);
                continue;
            };
            let (me, tx) = (self.clone(), tx.clone());
            started += 1;
            tokio::spawn(async move {
                let a = me.send(&sub, &ep, row).await;
                drop((slot, global));
                let _ = tx.send(a);
            });
        }
        if let Err(e) = self.store.release_outbox(&busy).await {
            tracing::warn!(error = %e, "giving back messages failed; their leases expire");
        }
        let left: Vec<i64> = queue.iter().map(|r| r.id).collect();
        if let Err(e) = self.store.release_outbox(&left).await {
            tracing::warn!(error = %e, "giving back messages failed; their leases expire");
        }
        drop(tx);
        let _ = writer.await;
    }

    /// Sends one message and judges the answer.
    async fn send(&self, sub: &Subscription, ep: &Endpoint, row: OutboxRow) -> Attempt {
        let attempt = row.attempts + 1;
        let salt = row.id as u64;
        let mut a = Attempt {
            outbox_id: row.id,
            webhook_id: row.webhook_id,
            attempt,
            at_ms: self.now_ms(),
            status_code: None,
            latency_ms: 0,
            error: None,
            response_excerpt: None,
            verdict: Verdict::Dead,
        };
        let retry = |a: &Attempt, at_least_ms: i64| match next_attempt(attempt, a.at_ms, salt) {
            Some(t) => Verdict::Retry {
                at_ms: t.max(a.at_ms + at_least_ms),
            },
            None => Verdict::Dead,
        };
        let out = match adapters::shape(sub, &row.payload) {
            Ok(o) => o,
            Err(e) => {
                // A message that cannot be shaped will not shape later either.
                a.error = Some(e.to_string());
                a.verdict = Verdict::Dead;
                return a;
            }
        };
        let keys = signing_keys(sub, (self.clock)());
        let ts = (self.clock)().timestamp();
        let mut req = self
            .client
            .request(out.method.clone(), &out.url)
            .header("content-type", "application/json")
            .header("webhook-id", &row.msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                sign::header(&keys, &row.msg_id, ts, &out.body),
            )
            .body(out.body);
        if let Some(var) = sub.options.get("token_env").and_then(|v| v.as_str())
            && let Ok(token) = std::env::var(var)
        {
            req = req.bearer_auth(token.trim());
        }
        if ep.paced {
            let mut next = ep.next_at.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep(*next - now).await;
            }
            *next = Instant::now() + BITRIX_PACE;
        }
        let t = Instant::now();
        let resp = req.send().await;
        match resp {
            Err(e) => {
                a.latency_ms = t.elapsed().as_millis() as i64;
                a.error = Some(describe(&e));
                a.verdict = retry(&a, 0);
            }
            Ok(r) => {
                let status = r.status();
                a.status_code = Some(status.as_u16());
                let wait = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| crate::fetch::polite::parse_retry_after(v, (self.clock)()))
                    .map(|d| d.as_millis() as i64);
                let body = r.text().await.unwrap_or_default();
                a.latency_ms = t.elapsed().as_millis() as i64;
                let excerpt: String = body.chars().take(EXCERPT).collect();
                a.response_excerpt = (!excerpt.is_empty()).then_some(excerpt);
                let limit_hit = body.contains("QUERY_LIMIT_EXCEEDED");
                a.verdict = if status.is_success() {
                    match adapters::body_error(&sub.format, &body) {
                        None => Verdict::Delivered,
                        Some(e) => {
                            a.error = Some(e);
                            retry(&a, if limit_hit { BITRIX_BACKOFF_MS } else { 0 })
                        }
                    }
                } else if status.as_u16() == 410 {
                    a.error = Some("410 Gone: the endpoint is gone".into());
                    Verdict::Disable
                } else {
                    a.error = Some(format!("HTTP {}", status.as_u16()));
                    let floor =
                        wait.unwrap_or(0)
                            .max(if limit_hit { BITRIX_BACKOFF_MS } else { 0 });
                    retry(&a, floor)
                };
            }
        }
        a
    }
}

/// The keys to sign with: the secret, and the old one during its grace period.
fn signing_keys(sub: &Subscription, now: DateTime<Utc>) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    if let Ok(k) = sign::key_bytes(&sub.secret) {
        keys.push(k);
    }
    if let (Some(old), Some(until)) = (&sub.old_secret, sub.old_secret_until)
        && now < until
        && let Ok(k) = sign::key_bytes(old)
    {
        keys.push(k);
    }
    keys
}

/// A transport error in words (reqwest's Display hides the cause).
fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

fn tally(attempts: &[Attempt], deferred: usize) -> PassReport {
    let mut r = PassReport {
        attempted: attempts.len(),
        deferred,
        ..PassReport::default()
    };
    for a in attempts {
        match a.verdict {
            Verdict::Delivered => r.delivered += 1,
            Verdict::Retry { .. } => r.retrying += 1,
            Verdict::Dead => r.dead += 1,
            Verdict::Disable => r.disabled += 1,
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spans_about_three_days_with_jitter() {
        let total: u64 = RETRY_SCHEDULE.iter().sum();
        assert!((3 * 86_400..4 * 86_400).contains(&total), "{total}");
        let t = next_attempt(1, 0, 1).unwrap();
        assert!((4_500..=5_500).contains(&t), "{t}");
        assert_ne!(next_attempt(3, 0, 1), next_attempt(3, 0, 2));
        assert_eq!(next_attempt(RETRY_SCHEDULE.len() as i64 + 1, 0, 1), None);
    }
}
