//! Webhook delivery against local receivers, on a test clock: retries on schedule with exactly
//! one success, signatures checked by an independent HMAC implementation (tampering and old
//! timestamps fail), rotation, 410, Retry-After, the SSRF guard, a receiver down for a day
//! (everything delivered after, in order per account), the CRM shapes, and messages caused by
//! crawls in the same transaction as their events.

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use trigger_radar::App;
use trigger_radar::deliver::{Clock, Deliverer};
use trigger_radar::model::TriggerKind;
use trigger_radar::store::webhooks::{Message, NewSubscription};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    method: Method,
    path: String,
    id: String,
    ts: String,
    sig: String,
    body: Vec<u8>,
}

#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<Got>>,
    /// Answers to give, in order (status, Retry-After, body); then 200.
    answers: Mutex<VecDeque<(u16, Option<String>, String)>>,
    /// While set, every request gets 503.
    down: Mutex<bool>,
}

async fn receive(
    State(r): State<Arc<Receiver>>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let g = |n: &str| {
        h.get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    r.got.lock().unwrap().push(Got {
        method,
        path: uri.path().to_string(),
        id: g("webhook-id"),
        ts: g("webhook-timestamp"),
        sig: g("webhook-signature"),
        body: body.to_vec(),
    });
    if *r.down.lock().unwrap() {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    let next = r.answers.lock().unwrap().pop_front();
    match next {
        Some((code, retry, body)) => {
            let mut resp = (StatusCode::from_u16(code).unwrap(), body).into_response();
            if let Some(ra) = retry {
                resp.headers_mut()
                    .insert("retry-after", ra.parse().unwrap());
            }
            resp
        }
        None => (StatusCode::OK, "{\"ok\":true}").into_response(),
    }
}

async fn receiver() -> (String, Arc<Receiver>) {
    let r = Arc::new(Receiver::default());
    let app = Router::new().fallback(receive).with_state(r.clone());
    (common::serve(app).await, r)
}

/// The signature check a receiver would write from the Standard Webhooks spec, sharing no code
/// with the project: HMAC-SHA256 over "id.timestamp.body" with the secret's base64 key bytes.
fn verifies(secret: &str, g: &Got, now: i64) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let Ok(ts) = g.ts.parse::<i64>() else {
        return false;
    };
    if (now - ts).abs() > 300 {
        return false;
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", g.id, g.ts).as_bytes());
    mac.update(&g.body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    g.sig.split(' ').any(|s| s == expected)
}

type TestClock = Arc<Mutex<DateTime<Utc>>>;

fn test_clock() -> (TestClock, Clock) {
    let t: TestClock = Arc::new(Mutex::new(Utc::now()));
    let c = t.clone();
    (t, Arc::new(move || *c.lock().unwrap()))
}

fn advance(t: &TestClock, d: Duration) {
    *t.lock().unwrap() += d;
}

async fn instance(dir: &std::path::Path) -> App {
    let mut cfg = common::config(&dir.join("data"));
    cfg.sources_dirs = vec![dir.join("sources")];
    std::fs::create_dir_all(dir.join("sources")).unwrap();
    cfg.deliver.allow_private = vec!["127.0.0.1".into()];
    let app = App::open(cfg).await.unwrap();
    std::fs::write(
        dir.join("accounts.csv"),
        "crm_id,name,domain,segment\n9001,Brightwater Logistics Inc.,brightwater.test,enterprise\n9002,Kelvane Freight LLC,kelvane.test,smb\n9003,ООО «Кедрон»,kedron.test,smb\n",
    )
    .unwrap();
    app.import_accounts(&dir.join("accounts.csv"))
        .await
        .unwrap();
    app
}

fn deliverer(app: &App, clock: Clock) -> Deliverer {
    Deliverer::new(
        app.store.clone(),
        &app.config.deliver,
        "test",
        "test-worker",
        clock,
    )
    .unwrap()
}

async fn message(app: &App, crm: &str, n: usize) -> Message {
    let a = app.store.account_by_crm_id(crm).await.unwrap().unwrap();
    let account = app.store.message_account(a.id).await.unwrap().unwrap();
    Message {
        saved_search: None,
        event_type: "trigger.detected",
        kind: Some(TriggerKind::Acquisition),
        data: json!({"account": account, "event": {"kind": "acquisition", "status": "announced",
            "confidence": 0.9, "evidence": format!("{} agreed to buy a rival (#{n}).", account.name),
            "url": format!("https://news.test/{crm}/{n}"), "published_at": "2026-12-01T10:00:00+00:00"}}),
        account,
    }
}

/// An RSS feed of (slug, text) items at https://news.test/{slug}.
fn feed(items: &[(&str, &str)]) -> String {
    let mut x =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>");
    for (slug, text) in items {
        x.push_str(&format!(
            "<item><title>{text}</title><link>https://news.test/{slug}</link><description>{text}</description>\
             <pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>"
        ));
    }
    x + "</channel></rss>"
}

async fn add(app: &App, url: &str, format: &str) -> (i64, String) {
    let c = app
        .add_webhook(NewSubscription {
            url: url.into(),
            format: format.into(),
            ..NewSubscription::default()
        })
        .await
        .unwrap();
    (c.subscription.id, c.secret)
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_on_schedule_and_one_success() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let (id, secret) = add(&app, &format!("{base}/hook"), "generic").await;
    let (t, clock) = test_clock();
    let d = deliverer(&app, clock);
    let now = t.lock().unwrap().timestamp_millis();
    app.store
        .enqueue_messages(&[message(&app, "9001", 1).await], now)
        .await
        .unwrap();
    rx.answers.lock().unwrap().extend([
        (500, None, "boom".to_string()),
        (502, None, "bad gateway".to_string()),
    ]);

    let r = d.deliver_due(100).await.unwrap();
    assert_eq!((r.attempted, r.retrying), (1, 1));
    // Not due yet: the first retry waits 5 s ± 10%.
    advance(&t, Duration::seconds(4));
    assert_eq!(d.deliver_due(100).await.unwrap().attempted, 0);
    advance(&t, Duration::seconds(2));
    let r = d.deliver_due(100).await.unwrap();
    assert_eq!((r.attempted, r.retrying), (1, 1));
    // The second waits 30 s ± 10%.
    advance(&t, Duration::seconds(26));
    assert_eq!(d.deliver_due(100).await.unwrap().attempted, 0);
    advance(&t, Duration::seconds(8));
    let r = d.deliver_due(100).await.unwrap();
    assert_eq!((r.attempted, r.delivered), (1, 1));
    advance(&t, Duration::hours(1));
    assert_eq!(
        d.deliver_due(100).await.unwrap().attempted,
        0,
        "delivered once"
    );

    let got = rx.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|g| g.id == got[0].id),
        "one webhook-id across retries"
    );
    let log = app.store.delivery_log(id, 10).await.unwrap();
    let outcomes: Vec<&str> = log.iter().rev().map(|l| l.outcome.as_str()).collect();
    assert_eq!(outcomes, ["retry", "retry", "delivered"]);
    assert_eq!(log[2].status_code, Some(500));
    assert_eq!(log[2].response_excerpt.as_deref(), Some("boom"));
    let counts = app.store.outbox_counts(id).await.unwrap();
    assert_eq!((counts.pending, counts.delivered, counts.dead), (0, 1, 0));
    // Signed every time with the secret, checked independently.
    for g in &got {
        assert!(verifies(&secret, g, g.ts.parse().unwrap()), "{g:?}");
    }
}

#[tokio::test]
async fn signatures_verify_independently_and_tampering_or_replay_fails() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let (id, secret) = add(&app, &format!("{base}/hook"), "generic").await;
    let (t, clock) = test_clock();
    let d = deliverer(&app, clock);
    let now = t.lock().unwrap().timestamp_millis();
    app.store
        .enqueue_messages(&[message(&app, "9002", 1).await], now)
        .await
        .unwrap();
    d.deliver_due(10).await.unwrap();
    let g = rx.got.lock().unwrap()[0].clone();
    let ts: i64 = g.ts.parse().unwrap();
    assert!(g.id.starts_with("msg_"));
    assert!(verifies(&secret, &g, ts));
    let body: Value = serde_json::from_slice(&g.body).unwrap();
    assert_eq!(body["type"], "trigger.detected");
    assert_eq!(body["id"], g.id.as_str());
    assert_eq!(body["data"]["account"]["crm_id"], "9002");
    let mut tampered = g.clone();
    tampered.body = String::from_utf8(g.body.clone())
        .unwrap()
        .replace("0.9", "1.0")
        .into_bytes();
    assert!(!verifies(&secret, &tampered, ts), "a changed body fails");
    assert!(!verifies(&secret, &g, ts + 3600), "an old timestamp fails");
    let other = trigger_radar::deliver::sign::generate_secret().unwrap();
    assert!(!verifies(&other, &g, ts), "another secret fails");

    // After a rotation both secrets verify during the grace period.
    let new = app.rotate_webhook(id, None).await.unwrap();
    app.store
        .enqueue_messages(&[message(&app, "9002", 2).await], now)
        .await
        .unwrap();
    d.deliver_due(10).await.unwrap();
    let g2 = rx.got.lock().unwrap()[1].clone();
    assert_eq!(g2.sig.split(' ').count(), 2, "{}", g2.sig);
    let ts2 = g2.ts.parse().unwrap();
    assert!(verifies(&new, &g2, ts2) && verifies(&secret, &g2, ts2));
    // The grace period over, only the new secret signs.
    advance(&t, Duration::hours(25));
    let now = t.lock().unwrap().timestamp_millis();
    app.store
        .enqueue_messages(&[message(&app, "9002", 3).await], now)
        .await
        .unwrap();
    d.deliver_due(10).await.unwrap();
    let g3 = rx.got.lock().unwrap()[2].clone();
    let ts3 = g3.ts.parse().unwrap();
    assert!(verifies(&new, &g3, ts3) && !verifies(&secret, &g3, ts3));
}

