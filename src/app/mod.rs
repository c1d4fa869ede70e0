//! Wires configuration to the pipeline's parts and offers the operations the CLI, the web and the
//! tests use: import accounts, crawl, rescore, search, leads, reindex.

mod index;

use crate::accounts::{Matcher, import};
use crate::config::{Config, ConfigError};
use crate::detect::{DetectError, Detector};
use crate::extract::neardup::NearDupIndex;
use crate::fetch::{FetchError, Fetcher};
use crate::model::{Account, Event, Readiness};
use crate::pipeline::{Pipeline, SourceReport, StageTimes};
use crate::score::Scorer;
use crate::search::tail::Tail;
use crate::search::{Indexer, SearchError, SearchHit, SearchIndex, SearchQuery};
use crate::sources::{self, SourceError, SourceSpec};
use crate::store::{RunOutcome, Store, StoreError};
use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
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
    #[error(
        "source `{source_name}` is being crawled by {holder}; try again when that crawl is done"
    )]
    Leased { source_name: String, holder: String },
    #[error("webhook: {0}")]
    Webhook(String),
    #[error("no webhook with id {0} (see `trigger-radar webhooks list`)")]
    UnknownWebhook(i64),
    #[error("no account with id {0} (see `trigger-radar accounts list`)")]
    UnknownAccount(i64),
    #[error(
        "event {event} is not attached to account {account} (see `trigger-radar accounts show {account}`)"
    )]
    NotAttached { event: i64, account: i64 },
    #[error("saved search {id}: {message} (edit or delete it at /searches)")]
    SavedSearch { id: i64, message: String },
    #[error("bench: {0}")]
    Bench(String),
    #[error("the web server stopped: {0}")]
    Serve(std::io::Error),
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// What an account import did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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

/// Everything about one account: for `accounts show`, the API and the account page.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub account: Account,
    pub readiness: Option<Readiness>,
    /// The explanation, one line per contribution (strongest first).
    pub explanation: Vec<String>,
    pub history: Vec<crate::store::ScorePoint>,
    /// Attached events, newest first (not-relevant ones left out).
    pub events: Vec<crate::model::AccountEvent>,
    pub feedback: Vec<crate::store::Feedback>,
    /// Technologies seen in the account's job postings, with first and last seen.
    pub technographics: Vec<crate::store::Technographic>,
}

/// A search hit with its event from the database.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FoundEvent {
    #[serde(flatten)]
    pub event: Event,
    pub score: f32,
    pub snippet: String,
}

/// A page of search hits, the total, and facet counts.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EventSearch {
    pub total: usize,
    pub events: Vec<FoundEvent>,
    pub facets: Vec<crate::search::FacetCounts>,
}

