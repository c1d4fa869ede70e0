//! Raw item → clean [`Document`]: plain text, language, content hash.

pub mod lang;
pub mod neardup;

use crate::model::{Document, RawItem};
use chrono::{DateTime, Utc};
use scraper::Html;
use sha2::{Digest, Sha256};

/// Plain text of an HTML fragment: markup dropped, entities decoded, whitespace collapsed.
/// Plain text passes through unchanged apart from whitespace.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return collapse_ws(html);
    }
    // `Html` is !Send: parse and copy out owned text in this sync function.
    let frag = Html::parse_fragment(html);
    let mut out = String::with_capacity(html.len());
    for node in frag.root_element().descendants() {
        if let Some(t) = node.value().as_text() {
            out.push_str(t);
        } else if let Some(el) = node.value().as_element()
            && matches!(
                el.name(),
                "p" | "br" | "div" | "li" | "h1" | "h2" | "h3" | "tr"
            )
        {
            // Block boundaries separate words that the markup kept apart.
            out.push(' ');
        }
    }
    collapse_ws(&out)
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Hex SHA-256 of title and text.
pub fn content_hash(title: &str, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    h.update([0u8]);
    h.update(text.as_bytes());
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

/// Query parameters that track a click, not name a page.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "yclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_openstat",
    "igshid",
    "ref_src",
];

/// The canonical form of a page URL, so one article shared with different tracking links is one
/// document: fragment dropped, `utm_*` and click ids removed, the remaining query sorted, scheme
/// and host lowercase, default port dropped. Anything that is not an http(s) URL (a file path, a
/// stable id) is returned as is.
pub fn canonical_url(raw: &str) -> String {
    let raw = raw.trim();
    let Ok(mut url) = reqwest::Url::parse(raw) else {
        return raw.to_string();
    };
    if !matches!(url.scheme(), "http" | "https") {
        return raw.to_string();
    }
    url.set_fragment(None);
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// Builds the document; `fetched_at` stands in for a missing publication date.
pub fn extract(item: &RawItem, fetched_at: DateTime<Utc>) -> Document {
    let title = html_to_text(&item.title);
    let text = html_to_text(&item.body);
    let lang = lang::detect(&format!("{title} {text}"), item.lang_hint);
    Document {
        source: item.source.clone(),
        url: canonical_url(&item.url),
        content_hash: content_hash(&title, &text),
        title,
        text,
        lang,
        published_at: item.published_at.unwrap_or(fetched_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_canonical() {
        assert_eq!(
            canonical_url(
                "HTTPS://News.Example.com:443/a/b?utm_source=tg&id=7&fbclid=x&b=2#comments"
            ),
            "https://news.example.com/a/b?b=2&id=7"
        );
        assert_eq!(
            canonical_url("https://news.example.com/a?utm_medium=rss"),
            "https://news.example.com/a"
        );
        assert_eq!(canonical_url("feed-item-17"), "feed-item-17");
        assert_eq!(canonical_url("/tmp/x.xml"), "/tmp/x.xml");
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("<p>Один&nbsp;<b>два</b></p><p>три &amp; four</p>"),
            "Один два три & four"
        );
        assert_eq!(html_to_text("plain  text\n here"), "plain text here");
    }

    #[test]
    fn hash_changes_with_content() {
        assert_ne!(content_hash("a", "b"), content_hash("a", "c"));
        assert_ne!(content_hash("ab", ""), content_hash("a", "b"));
    }
}
