//! Source definitions (`sources/**/*.toml`, one file per source) and the connectors that turn a
//! fetched body into [`RawItem`]s. One file per connector kind.

pub mod companies_house;
pub mod dates;
pub mod edgar;
pub mod feed;
pub mod hh;
pub mod html;
pub mod json;
pub mod read;

pub use read::{Listing, Page, ReadError, Reader};

use crate::fetch::Request;
use crate::model::{Lang, RawItem};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why a source definition or its content could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read source file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("source file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("source `{source_name}`: the feed could not be parsed: {message}")]
    Feed {
        source_name: String,
        message: String,
    },
    #[error("two source files define the name `{name}`: {first} and {second}")]
    Duplicate {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
}

/// Connector kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed.
    Feed,
    /// A listing page read with CSS selectors (`[html]`).
    Html,
    /// A JSON API read with JSON pointers (`[json]`).
    Json,
    /// A Greenhouse job board (`board = "company"`): its public jobs API.
    Greenhouse,
    /// A Lever job board (`board = "company"`): its public postings API.
    Lever,
    /// hh.ru vacancies (`[hh]`: an employer or a text query and area), with each new vacancy's
    /// description and key skills.
    Hh,
    /// SEC EDGAR's current 8-K filings: item numbers become events, the filer's CIK the account.
    Edgar,
    /// UK Companies House (`[companies_house]`: the watched company numbers, an API key):
    /// officers and filing history become events.
    CompaniesHouse,
}

impl SourceKind {
    /// The name used in files and pages.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Html => "html",
            SourceKind::Json => "json",
            SourceKind::Greenhouse => "greenhouse",
            SourceKind::Lever => "lever",
            SourceKind::Hh => "hh",
            SourceKind::Edgar => "edgar",
            SourceKind::CompaniesHouse => "companies_house",
        }
    }
}

/// One source as its TOML file defines it. Keys are documented in `docs/sources.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Unique name; shown on the health page and stored with every document.
    pub name: String,
    pub kind: SourceKind,
    /// http(s) URL, `file://` URL, or a path relative to the definition file's folder. Job-board
    /// kinds build it from `board` when it is left out.
    #[serde(default)]
    pub url: String,
    /// `greenhouse`, `lever`: the company's board token.
    #[serde(default)]
    pub board: Option<String>,
    /// Language hint ("ru" / "en"); each item's language is still detected.
    #[serde(default)]
    pub lang: Option<String>,
    /// Forces the charset (e.g. "windows-1251") when a server mislabels its content.
    #[serde(default)]
    pub encoding: Option<String>,
    /// How often the scheduler crawls it.
    #[serde(default = "default_interval")]
    pub interval_minutes: u32,
    /// A cron expression (`"*/15 * * * *"`, `"0 8 * * MON-FRI"`, UTC; an optional seconds field
    /// first) that replaces `interval_minutes`.
    #[serde(default)]
    pub cron: Option<String>,
    /// Up to this many seconds are added at random to every next run, so sources on the same
    /// schedule do not all start at once. Default: a tenth of the interval, at most 5 minutes.
    #[serde(default)]
    pub jitter_seconds: Option<u32>,
    /// Pause between this source's requests to its host, when longer than
    /// `fetch.min_host_delay_ms` (an API's rate limit).
    #[serde(default)]
    pub min_delay_ms: Option<u64>,
    /// `feed`: fetch each new item's page and keep its main text (for feeds that carry only a
    /// summary).
    #[serde(default)]
    pub full_text: bool,
    /// `full_text`, `hh` details, `edgar` documents: pages fetched per crawl at most; the other
    /// new items keep their summary.
    #[serde(default = "default_max_details")]
    pub max_details: u32,
    /// 0–1: how far its reports are trusted; enters the readiness score.
    #[serde(default = "default_reliability")]
    pub reliability: f32,
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// `kind = "html"`: the selectors.
    #[serde(default)]
    pub html: Option<html::HtmlSpec>,
    /// `kind = "json"`: the pointers and pagination.
    #[serde(default)]
    pub json: Option<json::JsonSpec>,
    /// `kind = "hh"`: the query.
    #[serde(default)]
    pub hh: Option<hh::HhSpec>,
    /// `kind = "edgar"`: forms and documents.
    #[serde(default)]
    pub edgar: Option<edgar::EdgarSpec>,
    /// `kind = "companies_house"`: the watched companies and the API key.
    #[serde(default)]
    pub companies_house: Option<companies_house::ChSpec>,
    /// The CRM id of the account this source belongs to (a company's own job board or news page):
    /// its postings and hiring surges go to that account.
    #[serde(default)]
    pub account: Option<String>,
    /// Keep the listed items as job postings (first/last seen, hiring surges). Default: on for
    /// job-board kinds.
    #[serde(default)]
    pub postings: Option<bool>,
    /// The file this came from (set by the loader).
    #[serde(skip)]
    pub file: PathBuf,
    /// Set when `json` was filled in by a job-board kind rather than written in the file.
    #[serde(skip)]
    pub kind_preset: bool,
}

