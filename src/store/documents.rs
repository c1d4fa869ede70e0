//! Documents and the events detected in them, written together in one transaction.

use super::sql::Sql;
use super::{StoreError, q};
use crate::accounts::AccountMatch;
use crate::extract::neardup::Fingerprint;
use crate::model::{
    AccountEvent, AccountTag, Document, Event, Lang, Mention, TechRef, TriggerHit, company_names,
};
use crate::text::name_key;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::collections::HashMap;

/// The company an event is about, for merging reports that match no account: the folded name of
/// its first-named company (the subject or acquirer in most sentences).
fn story_key(h: &TriggerHit) -> Option<String> {
    h.mentions
        .iter()
        .min_by_key(|m| m.start)
        .map(|m| name_key(&m.name))
        .filter(|k| k.chars().count() >= 3)
}

/// A detected trigger with the accounts it attaches to.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub hit: TriggerHit,
    pub matches: Vec<AccountMatch>,
    /// From the first crawl of its source (see [`crate::model::Event::baseline`]).
    pub baseline: bool,
}

/// What saving a document produced.
#[derive(Debug, Clone)]
pub struct SavedDocument {
    pub document_id: i64,
    pub event_ids: Vec<i64>,
    /// Per event: its story (see [`Event::story_id`]).
    pub story_ids: Vec<i64>,
    /// Events of the previous version of the document, now deleted (the index must drop them).
    pub replaced_event_ids: Vec<i64>,
    /// Accounts those deleted events were attached to (their scores must be recomputed).
    pub replaced_accounts: Vec<i64>,
}

/// A saved batch: each document's ids, and the numbers of the index changes it logged (the
/// process that indexes the batch itself marks them applied).
#[derive(Debug, Clone, Default)]
pub struct SavedBatch {
    pub documents: Vec<SavedDocument>,
    pub change_seqs: Vec<i64>,
}

type DocumentQuery<'q> = sqlx::query::QueryScalar<'q, Any, i64, sqlx::any::AnyArguments>;

/// Binds a document as $1…$8 (source, url, title, body, lang, published_at, fetched_at, hash):
/// the insert and the update of a changed document take the same parameters.
fn bind_document<'q>(q: DocumentQuery<'q>, doc: &'q Document, now: i64) -> DocumentQuery<'q> {
    q.bind(&doc.source)
        .bind(&doc.url)
        .bind(&doc.title)
        .bind(&doc.text)
        .bind(doc.lang.as_str())
        .bind(doc.published_at.timestamp())
        .bind(now)
        .bind(&doc.content_hash)
}

pub(crate) fn ts(t: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(t, 0).single().unwrap_or_default()
}

const EVENT_COLUMNS: &str = "e.id, COALESCE(e.story_id, e.id) AS story_id, e.kind, e.status, e.confidence, e.evidence, e.mentions, e.locations, e.technologies, \
    e.baseline, d.source, d.url, d.title, d.lang, d.published_at";

/// `SELECT <event columns><extra>`: every reader of events selects the same columns, which
/// [`event_from_row`] reads.
fn select_events(extra: &str) -> Sql {
    let mut qb = Sql::new("SELECT ");
    qb.push(EVENT_COLUMNS).push(extra);
    qb
}

pub(crate) fn event_from_row(r: &AnyRow) -> Result<Event, StoreError> {
    let corrupt = |what: &'static str, message: String| StoreError::Corrupt { what, message };
    let mentions: Vec<Mention> = serde_json::from_str(r.get::<&str, _>("mentions"))
        .map_err(|e| corrupt("event mentions", e.to_string()))?;
    let companies = company_names(&mentions);
    let locations: Vec<String> = serde_json::from_str(r.get::<&str, _>("locations"))
        .map_err(|e| corrupt("event locations", e.to_string()))?;
    let technologies: Vec<TechRef> = serde_json::from_str(r.get::<&str, _>("technologies"))
        .map_err(|e| corrupt("event technologies", e.to_string()))?;
    Ok(Event {
        id: r.get("id"),
        story_id: r.get("story_id"),
        kind: r
            .get::<&str, _>("kind")
            .parse()
            .map_err(|e: crate::model::UnknownKind| corrupt("event kind", e.to_string()))?,
        status: r
            .get::<&str, _>("status")
            .parse()
            .map_err(|e: String| corrupt("event status", e))?,
        confidence: r.get::<f64, _>("confidence") as f32,
        evidence: r.get("evidence"),
        companies,
        locations,
        technologies,
        source: r.get("source"),
        url: r.get("url"),
        title: r.get("title"),
        lang: Lang::parse(r.get::<&str, _>("lang")).unwrap_or(Lang::En),
        published_at: ts(r.get("published_at")),
        baseline: r.get::<i64, _>("baseline") != 0,
    })
}

