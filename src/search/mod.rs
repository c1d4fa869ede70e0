//! The full-text index of events (tantivy): Russian and English stemming for text, an unstemmed
//! field for company names (STACK trap 4), one writer thread with batched commits ([`writer`]),
//! readers reloaded after each commit. Derived data: `reindex` rebuilds it from the database.

pub mod facets;
pub mod query;
pub mod schema;
pub mod tail;
pub mod writer;

use schema::Fields;
use std::path::{Path, PathBuf};
use tantivy::collector::{Count, TopDocs};
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, Order, ReloadPolicy, TantivyDocument};

pub use facets::FacetCounts;
pub use query::{Filters, SearchQuery, Sort};
pub use writer::{IndexDoc, Indexer};

/// An index failure, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(
        "cannot open the search index at {path}: {message} (run `trigger-radar reindex` to rebuild it)"
    )]
    Open { path: PathBuf, message: String },
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("the query `{query}` is not valid: {message}")]
    Query { query: String, message: String },
    #[error(
        "another Trigger Radar process (a running `serve`?) is writing to this index; stop it, or use a separate --data folder"
    )]
    Locked,
    #[error("the index writer has stopped (see the log for why); restart the command")]
    WriterGone,
}

/// One hit: the event id (hydrated from the database by the caller) and a highlighted snippet.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchHit {
    pub event_id: i64,
    pub score: f32,
    /// HTML with `<b>` around matched words, escaped otherwise.
    pub snippet: String,
}

/// Hits, the total number of matching events, and (when asked) facet counts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub facets: Vec<FacetCounts>,
    pub hits: Vec<SearchHit>,
}

/// The commit payload that records the change-log cursor.
fn cursor_payload(seq: i64) -> String {
    serde_json::json!({ "changes_cursor": seq }).to_string()
}

fn parse_cursor(payload: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()?
        .get("changes_cursor")?
        .as_i64()
}

/// An opened index: reader side plus what is needed to start the writer.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when the folder is empty or missing.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        let open_err = |message: String| SearchError::Open {
            path: dir.to_path_buf(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = schema::build();
        let mut existing = None;
        if dir.join("meta.json").exists() {
            let idx = Index::open_in_dir(dir).map_err(|e| open_err(e.to_string()))?;
            if idx.schema() == schema {
                existing = Some(idx);
            } else {
                // Derived data: an index of another version is replaced, and the first catch-up
                // rebuilds it from the database (it has no change-log cursor).
                tracing::warn!(path = %dir.display(), "the search index was built by another version: replacing it");
                drop(idx);
                clear_dir(dir).map_err(|e| open_err(e.to_string()))?;
            }
        }
        let index = match existing {
            Some(idx) => idx,
            None => Index::create_in_dir(dir, schema).map_err(|e| open_err(e.to_string()))?,
        };
        schema::register_tokenizers(&index);
        // Searches run over the segments on every core: a broad query with facet counts visits
        // every matching event.
        let mut index = index;
        if let Err(e) = index.set_default_multithread_executor() {
            tracing::warn!(error = %e, "searching on one thread");
        }
        let reader = index
            .reader_builder()
            // Commits by another process (the indexer, when this one only serves pages) show up by
            // themselves; this process reloads at once after its own.
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(|e: tantivy::TantivyError| open_err(e.to_string()))?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
        })
    }

    /// Starts the single writer thread for this index.
    pub fn writer(&self, memory_mb: usize, commit_every: usize) -> Result<Indexer, SearchError> {
        Indexer::start(self.clone(), memory_mb, commit_every)
    }

    /// Makes the latest commit visible to searches.
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload()?;
        Ok(())
    }

    /// How far the index has applied the database's change log (`None`: it never followed
    /// the log, e.g. an index built before the log existed, or a new one).
    pub fn cursor(&self) -> Result<Option<i64>, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.as_deref().and_then(parse_cursor))
    }

    /// Number of indexed events.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs a query: one pass collects the count, the page of hits and the facet counts.
    /// Documents per segment of the searched index (benches print its shape).
    pub fn segment_sizes(&self) -> Vec<u32> {
        self.reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|r| r.num_docs())
            .collect()
    }

    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let query::Built {
            text: text_query,
            full: query,
        } = query::build(&self.index, f, q)?;
        let limit = q.limit.max(1);
        let facets = facets::FacetCollector {
            fields: if q.facets {
                schema::FACETS.to_vec()
            } else {
                Vec::new()
            },
        };
        let (total, addrs, facets): (usize, Vec<(f32, tantivy::DocAddress)>, _) = match q.sort {
            Sort::Relevance => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(q.offset)
                    .order_by_score();
                searcher.search(&*query, &(Count, top, facets))?
            }
            Sort::Date => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(q.offset)
                    .order_by_fast_field::<tantivy::DateTime>("published", Order::Desc);
                let (n, hits, facets) = searcher.search(&*query, &(Count, top, facets))?;
                (n, hits.into_iter().map(|(_, a)| (0.0, a)).collect(), facets)
            }
        };
        let mut snippets = SnippetGenerator::create(&searcher, &*text_query, f.evidence)?;
        snippets.set_max_num_chars(300);
        let mut hits = Vec::with_capacity(addrs.len());
        for (score, addr) in addrs {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let Some(id) = doc.get_first(f.event_id).and_then(|v| v.as_u64()) else {
                continue;
            };
            let snippet = snippets.snippet_from_doc(&doc);
            let html = if snippet.is_empty() {
                doc.get_first(f.evidence)
                    .and_then(|v| v.as_str().map(escape_html))
                    .unwrap_or_default()
            } else {
                snippet.to_html()
            };
            hits.push(SearchHit {
                event_id: id as i64,
                score,
                snippet: html,
            });
        }
        Ok(SearchResults {
            total,
            facets,
            hits,
        })
    }
}

