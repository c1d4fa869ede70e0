//! The scheduler: every tick, crawl the sources whose `next_run_at` has come — by interval or
//! cron expression, plus jitter so sources on one schedule do not start together. Sources are
//! leased before a crawl (see [`crate::store::Store::lease_due`]), so several processes can
//! share them. Failures back off exponentially with jitter up to a day and never disable a source.

use crate::app::App;
use crate::sources::SourceSpec;
use chrono::{DateTime, Duration, Utc};
use std::str::FromStr;
use std::sync::Arc;

/// Longest wait after repeated failures.
const MAX_BACKOFF_MINUTES: i64 = 24 * 60;

/// Default jitter ceiling when a source sets none: a tenth of its interval, at most this.
const MAX_DEFAULT_JITTER_SECS: i64 = 300;

/// Parses a cron expression (5 fields, or 6 with seconds first).
pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    // croner takes an optional seconds field by default.
    croner::Cron::from_str(expr).map_err(|e| e.to_string())
}

/// A pseudo-random number in `0..=max` that differs per source and per run.
fn spread(spec: &SourceSpec, now: DateTime<Utc>, max: i64) -> i64 {
    if max <= 0 {
        return 0;
    }
    let mut x = spec.name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    }) ^ now.timestamp_nanos_opt().unwrap_or_default() as u64;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x % (max as u64 + 1)) as i64
}

/// The jitter ceiling of a source, in seconds.
fn jitter_max(spec: &SourceSpec) -> i64 {
    match spec.jitter_seconds {
        Some(j) => j as i64,
        None if spec.cron.is_some() => 60,
        None => (spec.interval_minutes as i64 * 6).min(MAX_DEFAULT_JITTER_SECS),
    }
}

/// When a source runs next. After success: its cron expression's next time, or its interval,
/// plus up to `jitter_seconds`. After `failures` consecutive failures: the interval doubled per
/// failure (capped at a day) plus up to 10% jitter.
pub fn next_run(now: DateTime<Utc>, spec: &SourceSpec, failures: i64) -> DateTime<Utc> {
    let base = spec.interval_minutes as i64;
    if failures <= 0 {
        let at = spec
            .cron
            .as_deref()
            .and_then(|c| parse_cron(c).ok())
            .and_then(|c| c.find_next_occurrence(&now, false).ok())
            .unwrap_or(now + Duration::minutes(base));
        return at + Duration::seconds(spread(spec, now, jitter_max(spec)));
    }
    let backoff = (base.max(1) << failures.min(10)).min(MAX_BACKOFF_MINUTES);
    // Jitter spreads retries of many failing sources.
    let jitter = spread(spec, now, backoff * 6);
    now + Duration::minutes(backoff) + Duration::seconds(jitter)
}

/// What a scheduler runs each tick.
#[derive(Debug, Clone, Copy)]
pub struct Duties {
    /// Crawl the due sources.
    pub crawl: bool,
    /// Age every score each `score.decay_every_minutes` (one process per installation does).
    pub decay: bool,
}

/// Does `duties` every `tick` until `shutdown` flips to true.
pub async fn run(
    app: Arc<App>,
    tick: std::time::Duration,
    duties: Duties,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let decay_every =
        std::time::Duration::from_secs(app.config.score.decay_every_minutes.max(1) * 60);
    let mut last_decay = std::time::Instant::now();
    loop {
        if duties.decay && last_decay.elapsed() >= decay_every {
            last_decay = std::time::Instant::now();
            match app.decay().await {
                Ok(n) => tracing::info!(accounts = n, "scores aged"),
                Err(e) => tracing::error!(error = %e, "aging scores failed"),
            }
        }
        if duties.crawl {
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
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => {}
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
            "name='a'\nkind='feed'\nurl='x'\ninterval_minutes=30\njitter_seconds=0\n",
            std::path::Path::new("a.toml"),
        )
        .unwrap()
    }

    #[test]
    fn cron_expressions_and_jitter_set_the_next_run() {
        let cron = SourceSpec::from_toml(
            "name='c'\nkind='feed'\nurl='x'\ncron='0 8 * * MON-FRI'\njitter_seconds=0\n",
            std::path::Path::new("c.toml"),
        )
        .unwrap();
        // Saturday 2026-12-05 10:00 UTC → Monday 08:00.
        let sat = DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            next_run(sat, &cron, 0).to_rfc3339(),
            "2026-12-07T08:00:00+00:00"
        );
        let secs = SourceSpec::from_toml(
            "name='s'\nkind='feed'\nurl='x'\ncron='30 */5 * * * *'\njitter_seconds=0\n",
            std::path::Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(
            next_run(sat, &secs, 0).to_rfc3339(),
            "2026-12-05T10:00:30+00:00"
        );
        let bad = SourceSpec::from_toml(
            "name='b'\nkind='feed'\nurl='x'\ncron='every day'\n",
            std::path::Path::new("b.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(bad.contains("cron") && bad.contains("b.toml"), "{bad}");
        // Default jitter: up to a tenth of the interval; runs spread out.
        let j = SourceSpec::from_toml(
            "name='j'\nkind='feed'\nurl='x'\ninterval_minutes=30\n",
            std::path::Path::new("j.toml"),
        )
        .unwrap();
        let mut seen = std::collections::HashSet::new();
        for k in 0..50 {
            let now = sat + Duration::nanoseconds(k * 7919);
            let d = next_run(now, &j, 0) - now;
            assert!(
                d >= Duration::minutes(30) && d <= Duration::minutes(33),
                "{d}"
            );
            seen.insert(d.num_seconds());
        }
        assert!(seen.len() > 10, "jitter spreads runs: {seen:?}");
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
