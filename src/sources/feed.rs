//! The `feed` connector: RSS 0.9x/1.0/2.0, Atom and JSON Feed through feed-rs, fed UTF-8 only.
//! Dates feed-rs cannot read (Russian month names, `+0300` offsets, named zones) go through
//! [`super::dates`]. With `full_text = true`, each new item's page is fetched and its main text
//! (dom_smoothie, a readability.js port) replaces the feed's summary.

use super::{Reader, SourceError, SourceSpec, dates};
use crate::fetch::decode::fix_xml_prolog;
use crate::model::RawItem;

/// Parses a decoded feed body into items.
pub fn parse(spec: &SourceSpec, utf8: &str) -> Result<Vec<RawItem>, SourceError> {
    let fixed = fix_xml_prolog(utf8);
    let feed = feed_rs::parser::Builder::new()
        .timestamp_parser(dates::parse_date)
        .build()
        .parse(fixed.as_bytes())
        .map_err(|e| SourceError::Feed {
            source_name: spec.name.clone(),
            message: e.to_string(),
        })?;
    let hint = spec.lang_hint();
    let items = feed
        .entries
        .into_iter()
        .map(|e| {
            let url = e
                .links
                .first()
                .map(|l| l.href.clone())
                .unwrap_or_else(|| e.id.clone());
            let title = e.title.map(|t| t.content).unwrap_or_default();
            let body = e
                .content
                .and_then(|c| c.body)
                .or(e.summary.map(|s| s.content))
                .unwrap_or_default();
            RawItem {
                source: spec.name.clone(),
                url,
                title,
                body,
                published_at: e.published.or(e.updated),
                lang_hint: hint,
                ..RawItem::default()
            }
        })
        .collect();
    Ok(items)
}

/// Shorter feed bodies than this (characters of text) are summaries: their pages are fetched.
const SUMMARY_CHARS: usize = 600;

/// Fetches the page of every new item whose feed body is a summary (up to `max_details` per
/// crawl) and keeps its main text. Items already stored keep their stored text (`keep_stored`);
/// a page that cannot be fetched or read leaves its item with the summary, logged.
pub async fn fetch_articles(spec: &SourceSpec, r: &mut Reader<'_>, items: &mut [RawItem]) {
    let mut fetched = 0u32;
    let todo = items
        .iter()
        .filter(|i| !r.is_known(&i.url) && is_summary(&i.body))
        .count();
    for item in items.iter_mut() {
        if r.is_known(&item.url) {
            item.keep_stored = true;
            continue;
        }
        if !is_summary(&item.body) || !item.url.starts_with("http") {
            continue;
        }
        if fetched >= spec.max_details {
            break;
        }
        fetched += 1;
        r.status(format!(
            "article {fetched}/{}",
            todo.min(spec.max_details as usize)
        ));
        let page = match r.page(&item.url, spec.request()).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(source = %spec.name, url = %item.url, error = %e, "article page not fetched; the feed summary is kept");
                continue;
            }
        };
        let url = page.url.clone();
        let text = r.parse(|| main_text(&page.text, &url));
        match text {
            Some(t)
                if t.chars().count() > crate::extract::html_to_text(&item.body).chars().count() =>
            {
                item.body = t;
            }
            _ => {
                tracing::warn!(source = %spec.name, url = %item.url, "no main text found on the article page; the feed summary is kept");
            }
        }
    }
}

fn is_summary(body: &str) -> bool {
    crate::extract::html_to_text(body).chars().count() < SUMMARY_CHARS
}

