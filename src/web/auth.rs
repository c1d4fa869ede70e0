//! Sign-in when `api.require_token` is set: every page and API call then needs an API token —
//! `Authorization: Bearer …` for programs, or a session cookie a browser gets by giving a token
//! once at `/login`. Saved-search feeds stay readable through their own random keys, and
//! `/healthz` and the OpenAPI document stay open. Without the setting, pages and reads are open
//! (the default listens on 127.0.0.1), and API writes need a token either way.

use super::csrf;
use crate::app::App;
use askama::Template;
use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

/// The cookie a signed-in browser sends.
pub const SESSION: &str = "tr_session";

fn open_path(path: &str) -> bool {
    path == "/healthz"
        || path == "/login"
        || path == "/logout"
        || path == "/api/openapi.json"
        || path.starts_with("/feeds/searches/")
}

/// The token a request carries: its bearer header, else its session cookie.
fn presented(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .or_else(|| csrf::cookie(headers, SESSION))
        .filter(|t| !t.is_empty())
}

/// The middleware: lets a request through, or answers 401 (API) / sends to `/login` (pages).
pub(super) async fn require(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if !app.config.api.require_token || open_path(req.uri().path()) {
        return next.run(req).await;
    }
    if let Some(t) = presented(req.headers()) {
        match app.check_token(&t).await {
            Ok(Some(_)) => return next.run(req).await,
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "checking a token failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "cannot check the token")
                    .into_response();
            }
        }
    }
    let path = req.uri().path();
    if path.starts_with("/api/") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({
                "error": "this server requires an API token: send `Authorization: Bearer <token>` (create one with `trigger-radar tokens create NAME`)"
            })),
        )
            .into_response();
    }
    let next_path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let to = format!(
        "/login?{}",
        super::params::encode(&[("next".to_string(), next_path)])
    );
    Redirect::to(&to).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    csrf: String,
    error: Option<String>,
}

/// `GET /login`
pub(super) async fn login_page(
    headers: HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let pairs = super::params::pairs(raw.as_deref());
    let next = csrf::back(super::params::one(&pairs, "next"));
    let (token, cookie) = csrf::token(&headers);
    super::pages::with_cookie(
        super::pages::render(LoginPage {
            next,
            csrf: token,
            error: None,
        }),
        cookie,
    )
}

/// The sign-in form.
#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    pub csrf: String,
    pub token: String,
    pub next: Option<String>,
}

/// `POST /login`: a valid token becomes this browser's session cookie (HttpOnly, SameSite).
pub(super) async fn login(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if let Err(m) = csrf::check(&headers, &f.csrf) {
        return (StatusCode::FORBIDDEN, m).into_response();
    }
    let next = csrf::back(f.next.as_deref());
    match app.check_token(f.token.trim()).await {
        Ok(Some(name)) => {
            tracing::info!(token = %name, "signed in");
            let mut r = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{SESSION}={}; Path=/; HttpOnly; SameSite=Strict",
                f.token.trim()
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Ok(None) => {
            let mut r = super::pages::render(LoginPage {
                next,
                csrf: f.csrf,
                error: Some("That token is unknown or revoked.".into()),
            });
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        Err(e) => super::pages::fail(e),
    }
}

/// `GET /logout`: forgets the session.
pub(super) async fn logout() -> Response {
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("tr_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}
