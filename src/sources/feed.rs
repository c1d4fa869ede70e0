//! The `feed` connector: RSS 0.9x/1.0/2.0, Atom and JSON Feed through feed-rs, fed UTF-8 only.

use super::{SourceError, SourceSpec};
use crate::fetch::decode::fix_xml_prolog;
use crate::model::RawItem;

/// Parses a decoded feed body into items.
pub fn parse(spec: &SourceSpec, utf8: &str) -> Result<Vec<RawItem>, SourceError> {
    let fixed = fix_xml_prolog(utf8);
    let feed = feed_rs::parser::parse(fixed.as_bytes()).map_err(|e| SourceError::Feed {
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
            }
        })
        .collect();
    Ok(items)
}