/// The main text of an article page (navigation, ads and footers left out), paragraphs kept
/// apart by blank lines; `None` when the page has no readable article.
pub fn main_text(html: &str, url: &str) -> Option<String> {
    let doc_url = url.starts_with("http").then_some(url);
    let mut r = dom_smoothie::Readability::new(html, doc_url, None).ok()?;
    let article = r.parse().ok()?;
    let text: Vec<&str> = article
        .text_content
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = text.join("\n\n");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_text_drops_navigation_and_keeps_the_article() {
        let html = r#"<html><head><title>Новости</title></head><body>
            <nav><a href="/">Главная</a> <a href="/about">О компании</a> <a href="/ads">Реклама</a></nav>
            <article><h1>Завод в Калуге</h1>
            <p>Компания «Северный Кедр» открыла новый завод в Калужской области. Предприятие будет выпускать
            упаковку для пищевой промышленности, на нём будут работать 400 человек.</p>
            <p>Инвестиции в проект составили 3,2 млрд рублей, сообщил генеральный директор компании.
            Второй этап строительства начнётся весной следующего года.</p></article>
            <footer>© 2026 Все права защищены. Подписывайтесь на рассылку.</footer></body></html>"#;
        let t = main_text(html, "https://news.test/a/1").unwrap();
        assert!(t.contains("открыла новый завод"), "{t}");
        assert!(t.contains("Второй этап"), "{t}");
        assert!(!t.contains("Подписывайтесь"), "{t}");
        assert!(!t.contains("Реклама"), "{t}");
    }

    #[test]
    fn every_feed_format_gives_items() {
        let spec = SourceSpec::from_toml(
            "name='f'\nkind='feed'\nurl='x'\n",
            std::path::Path::new("f.toml"),
        )
        .unwrap();
        let formats = [
            (
                "rss 0.91",
                r#"<?xml version="1.0"?><rss version="0.91"><channel><title>t</title><link>https://x.test</link><description>d</description>
                <item><title>Halden opens a plant</title><link>https://x.test/091</link><description>Halden Precision opened a plant.</description></item></channel></rss>"#,
            ),
            (
                "rss 1.0",
                r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
                <channel rdf:about="https://x.test/"><title>t</title><link>https://x.test/</link><description>d</description></channel>
                <item rdf:about="https://x.test/10"><title>Halden opens a plant</title><link>https://x.test/10</link><description>Halden Precision opened a plant.</description><dc:date>2026-11-30T09:00:00Z</dc:date></item></rdf:RDF>"#,
            ),
            (
                "atom",
                r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id><updated>2026-11-30T09:00:00Z</updated>
                <entry><title>Halden opens a plant</title><link href="https://x.test/atom"/><id>urn:1</id><updated>2026-11-30T09:00:00Z</updated><summary>Halden Precision opened a plant.</summary></entry></feed>"#,
            ),
            (
                "json feed",
                r#"{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1", "url": "https://x.test/json",
                "title": "Halden opens a plant", "content_text": "Halden Precision opened a plant.", "date_published": "2026-11-30T09:00:00Z"}]}"#,
            ),
        ];
        for (name, body) in formats {
            let items = parse(&spec, body).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(items.len(), 1, "{name}");
            assert_eq!(items[0].title, "Halden opens a plant", "{name}");
            assert!(items[0].url.starts_with("https://x.test/"), "{name}");
            assert!(items[0].body.contains("opened a plant"), "{name}");
            if name != "rss 0.91" {
                assert!(items[0].published_at.is_some(), "{name}");
            }
        }
    }

    #[test]
    fn russian_pub_dates_are_read() {
        let spec = SourceSpec::from_toml(
            "name='r'\nkind='feed'\nurl='x.xml'\n",
            std::path::Path::new("r.toml"),
        )
        .unwrap();
        let items = parse(
            &spec,
            r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
            <item><title>a</title><link>https://x.test/a</link><pubDate>Пн, 23 ноя 2026 10:15:00 +0300</pubDate></item>
            <item><title>b</title><link>https://x.test/b</link><pubDate>24 ноября 2026, 09:30</pubDate></item>
            <item><title>c</title><link>https://x.test/c</link><pubDate>Tue, 24 Nov 2026 08:00:00 MSK</pubDate></item>
            </channel></rss>"#,
        )
        .unwrap();
        let d: Vec<String> = items
            .iter()
            .map(|i| {
                i.published_at
                    .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            d,
            ["2026-11-23 07:15", "2026-11-24 09:30", "2026-11-24 05:00"]
        );
    }
}
