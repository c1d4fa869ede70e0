//! Several `serve --role worker` processes share one database (PostgreSQL with
//! `TRIGGER_RADAR_TEST_PG`, else one SQLite file): every source is crawled once per due time by
//! one of them, no document or event is stored twice, and the sources a killed worker had
//! leased are finished by the others once its leases expire.

mod common;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use trigger_radar::App;

const SOURCES: usize = 300;
const WORKERS: usize = 3;

type Hits = Arc<Mutex<HashMap<String, usize>>>;

/// (webhook-id, message number) as received.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Feeds `/f/{name}`: two items each, one of them a new factory; every fetch is counted.
async fn feeds(hits: Hits) -> String {
    let app = Router::new().route(
        "/f/{name}",
        get(move |Path(name): Path<String>| {
            let hits = hits.clone();
            async move {
                *hits.lock().unwrap().entry(name.clone()).or_default() += 1;
                // Slow enough that a killed worker dies holding leases.
                tokio::time::sleep(Duration::from_millis(40)).await;
                format!(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>\
                     <item><title>{name} plant</title><link>https://news.test/{name}/plant</link>\
                     <pubDate>Tue, 10 Nov 2026 09:00:00 +0000</pubDate>\
                     <description>Company {name} Ltd opened a new factory in Ohio.</description></item>\
                     <item><title>{name} weather</title><link>https://news.test/{name}/weather</link>\
                     <description>It rained in {name} on Tuesday.</description></item>\
                     </channel></rss>"
                )
            }
        }),
    );
    common::serve(app).await
}

