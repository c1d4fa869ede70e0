//! Politeness: robots.txt (cached per host, Crawl-delay honoured), one request at a time per
//! host with a minimum delay between them, and `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use texting_robots::Robot;

/// The product token robots.txt rules are matched against.
pub const ROBOTS_AGENT: &str = "TriggerRadar";

/// How long a host's robots.txt is trusted before it is read again.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

/// What a host's robots.txt says.
#[derive(Clone)]
pub enum Rules {
    /// No robots.txt (404 and other 4xx): everything is allowed.
    AllowAll,
    Parsed(Arc<Robot>),
}

impl Rules {
    /// Whether `url` may be fetched.
    pub fn allowed(&self, url: &str) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::Parsed(r) => r.allowed(url),
        }
    }

    /// The host's Crawl-delay for us, if any.
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Rules::AllowAll => None,
            Rules::Parsed(r) => r
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(60.0))),
        }
    }

    /// Parses a robots.txt body; an unparsable file allows everything (as crawlers do).
    pub fn parse(body: &[u8]) -> Rules {
        match Robot::new(ROBOTS_AGENT, body) {
            Ok(r) => Rules::Parsed(Arc::new(r)),
            Err(_) => Rules::AllowAll,
        }
    }
}

/// robots.txt per origin (`scheme://host:port`), with the time it was read.
#[derive(Default, Clone)]
pub struct RobotsCache {
    inner: Arc<Mutex<HashMap<String, (Instant, Rules)>>>,
}

impl RobotsCache {
    /// The cached rules of `origin`, if fresh.
    pub fn get(&self, origin: &str) -> Option<Rules> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.get(origin)
            .filter(|(at, _)| at.elapsed() < ROBOTS_TTL)
            .map(|(_, r)| r.clone())
    }

    /// Remembers `origin`'s rules.
    pub fn put(&self, origin: &str, rules: Rules) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(origin.to_string(), (Instant::now(), rules));
    }
}

/// A host's lock, holding the instant its next request may start.
type HostSlot = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// One request at a time per host, and a pause between requests.
#[derive(Default, Clone)]
pub struct HostGate {
    hosts: Arc<Mutex<HashMap<String, HostSlot>>>,
}

/// Held while a request to a host is in flight; dropping it lets the next one go after `pause`.
pub struct HostTurn {
    guard: tokio::sync::OwnedMutexGuard<Option<Instant>>,
    pause: Duration,
}

impl HostTurn {
    /// Sets how long the host rests after this request (the larger of the configured delay and
    /// its Crawl-delay).
    pub fn rest_at_least(&mut self, d: Duration) {
        self.pause = self.pause.max(d);
    }
}

impl Drop for HostTurn {
    fn drop(&mut self) {
        *self.guard = Some(Instant::now() + self.pause);
    }
}

impl HostGate {
    /// Waits for `host`'s turn: no other request to it in flight, and its rest over.
    pub async fn turn(&self, host: &str, min_delay: Duration) -> HostTurn {
        let lock = {
            let mut map = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(host.to_string()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        if let Some(next) = *guard {
            let now = Instant::now();
            if next > now {
                tokio::time::sleep(next - now).await;
            }
        }
        HostTurn {
            guard,
            pause: min_delay,
        }
    }
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - now).num_seconds().max(0);
    Some(Duration::from_secs(secs as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_rules_and_delay() {
        let r = Rules::parse(
            b"User-agent: *\nDisallow: /private\nCrawl-delay: 2\n\nUser-agent: OtherBot\nDisallow: /\n",
        );
        assert!(r.allowed("http://x.test/news"));
        assert!(!r.allowed("http://x.test/private/1"));
        assert_eq!(r.delay(), Some(Duration::from_secs(2)));
        assert!(Rules::AllowAll.allowed("http://x.test/private"));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 10:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
