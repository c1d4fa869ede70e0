//! One crawl of one source through every stage: fetch → decode → parse → extract → detect → match
//! → store → index. Each stage is timed, so the bench and the logs report where time goes.

use crate::accounts::{AccountMatch, Matcher};
use crate::detect::{Detector, document_text};
use crate::extract::{
    self,
    neardup::{self, Fingerprint, NearDupIndex},
};
use crate::fetch::Fetcher;
use crate::model::{Document, Event, Mention, RawItem, Role, TriggerHit, company_names};
use crate::search::tail::Tail;
use crate::search::{IndexDoc, Indexer};
use crate::sources::{self, ReadError, Reader, SourceSpec};
use crate::store::{NewEvent, Store, StoreError};
use chrono::Utc;
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::ops::AddAssign;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Documents saved per database transaction.
const BATCH: usize = 500;

/// Time spent per stage.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct StageTimes {
    pub fetch: Duration,
    pub decode: Duration,
    pub parse: Duration,
    pub extract: Duration,
    pub detect: Duration,
    pub matching: Duration,
    pub store: Duration,
    pub index: Duration,
    pub score: Duration,
}

impl AddAssign for StageTimes {
    fn add_assign(&mut self, o: StageTimes) {
        self.fetch += o.fetch;
        self.decode += o.decode;
        self.parse += o.parse;
        self.extract += o.extract;
        self.detect += o.detect;
        self.matching += o.matching;
        self.store += o.store;
        self.index += o.index;
        self.score += o.score;
    }
}

impl StageTimes {
    /// (name, duration) in pipeline order.
    pub fn stages(&self) -> [(&'static str, Duration); 9] {
        [
            ("fetch", self.fetch),
            ("decode", self.decode),
            ("parse", self.parse),
            ("extract", self.extract),
            ("detect", self.detect),
            ("match", self.matching),
            ("store", self.store),
            ("index", self.index),
            ("score", self.score),
        ]
    }
}

/// What one source's crawl did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SourceReport {
    pub source: String,
    pub items: usize,
    pub new_or_changed: usize,
    pub unchanged: usize,
    /// New items that copy a story already stored from another source (kept as its sources).
    pub copies: usize,
    pub events: usize,
    pub matched_events: usize,
    /// Accounts that got new events (they are rescored after the crawl).
    #[serde(skip)]
    pub touched_accounts: Vec<i64>,
    /// Set when the source failed; other sources carry on.
    pub error: Option<String>,
    /// The failure may pass (timeout, 429, 5xx): retry with backoff. Permanent failures (404,
    /// robots.txt, a body over the cap) also back off, but need the source fixed.
    pub transient: bool,
    /// The server asked to wait this long (`Retry-After`).
    #[serde(skip)]
    pub retry_after: Option<Duration>,
    /// The source answered 304 Not Modified: nothing was parsed.
    pub not_modified: bool,
    pub times: StageTimes,
    /// Charset the body was read in and how it was chosen.
    pub encoding: String,
}

/// The stages' shared parts.
pub struct Pipeline<'a> {
    pub store: &'a Store,
    pub fetcher: &'a Fetcher,
    pub detector: Arc<Detector>,
    pub matcher: Arc<Matcher>,
    pub postings: crate::config::PostingsConfig,
    /// Recent documents' fingerprints: copies of a stored story become extra sources of it.
    pub neardup: &'a tokio::sync::Mutex<NearDupIndex>,
    /// Set when this process holds the index writer.
    pub direct: Option<DirectIndex<'a>>,
}

/// The index writer of a process that keeps the index, and its place in the change log: what a
/// crawl stores is indexed from memory, without reading it back.
pub struct DirectIndex<'a> {
    pub indexer: Arc<Indexer>,
    pub tail: &'a tokio::sync::Mutex<Option<Tail>>,
}

/// A document with its events, before storing.
type Processed = (Document, Vec<NewEvent>);

/// A processed document's fingerprint, when it takes part in the near-duplicate check (news and
/// pages at new URLs; not registry items, not derived documents, not changed versions).
type Check = Option<Fingerprint>;

impl From<StoreError> for ReadError {
    fn from(e: StoreError) -> Self {
        // A busy or failing database may recover: retry with backoff rather than give up.
        ReadError {
            message: e.to_string(),
            transient: true,
            retry_after: None,
        }
    }
}

