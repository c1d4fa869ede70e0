//! Readiness end to end: events attach to the right accounts and score them, CRM dates raise
//! their own triggers, SDR feedback removes a contribution, history is kept, and scores age
//! without reading events again.

mod common;

use trigger_radar::App;
use trigger_radar::model::TriggerKind;
use trigger_radar::store::Verdict;

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title>
<item><title>ООО «Кедрон» построит завод в Калужской области</title>
<link>https://news.test/1</link><pubDate>Sat, 21 Nov 2026 09:00:00 GMT</pubDate>
<description>ООО «Кедрон» построит новый завод по выпуску упаковки в Калужской области, инвестиции составят 3 млрд рублей.</description></item>
<item><title>Brightwater Logistics names new chief executive</title>
<link>https://news.test/2</link><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>
<description>Brightwater Logistics Inc. appointed Maria Lopez as chief executive officer, the company said on Friday.</description></item>
</channel></rss>"#;

const ACCOUNTS: &str = "crm_id,name,inn,domain,contract_end,usage_ratio\n\
k1,ООО «Кедрон»,7707083893,,,\n\
b1,Brightwater Logistics Inc.,,brightwater.test,,\n\
c1,АО «Тихий Омут»,,,2026-12-10,85%\n";

async fn reopen(dir: &std::path::Path, as_of: &str) -> App {
    let mut cfg = common::config(&dir.join("data"));
    cfg.sources_dirs = vec![dir.join("sources")];
    cfg.score.as_of = Some(as_of.into());
    App::open(cfg).await.unwrap()
}

#[tokio::test]
async fn events_crm_signals_feedback_history_and_decay() {
    let (dir, app, feed) = common::one_feed_instance().await;
    std::fs::write(&feed, FEED).unwrap();
    drop(app);
    let app = reopen(dir.path(), "2026-11-23T00:00:00Z").await;
    let csv = dir.path().join("accounts.csv");
    std::fs::write(&csv, ACCOUNTS).unwrap();
    app.import_accounts(&csv).await.unwrap();

    // Before any crawl, the CRM alone makes «Тихий Омут» ready: contract ends in 17 days, 85% used.
    let quiet = app.store.account_by_crm_id("c1").await.unwrap().unwrap();
    let r = app.store.score_of(quiet.id).await.unwrap().unwrap();
    let kinds: Vec<TriggerKind> = r.contributions.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        vec![TriggerKind::ContractEnding, TriggerKind::UsageLimit]
    );
    assert!(r.why_now.contains("2026-12-10"), "{}", r.why_now);

    let report = app.crawl(None, false, false).await.unwrap();
    assert_eq!(
        report.scored_accounts, 2,
        "the crawl rescored the accounts it touched"
    );
    let kedron = app.store.account_by_crm_id("k1").await.unwrap().unwrap();
    let bright = app.store.account_by_crm_id("b1").await.unwrap().unwrap();
    let rk = app.store.score_of(kedron.id).await.unwrap().unwrap();
    assert_eq!(rk.contributions[0].kind, TriggerKind::NewFacility);
    let rb = app.store.score_of(bright.id).await.unwrap().unwrap();
    assert_eq!(rb.contributions[0].kind, TriggerKind::ExecutiveHire);
    let before = rb.score;
    assert!(before > 0);

    // The SDR says the CEO news is not relevant: the contribution goes, the score follows.
    let event = rb.contributions[0].event_id.unwrap();
    let after = app
        .feedback(
            bright.id,
            Some(event),
            Verdict::NotRelevant,
            Some("anna"),
            Some("wrong unit"),
        )
        .await
        .unwrap();
    assert!(after.is_none(), "nothing else counts for this account");
    let view = app.account_view(bright.id).await.unwrap();
    assert!(
        view.events.is_empty(),
        "the event is hidden from the account"
    );
    assert_eq!(view.feedback[0].verdict, Verdict::NotRelevant);
    let history: Vec<u8> = view.history.iter().map(|p| p.score).collect();
    assert_eq!(history, vec![before, 0]);
    // The article is edited and crawled again: its events get new rows, the verdict holds, and
    // it does not turn into a verdict on the whole account.
    std::fs::write(
        &feed,
        FEED.replace(
            "the company said on Friday",
            "the company said on Friday evening",
        ),
    )
    .unwrap();
    let again = app.crawl(None, false, false).await.unwrap();
    assert_eq!(again.new_documents(), 1);
    assert!(app.store.score_of(bright.id).await.unwrap().is_none());
    assert!(app.account_view(bright.id).await.unwrap().events.is_empty());
    assert!(app.store.muted_accounts().await.unwrap().is_empty());
    // A later verdict on the same event undoes the first.
    let new_event = app
        .store
        .events_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == TriggerKind::ExecutiveHire)
        .unwrap();
    let back = app
        .feedback(bright.id, Some(new_event.id), Verdict::Taken, None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.score, before);
    app.feedback(
        bright.id,
        Some(new_event.id),
        Verdict::NotRelevant,
        None,
        None,
    )
    .await
    .unwrap();
    // Feedback on an event that is not the account's is refused.
    assert!(
        app.feedback(kedron.id, Some(event), Verdict::Taken, None, None)
            .await
            .is_err()
    );

    // Three months later: the new-plant score has decayed, the contract has ended, all without
    // reading events (decay works from stored scores).
    drop(app);
    let later = reopen(dir.path(), "2027-02-21T00:00:00Z").await;
    later.decay().await.unwrap();
    let rk2 = later.store.score_of(kedron.id).await.unwrap().unwrap();
    assert!(rk2.score < rk.score, "{} → {}", rk.score, rk2.score);
    let full = later.rescore().await.unwrap();
    assert!(full >= 1);
    assert_eq!(
        later
            .store
            .score_of(kedron.id)
            .await
            .unwrap()
            .unwrap()
            .score,
        rk2.score,
        "decay from stored scores equals a full rescore"
    );
    let rq = later.store.score_of(quiet.id).await.unwrap().unwrap();
    let kinds: Vec<TriggerKind> = rq.contributions.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        vec![TriggerKind::UsageLimit],
        "the contract end has passed"
    );
    let hist = later.store.score_history(kedron.id).await.unwrap();
    assert_eq!(hist.len(), 2);
}
