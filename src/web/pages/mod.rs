//! Server-rendered pages (askama templates in `templates/`): one module per page.

pub(super) mod account;
pub(super) mod leads;
pub(super) mod saved;
pub(super) mod search;
pub(super) mod sources;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub(in crate::web) fn render(t: impl Template) -> Response {
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

pub(in crate::web) fn fail(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    (StatusCode::INTERNAL_SERVER_ERROR, format!("error: {e}")).into_response()
}

/// `response` with the CSRF cookie set when the browser had none.
pub(in crate::web) fn with_cookie(
    mut response: Response,
    cookie: Option<axum::http::HeaderValue>,
) -> Response {
    if let Some(c) = cookie {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, c);
    }
    response
}
