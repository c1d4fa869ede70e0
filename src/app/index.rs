//! The search index of an instance: kept in step with the database by following its change log
//! (one process holds the index writer; workers only write the log), and rebuilt from it.

use super::{App, AppError};
use crate::search::tail::{Applied, Tail, TailError};
use crate::search::{IndexDoc, SearchError};
use chrono::Utc;
use indicatif::ProgressBar;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Changes read from the log per pass.
const BATCH: i64 = 5_000;

/// How often the change log is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);

impl From<TailError> for AppError {
    fn from(e: TailError) -> Self {
        match e {
            TailError::Store(e) => AppError::Store(e),
            TailError::Search(e) => AppError::Search(e),
        }
    }
}

impl App {
    fn gap_grace(&self) -> Duration {
        Duration::from_secs(self.config.index.gap_grace_seconds)
    }

    /// Applies the database's change log to the index and commits, so that every stored event
    /// is searchable. `None` when this process does not keep the index (a worker), or another
    /// process holds the writer (it does the same). The first call finds where the index was:
    /// an index that never followed the log, or was away longer than the log keeps, is rebuilt.
    pub async fn catch_up_index(&self) -> Result<Option<Applied>, AppError> {
        self.catch_up(true).await
    }

    /// [`App::catch_up_index`]; without `commit` the changes are queued on the writer, which
    /// commits every `index.commit_every` events (for catching up while a crawl runs).
    pub(crate) async fn catch_up(&self, commit: bool) -> Result<Option<Applied>, AppError> {
        if !self.keeps_index() {
            return Ok(None);
        }
        let indexer = match self.indexer() {
            Ok(i) => i,
            Err(AppError::Search(SearchError::Locked)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut tail = self.tail.lock().await;
        if tail.is_none() {
            *tail = Some(self.resume_or_rebuild(&indexer).await?);
        }
        let Some(t) = tail.as_mut() else {
            return Ok(None);
        };
        let mut total = Applied::default();
        loop {
            let (a, more) = t.step(&self.store, &indexer, BATCH).await?;
            total.changes += a.changes;
            total.indexed += a.indexed;
            total.removed += a.removed;
            if !more {
                break;
            }
        }
        let cursor = t.cursor();
        if commit {
            indexer.commit()?;
        }
        drop(tail);
        if commit {
            // The committed index now holds every change up to the cursor: what saved searches
            // look for among them. A failure here must not stop the index from following.
            if let Err(e) = self.alert_saved_searches(cursor).await {
                tracing::error!(error = %e, "sending saved-search alerts failed");
            }
        }
        self.prune_changes().await?;
        if total.changes > 0 {
            tracing::debug!(
                changes = total.changes,
                indexed = total.indexed,
                removed = total.removed,
                "index caught up"
            );
        }
        Ok(Some(total))
    }

    /// Where to follow the log from: the cursor in the index's last commit, or a rebuild.
    async fn resume_or_rebuild(&self, indexer: &crate::search::Indexer) -> Result<Tail, AppError> {
        let cursor = self.index.cursor()?;
        let oldest = self.store.oldest_change().await?;
        let events = self.store.stats().await?.events;
        let rebuild = match (cursor, oldest) {
            // An index from before the change log (or a new one) over stored events.
            (None, _) => events > 0,
            // Changes it never saw were pruned.
            (Some(c), Some(o)) => c + 1 < o,
            (Some(_), None) => false,
        };
        if rebuild {
            if self.index.is_empty() {
                tracing::info!("building the search index from the database");
            } else {
                tracing::warn!(
                    cursor = cursor.unwrap_or(0),
                    oldest = oldest.unwrap_or(0),
                    "the index has not followed the database's change log: rebuilding it"
                );
            }
            let (cursor, _) = self.rebuild(indexer, false).await?;
            return Ok(Tail::new(cursor, self.gap_grace()));
        }
        Ok(Tail::new(cursor.unwrap_or(0), self.gap_grace()))
    }

    /// Forgets old changes, at most once per [`PRUNE_EVERY`].
    async fn prune_changes(&self) -> Result<(), AppError> {
        {
            let mut last = self.pruned.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        let keep = self.config.index.changes_keep_days.max(1) * 86_400;
        let n = self
            .store
            .prune_changes(Utc::now().timestamp() - keep)
            .await?;
        if n > 0 {
            tracing::info!(changes = n, "old index changes pruned");
        }
        Ok(())
    }

    /// Keeps the index in step with the database until `shutdown` flips to true: catches up
    /// every `index.poll_ms`. When another process holds the index writer this one keeps trying,
    /// and takes over when that process stops.
    pub async fn follow_index(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.config.index.poll_ms.max(20));
        let mut waiting = false;
        loop {
            match self.catch_up_index().await {
                Ok(Some(_)) => waiting = false,
                Ok(None) if !waiting => {
                    waiting = true;
                    tracing::info!("another process writes the search index; this one reads it");
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "keeping the index up to date failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }

    /// Rebuilds the index from the database; returns the number of events indexed.
    pub async fn reindex(&self, progress: bool) -> Result<usize, AppError> {
        let indexer = self.indexer()?;
        let mut tail = self.tail.lock().await;
        let (cursor, n) = self.rebuild(&indexer, progress).await?;
        *tail = Some(Tail::new(cursor, self.gap_grace()));
        Ok(n)
    }

    /// Clears the index and adds every stored event; the cursor is set to the last change made
    /// a grace period before the rebuild began, so whatever was in flight is replayed after.
    /// Returns the cursor and the number of events indexed.
    async fn rebuild(
        &self,
        indexer: &crate::search::Indexer,
        progress: bool,
    ) -> Result<(i64, usize), AppError> {
        let since = Utc::now().timestamp() - self.gap_grace().as_secs() as i64;
        let cursor = self.store.last_change_before(since).await?;
        indexer.clear()?;
        indexer.set_cursor(cursor)?;
        let total = self.store.stats().await?.events.max(0) as u64;
        let bar = if progress {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        let kinds = self.store.source_kinds().await?;
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
                    let accounts = attached.remove(&e.id).unwrap_or_default();
                    IndexDoc::new(e, accounts, &kinds)
                })
                .collect();
            indexer.add(docs)?;
        }
        indexer.commit()?;
        bar.finish_and_clear();
        tracing::info!(events = n, cursor, "index rebuilt");
        Ok((cursor, n))
    }
}
