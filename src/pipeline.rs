//! One crawl of one source through every stage: fetch → decode → parse → extract → detect → match
//! → store → index. Each stage is timed, so the bench and the logs report where time goes.

use crate::accounts::Matcher;
use crate::detect::{Detector, document_text};
use crate::extract;
use crate::fetch::{Fetcher, Outcome, decode::decode};
use crate::model::{Document, Event, RawItem, company_names};
use crate::search::{IndexDoc, Indexer};
use crate::sources::SourceSpec;
use crate::store::{NewEvent, Store};
use chrono::Utc;
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
    pub indexer: &'a Indexer,
    pub postings: crate::config::PostingsConfig,
}

/// A document with its events, before storing.
type Processed = (Document, Vec<NewEvent>);

impl Pipeline<'_> {
    /// Crawls one source. Errors land in the report, not in the return value.
    pub async fn crawl(&self, spec: &SourceSpec) -> SourceReport {
        let mut report = SourceReport {
            source: spec.name.clone(),
            ..SourceReport::default()
        };
        if let Err(e) = self.crawl_inner(spec, &mut report).await {
            tracing::warn!(source = %spec.name, error = %e, "source failed");
            report.error = Some(e);
        }
        report
    }

    async fn crawl_inner(&self, spec: &SourceSpec, r: &mut SourceReport) -> Result<(), String> {
        let t = Instant::now();
        let first_url = spec.first_url();
        let validators = self
            .store
            .validators(&first_url)
            .await
            .map_err(|e| e.to_string())?;
        let outcome = self
            .fetcher
            .get_if_changed(&first_url, validators.as_ref())
            .await;
        r.times.fetch += t.elapsed();
        let fetched = match outcome {
            Ok(Outcome::Body(f)) => f,
            Ok(Outcome::NotModified) => {
                r.not_modified = true;
                return Ok(());
            }
            Err(e) => {
                r.transient = e.is_transient();
                r.retry_after = e.retry_after();
                return Err(e.to_string());
            }
        };

        let t = Instant::now();
        let decoded = decode(
            &fetched.bytes,
            fetched.content_type.as_deref(),
            spec.encoding.as_deref(),
        );
        r.encoding = format!("{} ({})", decoded.encoding, decoded.how);
        if decoded.had_errors {
            tracing::warn!(source = %spec.name, encoding = decoded.encoding, "some bytes could not be decoded and were replaced");
        }
        r.times.decode += t.elapsed();

        let t = Instant::now();
        let (mut items, mut next) = spec
            .parse_page(&decoded.text, &fetched.url, 0)
            .map_err(|e| e.to_string())?;
        r.times.parse += t.elapsed();
        // Further pages of a paginated listing (html `next`), up to its `max_pages`.
        let mut pages = 1;
        while let Some(url) = next.take()
            && pages < spec.max_pages()
        {
            pages += 1;
            let t = Instant::now();
            let page = self.fetcher.get(&url).await.map_err(|e| {
                r.transient = e.is_transient();
                e.to_string()
            })?;
            r.times.fetch += t.elapsed();
            let t = Instant::now();
            let text = decode(
                &page.bytes,
                page.content_type.as_deref(),
                spec.encoding.as_deref(),
            )
            .text;
            let (more, after) = spec
                .parse_page(&text, &page.url, pages - 1)
                .map_err(|e| e.to_string())?;
            items.extend(more);
            next = after;
            r.times.parse += t.elapsed();
        }
        r.items = items.len();

        // Until a source has been read once successfully, what it holds is its history.
        let baseline = self
            .store
            .is_baseline_run(&spec.name)
            .await
            .map_err(|e| e.to_string())?;
        let known = self
            .store
            .known_hashes(&spec.name)
            .await
            .map_err(|e| e.to_string())?;
        let detector = self.detector.clone();
        let matcher = self.matcher.clone();
        // Extraction, detection and matching are CPU work: keep them off the async workers.
        let surge = if spec.tracks_postings() {
            self.follow_postings(spec, &items)
                .await?
                // Unchanged since the last crawl this week: nothing to store again.
                .filter(|(d, _)| known.get(&d.url) != Some(&d.content_hash))
        } else {
            None
        };
        let (mut processed, unchanged, times) = tokio::task::spawn_blocking(move || {
            process(&items, &known, &detector, &matcher, baseline)
        })
        .await
        .map_err(|e| format!("processing panicked: {e}"))?;
        if let Some(s) = surge {
            processed.push(s);
        }
        r.times += times;
        r.unchanged = unchanged;
        r.new_or_changed = processed.len();

        for chunk in processed.chunks(BATCH) {
            let t = Instant::now();
            let saved = self
                .store
                .save_batch(chunk)
                .await
                .map_err(|e| e.to_string())?;
            r.times.store += t.elapsed();

            let t = Instant::now();
            let mut docs = Vec::new();
            let mut replaced = Vec::new();
            for ((doc, events), s) in chunk.iter().zip(&saved) {
                replaced.extend(&s.replaced_event_ids);
                r.touched_accounts.extend(&s.replaced_accounts);
                for ((ev, id), story) in events.iter().zip(&s.event_ids).zip(&s.story_ids) {
                    r.events += 1;
                    if !ev.matches.is_empty() {
                        r.matched_events += 1;
                    }
                    r.touched_accounts
                        .extend(ev.matches.iter().map(|m| m.account_id));
                    docs.push(IndexDoc {
                        event: event_of(*id, *story, doc, ev),
                        account_ids: ev.matches.iter().map(|m| m.account_id).collect(),
                        account_names: ev
                            .matches
                            .iter()
                            .filter_map(|m| self.matcher.account_name(m.account_id))
                            .map(str::to_string)
                            .collect(),
                    });
                }
            }
            self.indexer.delete(replaced).map_err(|e| e.to_string())?;
            self.indexer.add(docs).map_err(|e| e.to_string())?;
            r.times.index += t.elapsed();
        }
        // Only now: a failure above must not make the next run skip this body as unchanged.
        self.store
            .save_validators(&first_url, &fetched.validators)
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Pipeline<'_> {
    /// Records the listing as postings (first/last seen, closed when gone) and, for the source's
    /// account, a `hiring_surge` event when its postings rise sharply against its own baseline.
    async fn follow_postings(
        &self,
        spec: &SourceSpec,
        items: &[RawItem],
    ) -> Result<Option<Processed>, String> {
        let now = Utc::now();
        let account = match &spec.account {
            Some(crm) => self
                .store
                .account_by_crm_id(crm)
                .await
                .map_err(|e| e.to_string())?,
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
            .await
            .map_err(|e| e.to_string())?;
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
            .await
            .map_err(|e| e.to_string())?;
        let cfg = &self.postings;
        let since = self
            .store
            .postings_since(account.id)
            .await
            .map_err(|e| e.to_string())?;
        let postings = self
            .store
            .postings_of(account.id, now - chrono::Duration::days(cfg.baseline_days))
            .await
            .map_err(|e| e.to_string())?;
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
    let mut times = StageTimes::default();
    let mut out = Vec::new();
    let mut unchanged = 0;
    let now = Utc::now();
    let mut seen_urls = std::collections::HashSet::new();
    for item in items {
        let t = Instant::now();
        let doc = extract::extract(item, now);
        times.extract += t.elapsed();
        // A document is processed once per content version; a feed repeating a URL counts once.
        if known.get(&doc.url) == Some(&doc.content_hash) || !seen_urls.insert(doc.url.clone()) {
            unchanged += 1;
            continue;
        }
        let t = Instant::now();
        let text = document_text(&doc);
        let hits = detector.detect(&text, doc.lang);
        times.detect += t.elapsed();

        let t = Instant::now();
        let matches = matcher.match_hits(&text, &hits);
        let events = hits
            .into_iter()
            .zip(matches)
            .map(|(hit, matches)| NewEvent {
                matches,
                hit,
                baseline,
            })
            .collect();
        times.matching += t.elapsed();
        out.push((doc, events));
    }
    (out, unchanged, times)
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
