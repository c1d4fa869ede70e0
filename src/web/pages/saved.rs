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
}

#[derive(Template)]
#[template(path = "searches.html")]
struct SearchesPage {
    searches: Vec<SavedView>,
    csrf: String,
}

/// A random key for a feed's address (it is the feed's only credential).
pub fn feed_key() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness for a feed key: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// `GET /searches`
pub(in crate::web) async fn page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let saved = match app.store.saved_searches().await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let base = base_url(&app, &headers);
    let (token, cookie) = csrf::token(&headers);
    let searches = saved
        .into_iter()
        .map(|s| SavedView {
            feed: format!("{base}/feeds/searches/{}.atom", s.feed_key),
            created: s.created_at.format("%Y-%m-%d").to_string(),
            id: s.id,
            name: s.name,
            query: s.query,
        })
        .collect();
    with_cookie(
        render(SearchesPage {
            searches,
            csrf: token,
        }),
        cookie,
    )
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
