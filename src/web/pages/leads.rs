//! The SDR's morning page (`/`): accounts ranked by readiness with the band's colour, the
//! "why now" line and the events that raised the score (kind, evidence, source link, date),
//! filters, pages, and one click to mark an event or an account *taken* or *not relevant*.

use super::{fail, render, with_cookie};
use crate::app::App;
use crate::model::TriggerKind;
use crate::store::LeadFilter;
use crate::web::{csrf, params};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// Leads per page.
pub const PAGE: i64 = 25;

pub(super) struct EventView {
    pub event_id: Option<i64>,
    pub kind: &'static str,
    pub evidence: String,
    pub url: String,
    pub source: String,
    pub date: String,
    pub contribution: String,
}

struct LeadView {
    rank: i64,
    account_id: i64,
    name: String,
    score: u8,
    band: &'static str,
    colour: String,
    details: String,
    why_now: String,
    events: Vec<EventView>,
}

/// A filter menu: (value, label, selected).
struct Menu {
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    leads: Vec<LeadView>,
    stats: crate::store::Stats,
    as_of: String,
    menus: Vec<Menu>,
    min_score: String,
    total: i64,
    page: i64,
    pages: i64,
    /// The filters as a query string (pages, feed, CSV).
    qs: String,
    /// This page's address, where forms come back to.
    here: String,
    csrf: String,
}

/// The lead filter a query string asks for.
pub fn lead_filter(pairs: &[(String, String)]) -> Result<LeadFilter, params::BadParam> {
    let all = |name: &str| params::all(pairs, name);
    let kinds = all("kind")
        .iter()
        .map(|k| {
            k.parse::<TriggerKind>()
                .map_err(|e| params::BadParam(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LeadFilter {
        bands: all("band"),
        segments: all("segment"),
        owners: all("owner"),
        industries: all("industry"),
        regions: all("region"),
        kinds,
        min_score: params::number(pairs, "min")?,
    })
}

/// `f` as a query string.
pub fn lead_query_string(f: &LeadFilter) -> String {
    let mut out = Vec::new();
    for (name, values) in [
        ("band", &f.bands),
        ("segment", &f.segments),
        ("owner", &f.owners),
        ("industry", &f.industries),
        ("region", &f.regions),
    ] {
        for v in values {
            out.push((name.to_string(), v.clone()));
        }
    }
    for k in &f.kinds {
        out.push(("kind".into(), k.as_str().into()));
    }
    if let Some(m) = f.min_score {
        out.push(("min".into(), m.to_string()));
    }
    params::encode(&out)
}

/// `GET /`
pub(in crate::web) async fn page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = params::pairs(raw.as_deref());
    let filter = match lead_filter(&pairs) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let page = match params::number::<i64>(&pairs, "page") {
        Ok(p) => p.unwrap_or(1).max(1),
        Err(e) => return fail(e),
    };
    let found = match app.store.leads_page(&filter, PAGE, (page - 1) * PAGE).await {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let stats = match app.store.stats().await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let mut menus = Vec::new();
    let bands = vec![
        (
            "hot".to_string(),
            "hot".to_string(),
            filter.bands.contains(&"hot".to_string()),
        ),
        (
            "warm".to_string(),
            "warm".to_string(),
            filter.bands.contains(&"warm".to_string()),
        ),
        (
            "cold".to_string(),
            "cold".to_string(),
            filter.bands.contains(&"cold".to_string()),
        ),
    ];
    menus.push(Menu {
        name: "band",
        label: "Band",
        options: bands,
    });
    for (name, label, chosen) in [
        ("segment", "Segment", &filter.segments),
        ("owner", "Owner", &filter.owners),
        ("industry", "Industry", &filter.industries),
        ("region", "Region", &filter.regions),
    ] {
        let values = match app.store.lead_choices(name).await {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        menus.push(Menu {
            name,
            label,
            options: values
                .into_iter()
                .map(|(v, n)| {
                    let sel = chosen.contains(&v);
                    (v.clone(), format!("{v} ({n})"), sel)
                })
                .collect(),
        });
    }
    menus.push(Menu {
        name: "kind",
        label: "Event kind",
        options: TriggerKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_string(),
                    k.as_str().replace('_', " "),
                    filter.kinds.contains(k),
                )
            })
            .collect(),
    });
    let qs = lead_query_string(&filter);
    let here = if page > 1 {
        format!("/?{qs}&page={page}")
    } else {
        format!("/?{qs}")
    };
    let (token, cookie) = csrf::token(&headers);
    let offset = (page - 1) * PAGE;
    let leads = found
        .leads
        .into_iter()
        .enumerate()
        .map(|(i, (a, r))| LeadView {
            rank: offset + i as i64 + 1,
            account_id: a.id,
            details: [
                a.industry.as_deref(),
                a.region.as_deref(),
                a.segment.as_deref(),
                a.owner.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
            name: a.name,
            score: r.score,
            band: r.band.as_str(),
            colour: r.colour.clone(),
            why_now: r.why_now.clone(),
            events: event_views(&r.contributions, 5),
        })
        .collect();
    with_cookie(
        render(LeadsPage {
            leads,
            stats,
            as_of: app.score_now().format("%Y-%m-%d %H:%M UTC").to_string(),
            menus,
            min_score: filter.min_score.map(|m| m.to_string()).unwrap_or_default(),
            total: found.total,
            page,
            pages: (found.total + PAGE - 1) / PAGE,
            qs,
            here,
            csrf: token,
        }),
        cookie,
    )
}

/// The first `n` contributions as the page shows them.
pub(super) fn event_views(
    contributions: &[crate::model::Contribution],
    n: usize,
) -> Vec<EventView> {
    contributions
        .iter()
        .take(n)
        .map(|c| EventView {
            event_id: c.event_id,
            kind: c.kind.as_str(),
            evidence: c.evidence.clone(),
            url: c.url.clone(),
            source: c.source.clone(),
            date: c.published_at.format("%Y-%m-%d").to_string(),
            contribution: format!("{:.0}", c.value * 100.0),
        })
        .collect()
}