fn default_interval() -> u32 {
    60
}
fn default_reliability() -> f32 {
    0.8
}
fn default_true() -> bool {
    true
}
fn default_max_details() -> u32 {
    50
}

impl SourceSpec {
    /// The language hint as a [`Lang`].
    pub fn lang_hint(&self) -> Option<Lang> {
        self.lang.as_deref().and_then(Lang::parse)
    }

    /// Parses one definition; relative `url`s become paths beside the file.
    pub fn from_toml(text: &str, file: &Path) -> Result<SourceSpec, SourceError> {
        let invalid = |message: String| SourceError::Invalid {
            path: file.to_path_buf(),
            message,
        };
        let mut spec: SourceSpec = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if spec.name.trim().is_empty() {
            return Err(invalid("`name` is empty".into()));
        }
        if matches!(spec.kind, SourceKind::Greenhouse | SourceKind::Lever) {
            let board = spec
                .board
                .clone()
                .filter(|b| !b.trim().is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "`kind = \"{}\"` needs `board = \"company\"`",
                        spec.kind.as_str()
                    ))
                })?;
            if spec.json.is_some() {
                return Err(invalid("[json] is only for `kind = \"json\"`".into()));
            }
            let (url, preset) = json::job_board(spec.kind, board.trim());
            if spec.url.is_empty() {
                spec.url = url;
            }
            spec.json = Some(preset);
            spec.kind_preset = true;
        } else if spec.kind == SourceKind::Hh {
            let hh = spec.hh.get_or_insert_with(hh::HhSpec::default);
            hh.validate().map_err(invalid)?;
            if spec.url.is_empty() {
                spec.url = hh::DEFAULT_URL.into();
            }
        } else if spec.kind == SourceKind::Edgar {
            spec.edgar.get_or_insert_with(edgar::EdgarSpec::default);
            if spec.url.is_empty() {
                spec.url = edgar::DEFAULT_URL.into();
            }
            // SEC: at most 10 requests per second in total.
            let d = spec.min_delay_ms.unwrap_or(0).max(edgar::MIN_DELAY_MS);
            spec.min_delay_ms = Some(d);
        } else if spec.kind == SourceKind::CompaniesHouse {
            let ch = spec.companies_house.as_ref().ok_or_else(|| {
                invalid(
                    "`kind = \"companies_house\"` needs a [companies_house] table with `companies = [\"00445790\", …]`".into(),
                )
            })?;
            ch.validate().map_err(invalid)?;
            if spec.url.is_empty() {
                spec.url = companies_house::DEFAULT_URL.into();
            }
            // 600 requests per 5 minutes per key.
            let d = spec
                .min_delay_ms
                .unwrap_or(0)
                .max(companies_house::MIN_DELAY_MS);
            spec.min_delay_ms = Some(d);
        } else if spec.url.trim().is_empty() {
            return Err(invalid("`url` is missing".into()));
        }
        for (table, set, kind) in [
            ("hh", spec.hh.is_some(), SourceKind::Hh),
            ("edgar", spec.edgar.is_some(), SourceKind::Edgar),
            (
                "companies_house",
                spec.companies_house.is_some(),
                SourceKind::CompaniesHouse,
            ),
        ] {
            if set && spec.kind != kind {
                return Err(invalid(format!(
                    "[{table}] is only for `kind = \"{}\"`",
                    kind.as_str()
                )));
            }
        }
        if spec.full_text && spec.kind != SourceKind::Feed {
            return Err(invalid(
                "`full_text` is only for `kind = \"feed\"` (other kinds fetch their details themselves)".into(),
            ));
        }
        if let Some(c) = &spec.cron {
            crate::schedule::parse_cron(c).map_err(|e| invalid(format!("`cron` = `{c}`: {e}")))?;
        }
        if !(0.0..=1.0).contains(&spec.reliability) {
            return Err(invalid(format!(
                "`reliability` is {}, expected 0 to 1",
                spec.reliability
            )));
        }
        if spec.interval_minutes == 0 {
            return Err(invalid("`interval_minutes` must be at least 1".into()));
        }
        if let Some(l) = &spec.lang
            && Lang::parse(l).is_none()
        {
            return Err(invalid(format!(
                "`lang` is `{l}`, expected \"ru\" or \"en\""
            )));
        }
        if let Some(e) = &spec.encoding
            && encoding_rs::Encoding::for_label(e.as_bytes()).is_none()
        {
            return Err(invalid(format!("`encoding` `{e}` is not a known charset")));
        }
        match (spec.kind, &spec.html) {
            (SourceKind::Html, None) => {
                return Err(invalid(
                    "`kind = \"html\"` needs an [html] table with at least `item = \"CSS selector\"`".into(),
                ));
            }
            (SourceKind::Html, Some(h)) => {
                h.compile().map_err(invalid)?;
            }
            (_, Some(_)) => return Err(invalid("[html] is only for `kind = \"html\"`".into())),
            _ => {}
        }
        match (spec.kind, &spec.json) {
            (SourceKind::Greenhouse | SourceKind::Lever, _) => {}
            (SourceKind::Json, None) => {
                return Err(invalid(
                    "`kind = \"json\"` needs a [json] table with `items`, `title` and `link` or `id`"
                        .into(),
                ));
            }
            (SourceKind::Json, Some(j)) => j.validate().map_err(invalid)?,
            (_, Some(_)) => return Err(invalid("[json] is only for `kind = \"json\"`".into())),
            _ => {}
        }
        if !spec.url.contains("://") && Path::new(&spec.url).is_relative() {
            let base = file.parent().unwrap_or(Path::new("."));
            spec.url = base.join(&spec.url).display().to_string();
        }
        spec.file = file.to_path_buf();
        Ok(spec)
    }

    /// Turns a decoded listing body into items (`feed`, `html`, `json` and the job boards).
    pub fn parse_items(&self, utf8: &str) -> Result<Vec<RawItem>, SourceError> {
        self.parse_page(utf8, &self.first_url(), 0)
            .map(|(items, _)| items)
    }

    /// The URL of the first page (`{page}` and `{cursor}` placeholders filled in).
    pub fn first_url(&self) -> String {
        match &self.json {
            Some(j) => json::first_url(&self.url, j),
            None => self.url.clone(),
        }
    }

    /// Parses one fetched page at `page_url`: its items and, for paginated connectors, the next
    /// page to read.
    pub fn parse_page(
        &self,
        utf8: &str,
        page_url: &str,
        page: u32,
    ) -> Result<(Vec<RawItem>, Option<String>), SourceError> {
        if let (SourceKind::Json | SourceKind::Greenhouse | SourceKind::Lever, Some(j)) =
            (self.kind, &self.json)
        {
            return json::parse_page(self, j, page, utf8);
        }
        match (self.kind, &self.html) {
            (SourceKind::Feed, _) => feed::parse(self, utf8).map(|i| (i, None)),
            (SourceKind::Html, Some(h)) => {
                let sel = h.compile().map_err(|message| SourceError::Invalid {
                    path: self.file.clone(),
                    message,
                })?;
                html::parse_page(self, &sel, page_url, utf8)
            }
            (_, _) => Err(SourceError::Invalid {
                path: self.file.clone(),
                message: format!("`kind = \"{}\"` needs its table", self.kind.as_str()),
            }),
        }
    }

    /// Whether the listed items are job postings to follow.
    pub fn tracks_postings(&self) -> bool {
        self.postings.unwrap_or(matches!(
            self.kind,
            SourceKind::Greenhouse | SourceKind::Lever | SourceKind::Hh
        ))
    }

    /// Headers and pace every request of this source carries.
    pub fn request(&self) -> Request<'static> {
        Request::default()
    }

    /// Pages read per crawl (the first included).
    pub fn max_pages(&self) -> u32 {
        match (&self.html, &self.json) {
            (Some(h), _) => h.max_pages.max(1),
            (_, Some(j)) => j.max_pages.max(1),
            _ => 1,
        }
    }
}

