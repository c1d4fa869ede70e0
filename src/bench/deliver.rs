//! `trigger-radar bench deliver`: webhook delivery from the SQLite outbox to a local receiver.
//! Throughput: N messages already in the outbox, delivered by the continuous worker (leases,
//! signing, HTTP, batched results), in deliveries per second. Latency: messages enqueued at a
//! steady rate (in transactions of 10, as a crawl's batches are) while the worker runs; the time
//! from enqueue to the receiver, p50 and p99.

use crate::app::{App, AppError};
use crate::config::Config;
use crate::store::webhooks::{Message, MessageAccount, NewSubscription};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Result of the delivery bench.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliverReport {
    pub messages: usize,
    pub seconds: f64,
    pub per_second: f64,
    pub rate: usize,
    pub latency_messages: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl DeliverReport {
    /// A table for the terminal and the notes.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "deliver: {} messages from the SQLite outbox to a local receiver in {:.2} s → {:.0} deliveries/s (target ≥ 5,000)",
            self.messages, self.seconds, self.per_second
        );
        let _ = writeln!(
            s,
            "latency at {} events/s ({} messages): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (target p99 ≤ 500 ms)",
            self.rate, self.latency_messages, self.p50_ms, self.p99_ms, self.max_ms
        );
        s
    }
}

fn account(i: usize) -> MessageAccount {
    MessageAccount {
        id: i as i64 + 1,
        crm_id: format!("{}", 100_000 + i),
        crm: "generic".into(),
        name: format!("Bench Account {i}"),
        domain: None,
        segment: None,
        owner: None,
        score: Some(50),
        band: Some("warm".into()),
    }
}

fn message(i: usize, accounts: usize) -> Message {
    let a = account(i % accounts);
    Message {
        saved_search: None,
        event_type: "trigger.detected",
        kind: Some(crate::model::TriggerKind::Funding),
        data: serde_json::json!({"account": a, "event": {"kind": "funding", "n": i,
            "evidence": "Bench Account raised $10 million in a Series A round."}}),
        account: a,
    }
}

/// Runs the bench in `dir`.
pub async fn run(
    dir: &std::path::Path,
    messages: usize,
    rate: usize,
    seconds: u64,
) -> Result<DeliverReport, AppError> {
    // The receiver: records when each message arrived and when it was enqueued.
    let arrivals: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
    let rec = arrivals.clone();
    let receiver = axum::Router::new().fallback(move |body: axum::body::Bytes| {
        let rec = rec.clone();
        async move {
            let now = chrono::Utc::now().timestamp_millis();
            let created = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["timestamp"].as_str().map(str::to_string))
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.timestamp_millis())
                .unwrap_or(now);
            rec.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((created, now));
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|source| AppError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| AppError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });

    let mut cfg = Config::for_data_dir(&dir.join("data"));
    cfg.sources_dirs = vec![dir.join("sources")];
    cfg.deliver.allow_private = vec!["127.0.0.1".into()];
    // One local endpoint stands for many real ones: let it take the whole pool.
    cfg.deliver.per_endpoint = cfg.deliver.concurrency;
    let app = App::open(cfg).await?;
    app.add_webhook(NewSubscription {
        url: format!("http://{addr}/hook"),
        format: "generic".into(),
        ..NewSubscription::default()
    })
    .await?;
    let accounts = 5_000;
    let now = chrono::Utc::now().timestamp_millis();
    for chunk in (0..messages).collect::<Vec<_>>().chunks(1_000) {
        let msgs: Vec<Message> = chunk.iter().map(|i| message(*i, accounts)).collect();
        app.store.enqueue_messages(&msgs, now).await?;
    }
    let d = app.deliverer()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let worker = tokio::spawn(d.clone().run(stop_rx));
    while arrivals.lock().unwrap_or_else(|p| p.into_inner()).len() < messages {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if t.elapsed() > Duration::from_secs(600) {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    arrivals.lock().unwrap_or_else(|p| p.into_inner()).clear();

    // Latency: `rate` messages a second for `seconds`, in batches of 10.
    let total = rate * seconds as usize;
    let every = Duration::from_secs_f64(10.0 / rate.max(1) as f64);
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        let due = start + every * (sent / 10) as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let msgs: Vec<Message> = (sent..(sent + 10).min(total))
            .map(|i| message(messages + i, accounts))
            .collect();
        sent += msgs.len();
        app.store
            .enqueue_messages(&msgs, chrono::Utc::now().timestamp_millis())
            .await?;
        d.wake.notify_one();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().unwrap_or_else(|p| p.into_inner()).len() < total
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop_tx.send(true);
    let _ = worker.await;
    let mut lat: Vec<f64> = arrivals
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(c, a)| (a - c) as f64)
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(DeliverReport {
        messages,
        seconds: secs,
        per_second: messages as f64 / secs.max(1e-9),
        rate,
        latency_messages: lat.len(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: lat.last().copied().unwrap_or(f64::NAN),
    })
}