impl Pipeline<'_> {
    /// Crawls one source. Errors land in the report, not in the return value.
    pub async fn crawl(&self, spec: &SourceSpec) -> SourceReport {
        self.crawl_with(spec, &ProgressBar::hidden()).await
    }

    /// Crawls one source, showing what it does on `bar`.
    pub async fn crawl_with(&self, spec: &SourceSpec, bar: &ProgressBar) -> SourceReport {
        let mut report = SourceReport {
            source: spec.name.clone(),
            ..SourceReport::default()
        };
        if let Err(e) = self.crawl_inner(spec, &mut report, bar).await {
            tracing::warn!(source = %spec.name, error = %e, "source failed");
            report.transient = e.transient;
            report.retry_after = e.retry_after;
            report.error = Some(e.message);
        }
        report
    }

    async fn crawl_inner(
        &self,
        spec: &SourceSpec,
        r: &mut SourceReport,
        bar: &ProgressBar,
    ) -> Result<(), ReadError> {
        let first_url = spec.first_url();
        let validators = self.store.validators(&first_url).await?;
        let known = self.store.known_hashes(&spec.name).await?;
        let mut reader = Reader::new(self.fetcher, spec, &known, validators, bar.clone());
        let listing = sources::read(spec, &mut reader).await;
        r.times.fetch += reader.times.fetch;
        r.times.decode += reader.times.decode;
        r.times.parse += reader.times.parse;
        r.encoding = std::mem::take(&mut reader.encoding);
        let saved_validators = reader.validators.take();
        drop(reader);
        let listing = listing?;
        if listing.not_modified {
            r.not_modified = true;
            return Ok(());
        }
        let items = listing.items;
        r.items = items.len();

        // Until a source has been read once successfully, what it holds is its history.
        let baseline = self.store.is_baseline_run(&spec.name).await?;
        let surge = if spec.tracks_postings() {
            bar.set_message("postings");
            self.follow_postings(spec, &items)
                .await?
                // Unchanged since the last crawl this week: nothing to store again.
                .filter(|(d, _)| known.get(&d.url) != Some(&d.content_hash))
        } else {
            None
        };
        // Accounts that source files name for registry companies.
        let mut named = HashMap::new();
        for crm in items
            .iter()
            .filter_map(|i| i.company.as_ref().and_then(|c| c.account.clone()))
        {
            if named.contains_key(&crm) {
                continue;
            }
            match self.store.account_by_crm_id(&crm).await? {
                Some(a) => {
                    named.insert(crm, a.id);
                }
                None => {
                    tracing::warn!(source = %spec.name, account = %crm, "the source names an account that is not imported; matching by identifiers and name instead");
                    named.insert(crm, 0);
                }
            }
        }
        let detector = self.detector.clone();
        let matcher = self.matcher.clone();
        bar.set_message(format!("detecting in {} items", items.len()));
        // Extraction, detection and matching are CPU work: keep them off the async workers.
        let (mut processed, mut checks, unchanged, times) =
            tokio::task::spawn_blocking(move || {
                process_items(&items, &known, &detector, &matcher, &named, baseline)
            })
            .await
            .map_err(|e| ReadError::permanent(format!("processing panicked: {e}")))?;
        if let Some(s) = surge {
            processed.push(s);
            checks.push(None);
        }
        r.times += times;
        r.unchanged = unchanged;

        bar.set_message(format!("storing {} documents", processed.len()));
        for (chunk, chunk_checks) in processed.chunks(BATCH).zip(checks.chunks(BATCH)) {
            let t = Instant::now();
            let (kept, saved) = self.save_deduplicated(chunk, chunk_checks, r).await?;
            r.times.store += t.elapsed();

            let t = Instant::now();
            let mut docs = Vec::new();
            let mut replaced = Vec::new();
            for ((doc, events), s) in kept.iter().zip(&saved.documents) {
                replaced.extend(&s.replaced_event_ids);
                r.touched_accounts.extend(&s.replaced_accounts);
                for ((ev, id), story) in events.iter().zip(&s.event_ids).zip(&s.story_ids) {
                    r.events += 1;
                    if !ev.matches.is_empty() {
                        r.matched_events += 1;
                    }
                    r.touched_accounts
                        .extend(ev.matches.iter().map(|m| m.account_id));
                    if self.direct.is_some() {
                        let ids: Vec<i64> = ev.matches.iter().map(|m| m.account_id).collect();
                        docs.push((event_of(*id, *story, doc, ev), ids));
                    }
                }
            }
            // A process holding the index writer indexes what it stored from memory and marks
            // those changes applied; any other process leaves them to the log (search::tail).
            if let Some(direct) = &self.direct {
                let mut ids: Vec<i64> = docs.iter().flat_map(|(_, a)| a.iter().copied()).collect();
                ids.sort_unstable();
                ids.dedup();
                let tags = self.store.account_tags(&ids).await?;
                let docs = docs
                    .into_iter()
                    .map(|(event, ids)| IndexDoc {
                        event,
                        accounts: ids.iter().filter_map(|i| tags.get(i).cloned()).collect(),
                        source_kind: spec.kind.as_str().to_string(),
                    })
                    .collect();
                let fail = |e: crate::search::SearchError| ReadError::permanent(e.to_string());
                direct.indexer.delete(replaced).map_err(fail)?;
                direct.indexer.add(docs).map_err(fail)?;
                if let Some(tail) = direct.tail.lock().await.as_mut() {
                    tail.mark_applied(&saved.change_seqs);
                }
            }
            r.times.index += t.elapsed();
        }
        r.new_or_changed = processed.len() - r.copies;
        // Only now: a failure above must not make the next run skip this body as unchanged.
        if let Some((url, v)) = saved_validators {
            self.store.save_validators(&url, &v).await?;
        }
        Ok(())
    }

    /// Saves a chunk of documents, except those that copy a stored story (another outlet's
    /// reprint): those are recorded as further sources of it. The near-duplicate index is held
    /// from the check until the save, so two sources crawled at once cannot both store the story.
    async fn save_deduplicated<'c>(
        &self,
        chunk: &'c [Processed],
        checks: &[Check],
        r: &mut SourceReport,
    ) -> Result<(Vec<&'c Processed>, crate::store::SavedBatch), ReadError> {
        let mut nd = self.neardup.lock().await;
        let now = Utc::now().timestamp();
        let since = now - nd.window_secs;
        if !nd.is_loaded() {
            for (id, url, fp, at) in self.store.recent_fingerprints(since).await? {
                nd.insert(id, &url, fp, at);
            }
            nd.set_loaded();
        } else {
            // Stories other processes (workers sharing the database) stored since: one indexed
            // query that finds nothing when this process is alone.
            for (id, url, fp, at) in self.store.fingerprints_after(nd.newest_id()).await? {
                nd.insert(id, &url, fp, at);
            }
        }
        let mark = nd.len();
        // Another source already stored the same article under the same URL: nothing to do.
        let new_urls: Vec<&str> = chunk
            .iter()
            .zip(checks)
            .filter(|(_, c)| c.is_some())
            .map(|(p, _)| p.0.url.as_str())
            .collect();
        let elsewhere = self.store.hashes_of_urls(&new_urls).await?;
        let mut kept: Vec<&Processed> = Vec::with_capacity(chunk.len());
        let mut kept_checks: Vec<Check> = Vec::with_capacity(chunk.len());
        // (copy, the document it copies: a stored id, or -(1 + position in `kept`)).
        let mut copies: Vec<(&Document, i64)> = Vec::new();
        for (p, check) in chunk.iter().zip(checks) {
            if check.is_some() && elsewhere.get(&p.0.url) == Some(&p.0.content_hash) {
                r.unchanged += 1;
                continue;
            }
            if let Some(fp) = check
                && let Some(of) = nd.find(&p.0.url, *fp, now)
            {
                copies.push((&p.0, of));
                continue;
            }
            if let Some(fp) = check {
                // Provisional id until saved: a later copy in this chunk can point to it.
                nd.insert(-(1 + kept.len() as i64), &p.0.url, *fp, now);
            }
            kept.push(p);
            kept_checks.push(*check);
        }
        let owned: Vec<Processed> = kept.iter().map(|p| (*p).clone()).collect();
        let fps: Vec<Option<Fingerprint>> = kept_checks.clone();
        let saved = match self.store.save_batch_with(&owned, &fps).await {
            Ok(s) => s,
            Err(e) => {
                nd.rollback(mark);
                return Err(e.into());
            }
        };
        let ids: Vec<i64> = saved.documents.iter().map(|s| s.document_id).collect();
        nd.resolve_provisional(mark, &ids);
        let resolve = |of: i64| {
            if of < 0 { ids[(-of - 1) as usize] } else { of }
        };
        let rows: Vec<(i64, &Document)> = copies.iter().map(|(d, of)| (resolve(*of), *d)).collect();
        self.store.save_copies(&rows, now).await?;
        r.copies += rows.len();
        Ok((kept, saved))
    }
}

