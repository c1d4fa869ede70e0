//! Feeds that carry only summaries get their article pages read (`full_text`), once per item;
//! a story another outlet reprints with small edits is one document with both sources.

mod common;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use trigger_radar::App;
use trigger_radar::model::TriggerKind;

fn rss(base: &str, items: &[(&str, &str)]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>",
    );
    for (slug, summary) in items {
        x.push_str(&format!(
            "<item><title>{slug}</title><link>{base}/news/{slug}</link><description>{summary}</description>\
             <pubDate>Mon, 30 Nov 2026 09:00:00 +0300</pubDate></item>"
        ));
    }
    x.push_str("</channel></rss>");
    x
}

const ARTICLE: &str = "<html><head><title>Северный Кедр</title></head><body>\
    <nav><a href=\"/\">Главная</a> <a href=\"/tags\">Теги</a> <a href=\"/ads\">Реклама на сайте</a></nav>\
    <article><h1>Итоги недели в отрасли</h1>\
    <p>Неделя выдалась насыщенной для производителей упаковки: спрос на картон вырос, а цены на сырьё стабилизировались после осеннего скачка.</p>\
    <p>ПАО «Северный Кедр» открыло новый завод в Калужской области. Предприятие будет выпускать гофрокартон для пищевой промышленности, на нём будут работать 400 человек.</p>\
    <p>Инвестиции в проект составили 3,2 млрд рублей, сообщил генеральный директор компании. Второй этап строительства начнётся весной.</p>\
    </article><footer>© 2026 Отраслевой вестник. Подписывайтесь на рассылку.</footer></body></html>";

#[tokio::test]
async fn summaries_are_replaced_by_the_article_once() {
    let pages = Arc::new(AtomicUsize::new(0));
    let p = pages.clone();
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let b = base.clone();
    let app = Router::new()
        .route(
            "/feed.xml",
            get(move || {
                let base = b.get().cloned().unwrap_or_default();
                async move {
                    rss(
                        &base,
                        &[
                            ("week", "Итоги недели: спрос на картон и цены на сырьё."),
                            ("gone", "Материал, которого больше нет."),
                        ],
                    )
                }
            }),
        )
        .route(
            "/news/{slug}",
            get(move |Path(slug): Path<String>| {
                p.fetch_add(1, Ordering::SeqCst);
                async move {
                    if slug == "week" {
                        (
                            axum::http::StatusCode::OK,
                            axum::response::Html(ARTICLE.to_string()),
                        )
                    } else {
                        (
                            axum::http::StatusCode::NOT_FOUND,
                            axum::response::Html(String::new()),
                        )
                    }
                }
            }),
        );
    let url = common::serve(app).await;
    base.set(url.clone()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("vestnik.toml"),
        format!(
            "name = \"vestnik\"\nkind = \"feed\"\nurl = \"{url}/feed.xml\"\nfull_text = true\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("accounts.csv"),
        "crm_id,name\nsk,ПАО «Северный Кедр»\n",
    )
    .unwrap();
    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.min_host_delay_ms = 0;
    let app = App::open(cfg).await.unwrap();
    app.import_accounts(&dir.path().join("accounts.csv"))
        .await
        .unwrap();

    let r = app.crawl(None, false, false).await.unwrap();
    assert_eq!(
        r.sources[0].error, None,
        "a missing page is not a source failure"
    );
    assert_eq!(r.sources[0].items, 2);
    assert_eq!(pages.load(Ordering::SeqCst), 2);
    // The plant is only in the article, not in the feed's summary.
    let sk = app.store.account_by_crm_id("sk").await.unwrap().unwrap();
    let events = app.store.account_events(Some(sk.id)).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.event.kind == TriggerKind::NewFacility
                && e.event.evidence.contains("новый завод")),
        "{:?}",
        events
            .iter()
            .map(|e| (&e.event.kind, &e.event.evidence))
            .collect::<Vec<_>>()
    );
    assert!(
        events
            .iter()
            .all(|e| !e.event.evidence.contains("Подписывайтесь")),
        "footer left out"
    );

    // The next crawl keeps the stored article: no page is fetched again, nothing is "changed".
    let r = app.crawl(None, false, false).await.unwrap();
    assert_eq!(r.sources[0].new_or_changed, 0, "{:?}", r.sources[0]);
    assert_eq!(pages.load(Ordering::SeqCst), 2);
    app.close_indexer().unwrap();
}

const STORY: &str = "Brightwater Logistics said on Tuesday it had agreed to buy Kelvane Freight for $420 million in cash, \
    adding twelve warehouses across the Midwest and roughly 1,800 employees. The deal, expected to close in the first \
    quarter, was approved by both boards. Brightwater's chief executive Dana Morrow said the combined company would \
    invest in automation at the Kelvane sites and keep its headquarters in Columbus, Ohio.";

