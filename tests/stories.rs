//! One real-world event reported by several outlets (or several items of one feed) is one story:
//! the reports share a story id, the score counts it once, and every source is kept. Events keep
//! the places and technologies their evidence states.

mod common;

fn item(id: &str, day: u32, title: &str, body: &str) -> String {
    format!(
        "<item><title>{title}</title><link>https://example.invalid/{id}</link>\
         <pubDate>{day:02} Nov 2026 09:00:00 +0000</pubDate><description>{body}</description></item>"
    )
}

#[tokio::test]
async fn reports_of_one_event_are_one_story() {
    let (dir, app, feed_file) = common::one_feed_instance().await;
    std::fs::write(
        dir.path().join("a.csv"),
        "crm_id,name\nn1,Northwind Logistics\nb2,Brightwater Foods\n",
    )
    .unwrap();
    app.import_accounts(&dir.path().join("a.csv"))
        .await
        .unwrap();
    let items = [
        item(
            "wire-1",
            2,
            "Northwind Logistics to buy Harbor Freight Systems",
            "Northwind Logistics agreed to acquire Harbor Freight Systems for $1.2 billion.",
        ),
        item(
            "paper-2",
            3,
            "Northwind Logistics seals Harbor Freight deal",
            "Northwind Logistics will acquire the trucking firm Harbor Freight Systems, the company said.",
        ),
        // Same company, another kind: its own story.
        item(
            "wire-3",
            3,
            "Northwind Logistics opens a new warehouse in Leeds",
            "Northwind Logistics opened a new warehouse in Leeds.",
        ),
        // Same kind, another account: its own story.
        item(
            "wire-4",
            3,
            "Brightwater Foods acquires Kestrel Bakeries",
            "Brightwater Foods agreed to acquire Kestrel Bakeries for $80 million.",
        ),
        // Technologies of a tech change are stored with the event.
        item(
            "wire-6",
            4,
            "Northwind Logistics moves billing to PostgreSQL",
            "Northwind Logistics is migrating its billing system from Oracle to PostgreSQL.",
        ),
        // Same kind and company a month later: a new story.
        item(
            "wire-5",
            30,
            "Northwind Logistics buys Calder Rail",
            "Northwind Logistics agreed to acquire Calder Rail for $300 million.",
        ),
    ];
    std::fs::write(
        &feed_file,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
            items.concat()
        ),
    )
    .unwrap();
    app.crawl(None, false, false).await.unwrap();

    let events = app.store.account_events(None).await.unwrap();
    let story_of = |url_end: &str, kind: &str| {
        events
            .iter()
            .find(|e| e.event.url.ends_with(url_end) && e.event.kind.as_str() == kind)
            .unwrap_or_else(|| panic!("no {kind} event from {url_end}: {events:#?}"))
            .event
            .story_id
    };
    let deal = story_of("wire-1", "acquisition");
    assert_eq!(
        story_of("paper-2", "acquisition"),
        deal,
        "two reports, one deal"
    );
    assert_ne!(story_of("wire-3", "new_facility"), deal);
    assert_ne!(story_of("wire-4", "acquisition"), deal);
    assert_ne!(story_of("wire-5", "acquisition"), deal);

    let event = |url_end: &str, kind: &str| {
        events
            .iter()
            .find(|e| e.event.url.ends_with(url_end) && e.event.kind.as_str() == kind)
            .map(|e| e.event.clone())
            .unwrap()
    };
    assert_eq!(
        event("wire-3", "new_facility").locations,
        vec!["Leeds".to_string()],
        "the place the evidence states is stored"
    );
    let techs: Vec<(String, String)> = event("wire-6", "tech_change")
        .technologies
        .iter()
        .map(|t| (t.name.clone(), format!("{:?}", t.role)))
        .collect();
    assert!(
        techs.contains(&("oracle".into(), "From".into()))
            && techs.contains(&("postgresql".into(), "To".into())),
        "the technologies of a tech change are stored with their side: {techs:?}"
    );

    let reports = app.store.story_events(deal).await.unwrap();
    let urls: Vec<&str> = reports.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "https://example.invalid/wire-1",
            "https://example.invalid/paper-2"
        ],
        "every source of the story is kept, oldest first"
    );

    app.rescore().await.unwrap();
    let leads = app.leads(10).await.unwrap();
    let (_, northwind) = leads
        .iter()
        .find(|(a, _)| a.name == "Northwind Logistics")
        .expect("Northwind is a lead");
    let deals: Vec<_> = northwind
        .contributions
        .iter()
        .filter(|c| c.kind.as_str() == "acquisition")
        .collect();
    assert_eq!(deals.len(), 2, "the Harbor deal counts once, Calder once");
    assert_eq!(
        deals.iter().map(|c| c.reports).max(),
        Some(2),
        "the Harbor story knows it has two reports"
    );

    // "Not relevant" on the report shown removes the story, not just that report (the other
    // outlet's report must not step in).
    let harbor = deals.iter().find(|c| c.reports == 2).unwrap();
    let account = leads
        .iter()
        .find(|(a, _)| a.name == "Northwind Logistics")
        .unwrap()
        .0
        .id;
    let after = app
        .feedback(
            account,
            harbor.event_id,
            trigger_radar::store::Verdict::NotRelevant,
            None,
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let left: Vec<_> = after
        .contributions
        .iter()
        .filter(|c| c.kind.as_str() == "acquisition")
        .collect();
    assert_eq!(left.len(), 1, "only the Calder deal is left: {left:?}");
    assert_ne!(left[0].story_id, harbor.story_id);
    app.close_indexer().unwrap();
}
