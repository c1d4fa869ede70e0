//! Job postings of a company's job board: first/last seen, closed when gone, and a
//! `hiring_surge` on the account when its postings rise against its own history.

mod common;

use axum::Router;
use axum::routing::get;
use chrono::{Duration, Utc};
use serde_json::json;
use std::sync::{Arc, Mutex};
use trigger_radar::App;
use trigger_radar::model::TriggerKind;

type Board = Arc<Mutex<Vec<(String, String)>>>;

async fn board_server(board: Board) -> String {
    let app = Router::new().route(
        "/v1/boards/kestrel/jobs",
        get(move || {
            let jobs: Vec<serde_json::Value> = board
                .lock()
                .unwrap()
                .iter()
                .map(|(url, title)| {
                    json!({"id": url, "title": title, "absolute_url": url,
                    "updated_at": "2026-11-20T10:00:00Z", "location": {"name": "Denver, CO"},
                    "content": "&lt;p&gt;Our stack: PostgreSQL and Kafka.&lt;/p&gt;"})
                })
                .collect();
            async move { axum::Json(json!({"jobs": jobs})) }
        }),
    );
    common::serve(app).await
}

#[tokio::test]
async fn postings_are_followed_and_a_surge_is_a_trigger() {
    let old: Vec<(String, String)> = (0..3)
        .map(|i| (format!("https://jobs.test/old{i}"), format!("Analyst {i}")))
        .collect();
    let new: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("https://jobs.test/new{i}"),
                format!("Data Engineer {i}"),
            )
        })
        .collect();
    let board: Board = Arc::new(Mutex::new(old.iter().chain(&new).cloned().collect()));
    let base = board_server(board.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("gh.toml"),
        format!(
            "name = \"gh\"\nkind = \"greenhouse\"\nboard = \"kestrel\"\naccount = \"k1\"\n\
             url = \"{base}/v1/boards/kestrel/jobs?content=true\"\n"
        ),
    )
    .unwrap();
    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.min_host_delay_ms = 0;
    let app = App::open(cfg).await.unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "crm_id,name\nk1,Kestrel Analytics\n").unwrap();
    app.import_accounts(&csv).await.unwrap();
    let k1 = app.store.account_by_crm_id("k1").await.unwrap().unwrap();

    // Three months of history: the same three postings, steadily open.
    let now = Utc::now();
    for days in [90, 60, 30, 10] {
        app.store
            .observe_postings("gh", Some(k1.id), &old, now - Duration::days(days))
            .await
            .unwrap();
    }

    // Today's listing has six new postings: 9 open against a median of 3, 6 new in 14 days.
    app.crawl(None, false, false).await.unwrap();
    let surges = |evs: &[trigger_radar::model::AccountEvent]| {
        evs.iter()
            .filter(|e| e.event.kind == TriggerKind::HiringSurge)
            .map(|e| e.event.evidence.clone())
            .collect::<Vec<_>>()
    };
    let events = app.store.account_events(Some(k1.id)).await.unwrap();
    let found = surges(&events);
    assert_eq!(found.len(), 1, "{events:?}");
    assert!(found[0].contains("9 open job postings"), "{}", found[0]);
    assert!(found[0].contains("6 new in 14 days"), "{}", found[0]);
    let r = app.store.score_of(k1.id).await.unwrap().unwrap();
    assert_eq!(r.contributions[0].kind, TriggerKind::HiringSurge);
    // Technographics from the postings.
    let techs: Vec<String> = app
        .account_view(k1.id)
        .await
        .unwrap()
        .technographics
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert!(techs.contains(&"postgresql".to_string()), "{techs:?}");
    assert!(techs.iter().any(|t| t.contains("kafka")), "{techs:?}");

    // The same listing again: no second surge.
    app.crawl(None, false, false).await.unwrap();
    assert_eq!(
        surges(&app.store.account_events(Some(k1.id)).await.unwrap()).len(),
        1
    );

    // Two postings leave the board: they are closed, the others stay open.
    board.lock().unwrap().truncate(7);
    app.crawl(None, false, false).await.unwrap();
    let postings = app
        .store
        .postings_of(k1.id, now - Duration::days(365))
        .await
        .unwrap();
    assert_eq!(postings.len(), 9);
    assert_eq!(postings.iter().filter(|p| p.closed_at.is_some()).count(), 2);
    let first = postings.iter().find(|p| p.url.ends_with("old0")).unwrap();
    assert!(
        first.first_seen_at < now - Duration::days(89),
        "first seen kept"
    );
    assert!(
        first.last_seen_at >= now - Duration::minutes(5),
        "last seen today"
    );
    app.close_indexer().unwrap();
}