#[tokio::test]
async fn a_syndicated_story_is_one_document_with_both_sources() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    let feed = |items: &[(&str, &str, &str)]| {
        let mut x =
            String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>");
        for (link, title, body) in items {
            x.push_str(&format!(
                "<item><title>{title}</title><link>{link}</link><description>{body}</description>\
                 <pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>"
            ));
        }
        x + "</channel></rss>"
    };
    std::fs::write(
        src.join("wire.xml"),
        feed(&[(
            "https://wire.test/bw",
            "Brightwater to buy Kelvane Freight",
            STORY,
        )]),
    )
    .unwrap();
    let edited = format!(
        "(Reuters) - {} Shares of Brightwater rose 3% in early trading.",
        STORY.replace("on Tuesday", "Tuesday")
    );
    let other = "Ostmark Foods said on Tuesday it had opened a new plant in Kansas for $90 million, adding two \
        production lines and a cold store and roughly 300 employees. Production starts in spring. Its founder said the firm \
        would hire locally and keep its headquarters in Wichita, where it was founded in 1987 by two brothers.";
    std::fs::write(
        src.join("paper.xml"),
        feed(&[
            (
                "https://paper.test/markets/bw?utm_source=rss",
                "Brightwater agrees $420 mln Kelvane deal",
                &edited,
            ),
            (
                "https://paper.test/ostmark",
                "Ostmark opens Kansas plant",
                other,
            ),
        ]),
    )
    .unwrap();
    for name in ["wire", "paper"] {
        std::fs::write(
            src.join(format!("{name}.toml")),
            format!("name = \"{name}\"\nkind = \"feed\"\nurl = \"{name}.xml\"\n"),
        )
        .unwrap();
    }
    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    // One at a time, so the wire's copy is stored first.
    cfg.crawl.parallel_sources = 1;
    let app = App::open(cfg.clone()).await.unwrap();
    let r = app.crawl(Some("wire"), false, false).await.unwrap();
    assert_eq!(r.sources[0].new_or_changed, 1);
    let r = app.crawl(Some("paper"), false, false).await.unwrap();
    let paper = &r.sources[0];
    assert_eq!((paper.copies, paper.new_or_changed), (1, 1), "{paper:?}");
    let doc = app
        .store
        .document_id_by_url("https://wire.test/bw")
        .await
        .unwrap()
        .unwrap();
    let copies = app.store.document_copies(doc).await.unwrap();
    assert_eq!(
        copies,
        [(
            "paper".to_string(),
            "https://paper.test/markets/bw".to_string(),
            "Brightwater agrees $420 mln Kelvane deal".to_string()
        )]
    );
    assert_eq!(
        app.store
            .document_id_by_url("https://paper.test/markets/bw")
            .await
            .unwrap(),
        Some(doc)
    );
    let stats = app.store.stats().await.unwrap();
    assert_eq!(
        stats.documents, 2,
        "the Brightwater story once, Ostmark's plant once"
    );
    // Crawled again: the copy is known, nothing new.
    let r = app.crawl(Some("paper"), false, false).await.unwrap();
    assert_eq!((r.sources[0].copies, r.sources[0].new_or_changed), (0, 0));
    app.close_indexer().unwrap();

    // A fresh process finds the copy from the stored fingerprints.
    drop(app);
    let again = App::open(cfg).await.unwrap();
    std::fs::write(
        dir.path().join("sources/paper.xml"),
        feed(&[(
            "https://paper.test/bw-2",
            "Brightwater deal, update",
            &format!("{edited} The companies declined further comment."),
        )]),
    )
    .unwrap();
    let r = again.crawl(Some("paper"), false, false).await.unwrap();
    assert_eq!(r.sources[0].copies, 1, "{:?}", r.sources[0]);
    again.close_indexer().unwrap();
}

/// Workers sharing a database: a copy of a story another process stored after this one loaded
/// its fingerprints is still found (each chunk looks for documents stored since).
#[tokio::test]
async fn a_copy_of_a_story_another_process_stored_meanwhile_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    let feed = |link: &str, title: &str, body: &str| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
             <item><title>{title}</title><link>{link}</link><description>{body}</description>\
             <pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item></channel></rss>"
        )
    };
    let other = "Ostmark Foods said on Tuesday it had opened a new plant in Kansas for $90 million, adding two \
        production lines and a cold store and roughly 300 employees. Production starts in spring. Its founder said the firm \
        would hire locally and keep its headquarters in Wichita, where it was founded in 1987 by two brothers.";
    let edited = format!("(Reuters) - {STORY} Shares of Brightwater rose 3% in early trading.");
    for (name, link, title, body) in [
        (
            "wire",
            "https://wire.test/bw",
            "Brightwater to buy Kelvane Freight",
            STORY,
        ),
        (
            "early",
            "https://early.test/ostmark",
            "Ostmark opens Kansas plant",
            other,
        ),
        (
            "paper",
            "https://paper.test/bw",
            "Brightwater agrees Kelvane deal",
            edited.as_str(),
        ),
    ] {
        std::fs::write(src.join(format!("{name}.xml")), feed(link, title, body)).unwrap();
        std::fs::write(
            src.join(format!("{name}.toml")),
            format!("name = \"{name}\"\nkind = \"feed\"\nurl = \"{name}.xml\"\n"),
        )
        .unwrap();
    }
    let config = |index: &str| {
        let mut cfg = common::config(&dir.path().join("data"));
        cfg.sources_dirs = vec![src.clone()];
        cfg.index_dir = dir.path().join(index);
        cfg
    };
    let a = App::open(config("index-a")).await.unwrap();
    let b = App::open(config("index-b")).await.unwrap().without_index();
    // b loads its fingerprints; then a stores the wire story.
    b.crawl(Some("early"), false, false).await.unwrap();
    a.crawl(Some("wire"), false, false).await.unwrap();
    let r = b.crawl(Some("paper"), false, false).await.unwrap();
    assert_eq!(
        (r.sources[0].copies, r.sources[0].new_or_changed),
        (1, 0),
        "{:?}",
        r.sources[0]
    );
    assert_eq!(a.store.stats().await.unwrap().documents, 2);
    a.close_indexer().unwrap();
}
