//! The `hh` connector: hh.ru's vacancies API (`GET /vacancies`) by employer or by text query and
//! area, page by page within the API's 2,000-result cap, with the `HH-User-Agent` header hh.ru
//! asks for; each new vacancy's description and key skills come from `GET /vacancies/{id}`.

use super::{Listing, ReadError, Reader, SourceSpec, dates};
use crate::fetch::Request;
use crate::model::{Lang, RawItem};
use serde::Deserialize;
use serde_json::Value;

/// hh.ru's API.
pub const DEFAULT_URL: &str = "https://api.hh.ru/vacancies";

/// hh.ru returns at most this many results for any search (`page × per_page`).
pub const RESULT_CAP: u32 = 2_000;

/// The `[hh]` table of a source file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HhSpec {
    /// The employer's id on hh.ru (`https://hh.ru/employer/1740` → `"1740"`).
    #[serde(default)]
    pub employer_id: Option<String>,
    /// A search query (hh.ru's query language).
    #[serde(default)]
    pub text: Option<String>,
    /// A region id (`1` Moscow, `2` Saint Petersburg, `113` Russia).
    #[serde(default)]
    pub area: Option<String>,
    /// Vacancies per page (hh.ru allows up to 100).
    #[serde(default = "per_page")]
    pub per_page: u32,
    /// Pages per crawl; the 2,000-result cap stops earlier.
    #[serde(default = "max_pages")]
    pub max_pages: u32,
    /// Fetch each new vacancy's description and key skills.
    #[serde(default = "yes")]
    pub details: bool,
    /// An environment variable holding an hh.ru OAuth token (optional; raises the limits).
    #[serde(default)]
    pub token_env: Option<String>,
}

fn per_page() -> u32 {
    100
}
fn max_pages() -> u32 {
    RESULT_CAP / 100
}
fn yes() -> bool {
    true
}

impl Default for HhSpec {
    fn default() -> Self {
        HhSpec {
            employer_id: None,
            text: None,
            area: None,
            per_page: per_page(),
            max_pages: max_pages(),
            details: true,
            token_env: None,
        }
    }
}

impl HhSpec {
    /// Checks the table.
    pub fn validate(&self) -> Result<(), String> {
        if self.employer_id.is_none() && self.text.is_none() {
            return Err("[hh] needs `employer_id = \"…\"` or `text = \"…\"`".into());
        }
        if !(1..=100).contains(&self.per_page) {
            return Err(format!(
                "`hh.per_page` is {}, hh.ru allows 1 to 100",
                self.per_page
            ));
        }
        Ok(())
    }

    /// Pages that can be read: `max_pages`, within the 2,000-result cap.
    pub fn page_limit(&self) -> u32 {
        self.max_pages.clamp(1, RESULT_CAP / self.per_page.max(1))
    }
}

/// The URL of one results page.
pub fn page_url(base: &str, spec: &HhSpec, page: u32) -> Result<String, String> {
    let mut url = reqwest::Url::parse(base).map_err(|e| format!("`url` = `{base}`: {e}"))?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(e) = &spec.employer_id {
            q.append_pair("employer_id", e);
        }
        if let Some(t) = &spec.text {
            q.append_pair("text", t);
        }
        if let Some(a) = &spec.area {
            q.append_pair("area", a);
        }
        q.append_pair("per_page", &spec.per_page.to_string());
        q.append_pair("page", &page.to_string());
    }
    Ok(url.to_string())
}

fn s(v: &Value, p: &str) -> Option<String> {
    v.pointer(p)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|x| !x.is_empty())
}

/// A listed vacancy and the API URL of its details.
pub type Listed = (RawItem, Option<String>);

/// One results page: its vacancies and the number of pages hh.ru has for the query.
pub fn parse_page(source: &SourceSpec, utf8: &str) -> Result<(Vec<Listed>, u32), String> {
    let doc: Value = serde_json::from_str(utf8)
        .map_err(|e| format!("hh.ru answered something that is not JSON: {e}"))?;
    if let Some(errors) = doc.get("errors") {
        return Err(format!("hh.ru refused the query: {errors}"));
    }
    let list = doc
        .get("items")
        .and_then(Value::as_array)
        .ok_or("hh.ru's answer has no `items` list (has the API changed?)")?;
    let pages = doc.get("pages").and_then(Value::as_u64).unwrap_or(1) as u32;
    let hint = source.lang_hint().or(Some(Lang::Ru));
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let Some(id) = s(v, "/id") else {
            tracing::warn!(source = %source.name, item = i, "vacancy without an id skipped");
            continue;
        };
        let url = s(v, "/alternate_url").unwrap_or_else(|| format!("https://hh.ru/vacancy/{id}"));
        let mut body = Vec::new();
        for p in [
            "/employer/name",
            "/area/name",
            "/snippet/requirement",
            "/snippet/responsibility",
        ] {
            if let Some(x) = s(v, p) {
                body.push(x);
            }
        }
        out.push((
            RawItem {
                source: source.name.clone(),
                url,
                title: s(v, "/name").unwrap_or_default(),
                body: body.join("\n\n"),
                published_at: s(v, "/published_at").and_then(|d| dates::parse_date(&d)),
                lang_hint: hint,
                ..RawItem::default()
            },
            s(v, "/url"),
        ));
    }
    Ok((out, pages))
}

