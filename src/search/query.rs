//! What a search asks for — text in tantivy's query language, filters, a date range, a page,
//! an order, facet counts — and the tantivy query it becomes.

use super::schema::Fields;
use super::{SearchError, fold_yo};
use crate::model::TriggerKind;
use chrono::NaiveDate;
use std::ops::Bound;
use tantivy::query::{
    BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Index, Term};

/// How to order hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Date,
}

/// Filters on events: values of one field are alternatives, fields combine with AND.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Filters {
    pub kinds: Vec<TriggerKind>,
    /// rumoured, planned, announced, completed
    pub statuses: Vec<String>,
    /// feed, html, json, greenhouse, lever, hh, edgar, companies_house
    pub source_kinds: Vec<String>,
    /// ru, en
    pub langs: Vec<String>,
    /// Of the attached accounts (as the CRM writes them).
    pub industries: Vec<String>,
    pub regions: Vec<String>,
    pub segments: Vec<String>,
    /// Events attached to these accounts.
    pub accounts: Vec<i64>,
    /// Published on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Published on or before this day (UTC).
    pub to: Option<NaiveDate>,
    /// Only these events (a saved search's alerts look at the newly indexed ones).
    #[serde(skip)]
    pub events: Vec<i64>,
}

impl Filters {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// tantivy query syntax: words, "phrases", AND/OR/NOT, field:value. Empty matches everything.
    pub text: String,
    pub filters: Filters,
    pub limit: usize,
    /// Hits to skip (pages).
    pub offset: usize,
    pub sort: Sort,
    /// Count the matching events per facet value.
    pub facets: bool,
}

/// A query and its text part alone (snippets highlight the words, not the filters).
pub(super) struct Built {
    pub text: Box<dyn Query>,
    pub full: Box<dyn Query>,
}

/// The tantivy query of `q`.
pub(super) fn build(index: &Index, f: &Fields, q: &SearchQuery) -> Result<Built, SearchError> {
    let mut parser = QueryParser::for_index(index, vec![f.title, f.evidence, f.companies]);
    parser.set_conjunction_by_default();
    // The index folds ё→е; the query must too ("Ёлка" finds "елка"). Case is left to the
    // analyzers so that AND/OR/NOT keep their meaning.
    // tantivy reads "a AND NOT b" as "a AND (nothing but not-b)", which matches nothing;
    // with conjunction by default "a NOT b" means what users meant.
    let folded = fold_yo(q.text.trim()).replace(" AND NOT ", " NOT ");
    let text: Box<dyn Query> = if folded.is_empty() {
        Box::new(tantivy::query::AllQuery)
    } else {
        parser
            .parse_query(&folded)
            .map_err(|e| SearchError::Query {
                query: q.text.clone(),
                message: e.to_string(),
            })?
    };
    let fl = &q.filters;
    if fl.is_empty() {
        return Ok(Built {
            full: text.box_clone(),
            text,
        });
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
    let kinds: Vec<&str> = fl.kinds.iter().map(|k| k.as_str()).collect();
    for (field, values) in [
        (f.kind, kinds),
        (f.status, strs(&fl.statuses)),
        (f.source_kind, strs(&fl.source_kinds)),
        (f.lang, strs(&fl.langs)),
        (f.industry, strs(&fl.industries)),
        (f.region, strs(&fl.regions)),
        (f.segment, strs(&fl.segments)),
    ] {
        if let Some(q) = any_of(field, &values) {
            clauses.push((Occur::Must, q));
        }
    }
    if !fl.accounts.is_empty() {
        let terms: Vec<(Occur, Box<dyn Query>)> = fl
            .accounts
            .iter()
            .map(|a| {
                let t = Term::from_field_u64(f.account_id, *a as u64);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>,
                )
            })
            .collect();
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(terms))));
    }
    if !fl.events.is_empty() {
        let terms = fl
            .events
            .iter()
            .map(|e| Term::from_field_u64(f.event_id, *e as u64));
        clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
    }
    if fl.from.is_some() || fl.to.is_some() {
        let day = |d: NaiveDate| {
            let secs = d
                .and_hms_opt(0, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp());
            Term::from_field_date_for_search(
                f.published,
                tantivy::DateTime::from_timestamp_secs(secs),
            )
        };
        let lower = fl
            .from
            .map_or(Bound::Unbounded, |d| Bound::Included(day(d)));
        let upper = fl
            .to
            .and_then(|d| d.succ_opt())
            .map_or(Bound::Unbounded, |d| Bound::Excluded(day(d)));
        clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
    }
    Ok(Built {
        text,
        full: Box::new(BooleanQuery::new(clauses)),
    })
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Matches documents whose `field` holds one of `values` (exactly).
fn any_of(field: Field, values: &[&str]) -> Option<Box<dyn Query>> {
    let term = |v: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, v),
            IndexRecordOption::Basic,
        ))
    };
    match values {
        [] => None,
        [one] => Some(term(one)),
        many => Some(Box::new(BooleanQuery::new(
            many.iter().map(|v| (Occur::Should, term(v))).collect(),
        ))),
    }
}
