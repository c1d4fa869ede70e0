//! The one index writer (STACK trap 3): a thread owns the `IndexWriter`, takes batches over a
//! channel, commits every N documents and on request, and reloads readers after each commit.

use super::{SearchError, SearchIndex, fold_yo};
use crate::model::{AccountTag, Event};
use std::sync::mpsc;
use std::thread::JoinHandle;
use tantivy::{IndexWriter, TantivyDocument, Term};

/// An event as the index needs it.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub event: Event,
    /// The attached accounts: names searched unstemmed along with the mentions; industry,
    /// region and segment filtered and counted.
    pub accounts: Vec<AccountTag>,
    /// The kind of the source it came from (`feed`, `hh`, `edgar`, …).
    pub source_kind: String,
}

impl IndexDoc {
    /// `event` with the accounts attached to it and its source's kind (`kinds` by source name).
    pub fn new(
        event: Event,
        accounts: Vec<AccountTag>,
        kinds: &std::collections::HashMap<String, String>,
    ) -> IndexDoc {
        let source_kind = kinds.get(&event.source).cloned().unwrap_or_default();
        IndexDoc {
            event,
            accounts,
            source_kind,
        }
    }
}

enum Cmd {
    Add(Vec<IndexDoc>),
    Delete(Vec<i64>),
    Clear,
    /// The change log is applied up to here: every commit from now on records it.
    Cursor(i64),
    Commit(mpsc::Sender<Result<(), String>>),
}

/// Handle to the writer thread. Dropping the last handle commits and stops it.
pub struct Indexer {
    tx: Option<mpsc::Sender<Cmd>>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    pub(super) fn start(
        idx: SearchIndex,
        memory_mb: usize,
        commit_every: usize,
    ) -> Result<Indexer, SearchError> {
        let writer: IndexWriter = match idx.index.writer(memory_mb.max(15) * 1_000_000) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => return Err(SearchError::Locked),
            Err(e) => return Err(e.into()),
        };
        let (tx, rx) = mpsc::channel::<Cmd>();
        let thread = std::thread::Builder::new()
            .name("index-writer".into())
            .spawn(move || run(idx, writer, rx, commit_every.max(1)))
            .map_err(|e| SearchError::Open {
                path: std::path::PathBuf::from("index"),
                message: format!("cannot start the writer thread: {e}"),
            })?;
        Ok(Indexer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    fn send(&self, c: Cmd) -> Result<(), SearchError> {
        self.tx
            .as_ref()
            .ok_or(SearchError::WriterGone)?
            .send(c)
            .map_err(|_| SearchError::WriterGone)
    }

    /// Queues events for indexing (replacing any earlier version of the same event id).
    pub fn add(&self, docs: Vec<IndexDoc>) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        self.send(Cmd::Add(docs))
    }

    /// Queues removal of events.
    pub fn delete(&self, event_ids: Vec<i64>) -> Result<(), SearchError> {
        if event_ids.is_empty() {
            return Ok(());
        }
        self.send(Cmd::Delete(event_ids))
    }

    /// Queues removal of everything (for reindex).
    pub fn clear(&self) -> Result<(), SearchError> {
        self.send(Cmd::Clear)
    }

    /// Records that everything in the change log up to `seq` has been queued: later commits
    /// store it with the index (see [`super::SearchIndex::cursor`]). Commands run in order, so
    /// a commit never records a cursor ahead of the documents it covers.
    pub fn set_cursor(&self, seq: i64) -> Result<(), SearchError> {
        self.send(Cmd::Cursor(seq))
    }