/// Reads a source through its connector: the items it lists now (with the details of new ones
/// fetched), or "not modified".
pub async fn read(spec: &SourceSpec, r: &mut Reader<'_>) -> Result<Listing, ReadError> {
    match spec.kind {
        SourceKind::Hh => hh::read(spec, r).await,
        SourceKind::Edgar => edgar::read(spec, r).await,
        SourceKind::CompaniesHouse => companies_house::read(spec, r).await,
        SourceKind::Feed
        | SourceKind::Html
        | SourceKind::Json
        | SourceKind::Greenhouse
        | SourceKind::Lever => read_listing(spec, r).await,
    }
}

/// A listing read page by page: the first conditionally, the next ones by the connector's
/// `next` link or page number, up to `max_pages`; then, for `full_text` feeds, new items' pages.
async fn read_listing(spec: &SourceSpec, r: &mut Reader<'_>) -> Result<Listing, ReadError> {
    let first_url = spec.first_url();
    r.status("fetching");
    let Some(page) = r.first(&first_url, spec.request()).await? else {
        return Ok(Listing::not_modified());
    };
    let (mut items, mut next) = r.parse(|| spec.parse_page(&page.text, &page.url, 0))?;
    let mut pages = 1;
    while let Some(url) = next.take()
        && pages < spec.max_pages()
    {
        pages += 1;
        r.status(format!("page {pages}"));
        let page = r.page(&url, spec.request()).await?;
        let (more, after) = r.parse(|| spec.parse_page(&page.text, &page.url, pages - 1))?;
        items.extend(more);
        next = after;
    }
    if spec.full_text {
        feed::fetch_articles(spec, r, &mut items).await;
    }
    Ok(Listing::of(items))
}

