//! The `companies_house` connector: UK Companies House's public data API for the watched company
//! numbers. Officers appointed or resigned become `executive_hire` / `executive_departure`,
//! insolvency, liquidation and strike-off notices `insolvency`, a moved registered office
//! `closure` (relocation). The API key (HTTP Basic user name, no password) comes from the source
//! file or, by default, the `COMPANIES_HOUSE_API_KEY` environment variable, and is never logged.
//! Companies House allows 600 requests per 5 minutes per key and answers 429 without
//! `Retry-After` past that: the connector paces itself and a 429 backs the source off.

use super::{Listing, ReadError, Reader, SourceSpec};
use crate::fetch::Request;
use crate::model::{EventStatus, ItemCompany, Lang, RawItem, StatedEvent, TriggerKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

/// The public data API.
pub const DEFAULT_URL: &str = "https://api.company-information.service.gov.uk";

/// 600 requests per 5 minutes is one every 500 ms.
pub const MIN_DELAY_MS: u64 = 500;

/// A watched company: its number, and optionally the account it is.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ChCompany {
    Number(String),
    WithAccount {
        number: String,
        /// The account's CRM id.
        account: String,
    },
}

impl ChCompany {
    /// The company number, uppercase (`SC123456`, `00445790`).
    pub fn number(&self) -> String {
        match self {
            ChCompany::Number(n) | ChCompany::WithAccount { number: n, .. } => {
                n.trim().to_ascii_uppercase()
            }
        }
    }
    fn account(&self) -> Option<String> {
        match self {
            ChCompany::Number(_) => None,
            ChCompany::WithAccount { account, .. } => Some(account.clone()),
        }
    }
}

/// The `[companies_house]` table of a source file.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChSpec {
    pub companies: Vec<ChCompany>,
    /// The API key itself (prefer `api_key_env`: source files get shared).
    #[serde(default)]
    pub api_key: Option<String>,
    /// The environment variable holding the API key.
    #[serde(default = "key_env")]
    pub api_key_env: String,
    /// Changes older than this many days are history, not news: not stored.
    #[serde(default = "lookback")]
    pub lookback_days: u32,
}

impl std::fmt::Debug for ChSpec {
    // By hand, so the key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChSpec")
            .field("companies", &self.companies)
            .field("api_key", &self.api_key.as_ref().map(|_| "…"))
            .field("api_key_env", &self.api_key_env)
            .field("lookback_days", &self.lookback_days)
            .finish()
    }
}

fn key_env() -> String {
    "COMPANIES_HOUSE_API_KEY".into()
}
fn lookback() -> u32 {
    365
}

impl ChSpec {
    /// Checks the table.
    pub fn validate(&self) -> Result<(), String> {
        if self.companies.is_empty() {
            return Err(
                "[companies_house] `companies` is empty: list the company numbers to watch".into(),
            );
        }
        for c in &self.companies {
            let n = c.number();
            if n.len() != 8 || !n.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                return Err(format!(
                    "[companies_house] `{n}` is not a company number (8 letters or digits, e.g. \"00445790\" or \"SC123456\")"
                ));
            }
        }
        Ok(())
    }

    /// The API key: from the file, else from the environment.
    fn key(&self) -> Option<String> {
        self.api_key
            .clone()
            .or_else(|| std::env::var(&self.api_key_env).ok())
            .filter(|k| !k.trim().is_empty())
    }
}

fn s<'v>(v: &'v Value, p: &str) -> Option<&'v str> {
    v.pointer(p)
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
}

