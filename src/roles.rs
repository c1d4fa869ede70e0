//! What a `serve` process runs. One machine runs everything (`all`); a larger installation on
//! PostgreSQL runs several `worker`s (crawl, detect, match, store, deliver webhooks — leasing
//! sources and messages so none is done twice) and a `web` node that keeps the search index
//! (following the database's change log), ages scores and serves pages and the API.

use crate::app::App;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A process's share of the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Everything in one process: web, index, scheduler, delivery (the default).
    #[default]
    All,
    /// Crawls due sources and delivers webhooks; no web server, no index.
    Worker,
    /// Serves pages and the API, keeps the index from the change log, ages scores; no crawling,
    /// no delivery.
    Web,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Role::All),
            "worker" => Ok(Role::Worker),
            "web" => Ok(Role::Web),
            other => Err(format!(
                "unknown role `{other}` (expected all, worker or web)"
            )),
        }
    }
}

impl Role {
    /// Crawls due sources on a schedule.
    pub fn crawls(self) -> bool {
        matches!(self, Role::All | Role::Worker)
    }
    /// Delivers webhooks from the outbox.
    pub fn delivers(self) -> bool {
        matches!(self, Role::All | Role::Worker)
    }
    /// Serves the web UI and API.
    pub fn serves_web(self) -> bool {
        matches!(self, Role::All | Role::Web)
    }
    /// Writes the search index (and ages scores: one such process per installation is enough).
    pub fn keeps_index(self) -> bool {
        matches!(self, Role::All | Role::Web)
    }
}

/// Runs `role`'s parts of `app` until `shutdown` completes: the web server on `listener`, the
/// scheduler every `tick` (`None`: no scheduled crawls, as in the demo), webhook delivery and
/// the index follower. Returns after every part has stopped and the index is committed.
pub async fn run(
    app: Arc<App>,
    role: Role,
    listener: Option<tokio::net::TcpListener>,
    tick: Option<Duration>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), crate::app::AppError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    if role.delivers() && app.config.deliver.enabled {
        let d = app.deliverer()?;
        tasks.push(tokio::spawn(d.run(stop_rx.clone())));
    }
    if role.keeps_index() {
        tasks.push(tokio::spawn(app.clone().follow_index(stop_rx.clone())));
    }
    if let Some(t) = tick {
        tasks.push(tokio::spawn(crate::schedule::run(
            app.clone(),
            t,
            crate::schedule::Duties {
                crawl: role.crawls(),
                decay: role.keeps_index(),
            },
            stop_rx.clone(),
        )));
    }
    match (role.serves_web(), listener) {
        (true, Some(listener)) => {
            crate::web::serve(app.clone(), listener, shutdown)
                .await
                .map_err(crate::app::AppError::Serve)?;
        }
        _ => shutdown.await,
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    app.close_indexer()?;
    Ok(())
}
