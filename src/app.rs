//! Wires configuration to the pipeline's parts and offers the operations the CLI, the web and the
//! tests use: import accounts, crawl, rescore, search, leads, reindex.

use crate::accounts::{Matcher, import};
use crate::config::{Config, ConfigError};
use crate::detect::{DetectError, Detector};
use crate::fetch::{FetchError, Fetcher};
use crate::model::{Account, Event, Readiness};
use crate::pipeline::{Pipeline, SourceReport, StageTimes};
use crate::score::Scorer;
use crate::search::{IndexDoc, Indexer, SearchError, SearchHit, SearchIndex, SearchQuery};
use crate::sources::{self, SourceError, SourceSpec};
use crate::store::{RunOutcome, Store, StoreError};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Anything an operation can fail with; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Import(#[from] import::ImportError),
    #[error("no source named `{0}` (see `trigger-radar sources` or the files in sources/)")]
    UnknownSource(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// What an account import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub inserted: usize,
    pub updated: usize,
    pub rejected: Vec<import::RowError>,
    /// The CRM the layout was read as.
    pub crm: String,
    /// Columns that fed no field.
    pub unmapped: Vec<String>,
}

/// What a crawl did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CrawlReport {
    pub sources: Vec<SourceReport>,
    /// Source files that could not be read (the others were crawled).
    pub source_file_errors: Vec<String>,
    pub times: StageTimes,
    pub scored_accounts: usize,
}

impl CrawlReport {
    /// Items read across sources.
    pub fn items(&self) -> usize {
        self.sources.iter().map(|s| s.items).sum()
    }
    /// Events found across sources.
    pub fn events(&self) -> usize {
        self.sources.iter().map(|s| s.events).sum()
    }
    /// New or changed documents across sources.
    pub fn new_documents(&self) -> usize {
        self.sources.iter().map(|s| s.new_or_changed).sum()
    }
}

/// A search hit with its event from the database.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FoundEvent {
    #[serde(flatten)]
    pub event: Event,
    pub score: f32,
    pub snippet: String,
}

/// An opened instance.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub index: SearchIndex,
    pub detector: Arc<Detector>,
    fetcher: Fetcher,
    indexer: Mutex<Option<Arc<Indexer>>>,
}

impl App {
    /// Opens the database and index of `config`, creating them when missing.
    pub async fn open(config: Config) -> Result<App, AppError> {
        let store = Store::open(&config).await?;
        let index = SearchIndex::open(&config.index_dir)?;
        let detector = Arc::new(Detector::new(
            &config.detect.rule_files,
            &config.detect.tech_files,
        )?);
        let fetcher = Fetcher::new(&config.fetch)?;
        Ok(App {
            config,
            store,
            index,
            detector,
            fetcher,
            indexer: Mutex::new(None),
        })
    }

    /// The index writer, started on first use (tantivy allows one per index).
    pub fn indexer(&self) -> Result<Arc<Indexer>, AppError> {
        let mut guard = self.indexer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = guard.as_ref() {
            return Ok(i.clone());
        }
        let i = Arc::new(self.index.writer(
            self.config.index.writer_memory_mb,
            self.config.index.commit_every,
        )?);
        *guard = Some(i.clone());
        Ok(i)
    }

    /// Stops the index writer after committing (call before exit so nothing queued is lost).
    pub fn close_indexer(&self) -> Result<(), AppError> {
        let taken = self
            .indexer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(i) = taken {
            i.commit()?;
        }
        Ok(())
    }

    /// Source definitions from the configured folders, and the files that failed.
    pub fn sources(&self) -> (Vec<SourceSpec>, Vec<SourceError>) {
        sources::load_dirs(&self.config.sources_dirs)
    }

    /// Imports accounts from a CSV or JSON export with the built-in header lists.
    pub async fn import_accounts(&self, path: &Path) -> Result<ImportReport, AppError> {
        self.import_accounts_with(path, &import::ImportOptions::default())
            .await
    }

