//! The API's writes, behind API tokens (`Authorization: Bearer trr_…`, from `trigger-radar
//! tokens create`): accounts pushed in by a CRM (optionally also signed, Standard Webhooks, with
//! `api.inbound_secret`), and webhook subscriptions with their logs.

use super::ApiError;
use crate::app::App;
use crate::deliver::sign;
use crate::store::webhooks::NewSubscription;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use std::sync::Arc;

/// Inbound signatures older or newer than this are refused (replays).
const INBOUND_TOLERANCE_SECS: i64 = 300;

/// The token's name, or 401.
pub(crate) async fn authorise(app: &App, headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError(
                StatusCode::UNAUTHORIZED,
                "this endpoint needs `Authorization: Bearer <token>` (create one with `trigger-radar tokens create NAME`)".into(),
            )
        })?;
    match app.check_token(token).await? {
        Some(name) => Ok(name),
        None => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "the API token is unknown or revoked".into(),
        )),
    }
}

/// `POST /api/accounts`: upserts accounts by CRM id with the CSV import's validation; answers
/// the counts and every rejected record with its reason.
#[utoipa::path(post, path = "/api/accounts", tag = "accounts", security(("token" = [])),
    request_body(content = serde_json::Value, description = "Accounts as JSON: an array of records (generic layout, HubSpot/amoCRM/Bitrix24 field names, or HubSpot's `properties` shape); see docs/accounts.md"),
    responses((status = 200, body = crate::app::ImportReport), (status = 422, body = crate::app::ImportReport, description = "No record was valid"),
        (status = 400, description = "Not JSON of that shape"), (status = 401, description = "No or bad token, or a bad inbound signature")))]
pub(crate) async fn push_accounts(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<crate::app::ImportReport>), ApiError> {
    let who = authorise(&app, &headers).await?;
    if let Some(secret) = &app.config.api.inbound_secret {
        let key = sign::key_bytes(secret)
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let ok = sign::verify(
            &key,
            &h("webhook-id"),
            &h("webhook-timestamp"),
            &body,
            &h("webhook-signature"),
            chrono::Utc::now().timestamp(),
            INBOUND_TOLERANCE_SECS,
        );
        if !ok {
            return Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "the request's webhook-signature does not verify (api.inbound_secret is set: sign \"id.timestamp.body\" with HMAC-SHA256, timestamp within 5 minutes)".into(),
            ));
        }
    }
    let parsed = crate::accounts::import::parse_json(
        &body,
        "POST /api/accounts",
        &crate::accounts::import::ImportOptions::default(),
    )
    .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.to_string()))?;
    let none_valid = parsed.accounts.is_empty() && !parsed.errors.is_empty();
    let report = app
        .upsert_parsed(parsed, &format!("api (token {who})"))
        .await?;
    let status = if none_valid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

/// `GET /api/webhooks`.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks", security(("token" = [])),
    responses((status = 200, body = serde_json::Value, description = "Each subscription with its outbox counts"), (status = 401, description = "No or bad token")))]
pub(crate) async fn list_webhooks(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorise(&app, &headers).await?;
    let mut out = Vec::new();
    for s in app.store.webhooks().await? {
        let counts = app.store.outbox_counts(s.id).await?;
        out.push(serde_json::json!({"webhook": s, "messages": counts}));
    }
    Ok(Json(serde_json::Value::Array(out)))
}

/// `POST /api/webhooks`: the created subscription with its secret (shown this once).
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", security(("token" = [])), request_body = NewSubscription,
    responses((status = 201, body = crate::deliver::manage::Created), (status = 400, description = "A bad URL, format or filter, named"), (status = 401, description = "No or bad token")))]
pub(crate) async fn add_webhook(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Json(s): Json<NewSubscription>,
) -> Result<(StatusCode, Json<crate::deliver::manage::Created>), ApiError> {
    authorise(&app, &headers).await?;
    let c = app.add_webhook(s).await.map_err(bad_request)?;
    Ok((StatusCode::CREATED, Json(c)))
}