#[tokio::test]
async fn gone_disables_retry_after_is_honoured_and_private_targets_are_refused() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let (gone, _) = add(&app, &format!("{base}/gone"), "generic").await;
    let (t, clock) = test_clock();
    let d = deliverer(&app, clock);
    let now = t.lock().unwrap().timestamp_millis();
    app.store
        .enqueue_messages(
            &[
                message(&app, "9001", 1).await,
                message(&app, "9002", 1).await,
            ],
            now,
        )
        .await
        .unwrap();
    rx.answers
        .lock()
        .unwrap()
        .push_back((410, None, String::new()));
    let r = d.deliver_due(10).await.unwrap();
    assert_eq!(r.disabled, 1);
    let s = app.store.webhook(gone).await.unwrap().unwrap();
    assert!(s.disabled_at.is_some() && s.disabled_reason.unwrap().contains("410"));
    advance(&t, Duration::hours(1));
    assert_eq!(
        d.deliver_due(10).await.unwrap().attempted,
        0,
        "nothing is sent to a disabled endpoint"
    );
    // The message in flight beside it went through; the refused one waits.
    let c = app.store.outbox_counts(gone).await.unwrap();
    assert_eq!((c.pending, c.delivered), (1, 1), "its messages wait");
    app.store.delete_webhook(gone).await.unwrap();

    // 429 with Retry-After: 120 s is waited out although the schedule says 5 s.
    let (slow, _) = add(&app, &format!("{base}/busy"), "generic").await;
    let now = t.lock().unwrap().timestamp_millis();
    app.store
        .enqueue_messages(&[message(&app, "9003", 1).await], now)
        .await
        .unwrap();
    rx.answers
        .lock()
        .unwrap()
        .push_back((429, Some("120".into()), String::new()));
    assert_eq!(d.deliver_due(10).await.unwrap().retrying, 1);
    advance(&t, Duration::seconds(60));
    assert_eq!(d.deliver_due(10).await.unwrap().attempted, 0);
    advance(&t, Duration::seconds(61));
    assert_eq!(d.deliver_due(10).await.unwrap().delivered, 1);
    app.store.delete_webhook(slow).await.unwrap();

    // The SSRF guard: a private literal is refused when subscribing (127.0.0.1 is allowed in
    // this instance's config, 127.0.0.2 is not), a name resolving to loopback when sending.
    let e = app
        .add_webhook(NewSubscription {
            url: "http://127.0.0.2:9/x".into(),
            format: "generic".into(),
            ..NewSubscription::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("deliver.allow_private"), "{e}");
    let e = app
        .add_webhook(NewSubscription {
            url: "http://169.254.169.254/latest".into(),
            format: "generic".into(),
            ..NewSubscription::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("private"), "{e}");
    let port = base.rsplit(':').next().unwrap();
    let (named, _) = add(&app, &format!("http://localhost:{port}/x"), "generic").await;
    let now = t.lock().unwrap().timestamp_millis();
    app.store
        .enqueue_messages(&[message(&app, "9001", 9).await], now)
        .await
        .unwrap();
    let before = rx.got.lock().unwrap().len();
    // A deliverer with no exception for 127.0.0.1 (the default configuration).
    let tc = t.clone();
    let strict_clock: Clock = Arc::new(move || *tc.lock().unwrap());
    let strict = Deliverer::new(
        app.store.clone(),
        &trigger_radar::config::DeliverConfig::default(),
        "test",
        "strict",
        strict_clock,
    )
    .unwrap();
    assert_eq!(strict.deliver_due(10).await.unwrap().retrying, 1);
    assert_eq!(
        rx.got.lock().unwrap().len(),
        before,
        "nothing reached the receiver"
    );
    let log = app.store.delivery_log(named, 1).await.unwrap();
    assert!(
        log[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("deliver.allow_private"),
        "{:?}",
        log[0].error
    );
}

#[tokio::test]
async fn a_day_down_then_everything_arrives_in_order_per_account() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let (id, _) = add(&app, &format!("{base}/hook"), "generic").await;
    let (t, clock) = test_clock();
    let d = deliverer(&app, clock);
    *rx.down.lock().unwrap() = true;
    let mut msgs = Vec::new();
    for n in 0..4 {
        for crm in ["9001", "9002", "9003"] {
            msgs.push(message(&app, crm, n).await);
        }
    }
    let now = t.lock().unwrap().timestamp_millis();
    app.store.enqueue_messages(&msgs, now).await.unwrap();
    // A day of failures, the worker checking every 5 simulated minutes.
    let mut tries = 0;
    for _ in 0..(24 * 12) {
        tries += d.deliver_due(100).await.unwrap().attempted;
        advance(&t, Duration::minutes(5));
    }
    assert!(tries >= 3 * 9, "retried all day: {tries}");
    assert_eq!(app.store.outbox_counts(id).await.unwrap().dead, 0);
    *rx.down.lock().unwrap() = false;
    for _ in 0..(48 * 12) {
        d.deliver_due(100).await.unwrap();
        if app.store.outbox_counts(id).await.unwrap().pending == 0 {
            break;
        }
        advance(&t, Duration::minutes(5));
    }
    let c = app.store.outbox_counts(id).await.unwrap();
    assert_eq!((c.pending, c.delivered, c.dead), (0, 12, 0));
    // Deduplicated by webhook-id, each message arrived once, and per account in order.
    let got = rx.got.lock().unwrap().clone();
    let mut seen = std::collections::HashSet::new();
    let mut order: std::collections::HashMap<String, Vec<String>> = Default::default();
    for g in got.iter().filter(|g| g.path == "/hook") {
        let body: Value = serde_json::from_slice(&g.body).unwrap();
        let evidence = body["data"]["event"]["evidence"]
            .as_str()
            .unwrap()
            .to_string();
        let crm = body["data"]["account"]["crm_id"]
            .as_str()
            .unwrap()
            .to_string();
        if seen.insert(g.id.clone()) {
            order.entry(crm).or_default().push(evidence);
        }
    }
    assert_eq!(seen.len(), 12);
    for (crm, list) in order {
        let nums: Vec<char> = list
            .iter()
            .map(|e| e.chars().rev().nth(2).unwrap())
            .collect();
        assert_eq!(nums, ['0', '1', '2', '3'], "{crm}: {list:?}");
    }
}

#[tokio::test]
async fn crm_adapters_send_the_documented_shapes() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let token_env = "TRIGGER_RADAR_TEST_CRM_TOKEN_ADAPTERS";
    let hub = app
        .add_webhook(NewSubscription {
            url: format!("{base}/hubspot"),
            format: "hubspot".into(),
            options: Some(json!({"event_name": "pe123_trigger_radar", "token_env": token_env})),
            ..NewSubscription::default()
        })
        .await
        .unwrap();
    let (bx, _) = add(&app, &format!("{base}/rest/1/key123/"), "bitrix24").await;
    let (amo, _) = add(&app, &format!("{base}/amo"), "amocrm").await;
    let (t, clock) = test_clock();
    let d = deliverer(&app, clock);
    let now = t.lock().unwrap().timestamp_millis();
    let trigger = message(&app, "9001", 1).await;
    let mut readiness = message(&app, "9001", 2).await;
    readiness.event_type = "account.readiness_changed";
    readiness.kind = None;
    readiness.data = json!({"account": readiness.account, "old": {"score": 41, "band": "warm"},
        "new": {"score": 72, "band": "hot"}, "why_now": "M&A (2026-12-01): Brightwater agreed to buy a rival"});
    app.store
        .enqueue_messages(&[trigger, readiness], now)
        .await
        .unwrap();
    // Bitrix24 refuses the first call (more than 2 a second).
    rx.answers.lock().unwrap().clear();
    let mut all = 0;
    for _ in 0..10 {
        all += d.deliver_due(100).await.unwrap().delivered;
        advance(&t, Duration::seconds(5));
    }
    assert_eq!(all, 6, "two messages to three CRMs");
    let got = rx.got.lock().unwrap().clone();
    let body = |path: &str, m: &Method| -> Vec<Value> {
        got.iter()
            .filter(|g| g.path == path && g.method == m)
            .map(|g| serde_json::from_slice(&g.body).unwrap())
            .collect()
    };
    let ev = body("/hubspot/events/v3/send", &Method::POST);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["eventName"], "pe123_trigger_radar");
    assert_eq!(ev[0]["objectId"], 9001);
    assert_eq!(ev[0]["occurredAt"], "2026-12-01T10:00:00+00:00");
    assert_eq!(ev[0]["uuid"].as_str().unwrap().len(), 36);
    assert_eq!(ev[0]["properties"]["trigger_kind"], "acquisition");
    let patch = body("/hubspot/crm/v3/objects/companies/9001", &Method::PATCH);
    assert_eq!(patch[0]["properties"]["trigger_radar_readiness"], 72);
    assert_eq!(patch[0]["properties"]["trigger_radar_band"], "hot");
    let bx_calls = body(
        "/rest/1/key123/crm.timeline.comment.add.json",
        &Method::POST,
    );
    assert_eq!(bx_calls.len(), 2);
    assert_eq!(bx_calls[0]["fields"]["ENTITY_TYPE"], "company");
    assert_eq!(bx_calls[0]["fields"]["ENTITY_ID"], 9001);
    assert!(
        bx_calls[0]["fields"]["COMMENT"]
            .as_str()
            .unwrap()
            .contains("agreed to buy")
    );
    assert!(
        bx_calls[1]["fields"]["COMMENT"]
            .as_str()
            .unwrap()
            .contains("41 → 72")
    );
    let notes = body("/amo/api/v4/companies/notes", &Method::POST);
    assert_eq!(notes[0][0]["entity_id"], 9001);
    assert_eq!(notes[0][0]["note_type"], "extended_service_message");
    assert_eq!(notes[0][0]["params"]["service"], "Trigger Radar");
    assert!(app.store.outbox_counts(bx).await.unwrap().pending == 0);
    assert!(app.store.outbox_counts(amo).await.unwrap().pending == 0);
    assert!(
        app.store
            .outbox_counts(hub.subscription.id)
            .await
            .unwrap()
            .pending
            == 0
    );
}

