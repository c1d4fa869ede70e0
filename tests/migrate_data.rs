//! `migrate-data` moves an installation between engines without loss: the demo installation
//! (plus feedback, a webhook with queued messages, an API token) is copied from SQLite to
//! PostgreSQL (with `TRIGGER_RADAR_TEST_PG`; to a second SQLite file otherwise) and back, and
//! every query the product answers gives the same result on each copy. New rows on a copy get
//! fresh ids (the identity sequences moved past the copied ones).

mod common;

use std::process::Command;
use trigger_radar::store::copy;
use trigger_radar::store::webhooks::NewSubscription;
use trigger_radar::store::{Store, Verdict};
use trigger_radar::{App, Config};

/// Everything the web, the API and the CLI read, as JSON, in an engine-independent order.
async fn answers(app: &App) -> serde_json::Value {
    let mut accounts = app.store.accounts().await.unwrap();
    accounts.sort_by_key(|a| a.id);
    let mut views = Vec::new();
    for a in &accounts {
        views.push(serde_json::to_value(app.account_view(a.id).await.unwrap()).unwrap());
    }
    let mut leads: Vec<serde_json::Value> = app
        .leads(1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|(a, r)| serde_json::json!([a.id, r.score, r.band]))
        .collect();
    leads.sort_by_key(|v| v[0].as_i64());
    let mut events = serde_json::to_value(app.store.account_events(None).await.unwrap()).unwrap();
    if let Some(list) = events.as_array_mut() {
        list.sort_by_key(|e| (e["id"].as_i64(), e["account_id"].as_i64()));
    }
    let mut health = app.store.source_health().await.unwrap();
    health.sort_by(|a, b| a.name.cmp(&b.name));
    let stats = app.store.stats().await.unwrap();
    let mut found = Vec::new();
    for q in [
        "завод",
        "acquisition OR merger",
        "Техностан",
        "companies:Drayvance",
    ] {
        let (total, hits) = app
            .search(&trigger_radar::search::SearchQuery {
                text: q.into(),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut ids: Vec<i64> = hits.iter().map(|h| h.event.id).collect();
        ids.sort();
        found.push(serde_json::json!([q, total, ids]));
    }
    serde_json::json!({
        "accounts": accounts,
        "views": views,
        "leads": leads,
        "events": events,
        "health": health,
        "stats": [stats.documents, stats.events, stats.accounts, stats.matched_accounts, stats.attached_events],
        "search": found,
        "outbox": app.store.outbox(None).await.unwrap().len(),
        "webhooks": serde_json::to_value(app.store.webhooks().await.unwrap()).unwrap(),
    })
}

/// `base` on another database, with an index of its own in `index`.
fn config_on(base: &Config, index: std::path::PathBuf, url: &str, schema: Option<&str>) -> Config {
    let mut cfg = base.clone();
    cfg.database_url = url.into();
    cfg.database_schema = schema.map(str::to_string);
    cfg.index_dir = index;
    cfg
}

#[tokio::test]
async fn sqlite_to_postgres_and_back_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    // The embedded installation: the demo on SQLite, with a bit of everything.
    let run = trigger_radar::demo::run(dir.path(), false).await.unwrap();
    let app = run.app;
    let leads = app.leads(3).await.unwrap();
    let (account, _) = &leads[0];
    let view = app.account_view(account.id).await.unwrap();
    let event = view.events.first().map(|e| e.event.id);
    app.feedback(
        account.id,
        event,
        Verdict::NotRelevant,
        Some("sdr"),
        Some("wrong plant"),
    )
    .await
    .unwrap();
    app.add_webhook(NewSubscription {
        url: "https://crm.example.com/hook".into(),
        format: "generic".into(),
        ..NewSubscription::default()
    })
    .await
    .unwrap();
    app.create_token("crm").await.unwrap();
    app.rescore().await.unwrap();
    app.catch_up_index().await.unwrap();
    let before = answers(&app).await;
    let base = app.config.clone();
    app.close_indexer().unwrap();
    app.store.close().await;
    drop(app);

    // SQLite → the other engine, with the command users run.
    let sqlite_path = dir.path().join("radar.db");
    let (target_url, target_schema) = match common::pg(&dir.path().join("pg")) {
        Some((url, schema)) => (url, Some(schema)),
        None => (
            format!("sqlite://{}", dir.path().join("copy.db").display()),
            None,
        ),
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trigger-radar"));
    cmd.arg("--data")
        .arg(dir.path())
        .args(["migrate-data", "--from"])
        .arg(&sqlite_path)
        .args(["--to", &target_url]);
    if let Some(s) = &target_schema {
        cmd.args(["--to-schema", s]);
    }
    let o = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("counts and checksums identical"), "{out}");
    assert!(out.contains("events"), "{out}");

    // The copy answers every query the same (its own index rebuilt from its own database).
    let copied = App::open(config_on(
        &base,
        dir.path().join("index-copy"),
        &target_url,
        target_schema.as_deref(),
    ))
    .await
    .unwrap();
    copied.catch_up_index().await.unwrap();
    assert_eq!(answers(&copied).await, before);

    // New rows on the copy get new ids: the sequences moved past the copied ones.
    let a = copied.leads(2).await.unwrap()[1].0.id;
    copied
        .feedback(a, None, Verdict::Taken, Some("sdr"), None)
        .await
        .unwrap();
    let (token_id, _) = copied.create_token("second").await.unwrap();
    assert!(token_id >= 2);

    // A copy into a database that holds data is refused, naming the table.
    let again = Store::open_url(&base, &target_url, target_schema.clone(), false)
        .await
        .unwrap();
    let source = Store::open_url(&base, sqlite_path.to_str().unwrap(), None, true)
        .await
        .unwrap();
    let refused = copy::copy_all(&source, &again, |_, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("not empty"), "{refused}");

    // And back to a new SQLite file: identical to the copy it came from.
    let back_path = dir.path().join("back.db");
    let back = Store::open_url(&base, back_path.to_str().unwrap(), None, false)
        .await
        .unwrap();
    let tables = copy::copy_all(&again, &back, |_, _| {}).await.unwrap();
    assert!(tables.iter().all(|t| t.identical()));
    assert!(
        tables
            .iter()
            .find(|t| t.table == "events")
            .is_some_and(|t| t.target_rows > 50)
    );
    back.close().await;
    let mid = answers(&copied).await;
    copied.close_indexer().unwrap();
    let returned = App::open(config_on(
        &base,
        dir.path().join("index-back"),
        &format!("sqlite://{}", back_path.display()),
        None,
    ))
    .await
    .unwrap();
    returned.catch_up_index().await.unwrap();
    assert_eq!(answers(&returned).await, mid);
    returned.close_indexer().unwrap();
}