fn bad_request(e: crate::app::AppError) -> ApiError {
    match e {
        crate::app::AppError::Webhook(m) => ApiError(StatusCode::BAD_REQUEST, m),
        crate::app::AppError::UnknownWebhook(_) => ApiError(StatusCode::NOT_FOUND, e.to_string()),
        other => other.into(),
    }
}

/// What `POST /api/webhooks/{id}/{action}` does.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct ActionBody {
    /// `rotate`: a given secret.
    pub secret: Option<String>,
    /// `redeliver`: one message; without it, every dead message of the subscription.
    pub msg_id: Option<String>,
}

/// `POST /api/webhooks/{id}/pause|resume|rotate|redeliver`.
#[utoipa::path(post, path = "/api/webhooks/{id}/{action}", tag = "webhooks", security(("token" = [])),
    params(("id" = i64, Path, description = "Subscription id"), ("action" = String, Path, description = "pause, resume, rotate or redeliver")),
    request_body(content = Option<ActionBody>, description = "rotate: a given secret; redeliver: one message id"),
    responses((status = 200, body = serde_json::Value), (status = 401, description = "No or bad token"), (status = 404, description = "No such subscription or action")))]
pub(crate) async fn webhook_action(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    body: Option<Json<ActionBody>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorise(&app, &headers).await?;
    let body = body.map(|b| b.0).unwrap_or_default();
    let missing = || ApiError(StatusCode::NOT_FOUND, format!("no webhook with id {id}"));
    match action.as_str() {
        "pause" | "resume" => {
            if !app.store.set_webhook_paused(id, action == "pause").await? {
                return Err(missing());
            }
            Ok(Json(
                serde_json::json!({"id": id, "paused": action == "pause"}),
            ))
        }
        "rotate" => {
            let secret = app
                .rotate_webhook(id, body.secret)
                .await
                .map_err(bad_request)?;
            Ok(Json(serde_json::json!({"id": id, "secret": secret})))
        }
        "redeliver" => {
            if app.store.webhook(id).await?.is_none() {
                return Err(missing());
            }
            let now = chrono::Utc::now().timestamp_millis();
            let n = match &body.msg_id {
                Some(m) => app.store.redeliver(Some(m), None, now).await?,
                None => app.store.redeliver(None, Some(Some(id)), now).await?,
            };
            app.wake_deliverer();
            Ok(Json(serde_json::json!({"id": id, "queued": n})))
        }
        other => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("unknown action `{other}` (pause, resume, rotate, redeliver)"),
        )),
    }
}

/// `DELETE /api/webhooks/{id}`.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", security(("token" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No or bad token"), (status = 404, description = "No such subscription")))]
pub(crate) async fn delete_webhook(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    authorise(&app, &headers).await?;
    if app.store.delete_webhook(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no webhook with id {id}"),
        ))
    }
}

/// Query of the delivery log.
#[derive(Debug, Deserialize)]
pub(crate) struct LogParams {
    pub limit: Option<i64>,
}

/// `GET /api/webhooks/{id}/deliveries`: the delivery log, newest first.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks", security(("token" = [])),
    params(("id" = i64, Path, description = "Subscription id"), ("limit" = Option<i64>, Query, description = "Attempts (1–1000, default 100)")),
    responses((status = 200, body = Vec<crate::store::webhooks::DeliveryLog>), (status = 401, description = "No or bad token"), (status = 404, description = "No such subscription")))]
pub(crate) async fn deliveries(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(p): Query<LogParams>,
) -> Result<Json<Vec<crate::store::webhooks::DeliveryLog>>, ApiError> {
    authorise(&app, &headers).await?;
    if app.store.webhook(id).await?.is_none() {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no webhook with id {id}"),
        ));
    }
    Ok(Json(
        app.store
            .delivery_log(id, p.limit.unwrap_or(100).clamp(1, 1000))
            .await?,
    ))
}
