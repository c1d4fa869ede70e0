//! The `edgar` connector: SEC EDGAR's current-filings Atom feed (8-K by default). A filing's item
//! numbers are events the company states itself (2.01 acquisition, 1.01/1.02 contracts, 1.03
//! insolvency, 2.05 layoffs, 5.02 executive changes); the filer's CIK is the account. For each
//! new filing the filing index and its main document are read for the text. SEC asks for a
//! User-Agent with a contact e-mail and at most 10 requests per second: the connector refuses to
//! run without an e-mail in `fetch.contact` and paces itself.

use super::{Listing, ReadError, Reader, SourceSpec};
use crate::fetch::Request;
use crate::model::{EventStatus, ItemCompany, Lang, RawItem, StatedEvent, TriggerKind};
use serde::Deserialize;
use std::sync::LazyLock;

/// The current 8-K filings, newest first.
pub const DEFAULT_URL: &str = "https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent&type=8-K&company=&dateb=&owner=include&start=0&count=100&output=atom";

/// SEC's fair-access rule is 10 requests per second; this keeps well under it.
pub const MIN_DELAY_MS: u64 = 110;

/// Longest main-document text kept in the body (8-Ks with exhibits run long).
const DOC_CHARS: usize = 20_000;

/// The `[edgar]` table of a source file (optional).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgarSpec {
    /// Form types kept from the feed.
    #[serde(default = "forms")]
    pub forms: Vec<String>,
    /// Read each new filing's index and main document for its text.
    #[serde(default = "yes")]
    pub documents: bool,
}

fn forms() -> Vec<String> {
    vec!["8-K".into(), "8-K/A".into()]
}
fn yes() -> bool {
    true
}

impl Default for EdgarSpec {
    fn default() -> Self {
        EdgarSpec {
            forms: forms(),
            documents: true,
        }
    }
}

/// One filing as the current-filings feed lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Filing {
    pub form: String,
    pub company: String,
    /// Ten digits with leading zeros.
    pub cik: String,
    /// The filing index page.
    pub index_url: String,
    /// Item numbers ("2.01") with their titles as the feed gives them.
    pub items: Vec<(String, String)>,
    pub filed: Option<chrono::DateTime<chrono::Utc>>,
}

static TITLE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^\s*(\S+)\s+-\s+(.+?)\s+\((\d{1,10})\)\s*(?:\(([^)]*)\))?\s*$")
        .unwrap_or_else(|e| panic!("the filing title pattern is valid: {e}"))
});
static ITEM: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)\bItem\s+(\d{1,2}\.\d{2})\s*:?\s*([^<\n]*)")
        .unwrap_or_else(|e| panic!("the item pattern is valid: {e}"))
});

/// Item numbers and titles found in a text (the feed's summary or the filing index).
pub fn items_in(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for c in ITEM.captures_iter(text) {
        let no = c[1].to_string();
        if out.iter().any(|(n, _)| *n == no) {
            continue;
        }
        let title = crate::extract::html_to_text(c.get(2).map_or("", |m| m.as_str()));
        out.push((no, title.trim().trim_end_matches('.').to_string()));
    }
    out
}

/// The filings of a current-filings feed (any entry that is not a filing is skipped, logged).
pub fn parse_feed(source: &str, utf8: &str, forms: &[String]) -> Result<Vec<Filing>, String> {
    let feed = feed_rs::parser::parse(crate::fetch::decode::fix_xml_prolog(utf8).as_bytes())
        .map_err(|e| format!("the EDGAR feed could not be parsed: {e}"))?;
    let mut out: Vec<Filing> = Vec::new();
    for e in feed.entries {
        let title = e.title.map(|t| t.content).unwrap_or_default();
        let Some(c) = TITLE.captures(&title) else {
            tracing::warn!(source, title = %title, "EDGAR entry whose title is not `FORM - COMPANY (CIK) (ROLE)` skipped");
            continue;
        };
        let form = c[1].to_string();
        if !forms.iter().any(|f| f.eq_ignore_ascii_case(&form)) {
            continue;
        }
        let Some(link) = e.links.first().map(|l| l.href.clone()) else {
            continue;
        };
        // A filing with several parties is listed once per role: keep the first.
        if out.iter().any(|f| f.index_url == link) {
            continue;
        }
        let summary = e.summary.map(|s| s.content).unwrap_or_default();
        out.push(Filing {
            form,
            company: c[2].trim().to_string(),
            cik: format!("{:0>10}", &c[3]),
            index_url: link,
            items: items_in(&summary),
            filed: e.updated.or(e.published),
        });
    }
    Ok(out)
}

