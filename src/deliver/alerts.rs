//! Saved-search alerts: after the index takes in new events, each saved search that a webhook
//! follows is run over just those events, and every match becomes a `search.matched` message.
//! The search's mark is a number in the index change log, not an event id: on PostgreSQL ids
//! become visible out of order, while every change up to the index's cursor is in the index.

use crate::app::{App, AppError};
use crate::search::{SearchQuery, Sort};
use crate::store::SavedSearch;
use crate::store::webhooks::{Message, MessageAccount};
use serde_json::json;

/// Changes looked at per saved search and pass.
const BATCH: i64 = 2_000;

impl App {
    /// Sends each followed saved search's matches among the index changes up to `through`
    /// (everything up to it is in the committed index). Returns how many messages were queued.
    pub(crate) async fn alert_saved_searches(&self, through: i64) -> Result<usize, AppError> {
        let mut queued = 0;
        for (saved, mut mark) in self.store.alerting_searches().await? {
            while mark < through {
                let changes = self.store.changes_after(mark, BATCH).await?;
                let upto = changes
                    .iter()
                    .map(|c| c.seq)
                    .take_while(|s| *s <= through)
                    .last()
                    .unwrap_or(through);
                let ids: Vec<i64> = changes
                    .iter()
                    .filter(|c| c.seq <= upto)
                    .map(|c| c.event_id)
                    .collect();
                let found = match self.matches(&saved, ids).await {
                    Ok(found) => found,
                    Err(e) => {
                        // A query that no longer parses (the schema changed) must not stop the
                        // other searches; its mark stays, so it resumes once it is fixed.
                        tracing::warn!(search = saved.id, name = %saved.name, error = %e,
                            "a saved search's alerts could not be run");
                        break;
                    }
                };
                let now_ms = chrono::Utc::now().timestamp_millis();
                queued += self
                    .store
                    .record_search_alerts(saved.id, upto, &found, now_ms)
                    .await?;
                mark = upto;
                if changes.len() < BATCH as usize {
                    break;
                }
            }
        }
        if queued > 0 {
            tracing::info!(messages = queued, "saved searches found new events");
            self.wake_deliverer();
        }
        Ok(queued)
    }

    /// The events among `ids` that `saved` finds (history from a source's first crawl left out),
    /// as messages.
    async fn matches(
        &self,
        saved: &SavedSearch,
        mut ids: Vec<i64>,
    ) -> Result<Vec<(i64, Message)>, AppError> {
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let pairs = crate::web::params::pairs(Some(&saved.query));
        let mut q: SearchQuery =
            crate::web::params::search_query(&pairs, ids.len()).map_err(|e| {
                AppError::SavedSearch {
                    id: saved.id,
                    message: e.0,
                }
            })?;
        q.limit = ids.len();
        q.offset = 0;
        q.sort = Sort::Date;
        q.facets = false;
        q.filters.events = ids;
        let found = self.search_events(&q).await?;
        let event_ids: Vec<i64> = found.events.iter().map(|f| f.event.id).collect();
        let mut attached = self.store.event_accounts(&event_ids).await?;
        let base = self.config.api.public_url.clone().unwrap_or_default();
        let base = base.trim_end_matches('/');
        Ok(found
            .events
            .into_iter()
            .filter(|f| !f.event.baseline)
            .map(|f| {
                let id = f.event.id;
                let kind = f.event.kind;
                let accounts = attached.remove(&id).unwrap_or_default();
                let data = json!({
                    "saved_search": {
                        "id": saved.id,
                        "name": saved.name,
                        "query": saved.query,
                        "feed": format!("{base}/feeds/searches/{}.atom", saved.feed_key),
                    },
                    "event": f.event,
                    "accounts": accounts,
                });
                let m = Message {
                    event_type: "search.matched",
                    account: MessageAccount::default(),
                    kind: Some(kind),
                    data,
                    saved_search: Some(saved.id),
                };
                (id, m)
            })
            .collect())
    }
}
