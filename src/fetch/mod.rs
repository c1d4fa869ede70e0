//! The polite HTTP client every connector uses, plus local files (`file://` URLs and paths) for demos,
//! tests and air-gapped use. Bodies are capped while streaming; decoding to UTF-8 lives in [`decode`].

pub mod decode;

use crate::config::FetchConfig;
use std::path::PathBuf;
use std::time::Duration;

/// A fetch that did not produce a body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot read {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("cannot fetch {url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url} is larger than the {limit}-byte cap (fetch.max_body_bytes)")]
    TooLarge { url: String, limit: usize },
    #[error("unsupported URL scheme in `{url}` (use http, https, file or a path)")]
    Scheme { url: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// A fetched body, still bytes.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    /// The final URL after redirects (or the file path).
    pub url: String,
}

/// Fetches URLs and local files.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: usize,
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
            .user_agent(ua)
            .timeout(Duration::from_secs(cfg.timeout_secs))
            .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            max_body: cfg.max_body_bytes,
        })
    }

    /// Reads `location`: an http(s) URL, a `file://` URL or a filesystem path.
    pub async fn get(&self, location: &str) -> Result<Fetched, FetchError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            return self.get_http(location).await;
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
        Ok(Fetched {
            bytes,
            content_type: None,
            url: path.display().to_string(),
        })
    }

    async fn get_http(&self, url: &str) -> Result<Fetched, FetchError> {
        let transport = |e: reqwest::Error| FetchError::Transport {
            url: url.into(),
            message: e.to_string(),
        };
        let mut resp = self.client.get(url).send().await.map_err(transport)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.into(),
                status: status.as_u16(),
            });
        }
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
        Ok(Fetched {
            bytes,
            content_type,
            url: final_url,
        })
    }
}