    /// Imports accounts from a CSV or JSON export: good rows are upserted in one transaction,
    /// bad rows reported; then the imported accounts are rescored (CRM dates are triggers too).
    pub async fn import_accounts_with(
        &self,
        path: &Path,
        opts: &import::ImportOptions,
    ) -> Result<ImportReport, AppError> {
        let bytes = std::fs::read(path).map_err(|source| AppError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parsed = import::parse_file(&bytes, &path.display().to_string(), opts)?;
        self.upsert_parsed(parsed, &path.display().to_string())
            .await
    }

    /// Stores already-parsed accounts (a file, or records pushed through the API).
    pub async fn upsert_parsed(
        &self,
        parsed: import::Parsed,
        origin: &str,
    ) -> Result<ImportReport, AppError> {
        let count = self.store.upsert_accounts(&parsed.accounts).await?;
        tracing::info!(origin, crm = %parsed.crm, inserted = count.inserted, updated = count.updated, rejected = parsed.errors.len(), "accounts imported");
        Ok(ImportReport {
            inserted: count.inserted,
            updated: count.updated,
            rejected: parsed.errors,
            crm: parsed.crm,
            unmapped: parsed.unmapped,
        })
    }

    /// The matcher over every account, read page by page so a million accounts never sit in
    /// memory as records.
    pub async fn matcher(&self) -> Result<Matcher, AppError> {
        let mut b = crate::accounts::MatcherBuilder::default();
        let mut after = 0i64;
        loop {
            let page = self.store.accounts_after(after, 10_000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for a in &page {
                b.add(a);
            }
        }
        Ok(b.finish())
    }

    /// Crawls sources once: every source (`due_only` = false), only the due ones, or one by name.
    /// Then rescores. Source failures are recorded and reported; the others carry on.
    pub async fn crawl(
        &self,
        only: Option<&str>,
        due_only: bool,
        progress: bool,
    ) -> Result<CrawlReport, AppError> {
        let (specs, errors) = self.sources();
        let mut report = CrawlReport {
            source_file_errors: errors.iter().map(|e| e.to_string()).collect(),
            ..CrawlReport::default()
        };
        for e in &errors {
            tracing::error!(error = %e, "source file skipped");
        }
        self.store.sync_sources(&specs).await?;
        let now = Utc::now();
        let due = self.store.due_sources(now).await?;
        let selected: Vec<&SourceSpec> = match only {
            Some(name) => vec![
                specs
                    .iter()
                    .find(|s| s.name == name)
                    .ok_or_else(|| AppError::UnknownSource(name.into()))?,
            ],
            None => specs
                .iter()
                .filter(|s| s.enabled && (!due_only || due.contains(&s.name)))
                .collect(),
        };
        let matcher = Arc::new(self.matcher().await?);
        let indexer = self.indexer()?;
        let pipeline = Pipeline {
            store: &self.store,
            fetcher: &self.fetcher,
            detector: self.detector.clone(),
            matcher,
            indexer: &indexer,
        };
        let bar = if progress {
            let b = ProgressBar::new(selected.len() as u64);
            b.set_style(
                ProgressStyle::with_template("{spinner} crawling [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b
        } else {
            ProgressBar::hidden()
        };
        for spec in selected {
            bar.set_message(spec.name.clone());
            let r = pipeline.crawl(spec).await;
            tracing::info!(source = %r.source, items = r.items, new = r.new_or_changed, events = r.events, error = r.error.as_deref().unwrap_or(""), "source crawled");
            let outcome = RunOutcome {
                at: Utc::now(),
                error: r.error.clone(),
                items_seen: r.items as i64,
                items_new: r.new_or_changed as i64,
                next_run_at: crate::schedule::next_run(
                    now,
                    spec,
                    failures_after(&self.store, &spec.name, r.error.is_some()).await,
                ),
            };
            self.store.record_run(&spec.name, &outcome).await?;
            report.times += r.times;
            report.sources.push(r);
            bar.inc(1);
        }
        bar.finish_and_clear();
        let t = Instant::now();
        indexer.commit()?;
        report.times.index += t.elapsed();
        let t = Instant::now();
        report.scored_accounts = self.rescore().await?;
        report.times.score += t.elapsed();
        Ok(report)
    }

    /// The instant scores are computed at: `score.as_of` when set, else now.
    pub fn score_now(&self) -> DateTime<Utc> {
        self.config
            .score
            .as_of
            .as_deref()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(Utc::now)
    }

    /// Recomputes every account's readiness; returns how many accounts have a score.
    pub async fn rescore(&self) -> Result<usize, AppError> {
        let accounts = self.store.accounts().await?;
        let events = self.store.account_events(None).await?;
        let scorer = Scorer::new(&self.config.score, self.config.detect.min_confidence);
        let scores = scorer.score_all(&accounts, &events, self.score_now());
        self.store.save_readiness(&scores).await?;
        Ok(scores.len())
    }

    /// Accounts ranked by readiness.
    pub async fn leads(&self, limit: i64) -> Result<Vec<(Account, Readiness)>, AppError> {
        Ok(self.store.leads(limit).await?)
    }

    /// Searches events; hits are hydrated from the database (the source of truth).
    pub async fn search(&self, q: &SearchQuery) -> Result<(usize, Vec<FoundEvent>), AppError> {
        let results = self.index.search(q)?;
        let ids: Vec<i64> = results.hits.iter().map(|h| h.event_id).collect();
        let events = self.store.events_by_ids(&ids).await?;
        let mut by_id: std::collections::HashMap<i64, Event> =
            events.into_iter().map(|e| (e.id, e)).collect();
        let found = results
            .hits
            .into_iter()
            .filter_map(
                |SearchHit {
                     event_id,
                     score,
                     snippet,
                 }| {
                    by_id.remove(&event_id).map(|event| FoundEvent {
                        event,
                        score,
                        snippet,
                    })
                },
            )
            .collect();
        Ok((results.total, found))
    }

    /// Rebuilds the index from the database; returns the number of events indexed.
    pub async fn reindex(&self, progress: bool) -> Result<usize, AppError> {
        let indexer = self.indexer()?;
        indexer.clear()?;
        let total = self.store.stats().await?.events.max(0) as u64;
        let bar = if progress {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        let mut after = 0i64;
        let mut n = 0usize;
        loop {
            let events = self.store.events_after(after, 2_000).await?;
            let Some(last) = events.last() else { break };
            after = last.id;
            let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
            let mut attached = self.store.event_accounts(&ids).await?;
            n += events.len();
            bar.inc(events.len() as u64);
            let docs = events
                .into_iter()
                .map(|e| {
                    let (account_ids, account_names) = attached
                        .remove(&e.id)
                        .unwrap_or_default()
                        .into_iter()
                        .unzip();
                    IndexDoc {
                        account_ids,
                        account_names,
                        event: e,
                    }
                })
                .collect();
            indexer.add(docs)?;
        }
        indexer.commit()?;
        bar.finish_and_clear();
        tracing::info!(events = n, "index rebuilt");
        Ok(n)
    }
}

async fn failures_after(store: &Store, name: &str, failed: bool) -> i64 {
    if !failed {
        return 0;
    }
    store
        .source_health()
        .await
        .ok()
        .and_then(|h| h.into_iter().find(|s| s.name == name))
        .map_or(1, |s| s.consecutive_failures + 1)
}
