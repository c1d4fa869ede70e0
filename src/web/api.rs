//! The JSON API's reads (and SDR feedback and saved searches), documented in the OpenAPI
//! document at `/api/openapi.json` ([`super::openapi`]). Writes need an API token; reads too
//! when `api.require_token` is set ([`super::auth`]).

use super::api_write::authorise;
use super::{ApiError, params};
use crate::app::{AccountView, App, EventSearch};
use crate::model::{Account, Readiness};
use crate::store::{SavedSearch, SourceHealth, Verdict};
use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

fn bad(e: params::BadParam) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, e.0)
}

/// One lead: the account and its readiness with every contribution.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Lead {
    pub account: Account,
    pub readiness: Readiness,
}

/// Accounts ranked by readiness, best first (the hot-lead list). The total matching count is
/// in the `X-Total-Count` header.
#[utoipa::path(get, path = "/api/leads", tag = "leads",
    params(
        ("limit" = Option<i64>, Query, description = "Leads per page (1–1000, default 50)"),
        ("page" = Option<i64>, Query, description = "Page, from 1"),
        ("band" = Option<String>, Query, description = "hot, warm or cold (repeat or comma-separate for several)"),
        ("segment" = Option<String>, Query, description = "Account segment"),
        ("owner" = Option<String>, Query, description = "Account owner"),
        ("industry" = Option<String>, Query, description = "Account industry"),
        ("region" = Option<String>, Query, description = "Account region"),
        ("kind" = Option<String>, Query, description = "Accounts with an event of this kind"),
        ("min" = Option<i64>, Query, description = "Minimum score"),
    ),
    responses((status = 200, body = Vec<Lead>), (status = 400, description = "A bad parameter, named")))]
pub(super) async fn leads(
    State(app): State<Arc<App>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = params::pairs(raw.as_deref());
    let filter = super::pages::leads::lead_filter(&pairs).map_err(bad)?;
    let limit = params::number::<i64>(&pairs, "limit")
        .map_err(bad)?
        .unwrap_or(50)
        .clamp(1, 1000);
    let page = params::number::<i64>(&pairs, "page")
        .map_err(bad)?
        .unwrap_or(1)
        .max(1);
    let found = app
        .store
        .leads_page(&filter, limit, (page - 1) * limit)
        .await?;
    let leads: Vec<Lead> = found
        .leads
        .into_iter()
        .map(|(account, readiness)| Lead { account, readiness })
        .collect();
    let mut r = Json(leads).into_response();
    if let Ok(v) = HeaderValue::from_str(&found.total.to_string()) {
        r.headers_mut().insert("x-total-count", v);
    }
    Ok(r)
}

/// A page of accounts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountsPage {
    pub accounts: Vec<Account>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<i64>,
}

/// Cursor of the account list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccountsParams {
    /// Accounts after this id (the previous page's `next`).
    pub after: Option<i64>,
    /// Accounts per page (1–1000, default 100).
    pub limit: Option<i64>,
}

/// Every account, by id, a page at a time.
#[utoipa::path(get, path = "/api/accounts", tag = "accounts", params(AccountsParams),
    responses((status = 200, body = AccountsPage)))]
pub(super) async fn accounts(
    State(app): State<Arc<App>>,
    Query(p): Query<AccountsParams>,
) -> Result<Json<AccountsPage>, ApiError> {
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let accounts = app
        .store
        .accounts_after(p.after.unwrap_or(0), limit)
        .await?;
    let next = (accounts.len() as i64 == limit)
        .then(|| accounts.last().map(|a| a.id))
        .flatten();
    Ok(Json(AccountsPage { accounts, next }))
}

/// One account: fields, readiness with the explanation line by line, score history, events,
/// feedback, technographics.
#[utoipa::path(get, path = "/api/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = AccountView), (status = 404, description = "No such account")))]
pub(super) async fn account(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(app.account_view(id).await?))
}

/// Why an account scores what it does.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub account_id: i64,
    pub score: u8,
    pub band: String,
    pub why_now: String,
    /// One line per contribution, strongest first, after the total.
    pub lines: Vec<String>,
}