/// An opened instance.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub index: SearchIndex,
    pub detector: Arc<Detector>,
    fetcher: Fetcher,
    indexer: Mutex<Option<Arc<Indexer>>>,
    /// Recent documents' fingerprints, shared by every crawl of this process.
    neardup: tokio::sync::Mutex<NearDupIndex>,
    /// This process's name in source leases: host, process id and a random part.
    worker: String,
    /// The webhook delivery worker, built on first use.
    pub(crate) deliverer: Mutex<Option<Arc<crate::deliver::Deliverer>>>,
    /// Whether this process keeps the search index (off for crawl-only workers).
    indexing: bool,
    /// Whether this process crawls (off for `serve --role web`).
    crawling: bool,
    /// Where this process is in the index change log (set up on first catch-up).
    tail: tokio::sync::Mutex<Option<Tail>>,
    /// When the change log was last pruned.
    pruned: Mutex<Option<Instant>>,
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
        let mut neardup = NearDupIndex::new(config.crawl.near_duplicate_days);
        if config.crawl.near_duplicate_days <= 0 {
            // Nothing is remembered: every check finds nothing.
            neardup.set_loaded();
        }
        Ok(App {
            config,
            store,
            index,
            detector,
            fetcher,
            indexer: Mutex::new(None),
            neardup: tokio::sync::Mutex::new(neardup),
            worker: worker_id(),
            deliverer: Mutex::new(None),
            indexing: true,
            crawling: true,
            tail: tokio::sync::Mutex::new(None),
            pruned: Mutex::new(None),
        })
    }

    /// This process crawls and stores but never writes the search index: the process that
    /// holds the index follows the database's change log instead (`serve --role worker`).
    pub fn without_index(mut self) -> App {
        self.indexing = false;
        self
    }

    /// This process never crawls (`serve --role web`): "run now" leaves the source to the
    /// workers' next tick.
    pub fn without_crawling(mut self) -> App {
        self.crawling = false;
        self
    }

    /// Whether this process crawls.
    pub fn crawls(&self) -> bool {
        self.crawling
    }

    /// Whether this process may write the search index.
    pub fn keeps_index(&self) -> bool {
        self.indexing
    }

    /// The index writer, started on first use (tantivy allows one per index).
    pub fn indexer(&self) -> Result<Arc<Indexer>, AppError> {
        if !self.indexing {
            return Err(AppError::Search(SearchError::Locked));
        }
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
        // CRM dates and firmographics move scores: rescore.
        if count.inserted + count.updated > 0 {
            self.rescore().await?;
        }
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
        let mut m = b.finish();
        m.min_confidence = self.config.matching.min_confidence;
        Ok(m)
    }

    /// Crawls sources once: every source (`due_only` = false), only the due ones, or one by name,
    /// `crawl.parallel_sources` at a time, each under a lease so no other process crawls it
    /// meanwhile. Then rescores. Source failures are recorded and reported; the others carry on.
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
        let wanted: Vec<&SourceSpec> = match only {
            Some(name) => vec![
                specs
                    .iter()
                    .find(|s| s.name == name)
                    .ok_or_else(|| AppError::UnknownSource(name.into()))?,
            ],
            None => specs.iter().filter(|s| s.enabled).collect(),
        };
        let lease = self.config.crawl.lease();
        // `crawl --source` and `--all` lease what they name up front; the scheduler's due crawl
        // leases one source at a time as a slot frees, so that processes share the due sources.
        let pooled = due_only && only.is_none();
        let named: Vec<&SourceSpec> = if pooled {
            Vec::new()
        } else {
            let names: Vec<String> = wanted.iter().map(|s| s.name.clone()).collect();
            let taken: std::collections::HashSet<String> = self
                .store
                .lease_named(&self.worker, &names, now, now + lease)
                .await?
                .into_iter()
                .collect();
            if let Some(name) = only
                && taken.is_empty()
            {
                let holder = self.store.lease_of(name, now).await?;
                return Err(AppError::Leased {
                    source_name: name.into(),
                    holder: holder.map_or_else(
                        || "another process".into(),
                        |(o, u)| format!("{o} (until {u})"),
                    ),
                });
            }
            wanted
                .iter()
                .copied()
                .filter(|s| taken.contains(&s.name))
                .collect()
        };
        let by_name: HashMap<&str, &SourceSpec> =
            wanted.iter().map(|s| (s.name.as_str(), *s)).collect();
        let matcher = Arc::new(self.matcher().await?);
        // Holding the index writer (and caught up), this process indexes what it stores as it
        // goes; otherwise the process that holds it follows the change log.
        let direct = match self.catch_up(false).await? {
            Some(_) => Some(crate::pipeline::DirectIndex {
                indexer: self.indexer()?,
                tail: &self.tail,
            }),
            None => None,
        };
        let pipeline = Pipeline {
            store: &self.store,
            fetcher: &self.fetcher,
            detector: self.detector.clone(),
            direct,
            matcher,
            postings: self.config.postings.clone(),
            neardup: &self.neardup,
        };
        let multi = if progress {
            MultiProgress::new()
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        };
        let expected = if pooled {
            self.store.due_count(now).await?.max(0) as u64
        } else {
            named.len() as u64
        };
        let total = multi.add(ProgressBar::new(expected));
        total.set_style(
            ProgressStyle::with_template("crawling [{bar:30}] {pos}/{len} sources, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let line = ProgressStyle::with_template("{spinner} {prefix:<28} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let queue = Mutex::new(named);
        let slots = self.config.crawl.parallel_sources.max(1);
        let (pipeline, total, multi, line, queue, by_name) =
            (&pipeline, &total, &multi, &line, &queue, &by_name);
        let worker = |_slot: usize| async move {
            let mut done = Vec::new();
            loop {
                let next = if pooled {
                    let now = Utc::now();
                    let taken = self
                        .store
                        .lease_due(&self.worker, now, now + lease, 1)
                        .await?;
                    match taken.first() {
                        None => break,
                        Some(name) => match by_name.get(name.as_str()) {
                            Some(spec) => *spec,
                            // Leased but not in our files (a process with another sources
                            // folder marked it active): give it back, and leave the rest of
                            // the queue to the processes that know it.
                            None => {
                                self.store.release(name, &self.worker).await?;
                                break;
                            }
                        },
                    }
                } else {
                    let Some(spec) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop() else {
                        break;
                    };
                    spec
                };
                let bar = multi.insert_before(total, ProgressBar::new_spinner());
                bar.set_style(line.clone());
                bar.set_prefix(next.name.clone());
                if progress {
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                }
                let r = self.crawl_leased(pipeline, next, &bar).await?;
                bar.finish_and_clear();
                total.inc(1);
                done.push(r);
            }
            Ok::<Vec<SourceReport>, AppError>(done)
        };
        let runs = futures_util::future::join_all((0..slots).map(worker)).await;
        total.finish_and_clear();
        for r in runs {
            for r in r? {
                report.times += r.times;
                report.sources.push(r);
            }
        }
        report.sources.sort_by(|a, b| a.source.cmp(&b.source));
        // This process's events become searchable now when it keeps the index; a worker's wait
        // for the process that does (it follows the change log).
        let t = Instant::now();
        self.catch_up_index().await?;
        report.times.index += t.elapsed();
        let t = Instant::now();
        let mut touched: Vec<i64> = report
            .sources
            .iter()
            .flat_map(|s| s.touched_accounts.iter().copied())
            .collect();
        touched.sort_unstable();
        touched.dedup();
        report.scored_accounts = self.rescore_accounts(&touched).await?;
        report.times.score += t.elapsed();
        self.wake_deliverer();
        Ok(report)
    }

    /// Crawls one leased source and records the run (which gives the lease back).
    async fn crawl_leased(
        &self,
        pipeline: &Pipeline<'_>,
        spec: &SourceSpec,
        bar: &ProgressBar,
    ) -> Result<SourceReport, AppError> {
        let r = self
            .holding_lease(spec, pipeline.crawl_with(spec, bar))
            .await;
        tracing::info!(source = %r.source, items = r.items, new = r.new_or_changed, copies = r.copies, events = r.events, error = r.error.as_deref().unwrap_or(""), "source crawled");
        let done = Utc::now();
        let failures = if r.error.is_some() {
            self.store.consecutive_failures(&spec.name).await? + 1
        } else {
            0
        };
        let mut next_run_at = crate::schedule::next_run(done, spec, failures);
        // A server that said when to come back is not asked earlier.
        if let Some(wait) = r
            .retry_after
            .and_then(|d| chrono::Duration::from_std(d).ok())
        {
            next_run_at = next_run_at.max(done + wait);
        }
        let outcome = RunOutcome {
            at: done,
            error: r.error.clone(),
            items_seen: r.items as i64,
            items_new: r.new_or_changed as i64,
            next_run_at,
        };
        self.store
            .record_run_by(&spec.name, &self.worker, &outcome)
            .await?;
        Ok(r)
    }

    /// Runs `crawl` while renewing the lease of `spec` every third of the lease, so a long crawl
    /// keeps its source and a dead process's lease still expires soon.
    async fn holding_lease<T>(&self, spec: &SourceSpec, crawl: impl Future<Output = T>) -> T {
        let lease = self.config.crawl.lease();
        let every = (lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(1));
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tokio::pin!(crawl);
        loop {
            tokio::select! {
                r = &mut crawl => return r,
                _ = tick.tick() => {
                    match self.store.renew_lease(&spec.name, &self.worker, Utc::now() + lease).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(source = %spec.name, "lost the source's lease (it expired): another process may crawl it too"),
                        Err(e) => tracing::warn!(source = %spec.name, error = %e, "cannot renew the source's lease"),
                    }
                }
            }
        }
    }

    /// Tells this process's delivery worker that messages may be waiting.
    pub fn wake_deliverer(&self) {
        if let Some(d) = self
            .deliverer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            d.wake.notify_one();
        }
    }

    /// This process's name in source leases.
    pub fn worker_id(&self) -> &str {
        &self.worker
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

    /// Recomputes every account's readiness from its events and CRM data; returns how many
    /// accounts have a score. Used after imports and by `rescore`; crawls rescore only the
    /// accounts they touched, and [`App::decay`] ages the rest.
    pub async fn rescore(&self) -> Result<usize, AppError> {
        let mut after = 0i64;
        let mut scored = 0;
        loop {
            let page = self.store.accounts_after(after, 5_000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            scored += self.rescore_page(&page).await?;
        }
        Ok(scored)
    }

    /// Rescores these accounts from their events (after a crawl attached new ones, or feedback).
    pub async fn rescore_accounts(&self, ids: &[i64]) -> Result<usize, AppError> {
        let mut scored = 0;
        for chunk in ids.chunks(5_000) {
            let page = self.store.accounts_by_ids(chunk).await?;
            scored += self.rescore_page(&page).await?;
        }
        Ok(scored)
    }

    fn scorer(&self) -> Scorer {
        Scorer::new(&self.config.score, self.config.detect.min_confidence)
    }

    async fn rescore_page(&self, page: &[Account]) -> Result<usize, AppError> {
        let ids: Vec<i64> = page.iter().map(|a| a.id).collect();
        let events = self.store.account_events_in(Some(&ids)).await?;
        let muted = self.store.muted_accounts().await?;
        let scorer = self.scorer();
        let now = self.score_now();
        let mut by_account: std::collections::HashMap<i64, Vec<&crate::model::AccountEvent>> =
            std::collections::HashMap::new();
        // A score as of a past date knows nothing published after it (the demo replays its
        // history this way); with the wall clock, a feed's clock skew must not hide news.
        let as_of = self.config.score.as_of.is_some();
        for e in events
            .iter()
            .filter(|e| !as_of || e.event.published_at <= now)
        {
            by_account.entry(e.account_id).or_default().push(e);
        }
        let scores: Vec<Readiness> = page
            .iter()
            .map(|a| {
                let a = unmute(a, muted.get(&a.id), now);
                let evs = by_account.get(&a.id).map(Vec::as_slice).unwrap_or_default();
                scorer.score(&a, evs, now)
            })
            .collect();
        self.store.save_scores(&scores).await?;
        Ok(scores
            .iter()
            .filter(|r| !r.contributions.is_empty())
            .count())
    }

    /// Ages every stored score to now without reading events: contributions decay from their
    /// stored base values and CRM signals are recomputed from the accounts (a contract end can
    /// come into range without any new event). Run on a schedule by `serve`.
    pub async fn decay(&self) -> Result<usize, AppError> {
        let scorer = self.scorer();
        let now = self.score_now();
        let muted = self.store.muted_accounts().await?;
        let stored: std::collections::HashMap<i64, Readiness> = self
            .store
            .scores()
            .await?
            .into_iter()
            .map(|r| (r.account_id, r))
            .collect();
        let mut after = 0i64;
        let mut out = Vec::new();
        loop {
            let page = self.store.accounts_after(after, 5_000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for a in &page {
                let a = unmute(a, muted.get(&a.id), now);
                let r = match stored.get(&a.id) {
                    Some(prev) => scorer.rescore(&a, prev, now),
                    None => scorer.score(&a, &[], now),
                };
                if !r.contributions.is_empty() || stored.contains_key(&a.id) {
                    out.push(r);
                }
            }
        }
        self.store.save_scores(&out).await?;
        Ok(out.iter().filter(|r| !r.contributions.is_empty()).count())
    }

    /// Records SDR feedback on an event attached to an account (or on the account) and rescores
    /// the account: "not relevant" removes the contribution. The contribution's factors are kept
    /// with the feedback for learning weights later.
    pub async fn feedback(
        &self,
        account_id: i64,
        event_id: Option<i64>,
        verdict: crate::store::Verdict,
        author: Option<&str>,
        note: Option<&str>,
    ) -> Result<Option<Readiness>, AppError> {
        if self.store.account(account_id).await?.is_none() {
            return Err(AppError::UnknownAccount(account_id));
        }
        let prev = self.store.score_of(account_id).await?;
        if let Some(id) = event_id
            && !self.store.is_attached(account_id, id).await?
        {
            return Err(AppError::NotAttached {
                event: id,
                account: account_id,
            });
        }
        let factors = prev
            .as_ref()
            .and_then(|r| {
                r.contributions
                    .iter()
                    .find(|c| event_id.is_some() && c.event_id == event_id)
            })
            .map(|c| serde_json::to_value(c).unwrap_or_default())
            .unwrap_or_else(|| serde_json::json!({"score": prev.as_ref().map(|r| r.score)}));
        self.store
            .add_feedback(account_id, event_id, verdict, author, note, &factors)
            .await?;
        self.rescore_accounts(&[account_id]).await?;
        Ok(self.store.score_of(account_id).await?)
    }

    /// Everything about one account.
    pub async fn account_view(&self, id: i64) -> Result<AccountView, AppError> {
        let account = self
            .store
            .account(id)
            .await?
            .ok_or(AppError::UnknownAccount(id))?;
        let readiness = self.store.score_of(id).await?;
        Ok(AccountView {
            explanation: readiness
                .as_ref()
                .map(crate::score::explain)
                .unwrap_or_default(),
            readiness,
            history: self.store.score_history(id).await?,
            events: self.store.account_events(Some(id)).await?,
            feedback: self.store.feedback(id).await?,
            technographics: self.store.technographics(id).await?,
            account,
        })
    }

    /// Accounts ranked by readiness.
    pub async fn leads(&self, limit: i64) -> Result<Vec<(Account, Readiness)>, AppError> {
        Ok(self.store.leads(limit).await?)
    }

    /// Searches events; hits are hydrated from the database (the source of truth).
    pub async fn search(&self, q: &SearchQuery) -> Result<(usize, Vec<FoundEvent>), AppError> {
        let found = self.search_events(q).await?;
        Ok((found.total, found.events))
    }

    /// Searches events, with facet counts when `q.facets` asks for them.
    pub async fn search_events(&self, q: &SearchQuery) -> Result<EventSearch, AppError> {
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
        Ok(EventSearch {
            total: results.total,
            events: found,
            facets: results.facets,
        })
    }
}

/// CRM signals stay quiet for this long after an SDR marked the whole account not relevant.
const CRM_MUTE_DAYS: i64 = 90;

/// The account as scoring sees it: without its CRM signals while muted by feedback.
fn unmute(a: &Account, muted_at: Option<&DateTime<Utc>>, now: DateTime<Utc>) -> Account {
    let mut a = a.clone();
    if muted_at.is_some_and(|t| now - *t < chrono::Duration::days(CRM_MUTE_DAYS)) {
        a.last_purchase = None;
        a.contract_end = None;
        a.usage_ratio = None;
        a.go_live = None;
    }
    a
}

/// A name for this process in source leases: `host:pid:random`.
fn worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{host}:{}:{:08x}", std::process::id(), nanos)
}
