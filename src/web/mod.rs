//! HTTP: server-rendered pages for SDRs and marketers and a JSON API, over the same [`App`].

mod api_write;
pub mod csrf;
pub(crate) mod feeds;
mod forms;
mod pages;
pub mod params;

use crate::app::App;
use crate::model::{Account, Readiness};
use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
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
        .route("/sources", get(pages::sources::page))
        .route(
            "/sources/{name}/run",
            axum::routing::post(pages::sources::run_now),
        )
        .route("/search", get(pages::search::page))
        .route("/search.csv", get(pages::search::csv))
        .route("/api/leads", get(api_leads))
        .route("/api/events", get(api_events))
        .route("/api/accounts/{id}", get(api_account))
        .route(
            "/api/accounts",
            axum::routing::post(api_write::push_accounts),
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

/// One account with its readiness, the explanation line by line, score history, events and
/// feedback.
async fn api_account(
    State(app): State<Arc<App>>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Json<crate::app::AccountView>, ApiError> {
    Ok(Json(app.account_view(id).await?))
}

/// Query string of the lead endpoints.
#[derive(Debug, Deserialize)]
pub struct LeadsParams {
    pub limit: Option<i64>,
}

/// One lead in the API.
#[derive(Debug, Serialize)]
pub struct Lead {
    pub account: Account,
    pub readiness: Readiness,
}

async fn api_leads(
    State(app): State<Arc<App>>,
    Query(p): Query<LeadsParams>,
) -> Result<Json<Vec<Lead>>, ApiError> {
    let leads = app.leads(p.limit.unwrap_or(50).clamp(1, 1000)).await?;
    Ok(Json(
        leads
            .into_iter()
            .map(|(account, readiness)| Lead { account, readiness })
            .collect(),
    ))
}

async fn api_events(
    State(app): State<Arc<App>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<crate::app::EventSearch>, ApiError> {
    let q = params::search_query(&params::pairs(raw.as_deref()), 50)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.0))?;
    Ok(Json(app.search_events(&q).await?))
}