/// The main document's URL on a filing index page: the first document of the filing's form
/// (inline-XBRL viewer links are turned into the document itself).
pub fn main_document(index_html: &str, index_url: &str, form: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(index_html);
    let rows = scraper::Selector::parse("table.tableFile tr, table tr").ok()?;
    let cells = scraper::Selector::parse("td").ok()?;
    let links = scraper::Selector::parse("a[href]").ok()?;
    let base = reqwest::Url::parse(index_url).ok()?;
    let mut first_doc = None;
    for row in doc.select(&rows) {
        let tds: Vec<_> = row.select(&cells).collect();
        let Some(href) = row
            .select(&links)
            .next()
            .and_then(|a| a.value().attr("href"))
        else {
            continue;
        };
        let href = href
            .strip_prefix("/ix?doc=")
            .map_or(href.to_string(), |p| p.to_string());
        if !(href.ends_with(".htm") || href.ends_with(".html") || href.ends_with(".txt")) {
            continue;
        }
        let Ok(url) = base.join(&href) else { continue };
        let is_form = tds.iter().any(|td| {
            td.text()
                .collect::<String>()
                .trim()
                .eq_ignore_ascii_case(form)
        });
        if is_form {
            return Some(url.to_string());
        }
        first_doc.get_or_insert(url.to_string());
    }
    first_doc
}

/// Item 5.02's heading, lowercase, as filings repeat it.
const ITEM_502_HEADINGS: &[&str] = &[
    "departure of directors or certain officers",
    "departure of directors or principal officers",
    "election of directors",
    "appointment of certain officers",
    "appointment of principal officers",
    "compensatory arrangements of certain officers",
];

/// Words that tell an officer change (Item 5.02) is a departure or an appointment.
const DEPARTURE_WORDS: &[&str] = &[
    "resign",
    "retire",
    "step down",
    "stepped down",
    "depart",
    "terminated",
    "will leave",
    "separation",
];
// Not "named": 5.02 filings speak of "named executive officers" when only pay changes.
const HIRE_WORDS: &[&str] = &[
    "appoint",
    "elected",
    "was named",
    "named as",
    "hired",
    "promoted",
    "will join",
];