/// Every source found under `dirs`, plus the files that could not be read (the rest still load).
pub fn load_dirs(dirs: &[PathBuf]) -> (Vec<SourceSpec>, Vec<SourceError>) {
    let mut files = Vec::new();
    for d in dirs {
        collect_toml(d, &mut files);
    }
    files.sort();
    let mut specs: Vec<SourceSpec> = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(source) => {
                errors.push(SourceError::Read { path: f, source });
                continue;
            }
        };
        // Files without a `kind` key are other data (e.g. a demo's settings), not sources.
        if !text.lines().any(|l| l.trim_start().starts_with("kind")) {
            continue;
        }
        match SourceSpec::from_toml(&text, &f) {
            Ok(s) => {
                if let Some(prev) = specs.iter().find(|p| p.name == s.name) {
                    errors.push(SourceError::Duplicate {
                        name: s.name.clone(),
                        first: prev.file.clone(),
                        second: f,
                    });
                } else {
                    specs.push(s);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    (specs, errors)
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_toml(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_url_resolves_beside_file() {
        let s = SourceSpec::from_toml(
            "name='a'\nkind='feed'\nurl='x.xml'\n",
            Path::new("/srv/sources/a.toml"),
        )
        .unwrap();
        assert_eq!(s.url, "/srv/sources/x.xml");
        assert_eq!(s.interval_minutes, 60);
    }

    #[test]
    fn bad_values_name_the_file_and_key() {
        let e = SourceSpec::from_toml(
            "name='a'\nkind='feed'\nurl='x'\nreliability=3\n",
            Path::new("s/a.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("s/a.toml") && e.contains("reliability"), "{e}");
        let e = SourceSpec::from_toml("name='a'\nkind='ftp'\nurl='x'\n", Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.toml") && e.contains("ftp"), "{e}");
    }
}
