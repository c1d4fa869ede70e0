//! The admin's health page (`/sources`): each source's last run, status, items seen and new, last
//! error, consecutive failures, next run and who is crawling it now; "run now" makes it due.

use super::{fail, render, with_cookie};
use crate::app::App;
use crate::web::csrf;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

struct SourceView {
    name: String,
    kind: String,
    url: String,
    status: String,
    last_run: String,
    last_ok: String,
    items_seen: i64,
    items_new: i64,
    failures: i64,
    error: String,
    next_run: String,
    crawling: String,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    sources: Vec<SourceView>,
    failing: usize,
    csrf: String,
    notice: String,
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "never".into())
}

/// `GET /sources`
pub(in crate::web) async fn page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let health = match app.store.source_health().await {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let pairs = crate::web::params::pairs(raw.as_deref());
    let notice = crate::web::params::one(&pairs, "started")
        .map(|s| format!("{s} is due now: it is crawled on the next scheduler tick."))
        .unwrap_or_default();
    let (token, cookie) = csrf::token(&headers);
    let sources: Vec<SourceView> = health
        .into_iter()
        .map(|h| SourceView {
            status: h.last_status.clone().unwrap_or_else(|| "new".into()),
            last_run: when(h.last_run_at),
            last_ok: when(h.last_ok_at),
            next_run: h.next_run_at.format("%Y-%m-%d %H:%M").to_string(),
            crawling: h.lease_owner.clone().unwrap_or_default(),
            error: h.last_error.clone().unwrap_or_default(),
            failures: h.consecutive_failures,
            items_seen: h.items_seen,
            items_new: h.items_new,
            name: h.name,
            kind: h.kind,
            url: h.url,
        })
        .collect();
    let failing = sources.iter().filter(|s| s.failures > 0).count();
    with_cookie(
        render(SourcesPage {
            sources,
            failing,
            csrf: token,
            notice,
        }),
        cookie,
    )
}

/// The "run now" form.
#[derive(Debug, serde::Deserialize)]
pub struct RunForm {
    pub csrf: String,
}

/// `POST /sources/{name}/run`: the source becomes due now; a process that crawls starts it at
/// once (under its lease, so no other process crawls it meanwhile).
pub(in crate::web) async fn run_now(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(f): Form<RunForm>,
) -> Response {
    if let Err(m) = csrf::check(&headers, &f.csrf) {
        return (StatusCode::FORBIDDEN, m).into_response();
    }
    match app.store.make_due(&name, chrono::Utc::now()).await {
        Ok(true) => {}
        Ok(false) => {
            return (
                StatusCode::NOT_FOUND,
                format!("no active source named `{name}`"),
            )
                .into_response();
        }
        Err(e) => return fail(e),
    }
    if app.crawls() {
        let app = app.clone();
        let source = name.clone();
        tokio::spawn(async move {
            if let Err(e) = app.crawl(Some(&source), false, false).await {
                tracing::warn!(source = %source, error = %e, "run now failed");
            }
        });
    }
    let to = format!(
        "/sources?{}",
        crate::web::params::encode(&[("started".to_string(), name)])
    );
    Redirect::to(&to).into_response()
}