/// Removes the files of an index folder (not the folder: it may be a mount point).
fn clear_dir(dir: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            std::fs::remove_dir_all(&p)?;
        } else {
            std::fs::remove_file(&p)?;
        }
    }
    Ok(())
}

/// Replaces ё/Ё with е/Е: Russian writers use both for the same word.
pub fn fold_yo(s: &str) -> String {
    if s.contains(['ё', 'Ё']) {
        s.replace('ё', "е").replace('Ё', "Е")
    } else {
        s.to_string()
    }
}

/// Escapes text for HTML.
pub fn escape_html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountTag, Event, EventStatus, Lang, TriggerKind};

    fn event(id: i64, title: &str, evidence: &str) -> IndexDoc {
        IndexDoc {
            event: Event {
                id,
                story_id: id,
                kind: TriggerKind::NewFacility,
                status: EventStatus::Announced,
                confidence: 0.8,
                evidence: evidence.into(),
                companies: vec!["Acme".into()],
                locations: vec![],
                technologies: vec![],
                source: "s".into(),
                url: format!("u{id}"),
                title: title.into(),
                lang: Lang::Ru,
                published_at: chrono::Utc::now(),
                baseline: false,
            },
            accounts: vec![AccountTag {
                id: 1,
                name: "ООО «Ёлкин»".into(),
                ..AccountTag::default()
            }],
            source_kind: "feed".into(),
        }
    }

    /// An event of `kind` on `day` (of November 2026) about an account in `region`.
    fn tagged(id: i64, kind: TriggerKind, day: u32, region: &str, lang: Lang) -> IndexDoc {
        let mut d = event(id, "Заголовок", "Компания открыла завод.");
        d.event.kind = kind;
        d.event.lang = lang;
        d.event.published_at = chrono::NaiveDate::from_ymd_opt(2026, 11, day)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| t.and_utc())
            .unwrap();
        d.accounts = vec![
            AccountTag {
                id: 10 + id,
                name: format!("Account {id}"),
                industry: Some("Logistics".into()),
                region: Some(region.into()),
                segment: Some("Enterprise".into()),
            },
            // A second account in the same region counts once.
            AccountTag {
                id: 100 + id,
                name: format!("Other {id}"),
                industry: None,
                region: Some(region.into()),
                segment: None,
            },
        ];
        d
    }

    #[test]
    fn filters_date_ranges_pages_and_facet_counts() {
        let dir = tempfile::tempdir().unwrap();
        let idx = SearchIndex::open(dir.path()).unwrap();
        let w = idx.writer(20, 1000).unwrap();
        w.add(vec![
            tagged(1, TriggerKind::Acquisition, 2, "Tula", Lang::Ru),
            tagged(2, TriggerKind::Acquisition, 10, "Ohio", Lang::En),
            tagged(3, TriggerKind::Funding, 20, "Tula", Lang::Ru),
            tagged(4, TriggerKind::NewFacility, 25, "Tula", Lang::Ru),
        ])
        .unwrap();
        w.commit().unwrap();
        let run = |filters: Filters| {
            let r = idx
                .search(&SearchQuery {
                    filters,
                    limit: 10,
                    facets: true,
                    ..SearchQuery::default()
                })
                .unwrap();
            let mut ids: Vec<i64> = r.hits.iter().map(|h| h.event_id).collect();
            ids.sort();
            (ids, r.facets)
        };
        let (ids, facets) = run(Filters::default());
        assert_eq!(ids, vec![1, 2, 3, 4]);
        let count = |facets: &[FacetCounts], field: &str| {
            facets
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.values.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            count(&facets, "region"),
            vec![("Tula".to_string(), 3), ("Ohio".to_string(), 1)]
        );
        assert_eq!(count(&facets, "kind")[0], ("acquisition".to_string(), 2));
        assert_eq!(
            count(&facets, "segment"),
            vec![("Enterprise".to_string(), 4)]
        );
        assert_eq!(count(&facets, "source_kind"), vec![("feed".to_string(), 4)]);
        // Values of one field are alternatives; fields combine.
        let (ids, facets) = run(Filters {
            kinds: vec![TriggerKind::Acquisition, TriggerKind::Funding],
            regions: vec!["Tula".into()],
            ..Filters::default()
        });
        assert_eq!(ids, vec![1, 3]);
        assert_eq!(count(&facets, "lang"), vec![("ru".to_string(), 2)]);
        // Date range, both ends included.
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d);
        let (ids, _) = run(Filters {
            from: day(10),
            to: day(20),
            ..Filters::default()
        });
        assert_eq!(ids, vec![2, 3]);
        let (ids, _) = run(Filters {
            accounts: vec![14],
            ..Filters::default()
        });
        assert_eq!(ids, vec![4]);
        // Pages by date: newest first, then the next ones.
        let page = |offset| {
            idx.search(&SearchQuery {
                limit: 2,
                offset,
                sort: Sort::Date,
                ..SearchQuery::default()
            })
            .unwrap()
        };
        let first = page(0);
        assert_eq!(first.total, 4);
        assert_eq!(
            first.hits.iter().map(|h| h.event_id).collect::<Vec<_>>(),
            vec![4, 3]
        );
        assert_eq!(
            page(2).hits.iter().map(|h| h.event_id).collect::<Vec<_>>(),
            vec![2, 1]
        );
    }

    #[test]
    fn an_index_of_another_version_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut b = tantivy::schema::Schema::builder();
            b.add_text_field("old", tantivy::schema::TEXT);
            Index::create_in_dir(dir.path(), b.build()).unwrap();
        }
        let idx = SearchIndex::open(dir.path()).unwrap();
        assert!(idx.is_empty());
        assert_eq!(
            idx.cursor().unwrap(),
            None,
            "so the first catch-up rebuilds it"
        );
    }

    #[test]
    fn stems_folds_yo_keeps_names_whole_and_allows_one_writer() {
        let dir = tempfile::tempdir().unwrap();
        let idx = SearchIndex::open(dir.path()).unwrap();
        let w = idx.writer(20, 1000).unwrap();
        assert!(matches!(idx.writer(20, 1000), Err(SearchError::Locked)));
        w.add(vec![
            event(1, "Новый завод", "Компания открыла новые заводы в Туле."),
            event(2, "Acme opens plant", "Acme opened two plants."),
        ])
        .unwrap();
        assert_eq!(idx.len(), 0, "nothing visible before commit");
        w.commit().unwrap();
        let q = |t: &str| ids(&idx, t);
        assert_eq!(q("заводами"), vec![1], "Russian stemming");
        assert_eq!(q("plant"), vec![2], "English stemming");
        assert_eq!(q("acme AND NOT plant"), vec![1], "AND NOT excludes");
        assert_eq!(q("ёлкин"), vec![1, 2], "account names searchable, ё folded");
        assert_eq!(q("companies:acme"), vec![1, 2]);
        assert!(
            q("companies:acm").is_empty(),
            "company names are not stemmed"
        );
        w.delete(vec![1]).unwrap();
        w.commit().unwrap();
        assert!(q("заводами").is_empty(), "deleted events leave the index");
    }

    /// Ids of the events a query finds, sorted.
    fn ids(idx: &SearchIndex, t: &str) -> Vec<i64> {
        let mut v: Vec<i64> = idx
            .search(&SearchQuery {
                text: t.into(),
                limit: 10,
                ..SearchQuery::default()
            })
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.event_id)
            .collect();
        v.sort();
        v
    }
}