    /// Commits everything queued so far and waits until searches can see it.
    pub fn commit(&self) -> Result<(), SearchError> {
        let (tx, rx) = mpsc::channel();
        self.send(Cmd::Commit(tx))?;
        match rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(m)) => Err(SearchError::Open {
                path: std::path::PathBuf::from("index"),
                message: m,
            }),
            Err(_) => Err(SearchError::WriterGone),
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn to_doc(idx: &SearchIndex, d: &IndexDoc) -> TantivyDocument {
    let f = &idx.fields;
    let e = &d.event;
    let mut doc = TantivyDocument::default();
    doc.add_u64(f.event_id, e.id as u64);
    doc.add_text(f.kind, e.kind.as_str());
    doc.add_text(f.status, e.status.as_str());
    doc.add_text(f.lang, e.lang.as_str());
    doc.add_text(f.source, &e.source);
    if !d.source_kind.is_empty() {
        doc.add_text(f.source_kind, &d.source_kind);
    }
    // Facet values once per event, however many accounts share them.
    let mut seen = std::collections::HashSet::new();
    for a in &d.accounts {
        doc.add_u64(f.account_id, a.id as u64);
        for (field, v) in [
            (f.industry, &a.industry),
            (f.region, &a.region),
            (f.segment, &a.segment),
        ] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty())
                && seen.insert((field, v))
            {
                doc.add_text(field, v);
            }
        }
    }
    doc.add_text(f.title, fold_yo(&e.title));
    doc.add_text(f.evidence, fold_yo(&e.evidence));
    for c in e.companies.iter().chain(d.accounts.iter().map(|a| &a.name)) {
        doc.add_text(f.companies, fold_yo(c));
    }
    doc.add_date(
        f.published,
        tantivy::DateTime::from_timestamp_secs(e.published_at.timestamp()),
    );
    doc
}

fn run(idx: SearchIndex, mut writer: IndexWriter, rx: mpsc::Receiver<Cmd>, commit_every: usize) {
    let mut pending = 0usize;
    // The change-log cursor travels in every commit's payload; it starts as the last one stored.
    let mut cursor: Option<i64> = idx.cursor().ok().flatten();
    let commit = |writer: &mut IndexWriter,
                  pending: &mut usize,
                  cursor: Option<i64>|
     -> Result<(), String> {
        let mut prepared = writer.prepare_commit().map_err(|e| e.to_string())?;
        if let Some(c) = cursor {
            prepared.set_payload(&super::cursor_payload(c));
        }
        prepared.commit().map_err(|e| e.to_string())?;
        idx.reader.reload().map_err(|e| e.to_string())?;
        *pending = 0;
        Ok(())
    };
    let id_term = |id: i64| Term::from_field_u64(idx.fields.event_id, id as u64);
    while let Ok(cmd) = rx.recv() {
        match cmd {
            Cmd::Add(docs) => {
                for d in &docs {
                    // No primary keys in tantivy: an update is delete + add.
                    writer.delete_term(id_term(d.event.id));
                    if let Err(e) = writer.add_document(to_doc(&idx, d)) {
                        tracing::error!(event = d.event.id, error = %e, "cannot index event");
                    }
                }
                pending += docs.len();
                if pending >= commit_every
                    && let Err(e) = commit(&mut writer, &mut pending, cursor)
                {
                    tracing::error!(error = %e, "index commit failed");
                }
            }
            Cmd::Delete(ids) => {
                for id in ids {
                    writer.delete_term(id_term(id));
                }
                pending += 1;
            }
            Cmd::Clear => {
                if let Err(e) = writer.delete_all_documents() {
                    tracing::error!(error = %e, "cannot clear the index");
                }
                pending += 1;
            }
            Cmd::Cursor(c) => {
                if cursor != Some(c) {
                    cursor = Some(c);
                    pending += 1;
                }
            }
            Cmd::Commit(done) => {
                let r = commit(&mut writer, &mut pending, cursor);
                let _ = done.send(r);
            }
        }
    }
    if pending > 0
        && let Err(e) = commit(&mut writer, &mut pending, cursor)
    {
        tracing::error!(error = %e, "final index commit failed");
    }
    // Merges still running would otherwise be abandoned half-written (leaving files for the
    // next start to clean up) or, in the search bench, compete with the queries it times.
    if let Err(e) = writer.wait_merging_threads() {
        tracing::warn!(error = %e, "finishing the index's merges failed");
    }
}
