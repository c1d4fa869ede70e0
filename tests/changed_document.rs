//! A document whose content changes under the same URL is processed again: its old events leave
//! the database and the index, the new ones arrive; an unchanged one is skipped.

mod common;

use trigger_radar::search::SearchQuery;

fn feed(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>\
         <item><title>Kelvane news</title><link>https://example.invalid/kelvane</link>\
         <pubDate>Tue, 10 Nov 2026 09:00:00 +0000</pubDate><description>{body}</description></item>\
         <item><title>Weather</title><link>https://example.invalid/weather</link><description>Mild.</description></item>\
         </channel></rss>"
    )
}

#[tokio::test]
async fn changed_content_replaces_events() {
    let (dir, app, feed_file) = common::one_feed_instance().await;
    std::fs::write(dir.path().join("a.csv"), "crm_id,name\nk1,Kelvane Ltd\n").unwrap();
    app.import_accounts(&dir.path().join("a.csv"))
        .await
        .unwrap();

    std::fs::write(
        &feed_file,
        feed("Kelvane Ltd opened a new factory in Ohio."),
    )
    .unwrap();
    let r = app.crawl(None, false, false).await.unwrap();
    assert_eq!(r.new_documents(), 2);
    let kinds = |evs: &[trigger_radar::model::AccountEvent]| {
        evs.iter()
            .map(|e| e.event.kind.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&app.store.account_events(None).await.unwrap()),
        vec!["new_facility"]
    );

    std::fs::write(&feed_file, feed("Kelvane Ltd will cut 300 jobs.")).unwrap();
    let r = app.crawl(None, false, false).await.unwrap();
    assert_eq!(
        (r.new_documents(), r.sources[0].unchanged),
        (1, 1),
        "only the changed item is reprocessed"
    );
    assert_eq!(
        kinds(&app.store.account_events(None).await.unwrap()),
        vec!["layoffs"]
    );
    assert_eq!(app.store.stats().await.unwrap().documents, 2);

    let search = |t: &'static str| {
        let app = &app;
        async move {
            app.search(&SearchQuery {
                text: t.into(),
                limit: 10,
                ..SearchQuery::default()
            })
            .await
            .unwrap()
            .0
        }
    };
    assert_eq!(search("factory").await, 0, "the old event left the index");
    assert_eq!(search("jobs").await, 1);
    app.close_indexer().unwrap();
}

#[tokio::test]
async fn tracking_links_to_one_article_are_one_document() {
    let (_dir, app, feed_file) = common::one_feed_instance().await;
    std::fs::write(
        &feed_file,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>\
         <item><title>Kelvane opens a plant</title><link>https://Example.invalid/kelvane?utm_source=tg&amp;id=3#top</link>\
         <description>Kelvane Ltd opened a new factory in Ohio.</description></item>\
         <item><title>Kelvane opens a plant</title><link>https://example.invalid/kelvane?id=3&amp;fbclid=abc</link>\
         <description>Kelvane Ltd opened a new factory in Ohio.</description></item>\
         </channel></rss>",
    )
    .unwrap();
    let r = app.crawl(None, false, false).await.unwrap();
    assert_eq!(r.new_documents(), 1, "{:?}", r.sources);
    assert_eq!(app.store.stats().await.unwrap().documents, 1);
    let events = app.store.events_after(0, 10).await.unwrap();
    assert_eq!(events[0].url, "https://example.invalid/kelvane?id=3");
    app.close_indexer().unwrap();
}

#[tokio::test]
async fn the_first_crawl_of_a_source_is_its_baseline() {
    let (_dir, app, feed_file) = common::one_feed_instance().await;
    std::fs::write(
        &feed_file,
        feed("Kelvane Ltd opened a new factory in Ohio."),
    )
    .unwrap();
    app.crawl(None, false, false).await.unwrap();
    let first = app.store.events_after(0, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(first[0].baseline, "history, not news");

    std::fs::write(
        &feed_file,
        feed("Kelvane Ltd appointed Maria Lopez as chief executive officer."),
    )
    .unwrap();
    app.crawl(None, false, false).await.unwrap();
    let later = app.store.events_after(0, 10).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].kind.as_str(), "executive_hire");
    assert!(!later[0].baseline, "found by a later crawl: news");
    app.close_indexer().unwrap();
}
