//! Server-rendered pages (askama templates in `templates/`): one module per page.

pub(super) mod search;

use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

struct EventView {
    kind: &'static str,
    evidence: String,
    url: String,
    source: String,
    date: String,
    contribution: String,
}

struct LeadView {
    account_id: i64,
    name: String,
    score: u8,
    band: &'static str,
    details: String,
    why_now: String,
    events: Vec<EventView>,
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    leads: Vec<LeadView>,
    stats: crate::store::Stats,
    as_of: String,
}

pub(super) fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "page could not be rendered; see the log",
            )
                .into_response()
        }
    }
}

pub(super) fn fail(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    (StatusCode::INTERNAL_SERVER_ERROR, format!("error: {e}")).into_response()
}

pub(super) async fn leads(State(app): State<Arc<App>>) -> Response {
    let leads = match app.leads(100).await {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let stats = match app.store.stats().await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let views = leads
        .into_iter()
        .map(|(a, r)| LeadView {
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
            why_now: r.why_now.clone(),
            events: r
                .contributions
                .iter()
                .take(5)
                .map(|c| EventView {
                    kind: c.kind.as_str(),
                    evidence: c.evidence.clone(),
                    url: c.url.clone(),
                    source: c.source.clone(),
                    date: c.published_at.format("%Y-%m-%d").to_string(),
                    contribution: format!("{:.0}", c.value * 100.0),
                })
                .collect(),
        })
        .collect();
    render(LeadsPage {
        leads: views,
        stats,
        as_of: app.score_now().format("%Y-%m-%d %H:%M UTC").to_string(),
    })
}