#[tokio::test]
async fn bitrix_limits_are_respected() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let (bx, _) = add(&app, &format!("{base}/rest/7/k/"), "bitrix24").await;
    let (t, clock) = test_clock();
    let d = deliverer(&app, clock);
    let now = t.lock().unwrap().timestamp_millis();
    let mut msgs = Vec::new();
    for crm in ["9001", "9002", "9003"] {
        msgs.push(message(&app, crm, 1).await);
    }
    app.store.enqueue_messages(&msgs, now).await.unwrap();
    rx.answers.lock().unwrap().push_back((
        503,
        None,
        "{\"error\":\"QUERY_LIMIT_EXCEEDED\",\"error_description\":\"Too many requests\"}".into(),
    ));
    let started = std::time::Instant::now();
    let r = d.deliver_due(10).await.unwrap();
    assert_eq!((r.delivered, r.retrying), (2, 1));
    // Three calls to one portal, at most 2 a second: the third starts ≥ 1 s after the first.
    assert!(started.elapsed() >= std::time::Duration::from_millis(1000));
    let log = app.store.delivery_log(bx, 10).await.unwrap();
    let limited = log.iter().find(|l| l.outcome == "retry").unwrap();
    assert!(
        limited
            .response_excerpt
            .as_deref()
            .unwrap()
            .contains("QUERY_LIMIT_EXCEEDED")
    );
    advance(&t, Duration::seconds(10));
    assert_eq!(d.deliver_due(10).await.unwrap().delivered, 1);
    assert_eq!(rx.got.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn crawls_enqueue_triggers_with_their_events_but_not_for_the_baseline() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let (id, secret) = add(&app, &format!("{base}/hook"), "generic").await;
    let src = dir.path().join("sources");
    std::fs::write(
        src.join("n.toml"),
        "name = \"n\"\nkind = \"feed\"\nurl = \"n.xml\"\n",
    )
    .unwrap();
    std::fs::write(
        src.join("n.xml"),
        feed(&[(
            "a",
            "Brightwater Logistics Inc. agreed to acquire Ostmark Foods for $300 million.",
        )]),
    )
    .unwrap();
    app.crawl(None, false, false).await.unwrap();
    let first = app.store.outbox(Some(id)).await.unwrap();
    assert!(
        first.iter().all(|m| m.event_type != "trigger.detected"),
        "the first crawl is history: {:?}",
        first.iter().map(|m| &m.event_type).collect::<Vec<_>>()
    );
    std::fs::write(
        src.join("n.xml"),
        feed(&[
            (
                "a",
                "Brightwater Logistics Inc. agreed to acquire Ostmark Foods for $300 million.",
            ),
            (
                "b",
                "Kelvane Freight LLC opened a new distribution centre in Ohio.",
            ),
        ]),
    )
    .unwrap();
    app.crawl(None, false, false).await.unwrap();
    let msgs = app.store.outbox(Some(id)).await.unwrap();
    let triggers: Vec<Value> = msgs
        .iter()
        .filter(|m| m.event_type == "trigger.detected")
        .map(|m| serde_json::from_str(&m.payload).unwrap())
        .collect();
    assert_eq!(triggers.len(), 1, "{triggers:?}");
    assert_eq!(triggers[0]["data"]["account"]["crm_id"], "9002");
    assert_eq!(triggers[0]["data"]["event"]["kind"], "new_facility");
    assert_eq!(triggers[0]["data"]["event"]["url"], "https://news.test/b");
    // Every stored trigger.detected message has its event in the database.
    let ev_id = triggers[0]["data"]["event"]["id"].as_i64().unwrap();
    assert_eq!(app.store.events_by_ids(&[ev_id]).await.unwrap().len(), 1);
    // Readiness crossing a band is a message of its own.
    assert!(
        msgs.iter()
            .any(|m| m.event_type == "account.readiness_changed"),
        "{:?}",
        msgs.iter().map(|m| &m.event_type).collect::<Vec<_>>()
    );
    let (_, clock) = test_clock();
    let d = deliverer(&app, clock);
    // One account's messages go one at a time, in order.
    while d.deliver_due(100).await.unwrap().attempted > 0 {}
    let got = rx.got.lock().unwrap().clone();
    assert_eq!(got.len(), msgs.len());
    assert!(
        got.iter()
            .all(|g| verifies(&secret, g, g.ts.parse().unwrap()))
    );
    app.close_indexer().unwrap();
}

