//! Webhook subscriptions and API tokens as the CLI and the API manage them, on an [`App`].

use super::{Deliverer, adapters, sign, ssrf};
use crate::app::{App, AppError};
use crate::store::webhooks::{EVENT_TYPES, NewSubscription, Subscription};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A subscription as created: the secret is shown this once.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub secret: String,
}

/// The SHA-256 (hex) an API token is stored as.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl App {
    /// Checks and stores a subscription; its secret is generated unless given.
    pub async fn add_webhook(&self, s: NewSubscription) -> Result<Created, AppError> {
        let bad = |m: String| AppError::Webhook(m);
        if !adapters::FORMATS.contains(&s.format.as_str()) {
            return Err(bad(format!(
                "unknown format `{}` (use {})",
                s.format,
                adapters::FORMATS.join(", ")
            )));
        }
        ssrf::Guard::new(&self.config.deliver.allow_private)
            .check_url(&s.url)
            .map_err(bad)?;
        for t in &s.event_types {
            if !EVENT_TYPES.contains(&t.as_str()) {
                return Err(bad(format!(
                    "unknown event type `{t}` (use {})",
                    EVENT_TYPES.join(", ")
                )));
            }
        }
        for k in &s.kinds {
            k.parse::<crate::model::TriggerKind>()
                .map_err(|e| bad(e.to_string()))?;
        }
        for b in &s.bands {
            if !["hot", "warm", "cold"].contains(&b.as_str()) {
                return Err(bad(format!("unknown band `{b}` (use hot, warm, cold)")));
            }
        }
        match s.saved_search {
            Some(id) => {
                if self.store.saved_search(id).await?.is_none() {
                    return Err(bad(format!(
                        "no saved search with id {id} (see /searches or GET /api/searches)"
                    )));
                }
                if s.format != "generic" {
                    return Err(bad(format!(
                        "a saved search's alerts are generic events; `{}` takes accounts' triggers only",
                        s.format
                    )));
                }
                if s.event_types.iter().any(|t| t != "search.matched")
                    || !s.kinds.is_empty()
                    || !s.bands.is_empty()
                    || s.min_readiness.is_some()
                    || s.segment.is_some()
                {
                    return Err(bad(
                        "a saved search's webhook gets its matches (`search.matched`) only; \
                         put kinds and other filters in the search itself"
                            .into(),
                    ));
                }
                self.store.start_search_alerts(id).await?;
            }
            None if s.event_types.iter().any(|t| t == "search.matched") => {
                return Err(bad(
                    "`search.matched` comes from a saved search: name it (--saved-search ID, or \
                     `saved_search` in the API)"
                        .into(),
                ));
            }
            None => {}
        }
        let secret = match &s.secret {
            Some(given) => {
                sign::key_bytes(given).map_err(|e| bad(e.to_string()))?;
                given.clone()
            }
            None => sign::generate_secret().map_err(|e| bad(e.to_string()))?,
        };
        let subscription = self.store.add_webhook(&s, &secret).await?;
        tracing::info!(id = subscription.id, url = %subscription.url, format = %subscription.format, "webhook added");
        Ok(Created {
            subscription,
            secret,
        })
    }

    /// Replaces a subscription's secret (generated unless given); the old one keeps signing for
    /// `deliver.rotation_grace_hours`. Returns the new secret.
    pub async fn rotate_webhook(&self, id: i64, given: Option<String>) -> Result<String, AppError> {
        let secret = match given {
            Some(g) => {
                sign::key_bytes(&g).map_err(|e| AppError::Webhook(e.to_string()))?;
                g
            }
            None => sign::generate_secret().map_err(|e| AppError::Webhook(e.to_string()))?,
        };
        let until =
            chrono::Utc::now() + chrono::Duration::hours(self.config.deliver.rotation_grace_hours);
        if !self.store.rotate_webhook_secret(id, &secret, until).await? {
            return Err(AppError::UnknownWebhook(id));
        }
        Ok(secret)
    }

    /// The delivery worker of this instance (built on first use).
    pub fn deliverer(&self) -> Result<Arc<Deliverer>, AppError> {
        let mut guard = self.deliverer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = guard.as_ref() {
            return Ok(d.clone());
        }
        let d = Arc::new(
            Deliverer::new(
                self.store.clone(),
                &self.config.deliver,
                &format!("TriggerRadar-Webhooks/{}", env!("CARGO_PKG_VERSION")),
                self.worker_id(),
                super::wall_clock(),
            )
            .map_err(|e| AppError::Webhook(e.to_string()))?,
        );
        *guard = Some(d.clone());
        Ok(d)
    }

    /// A new API token with this name: returned once, stored as its hash.
    pub async fn create_token(&self, name: &str) -> Result<(i64, String), AppError> {
        use base64::Engine as _;
        let bytes = sign::random_bytes(32).map_err(|e| AppError::Webhook(e.to_string()))?;
        let token = format!(
            "trr_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let id = self.store.add_token(name, &token_hash(&token)).await?;
        Ok((id, token))
    }

    /// The name of the live token `token` is, if any.
    pub async fn check_token(&self, token: &str) -> Result<Option<String>, AppError> {
        Ok(self.store.token_by_hash(&token_hash(token)).await?)
    }
}
