//! The polite HTTP client every connector uses, plus local files (`file://` URLs and paths) for demos,
//! tests and air-gapped use: robots.txt obeyed (Crawl-delay too), one request at a time per host
//! with a pause between them, a global concurrency cap, conditional GET (ETag / Last-Modified),
//! `Retry-After`, bodies capped while streaming. Decoding to UTF-8 lives in [`decode`].

pub mod decode;
pub mod polite;

use crate::config::FetchConfig;
use polite::{HostGate, RobotsCache, Rules};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A fetch that did not produce a body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot read {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{url} answered HTTP {status}{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    Status {
        url: String,
        status: u16,
        /// From `Retry-After` (429, 503).
        retry_after: Option<Duration>,
    },
    #[error("{url} is disallowed for TriggerRadar by the site's robots.txt")]
    RobotsDisallowed { url: String },
    #[error("cannot fetch {url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url} is larger than the {limit}-byte cap (fetch.max_body_bytes)")]
    TooLarge { url: String, limit: usize },
    #[error("unsupported URL scheme in `{url}` (use http, https, file or a path)")]
    Scheme { url: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// Whether trying again later may succeed (timeouts, refused connections, 408, 429, 5xx); a
    /// permanent error (404, 403, a disallowed path, a body over the cap) needs the source fixed.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Transport { .. } => true,
            FetchError::Status { status, .. } => matches!(status, 408 | 425 | 429 | 500..=599),
            _ => false,
        }
    }

    /// How long the server asked us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Cache validators of a response, sent back on the next fetch of the same URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched body, still bytes.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    /// The final URL after redirects (or the file path).
    pub url: String,
    /// For the next conditional fetch.
    pub validators: Validators,
}

/// What one request carries beyond its URL: a connector's API headers, credentials, a slower
/// pace for the host. Credentials are sent only to the URL asked for and never logged.
#[derive(Clone, Default)]
pub struct Request<'a> {
    /// From the last fetch of the same URL (conditional GET).
    pub validators: Option<&'a Validators>,
    /// Extra headers (hh.ru's `HH-User-Agent`, an API's `Accept`).
    pub headers: Vec<(&'static str, String)>,
    /// HTTP Basic credentials: user and password (Companies House: the API key, no password).
    pub basic_auth: Option<(String, String)>,
    /// `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// Rest at least this long between requests to the host (SEC: at most 10 requests/s).
    pub min_delay: Option<Duration>,
}

impl std::fmt::Debug for Request<'_> {
    // Written by hand so that credentials never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("validators", &self.validators)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            )
            .field("basic_auth", &self.basic_auth.as_ref().map(|_| "…"))
            .field("bearer", &self.bearer.as_ref().map(|_| "…"))
            .field("min_delay", &self.min_delay)
            .finish()
    }
}

/// A conditional fetch: a new body, or "not modified since" (304), which costs no parsing.
#[derive(Debug, Clone)]
pub enum Outcome {
    Body(Fetched),
    NotModified,
}

/// Fetches URLs and local files.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    user_agent: String,
    max_body: usize,
    robots: Option<RobotsCache>,
    gate: HostGate,
    min_delay: Duration,
    global: Arc<tokio::sync::Semaphore>,
}

