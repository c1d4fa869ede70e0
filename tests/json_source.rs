//! The `json` connector: a JSON API configured with pointers, paginated by page number and by
//! cursor; a response of the wrong shape fails clearly.

mod common;

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use trigger_radar::App;

async fn server() -> String {
    let app = Router::new()
        .route(
            "/api/news",
            get(|q: Query<HashMap<String, String>>| async move {
                let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
                let items = match page {
                    1 => json!([{"id": 1, "headline": "Kestrel Analytics opens Denver office",
                        "text": {"lead": "Kestrel Analytics opened a new office in Denver, the company said."},
                        "ts": 1763629200, "url": "https://wire.test/1"}]),
                    2 => json!([{"id": 2, "headline": "Kestrel Analytics names a new CFO",
                        "text": {"lead": "Kestrel Analytics appointed Maria Lopez as chief financial officer."},
                        "ts": "2026-11-19T08:00:00Z", "url": "https://wire.test/2"}]),
                    _ => json!([]),
                };
                axum::Json(json!({"data": {"items": items}}))
            }),
        )
        .route(
            "/api/feed",
            get(|q: Query<HashMap<String, String>>| async move {
                let after = q.get("after").cloned().unwrap_or_default();
                let (items, next) = if after.is_empty() {
                    (json!([{"id": "a", "title": "Погода", "body": "Тепло."}]), "c1")
                } else if after == "c1" {
                    (json!([{"id": "b", "title": "Новости", "body": "ООО «Кедрон» построит новый завод в Калужской области."}]), "")
                } else {
                    (json!([]), "")
                };
                axum::Json(json!({"results": items, "cursor": next}))
            }),
        )
        .route("/api/broken", get(|| async { axum::Json(json!({"oops": true})) }));
    common::serve(app).await
}

#[tokio::test]
async fn json_apis_by_page_and_by_cursor() {
    let base = server().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("wire.toml"),
        format!(
            "name = \"wire\"\nkind = \"json\"\nurl = \"{base}/api/news?page={{page}}\"\nlang = \"en\"\n\
             [json]\nitems = \"/data/items\"\ntitle = \"/headline\"\nlink = \"/url\"\nbody = [\"/text/lead\"]\n\
             date = \"/ts\"\npage_start = 1\nmax_pages = 5\n"
        ),
    )
    .unwrap();
    std::fs::write(
        src.join("reg.toml"),
        format!(
            "name = \"reg\"\nkind = \"json\"\nurl = \"{base}/api/feed?after={{cursor}}\"\nlang = \"ru\"\n\
             [json]\nitems = \"/results\"\ntitle = \"/title\"\nid = \"/id\"\nbody = [\"/body\"]\ncursor = \"/cursor\"\nmax_pages = 5\n"
        ),
    )
    .unwrap();
    std::fs::write(
        src.join("broken.toml"),
        format!(
            "name = \"broken\"\nkind = \"json\"\nurl = \"{base}/api/broken\"\n\
             [json]\nitems = \"/items\"\ntitle = \"/t\"\nid = \"/id\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        src.join("bad.toml"),
        "name = \"bad\"\nkind = \"json\"\nurl = \"http://x.test\"\n[json]\nitems = \"items\"\ntitle = \"/t\"\nid = \"/id\"\n",
    )
    .unwrap();
    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.min_host_delay_ms = 0;
    let app = App::open(cfg).await.unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "crm_id,name\nk1,ООО «Кедрон»\nk2,Kestrel Analytics\n").unwrap();
    app.import_accounts(&csv).await.unwrap();

    let r = app.crawl(None, false, false).await.unwrap();
    assert!(
        r.source_file_errors
            .iter()
            .any(|e| e.contains("bad.toml") && e.contains("JSON pointer")),
        "{:?}",
        r.source_file_errors
    );
    let by = |n: &str| r.sources.iter().find(|s| s.source == n).unwrap();
    assert_eq!(
        (by("wire").items, by("wire").error.clone()),
        (2, None),
        "pages 1 and 2, then empty"
    );
    assert_eq!(
        (by("reg").items, by("reg").error.clone()),
        (2, None),
        "two cursor pages"
    );
    assert!(
        by("broken")
            .error
            .as_deref()
            .unwrap()
            .contains("does not point to an array"),
        "{:?}",
        by("broken")
    );

    let mut kinds: Vec<(String, String)> = app
        .store
        .account_events(None)
        .await
        .unwrap()
        .iter()
        .map(|e| {
            (
                e.event.kind.as_str().to_string(),
                e.event.published_at.format("%Y-%m-%d").to_string(),
            )
        })
        .collect();
    kinds.sort();
    // Dates from an ISO string and from Unix seconds; the registry item has none (fetch time).
    assert_eq!(
        kinds[..2],
        [
            ("executive_hire".to_string(), "2026-11-19".to_string()),
            ("expansion".to_string(), "2025-11-20".to_string()),
        ]
    );
    assert_eq!(kinds.len(), 3);
    assert_eq!(kinds[2].0, "new_facility", "{kinds:?}");
    app.close_indexer().unwrap();
}

