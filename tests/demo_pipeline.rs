//! The demo pipeline end to end in a temporary folder: planted events land on the right accounts
//! with the right kind and role; planted traps (a denial, a minister, a negation, a house, a
//! footballer) produce no event; the windows-1251 feed reads without mojibake; `reindex` restores
//! search after the index folder is deleted.

mod common;

use std::collections::{HashMap, HashSet};
use trigger_radar::model::{AccountEvent, Role, TriggerKind};
use trigger_radar::search::SearchQuery;
use trigger_radar::{App, Config};

const BASE: &str = "https://demo.trigger-radar.local/";

async fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let run = trigger_radar::demo::run_with(common::config(dir.path()), false)
        .await
        .expect("demo runs");
    run.app.close_indexer().unwrap();
    (dir, run.app)
}

/// Account events keyed by (crm id, kind).
async fn by_account(app: &App) -> HashMap<(String, TriggerKind), Vec<AccountEvent>> {
    let accounts: HashMap<i64, String> = app
        .store
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.crm_id))
        .collect();
    let mut out: HashMap<(String, TriggerKind), Vec<AccountEvent>> = HashMap::new();
    for ae in app.store.account_events(None).await.unwrap() {
        out.entry((accounts[&ae.account_id].clone(), ae.event.kind))
            .or_default()
            .push(ae);
    }
    out
}

fn has(
    m: &HashMap<(String, TriggerKind), Vec<AccountEvent>>,
    crm: &str,
    kind: TriggerKind,
    url_tail: &str,
    role: Role,
) -> bool {
    m.get(&(crm.to_string(), kind)).is_some_and(|v| {
        v.iter()
            .any(|ae| ae.event.url == format!("{BASE}{url_tail}") && ae.role == role)
    })
}

#[tokio::test]
async fn planted_events_land_on_their_accounts_and_traps_do_not() {
    let (_dir, app) = demo().await;
    let m = by_account(&app).await;
    let planted = [
        (
            "hs-1001",
            TriggerKind::Acquisition,
            "ru-business/uralkhimplast-pokupaet-ferrovix",
            Role::Acquirer,
        ),
        (
            "hs-1005",
            TriggerKind::Acquisition,
            "ru-business/uralkhimplast-pokupaet-ferrovix",
            Role::Target,
        ),
        (
            "hs-1002",
            TriggerKind::NewFacility,
            "ru-regions-1251/tekhnostan-otkryl-zavod-chelyabinsk",
            Role::Subject,
        ),
        (
            "hs-1012",
            TriggerKind::ContractLost,
            "ru-business/orteks-kabel-poteryal-klienta",
            Role::Subject,
        ),
        (
            "hs-1025",
            TriggerKind::ExecutiveHire,
            "en-wire/hallowind-names-okafor-ceo",
            Role::Subject,
        ),
        (
            "hs-1025",
            TriggerKind::Layoffs,
            "en-wire/hallowind-to-cut-1200-jobs",
            Role::Subject,
        ),
        (
            "hs-1020",
            TriggerKind::Funding,
            "en-wire/norvane-robotics-series-b",
            Role::Subject,
        ),
        (
            "hs-1019",
            TriggerKind::Acquisition,
            "en-wire/brightwater-to-buy-drayvance",
            Role::Acquirer,
        ),
        (
            "hs-1033",
            TriggerKind::Acquisition,
            "en-wire/brightwater-to-buy-drayvance",
            Role::Target,
        ),
    ];
    let mut missing = Vec::new();
    for (crm, kind, url, role) in planted {
        if !has(&m, crm, kind, url, role) {
            let got: Vec<String> = m
                .iter()
                .filter(|((c, _), _)| c == crm)
                .flat_map(|((_, k), v)| {
                    v.iter()
                        .map(move |ae| format!("{k} {:?} {}", ae.role, ae.event.url))
                })
                .collect();
            missing.push(format!("{crm} {kind} {role:?} {url}; account has: {got:?}"));
        }
    }
    assert!(
        missing.is_empty(),
        "planted events not found:\n{}",
        missing.join("\n")
    );

    // Traps: no event at all may come from these documents.
    let traps = [
        "ru-business/strojvital-oproverg-sluhi", // «опровергла слухи о продаже»
        "ru-business/prezident-naznachil-ministra-promyshlennosti", // a minister, not a company
        "ru-regions-1251/tajgalesinvest-ne-zakroet-zavod", // «не планирует закрывать завод»
        "ru-business/videobloger-kupil-penthaus", // a person buys a flat
        "en-wire/riverside-athletic-signs-larrain", // a football club buys a player
        "en-markets/veltrusa-denies-vejas-talks", // "denies it is in talks to buy"
    ];
    let all = app.store.events_after(0, 100_000).await.unwrap();
    let trap_urls: HashSet<String> = traps.iter().map(|t| format!("{BASE}{t}")).collect();
    let fired: Vec<String> = all
        .iter()
        .filter(|e| trap_urls.contains(&e.url))
        .map(|e| format!("{} {}: {}", e.kind, e.url, e.evidence))
        .collect();
    assert!(
        fired.is_empty(),
        "traps produced events:\n{}",
        fired.join("\n")
    );

    // One account's events are exactly its share of all attached events.
    let all_attached = app.store.account_events(None).await.unwrap();
    let id = all_attached[0].account_id;
    let own = app.store.account_events(Some(id)).await.unwrap();
    assert!(!own.is_empty() && own.iter().all(|e| e.account_id == id));
    assert_eq!(
        own.len(),
        all_attached.iter().filter(|e| e.account_id == id).count()
    );

    // Scores exist and are explained.
    let leads = app.leads(5).await.unwrap();
    assert_eq!(leads.len(), 5);
    assert!(leads[0].1.score >= leads[4].1.score);
    assert!(!leads[0].1.contributions.is_empty());
    assert!(!leads[0].1.why_now.is_empty());
}

