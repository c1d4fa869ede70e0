//! The scheduler: every tick, crawl the sources whose `next_run_at` has come. Failures back off
//! exponentially with jitter up to a day and never disable a source.

use crate::app::App;
use crate::sources::SourceSpec;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// Longest wait after repeated failures.
const MAX_BACKOFF_MINUTES: i64 = 24 * 60;

/// When a source runs next: its interval after success; after `failures` consecutive failures,
/// the interval doubled per failure (capped at a day) plus up to 10% jitter.
pub fn next_run(now: DateTime<Utc>, spec: &SourceSpec, failures: i64) -> DateTime<Utc> {
    let base = spec.interval_minutes as i64;
    if failures <= 0 {
        return now + Duration::minutes(base);
    }
    let backoff = (base.max(1) << failures.min(10)).min(MAX_BACKOFF_MINUTES);
    // Jitter spreads retries of many failing sources; sub-second clock noise is random enough here.
    let jitter = (now.timestamp_subsec_nanos() as i64 % 1000) * backoff * 6 / 1000;
    now + Duration::minutes(backoff) + Duration::seconds(jitter)
}

/// Crawls due sources every `tick` until `shutdown` flips to true.
pub async fn run(
    app: Arc<App>,
    tick: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let decay_every =
        std::time::Duration::from_secs(app.config.score.decay_every_minutes.max(1) * 60);
    let mut last_decay = std::time::Instant::now();
    loop {
        if last_decay.elapsed() >= decay_every {
            last_decay = std::time::Instant::now();
            match app.decay().await {
                Ok(n) => tracing::info!(accounts = n, "scores aged"),
                Err(e) => tracing::error!(error = %e, "aging scores failed"),
            }
        }
        match app.crawl(None, true, false).await {
            Ok(r) if !r.sources.is_empty() => {
                tracing::info!(
                    sources = r.sources.len(),
                    documents = r.new_documents(),
                    events = r.events(),
                    "scheduled crawl done"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "scheduled crawl failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SourceSpec {
        SourceSpec::from_toml(
            "name='a'\nkind='feed'\nurl='x'\ninterval_minutes=30\n",
            std::path::Path::new("a.toml"),
        )
        .unwrap()
    }

    #[test]
    fn success_waits_the_interval_and_failures_back_off_capped() {
        let now = Utc::now();
        assert_eq!(next_run(now, &spec(), 0), now + Duration::minutes(30));
        let one = next_run(now, &spec(), 1) - now;
        assert!(
            one >= Duration::minutes(60) && one <= Duration::minutes(67),
            "{one}"
        );
        let many = next_run(now, &spec(), 50) - now;
        assert!(
            many >= Duration::hours(24) && many <= Duration::minutes(24 * 66),
            "{many}"
        );
    }
}
