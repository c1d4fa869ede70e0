//! The `json` connector: any JSON API (registries, job boards without a dedicated connector)
//! configured, not coded — a JSON pointer to the item list, a pointer per field, and pagination by
//! page number, cursor or next-page URL.

use super::{SourceError, SourceSpec, dates};
use crate::model::RawItem;
use serde::Deserialize;
use serde_json::Value;

/// The `[json]` table of a source file. Pointers are RFC 6901 (`/data/items`, `/0/name`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSpec {
    /// The array of items in a response (`""` when the response is the array).
    pub items: String,
    /// Inside an item.
    pub title: String,
    /// Inside an item: the item's page; without it `id` makes a stable reference.
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// Inside an item: one pointer or several, joined as paragraphs.
    #[serde(default)]
    pub body: Vec<String>,
    /// Inside an item: the publication date (ISO, RFC, RU/EN formats, or Unix seconds).
    #[serde(default)]
    pub date: Option<String>,
    /// Pagination by number: the `url` contains `{page}`, starting here.
    #[serde(default)]
    pub page_start: u64,
    /// Pagination by URL: a pointer in the response to the next page's URL.
    #[serde(default)]
    pub next: Option<String>,
    /// Pagination by cursor: a pointer in the response to the value put into `{cursor}` in `url`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Pages read per crawl, the first included.
    #[serde(default = "one")]
    pub max_pages: u32,
    /// The body fields hold escaped HTML (Greenhouse's `content`): unescape before use.
    #[serde(default)]
    pub body_escaped_html: bool,
}

/// The API URL and field mapping of a public job board.
pub fn job_board(kind: super::SourceKind, board: &str) -> (String, JsonSpec) {
    let p = |s: &str| s.to_string();
    match kind {
        super::SourceKind::Lever => (
            format!("https://api.lever.co/v0/postings/{board}?mode=json"),
            JsonSpec {
                items: p(""),
                title: p("/text"),
                link: Some(p("/hostedUrl")),
                id: Some(p("/id")),
                body: vec![
                    p("/categories/location"),
                    p("/categories/team"),
                    p("/descriptionPlain"),
                    p("/additionalPlain"),
                ],
                date: Some(p("/createdAt")),
                page_start: 0,
                next: None,
                cursor: None,
                max_pages: 1,
                body_escaped_html: false,
            },
        ),
        _ => (
            format!("https://boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true"),
            JsonSpec {
                items: p("/jobs"),
                title: p("/title"),
                link: Some(p("/absolute_url")),
                id: Some(p("/id")),
                body: vec![p("/location/name"), p("/content")],
                date: Some(p("/updated_at")),
                page_start: 0,
                next: None,
                cursor: None,
                max_pages: 1,
                body_escaped_html: true,
            },
        ),
    }
}

fn one() -> u32 {
    1
}