#[tokio::test]
async fn windows_1251_feed_reads_without_mojibake() {
    let (_dir, app) = demo().await;
    let (total, found) = app
        .search(&SearchQuery {
            text: "Челябинске".into(),
            limit: 10,
            ..SearchQuery::default()
        })
        .await
        .unwrap();
    assert!(
        total >= 1,
        "the Cyrillic word from the windows-1251 feed is searchable"
    );
    assert!(
        found
            .iter()
            .any(|f| f.event.title == "«Техностан» открыл новый завод в Челябинске"),
        "titles: {:?}",
        found.iter().map(|f| &f.event.title).collect::<Vec<_>>()
    );
    let health = app.store.source_health().await.unwrap();
    let regions = health
        .iter()
        .find(|h| h.name == "demo-ru-regions")
        .expect("source registered");
    assert_eq!(regions.last_status.as_deref(), Some("ok"));
    assert_eq!(regions.items_seen, 22);
}

#[tokio::test]
async fn recrawl_skips_unchanged_documents() {
    let (dir, app) = demo().await;
    let before = app.store.stats().await.unwrap();
    let r = app.crawl(None, false, false).await.unwrap();
    app.close_indexer().unwrap();
    assert_eq!(r.new_documents(), 0, "nothing changed, nothing reprocessed");
    assert_eq!(r.items(), 92);
    let after = app.store.stats().await.unwrap();
    assert_eq!(before.events, after.events);
    drop(dir);
}

#[tokio::test]
async fn reindex_restores_search_after_index_is_deleted() {
    let (dir, app) = demo().await;
    let queries = ["завод", "purchase", "Техностан", "назначен"];
    let mut before = Vec::new();
    for q in queries {
        before.push(hits(&app, q).await);
    }
    assert!(
        before.iter().all(|(t, _)| *t > 0),
        "each query finds something: {before:?}"
    );
    let index_dir = app.config.index_dir.clone();
    drop(app);
    std::fs::remove_dir_all(&index_dir).unwrap();

    let app = App::open(Config {
        sources_dirs: vec![dir.path().join("demo-sources")],
        ..common::config(dir.path())
    })
    .await
    .unwrap();
    let (empty, _) = app
        .search(&SearchQuery {
            text: "завод".into(),
            limit: 10,
            ..SearchQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(empty, 0, "a fresh index is empty");
    let n = app.reindex(false).await.unwrap();
    assert_eq!(n as i64, app.store.stats().await.unwrap().events);
    for (q, expected) in queries.iter().zip(before) {
        assert_eq!(hits(&app, q).await, expected, "query {q}");
    }
}

/// Total hits of a search and the sorted ids of the events found.
async fn hits(app: &App, q: &str) -> (usize, Vec<i64>) {
    let (total, found) = app
        .search(&SearchQuery {
            text: q.into(),
            limit: 100,
            ..SearchQuery::default()
        })
        .await
        .unwrap();
    let mut ids: Vec<i64> = found.iter().map(|f| f.event.id).collect();
    ids.sort();
    (total, ids)
}

#[tokio::test]
async fn the_demos_score_history_builds_up_to_the_score_shown() {
    let (_dir, app) = demo().await;
    let newest = app.store.newest_document_at().await.unwrap().unwrap();
    let leads = app.leads(100).await.unwrap();
    assert!(!leads.is_empty());
    let mut rising = 0;
    for (a, r) in &leads {
        let history = app.store.score_history(a.id).await.unwrap();
        let last = history.last().expect("a scored account has history");
        // The chart ends where the leads page is, on the demo's clock, not the machine's.
        assert_eq!(last.score, r.score, "{}: {history:?}", a.name);
        assert!(
            history.iter().all(|p| p.at <= newest),
            "{}: {history:?}",
            a.name
        );
        if history.len() > 1 && history.first().unwrap().score < last.score {
            rising += 1;
        }
    }
    assert!(rising >= 3, "the replayed weeks show readiness building up");

    // A score as of a date counts only what was published by then.
    let mut app = app;
    let first = app
        .store
        .account_events(None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.published_at)
        .min()
        .unwrap();
    app.config.score.as_of = Some((first - chrono::Duration::days(1)).to_rfc3339());
    app.rescore().await.unwrap();
    let before = app.leads(100).await.unwrap();
    assert!(
        before.iter().all(|(_, r)| r
            .contributions
            .iter()
            .all(|c| c.event_id.is_none() || c.published_at < first)),
        "no event from after the date counts"
    );
}