/// The events a filing's items state. Item 5.02 covers both appointments and departures: the
/// main document's words decide, and without a document both are stated with less confidence.
pub fn stated_events(f: &Filing, doc_text: &str) -> Vec<StatedEvent> {
    let lower = doc_text.to_lowercase();
    let mut out = Vec::new();
    let mut add = |kind, status, confidence: f32, what: &str, item: &str, words: &[&str]| {
        let evidence = evidence_sentence(doc_text, &lower, words).unwrap_or_else(|| {
            format!(
                "{} reported {what} in a {} filing with the SEC (Item {item}).",
                f.company, f.form
            )
        });
        out.push(StatedEvent {
            kind,
            status,
            confidence,
            evidence,
            cue: format!("{} Item {item}", f.form),
        });
    };
    for (no, _) in &f.items {
        match no.as_str() {
            "1.01" => add(
                TriggerKind::ContractWon,
                EventStatus::Announced,
                0.7,
                "a material definitive agreement",
                no,
                &["agreement"],
            ),
            "1.02" => add(
                TriggerKind::ContractLost,
                EventStatus::Completed,
                0.8,
                "the termination of a material definitive agreement",
                no,
                &["terminat"],
            ),
            "1.03" => add(
                TriggerKind::Insolvency,
                EventStatus::Announced,
                0.95,
                "a bankruptcy or receivership",
                no,
                &["bankruptcy", "chapter 11", "receivership"],
            ),
            "2.01" => add(
                TriggerKind::Acquisition,
                EventStatus::Completed,
                0.9,
                "the completion of an acquisition or disposition of assets",
                no,
                &["acqui", "merger", "disposition"],
            ),
            "2.05" => add(
                TriggerKind::Layoffs,
                EventStatus::Planned,
                0.85,
                "costs of exit or disposal activities (a restructuring or closure)",
                no,
                &["workforce", "reduction", "restructuring", "closure"],
            ),
            "5.02" => {
                // The item's own heading names both appointments and departures.
                let mut said = lower.clone();
                for h in ITEM_502_HEADINGS {
                    said = said.replace(h, " ");
                }
                let departure = DEPARTURE_WORDS.iter().any(|w| said.contains(w));
                let hire = HIRE_WORDS.iter().any(|w| said.contains(w));
                let known = departure || hire;
                let conf = if known { 0.85 } else { 0.55 };
                if departure || !known {
                    add(
                        TriggerKind::ExecutiveDeparture,
                        EventStatus::Announced,
                        conf,
                        "the departure of a director or officer",
                        no,
                        DEPARTURE_WORDS,
                    );
                }
                if hire || !known {
                    add(
                        TriggerKind::ExecutiveHire,
                        EventStatus::Announced,
                        conf,
                        "the appointment of a director or officer",
                        no,
                        HIRE_WORDS,
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// The first sentence of the document with one of `words` that reads as a sentence (not an
/// item heading, not a fragment of a table).
fn evidence_sentence(text: &str, lower: &str, words: &[&str]) -> Option<String> {
    // Offsets found in the lowercase copy are valid in the text only when lowercasing kept
    // every byte length (it does for English filings).
    if lower.len() != text.len() {
        return None;
    }
    let mut start = 0;
    while start < text.len() {
        let end = text
            .get(start..)?
            .find(". ")
            .map_or(text.len(), |i| start + i + 1);
        let (s, l) = (text.get(start..end)?.trim(), lower.get(start..end)?);
        let heading = s.starts_with("Item ") || s.starts_with("ITEM ");
        if !heading && s.len() >= 40 && s.len() <= 500 && words.iter().any(|w| l.contains(w)) {
            return Some(s.to_string());
        }
        start = end + 1;
    }
    None
}

/// The item as it is stored: the filing's facts, its items, its evidence lines, its text.
pub fn filing_item(source: &SourceSpec, f: &Filing, doc_text: &str) -> RawItem {
    let stated = stated_events(f, doc_text);
    let mut body = vec![format!(
        "{} (CIK {}) filed a {} with the SEC{}.",
        f.company,
        f.cik,
        f.form,
        f.filed
            .map(|d| format!(" on {}", d.format("%Y-%m-%d")))
            .unwrap_or_default()
    )];
    for (no, title) in &f.items {
        body.push(format!("Item {no}: {title}."));
    }
    for s in &stated {
        if !doc_text.contains(&s.evidence) {
            body.push(s.evidence.clone());
        }
    }
    if !doc_text.is_empty() {
        body.push(doc_text.to_string());
    }
    let items: Vec<&str> = f.items.iter().map(|(n, _)| n.as_str()).collect();
    RawItem {
        source: source.name.clone(),
        url: f.index_url.clone(),
        title: format!(
            "{}: {}{}",
            f.form,
            f.company,
            if items.is_empty() {
                String::new()
            } else {
                format!(" — Item {}", items.join(", "))
            }
        ),
        body: body.join("\n\n"),
        published_at: f.filed,
        lang_hint: Some(Lang::En),
        keep_stored: false,
        stated,
        company: Some(ItemCompany {
            name: f.company.clone(),
            identifiers: vec![("cik".into(), f.cik.clone())],
            account: None,
        }),
    }
}

/// Reads the current filings, then the index and main document of each new one.
pub async fn read(spec: &SourceSpec, r: &mut Reader<'_>) -> Result<Listing, ReadError> {
    if !r.user_agent().contains('@') {
        return Err(ReadError::permanent(format!(
            "source `{}`: SEC EDGAR asks for a contact e-mail in the User-Agent; set `fetch.contact` (or TRIGGER_RADAR_CONTACT) to e.g. \"Acme Sales Ops ops@acme.example\"",
            spec.name
        )));
    }
    let es = spec.edgar.clone().unwrap_or_default();
    let req = Request::default();
    r.status("fetching filings");
    let Some(page) = r.first(&spec.url, req.clone()).await? else {
        return Ok(Listing::not_modified());
    };
    let filings = r
        .parse(|| parse_feed(&spec.name, &page.text, &es.forms))
        .map_err(|m| ReadError::permanent(format!("source `{}`: {m}", spec.name)))?;
    let mut items = Vec::with_capacity(filings.len());
    let mut fetched = 0u32;
    let mut stop = false;
    for mut f in filings {
        if r.is_known(&f.index_url) {
            let mut item = filing_item(spec, &f, "");
            item.keep_stored = true;
            items.push(item);
            continue;
        }
        let mut text = String::new();
        if es.documents && !stop && fetched < spec.max_details {
            fetched += 1;
            r.status(format!("filing {fetched}"));
            match read_document(r, &mut f, req.clone()).await {
                Ok(t) => text = t,
                Err(e) => {
                    stop = e.transient;
                    tracing::warn!(source = %spec.name, url = %f.index_url, error = %e, "filing text not read; its items are kept");
                }
            }
        }
        items.push(filing_item(spec, &f, &text));
    }
    Ok(Listing::of(items))
}

/// The filing's main document as text (and its items, when the feed gave none).
async fn read_document(
    r: &mut Reader<'_>,
    f: &mut Filing,
    req: Request<'static>,
) -> Result<String, ReadError> {
    let index = r.page(&f.index_url, req.clone()).await?;
    if f.items.is_empty() {
        f.items = r.parse(|| items_in(&index.text));
    }
    let Some(doc_url) = r.parse(|| main_document(&index.text, &index.url, &f.form)) else {
        return Ok(String::new());
    };
    let doc = r.page(&doc_url, req).await?;
    Ok(r.parse(|| {
        let t = crate::extract::html_to_text(&doc.text);
        t.chars().take(DOC_CHARS).collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_items_are_read_from_the_feed() {
        let atom = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Latest Filings</title>
<entry><title>8-K - Kelvane Robotics Inc. (0001234567) (Filer)</title>
<link rel="alternate" type="text/html" href="https://www.sec.gov/Archives/edgar/data/1234567/000123456726000042/0001234567-26-000042-index.htm"/>
<summary type="html"> &lt;b&gt;Filed:&lt;/b&gt; 2026-11-20 &lt;b&gt;AccNo:&lt;/b&gt; 0001234567-26-000042 &lt;b&gt;Size:&lt;/b&gt; 310 KB&lt;br&gt;Item 2.01: Completion of Acquisition or Disposition of Assets&lt;br&gt;Item 9.01: Financial Statements and Exhibits</summary>
<updated>2026-11-20T16:31:05-05:00</updated><category scheme="https://www.sec.gov/" label="form type" term="8-K"/><id>urn:tag:sec.gov,2008:accession-number=0001234567-26-000042</id></entry>
<entry><title>4 - Someone Jane (0009999999) (Reporting)</title><link href="https://www.sec.gov/x-index.htm"/><updated>2026-11-20T16:00:00-05:00</updated><id>b</id></entry>
</feed>"#;
        let f = parse_feed("e", atom, &forms()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].company, "Kelvane Robotics Inc.");
        assert_eq!(f[0].cik, "0001234567");
        assert_eq!(
            f[0].items,
            [
                (
                    "2.01".to_string(),
                    "Completion of Acquisition or Disposition of Assets".to_string()
                ),
                (
                    "9.01".to_string(),
                    "Financial Statements and Exhibits".to_string()
                )
            ]
        );
        let ev = stated_events(&f[0], "");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, TriggerKind::Acquisition);
        assert!(
            ev[0].evidence.contains("Kelvane Robotics"),
            "{}",
            ev[0].evidence
        );
    }

    #[test]
    fn officer_changes_are_told_apart_by_the_document() {
        let f = Filing {
            form: "8-K".into(),
            company: "Ostmark Holdings Corp.".into(),
            cik: "0000000042".into(),
            index_url: "https://www.sec.gov/x-index.htm".into(),
            items: vec![(
                "5.02".into(),
                "Departure of Directors or Certain Officers".into(),
            )],
            filed: None,
        };
        let kinds =
            |t: &str| -> Vec<TriggerKind> { stated_events(&f, t).iter().map(|e| e.kind).collect() };
        assert_eq!(
            kinds(
                "On November 18, 2026, the Board of Directors appointed Maria Lopez as Chief Financial Officer of the Company, effective December 1."
            ),
            [TriggerKind::ExecutiveHire]
        );
        assert_eq!(
            kinds(
                "Item 5.02 Departure of Directors or Certain Officers; Election of Directors; Appointment of Certain Officers; Compensatory Arrangements of Certain Officers. On November 18, 2026, John Smith informed the Company of his decision to retire as Chief Executive Officer."
            ),
            [TriggerKind::ExecutiveDeparture]
        );
        let both = stated_events(&f, "");
        assert_eq!(both.len(), 2);
        assert!(both.iter().all(|e| e.confidence < 0.6));
    }

    #[test]
    fn the_main_document_is_found_on_the_index_page() {
        let html = r#"<table class="tableFile" summary="Document Format Files">
<tr><th>Seq</th><th>Description</th><th>Document</th><th>Type</th><th>Size</th></tr>
<tr><td>1</td><td>FORM 8-K</td><td><a href="/ix?doc=/Archives/edgar/data/1234567/000123456726000042/kel-20261120.htm">kel-20261120.htm</a></td><td>8-K</td><td>40000</td></tr>
<tr><td>2</td><td>PRESS RELEASE</td><td><a href="/Archives/edgar/data/1234567/000123456726000042/ex99-1.htm">ex99-1.htm</a></td><td>EX-99.1</td><td>9000</td></tr>
</table>"#;
        assert_eq!(
            main_document(
                html,
                "https://www.sec.gov/Archives/edgar/data/1234567/000123456726000042/0001234567-26-000042-index.htm",
                "8-K"
            )
            .as_deref(),
            Some("https://www.sec.gov/Archives/edgar/data/1234567/000123456726000042/kel-20261120.htm")
        );
    }
}
