//! Source definitions (`sources/**/*.toml`, one file per source) and the connectors that turn a
//! fetched body into [`RawItem`]s. One file per connector kind.

pub mod dates;
pub mod feed;
pub mod html;
pub mod json;

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

/// Connector kinds; later ones (`json`, `hh`, `edgar`, …) join here.
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
        } else if spec.url.trim().is_empty() {
            return Err(invalid("`url` is missing".into()));
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

    /// Turns a decoded body into items, by connector kind.
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
            SourceKind::Greenhouse | SourceKind::Lever
        ))
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
