//! The bundled demo: feeds and accounts written for Trigger Radar (RU and EN, one feed in
//! windows-1251), compiled into the binary so `trigger-radar demo` works from any folder, offline.

use std::path::{Path, PathBuf};

/// The demo's files: (name, bytes).
pub const FILES: &[(&str, &[u8])] = &[
    (
        "accounts.csv",
        include_bytes!("../sources/demo/accounts.csv"),
    ),
    (
        "ru-business.toml",
        include_bytes!("../sources/demo/ru-business.toml"),
    ),
    (
        "ru-business.xml",
        include_bytes!("../sources/demo/ru-business.xml"),
    ),
    (
        "ru-regions-1251.toml",
        include_bytes!("../sources/demo/ru-regions-1251.toml"),
    ),
    (
        "ru-regions-1251.xml",
        include_bytes!("../sources/demo/ru-regions-1251.xml"),
    ),
    (
        "en-wire.toml",
        include_bytes!("../sources/demo/en-wire.toml"),
    ),
    ("en-wire.xml", include_bytes!("../sources/demo/en-wire.xml")),
    (
        "en-markets.toml",
        include_bytes!("../sources/demo/en-markets.toml"),
    ),
    (
        "en-markets.xml",
        include_bytes!("../sources/demo/en-markets.xml"),
    ),
];

/// Writes the demo files into `DATA/demo-sources` and returns that folder.
pub fn materialise(data_dir: &Path) -> std::io::Result<PathBuf> {
    let dir = data_dir.join("demo-sources");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in FILES {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(dir)
}

use crate::app::{App, AppError, CrawlReport, ImportReport};
use chrono::{DateTime, Utc};

/// Weeks of score history the demo replays.
const HISTORY_WEEKS: i64 = 6;

/// The publication time of the newest article in the demo's feeds.
fn newest_article() -> Option<DateTime<Utc>> {
    FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".xml"))
        .filter_map(|(_, bytes)| feed_rs::parser::parse(*bytes).ok())
        .flat_map(|f| f.entries)
        .filter_map(|e| e.published.or(e.updated))
        .max()
}
use crate::config::Config;
use crate::model::{Account, Readiness};

/// What the demo run produced, for the summary.
pub struct DemoRun {
    pub app: App,
    pub import: ImportReport,
    pub crawl: CrawlReport,
    pub top: Vec<(Account, Readiness)>,
}

/// Sets up the demo in `data_dir`: writes the bundled files, imports the accounts, crawls every demo
/// source once and scores as of the newest demo article (so the demo reads the same on any date).
pub async fn run(data_dir: &Path, progress: bool) -> Result<DemoRun, AppError> {
    run_with(Config::for_data_dir(data_dir), progress).await
}

/// [`run`] with a configuration (its `data_dir` receives the demo files; its database may be
/// PostgreSQL); its sources folders are replaced by the demo's.
pub async fn run_with(mut cfg: Config, progress: bool) -> Result<DemoRun, AppError> {
    let data_dir = cfg.data_dir.clone();
    let dir = materialise(&data_dir).map_err(|source| AppError::Read {
        path: data_dir.join("demo-sources"),
        source,
    })?;
    cfg.sources_dirs = vec![dir.clone()];
    let mut app = App::open(cfg).await?;
    // The demo lives on the clock of its news: it is crawled as of some weeks before its newest
    // article and scored week by week up to it, so each account's score history shows how its
    // readiness built up, and ends at the score the leads page shows.
    let newest = newest_article();
    let start = newest.map(|n| n - chrono::Duration::weeks(HISTORY_WEEKS));
    app.config.score.as_of = start.map(|s| s.to_rfc3339());
    let import = app.import_accounts(&dir.join("accounts.csv")).await?;
    let crawl = app.crawl(None, false, progress).await?;
    if let Some(mut at) = start {
        for _ in 0..HISTORY_WEEKS {
            at += chrono::Duration::weeks(1);
            app.config.score.as_of = Some(at.to_rfc3339());
            app.rescore().await?;
        }
    } else if let Some(newest) = app.store.newest_document_at().await? {
        app.config.score.as_of = Some(newest.to_rfc3339());
        app.rescore().await?;
    }
    let top = app.leads(5).await?;
    Ok(DemoRun {
        app,
        import,
        crawl,
        top,
    })
}
