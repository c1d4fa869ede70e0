//! Raw item → clean [`Document`]: plain text, language, content hash.

pub mod lang;

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

/// Builds the document; `fetched_at` stands in for a missing publication date.
pub fn extract(item: &RawItem, fetched_at: DateTime<Utc>) -> Document {
    let title = html_to_text(&item.title);
    let text = html_to_text(&item.body);
    let lang = lang::detect(&format!("{title} {text}"), item.lang_hint);
    Document {
        source: item.source.clone(),
        url: item.url.clone(),
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
