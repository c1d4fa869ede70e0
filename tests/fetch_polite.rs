//! The fetch layer against a hostile local server: robots.txt and Crawl-delay, conditional GET
//! (304), 429 with Retry-After, gzip, a redirect loop and a server too slow to answer — and a
//! crawl that skips an unchanged feed and a scheduler that waits as long as the server asked.

mod common;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use trigger_radar::App;
use trigger_radar::config::FetchConfig;
use trigger_radar::fetch::{FetchError, Fetcher, Outcome};

const FEED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>\
<item><title>Kestrel Analytics opens a new office in Denver</title><link>https://news.test/k1</link>\
<pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>\
<description>Kestrel Analytics opened a new office in Denver, the company said.</description></item>\
</channel></rss>";

#[derive(Default)]
struct Hits {
    private: AtomicUsize,
    feed: AtomicUsize,
}

async fn server(robots: &'static str) -> (String, Arc<Hits>) {
    let hits = Arc::new(Hits::default());
    let (h1, h2) = (hits.clone(), hits.clone());
    let app = Router::new()
        .route("/robots.txt", get(move || async move { robots }))
        .route(
            "/private/feed.xml",
            get(move || {
                h1.private.fetch_add(1, Ordering::SeqCst);
                async { FEED }
            }),
        )
        .route(
            "/feed.xml",
            get(move |headers: HeaderMap| {
                h2.feed.fetch_add(1, Ordering::SeqCst);
                async move {
                    if headers
                        .get(header::IF_NONE_MATCH)
                        .is_some_and(|v| v == "\"v1\"")
                    {
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    ([(header::ETAG, "\"v1\"")], FEED).into_response()
                }
            }),
        )
        .route(
            "/busy.xml",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "3600")],
                    "slow down",
                )
            }),
        )
        .route(
            "/gz.xml",
            get(|| async {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(FEED.as_bytes()).unwrap();
                ([(header::CONTENT_ENCODING, "gzip")], enc.finish().unwrap())
            }),
        )
        .route(
            "/loop.xml",
            get(|| async { Redirect::temporary("/loop.xml") }),
        )
        .route(
            "/slow.xml",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                FEED
            }),
        );
    (common::serve(app).await, hits)
}

fn fetcher() -> Fetcher {
    Fetcher::new(&FetchConfig {
        min_host_delay_ms: 0,
        timeout_secs: 1,
        ..FetchConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn robots_disallow_and_crawl_delay() {
    let (base, hits) = server("User-agent: *\nDisallow: /private\nCrawl-delay: 1\n").await;
    let f = fetcher();
    let e = f
        .get(&format!("{base}/private/feed.xml"))
        .await
        .unwrap_err();
    assert!(matches!(e, FetchError::RobotsDisallowed { .. }), "{e}");
    assert!(!e.is_transient());
    assert!(e.to_string().contains("robots.txt"));
    assert_eq!(hits.private.load(Ordering::SeqCst), 0, "never asked");

    f.get(&format!("{base}/feed.xml")).await.unwrap();
    let t = Instant::now();
    f.get(&format!("{base}/gz.xml")).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "Crawl-delay: 1 is honoured between requests to one host ({:?})",
        t.elapsed()
    );
}

#[tokio::test]
async fn conditional_get_answers_not_modified() {
    let (base, hits) = server("User-agent: *\nDisallow:\n").await;
    let f = fetcher();
    let url = format!("{base}/feed.xml");
    let Outcome::Body(first) = f.get_if_changed(&url, None).await.unwrap() else {
        panic!("a first fetch has a body");
    };
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    let second = f
        .get_if_changed(&url, Some(&first.validators))
        .await
        .unwrap();
    assert!(matches!(second, Outcome::NotModified));
    assert_eq!(hits.feed.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn hostile_answers_fail_clearly_and_are_classified() {
    let (base, _) = server("").await;
    let f = fetcher();
    let busy = f.get(&format!("{base}/busy.xml")).await.unwrap_err();
    assert!(busy.is_transient());
    assert_eq!(busy.retry_after(), Some(Duration::from_secs(3600)));
    assert!(busy.to_string().contains("429"), "{busy}");

    let gz = f.get(&format!("{base}/gz.xml")).await.unwrap();
    assert_eq!(
        String::from_utf8(gz.bytes).unwrap(),
        FEED,
        "gzip is decoded"
    );

    let looped = f.get(&format!("{base}/loop.xml")).await.unwrap_err();
    assert!(matches!(looped, FetchError::Transport { .. }), "{looped}");

    let t = Instant::now();
    let slow = f.get(&format!("{base}/slow.xml")).await.unwrap_err();
    assert!(slow.is_transient(), "{slow}");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "the 1 s timeout cut it short"
    );
}

#[tokio::test]
async fn crawls_skip_unchanged_feeds_and_respect_retry_after() {
    let (base, hits) = server("User-agent: *\nDisallow:\n").await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    for (name, path) in [("news", "feed.xml"), ("busy", "busy.xml")] {
        std::fs::write(
            src.join(format!("{name}.toml")),
            format!("name = \"{name}\"\nkind = \"feed\"\nurl = \"{base}/{path}\"\nlang = \"en\"\n"),
        )
        .unwrap();
    }
    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.min_host_delay_ms = 0;
    let app = App::open(cfg).await.unwrap();

    let first = app.crawl(None, false, false).await.unwrap();
    let news = first.sources.iter().find(|s| s.source == "news").unwrap();
    assert_eq!((news.items, news.not_modified), (1, false));
    let second = app.crawl(None, false, false).await.unwrap();
    let news = second.sources.iter().find(|s| s.source == "news").unwrap();
    assert!(news.not_modified, "304: nothing parsed");
    assert_eq!(news.items, 0);
    assert_eq!(hits.feed.load(Ordering::SeqCst), 2);

    let busy = second.sources.iter().find(|s| s.source == "busy").unwrap();
    assert!(busy.transient && busy.error.is_some());
    let health = app.store.source_health().await.unwrap();
    let busy = health.iter().find(|h| h.name == "busy").unwrap();
    let wait = busy.next_run_at - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::minutes(59),
        "next run waits for Retry-After: {wait}"
    );
    app.close_indexer().unwrap();
}