/// A vacancy's details as body text: employer, area, the description, the key skills.
pub fn parse_details(utf8: &str) -> Result<String, String> {
    let v: Value =
        serde_json::from_str(utf8).map_err(|e| format!("the vacancy is not JSON: {e}"))?;
    let mut parts = Vec::new();
    for p in ["/employer/name", "/area/name", "/description"] {
        if let Some(x) = s(&v, p) {
            parts.push(x);
        }
    }
    let skills: Vec<&str> = v
        .get("key_skills")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|k| k.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if !skills.is_empty() {
        parts.push(format!("Ключевые навыки: {}.", skills.join(", ")));
    }
    Ok(parts.join("\n\n"))
}

fn request(spec: &SourceSpec, r: &Reader<'_>) -> Request<'static> {
    let token = spec
        .hh
        .as_ref()
        .and_then(|h| h.token_env.as_deref())
        .and_then(|var| std::env::var(var).ok())
        .filter(|t| !t.trim().is_empty());
    Request {
        // hh.ru identifies applications by this header (browsers' User-Agent is not enough).
        headers: vec![("HH-User-Agent", r.user_agent().to_string())],
        bearer: token,
        ..Request::default()
    }
}

/// Reads the vacancies of the query, then the details of the new ones.
pub async fn read(spec: &SourceSpec, r: &mut Reader<'_>) -> Result<Listing, ReadError> {
    let hh = spec.hh.clone().unwrap_or_default();
    let req = request(spec, r);
    let bad = |m: String| ReadError::permanent(format!("source `{}`: {m}", spec.name));
    r.status("fetching vacancies");
    let first = page_url(&spec.url, &hh, 0).map_err(bad)?;
    let Some(page) = r.first(&first, req.clone()).await? else {
        return Ok(Listing::not_modified());
    };
    let (mut found, mut pages) = r.parse(|| parse_page(spec, &page.text)).map_err(bad)?;
    let limit = hh.page_limit();
    let mut page_no = 1;
    while page_no < pages.min(limit) {
        r.status(format!("vacancies page {}", page_no + 1));
        let url = page_url(&spec.url, &hh, page_no).map_err(bad)?;
        let page = r.page(&url, req.clone()).await?;
        let (more, p) = r.parse(|| parse_page(spec, &page.text)).map_err(bad)?;
        if more.is_empty() {
            break;
        }
        found.extend(more);
        pages = p;
        page_no += 1;
    }
    let mut items = Vec::with_capacity(found.len());
    let mut fetched = 0u32;
    // After a transient failure (429, 5xx) the API is left alone until the next crawl.
    let mut stop = false;
    for (mut item, detail_url) in found {
        if r.is_known(&item.url) {
            item.keep_stored = true;
        } else if let Some(u) =
            detail_url.filter(|_| hh.details && !stop && fetched < spec.max_details)
        {
            fetched += 1;
            r.status(format!("vacancy {fetched}"));
            match r.page(&u, req.clone()).await {
                Ok(p) => match r.parse(|| parse_details(&p.text)) {
                    Ok(body) if !body.is_empty() => item.body = body,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(source = %spec.name, url = %u, error = %e, "vacancy details unreadable; the snippet is kept")
                    }
                },
                Err(e) => {
                    stop = e.transient;
                    tracing::warn!(source = %spec.name, url = %u, error = %e, "vacancy details not fetched; the snippet is kept")
                }
            }
        }
        items.push(item);
    }
    Ok(Listing::of(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_carry_the_query_and_the_cap_limits_pages() {
        let spec = HhSpec {
            text: Some("1С программист".into()),
            area: Some("1".into()),
            per_page: 50,
            ..HhSpec::default()
        };
        let u = page_url(DEFAULT_URL, &spec, 3).unwrap();
        assert!(u.contains("text=1%D0%A1+"), "{u}");
        assert!(u.contains("area=1") && u.contains("per_page=50") && u.contains("page=3"));
        assert_eq!(spec.page_limit(), 20);
        let spec = HhSpec {
            employer_id: Some("1740".into()),
            max_pages: 500,
            ..HhSpec::default()
        };
        assert_eq!(spec.page_limit(), 20);
        assert!(HhSpec::default().validate().is_err());
    }
}
