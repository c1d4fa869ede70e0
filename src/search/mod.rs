//! The full-text index of events (tantivy): Russian and English stemming for text, an unstemmed
//! field for company names (STACK trap 4), one writer thread with batched commits ([`writer`]),
//! readers reloaded after each commit. Derived data: `reindex` rebuilds it from the database.

pub mod schema;
pub mod tail;
pub mod writer;

use crate::model::TriggerKind;
use schema::Fields;
use std::path::{Path, PathBuf};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, Order, ReloadPolicy, TantivyDocument, Term};

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

/// How to order hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Date,
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// tantivy query syntax: words, "phrases", AND/OR/NOT, field:value. Empty matches everything.
    pub text: String,
    pub kind: Option<TriggerKind>,
    pub limit: usize,
    pub sort: Sort,
}

/// One hit: the event id (hydrated from the database by the caller) and a highlighted snippet.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchHit {
    pub event_id: i64,
    pub score: f32,
    /// HTML with `<b>` around matched words, escaped otherwise.
    pub snippet: String,
}

/// Hits and the total number of matching events.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchResults {
    pub total: usize,
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
        let index = if dir.join("meta.json").exists() {
            let idx = Index::open_in_dir(dir).map_err(|e| open_err(e.to_string()))?;
            if idx.schema() != schema {
                return Err(open_err(
                    "it was built by another version (schema differs)".into(),
                ));
            }
            idx
        } else {
            Index::create_in_dir(dir, schema).map_err(|e| open_err(e.to_string()))?
        };
        schema::register_tokenizers(&index);
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

    /// Runs a query.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let mut parser =
            QueryParser::for_index(&self.index, vec![f.title, f.evidence, f.companies]);
        parser.set_conjunction_by_default();
        // The index folds ё→е; the query must too ("Ёлка" finds "елка"). Case is left to the
        // analyzers so that AND/OR/NOT keep their meaning.
        // tantivy reads "a AND NOT b" as "a AND (nothing but not-b)", which matches nothing;
        // with conjunction by default "a NOT b" means what users meant.
        let folded = fold_yo(q.text.trim()).replace(" AND NOT ", " NOT ");
        let text_query: Box<dyn Query> = if folded.is_empty() {
            Box::new(tantivy::query::AllQuery)
        } else {
            parser
                .parse_query(&folded)
                .map_err(|e| SearchError::Query {
                    query: q.text.clone(),
                    message: e.to_string(),
                })?
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        if let Some(kind) = q.kind {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.kind, kind.as_str()),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let limit = q.limit.max(1);
        let total = searcher.search(&query, &Count)?;
        let addrs: Vec<(f32, tantivy::DocAddress)> = match q.sort {
            Sort::Relevance => {
                searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?
            }
            Sort::Date => searcher
                .search(
                    &query,
                    &TopDocs::with_limit(limit)
                        .order_by_fast_field::<tantivy::DateTime>("published", Order::Desc),
                )?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect(),
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
        Ok(SearchResults { total, hits })
    }
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
    use crate::model::{Event, EventStatus, Lang};

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
            account_ids: vec![1],
            account_names: vec!["ООО «Ёлкин»".into()],
        }
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
