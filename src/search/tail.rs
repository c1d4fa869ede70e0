//! Keeps the index in step with the database by replaying the change log
//! ([`crate::store::Change`]) past a cursor.
//!
//! The cursor is stored in the index's own commits, so a restarted indexer resumes where its
//! last commit ended and replays the rest (indexing an event twice is harmless: an update is
//! delete + add). Sequence numbers are handed out before a transaction commits, so on
//! PostgreSQL change 11 can become visible before change 10: every visible change is applied
//! at once, but the cursor stops below a gap until the gap fills, or until it has stayed open
//! for `grace` (a rolled-back transaction never fills its numbers). A range given up on is
//! still looked at again for ten times as long, so a very slow transaction is indexed late
//! rather than never.

use super::{IndexDoc, Indexer, SearchError};
use crate::store::{Change, Store, StoreError};
use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

/// A failure while following the log.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Changes read and applied.
    pub changes: usize,
    /// Events (re)indexed.
    pub indexed: usize,
    /// Events removed (they no longer exist).
    pub removed: usize,
}

/// The follower's state between passes.
#[derive(Debug)]
pub struct Tail {
    cursor: i64,
    /// Applied changes above the cursor (the cursor waits below a gap).
    done: BTreeSet<i64>,
    /// The open gap just above the cursor and when it was first seen.
    gap: Option<(i64, Instant)>,
    /// Ranges given up on, looked at again until the instant given.
    skipped: Vec<(i64, i64, Instant)>,
    /// Late changes applied inside skipped ranges (so they are applied once).
    late: HashSet<i64>,
    grace: Duration,
}

impl Tail {
    /// Starts after `cursor`; gaps are waited for at most `grace`.
    pub fn new(cursor: i64, grace: Duration) -> Tail {
        Tail {
            cursor,
            done: BTreeSet::new(),
            gap: None,
            skipped: Vec::new(),
            late: HashSet::new(),
            grace,
        }
    }

    /// Everything up to here is in the index (once the indexer commits).
    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// Reads up to `batch` changes past the cursor (plus late ones in skipped ranges), queues
    /// them on `indexer` and moves the cursor. Returns what it applied and whether the log may
    /// hold more right now. The caller commits the indexer.
    pub async fn step(
        &mut self,
        store: &Store,
        indexer: &Indexer,
        batch: i64,
    ) -> Result<(Applied, bool), TailError> {
        let now = Instant::now();
        let mut changes = store.changes_after(self.cursor, batch).await?;
        let more = changes.len() as i64 >= batch;
        self.skipped.retain(|(_, _, until)| *until > now);
        if self.skipped.is_empty() {
            self.late.clear();
        }
        for (from, to, _) in self.skipped.clone() {
            changes.extend(store.changes_between(from, to).await?);
        }
        changes.retain(|c| !self.done.contains(&c.seq) && !self.late.contains(&c.seq));
        let mut applied = apply(store, indexer, &changes).await?;
        applied.changes = changes.len();
        for c in &changes {
            if c.seq > self.cursor {
                self.done.insert(c.seq);
            } else {
                self.late.insert(c.seq);
            }
        }
        // Late arrivals in a skipped range are applied; the range itself stays watched.
        self.advance(now);
        indexer.set_cursor(self.cursor)?;
        Ok((applied, more))
    }

    /// Records changes this process applied itself (it indexed what it had just stored, from
    /// memory), so that a pass does not read their events again. Call after queueing their
    /// documents on the indexer.
    pub fn mark_applied(&mut self, seqs: &[i64]) {
        let cursor = self.cursor;
        self.done
            .extend(seqs.iter().copied().filter(|s| *s > cursor));
    }

