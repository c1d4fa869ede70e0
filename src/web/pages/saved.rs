//! Saved searches (`/searches`): a search saved by name from the search page, with its Atom
//! feed's address; deleting one stops its feed.

use super::{fail, render, with_cookie};
use crate::app::App;
use crate::web::{csrf, feeds::base_url};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

struct SavedView {
    id: i64,
    name: String,
    query: String,
    feed: String,
    created: String,
    /// Webhooks following it: id and URL.
    webhooks: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "searches.html")]
struct SearchesPage {
    searches: Vec<SavedView>,
    csrf: String,
    /// What the last action did (a new webhook's secret, shown this once).
    notice: Option<String>,
    error: Option<String>,
}

/// A random key for a feed's address (it is the feed's only credential).
pub fn feed_key() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness for a feed key: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// `GET /searches`
pub(in crate::web) async fn page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    show(&app, &headers, None, None, StatusCode::OK).await
}

/// The page, with what the last action did.
async fn show(
    app: &App,
    headers: &HeaderMap,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let saved = match app.store.saved_searches().await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let hooks = match app.store.webhooks().await {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let base = base_url(app, headers);
    let (token, cookie) = csrf::token(headers);
    let searches = saved
        .into_iter()
        .map(|s| SavedView {
            feed: format!("{base}/feeds/searches/{}.atom", s.feed_key),
            created: s.created_at.format("%Y-%m-%d").to_string(),
            webhooks: hooks
                .iter()
                .filter(|h| h.saved_search == Some(s.id))
                .map(|h| (h.id, h.url.clone()))
                .collect(),
            id: s.id,
            name: s.name,
            query: s.query,
        })
        .collect();
    let mut r = with_cookie(
        render(SearchesPage {
            searches,
            csrf: token,
            notice,
            error,
        }),
        cookie,
    );
    *r.status_mut() = status;
    r
}

/// The "alert a webhook" form: the endpoint, and an API token unless signed in.
#[derive(Debug, serde::Deserialize)]
pub struct WebhookForm {
    pub csrf: String,
    pub url: String,
    #[serde(default)]
    pub token: String,
}

/// `POST /searches/{id}/webhook`: a webhook that receives `search.matched` for each new event
/// the search finds. Adding one is a write, so it needs an API token (given, or this browser's
/// session); the signing secret is shown this once.
pub(in crate::web) async fn add_webhook(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<WebhookForm>,
) -> Response {
    if let Err(m) = csrf::check(&headers, &f.csrf) {
        return (StatusCode::FORBIDDEN, m).into_response();
    }
    let token = Some(f.token.trim().to_string())
        .filter(|t| !t.is_empty())
        .or_else(|| csrf::cookie(&headers, crate::web::auth::SESSION));
    let allowed = match token {
        Some(t) => match app.check_token(&t).await {
            Ok(name) => name.is_some(),
            Err(e) => return fail(e),
        },
        None => false,
    };
    if !allowed {
        let m = "Adding a webhook needs a valid API token (create one with `trigger-radar tokens create NAME`).";
        return show(
            &app,
            &headers,
            None,
            Some(m.into()),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let new = crate::store::webhooks::NewSubscription {
        url: f.url.trim().to_string(),
        format: "generic".into(),
        saved_search: Some(id),
        ..Default::default()
    };
    match app.add_webhook(new).await {
        Ok(c) => {
            let m = format!(
                "Webhook {} added for {}. Its signing secret, shown this once: {}",
                c.subscription.id, c.subscription.url, c.secret
            );
            show(&app, &headers, Some(m), None, StatusCode::OK).await
        }
        Err(crate::app::AppError::Webhook(m)) => {
            show(&app, &headers, None, Some(m), StatusCode::BAD_REQUEST).await
        }
        Err(e) => fail(e),
    }
}

/// The "save this search" form.
#[derive(Debug, serde::Deserialize)]
pub struct SaveForm {
    pub csrf: String,
    pub name: String,
    /// The search's query string, as the search page shows it.
    #[serde(default)]
    pub query: String,
}

/// `POST /searches`
pub(in crate::web) async fn save(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(f): Form<SaveForm>,
) -> Response {
    if let Err(m) = csrf::check(&headers, &f.csrf) {
        return (StatusCode::FORBIDDEN, m).into_response();
    }
    let name = f.name.trim();
    if name.is_empty() {
        return (StatusCode::BAD_REQUEST, "give the search a name").into_response();
    }
    // The query must be one the search understands.
    if let Err(e) = crate::web::params::search_query(&crate::web::params::pairs(Some(&f.query)), 20)
    {
        return (StatusCode::BAD_REQUEST, e.0).into_response();
    }
    let key = match feed_key() {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    match app.store.save_search(name, &f.query, &key).await {
        Ok(_) => Redirect::to("/searches").into_response(),
        Err(e) => fail(e),
    }
}

/// The delete form.
#[derive(Debug, serde::Deserialize)]
pub struct DeleteForm {
    pub csrf: String,
}

/// `POST /searches/{id}/delete`
pub(in crate::web) async fn delete(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<DeleteForm>,
) -> Response {
    if let Err(m) = csrf::check(&headers, &f.csrf) {
        return (StatusCode::FORBIDDEN, m).into_response();
    }
    match app.store.delete_saved_search(id).await {
        Ok(true) => Redirect::to("/searches").into_response(),
        Ok(false) => (StatusCode::NOT_FOUND, format!("no saved search {id}")).into_response(),
        Err(e) => fail(e),
    }
}
