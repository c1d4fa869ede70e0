//! Reading one source: the fetches a connector makes through the polite fetch layer, each body
//! decoded to UTF-8 once, timed and shown on the source's progress line. Connectors get a
//! [`Reader`] and return a [`Listing`]; they never see the HTTP client.

use super::{SourceError, SourceSpec};
use crate::extract::canonical_url;
use crate::fetch::decode::decode;
use crate::fetch::{FetchError, Fetcher, Outcome, Request, Validators};
use crate::model::RawItem;
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Why a source could not be read; the crawl records it on the source and carries on.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ReadError {
    pub message: String,
    /// Trying again later may succeed (timeouts, 429, 5xx); otherwise the source needs fixing.
    pub transient: bool,
    /// The server asked to wait this long.
    pub retry_after: Option<Duration>,
}

impl ReadError {
    /// A permanent error with this message (a misconfigured source, an unusable answer).
    pub fn permanent(message: impl Into<String>) -> ReadError {
        ReadError {
            message: message.into(),
            transient: false,
            retry_after: None,
        }
    }
}

impl From<FetchError> for ReadError {
    fn from(e: FetchError) -> Self {
        ReadError {
            transient: e.is_transient(),
            retry_after: e.retry_after(),
            message: e.to_string(),
        }
    }
}

impl From<SourceError> for ReadError {
    fn from(e: SourceError) -> Self {
        ReadError::permanent(e.to_string())
    }
}

/// Time spent reading, by stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadTimes {
    pub fetch: Duration,
    pub decode: Duration,
    pub parse: Duration,
}

/// What a connector read.
#[derive(Debug, Default)]
pub struct Listing {
    pub items: Vec<RawItem>,
    /// The first page answered 304 Not Modified: nothing else was read.
    pub not_modified: bool,
}

impl Listing {
    /// Items read now.
    pub fn of(items: Vec<RawItem>) -> Listing {
        Listing {
            items,
            not_modified: false,
        }
    }

    /// The first page had not changed.
    pub fn not_modified() -> Listing {
        Listing {
            items: Vec::new(),
            not_modified: true,
        }
    }
}

/// A fetched, decoded page.
#[derive(Debug, Clone)]
pub struct Page {
    pub text: String,
    /// The final URL after redirects.
    pub url: String,
}

/// The fetch layer as one source's connector sees it.
pub struct Reader<'a> {
    fetcher: &'a Fetcher,
    spec: &'a SourceSpec,
    known: &'a HashMap<String, String>,
    stored_validators: Option<Validators>,
    progress: ProgressBar,
    pub times: ReadTimes,
    /// Charset of the first page and how it was chosen.
    pub encoding: String,
    /// Validators of the first page, saved once its items are stored.
    pub validators: Option<(String, Validators)>,
    /// Requests made.
    pub requests: usize,
}

impl<'a> Reader<'a> {
    /// A reader for `spec`. `known`: canonical URL → content hash of its stored documents;
    /// `stored_validators`: those of the first page's last good response.
    pub fn new(
        fetcher: &'a Fetcher,
        spec: &'a SourceSpec,
        known: &'a HashMap<String, String>,
        stored_validators: Option<Validators>,
        progress: ProgressBar,
    ) -> Reader<'a> {
        Reader {
            fetcher,
            spec,
            known,
            stored_validators,
            progress,
            times: ReadTimes::default(),
            encoding: String::new(),
            validators: None,
            requests: 0,
        }
    }

    /// The User-Agent the fetch layer sends.
    pub fn user_agent(&self) -> &str {
        self.fetcher.user_agent()
    }

    /// Whether a document is already stored under this URL (its details need no new fetch).
    pub fn is_known(&self, url: &str) -> bool {
        self.known.contains_key(&canonical_url(url))
    }

    /// Shows what the reader is doing on the source's progress line.
    pub fn status(&self, msg: impl Into<std::borrow::Cow<'static, str>>) {
        self.progress.set_message(msg);
    }

    /// The source's own pace, if its file or kind sets one.
    fn paced(&self, mut req: Request<'a>) -> Request<'a> {
        if let Some(ms) = self.spec.min_delay_ms {
            let d = Duration::from_millis(ms);
            req.min_delay = Some(req.min_delay.map_or(d, |m| m.max(d)));
        }
        req
    }

    /// Reads the first page conditionally: `None` when it has not changed since the last good
    /// read (a 304 costs no parsing).
    pub async fn first(&mut self, url: &str, req: Request<'a>) -> Result<Option<Page>, ReadError> {
        let stored = self.stored_validators.take();
        let req = Request {
            validators: stored.as_ref(),
            ..self.paced(req)
        };
        let t = Instant::now();
        self.requests += 1;
        let outcome = self.fetcher.request(url, &req).await;
        self.times.fetch += t.elapsed();
        match outcome? {
            Outcome::NotModified => Ok(None),
            Outcome::Body(f) => {
                self.validators = Some((url.to_string(), f.validators.clone()));
                let t = Instant::now();
                let d = decode(
                    &f.bytes,
                    f.content_type.as_deref(),
                    self.spec.encoding.as_deref(),
                );
                self.encoding = format!("{} ({})", d.encoding, d.how);
                if d.had_errors {
                    tracing::warn!(source = %self.spec.name, encoding = d.encoding, "some bytes could not be decoded and were replaced");
                }
                self.times.decode += t.elapsed();
                Ok(Some(Page {
                    text: d.text,
                    url: f.url,
                }))
            }
        }
    }

    /// Reads one more page (a listing's next page, an article, a vacancy, a filing).
    pub async fn page(&mut self, url: &str, req: Request<'a>) -> Result<Page, ReadError> {
        let req = self.paced(req);
        let t = Instant::now();
        self.requests += 1;
        let outcome = self.fetcher.request(url, &req).await;
        self.times.fetch += t.elapsed();
        match outcome? {
            Outcome::Body(f) => {
                let t = Instant::now();
                let d = decode(
                    &f.bytes,
                    f.content_type.as_deref(),
                    self.spec.encoding.as_deref(),
                );
                self.times.decode += t.elapsed();
                Ok(Page {
                    text: d.text,
                    url: f.url,
                })
            }
            // Only sent for conditional requests, which `page` never makes.
            Outcome::NotModified => Err(ReadError::permanent(format!(
                "{url} answered 304 Not Modified to an unconditional request"
            ))),
        }
    }

    /// Runs a parser, counting its time as parsing.
    pub fn parse<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.times.parse += t.elapsed();
        out
    }
}