#[tokio::test]
async fn greenhouse_and_lever_boards() {
    let app_router = Router::new()
        .route(
            "/v1/boards/kestrel/jobs",
            get(|| async {
                axum::Json(json!({"jobs": [
                    {"id": 4011, "title": "Senior Data Engineer",
                     "absolute_url": "https://boards.greenhouse.io/kestrel/jobs/4011",
                     "updated_at": "2026-11-18T10:00:00-05:00",
                     "location": {"name": "Denver, CO"},
                     "content": "&lt;p&gt;You will migrate our pipelines from Oracle to &lt;b&gt;PostgreSQL&lt;/b&gt;.&lt;/p&gt;"}
                ], "meta": {"total": 1}}))
            }),
        )
        .route(
            "/v0/postings/norvane",
            get(|| async {
                axum::Json(json!([
                    {"id": "a1b2", "text": "Account Executive, Nordics",
                     "hostedUrl": "https://jobs.lever.co/norvane/a1b2",
                     "createdAt": 1763452800000i64,
                     "categories": {"location": "Oslo", "team": "Sales"},
                     "descriptionPlain": "Sell our clinical scheduling software to hospitals.",
                     "additionalPlain": "Salesforce experience is a plus."}
                ]))
            }),
        );
    let base = common::serve(app_router).await;

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("gh.toml"),
        format!("name = \"gh\"\nkind = \"greenhouse\"\nboard = \"kestrel\"\nurl = \"{base}/v1/boards/kestrel/jobs?content=true\"\n"),
    )
    .unwrap();
    std::fs::write(
        src.join("lv.toml"),
        format!("name = \"lv\"\nkind = \"lever\"\nboard = \"norvane\"\nurl = \"{base}/v0/postings/norvane?mode=json\"\n"),
    )
    .unwrap();
    std::fs::write(src.join("nob.toml"), "name = \"nob\"\nkind = \"lever\"\n").unwrap();
    let spec = trigger_radar::sources::SourceSpec::from_toml(
        "name = \"x\"\nkind = \"greenhouse\"\nboard = \"acme\"\n",
        std::path::Path::new("x.toml"),
    )
    .unwrap();
    assert_eq!(
        spec.url,
        "https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true"
    );

    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.min_host_delay_ms = 0;
    let app = App::open(cfg).await.unwrap();
    let r = app.crawl(None, false, false).await.unwrap();
    assert!(
        r.source_file_errors
            .iter()
            .any(|e| e.contains("nob.toml") && e.contains("board")),
        "{:?}",
        r.source_file_errors
    );
    for s in &r.sources {
        assert_eq!((s.items, s.error.clone()), (1, None), "{s:?}");
    }
    assert_eq!(app.store.stats().await.unwrap().documents, 2);
    app.close_indexer().unwrap();
}
