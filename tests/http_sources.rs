//! Feeds over real HTTP from a local fixture server: charset from the header, a failing source
//! reported with a clear error while the others carry on, and the body-size cap.

mod common;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use trigger_radar::App;

const RU_FEED: &str = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Новости</title>\
<item><title>«Кедрон» открыл новый склад в Казани</title><link>http://fixture/1</link>\
<pubDate>Tue, 10 Nov 2026 09:00:00 +0300</pubDate>\
<description>ООО «Кедрон» открыло новый складской комплекс площадью 20 тыс. кв. м в Казани.</description></item>\
<item><title>Погода</title><link>http://fixture/2</link><description>В Казани снег.</description></item>\
</channel></rss>";

async fn fixture_server() -> String {
    let app = Router::new()
        .route(
            "/ru.xml",
            get(|| async {
                // windows-1251 bytes, declared only in the HTTP header (no prolog encoding).
                let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(RU_FEED);
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/rss+xml; charset=windows-1251",
                    )],
                    bytes.into_owned(),
                )
            }),
        )
        .route(
            "/bare1251.xml",
            get(|| async {
                // windows-1251 bytes declared nowhere: no charset, no prolog encoding.
                let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(RU_FEED);
                (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    bytes.into_owned(),
                )
            }),
        )
        .route(
            "/broken.xml",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }),
        )
        .route("/huge.xml", get(|| async { "x".repeat(200_000) }))
        .route(
            "/koi8.xml",
            get(|| async {
                // KOI8-R, declared only in the XML prolog; the server says nothing.
                let text = RU_FEED
                    .replacen(
                        "<?xml version=\"1.0\"?>",
                        "<?xml version=\"1.0\" encoding=\"KOI8-R\"?>",
                        1,
                    )
                    .replace("http://fixture/", "http://fixture/koi8/");
                let (bytes, _, _) = encoding_rs::KOI8_R.encode(&text);
                (
                    [(header::CONTENT_TYPE, "application/xml")],
                    bytes.into_owned(),
                )
            }),
        )
        .route(
            "/lying.xml",
            get(|| async {
                // UTF-8 bytes under a prolog that claims windows-1251 (STACK trap 2).
                let text = RU_FEED
                    .replacen(
                        "<?xml version=\"1.0\"?>",
                        "<?xml version=\"1.0\" encoding=\"windows-1251\"?>",
                        1,
                    )
                    .replace("http://fixture/", "http://fixture/lying/");
                ([(header::CONTENT_TYPE, "application/xml")], text)
            }),
        )
        .route(
            "/malformed.xml",
            get(|| async { "<?xml version=\"1.0\"?><rss><channel><item><title>unclosed" }),
        )
        .route(
            "/garbage.xml",
            get(|| async { "<html><body>Not a feed, a login page</body></html>" }),
        );
    common::serve(app).await
}