fn day(d: Option<&str>) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(d?, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// "liquidation-voluntary-appointment-of-liquidator" → "liquidation voluntary appointment of
/// liquidator": the API describes filings by key.
fn humanize(key: &str) -> String {
    key.replace(['-', '_'], " ")
}

/// Title-cased officer names read better than the register's "SMITH, Jane Ann".
fn officer_name(raw: &str) -> String {
    match raw.split_once(',') {
        Some((last, first)) => {
            let mut l = last.trim().to_lowercase();
            if let Some(c) = l.chars().next() {
                let up: String = c.to_uppercase().collect();
                l.replace_range(..c.len_utf8(), &up);
            }
            format!("{} {l}", first.trim())
        }
        None => raw.trim().to_string(),
    }
}

/// What one company's answers hold: the items to store, with their stated events.
pub fn company_items(
    source: &SourceSpec,
    base: &str,
    watched: &ChCompany,
    profile: &Value,
    officers: &Value,
    filings: &Value,
    since: DateTime<Utc>,
) -> Vec<RawItem> {
    let number = watched.number();
    let name = s(profile, "/company_name").unwrap_or(&number).to_string();
    let company = ItemCompany {
        name: name.clone(),
        identifiers: vec![("companies_house".into(), number.clone())],
        account: watched.account(),
    };
    let mut out = Vec::new();
    let mut push =
        |url: String, title: String, evidence: String, kind, confidence, cue: &str, at| {
            out.push(RawItem {
                source: source.name.clone(),
                url,
                title,
                body: evidence.clone(),
                published_at: Some(at),
                lang_hint: Some(Lang::En),
                keep_stored: false,
                stated: vec![StatedEvent {
                    kind,
                    status: EventStatus::Completed,
                    confidence,
                    evidence,
                    cue: cue.into(),
                }],
                company: Some(company.clone()),
            });
        };
    let empty = Vec::new();
    let list = |v: &Value| {
        v.get("items")
            .and_then(Value::as_array)
            .unwrap_or(&empty)
            .clone()
    };
    for (i, o) in list(officers).iter().enumerate() {
        let who = officer_name(s(o, "/name").unwrap_or("an officer"));
        let role = humanize(s(o, "/officer_role").unwrap_or("officer"));
        let link = s(o, "/links/self")
            .map(|l| format!("{base}{l}"))
            .unwrap_or_else(|| format!("{base}/company/{number}/officers#{i}"));
        if let Some(at) = day(s(o, "/appointed_on")).filter(|d| *d >= since) {
            push(
                format!("{link}#appointed"),
                format!("{name}: {who} appointed {role}"),
                format!(
                    "{name} ({number}) appointed {who} as {role} on {}, Companies House shows.",
                    at.format("%Y-%m-%d")
                ),
                TriggerKind::ExecutiveHire,
                0.95,
                "Companies House officer appointed",
                at,
            );
        }
        if let Some(at) = day(s(o, "/resigned_on")).filter(|d| *d >= since) {
            push(
                format!("{link}#resigned"),
                format!("{name}: {who} resigned as {role}"),
                format!(
                    "{who} resigned as {role} of {name} ({number}) on {}, Companies House shows.",
                    at.format("%Y-%m-%d")
                ),
                TriggerKind::ExecutiveDeparture,
                0.95,
                "Companies House officer resigned",
                at,
            );
        }
    }
    for (i, f) in list(filings).iter().enumerate() {
        let Some(at) = day(s(f, "/date")).filter(|d| *d >= since) else {
            continue;
        };
        let category = s(f, "/category").unwrap_or("");
        let ftype = s(f, "/type").unwrap_or("");
        let what = humanize(s(f, "/description").unwrap_or(ftype));
        let id = s(f, "/transaction_id")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{i}"));
        let url = format!("{base}/company/{number}/filing-history/{id}");
        let date = at.format("%Y-%m-%d");
        let (kind, confidence, evidence) = match (category, ftype) {
            ("insolvency" | "liquidation", _) => (
                TriggerKind::Insolvency,
                0.95,
                format!(
                    "{name} ({number}) filed an {category} notice on {date} ({ftype}: {what})."
                ),
            ),
            ("gazette", t) if t.starts_with("GAZ1") => (
                TriggerKind::Insolvency,
                0.7,
                format!(
                    "The Gazette gave first notice of strike-off for {name} ({number}) on {date} ({what})."
                ),
            ),
            ("address", "AD01") => {
                let old = s(f, "/description_values/old_address");
                let new = s(f, "/description_values/new_address");
                let moved = match (old, new) {
                    (Some(o), Some(n)) => format!(" from {o} to {n}"),
                    (None, Some(n)) => format!(" to {n}"),
                    _ => String::new(),
                };
                (
                    TriggerKind::Closure,
                    0.6,
                    format!("{name} ({number}) moved its registered office{moved} on {date}."),
                )
            }
            _ => continue,
        };
        let title = format!("{name}: {what}");
        push(
            url,
            title,
            evidence,
            kind,
            confidence,
            &format!("Companies House {ftype}"),
            at,
        );
    }
    out
}

/// Reads profile, officers and filing history of every watched company.
pub async fn read(spec: &SourceSpec, r: &mut Reader<'_>) -> Result<Listing, ReadError> {
    let Some(ch) = spec.companies_house.clone() else {
        return Err(ReadError::permanent(format!(
            "source `{}` has no [companies_house] table",
            spec.name
        )));
    };
    let Some(key) = ch.key() else {
        return Err(ReadError::permanent(format!(
            "source `{}`: no Companies House API key; set the environment variable {} (or `api_key` in [companies_house])",
            spec.name, ch.api_key_env
        )));
    };
    let base = spec.url.trim_end_matches('/').to_string();
    let req = Request {
        basic_auth: Some((key, String::new())),
        ..Request::default()
    };
    let since = Utc::now() - chrono::Duration::days(ch.lookback_days as i64);
    let mut items = Vec::new();
    for (i, c) in ch.companies.iter().enumerate() {
        let n = c.number();
        r.status(format!("company {}/{} {n}", i + 1, ch.companies.len()));
        let mut answers = Vec::with_capacity(3);
        for path in [
            format!("/company/{n}"),
            format!("/company/{n}/officers?items_per_page=100"),
            format!("/company/{n}/filing-history?items_per_page=100"),
        ] {
            let url = format!("{base}{path}");
            let page = r.page(&url, req.clone()).await?;
            let v: Value = r.parse(|| serde_json::from_str(&page.text)).map_err(|e| {
                ReadError::permanent(format!(
                    "source `{}`: {url} did not answer JSON: {e}",
                    spec.name
                ))
            })?;
            answers.push(v);
        }
        let found =
            r.parse(|| company_items(spec, &base, c, &answers[0], &answers[1], &answers[2], since));
        items.extend(found);
    }
    for item in &mut items {
        item.keep_stored = r.is_known(&item.url);
    }
    Ok(Listing::of(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_and_keys_stay_out_of_debug_output() {
        let spec: ChSpec = toml::from_str(
            "companies = [\"00445790\", { number = \"sc123456\", account = \"crm-7\" }]\napi_key = \"secret-key-123\"\n",
        )
        .unwrap();
        assert!(spec.validate().is_ok());
        assert_eq!(spec.companies[1].number(), "SC123456");
        assert!(!format!("{spec:?}").contains("secret-key-123"));
        let bad: ChSpec = toml::from_str("companies = [\"123\"]\n").unwrap();
        assert!(bad.validate().unwrap_err().contains("123"));
    }

    #[test]
    fn officer_names_read_naturally() {
        assert_eq!(officer_name("SMITH, Jane Ann"), "Jane Ann Smith");
        assert_eq!(
            officer_name("ACME NOMINEES LIMITED"),
            "ACME NOMINEES LIMITED"
        );
    }
}