/// The readiness explanation alone.
#[utoipa::path(get, path = "/api/accounts/{id}/explanation", tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = Explanation), (status = 404, description = "No such account")))]
pub(super) async fn explanation(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Json<Explanation>, ApiError> {
    let v = app.account_view(id).await?;
    let (score, band, why_now) = v
        .readiness
        .as_ref()
        .map_or((0, "cold".to_string(), String::new()), |r| {
            (r.score, r.band.as_str().to_string(), r.why_now.clone())
        });
    Ok(Json(Explanation {
        account_id: id,
        score,
        band,
        why_now,
        lines: v.explanation,
    }))
}

/// Searches events: tantivy's query language (words, "phrases", AND/OR/NOT, field:value),
/// Russian and English stemming, filters, a date range, facet counts, pages.
#[utoipa::path(get, path = "/api/events", tag = "events",
    params(
        ("q" = Option<String>, Query, description = "Query text (empty: every event)"),
        ("kind" = Option<String>, Query, description = "Event kind(s): repeat or comma-separate"),
        ("status" = Option<String>, Query, description = "rumoured, planned, announced, completed"),
        ("source_kind" = Option<String>, Query, description = "feed, html, json, greenhouse, lever, hh, edgar, companies_house"),
        ("lang" = Option<String>, Query, description = "ru or en"),
        ("industry" = Option<String>, Query, description = "Of the attached accounts"),
        ("region" = Option<String>, Query, description = "Of the attached accounts"),
        ("segment" = Option<String>, Query, description = "Of the attached accounts"),
        ("account" = Option<i64>, Query, description = "Events attached to this account"),
        ("from" = Option<String>, Query, description = "Published on or after (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "Published on or before (YYYY-MM-DD)"),
        ("sort" = Option<String>, Query, description = "relevance (default) or date"),
        ("limit" = Option<usize>, Query, description = "Hits per page (1–1000, default 50)"),
        ("page" = Option<usize>, Query, description = "Page, from 1"),
        ("facets" = Option<bool>, Query, description = "Facet counts (default true)"),
    ),
    responses((status = 200, body = EventSearch), (status = 400, description = "A bad parameter or query, named")))]
pub(super) async fn events(
    State(app): State<Arc<App>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventSearch>, ApiError> {
    let q = params::search_query(&params::pairs(raw.as_deref()), 50).map_err(bad)?;
    Ok(Json(app.search_events(&q).await?))
}

/// The health of every source: last run, status, items, failures, last error, next run.
#[utoipa::path(get, path = "/api/sources", tag = "sources",
    responses((status = 200, body = Vec<SourceHealth>)))]
pub(super) async fn sources(
    State(app): State<Arc<App>>,
) -> Result<Json<Vec<SourceHealth>>, ApiError> {
    Ok(Json(app.store.source_health().await?))
}

/// SDR feedback on an event attached to an account, or on the account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FeedbackRequest {
    pub account: i64,
    /// The event; without it, the whole account.
    pub event: Option<i64>,
    pub verdict: Verdict,
    pub note: Option<String>,
    /// Who gives it (default: the token's name).
    pub by: Option<String>,
}

/// Records feedback and rescores: "not_relevant" removes the contribution. Answers the new
/// readiness (none when nothing is left).
#[utoipa::path(post, path = "/api/feedback", tag = "leads", request_body = FeedbackRequest,
    security(("token" = [])),
    responses((status = 200, body = Option<Readiness>), (status = 401, description = "No or bad token"),
        (status = 404, description = "No such account, or the event is not attached to it")))]
pub(super) async fn feedback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Json(f): Json<FeedbackRequest>,
) -> Result<Json<Option<Readiness>>, ApiError> {
    let who = authorise(&app, &headers).await?;
    let by = f.by.clone().unwrap_or(who);
    let r = app
        .feedback(f.account, f.event, f.verdict, Some(&by), f.note.as_deref())
        .await
        .map_err(|e| match e {
            crate::app::AppError::NotAttached { .. } => {
                ApiError(StatusCode::NOT_FOUND, e.to_string())
            }
            e => e.into(),
        })?;
    Ok(Json(r))
}

/// Saved searches, newest first.
#[utoipa::path(get, path = "/api/searches", tag = "searches",
    responses((status = 200, body = Vec<SavedSearch>)))]
pub(super) async fn searches(
    State(app): State<Arc<App>>,
) -> Result<Json<Vec<SavedSearch>>, ApiError> {
    Ok(Json(app.store.saved_searches().await?))
}

/// A search to save.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SaveSearch {
    pub name: String,
    /// The search as `/api/events` takes it, e.g. `q=завод&kind=new_facility`.
    pub query: String,
}

/// Saves a search; it gets an Atom feed at `/feeds/searches/{feed_key}.atom`.
#[utoipa::path(post, path = "/api/searches", tag = "searches", request_body = SaveSearch,
    security(("token" = [])),
    responses((status = 201, body = SavedSearch), (status = 400, description = "No name, or a bad query"),
        (status = 401, description = "No or bad token")))]
pub(super) async fn save_search(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Json(s): Json<SaveSearch>,
) -> Result<(StatusCode, Json<SavedSearch>), ApiError> {
    authorise(&app, &headers).await?;
    if s.name.trim().is_empty() {
        return Err(ApiError(StatusCode::BAD_REQUEST, "`name` is empty".into()));
    }
    params::search_query(&params::pairs(Some(&s.query)), 20).map_err(bad)?;
    let key = super::pages::saved::feed_key()
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let saved = app.store.save_search(s.name.trim(), &s.query, &key).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Deletes a saved search (its feed stops).
#[utoipa::path(delete, path = "/api/searches/{id}", tag = "searches",
    params(("id" = i64, Path, description = "Saved search id")), security(("token" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No or bad token"),
        (status = 404, description = "No such saved search")))]
pub(super) async fn delete_search(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    authorise(&app, &headers).await?;
    if app.store.delete_saved_search(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no saved search {id}"),
        ))
    }
}