impl Pipeline<'_> {
    /// Records the listing as postings (first/last seen, closed when gone) and, for the source's
    /// account, a `hiring_surge` event when its postings rise sharply against its own baseline.
    async fn follow_postings(
        &self,
        spec: &SourceSpec,
        items: &[RawItem],
    ) -> Result<Option<Processed>, StoreError> {
        let now = Utc::now();
        let account = match &spec.account {
            Some(crm) => self.store.account_by_crm_id(crm).await?,
            None => None,
        };
        let listed: Vec<(String, String)> = items
            .iter()
            .map(|i| {
                (
                    extract::canonical_url(&i.url),
                    extract::html_to_text(&i.title),
                )
            })
            .collect();
        self.store
            .observe_postings(&spec.name, account.as_ref().map(|a| a.id), &listed, now)
            .await?;
        let Some(account) = account else {
            return Ok(None);
        };
        // Technographics: the dictionary's technologies named in the postings.
        let mut techs: Vec<String> = items
            .iter()
            .flat_map(|i| {
                let text = format!(
                    "{}\n{}",
                    extract::html_to_text(&i.title),
                    extract::html_to_text(&i.body)
                );
                self.detector.tech().extract_names(&text)
            })
            .collect();
        techs.sort();
        techs.dedup();
        self.store
            .observe_technologies(account.id, &techs, &spec.name, now)
            .await?;
        let cfg = &self.postings;
        let since = self.store.postings_since(account.id).await?;
        let postings = self
            .store
            .postings_of(account.id, now - chrono::Duration::days(cfg.baseline_days))
            .await?;
        let Some(s) = crate::detect::hiring::surge(&postings, since, now, cfg) else {
            return Ok(None);
        };
        let evidence = format!(
            "{} has {} open job postings, {:.1}× its median of {} over the previous {} days; {} new in {} days: {}.",
            account.name,
            s.open_now,
            s.open_now as f32 / s.baseline_median.max(1.0),
            s.baseline_median,
            cfg.baseline_days,
            s.new_recent,
            cfg.surge_window_days,
            s.titles.join("; ")
        );
        // One surge document per account and ISO week: later crawls that week update it.
        let week = now.format("%G-W%V");
        let title = format!("Hiring surge: {}", account.name);
        let doc = Document {
            source: spec.name.clone(),
            url: format!("hiring-surge://{}/{week}", account.crm_id),
            content_hash: extract::content_hash(&title, &evidence),
            title,
            text: evidence.clone(),
            lang: crate::model::Lang::En,
            published_at: now,
        };
        let hit = crate::model::TriggerHit {
            kind: crate::model::TriggerKind::HiringSurge,
            status: crate::model::EventStatus::Announced,
            confidence: 0.9,
            evidence_start: 0,
            evidence_end: evidence.len(),
            evidence,
            cue: "job postings".into(),
            mentions: Vec::new(),
            amounts: Vec::new(),
            locations: Vec::new(),
            support: Vec::new(),
            technologies: Vec::new(),
        };
        let matches = vec![crate::accounts::AccountMatch {
            account_id: account.id,
            role: crate::model::Role::Subject,
            confidence: 1.0,
            matched_as: format!("source account {}", account.crm_id),
            ambiguous: false,
        }];
        Ok(Some((
            doc,
            vec![NewEvent {
                hit,
                matches,
                baseline: false,
            }],
        )))
    }
}

