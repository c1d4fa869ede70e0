//! Sources are leased before a crawl: two processes on one database crawl disjoint sources, a
//! lease held by a live process keeps others off, an expired one (its holder died) is taken.

mod common;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use trigger_radar::app::AppError;
use trigger_radar::{App, Config};

const FEEDS: usize = 24;

async fn slow_feeds(hits: Arc<Mutex<HashMap<String, usize>>>) -> String {
    let app = Router::new().route(
        "/f/{name}",
        get(move |Path(name): Path<String>| {
            let hits = hits.clone();
            async move {
                *hits.lock().unwrap().entry(name.clone()).or_default() += 1;
                tokio::time::sleep(std::time::Duration::from_millis(60)).await;
                format!(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>\
                     <item><title>{name} news</title><link>https://n.test/{name}</link>\
                     <description>Nothing happened at {name} today.</description></item></channel></rss>"
                )
            }
        }),
    );
    common::serve(app).await
}

fn config(dir: &std::path::Path, index: &str) -> Config {
    let mut cfg = common::config(&dir.join("data"));
    cfg.sources_dirs = vec![dir.join("sources")];
    cfg.fetch.min_host_delay_ms = 0;
    cfg.fetch.max_concurrency = 32;
    cfg.crawl.parallel_sources = 4;
    // One database, an index per process (tantivy has one writer per index).
    cfg.index_dir = dir.join(index);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_the_due_sources_without_overlap() {
    let hits = Arc::new(Mutex::new(HashMap::new()));
    let base = slow_feeds(hits.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..FEEDS {
        std::fs::write(
            src.join(format!("s{i:02}.toml")),
            format!("name = \"s{i:02}\"\nkind = \"feed\"\nurl = \"{base}/f/s{i:02}\"\n"),
        )
        .unwrap();
    }
    let a = App::open(config(dir.path(), "index-a")).await.unwrap();
    let b = App::open(config(dir.path(), "index-b")).await.unwrap();
    assert_ne!(a.worker_id(), b.worker_id());
    let (ra, rb) = tokio::join!(a.crawl(None, true, false), b.crawl(None, true, false));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let mut crawled: Vec<String> = ra
        .sources
        .iter()
        .chain(&rb.sources)
        .map(|s| s.source.clone())
        .collect();
    crawled.sort();
    let n = crawled.len();
    crawled.dedup();
    assert_eq!(
        (n, crawled.len()),
        (FEEDS, FEEDS),
        "every source once, by one process"
    );
    assert!(
        !ra.sources.is_empty() && !rb.sources.is_empty(),
        "both took a share: {} and {}",
        ra.sources.len(),
        rb.sources.len()
    );
    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits.len(), FEEDS);
    assert!(hits.values().all(|h| *h == 1), "{hits:?}");
    // Leases are given back: nothing is held after the crawls.
    let health = a.store.source_health().await.unwrap();
    assert!(health.iter().all(|h| h.lease_owner.is_none()));
    a.close_indexer().unwrap();
    b.close_indexer().unwrap();
}

#[tokio::test]
async fn live_leases_keep_others_off_and_expired_ones_are_taken() {
    let hits = Arc::new(Mutex::new(HashMap::new()));
    let base = slow_feeds(hits.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    for name in ["held", "orphan", "free"] {
        std::fs::write(
            src.join(format!("{name}.toml")),
            format!("name = \"{name}\"\nkind = \"feed\"\nurl = \"{base}/f/{name}\"\n"),
        )
        .unwrap();
    }
    let app = App::open(config(dir.path(), "index")).await.unwrap();
    let (specs, _) = app.sources();
    app.store.sync_sources(&specs).await.unwrap();
    let now = chrono::Utc::now();
    let minute = chrono::Duration::minutes(1);
    // Another live process holds `held`; the process that held `orphan` died a minute ago.
    let held = app
        .store
        .lease_named("other:1", &["held".into()], now, now + minute * 10)
        .await
        .unwrap();
    assert_eq!(held, ["held"]);
    app.store
        .lease_named("dead:2", &["orphan".into()], now - minute * 5, now - minute)
        .await
        .unwrap();

    match app.crawl(Some("held"), false, false).await {
        Err(AppError::Leased {
            source_name,
            holder,
        }) => {
            assert_eq!(source_name, "held");
            assert!(holder.contains("other:1"), "{holder}");
        }
        other => panic!("expected a lease error, got {other:?}"),
    }
    let r = app.crawl(None, false, false).await.unwrap();
    let names: Vec<&str> = r.sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(names, ["free", "orphan"]);
    assert_eq!(hits.lock().unwrap().get("held"), None);
    let health = app.store.source_health().await.unwrap();
    let h = |n: &str| health.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(h("held").lease_owner.as_deref(), Some("other:1"));
    assert_eq!(h("orphan").lease_owner, None);
    assert!(h("orphan").last_ok_at.is_some());
    app.close_indexer().unwrap();
}