fn worker(home: &std::path::Path, shared: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_trigger-radar"))
        .envs(common::db_env(shared))
        .arg("--data")
        .arg(home)
        .args(["--log", "info", "serve", "--role", "worker", "--tick", "1"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(home.join("stderr.log")).unwrap())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_sources_and_survive_a_kill() {
    let hits: Hits = Arc::default();
    let base = feeds(hits.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources");
    std::fs::create_dir_all(&sources).unwrap();
    for i in 0..SOURCES {
        std::fs::write(
            sources.join(format!("s{i:03}.toml")),
            format!(
                "name = \"s{i:03}\"\nkind = \"feed\"\nurl = \"{base}/f/s{i:03}\"\n\
                 interval_minutes = 1440\njitter_seconds = 0\n"
            ),
        )
        .unwrap();
    }
    // The database every process shares (the SQLite file, or the PostgreSQL schema of this
    // folder); each worker has a home of its own for its logs.
    let shared = dir.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let mut cfg = common::config(&shared);
    cfg.sources_dirs = vec![sources.clone()];
    let observer = App::open(cfg.clone()).await.unwrap();
    let toml = format!(
        "database_url = \"{}\"\nsources_dirs = [\"{}\"]\n\
         [crawl]\nlease_seconds = 3\nparallel_sources = 4\n\
         [fetch]\nmin_host_delay_ms = 0\n[deliver]\nenabled = false\n",
        shared.join("radar.db").display(),
        sources.display()
    );
    let mut children = Vec::new();
    for w in 0..WORKERS {
        let home = dir.path().join(format!("w{w}"));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("radar.toml"), &toml).unwrap();
        children.push(worker(&home, &shared));
    }

    // Kill the first worker mid-run, while it holds leases.
    let start = Instant::now();
    let fetched = || hits.lock().unwrap().values().sum::<usize>();
    while fetched() < 60 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "workers did not start crawling: {}",
            std::fs::read_to_string(dir.path().join("w0/stderr.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let victim = children[0].id();
    children[0].kill().unwrap();
    children[0].wait().unwrap();
    let tag = format!(":{victim}:");
    let orphaned: HashSet<String> = observer
        .store
        .source_health()
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.lease_owner.as_deref().is_some_and(|o| o.contains(&tag)))
        .map(|h| h.name)
        .collect();
    assert!(!orphaned.is_empty(), "the killed worker held no lease");

    // The others finish everything, the orphans after their leases expire.
    loop {
        let health = observer.store.source_health().await.unwrap();
        let ok = health
            .iter()
            .filter(|h| h.last_status.as_deref() == Some("ok"))
            .count();
        if ok == SOURCES {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "only {ok} of {SOURCES} sources crawled: {}",
            std::fs::read_to_string(dir.path().join("w1/stderr.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more ticks: nothing is due again, nothing is fetched again.
    let settled = fetched();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fetched(), settled, "a source was crawled before it was due");
    for c in children.iter_mut().skip(1) {
        c.kill().unwrap();
        c.wait().unwrap();
    }

    for w in 1..WORKERS {
        let log = std::fs::read_to_string(dir.path().join(format!("w{w}/stderr.log"))).unwrap();
        assert!(
            log.matches("source crawled").count() > 10,
            "worker {w} took its share: {log}"
        );
    }
    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits.len(), SOURCES);
    for (name, n) in &hits {
        if orphaned.contains(name) {
            assert!(*n <= 2, "{name} fetched {n} times");
        } else {
            assert_eq!(*n, 1, "{name} crawled once per due time");
        }
    }
    let health = observer.store.source_health().await.unwrap();
    for h in health.iter().filter(|h| orphaned.contains(&h.name)) {
        assert_eq!(h.items_seen, 2, "{} finished by another worker", h.name);
        assert!(h.lease_owner.is_none(), "{:?}", h.lease_owner);
    }
    let stats = observer.store.stats().await.unwrap();
    assert_eq!(stats.documents, 2 * SOURCES as i64, "no document twice");
    assert_eq!(stats.events, SOURCES as i64, "no event twice");

    // The index (kept by none of the workers) catches up from the change log.
    observer.catch_up_index().await.unwrap();
    assert_eq!(observer.index.len(), SOURCES as u64);
    observer.close_indexer().unwrap();
}

/// Webhook deliveries are leased like sources: three delivery workers on one outbox send every
/// message once, each account's messages in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_delivery_workers_send_each_message_once() {
    use axum::extract::State;
    use axum::http::HeaderMap;
    use trigger_radar::model::TriggerKind;
    use trigger_radar::store::webhooks::{Message, NewSubscription};
    const MESSAGES: usize = 300;
    let seen: Seen = Arc::default();
    let receiver = Router::new()
        .fallback(
            |State(seen): State<Seen>, h: HeaderMap, body: String| async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let id = h
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let n = v["data"]["event"]["n"].to_string();
                seen.lock().unwrap().push((id, n));
                "ok"
            },
        )
        .with_state(seen.clone());
    let base = common::serve(receiver).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let open = |i: usize| {
        let mut cfg = common::config(&data);
        cfg.index_dir = dir.path().join(format!("index-{i}"));
        cfg.deliver.allow_private = vec!["127.0.0.1".into()];
        cfg.deliver.poll_ms = 20;
        App::open(cfg)
    };
    let first = open(0).await.unwrap();
    let mut csv = String::from("crm_id,name\n");
    for i in 0..30 {
        csv.push_str(&format!("c{i},Account Number {i} Ltd\n"));
    }
    std::fs::write(dir.path().join("a.csv"), csv).unwrap();
    first
        .import_accounts(&dir.path().join("a.csv"))
        .await
        .unwrap();
    first
        .add_webhook(NewSubscription {
            url: format!("{base}/hook"),
            format: "generic".into(),
            ..NewSubscription::default()
        })
        .await
        .unwrap();
    let mut msgs = Vec::new();
    for n in 0..MESSAGES {
        let a = first
            .store
            .account_by_crm_id(&format!("c{}", n % 30))
            .await
            .unwrap()
            .unwrap();
        let account = first.store.message_account(a.id).await.unwrap().unwrap();
        msgs.push(Message {
            saved_search: None,
            event_type: "trigger.detected",
            kind: Some(TriggerKind::Funding),
            data: serde_json::json!({"account": account, "event": {"n": n}}),
            account,
        });
    }
    let now = chrono::Utc::now().timestamp_millis();
    first.store.enqueue_messages(&msgs, now).await.unwrap();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut apps = vec![first];
    for i in 1..3 {
        apps.push(open(i).await.unwrap());
    }
    let mut tasks = Vec::new();
    for app in &apps {
        tasks.push(tokio::spawn(app.deliverer().unwrap().run(stopped.clone())));
    }
    let start = Instant::now();
    while seen.lock().unwrap().len() < MESSAGES {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "deliveries stalled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    let ids: HashSet<&String> = seen.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), MESSAGES);
    assert_eq!(seen.len(), MESSAGES, "no message sent twice");
    // Per account (n % 30), the numbers arrive in increasing order.
    let mut last: HashMap<usize, usize> = HashMap::new();
    for (_, n) in &seen {
        let n: usize = n.parse().unwrap();
        if let Some(prev) = last.insert(n % 30, n) {
            assert!(prev < n, "account {}: {prev} after {n}", n % 30);
        }
    }
    let delivered = apps[0].store.outbox(None).await.unwrap();
    assert!(delivered.iter().all(|r| r.status == "delivered"));
}
