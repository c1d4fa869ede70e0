//! Feeds and exports: the hot leads as Atom (optionally per owner, segment or any lead filter)
//! and CSV, and each saved search as Atom — valid Atom 1.0 that feed readers accept.

use super::pages::leads::{lead_filter, lead_query_string};
use super::params;
use crate::app::App;
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Entries in a feed.
const ENTRIES: i64 = 50;

/// Rows in a lead CSV at most.
const CSV_MAX: i64 = 100_000;

/// The address this site is reached at, for absolute links: `api.public_url` when configured,
/// else from the request's Host.
pub(super) fn base_url(app: &App, headers: &HeaderMap) -> String {
    if let Some(u) = app
        .config
        .api
        .public_url
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    let mut l = Link::default();
    l.set_href(href);
    l.set_rel(rel);
    l.set_mime_type(mime.map(str::to_string));
    l
}

fn atom(feed: Feed) -> Response {
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed.to_string(),
    )
        .into_response()
}

fn bad(m: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, m.to_string()).into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "feed failed");
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

fn new_feed(id: String, title: String, self_href: String, alternate: String) -> Feed {
    let mut feed = Feed::default();
    feed.set_id(id);
    feed.set_title(Text::plain(title));
    feed.set_links(vec![
        link(self_href, "self", Some("application/atom+xml")),
        link(alternate, "alternate", Some("text/html")),
    ]);
    let mut author = Person::default();
    author.set_name("Trigger Radar");
    feed.set_authors(vec![author]);
    feed
}

/// `GET /leads.atom`: the leads the filters select, best first, an entry per account (updated
/// when its score is).
pub(super) async fn leads_atom(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let filter = match lead_filter(&params::pairs(raw.as_deref())) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let page = match app.store.leads_page(&filter, ENTRIES, 0).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let base = base_url(&app, &headers);
    let qs = lead_query_string(&filter);
    let title = if qs.is_empty() {
        "Trigger Radar: hot leads".to_string()
    } else {
        format!("Trigger Radar: hot leads ({})", qs.replace('&', ", "))
    };
    let mut feed = new_feed(
        format!("{base}/leads.atom?{qs}"),
        title,
        format!("{base}/leads.atom?{qs}"),
        format!("{base}/?{qs}"),
    );
    let mut newest = DateTime::<Utc>::UNIX_EPOCH;
    let entries: Vec<Entry> = page
        .leads
        .iter()
        .map(|(a, r)| {
            newest = newest.max(r.computed_at);
            let mut e = Entry::default();
            e.set_id(format!("{base}/accounts/{}", a.id));
            e.set_title(Text::plain(format!(
                "{} {} ({}): {}",
                r.score,
                a.name,
                r.band.as_str(),
                r.why_now
            )));
            e.set_updated(fixed(r.computed_at));
            e.set_links(vec![link(
                format!("{base}/accounts/{}", a.id),
                "alternate",
                Some("text/html"),
            )]);
            let lines: Vec<String> = crate::score::explain(r)
                .into_iter()
                .map(|l| format!("<li>{}</li>", crate::search::escape_html(&l)))
                .collect();
            let mut c = Content::default();
            c.set_content_type("html".to_string());
            c.set_value(format!("<ul>{}</ul>", lines.join("")));
            e.set_content(c);
            e
        })
        .collect();
    feed.set_updated(fixed(newest));
    feed.set_entries(entries);
    atom(feed)
}

/// `GET /leads.csv`: the leads the filters select, best first.
pub(super) async fn leads_csv(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let filter = match lead_filter(&params::pairs(raw.as_deref())) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let page = match app.store.leads_page(&filter, CSV_MAX, 0).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut ok = w
        .write_record([
            "rank",
            "score",
            "band",
            "account_id",
            "crm_id",
            "name",
            "inn",
            "domain",
            "segment",
            "owner",
            "industry",
            "region",
            "why_now",
            "computed_at",
        ])
        .is_ok();
    for (i, (a, r)) in page.leads.iter().enumerate() {
        ok &= w
            .write_record([
                (i + 1).to_string(),
                r.score.to_string(),
                r.band.as_str().to_string(),
                a.id.to_string(),
                a.crm_id.clone(),
                a.name.clone(),
                a.inn.clone().unwrap_or_default(),
                a.domain().unwrap_or_default().to_string(),
                a.segment.clone().unwrap_or_default(),
                a.owner.clone().unwrap_or_default(),
                a.industry.clone().unwrap_or_default(),
                a.region.clone().unwrap_or_default(),
                r.why_now.clone(),
                r.computed_at.to_rfc3339(),
            ])
            .is_ok();
    }
    match w.into_inner() {
        Ok(body) if ok => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"trigger-radar-leads.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        _ => failed("the CSV could not be written"),
    }
}

/// `GET /feeds/searches/{key}.atom`: the newest events a saved search finds.
pub(super) async fn search_atom(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let Some(key) = file.strip_suffix(".atom") else {
        return (StatusCode::NOT_FOUND, "no such feed").into_response();
    };
    let saved = match app.store.saved_search_by_key(key).await {
        Ok(Some(s)) => s,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such feed").into_response(),
        Err(e) => return failed(e),
    };
    let mut q = match params::search_query(&params::pairs(Some(&saved.query)), ENTRIES as usize) {
        Ok(q) => q,
        Err(e) => return bad(e),
    };
    // A feed is read newest first, whatever order the page used.
    q.sort = crate::search::Sort::Date;
    q.limit = ENTRIES as usize;
    q.offset = 0;
    q.facets = false;
    let found = match app.search_events(&q).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let base = base_url(&app, &headers);
    let mut feed = new_feed(
        format!("{base}/feeds/searches/{key}.atom"),
        format!("Trigger Radar: {}", saved.name),
        format!("{base}/feeds/searches/{key}.atom"),
        format!("{base}/search?{}", saved.query),
    );
    let mut newest = saved.created_at;
    let entries: Vec<Entry> = found
        .events
        .iter()
        .map(|f| {
            let ev = &f.event;
            newest = newest.max(ev.published_at);
            let mut e = Entry::default();
            e.set_id(format!("{base}/events/{}", ev.id));
            e.set_title(Text::plain(format!(
                "{}: {}",
                ev.kind.as_str().replace('_', " "),
                ev.title
            )));
            e.set_updated(fixed(ev.published_at));
            e.set_published(Some(fixed(ev.published_at)));
            e.set_links(vec![link(ev.url.clone(), "alternate", None)]);
            e.set_summary(Some(Text::plain(ev.evidence.clone())));
            e
        })
        .collect();
    feed.set_updated(fixed(newest));
    feed.set_entries(entries);
    atom(feed)
}
