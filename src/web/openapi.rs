//! The OpenAPI document of the JSON API (`GET /api/openapi.json`), generated from the handlers'
//! annotations and the types they answer, so it stays what the code does; a test checks that
//! every `/api` route is in it and that answers carry the fields it promises.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Trigger Radar API",
        description = "Hot leads, accounts with their readiness explained, event search with facets, sources' health, SDR feedback, saved searches, CRM account pushes and webhook subscriptions. Writes need `Authorization: Bearer <token>` (`trigger-radar tokens create NAME`); reads too when `api.require_token` is set."
    ),
    paths(
        super::api::leads,
        super::api::accounts,
        super::api::account,
        super::api::explanation,
        super::api::events,
        super::api::sources,
        super::api::feedback,
        super::api::searches,
        super::api::save_search,
        super::api::delete_search,
        super::api_write::push_accounts,
        super::api_write::list_webhooks,
        super::api_write::add_webhook,
        super::api_write::webhook_action,
        super::api_write::delete_webhook,
        super::api_write::deliveries,
    ),
    modifiers(&Token),
    tags(
        (name = "leads", description = "Accounts ranked by readiness, and SDR feedback"),
        (name = "accounts", description = "Accounts, their readiness and its explanation; pushes from a CRM"),
        (name = "events", description = "Event search"),
        (name = "sources", description = "Sources' health"),
        (name = "searches", description = "Saved searches and their feeds"),
        (name = "webhooks", description = "Signed webhook subscriptions (docs/webhooks.md)"),
    )
)]
pub struct ApiDoc;

/// The bearer-token scheme the writes name.
struct Token;

impl Modify for Token {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/openapi.json`
pub(super) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
