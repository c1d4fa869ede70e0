//! The search index follows the database's change log: a worker that crawls without an index
//! only writes the log, and the process that keeps the index finds every event — added,
//! replaced, removed — on its next catch-up; the cursor lives in the index's commits, so a
//! restart resumes; an index that missed pruned changes, or never followed the log, is rebuilt.

mod common;

use trigger_radar::search::SearchQuery;
use trigger_radar::{App, Config};

fn feed(items: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>",
    );
    for (slug, body) in items {
        s.push_str(&format!(
            "<item><title>{slug}</title><link>https://example.invalid/{slug}</link>\
             <pubDate>Tue, 10 Nov 2026 09:00:00 +0000</pubDate><description>{body}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// One data folder (one database), a sources folder with the feed `f`, and the config of a
/// process whose index lives in `index`.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sources")).unwrap();
        std::fs::write(
            dir.path().join("sources/f.toml"),
            "name = \"f\"\nkind = \"feed\"\nurl = \"f.xml\"\n",
        )
        .unwrap();
        Site { dir }
    }
    fn config(&self, index: &str) -> Config {
        let mut cfg = common::config(&self.dir.path().join("data"));
        cfg.sources_dirs = vec![self.dir.path().join("sources")];
        cfg.index_dir = self.dir.path().join(index);
        cfg
    }
    fn write_feed(&self, items: &[(&str, &str)]) {
        std::fs::write(self.dir.path().join("sources/f.xml"), feed(items)).unwrap();
    }
}

async fn count(app: &App, q: &str) -> usize {
    app.search(&SearchQuery {
        text: q.into(),
        limit: 50,
        ..SearchQuery::default()
    })
    .await
    .unwrap()
    .0
}

#[tokio::test]
async fn a_workers_events_reach_the_index_of_the_web_process() {
    let site = Site::new();
    let worker = App::open(site.config("index-worker"))
        .await
        .unwrap()
        .without_index();
    let web = App::open(site.config("index-web")).await.unwrap();
    assert!(web.catch_up_index().await.unwrap().is_some());

    site.write_feed(&[
        ("a", "Kelvane Ltd opened a new factory in Ohio."),
        ("b", "Orvex Group will cut 300 jobs at its Leeds plant."),
    ]);
    let r = worker.crawl(None, false, false).await.unwrap();
    assert_eq!(r.events(), 2, "{r:?}");
    assert!(
        worker.catch_up_index().await.unwrap().is_none(),
        "a worker keeps no index"
    );
    assert_eq!(count(&web, "factory").await, 0, "not yet caught up");

    let applied = web.catch_up_index().await.unwrap().unwrap();
    assert_eq!((applied.changes, applied.indexed), (2, 2));
    assert_eq!(count(&web, "factory").await, 1);
    assert_eq!(count(&web, "jobs").await, 1);

    // A changed article replaces its event: the old one leaves the index, the new one arrives.
    site.write_feed(&[
        (
            "a",
            "Kelvane Ltd appointed Maria Lind as chief executive officer.",
        ),
        ("b", "Orvex Group will cut 300 jobs at its Leeds plant."),
    ]);
    worker.crawl(None, false, false).await.unwrap();
    let applied = web.catch_up_index().await.unwrap().unwrap();
    assert_eq!((applied.indexed, applied.removed), (1, 1), "{applied:?}");
    assert_eq!(count(&web, "factory").await, 0);
    assert_eq!(count(&web, "Lind").await, 1);
    assert_eq!(
        web.index.len() as i64,
        web.store.stats().await.unwrap().events
    );

    // Nothing new: a catch-up reads nothing.
    assert_eq!(web.catch_up_index().await.unwrap().unwrap().changes, 0);
    web.close_indexer().unwrap();
}

#[tokio::test]
async fn the_cursor_survives_a_restart_and_a_long_absence_rebuilds() {
    let site = Site::new();
    site.write_feed(&[("a", "Kelvane Ltd opened a new factory in Ohio.")]);
    let worker = App::open(site.config("index-worker"))
        .await
        .unwrap()
        .without_index();
    worker.crawl(None, false, false).await.unwrap();
    {
        let web = App::open(site.config("index-web")).await.unwrap();
        web.catch_up_index().await.unwrap();
        assert_eq!(count(&web, "factory").await, 1);
        web.close_indexer().unwrap();
    }
    // Restarted: it resumes from the cursor in its last commit and reads nothing again.
    {
        let web = App::open(site.config("index-web")).await.unwrap();
        let cursor = web.index.cursor().unwrap();
        assert!(cursor.is_some_and(|c| c >= 1), "{cursor:?}");
        let applied = web.catch_up_index().await.unwrap().unwrap();
        assert_eq!(applied.changes, 0);
        assert_eq!(web.index.len(), 1);
        web.close_indexer().unwrap();
    }
    // Away while more was crawled and the log was pruned past its cursor: rebuilt on return.
    site.write_feed(&[
        ("a", "Kelvane Ltd opened a new factory in Ohio."),
        ("b", "Orvex Group will cut 300 jobs at its Leeds plant."),
        ("c", "Talmora Bank raised $40 million in a Series B round."),
    ]);
    worker.crawl(None, false, false).await.unwrap();
    let later = chrono::Utc::now().timestamp() + 10;
    assert!(worker.store.prune_changes(later).await.unwrap() >= 1);
    let web = App::open(site.config("index-web")).await.unwrap();
    web.catch_up_index().await.unwrap();
    assert_eq!(count(&web, "jobs").await, 1, "the missed event is found");
    assert_eq!(count(&web, "Series").await, 1);
    assert_eq!(web.index.len(), 3);
    web.close_indexer().unwrap();
}

#[tokio::test]
async fn a_lost_or_old_index_is_rebuilt_on_first_catch_up() {
    let site = Site::new();
    site.write_feed(&[
        ("a", "Kelvane Ltd opened a new factory in Ohio."),
        ("b", "Orvex Group will cut 300 jobs at its Leeds plant."),
    ]);
    let app = App::open(site.config("index")).await.unwrap();
    app.crawl(None, false, false).await.unwrap();
    // The crawling process indexed what it stored as it went: nothing is left to read back.
    assert_eq!(count(&app, "factory").await, 1);
    assert_eq!(app.catch_up_index().await.unwrap().unwrap().changes, 0);
    assert!(app.index.cursor().unwrap().is_some_and(|c| c >= 2));
    app.close_indexer().unwrap();
    drop(app);
    std::fs::remove_dir_all(site.dir.path().join("index")).unwrap();
    let app = App::open(site.config("index")).await.unwrap();
    assert_eq!(count(&app, "factory").await, 0);
    app.catch_up_index().await.unwrap();
    assert_eq!(count(&app, "factory").await, 1);
    assert_eq!(count(&app, "jobs").await, 1);
    app.close_indexer().unwrap();
}

/// PostgreSQL hands out change numbers before commit: a change still in flight is not skipped
/// by the cursor, and is indexed once its transaction commits.
#[tokio::test]
async fn a_change_committed_late_is_not_lost() {
    let Some((url, _)) = common::pg(std::path::Path::new("/")) else {
        eprintln!("TRIGGER_RADAR_TEST_PG is not set: PostgreSQL-only test skipped");
        return;
    };
    let site = Site::new();
    site.write_feed(&[("a", "Kelvane Ltd opened a new factory in Ohio.")]);
    let worker = App::open(site.config("index-worker"))
        .await
        .unwrap()
        .without_index();
    worker.crawl(None, false, false).await.unwrap();
    let web = App::open(site.config("index-web")).await.unwrap();
    web.catch_up_index().await.unwrap();
    let before = web.index.cursor().unwrap().unwrap();

    // A transaction takes the next change number and holds it, uncommitted.
    let schema = site.config("x").database_schema.unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL search_path TO \"{schema}\""
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    let event_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM events")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let held: i64 =
        sqlx::query_scalar("INSERT INTO index_changes (event_id, at) VALUES ($1, 0) RETURNING seq")
            .bind(event_id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(held, before + 1);

    // Meanwhile a later change commits.
    site.write_feed(&[
        ("a", "Kelvane Ltd opened a new factory in Ohio."),
        ("b", "Orvex Group will cut 300 jobs at its Leeds plant."),
    ]);
    worker.crawl(None, false, false).await.unwrap();
    web.catch_up_index().await.unwrap();
    assert_eq!(
        count(&web, "jobs").await,
        1,
        "visible changes apply at once"
    );
    assert_eq!(
        web.index.cursor().unwrap(),
        Some(before),
        "the cursor waits below the change in flight"
    );
    tx.commit().await.unwrap();
    web.catch_up_index().await.unwrap();
    assert!(web.index.cursor().unwrap().unwrap() > held);
    web.close_indexer().unwrap();
}

#[tokio::test]
async fn a_reimported_accounts_new_firmographics_reach_its_indexed_events() {
    let site = Site::new();
    let app = App::open(site.config("index")).await.unwrap();
    let csv = site.dir.path().join("accounts.csv");
    let import = |industry: &str, segment: &str| {
        std::fs::write(
            &csv,
            format!(
                "crm_id,name,domain,industry,segment\n77,Kelvane Ltd,kelvane.test,{industry},{segment}\n"
            ),
        )
        .unwrap();
    };
    import("Logistics", "smb");
    app.import_accounts(&csv).await.unwrap();
    site.write_feed(&[("a", "Kelvane Ltd opened a new factory in Ohio.")]);
    app.crawl(None, false, false).await.unwrap();
    app.catch_up_index().await.unwrap();
    let by = |industry: &str, segment: &str| {
        let app = &app;
        let q = SearchQuery {
            limit: 10,
            filters: trigger_radar::search::Filters {
                industries: vec![industry.to_string()],
                segments: vec![segment.to_string()],
                ..Default::default()
            },
            ..SearchQuery::default()
        };
        async move { app.search(&q).await.unwrap().0 }
    };
    assert_eq!(by("Logistics", "smb").await, 1);

    // The CRM moves the account to another industry and segment.
    import("Manufacturing", "enterprise");
    app.import_accounts(&csv).await.unwrap();
    app.catch_up_index().await.unwrap();
    assert_eq!(by("Manufacturing", "enterprise").await, 1);
    assert_eq!(by("Logistics", "smb").await, 0);

    // A re-import that changes nothing the index keeps logs nothing.
    app.import_accounts(&csv).await.unwrap();
    assert_eq!(app.catch_up_index().await.unwrap().unwrap().changes, 0);
    app.close_indexer().unwrap();
}