    /// Moves the cursor over applied changes, and over a gap that stayed open past `grace`.
    fn advance(&mut self, now: Instant) {
        loop {
            if self.done.remove(&(self.cursor + 1)) {
                self.cursor += 1;
                continue;
            }
            let Some(&next) = self.done.first() else {
                self.gap = None;
                return;
            };
            // cursor+1 ..= next-1 have not been seen (yet).
            let start = self.cursor + 1;
            let since = match self.gap {
                Some((s, t)) if s == start => t,
                _ => {
                    self.gap = Some((start, now));
                    now
                }
            };
            if now.duration_since(since) < self.grace {
                return;
            }
            tracing::warn!(
                from = start,
                to = next - 1,
                "index change log: numbers never committed (rolled back?); going on past them"
            );
            self.skipped
                .push((start, next - 1, now + self.grace.saturating_mul(10)));
            self.cursor = next - 1;
            self.gap = None;
        }
    }
}

/// Indexes the events of `changes` from the database; removes those that no longer exist.
async fn apply(store: &Store, indexer: &Indexer, changes: &[Change]) -> Result<Applied, TailError> {
    let mut ids: Vec<i64> = changes.iter().map(|c| c.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Applied::default();
    let kinds = store.source_kinds().await?;
    for chunk in ids.chunks(2_000) {
        let events = store.events_by_ids(chunk).await?;
        let found: HashSet<i64> = events.iter().map(|e| e.id).collect();
        let gone: Vec<i64> = chunk
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect();
        out.removed += gone.len();
        indexer.delete(gone)?;
        let mut attached = store.event_accounts(chunk).await?;
        out.indexed += events.len();
        indexer.add(
            events
                .into_iter()
                .map(|event| {
                    let accounts = attached.remove(&event.id).unwrap_or_default();
                    IndexDoc::new(event, accounts, &kinds)
                })
                .collect(),
        )?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_with(cursor: i64, done: &[i64]) -> Tail {
        let mut t = Tail::new(cursor, Duration::from_secs(60));
        t.done.extend(done);
        t
    }

    #[test]
    fn the_cursor_moves_over_contiguous_changes() {
        let mut t = tail_with(3, &[4, 5, 6]);
        t.advance(Instant::now());
        assert_eq!(t.cursor(), 6);
        assert!(t.done.is_empty());
    }

    #[test]
    fn changes_applied_from_memory_move_the_cursor_without_a_read() {
        let mut t = tail_with(7, &[]);
        t.mark_applied(&[3, 8, 9, 10]);
        assert!(!t.done.contains(&3), "below the cursor: already applied");
        t.advance(Instant::now());
        assert_eq!(t.cursor(), 10);
    }

    #[test]
    fn the_cursor_waits_below_a_gap_until_it_fills() {
        let start = Instant::now();
        // 5 is in flight (its transaction has not committed); 6 and 7 are visible.
        let mut t = tail_with(4, &[6, 7]);
        t.advance(start);
        assert_eq!(t.cursor(), 4, "a restart must replay 5");
        t.advance(start + Duration::from_secs(30));
        assert_eq!(t.cursor(), 4);
        // 5 commits.
        t.done.insert(5);
        t.advance(start + Duration::from_secs(31));
        assert_eq!(t.cursor(), 7);
        assert!(t.gap.is_none());
    }

    #[test]
    fn a_gap_that_never_fills_is_passed_after_the_grace_and_watched() {
        let start = Instant::now();
        let mut t = tail_with(10, &[14]);
        t.advance(start);
        assert_eq!(t.cursor(), 10);
        t.advance(start + Duration::from_secs(61));
        assert_eq!(t.cursor(), 14, "11..=13 were rolled back");
        assert_eq!(t.skipped.len(), 1);
        assert_eq!((t.skipped[0].0, t.skipped[0].1), (11, 13));
    }

    #[test]
    fn a_new_gap_gets_its_own_grace() {
        let start = Instant::now();
        let mut t = tail_with(1, &[3]);
        t.advance(start);
        t.done.insert(2);
        t.done.insert(5);
        // 2 filled at 50 s; the gap at 4 is new and must wait its own 60 s.
        t.advance(start + Duration::from_secs(50));
        assert_eq!(t.cursor(), 3);
        t.advance(start + Duration::from_secs(100));
        assert_eq!(t.cursor(), 3);
        t.advance(start + Duration::from_secs(111));
        assert_eq!(t.cursor(), 5);
    }
}
