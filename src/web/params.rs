//! Query strings of the search page, the event API and their exports. A filter may repeat
//! (`kind=a&kind=b`, as checkboxes send it) or list values with commas (`kind=a,b`).

use crate::model::TriggerKind;
use crate::search::{Filters, SearchQuery, Sort};
use chrono::NaiveDate;

/// A bad parameter, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParam(pub String);

impl std::fmt::Display for BadParam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The decoded (name, value) pairs of a raw query string.
pub fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Vec::new();
    };
    match reqwest::Url::parse(&format!("http://q/?{raw}")) {
        Ok(u) => u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Every value given for `name`, commas split, blanks dropped.
pub fn all(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The last value given for `name`.
pub fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// A number given as `name` (`None` when absent).
pub fn number<T: std::str::FromStr>(
    pairs: &[(String, String)],
    name: &str,
) -> Result<Option<T>, BadParam> {
    one(pairs, name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| BadParam(format!("`{name}` must be a number, not `{v}`")))
        })
        .transpose()
}

fn date(pairs: &[(String, String)], name: &str) -> Result<Option<NaiveDate>, BadParam> {
    one(pairs, name)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                BadParam(format!(
                    "`{name}` must be a date like 2026-11-30, not `{v}`"
                ))
            })
        })
        .transpose()
}

/// The search a query string asks for; `default_limit` when it names none (at most 1,000 a page).
pub fn search_query(
    pairs: &[(String, String)],
    default_limit: usize,
) -> Result<SearchQuery, BadParam> {
    let kinds = all(pairs, "kind")
        .iter()
        .map(|k| {
            k.parse::<TriggerKind>()
                .map_err(|e| BadParam(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sort = match one(pairs, "sort") {
        None | Some("relevance") => Sort::Relevance,
        Some("date") => Sort::Date,
        Some(other) => {
            return Err(BadParam(format!(
                "`sort` is relevance or date, not `{other}`"
            )));
        }
    };
    let accounts = all(pairs, "account")
        .iter()
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| BadParam(format!("`account` must be an account id, not `{a}`")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let limit = number::<usize>(pairs, "limit")?
        .unwrap_or(default_limit)
        .clamp(1, 1_000);
    let page = number::<usize>(pairs, "page")?.unwrap_or(1).max(1);
    let offset = match number::<usize>(pairs, "offset")? {
        Some(o) => o,
        None => (page - 1) * limit,
    };
    Ok(SearchQuery {
        text: one(pairs, "q").unwrap_or_default().to_string(),
        filters: Filters {
            kinds,
            statuses: all(pairs, "status"),
            source_kinds: all(pairs, "source_kind"),
            langs: all(pairs, "lang"),
            industries: all(pairs, "industry"),
            regions: all(pairs, "region"),
            segments: all(pairs, "segment"),
            accounts,
            from: date(pairs, "from")?,
            to: date(pairs, "to")?,
            events: Vec::new(),
        },
        limit,
        offset,
        sort,
        facets: one(pairs, "facets") != Some("false"),
    })
}

/// Pairs as a query string.
pub fn encode(pairs: &[(String, String)]) -> String {
    let mut out = reqwest::Url::parse("http://q/").expect("a constant URL parses");
    if !pairs.is_empty() {
        out.query_pairs_mut().extend_pairs(pairs);
    }
    out.query().unwrap_or_default().to_string()
}

/// The query string that asks for `q` (for links: pages, facets, exports, feeds).
pub fn query_string(q: &SearchQuery) -> String {
    let mut out = reqwest::Url::parse("http://q/").expect("a constant URL parses");
    {
        let mut p = out.query_pairs_mut();
        if !q.text.trim().is_empty() {
            p.append_pair("q", q.text.trim());
        }
        let f = &q.filters;
        for k in &f.kinds {
            p.append_pair("kind", k.as_str());
        }
        for (name, values) in [
            ("status", &f.statuses),
            ("source_kind", &f.source_kinds),
            ("lang", &f.langs),
            ("industry", &f.industries),
            ("region", &f.regions),
            ("segment", &f.segments),
        ] {
            for v in values {
                p.append_pair(name, v);
            }
        }
        for a in &f.accounts {
            p.append_pair("account", &a.to_string());
        }
        if let Some(d) = f.from {
            p.append_pair("from", &d.to_string());
        }
        if let Some(d) = f.to {
            p.append_pair("to", &d.to_string());
        }
        if q.sort == Sort::Date {
            p.append_pair("sort", "date");
        }
    }
    out.query().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_repeat_or_list_and_bad_values_are_named() {
        let p = pairs(Some(
            "q=%D0%B7%D0%B0%D0%B2%D0%BE%D0%B4&kind=acquisition&kind=funding,ipo&region=Tula&from=2026-11-01&sort=date&page=3&limit=20",
        ));
        let q = search_query(&p, 50).unwrap();
        assert_eq!(q.text, "завод");
        assert_eq!(
            q.filters.kinds,
            vec![
                TriggerKind::Acquisition,
                TriggerKind::Funding,
                TriggerKind::Ipo
            ]
        );
        assert_eq!(q.filters.regions, vec!["Tula"]);
        assert_eq!(q.filters.from, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!((q.limit, q.offset, q.sort), (20, 40, Sort::Date));
        // The link back asks for the same search (page aside).
        let again = search_query(&pairs(Some(&query_string(&q))), 20).unwrap();
        assert_eq!(again.filters, q.filters);
        assert_eq!(again.text, q.text);
        let bad = search_query(&pairs(Some("from=yesterday")), 50).unwrap_err();
        assert!(
            bad.0.contains("from") && bad.0.contains("2026-11-30"),
            "{bad}"
        );
        let bad = search_query(&pairs(Some("kind=merger_talks")), 50).unwrap_err();
        assert!(bad.0.contains("merger_talks"), "{bad}");
    }
}
