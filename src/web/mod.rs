//! HTTP: server-rendered pages for SDRs and marketers and a JSON API, over the same [`App`].

mod api;
mod api_write;
mod auth;
pub mod csrf;
pub(crate) mod feeds;
mod forms;
pub mod openapi;
mod pages;
pub mod params;

use crate::app::App;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;

/// The router for an opened instance.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::leads::page))
        .route("/feedback", axum::routing::post(forms::feedback))
        .route("/accounts/{id}", get(pages::account::page))
        .route("/leads.atom", get(feeds::leads_atom))
        .route("/leads.csv", get(feeds::leads_csv))
        .route("/feeds/searches/{file}", get(feeds::search_atom))
        .route(
            "/searches",
            get(pages::saved::page).post(pages::saved::save),
        )
        .route(
            "/searches/{id}/delete",
            axum::routing::post(pages::saved::delete),
        )
        .route(
            "/searches/{id}/webhook",
            axum::routing::post(pages::saved::add_webhook),
        )
        .route("/sources", get(pages::sources::page))
        .route(
            "/sources/{name}/run",
            axum::routing::post(pages::sources::run_now),
        )
        .route("/search", get(pages::search::page))
        .route("/search.csv", get(pages::search::csv))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/leads", get(api::leads))
        .route("/api/events", get(api::events))
        .route("/api/sources", get(api::sources))
        .route("/api/feedback", axum::routing::post(api::feedback))
        .route("/api/searches", get(api::searches).post(api::save_search))
        .route(
            "/api/searches/{id}",
            axum::routing::delete(api::delete_search),
        )
        .route("/api/accounts/{id}", get(api::account))
        .route("/api/accounts/{id}/explanation", get(api::explanation))
        .route(
            "/api/accounts",
            get(api::accounts).post(api_write::push_accounts),
        )
        .route(
            "/api/webhooks",
            get(api_write::list_webhooks).post(api_write::add_webhook),
        )
        .route(
            "/api/webhooks/{id}",
            axum::routing::delete(api_write::delete_webhook),
        )
        .route("/api/webhooks/{id}/deliveries", get(api_write::deliveries))
        .route(
            "/api/webhooks/{id}/{action}",
            axum::routing::post(api_write::webhook_action),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", get(auth::logout))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::require,
        ))
        .with_state(app)
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// An error answer: JSON for the API, with the message the library gave.
pub(crate) struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        crate::app::AppError::from(e).into()
    }
}

impl From<crate::app::AppError> for ApiError {
    fn from(e: crate::app::AppError) -> Self {
        let status = match &e {
            crate::app::AppError::Search(crate::search::SearchError::Query { .. }) => {
                StatusCode::BAD_REQUEST
            }
            crate::app::AppError::UnknownAccount(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        ApiError(status, e.to_string())
    }
}