impl Fetcher {
    /// A client with the tool's User-Agent, timeouts and redirect cap.
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, FetchError> {
        let ua = format!(
            "TriggerRadar/{} (+https://github.com/trigger-radar; {})",
            env!("CARGO_PKG_VERSION"),
            cfg.contact
        );
        let client = reqwest::Client::builder()
            .user_agent(ua.clone())
            .timeout(Duration::from_secs(cfg.timeout_secs))
            .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            user_agent: ua,
            max_body: cfg.max_body_bytes,
            robots: cfg.obey_robots.then(RobotsCache::default),
            gate: HostGate::default(),
            min_delay: Duration::from_millis(cfg.min_host_delay_ms),
            global: Arc::new(tokio::sync::Semaphore::new(cfg.max_concurrency.max(1))),
        })
    }

    /// Reads `location`: an http(s) URL, a `file://` URL or a filesystem path.
    pub async fn get(&self, location: &str) -> Result<Fetched, FetchError> {
        match self.get_if_changed(location, None).await? {
            Outcome::Body(f) => Ok(f),
            // Only sent when validators were given.
            Outcome::NotModified => Err(FetchError::Status {
                url: location.into(),
                status: 304,
                retry_after: None,
            }),
        }
    }

    /// The User-Agent every request sends (tool, version, contact).
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Reads `location`, sending `validators` from the last fetch: an unchanged resource answers
    /// [`Outcome::NotModified`].
    pub async fn get_if_changed(
        &self,
        location: &str,
        validators: Option<&Validators>,
    ) -> Result<Outcome, FetchError> {
        self.request(
            location,
            &Request {
                validators,
                ..Request::default()
            },
        )
        .await
    }

    /// Reads `location` with the request's headers, credentials and pace.
    pub async fn request(&self, location: &str, req: &Request<'_>) -> Result<Outcome, FetchError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            return self.get_http(location, req).await;
        }
        let path = if let Some(p) = location.strip_prefix("file://") {
            PathBuf::from(p)
        } else if location.contains("://") {
            return Err(FetchError::Scheme {
                url: location.into(),
            });
        } else {
            PathBuf::from(location)
        };
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|source| FetchError::File {
                path: path.clone(),
                source,
            })?;
        if meta.len() as usize > self.max_body {
            return Err(FetchError::TooLarge {
                url: path.display().to_string(),
                limit: self.max_body,
            });
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|source| FetchError::File {
                path: path.clone(),
                source,
            })?;
        Ok(Outcome::Body(Fetched {
            bytes,
            content_type: None,
            url: path.display().to_string(),
            validators: Validators::default(),
        }))
    }

    /// The robots.txt rules of `url`'s host (read once a day, taking the host's turn).
    async fn rules(
        &self,
        url: &reqwest::Url,
        host: &str,
        pace: Option<Duration>,
    ) -> Result<Rules, FetchError> {
        let Some(cache) = &self.robots else {
            return Ok(Rules::AllowAll);
        };
        let origin = format!("{}://{host}", url.scheme());
        if let Some(r) = cache.get(&origin) {
            return Ok(r);
        }
        let robots_url = format!("{origin}/robots.txt");
        let mut turn = self.gate.turn(host, self.min_delay).await;
        if let Some(d) = pace {
            turn.rest_at_least(d);
        }
        let resp = self.client.get(&robots_url).send().await;
        drop(turn);
        let rules = match resp {
            Ok(r) if r.status().is_success() => {
                let body = r.bytes().await.map_err(|e| FetchError::Transport {
                    url: robots_url.clone(),
                    message: e.to_string(),
                })?;
                Rules::parse(&body[..body.len().min(512 * 1024)])
            }
            // No robots.txt: everything is allowed.
            Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => Rules::AllowAll,
            // The host is struggling: ask again later rather than crawl blind.
            Ok(r) => {
                return Err(FetchError::Status {
                    url: robots_url,
                    status: r.status().as_u16(),
                    retry_after: retry_after(r.headers()),
                });
            }
            Err(e) => {
                return Err(FetchError::Transport {
                    url: robots_url,
                    message: e.to_string(),
                });
            }
        };
        cache.put(&origin, rules.clone());
        Ok(rules)
    }

    async fn get_http(&self, url: &str, r: &Request<'_>) -> Result<Outcome, FetchError> {
        let validators = r.validators;
        let transport = |e: reqwest::Error| FetchError::Transport {
            url: url.into(),
            message: e.to_string(),
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| FetchError::Transport {
            url: url.into(),
            message: e.to_string(),
        })?;
        let host = match (parsed.host_str(), parsed.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => {
                return Err(FetchError::Scheme { url: url.into() });
            }
        };
        let _permit = self
            .global
            .acquire()
            .await
            .map_err(|e| FetchError::Client(e.to_string()))?;
        let rules = self.rules(&parsed, &host, r.min_delay).await?;
        if !rules.allowed(url) {
            return Err(FetchError::RobotsDisallowed { url: url.into() });
        }
        let mut turn = self.gate.turn(&host, self.min_delay).await;
        if let Some(d) = rules.delay() {
            turn.rest_at_least(d);
        }
        if let Some(d) = r.min_delay {
            turn.rest_at_least(d);
        }
        let mut req = self.client.get(url);
        for (name, value) in &r.headers {
            req = req.header(*name, value);
        }
        if let Some((user, pass)) = &r.basic_auth {
            req = req.basic_auth(user, Some(pass));
        }
        if let Some(token) = &r.bearer {
            req = req.bearer_auth(token);
        }
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
        }
        let mut resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED && validators.is_some() {
            return Ok(Outcome::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.into(),
                status: status.as_u16(),
                retry_after: retry_after(resp.headers()),
            });
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let new_validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        if resp
            .content_length()
            .is_some_and(|n| n as usize > self.max_body)
        {
            return Err(FetchError::TooLarge {
                url: url.into(),
                limit: self.max_body,
            });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let final_url = resp.url().to_string();
        let mut bytes = Vec::new();
        // Streamed so a lying or missing Content-Length cannot make us buffer a huge body.
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > self.max_body {
                return Err(FetchError::TooLarge {
                    url: url.into(),
                    limit: self.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        drop(turn);
        Ok(Outcome::Body(Fetched {
            bytes,
            content_type,
            url: final_url,
            validators: new_validators,
        }))
    }
}

fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    h.get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| polite::parse_retry_after(v, chrono::Utc::now()))
}
