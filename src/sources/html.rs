//! The `html` connector: a listing page (news pages, career pages, registry pages without feeds)
//! read with CSS selectors for the item, its title, link, date and summary; optionally followed
//! to further pages by a "next" link.

use super::{SourceError, SourceSpec, dates};
use crate::model::RawItem;
use scraper::{ElementRef, Html, Selector};
use serde::Deserialize;

/// The `[html]` table of a source file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlSpec {
    /// Selects each item on the page.
    pub item: String,
    /// Inside an item: the title (default: the link's text).
    #[serde(default)]
    pub title: Option<String>,
    /// Inside an item: the link (`href`; default `a`); relative links resolve against the page.
    #[serde(default)]
    pub link: Option<String>,
    /// Inside an item: the date (`datetime` attribute or text, RU/EN formats).
    #[serde(default)]
    pub date: Option<String>,
    /// Inside an item: the summary (default: the item's whole text).
    #[serde(default)]
    pub summary: Option<String>,
    /// On the page: the link to the next page.
    #[serde(default)]
    pub next: Option<String>,
    /// Pages read per crawl, the first included.
    #[serde(default = "one")]
    pub max_pages: u32,
}

fn one() -> u32 {
    1
}

/// Compiled selectors.
pub struct Selectors {
    item: Selector,
    title: Option<Selector>,
    link: Selector,
    date: Option<Selector>,
    summary: Option<Selector>,
    next: Option<Selector>,
}

impl HtmlSpec {
    /// Compiles the selectors; a bad one is named in the error.
    pub fn compile(&self) -> Result<Selectors, String> {
        let sel = |key: &str, s: &str| {
            Selector::parse(s)
                .map_err(|e| format!("`html.{key}` = `{s}` is not a CSS selector: {e}"))
        };
        let opt = |key: &str, s: &Option<String>| s.as_deref().map(|s| sel(key, s)).transpose();
        Ok(Selectors {
            item: sel("item", &self.item)?,
            title: opt("title", &self.title)?,
            link: sel("link", self.link.as_deref().unwrap_or("a"))?,
            date: opt("date", &self.date)?,
            summary: opt("summary", &self.summary)?,
            next: opt("next", &self.next)?,
        })
    }
}

fn text_of(e: ElementRef) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One page: its items and the URL of the next page, if any.
pub fn parse_page(
    spec: &SourceSpec,
    sel: &Selectors,
    page_url: &str,
    html: &str,
) -> Result<(Vec<RawItem>, Option<String>), SourceError> {
    let base = reqwest::Url::parse(page_url).ok();
    let resolve = |href: &str| match &base {
        Some(b) => b
            .join(href)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| href.to_string()),
        None => href.to_string(),
    };
    let doc = Html::parse_document(html);
    let hint = spec.lang_hint();
    let mut items = Vec::new();
    for it in doc.select(&sel.item) {
        let link_el = it.select(&sel.link).next();
        let Some(href) = link_el.and_then(|a| a.value().attr("href")) else {
            continue;
        };
        let title = match &sel.title {
            Some(s) => it.select(s).next().map(text_of),
            None => link_el.map(text_of),
        }
        .unwrap_or_default();
        let date = sel
            .date
            .as_ref()
            .and_then(|s| it.select(s).next())
            .and_then(|d| {
                d.value()
                    .attr("datetime")
                    .and_then(dates::parse_date)
                    .or_else(|| dates::parse_date(&text_of(d)))
            });
        let body = match &sel.summary {
            Some(s) => it.select(s).next().map(text_of).unwrap_or_default(),
            None => text_of(it),
        };
        items.push(RawItem {
            source: spec.name.clone(),
            url: resolve(href),
            title,
            body,
            published_at: date,
            lang_hint: hint,
            ..RawItem::default()
        });
    }
    if items.is_empty() && doc.select(&sel.item).next().is_none() {
        return Err(SourceError::Feed {
            source_name: spec.name.clone(),
            message: "no element matches `html.item`: the page layout may have changed".into(),
        });
    }
    let next = sel
        .next
        .as_ref()
        .and_then(|s| doc.select(s).next())
        .and_then(|a| a.value().attr("href"))
        .map(resolve)
        .filter(|u| u != page_url);
    Ok((items, next))
}
