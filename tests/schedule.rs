//! `serve`'s scheduler: it crawls due sources on its own and stops when told.

mod common;

use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn scheduler_crawls_due_sources_and_stops() {
    let (_dir, app, feed_file) = common::one_feed_instance().await;
    std::fs::write(
        &feed_file,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
         <item><title>Zentrix Corp opened a new factory in Ohio</title><link>https://example.invalid/z</link>\
         <description>Zentrix Corp opened a new factory in Ohio.</description></item></channel></rss>",
    )
    .unwrap();
    let app = Arc::new(app);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(trigger_radar::schedule::run(
        app.clone(),
        Duration::from_millis(50),
        trigger_radar::schedule::Duties {
            crawl: true,
            decay: true,
        },
        stopped,
    ));

    let mut crawled = false;
    for _ in 0..100 {
        let health = app.store.source_health().await.unwrap();
        if health
            .iter()
            .any(|h| h.name == "f" && h.last_status.as_deref() == Some("ok"))
        {
            crawled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(crawled, "the scheduler crawled the due source");
    assert_eq!(app.store.stats().await.unwrap().documents, 1);
    let next = app.store.source_health().await.unwrap()[0].next_run_at;
    assert!(
        next > chrono::Utc::now() + Duration::from_secs(50 * 60),
        "next run one interval later"
    );

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("scheduler stops when told")
        .unwrap();
    app.close_indexer().unwrap();
}
