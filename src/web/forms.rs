//! What the pages' forms post: feedback on a lead (`POST /feedback`). Each form carries the CSRF
//! token (see [`super::csrf`]) and the page to return to.

use super::csrf;
use crate::app::App;
use crate::store::Verdict;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

/// The feedback form.
#[derive(Debug, serde::Deserialize)]
pub struct FeedbackForm {
    pub csrf: String,
    pub account: i64,
    pub event: Option<i64>,
    pub verdict: String,
    pub note: Option<String>,
    pub back: Option<String>,
}

/// `POST /feedback`: records the SDR's verdict, rescores, and returns to the page (whose list
/// now reflects it: "not relevant" removes the contribution).
pub(super) async fn feedback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(f): Form<FeedbackForm>,
) -> Response {
    if let Err(m) = csrf::check(&headers, &f.csrf) {
        return (StatusCode::FORBIDDEN, m).into_response();
    }
    let verdict: Verdict = match f.verdict.parse() {
        Ok(v) => v,
        Err(m) => return (StatusCode::BAD_REQUEST, m).into_response(),
    };
    let note = f.note.as_deref().filter(|n| !n.trim().is_empty());
    match app
        .feedback(f.account, f.event, verdict, Some("web"), note)
        .await
    {
        Ok(_) => Redirect::to(&csrf::back(f.back.as_deref())).into_response(),
        Err(
            e
            @ (crate::app::AppError::UnknownAccount(_) | crate::app::AppError::NotAttached { .. }),
        ) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "feedback failed");
            (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
    }
}