impl super::Store {
    /// URL → content hash of every stored document of a source, for the cheap unchanged check.
    /// Copies of other sources' stories count too: an unchanged copy is not read again.
    pub async fn known_hashes(&self, source: &str) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT url, content_hash FROM documents WHERE source = $1 \
                 UNION ALL SELECT url, content_hash FROM document_sources WHERE source = $1",
        )
        .bind(source)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading known documents"))?;
        Ok(rows.into_iter().collect())
    }

    /// Saves documents and their events in one transaction. A document already stored under the
    /// same URL is replaced along with its events (its content changed).
    pub async fn save_batch(
        &self,
        batch: &[(Document, Vec<NewEvent>)],
    ) -> Result<Vec<SavedDocument>, StoreError> {
        Ok(self.save_batch_with(batch, &[]).await?.documents)
    }

    /// [`Store::save_batch`], storing each document's near-duplicate fingerprints (`fps[i]`
    /// for `batch[i]`; missing ones are stored as none).
    pub async fn save_batch_with(
        &self,
        batch: &[(Document, Vec<NewEvent>)],
        fps: &[Option<Fingerprint>],
    ) -> Result<SavedBatch, StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to save documents"))?;
        let now = Utc::now().timestamp();
        let now_ms = Utc::now().timestamp_millis();
        // Webhook messages go out in this same transaction: no event without its messages.
        let subs = super::webhooks::active_in(&mut tx).await?;
        let mut accounts: HashMap<i64, Option<super::webhooks::MessageAccount>> = HashMap::new();
        let mut out = Vec::with_capacity(batch.len());
        for (i, (doc, events)) in batch.iter().enumerate() {
            let fp = fps.get(i).copied().flatten();
            // u64 fingerprints are stored as their i64 bit patterns.
            let (simhash, words) = (fp.map(|f| f.simhash as i64), fp.map(|f| f.words as i64));
            // New documents (the common case) cost one statement; only a changed one pays for
            // the update and for replacing its events.
            let inserted: Option<i64> = bind_document(sqlx::query_scalar(
                "INSERT INTO documents (source, url, title, body, lang, published_at, fetched_at, content_hash, simhash, words_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (url) DO NOTHING RETURNING id",
            ), doc, now)
            .bind(simhash)
            .bind(words)
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("saving a document"))?;
            let (document_id, replaced_event_ids, replaced_accounts) = match inserted {
                Some(id) => (id, Vec::new(), Vec::new()),
                None => {
                    let id: i64 = bind_document(sqlx::query_scalar(
                        "UPDATE documents SET source = $1, title = $3, body = $4, lang = $5, published_at = $6, \
                         fetched_at = $7, content_hash = $8, simhash = COALESCE($9, simhash), \
                         words_hash = COALESCE($10, words_hash) WHERE url = $2 RETURNING id",
                    ), doc, now)
                    .bind(simhash)
                    .bind(words)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(q("updating a changed document"))?;
                    let old: Vec<i64> =
                        sqlx::query_scalar("SELECT id FROM events WHERE document_id = $1")
                            .bind(id)
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(q("reading a changed document's events"))?;
                    let accounts: Vec<i64> = sqlx::query_scalar(
                        "SELECT DISTINCT ea.account_id FROM event_accounts ea \
                         JOIN events e ON e.id = ea.event_id WHERE e.document_id = $1",
                    )
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(q("reading a changed document's accounts"))?;
                    sqlx::query("DELETE FROM events WHERE document_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(q("replacing a changed document's events"))?;
                    (id, old, accounts)
                }
            };
            let mut event_ids = Vec::with_capacity(events.len());
            let mut story_ids = Vec::with_capacity(events.len());
            let published = doc.published_at.timestamp();
            for ev in events {
                let h = &ev.hit;
                let key = story_key(h);
                let story = self
                    .find_story(&mut tx, document_id, published, ev, key.as_deref())
                    .await?;
                let event_id: i64 = sqlx::query_scalar(
                    "INSERT INTO events (document_id, kind, status, confidence, evidence, evidence_start, \
                     evidence_end, cue, mentions, amounts, detected_at, story_id, published_at, locations, story_key, \
                     technologies, baseline) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
                )
                .bind(document_id)
                .bind(h.kind.as_str())
                .bind(h.status.as_str())
                .bind(h.confidence as f64)
                .bind(&h.evidence)
                .bind(h.evidence_start as i64)
                .bind(h.evidence_end as i64)
                .bind(&h.cue)
                .bind(serde_json::to_string(&h.mentions).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&h.amounts).unwrap_or_else(|_| "[]".into()))
                .bind(now)
                .bind(story)
                .bind(published)
                .bind(serde_json::to_string(&h.locations).unwrap_or_else(|_| "[]".into()))
                .bind(key.as_deref())
                .bind(serde_json::to_string(&h.technologies).unwrap_or_else(|_| "[]".into()))
                .bind(i64::from(ev.baseline))
                .fetch_one(&mut *tx)
                .await
                .map_err(q("saving an event"))?;
                // A first report keeps story_id NULL: readers take COALESCE(story_id, id).
                for m in &ev.matches {
                    sqlx::query(
                        "INSERT INTO event_accounts (event_id, account_id, role, match_confidence, matched_as, \
                         kind, published_at, story_id, ambiguous) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (event_id, account_id) DO NOTHING",
                    )
                    .bind(event_id)
                    .bind(m.account_id)
                    .bind(m.role.as_str())
                    .bind(m.confidence as f64)
                    .bind(&m.matched_as)
                    .bind(h.kind.as_str())
                    .bind(published)
                    .bind(story.unwrap_or(event_id))
                    .bind(i64::from(m.ambiguous))
                    .execute(&mut *tx)
                    .await
                    .map_err(q("attaching an event to an account"))?;
                    // A baseline event is history: stored, never alerted.
                    if subs.is_empty() || ev.baseline {
                        continue;
                    }
                    if let std::collections::hash_map::Entry::Vacant(e) =
                        accounts.entry(m.account_id)
                    {
                        e.insert(super::webhooks::message_account(&mut tx, m.account_id).await?);
                    }
                    if let Some(Some(a)) = accounts.get(&m.account_id) {
                        let msg = crate::deliver::events::trigger_detected(
                            a.clone(),
                            event_id,
                            story.unwrap_or(event_id),
                            doc,
                            h,
                            m,
                        );
                        super::webhooks::enqueue(&mut tx, &subs, &msg, now_ms).await?;
                    }
                }
                event_ids.push(event_id);
                story_ids.push(story.unwrap_or(event_id));
            }
            out.push(SavedDocument {
                document_id,
                event_ids,
                story_ids,
                replaced_event_ids,
                replaced_accounts,
            });
        }
        // The search index follows through the change log, written in this transaction.
        let changed: Vec<i64> = out
            .iter()
            .flat_map(|s| s.replaced_event_ids.iter().chain(&s.event_ids))
            .copied()
            .collect();
        let change_seqs = super::changes::log(&mut tx, &changed, now).await?;
        tx.commit().await.map_err(q("committing documents"))?;
        Ok(SavedBatch {
            documents: out,
            change_seqs,
        })
    }

    /// The story an event belongs to: an earlier report of the same kind, published within the
    /// story window, about the same company: a shared account, or, when the event is attached to
    /// no account, the same first-named company (its `story_key`). `None` starts a new story.
    /// Both lookups are single indexed queries (the ingest bench pays them for every event).
    async fn find_story(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
        document_id: i64,
        published: i64,
        ev: &NewEvent,
        key: Option<&str>,
    ) -> Result<Option<i64>, StoreError> {
        if self.story_window == 0 {
            return Ok(None);
        }
        let (from, to) = (published - self.story_window, published + self.story_window);
        if !ev.matches.is_empty() {
            let mut qb =
                Sql::new("SELECT COALESCE(story_id, event_id) FROM event_accounts WHERE kind = ");
            qb.push_bind(ev.hit.kind.as_str())
                .push(" AND published_at BETWEEN ")
                .push_bind(from)
                .push(" AND ")
                .push_bind(to)
                .push(" AND account_id IN (");
            qb.push_list(ev.matches.iter().map(|m| m.account_id));
            qb.push(") ORDER BY published_at, event_id LIMIT 1");
            let found: Option<i64> = qb
                .build_scalar()
                .fetch_optional(&mut **tx)
                .await
                .map_err(q("looking for the story of an event"))?;
            if found.is_some() {
                return Ok(found);
            }
        }
        // Names decide only when the event has no account: two accounts that share a word in
        // their names must not merge their news.
        let Some(key) = key.filter(|_| ev.matches.is_empty()) else {
            return Ok(None);
        };
        sqlx::query_scalar(
            "SELECT COALESCE(story_id, id) FROM events \
             WHERE kind = $1 AND story_key = $2 AND published_at BETWEEN $3 AND $4 \
             AND document_id <> $5 ORDER BY published_at, id LIMIT 1",
        )
        .bind(ev.hit.kind.as_str())
        .bind(key)
        .bind(from)
        .bind(to)
        .bind(document_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(q("looking for the story of an event"))
    }

    /// URL → content hash of the stored documents and copies among `urls` (whatever their
    /// source).
    pub async fn hashes_of_urls(
        &self,
        urls: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut out = HashMap::new();
        for chunk in urls.chunks(500) {
            let mut qb = Sql::new("SELECT url, content_hash FROM documents WHERE url IN (");
            qb.push_list(chunk.iter().copied());
            qb.push(") UNION ALL SELECT url, content_hash FROM document_sources WHERE url IN (");
            qb.push_list(chunk.iter().copied());
            qb.push(")");
            let rows: Vec<(String, String)> = qb
                .build_as()
                .fetch_all(&self.pool)
                .await
                .map_err(q("reading documents by URL"))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Fingerprints of the documents fetched since `since` (unix seconds): (id, url,
    /// fingerprint, fetched_at), to fill the in-memory near-duplicate index.
    pub async fn recent_fingerprints(
        &self,
        since: i64,
    ) -> Result<Vec<(i64, String, Fingerprint, i64)>, StoreError> {
        let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, url, simhash, words_hash, fetched_at FROM documents \
             WHERE fetched_at >= $1 AND words_hash IS NOT NULL ORDER BY id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading recent fingerprints"))?;
        Ok(fingerprints(rows))
    }

    /// Fingerprints of the documents stored after document `after_id` (by other processes, since
    /// this one last looked): a primary-key range, cheap when there are none.
    pub async fn fingerprints_after(
        &self,
        after_id: i64,
    ) -> Result<Vec<(i64, String, Fingerprint, i64)>, StoreError> {
        let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, url, simhash, words_hash, fetched_at FROM documents \
             WHERE id > $1 AND words_hash IS NOT NULL ORDER BY id",
        )
        .bind(after_id)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading new fingerprints"))?;
        Ok(fingerprints(rows))
    }

    /// Records copies of stored documents: `(document id, the copy)`. A copy seen again with
    /// other content updates its row.
    pub async fn save_copies(
        &self,
        copies: &[(i64, &Document)],
        now: i64,
    ) -> Result<(), StoreError> {
        if copies.is_empty() {
            return Ok(());
        }
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting to save copies"))?;
        for (id, d) in copies {
            sqlx::query(
                "INSERT INTO document_sources (url, document_id, source, title, content_hash, published_at, seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (url) DO UPDATE SET \
                 document_id = excluded.document_id, source = excluded.source, title = excluded.title, \
                 content_hash = excluded.content_hash, seen_at = excluded.seen_at",
            )
            .bind(&d.url)
            .bind(id)
            .bind(&d.source)
            .bind(&d.title)
            .bind(&d.content_hash)
            .bind(d.published_at.timestamp())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(q("saving a copy of a document"))?;
        }
        tx.commit().await.map_err(q("committing copies"))?;
        Ok(())
    }

    /// The other sources that carried a document (syndicated copies): (source, url, title),
    /// oldest first.
    pub async fn document_copies(
        &self,
        document_id: i64,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        sqlx::query_as(
            "SELECT source, url, title FROM document_sources WHERE document_id = $1 ORDER BY seen_at, url",
        )
        .bind(document_id)
        .fetch_all(&self.pool)
        .await
        .map_err(q("reading copies of a document"))
    }

    /// The document id stored under a URL (a copy's URL gives the document it copies).
    pub async fn document_id_by_url(&self, url: &str) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar(
            "SELECT id FROM documents WHERE url = $1 UNION ALL \
             SELECT document_id FROM document_sources WHERE url = $1 LIMIT 1",
        )
        .bind(url)
        .fetch_optional(&self.pool)
        .await
        .map_err(q("finding a document by URL"))
    }

    /// Every report of a story (its first report's event id), oldest first: one event told by
    /// several outlets keeps all its sources.
    pub async fn story_events(&self, story_id: i64) -> Result<Vec<Event>, StoreError> {
        let mut qb = select_events(
            " FROM events e JOIN documents d ON d.id = e.document_id WHERE e.story_id = ",
        );
        qb.push_bind(story_id)
            .push(" OR e.id = ")
            .push_bind(story_id)
            .push(" ORDER BY d.published_at, e.id");
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading a story"))?;
        rows.iter().map(event_from_row).collect()
    }

    /// Events with id > `after`, oldest first, at most `limit` (for reindexing in pages).
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        let mut qb =
            select_events(" FROM events e JOIN documents d ON d.id = e.document_id WHERE e.id > ");
        qb.push_bind(after)
            .push(" ORDER BY e.id LIMIT ")
            .push_bind(limit);
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading events"))?;
        rows.iter().map(event_from_row).collect()
    }

    /// Events by id, in the order of `ids` (missing ids are skipped).
    pub async fn events_by_ids(&self, ids: &[i64]) -> Result<Vec<Event>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = select_events(
            " FROM events e JOIN documents d ON d.id = e.document_id WHERE e.id IN (",
        );
        qb.push_list(ids.iter().copied());
        qb.push(")");
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading events by id"))?;
        let mut by_id: HashMap<i64, Event> = HashMap::new();
        for r in &rows {
            let e = event_from_row(r)?;
            by_id.insert(e.id, e);
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// The accounts (id, name) attached to each event, for the index.
    pub async fn event_accounts(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<AccountTag>>, StoreError> {
        let mut out: HashMap<i64, Vec<AccountTag>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut qb = Sql::new(
            "SELECT ea.event_id, a.id, a.name, a.industry, a.region, a.segment \
             FROM event_accounts ea JOIN accounts a ON a.id = ea.account_id WHERE ea.event_id IN (",
        );
        qb.push_list(ids.iter().copied());
        qb.push(")");
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading event accounts"))?;
        for r in &rows {
            out.entry(r.get::<i64, _>(0))
                .or_default()
                .push(account_tag(r, 1));
        }
        Ok(out)
    }

    /// The index's view of these accounts.
    pub async fn account_tags(&self, ids: &[i64]) -> Result<HashMap<i64, AccountTag>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(5_000) {
            let mut qb =
                Sql::new("SELECT id, name, industry, region, segment FROM accounts WHERE id IN (");
            qb.push_list(chunk.iter().copied());
            qb.push(")");
            let rows = qb
                .build()
                .fetch_all(&self.pool)
                .await
                .map_err(q("reading accounts"))?;
            for r in &rows {
                let t = account_tag(r, 0);
                out.insert(t.id, t);
            }
        }
        Ok(out)
    }

    /// Each source's kind (`feed`, `html`, `hh`, …) by name.
    pub async fn source_kinds(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, kind FROM sources")
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading source kinds"))?;
        Ok(rows.into_iter().collect())
    }

    /// Every event attached to an account (optionally one account), for scoring and pages.
    /// Events an SDR marked not relevant for the account are left out.
    pub async fn account_events(
        &self,
        account: Option<i64>,
    ) -> Result<Vec<AccountEvent>, StoreError> {
        match account {
            Some(id) => self.account_events_in(Some(&[id])).await,
            None => self.account_events_in(None).await,
        }
    }

    /// The attached events of these accounts (all accounts for `None`).
    pub async fn account_events_in(
        &self,
        accounts: Option<&[i64]>,
    ) -> Result<Vec<AccountEvent>, StoreError> {
        if accounts.is_some_and(|a| a.is_empty()) {
            return Ok(Vec::new());
        }
        // Built with QueryBuilder rather than "$1 IS NULL OR …": PostgreSQL cannot type an
        // untyped NULL parameter. Feedback finds its event by URL and kind, or story and kind,
        // not by row id: a changed document's events get new rows, and SQLite may reuse ids.
        let mut qb = select_events(
            ", ea.account_id, ea.role, ea.match_confidence, ea.matched_as, ea.ambiguous, \
             COALESCE(s.reliability, 0.8) AS reliability \
             FROM event_accounts ea \
             JOIN events e ON e.id = ea.event_id \
             JOIN documents d ON d.id = e.document_id \
             LEFT JOIN sources s ON s.name = d.source \
             WHERE NOT EXISTS (SELECT 1 FROM feedback f WHERE f.account_id = ea.account_id \
             AND f.verdict = 'not_relevant' \
             AND ((f.scope = 'event' AND f.kind = e.kind \
                   AND (f.url = d.url OR f.story_id = COALESCE(e.story_id, e.id))) \
               OR (f.scope = 'account' AND e.detected_at <= f.created_at)) \
             AND NOT EXISTS (SELECT 1 FROM feedback g WHERE g.account_id = f.account_id \
                   AND g.scope = f.scope AND g.id > f.id \
                   AND (f.scope = 'account' OR (g.url = f.url AND g.kind = f.kind))))",
        );
        if let Some(ids) = accounts {
            qb.push(" AND ea.account_id IN (");
            qb.push_list(ids.iter().copied());
            qb.push(")");
        }
        qb.push(" ORDER BY d.published_at DESC, e.id DESC");
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading account events"))?;
        rows.iter()
            .map(|r| {
                Ok(AccountEvent {
                    event: event_from_row(r)?,
                    account_id: r.get("account_id"),
                    role: r
                        .get::<&str, _>("role")
                        .parse()
                        .map_err(|m| StoreError::Corrupt {
                            what: "event role",
                            message: m,
                        })?,
                    match_confidence: r.get::<f64, _>("match_confidence") as f32,
                    matched_as: r.get("matched_as"),
                    ambiguous: r.get::<i64, _>("ambiguous") != 0,
                    source_reliability: r.get::<f64, _>("reliability") as f32,
                })
            })
            .collect()
    }

    /// Newest publication date among documents (the demo scores "as of" it).
    pub async fn newest_document_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let t: Option<i64> = sqlx::query_scalar("SELECT MAX(published_at) FROM documents")
            .fetch_one(&self.pool)
            .await
            .map_err(q("reading the newest document date"))?;
        Ok(t.map(ts))
    }
}

/// Rows of (id, url, simhash, words hash, fetched_at) as near-duplicate fingerprints (u64 hashes
/// are stored as their i64 bit patterns).
fn fingerprints(rows: Vec<(i64, String, i64, i64, i64)>) -> Vec<(i64, String, Fingerprint, i64)> {
    rows.into_iter()
        .map(|(id, url, sim, words, at)| {
            let fp = Fingerprint {
                simhash: sim as u64,
                words: words as u64,
            };
            (id, url, fp, at)
        })
        .collect()
}

/// An [`AccountTag`] from the columns id, name, industry, region, segment starting at `at`.
fn account_tag(r: &AnyRow, at: usize) -> AccountTag {
    AccountTag {
        id: r.get(at),
        name: r.get(at + 1),
        industry: r.get(at + 2),
        region: r.get(at + 3),
        segment: r.get(at + 4),
    }
}