#[tokio::test]
async fn accounts_are_pushed_through_the_api_with_a_token_and_a_signature() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::config(&dir.path().join("data"));
    let inbound = trigger_radar::deliver::sign::generate_secret().unwrap();
    cfg.api.inbound_secret = Some(inbound.clone());
    let app = Arc::new(App::open(cfg).await.unwrap());
    let (_, token) = app.create_token("crm-sync").await.unwrap();
    let base = common::serve(trigger_radar::web::router(app.clone())).await;
    let body = json!([
        {"crm_id": "h-1", "name": "ООО «Ромашка»", "inn": "7707083893"},
        {"crm_id": "h-2", "name": "Broken Inn Ltd", "inn": "1234567890"},
        {"crm_id": "h-3", "name": "Halden Precision Ltd", "domain": "halden.test"}
    ])
    .to_string();
    let client = reqwest::Client::new();
    let post = |auth: Option<&str>, signed: bool, body: String| {
        let mut r = client
            .post(format!("{base}/api/accounts"))
            .body(body.clone());
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        if signed {
            let id = "msg_push_1";
            let ts = Utc::now().timestamp();
            let key = base64::engine::general_purpose::STANDARD
                .decode(inbound.strip_prefix("whsec_").unwrap())
                .unwrap();
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
            mac.update(format!("{id}.{ts}.{body}").as_bytes());
            let sig = format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            );
            r = r
                .header("webhook-id", id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig);
        }
        r.send()
    };
    let r = post(None, true, body.clone()).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("tokens create"));
    let r = post(Some("trr_wrong"), true, body.clone()).await.unwrap();
    assert_eq!(r.status(), 401);
    let r = post(Some(&token), false, body.clone()).await.unwrap();
    assert_eq!(r.status(), 401, "unsigned although a secret is set");
    let r = post(Some(&token), true, body.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["inserted"], 2);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["row"], 2);
    assert!(
        rejected[0]["message"].as_str().unwrap().contains("INN"),
        "{rejected:?}"
    );
    assert!(app.store.account_by_crm_id("h-3").await.unwrap().is_some());
    // Nothing valid at all is 422.
    let r = post(Some(&token), true, json!([{"crm_id": "x"}]).to_string())
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // The webhook API is behind the token too, and shows no secrets when listing.
    let r = client
        .get(format!("{base}/api/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(format!("{base}/api/webhooks"))
        .bearer_auth(&token)
        .json(&json!({"url": "http://10.0.0.5/hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "private address refused");
    let r = client
        .post(format!("{base}/api/webhooks"))
        .bearer_auth(&token)
        .json(&json!({"url": "https://crm.example/hook", "format": "generic", "kinds": ["acquisition"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let listed = client
        .get(format!("{base}/api/webhooks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("crm.example") && !listed.contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_does_not_hold_up_the_others() {
    let slow = Router::new().fallback(|| async {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        "late"
    });
    let slow_base = common::serve(slow).await;
    let (fast_base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let (slow_id, _) = add(&app, &format!("{slow_base}/hook"), "generic").await;
    let (fast_id, _) = add(&app, &format!("{fast_base}/hook"), "generic").await;
    let mut msgs = Vec::new();
    for n in 0..5 {
        for crm in ["9001", "9002", "9003"] {
            msgs.push(message(&app, crm, n).await);
        }
    }
    let now = Utc::now().timestamp_millis();
    // Each message goes to both subscriptions: 15 to the slow one, 15 to the fast one.
    assert_eq!(app.store.enqueue_messages(&msgs, now).await.unwrap(), 30);
    let d = Arc::new(deliverer(&app, trigger_radar::deliver::wall_clock()));
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(d.clone().run(stop_rx));
    let start = std::time::Instant::now();
    while app.store.outbox_counts(fast_id).await.unwrap().delivered < 15 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "the fast endpoint waited for the slow one"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(rx.got.lock().unwrap().len(), 15);
    assert!(app.store.outbox_counts(slow_id).await.unwrap().delivered < 15);
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[tokio::test]
async fn a_saved_search_alerts_its_webhook_once_for_each_new_match() {
    let (base, rx) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(dir.path()).await;
    let src = dir.path().join("sources");
    std::fs::write(
        src.join("n.toml"),
        "name = \"n\"\nkind = \"feed\"\nurl = \"n.xml\"\n",
    )
    .unwrap();
    let history = (
        "a",
        "Brightwater Logistics Inc. agreed to acquire Ostmark Foods for $300 million.",
    );
    std::fs::write(src.join("n.xml"), feed(&[history])).unwrap();
    app.crawl(None, false, false).await.unwrap();
    app.catch_up_index().await.unwrap();

    let saved = app
        .store
        .save_search("Acquisitions", "kind=acquisition", "k3y")
        .await
        .unwrap();
    // What a saved search's webhook may and may not be.
    let refused = |s: NewSubscription| {
        let app = &app;
        async move { app.add_webhook(s).await.unwrap_err().to_string() }
    };
    let url = format!("{base}/alerts");
    let e = refused(NewSubscription {
        url: url.clone(),
        format: "generic".into(),
        saved_search: Some(saved.id + 100),
        ..NewSubscription::default()
    })
    .await;
    assert!(e.contains("no saved search with id"), "{e}");
    let e = refused(NewSubscription {
        url: url.clone(),
        format: "hubspot".into(),
        saved_search: Some(saved.id),
        ..NewSubscription::default()
    })
    .await;
    assert!(e.contains("generic"), "{e}");
    let e = refused(NewSubscription {
        url: url.clone(),
        format: "generic".into(),
        event_types: vec!["search.matched".into()],
        ..NewSubscription::default()
    })
    .await;
    assert!(e.contains("saved search"), "{e}");

    let created = app
        .add_webhook(NewSubscription {
            url: url.clone(),
            format: "generic".into(),
            saved_search: Some(saved.id),
            ..NewSubscription::default()
        })
        .await
        .unwrap();
    let hook = created.subscription.id;
    let (other, _) = add(&app, &format!("{base}/crm"), "generic").await;

    std::fs::write(
        src.join("n.xml"),
        feed(&[
            history,
            (
                "b",
                "Kelvane Freight LLC opened a new distribution centre in Ohio.",
            ),
            (
                "c",
                "Ostmark Foods agreed to acquire Lindqvist Dairy for $40 million.",
            ),
            (
                "d",
                "Kelvane Freight LLC agreed to acquire Harbor Reefer Lines for $75 million.",
            ),
        ]),
    )
    .unwrap();
    app.crawl(None, false, false).await.unwrap();
    app.catch_up_index().await.unwrap();

    let alerts = |msgs: Vec<trigger_radar::store::webhooks::OutboxRow>| -> Vec<Value> {
        msgs.into_iter()
            .filter(|m| m.event_type == "search.matched")
            .map(|m| serde_json::from_str(&m.payload).unwrap())
            .collect()
    };
    let sent = alerts(app.store.outbox(Some(hook)).await.unwrap());
    let mut urls: Vec<&str> = sent
        .iter()
        .map(|m| m["data"]["event"]["url"].as_str().unwrap())
        .collect();
    urls.sort();
    // The new acquisitions, not the new plant, not the history crawled before the search.
    assert_eq!(
        urls,
        ["https://news.test/c", "https://news.test/d"],
        "{sent:#?}"
    );
    assert_eq!(sent[0]["data"]["saved_search"]["id"], saved.id);
    assert_eq!(sent[0]["data"]["saved_search"]["name"], "Acquisitions");
    assert!(
        sent[0]["data"]["saved_search"]["feed"]
            .as_str()
            .unwrap()
            .ends_with("/feeds/searches/k3y.atom")
    );
    let d_alert = sent
        .iter()
        .find(|m| m["data"]["event"]["url"] == "https://news.test/d")
        .unwrap();
    assert_eq!(
        d_alert["data"]["accounts"][0]["name"],
        "Kelvane Freight LLC"
    );
    // Only the search's own subscription gets its matches; it gets nothing else.
    let outbox = app.store.outbox(Some(hook)).await.unwrap();
    assert!(outbox.iter().all(|m| m.event_type == "search.matched"));
    assert!(alerts(app.store.outbox(Some(other)).await.unwrap()).is_empty());

    // The same events are not sent twice: not on the next pass, nor when re-stored.
    app.catch_up_index().await.unwrap();
    app.crawl(None, false, false).await.unwrap();
    app.catch_up_index().await.unwrap();
    assert_eq!(alerts(app.store.outbox(Some(hook)).await.unwrap()).len(), 2);

    let (_, clock) = test_clock();
    let d = deliverer(&app, clock);
    while d.deliver_due(100).await.unwrap().attempted > 0 {}
    let got: Vec<Got> = rx
        .got
        .lock()
        .unwrap()
        .iter()
        .filter(|g| g.path == "/alerts")
        .cloned()
        .collect();
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|g| verifies(&created.secret, g, g.ts.parse().unwrap()))
    );
    app.close_indexer().unwrap();
}