/// Extract, skip unchanged, detect, match: the CPU part of a crawl. `baseline`: the source's
/// first successful read, whose events are history (marked, never alerted).
pub fn process(
    items: &[RawItem],
    known: &HashMap<String, String>,
    detector: &Detector,
    matcher: &Matcher,
    baseline: bool,
) -> (Vec<Processed>, usize, StageTimes) {
    let (out, _, unchanged, times) =
        process_items(items, known, detector, matcher, &HashMap::new(), baseline);
    (out, unchanged, times)
}

/// [`process`], with the accounts source files name for registry companies (CRM id → account
/// id, 0 when not imported) and each document's near-duplicate check.
fn process_items(
    items: &[RawItem],
    known: &HashMap<String, String>,
    detector: &Detector,
    matcher: &Matcher,
    named: &HashMap<String, i64>,
    baseline: bool,
) -> (Vec<Processed>, Vec<Check>, usize, StageTimes) {
    let mut times = StageTimes::default();
    let mut out = Vec::new();
    let mut checks = Vec::new();
    let mut unchanged = 0;
    let now = Utc::now();
    let mut seen_urls = std::collections::HashSet::new();
    for item in items {
        let t = Instant::now();
        let doc = extract::extract(item, now);
        times.extract += t.elapsed();
        // A document is processed once per content version; a feed repeating a URL counts once;
        // an item whose details were fetched when it was new keeps its stored version.
        let stored = known.get(&doc.url);
        if (item.keep_stored && stored.is_some())
            || stored == Some(&doc.content_hash)
            || !seen_urls.insert(doc.url.clone())
        {
            unchanged += 1;
            continue;
        }
        let t = Instant::now();
        let check =
            (stored.is_none() && item.stated.is_empty()).then(|| neardup::fingerprint(&doc));
        times.extract += t.elapsed();
        let text = document_text(&doc);
        let events = if item.stated.is_empty() {
            let t = Instant::now();
            let hits = detector.detect(&text, doc.lang);
            times.detect += t.elapsed();
            let t = Instant::now();
            let matches = matcher.match_hits(&text, &hits);
            times.matching += t.elapsed();
            hits.into_iter()
                .zip(matches)
                .map(|(hit, matches)| NewEvent {
                    matches,
                    hit,
                    baseline,
                })
                .collect()
        } else {
            let t = Instant::now();
            let ev = stated_events(item, &text, matcher, named, baseline);
            times.matching += t.elapsed();
            ev
        };
        out.push((doc, events));
        checks.push(check);
    }
    (out, checks, unchanged, times)
}

