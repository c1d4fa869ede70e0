//! The marketer's search page (`/search`) and its CSV export (`/search.csv`): tantivy's query
//! language with RU/EN stemming, filters and facet counts, a date range, relevance or date order,
//! highlighted snippets, pages.

use super::{fail, render};
use crate::app::App;
use crate::search::{FacetCounts, SearchQuery, Sort};
use crate::web::params;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Hits per page.
const PAGE: usize = 20;

struct HitView {
    id: i64,
    kind: &'static str,
    status: &'static str,
    confidence: String,
    date: String,
    source: String,
    snippet: String,
    url: String,
    title: String,
    companies: String,
}

/// One facet value: shown with its count, checked when filtered on.
struct ValueView {
    value: String,
    count: u64,
    checked: bool,
}

struct FacetView {
    /// The query-string name.
    name: &'static str,
    label: &'static str,
    values: Vec<ValueView>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    q: String,
    from: String,
    to: String,
    by_date: bool,
    searched: bool,
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<FacetView>,
    error: Option<String>,
    /// The current search as a query string (for export, feed and page links).
    qs: String,
    page: usize,
    pages: usize,
    csrf: String,
}

/// (facet field in the index, query-string name, label)
const FACETS: &[(&str, &str, &str)] = &[
    ("kind", "kind", "Event kind"),
    ("status", "status", "Status"),
    ("source_kind", "source_kind", "Source kind"),
    ("lang", "lang", "Language"),
    ("industry", "industry", "Industry"),
    ("region", "region", "Region"),
    ("segment", "segment", "Segment"),
];

fn selected(q: &SearchQuery, name: &str) -> Vec<String> {
    let f = &q.filters;
    match name {
        "kind" => f.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        "status" => f.statuses.clone(),
        "source_kind" => f.source_kinds.clone(),
        "lang" => f.langs.clone(),
        "industry" => f.industries.clone(),
        "region" => f.regions.clone(),
        "segment" => f.segments.clone(),
        _ => Vec::new(),
    }
}

fn facet_views(q: &SearchQuery, counts: &[FacetCounts]) -> Vec<FacetView> {
    FACETS
        .iter()
        .filter_map(|(field, name, label)| {
            let chosen = selected(q, name);
            let mut values: Vec<ValueView> = counts
                .iter()
                .find(|c| c.field == *field)
                .map(|c| {
                    c.values
                        .iter()
                        .take(30)
                        .map(|(v, n)| ValueView {
                            checked: chosen.contains(v),
                            value: v.clone(),
                            count: *n,
                        })
                        .collect()
                })
                .unwrap_or_default();
            // A chosen value with no hits stays visible, so it can be unchecked.
            for c in chosen {
                if !values.iter().any(|v| v.value == c) {
                    values.push(ValueView {
                        value: c,
                        count: 0,
                        checked: true,
                    });
                }
            }
            (!values.is_empty()).then_some(FacetView {
                name,
                label,
                values,
            })
        })
        .collect()
}

/// `GET /search`
pub(in crate::web) async fn page(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let (token, cookie) = crate::web::csrf::token(&headers);
    super::with_cookie(search_page(app, raw, token).await, cookie)
}

async fn search_page(app: Arc<App>, raw: Option<String>, csrf: String) -> Response {
    let pairs = params::pairs(raw.as_deref());
    let mut page = SearchPage {
        q: String::new(),
        from: String::new(),
        to: String::new(),
        by_date: false,
        searched: !pairs.is_empty(),
        total: 0,
        hits: Vec::new(),
        facets: Vec::new(),
        error: None,
        qs: String::new(),
        page: 1,
        pages: 0,
        csrf,
    };
    let q = match params::search_query(&pairs, PAGE) {
        Ok(q) => q,
        Err(e) => {
            page.error = Some(e.0);
            return render(page);
        }
    };
    page.q = q.text.clone();
    page.from = q.filters.from.map(|d| d.to_string()).unwrap_or_default();
    page.to = q.filters.to.map(|d| d.to_string()).unwrap_or_default();
    page.by_date = q.sort == Sort::Date;
    page.qs = params::query_string(&q);
    page.page = q.offset / q.limit + 1;
    match app.search_events(&q).await {
        Ok(found) => {
            page.total = found.total;
            page.pages = found.total.div_ceil(q.limit);
            page.facets = facet_views(&q, &found.facets);
            page.hits = found
                .events
                .into_iter()
                .map(|f| HitView {
                    id: f.event.id,
                    kind: f.event.kind.as_str(),
                    status: f.event.status.as_str(),
                    confidence: format!("{:.2}", f.event.confidence),
                    date: f.event.published_at.format("%Y-%m-%d").to_string(),
                    source: f.event.source,
                    snippet: f.snippet,
                    url: f.event.url,
                    title: f.event.title,
                    companies: f.event.companies.join(", "),
                })
                .collect();
        }
        Err(e) => page.error = Some(e.to_string()),
    }
    render(page)
}

/// Rows in one CSV export at most.
const CSV_MAX: usize = 10_000;

/// `GET /search.csv`: the same search, every hit (up to 10,000) as CSV.
pub(in crate::web) async fn csv(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let pairs = params::pairs(raw.as_deref());
    let mut q = match params::search_query(&pairs, PAGE) {
        Ok(q) => q,
        Err(e) => return (axum::http::StatusCode::BAD_REQUEST, e.0).into_response(),
    };
    q.limit = CSV_MAX;
    q.offset = 0;
    q.facets = false;
    let found = match app.search_events(&q).await {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let header_row = [
        "event_id",
        "published",
        "kind",
        "status",
        "confidence",
        "companies",
        "evidence",
        "title",
        "url",
        "source",
        "lang",
    ];
    let mut ok = w.write_record(header_row).is_ok();
    for f in &found.events {
        let e = &f.event;
        ok &= w
            .write_record([
                e.id.to_string(),
                e.published_at.format("%Y-%m-%d").to_string(),
                e.kind.as_str().to_string(),
                e.status.as_str().to_string(),
                format!("{:.2}", e.confidence),
                e.companies.join("; "),
                e.evidence.clone(),
                e.title.clone(),
                e.url.clone(),
                e.source.clone(),
                e.lang.as_str().to_string(),
            ])
            .is_ok();
    }
    let body = match w.into_inner() {
        Ok(b) if ok => b,
        _ => return fail("the CSV could not be written"),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"trigger-radar-events.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}