#[tokio::test]
async fn http_feeds_decode_fail_and_cap_independently() {
    let base = fixture_server().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    for (name, path) in [
        ("ru", "ru.xml"),
        ("broken", "broken.xml"),
        ("huge", "huge.xml"),
        ("koi8", "koi8.xml"),
        ("bare", "bare1251.xml"),
        ("lying", "lying.xml"),
        ("malformed", "malformed.xml"),
    ] {
        std::fs::write(
            src.join(format!("{name}.toml")),
            format!("name = \"{name}\"\nkind = \"feed\"\nurl = \"{base}/{path}\"\n"),
        )
        .unwrap();
    }
    std::fs::write(src.join("bad.toml"), "name = \"bad\"\nkind = \"feed\"\n").unwrap();
    std::fs::write(
        dir.path().join("accounts.csv"),
        "crm_id,name\nk1,ООО «Кедрон»\n",
    )
    .unwrap();

    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.max_body_bytes = 100_000;
    // One local host serves every source: no pause between them in a test.
    cfg.fetch.min_host_delay_ms = 0;
    let app = App::open(cfg).await.unwrap();
    app.import_accounts(&dir.path().join("accounts.csv"))
        .await
        .unwrap();
    let report = app.crawl(None, false, false).await.unwrap();
    app.close_indexer().unwrap();

    // The malformed source file is reported by path and key, the rest still crawl.
    assert_eq!(report.source_file_errors.len(), 1);
    assert!(
        report.source_file_errors[0].contains("bad.toml")
            && report.source_file_errors[0].contains("url")
    );

    let by_name = |n: &str| report.sources.iter().find(|s| s.source == n).unwrap();
    let ru = by_name("ru");
    assert_eq!(ru.error, None);
    assert_eq!(ru.items, 2);
    assert!(ru.encoding.starts_with("windows-1251"), "{}", ru.encoding);
    assert!(
        by_name("broken")
            .error
            .as_deref()
            .unwrap()
            .contains("HTTP 500")
    );
    assert!(
        by_name("huge")
            .error
            .as_deref()
            .unwrap()
            .contains("100000-byte cap")
    );

    for name in ["koi8", "lying", "bare"] {
        let s = by_name(name);
        assert_eq!((s.items, s.error.clone()), (2, None), "{name}: {s:?}");
    }
    assert!(
        by_name("koi8").encoding.starts_with("KOI8-R"),
        "{}",
        by_name("koi8").encoding
    );
    assert!(
        by_name("lying").encoding.starts_with("UTF-8"),
        "{}",
        by_name("lying").encoding
    );
    assert!(
        by_name("malformed")
            .error
            .as_deref()
            .unwrap()
            .contains("could not be parsed"),
        "{:?}",
        by_name("malformed")
    );

    // The three feeds carry one story in three charsets: decoded right, it is the same text, so
    // it is one document (one event) with the other two feeds as its further sources.
    let events = app.store.account_events(None).await.unwrap();
    let story: Vec<_> = events
        .iter()
        .filter(|e| e.event.title == "«Кедрон» открыл новый склад в Казани")
        .collect();
    assert_eq!(
        story.len(),
        1,
        "{:?}",
        events
            .iter()
            .map(|e| (&e.event.title, e.event.kind))
            .collect::<Vec<_>>()
    );
    let doc = app
        .store
        .document_id_by_url(&story[0].event.url)
        .await
        .unwrap()
        .unwrap();
    let mut carried: Vec<String> = app
        .store
        .document_copies(doc)
        .await
        .unwrap()
        .into_iter()
        .map(|(source, _, title)| {
            assert_eq!(title, "«Кедрон» открыл новый склад в Казани");
            source
        })
        .chain([story[0].event.source.clone()])
        .collect();
    carried.sort();
    // `bare` lists the same URLs as `ru`: decoded right, the same article, already stored by
    // whichever of the two was crawled first.
    let first = carried
        .iter()
        .position(|s| s == "ru" || s == "bare")
        .map(|i| carried.remove(i));
    assert!(first.is_some(), "{carried:?}");
    carried.retain(|s| s != "ru" && s != "bare");
    assert_eq!(carried, ["koi8", "lying"]);
    // Both items of the four feeds are the same two stories.
    let copies: usize = report.sources.iter().map(|s| s.copies).sum();
    assert_eq!(copies, 4);
    let seen_twice: usize = ["ru", "bare"].iter().map(|n| by_name(n).unchanged).sum();
    assert_eq!(
        seen_twice, 2,
        "the second of ru/bare finds both articles stored"
    );
    assert!(
        by_name("bare").encoding.starts_with("windows-1251"),
        "{}",
        by_name("bare").encoding
    );

    let health = app.store.source_health().await.unwrap();
    let broken = health.iter().find(|h| h.name == "broken").unwrap();
    assert_eq!(broken.consecutive_failures, 1);
    assert!(broken.last_error.as_deref().unwrap().contains("HTTP 500"));
    assert!(
        broken.next_run_at > chrono::Utc::now() + chrono::Duration::minutes(60),
        "failures back off"
    );
}