/// The events a registry item states, attached to its company: the account its source file
/// names, else the accounts holding its identifiers (CIK, INN), else an unambiguous name match.
fn stated_events(
    item: &RawItem,
    text: &str,
    matcher: &Matcher,
    named: &HashMap<String, i64>,
    baseline: bool,
) -> Vec<NewEvent> {
    let company = item.company.as_ref();
    let mut matches: Vec<AccountMatch> = Vec::new();
    if let Some(id) = company
        .and_then(|c| c.account.as_ref())
        .and_then(|crm| named.get(crm))
        .filter(|id| **id > 0)
    {
        matches.push(AccountMatch {
            account_id: *id,
            role: Role::Subject,
            confidence: 1.0,
            matched_as: "source account".into(),
            ambiguous: false,
        });
    }
    if matches.is_empty()
        && let Some(c) = company
    {
        for (kind, value) in &c.identifiers {
            for id in matcher.accounts_with(kind, value) {
                matches.push(AccountMatch {
                    account_id: id,
                    role: Role::Subject,
                    confidence: 1.0,
                    matched_as: format!("{kind}:{value}"),
                    ambiguous: false,
                });
            }
        }
        if matches.is_empty() {
            let found = matcher.find(&c.name);
            let mut ids: Vec<i64> = found.iter().map(|m| m.account_id).collect();
            ids.sort_unstable();
            ids.dedup();
            if let ([id], Some(m)) = (ids.as_slice(), found.first())
                && !m.ambiguous
            {
                matches.push(AccountMatch {
                    account_id: *id,
                    role: Role::Subject,
                    confidence: m.confidence,
                    matched_as: m.how.clone(),
                    ambiguous: false,
                });
            }
        }
    }
    item.stated
        .iter()
        .map(|s| {
            let (start, end) = text
                .find(&s.evidence)
                .map_or((0, 0), |i| (i, i + s.evidence.len()));
            let mentions = company
                .and_then(|c| text.find(&c.name).map(|i| (c, i)))
                .map(|(c, i)| Mention {
                    name: c.name.clone(),
                    role: Role::Subject,
                    start: i,
                    end: i + c.name.len(),
                })
                .into_iter()
                .collect();
            NewEvent {
                hit: TriggerHit {
                    kind: s.kind,
                    status: s.status,
                    confidence: s.confidence,
                    evidence: s.evidence.clone(),
                    evidence_start: start,
                    evidence_end: end,
                    cue: s.cue.clone(),
                    mentions,
                    amounts: Vec::new(),
                    locations: Vec::new(),
                    support: Vec::new(),
                    technologies: Vec::new(),
                },
                matches: matches.clone(),
                baseline,
            }
        })
        .collect()
}

fn event_of(id: i64, story_id: i64, doc: &Document, ev: &NewEvent) -> Event {
    Event {
        id,
        story_id,
        kind: ev.hit.kind,
        status: ev.hit.status,
        confidence: ev.hit.confidence,
        evidence: ev.hit.evidence.clone(),
        companies: company_names(&ev.hit.mentions),
        locations: ev.hit.locations.clone(),
        technologies: ev.hit.technologies.clone(),
        source: doc.source.clone(),
        url: doc.url.clone(),
        title: doc.title.clone(),
        lang: doc.lang,
        published_at: doc.published_at,
        baseline: ev.baseline,
    }
}
