//! The `html` connector: a Russian news listing with CSS selectors, relative links, Russian dates
//! and a second page behind a "next" link; a bad selector and a changed layout fail clearly.

mod common;

use axum::Router;
use axum::routing::get;
use trigger_radar::App;

const PAGE1: &str = r#"<html><body><div class="list">
<article class="news"><h2><a href="/news/1">«Кедрон» построит завод в Калужской области</a></h2>
<time datetime="2026-11-20T10:00:00+03:00">20 ноября 2026</time>
<p class="lead">ООО «Кедрон» построит новый завод по выпуску упаковки в Калужской области.</p></article>
<article class="news"><h2><a href="/news/2">Погода на выходные</a></h2>
<span class="date">21 ноября 2026, 09:15</span><p class="lead">В регионе потеплеет.</p></article>
</div><a class="next" href="/news?page=2">Дальше</a></body></html>"#;

const PAGE2: &str = r#"<html><body><div class="list">
<article class="news"><h2><a href="https://other.test/news/3">«Кедрон» назначил нового генерального директора</a></h2>
<span class="date">19.11.2026</span><p class="lead">Генеральным директором ООО «Кедрон» назначена Анна Смирнова.</p></article>
</div></body></html>"#;

async fn server() -> String {
    let app = Router::new()
        .route(
            "/news",
            get(
                |q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                    let page = if q.get("page").map(String::as_str) == Some("2") {
                        PAGE2
                    } else {
                        PAGE1
                    };
                    axum::response::Html(page)
                },
            ),
        )
        .route(
            "/moved",
            get(|| async { axum::response::Html("<html><body><p>New design</p></body></html>") }),
        );
    common::serve(app).await
}

#[tokio::test]
async fn listing_pages_become_documents_and_events() {
    let base = server().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    let selectors = "[html]\nitem = \"article.news\"\ntitle = \"h2\"\nlink = \"h2 a\"\n\
                     date = \"time, .date\"\nsummary = \"p.lead\"\nnext = \"a.next\"\nmax_pages = 3\n";
    std::fs::write(
        src.join("kaluga.toml"),
        format!(
            "name = \"kaluga\"\nkind = \"html\"\nurl = \"{base}/news\"\nlang = \"ru\"\n{selectors}"
        ),
    )
    .unwrap();
    std::fs::write(
        src.join("moved.toml"),
        format!("name = \"moved\"\nkind = \"html\"\nurl = \"{base}/moved\"\n{selectors}"),
    )
    .unwrap();
    std::fs::write(
        src.join("bad.toml"),
        format!(
            "name = \"bad\"\nkind = \"html\"\nurl = \"{base}/news\"\n[html]\nitem = \"article[[\"\n"
        ),
    )
    .unwrap();
    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.min_host_delay_ms = 0;
    let app = App::open(cfg).await.unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "crm_id,name\nk1,ООО «Кедрон»\n").unwrap();
    app.import_accounts(&csv).await.unwrap();

    let r = app.crawl(None, false, false).await.unwrap();
    assert!(
        r.source_file_errors
            .iter()
            .any(|e| e.contains("bad.toml") && e.contains("html.item")),
        "{:?}",
        r.source_file_errors
    );
    let kaluga = r.sources.iter().find(|s| s.source == "kaluga").unwrap();
    assert_eq!(kaluga.error, None);
    assert_eq!(kaluga.items, 3, "two pages read");
    let moved = r.sources.iter().find(|s| s.source == "moved").unwrap();
    assert!(
        moved
            .error
            .as_deref()
            .unwrap()
            .contains("layout may have changed"),
        "{moved:?}"
    );

    let mut events = app.store.account_events(None).await.unwrap();
    events.sort_by_key(|e| e.event.published_at);
    let got: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e.event.kind.as_str().to_string(),
                e.event.url.clone(),
                e.event.published_at.format("%Y-%m-%d").to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "executive_hire".to_string(),
                "https://other.test/news/3".to_string(),
                "2026-11-19".to_string()
            ),
            (
                "new_facility".to_string(),
                format!("{base}/news/1"),
                "2026-11-20".to_string()
            ),
        ]
    );
    app.close_indexer().unwrap();
}