impl JsonSpec {
    /// Checks the pointers.
    pub fn validate(&self) -> Result<(), String> {
        let pointers = std::iter::once(("items", &self.items))
            .chain(std::iter::once(("title", &self.title)))
            .chain(self.link.iter().map(|p| ("link", p)))
            .chain(self.id.iter().map(|p| ("id", p)))
            .chain(self.body.iter().map(|p| ("body", p)))
            .chain(self.date.iter().map(|p| ("date", p)))
            .chain(self.next.iter().map(|p| ("next", p)))
            .chain(self.cursor.iter().map(|p| ("cursor", p)));
        for (key, p) in pointers {
            if !p.is_empty() && !p.starts_with('/') {
                return Err(format!(
                    "`json.{key}` = `{p}` is not a JSON pointer (it starts with `/`, e.g. `/data/items`)"
                ));
            }
        }
        if self.link.is_none() && self.id.is_none() {
            return Err("[json] needs `link` or `id` to tell items apart".into());
        }
        Ok(())
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| text(Some(x)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => Some(other.to_string()),
    }
}

/// The URL of the first page.
pub fn first_url(url: &str, spec: &JsonSpec) -> String {
    url.replace("{page}", &spec.page_start.to_string())
        .replace("{cursor}", "")
}

/// One response: its items and the next page's URL.
pub fn parse_page(
    source: &SourceSpec,
    spec: &JsonSpec,
    page: u32,
    utf8: &str,
) -> Result<(Vec<RawItem>, Option<String>), SourceError> {
    let err = |message: String| SourceError::Feed {
        source_name: source.name.clone(),
        message,
    };
    let doc: Value =
        serde_json::from_str(utf8).map_err(|e| err(format!("the response is not JSON: {e}")))?;
    let list = doc
        .pointer(&spec.items)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            err(format!(
                "`json.items` = `{}` does not point to an array in the response",
                spec.items
            ))
        })?;
    let hint = source.lang_hint();
    let mut items = Vec::new();
    for it in list {
        let url = spec
            .link
            .as_deref()
            .and_then(|p| text(it.pointer(p)))
            .or_else(|| {
                spec.id
                    .as_deref()
                    .and_then(|p| text(it.pointer(p)))
                    .map(|id| format!("{}#{id}", source.name))
            });
        let Some(url) = url else { continue };
        let body = spec
            .body
            .iter()
            .filter_map(|p| text(it.pointer(p)))
            .map(|b| {
                if spec.body_escaped_html {
                    // "&lt;p&gt;…" → "<p>…": extraction then strips the markup.
                    crate::extract::html_to_text(&b)
                } else {
                    b
                }
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let published_at = spec.date.as_deref().and_then(|p| match it.pointer(p) {
            // Unix seconds, or milliseconds (Lever's createdAt).
            Some(Value::Number(n)) => n.as_i64().and_then(|s| {
                if s > 100_000_000_000 {
                    chrono::DateTime::from_timestamp_millis(s)
                } else {
                    chrono::DateTime::from_timestamp(s, 0)
                }
            }),
            v => text(v).and_then(|t| dates::parse_date(&t)),
        });
        items.push(RawItem {
            source: source.name.clone(),
            url,
            title: text(it.pointer(&spec.title)).unwrap_or_default(),
            body,
            published_at,
            lang_hint: hint,
            ..RawItem::default()
        });
    }
    let next = if items.is_empty() {
        None
    } else if let Some(p) = &spec.next {
        text(doc.pointer(p)).filter(|u| !u.is_empty())
    } else if let Some(p) = &spec.cursor {
        text(doc.pointer(p))
            .filter(|c| !c.is_empty())
            .map(|c| source.url.replace("{cursor}", &c))
    } else if source.url.contains("{page}") {
        Some(
            source
                .url
                .replace("{page}", &(spec.page_start + page as u64 + 1).to_string()),
        )
    } else {
        None
    };
    Ok((items, next))
}

#[cfg(test)]
mod tests {
    use crate::sources::SourceSpec;

    #[test]
    fn greenhouse_bodies_are_unescaped_and_lever_dates_are_milliseconds() {
        let gh = SourceSpec::from_toml(
            "name = \"gh\"\nkind = \"greenhouse\"\nboard = \"k\"\n",
            std::path::Path::new("gh.toml"),
        )
        .unwrap();
        let (items, next) = gh
            .parse_page(
                r#"{"jobs": [{"id": 1, "title": "Engineer", "absolute_url": "https://x.test/1",
                   "updated_at": "2026-11-18T10:00:00Z", "location": {"name": "Denver"},
                   "content": "&lt;p&gt;From Oracle to &lt;b&gt;PostgreSQL&lt;/b&gt;.&lt;/p&gt;"}]}"#,
                &gh.url,
                0,
            )
            .unwrap();
        assert_eq!(next, None);
        assert_eq!(
            items[0].body,
            "Denver\n\n<p>From Oracle to <b>PostgreSQL</b>.</p>"
        );
        assert_eq!(
            crate::extract::html_to_text(&items[0].body),
            "Denver From Oracle to PostgreSQL."
        );
        let lv = SourceSpec::from_toml(
            "name = \"lv\"\nkind = \"lever\"\nboard = \"n\"\n",
            std::path::Path::new("lv.toml"),
        )
        .unwrap();
        let (items, _) = lv
            .parse_page(
                r#"[{"id": "a", "text": "AE", "hostedUrl": "https://x.test/a", "createdAt": 1763452800000}]"#,
                &lv.url,
                0,
            )
            .unwrap();
        assert_eq!(
            items[0].published_at.map(|d| d.to_rfc3339()).as_deref(),
            Some("2025-11-18T08:00:00+00:00")
        );
    }
}
