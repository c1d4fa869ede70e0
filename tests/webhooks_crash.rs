//! A `serve` process killed with SIGKILL while deliveries are in flight loses nothing: after a
//! restart every message is delivered at least once, and a receiver that deduplicates by
//! `webhook-id` sees each exactly once.

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use trigger_radar::model::TriggerKind;
use trigger_radar::store::webhooks::{Message, NewSubscription};
use trigger_radar::{App, Config};

const MESSAGES: usize = 120;

fn serve(data: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_trigger-radar"))
        .envs(common::db_env(data))
        .args(["--data"])
        .arg(data)
        .args([
            "--log",
            "warn",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tick",
            "3600",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_delivery() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let app = Router::new()
        .fallback(
            |State(seen): State<Arc<Mutex<Vec<String>>>>, h: HeaderMap| async move {
                // Slow enough that the kill finds requests in flight.
                tokio::time::sleep(Duration::from_millis(40)).await;
                let id = h
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                seen.lock().unwrap().push(id);
                "ok"
            },
        )
        .with_state(seen.clone());
    let base = common::serve(app).await;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(dir.path().join("sources")).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("radar.toml"),
        format!(
            "sources_dirs = [\"{}\"]\n[deliver]\nallow_private = [\"127.0.0.1\"]\nlease_seconds = 2\npoll_ms = 20\nper_endpoint = 4\n",
            dir.path().join("sources").display()
        ),
    )
    .unwrap();
    {
        let cfg = common::with_db(Config::load(Some(&data), None).unwrap());
        let app = App::open(cfg).await.unwrap();
        let mut csv = String::from("crm_id,name\n");
        for i in 0..12 {
            csv.push_str(&format!("c{i},Account Number {i} Ltd\n"));
        }
        std::fs::write(dir.path().join("a.csv"), csv).unwrap();
        app.import_accounts(&dir.path().join("a.csv"))
            .await
            .unwrap();
        app.add_webhook(NewSubscription {
            url: format!("{base}/hook"),
            format: "generic".into(),
            ..NewSubscription::default()
        })
        .await
        .unwrap();
        let mut msgs = Vec::new();
        for n in 0..MESSAGES {
            let a = app
                .store
                .account_by_crm_id(&format!("c{}", n % 12))
                .await
                .unwrap()
                .unwrap();
            let account = app.store.message_account(a.id).await.unwrap().unwrap();
            msgs.push(Message {
                saved_search: None,
                event_type: "trigger.detected",
                kind: Some(TriggerKind::Funding),
                data: serde_json::json!({"account": account, "event": {"n": n}}),
                account,
            });
        }
        let now = chrono::Utc::now().timestamp_millis();
        assert_eq!(
            app.store.enqueue_messages(&msgs, now).await.unwrap(),
            MESSAGES
        );
        app.store.close().await;
    }

    let mut first = serve(&data);
    wait_for("the first deliveries", 60, || {
        seen.lock().unwrap().len() >= 20
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = seen.lock().unwrap().len();
    assert!(at_kill < MESSAGES, "killed mid-run ({at_kill} delivered)");

    let mut second = serve(&data);
    wait_for("every message", 90, || {
        let s = seen.lock().unwrap();
        s.iter().collect::<HashSet<_>>().len() >= MESSAGES
    })
    .await;
    // Let the second process record what it sent, then stop it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    second.kill().unwrap();
    second.wait().unwrap();

    let seen = seen.lock().unwrap().clone();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        MESSAGES,
        "deduplicated by webhook-id, each exactly once"
    );
    assert!(seen.len() >= MESSAGES, "at least once");
    assert!(unique.iter().all(|id| id.starts_with("msg_")));
    let cfg = common::with_db(Config::load(Some(&data), None).unwrap());
    let app = App::open(cfg).await.unwrap();
    let rows = app.store.outbox(None).await.unwrap();
    assert_eq!(rows.len(), MESSAGES);
    assert!(
        rows.iter()
            .all(|r| r.status == "delivered" || r.status == "pending"),
        "nothing dead"
    );
    // Those the killed process had sent but not recorded may still be pending in the database;
    // each of them reached the receiver.
    let ids: HashSet<&str> = rows.iter().map(|r| r.msg_id.as_str()).collect();
    assert!(unique.iter().all(|u| ids.contains(u.as_str())));
}
