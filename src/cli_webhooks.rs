//! `trigger-radar webhooks …` and `trigger-radar tokens …`: subscriptions, deliveries, API tokens.

use anyhow::{Result, bail};
use clap::Subcommand;
use trigger_radar::App;
use trigger_radar::store::webhooks::NewSubscription;

// Parsed once per run: the size of the biggest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum WebhooksCmd {
    /// Subscribe an endpoint. The secret (whsec_…) is generated unless given, and printed once.
    Add {
        url: String,
        /// generic | hubspot | bitrix24 | amocrm
        #[arg(long, default_value = "generic")]
        format: String,
        /// Event types (default: all): trigger.detected, account.readiness_changed, account.enriched
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Trigger kinds for trigger.detected (default: all), e.g. acquisition,new_facility
        #[arg(long, value_delimiter = ',')]
        kinds: Vec<String>,
        /// Only accounts with at least this readiness.
        #[arg(long)]
        min_readiness: Option<i64>,
        /// Only accounts in these bands, e.g. hot,warm
        #[arg(long, value_delimiter = ',')]
        bands: Vec<String>,
        /// Only accounts of this segment.
        #[arg(long)]
        segment: Option<String>,
        /// Follow a saved search (its id on /searches): `search.matched` for each new event it
        /// finds, and nothing else (generic format).
        #[arg(long)]
        saved_search: Option<i64>,
        /// A given secret (whsec_<base64>) instead of a generated one.
        #[arg(long)]
        secret: Option<String>,
        /// HubSpot: the custom event's internal name (pe<portal>_<name>).
        #[arg(long)]
        event_name: Option<String>,
        /// The environment variable holding the CRM's API token (HubSpot, amoCRM), sent as a
        /// bearer token to this endpoint only.
        #[arg(long)]
        token_env: Option<String>,
    },
    /// List subscriptions with their message counts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop sending to a subscription (messages wait).
    Pause { id: i64 },
    /// Send again (also after a 410 disabled it).
    Resume { id: i64 },
    /// Delete a subscription with its messages and log.
    Delete { id: i64 },
    /// New secret (generated unless given); the old one keeps signing during the grace period.
    Rotate {
        id: i64,
        #[arg(long)]
        secret: Option<String>,
    },
    /// A subscription's delivery log: attempts, status, latency, response excerpt.
    Log {
        id: i64,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Queue a message again (by its webhook-id), or every dead one (`--dead`, optionally of one
    /// subscription with `--webhook`).
    Redeliver {
        msg_id: Option<String>,
        #[arg(long)]
        dead: bool,
        #[arg(long)]
        webhook: Option<i64>,
    },
    /// Send what is due once and exit (`serve` delivers continuously).
    Deliver,
}

#[derive(Subcommand)]
pub enum TokensCmd {
    /// Create an API token (printed once; only its hash is stored).
    Create { name: String },
    /// List tokens.
    List,
    /// Revoke a token.
    Revoke { id: i64 },
}

pub async fn webhooks(app: &App, cmd: &WebhooksCmd) -> Result<()> {
    match cmd {
        WebhooksCmd::Add {
            url,
            format,
            events,
            kinds,
            min_readiness,
            bands,
            segment,
            saved_search,
            secret,
            event_name,
            token_env,
        } => {
            let mut options = serde_json::Map::new();
            if let Some(e) = event_name {
                options.insert("event_name".into(), e.clone().into());
            }
            if let Some(t) = token_env {
                options.insert("token_env".into(), t.clone().into());
            }
            let c = app
                .add_webhook(NewSubscription {
                    url: url.clone(),
                    format: format.clone(),
                    event_types: events.clone(),
                    kinds: kinds.clone(),
                    bands: bands.clone(),
                    min_readiness: *min_readiness,
                    segment: segment.clone(),
                    saved_search: *saved_search,
                    options: Some(options.into()),
                    secret: secret.clone(),
                })
                .await?;
            println!(
                "webhook {} → {} ({})",
                c.subscription.id, c.subscription.url, c.subscription.format
            );
            println!(
                "secret: {}   (shown once; receivers verify webhook-signature with it)",
                c.secret
            );
        }
        WebhooksCmd::List { json } => {
            let subs = app.store.webhooks().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&subs)?);
                return Ok(());
            }
            if subs.is_empty() {
                println!("no webhooks (add one with `trigger-radar webhooks add URL`)");
            }
            for s in subs {
                let c = app.store.outbox_counts(s.id).await?;
                let state = if let Some(r) = &s.disabled_reason {
                    format!("DISABLED: {r}")
                } else if s.paused {
                    "paused".into()
                } else {
                    "active".into()
                };
                let follows = s
                    .saved_search
                    .map(|id| format!("  saved search {id}"))
                    .unwrap_or_default();
                println!(
                    "{:>4}  {:<9} {:<48} {}  pending {} delivered {} dead {}{follows}",
                    s.id, s.format, s.url, state, c.pending, c.delivered, c.dead
                );
            }
        }
        WebhooksCmd::Pause { id } | WebhooksCmd::Resume { id } => {
            let pause = matches!(cmd, WebhooksCmd::Pause { .. });
            if !app.store.set_webhook_paused(*id, pause).await? {
                bail!("no webhook with id {id} (see `trigger-radar webhooks list`)");
            }
            println!("webhook {id} {}", if pause { "paused" } else { "resumed" });
        }
        WebhooksCmd::Delete { id } => {
            if !app.store.delete_webhook(*id).await? {
                bail!("no webhook with id {id} (see `trigger-radar webhooks list`)");
            }
            println!("webhook {id} deleted");
        }
        WebhooksCmd::Rotate { id, secret } => {
            let s = app.rotate_webhook(*id, secret.clone()).await?;
            println!(
                "new secret: {s}   (the old one keeps signing for {} h)",
                app.config.deliver.rotation_grace_hours
            );
        }
        WebhooksCmd::Log { id, limit, json } => {
            let log = app.store.delivery_log(*id, *limit).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&log)?);
                return Ok(());
            }
            for l in log {
                println!(
                    "{}  {}  {:<26} #{:<2} {:<9} {:>4} {:>5} ms  {}{}",
                    l.at.format("%Y-%m-%d %H:%M:%S"),
                    l.msg_id,
                    l.event_type,
                    l.attempt,
                    l.outcome,
                    l.status_code.map(|c| c.to_string()).unwrap_or("-".into()),
                    l.latency_ms,
                    l.error.unwrap_or_default(),
                    l.response_excerpt
                        .map(|r| format!("  «{}»", r.replace('\n', " ")))
                        .unwrap_or_default()
                );
            }
        }
        WebhooksCmd::Redeliver {
            msg_id,
            dead,
            webhook,
        } => {
            let now = chrono::Utc::now().timestamp_millis();
            let n = match (msg_id, dead) {
                (Some(m), false) => app.store.redeliver(Some(m), None, now).await?,
                (None, true) => app.store.redeliver(None, Some(*webhook), now).await?,
                _ => bail!("give a message id (webhook-id), or --dead"),
            };
            println!("{n} message(s) queued again");
        }
        WebhooksCmd::Deliver => {
            let d = app.deliverer()?;
            let mut total = trigger_radar::deliver::PassReport::default();
            loop {
                let r = d.deliver_due(500).await?;
                if r.attempted == 0 {
                    break;
                }
                total.attempted += r.attempted;
                total.delivered += r.delivered;
                total.retrying += r.retrying;
                total.dead += r.dead;
                total.disabled += r.disabled;
            }
            println!(
                "{} attempted: {} delivered, {} to retry, {} dead, {} disabled a subscription",
                total.attempted, total.delivered, total.retrying, total.dead, total.disabled
            );
        }
    }
    Ok(())
}

pub async fn tokens(app: &App, cmd: &TokensCmd) -> Result<()> {
    match cmd {
        TokensCmd::Create { name } => {
            let (id, token) = app.create_token(name).await?;
            println!("token {id} ({name}): {token}");
            println!("shown once; send it as `Authorization: Bearer …`");
        }
        TokensCmd::List => {
            for (id, name, created, used, revoked) in app.store.tokens().await? {
                let t = |s: i64| {
                    chrono::DateTime::from_timestamp(s, 0)
                        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default()
                };
                println!(
                    "{id:>4}  {name:<24} created {}  last used {}{}",
                    t(created),
                    used.map(t).unwrap_or("never".into()),
                    revoked
                        .map(|r| format!("  REVOKED {}", t(r)))
                        .unwrap_or_default()
                );
            }
        }
        TokensCmd::Revoke { id } => {
            if !app.store.revoke_token(*id).await? {
                bail!("no live token with id {id} (see `trigger-radar tokens list`)");
            }
            println!("token {id} revoked");
        }
    }
    Ok(())
}
