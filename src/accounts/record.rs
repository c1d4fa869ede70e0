//! One account record — a CSV row, a JSON object, an API request — checked field by field and
//! turned into an [`Account`]. Every import path goes through [`build_account`], so a CRM pushing
//! accounts through the API gets exactly the validation a CSV file gets.

use super::identifiers::{normalize_domain, validate_inn, validate_ogrn};
use crate::model::Account;
use crate::text::name_key;
use chrono::{DateTime, Datelike, NaiveDate};
use std::str::FromStr;

/// An account field an input column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    CrmId,
    Name,
    Aliases,
    Inn,
    Ogrn,
    Kpp,
    Domain,
    Ticker,
    Cik,
    Country,
    Region,
    City,
    Industry,
    Employees,
    Size,
    Revenue,
    Segment,
    Owner,
    Technologies,
    LastPurchase,
    ContractEnd,
    UsageRatio,
    GoLive,
    /// The record's type in a mixed export (amoCRM's `Тип`: компания / контакт); rows that are
    /// not companies are skipped.
    RecordType,
    /// A column to leave out (`--map "Phone=ignore"`).
    Ignore,
}

impl Field {
    /// Every field with its `--map` name.
    pub const NAMES: &[(Field, &str)] = &[
        (Field::CrmId, "crm_id"),
        (Field::Name, "name"),
        (Field::Aliases, "aliases"),
        (Field::Inn, "inn"),
        (Field::Ogrn, "ogrn"),
        (Field::Kpp, "kpp"),
        (Field::Domain, "domain"),
        (Field::Ticker, "ticker"),
        (Field::Cik, "cik"),
        (Field::Country, "country"),
        (Field::Region, "region"),
        (Field::City, "city"),
        (Field::Industry, "industry"),
        (Field::Employees, "employees"),
        (Field::Size, "size"),
        (Field::Revenue, "revenue"),
        (Field::Segment, "segment"),
        (Field::Owner, "owner"),
        (Field::Technologies, "technologies"),
        (Field::LastPurchase, "last_purchase"),
        (Field::ContractEnd, "contract_end"),
        (Field::UsageRatio, "usage_ratio"),
        (Field::GoLive, "go_live"),
        (Field::RecordType, "record_type"),
        (Field::Ignore, "ignore"),
    ];

    /// The `--map` name.
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("ignore", |(_, n)| n)
    }
}

/// A `--map` target that is not a field.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown account field `{0}` (expected one of: {list})", list = Field::NAMES.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "))]
pub struct UnknownField(pub String);

impl FromStr for Field {
    type Err = UnknownField;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == k)
            .map(|(f, _)| *f)
            .ok_or_else(|| UnknownField(s.trim().to_string()))
    }
}

/// Splits a list cell: `|`, `;`, `,` or new lines separate items.
fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(['|', ';', ',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parses the dates CRMs write: ISO (`2026-03-15`, with a time or RFC 3339), Russian
/// `15.03.2026` (with or without a time) and US `03/15/2026`.
pub fn parse_date(v: &str) -> Result<NaiveDate, String> {
    let v = v.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Ok(d.date_naive());
    }
    let day = v.split([' ', 'T']).next().unwrap_or(v);
    // `%Y` takes 1–4 digits, so "15.03.26" would be the year 26: four-digit formats first, and
    // only years from 1900 on; two-digit years after.
    for fmt in [
        "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%y", "%m/%d/%y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(day, fmt)
            && d.year() >= 1900
        {
            return Ok(d);
        }
    }
    // Unix milliseconds, as HubSpot's API writes dates.
    if let Ok(ms) = v.parse::<i64>()
        && ms > 100_000_000_000
        && let Some(d) = DateTime::from_timestamp_millis(ms)
    {
        return Ok(d.date_naive());
    }
    Err(format!(
        "`{v}` is not a date (expected 2026-03-15, 15.03.2026 or 03/15/2026)"
    ))
}

/// Whole numbers with thousands separators: `1 200`, `1,200`, `1200`.
fn parse_count(v: &str) -> Option<i64> {
    let digits: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | ',' | '\''))
        .collect();
    digits.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// `80%`, `80`, `0.8`, `0,8` → 0.8.
fn parse_ratio(v: &str) -> Result<f32, String> {
    let t = v.trim().trim_end_matches('%').trim().replace(',', ".");
    let n: f32 = t
        .parse()
        .map_err(|_| format!("plan usage `{v}` is not a number or a percentage"))?;
    // A share (0.8, 1.6 = 160%) unless written as a percentage ("80%", or a number over 10).
    let r = if v.contains('%') || n > 10.0 {
        n / 100.0
    } else {
        n
    };
    if (0.0..=10.0).contains(&r) {
        Ok(r)
    } else {
        Err(format!("plan usage `{v}` is out of range"))
    }
}

/// The size band of a head count, the bands most CRMs use.
pub fn size_band(employees: i64) -> &'static str {
    match employees {
        ..=10 => "1-10",
        11..=50 => "11-50",
        51..=200 => "51-200",
        201..=1000 => "201-1000",
        1001..=5000 => "1001-5000",
        _ => "5000+",
    }
}

/// Whether a record-type cell names something other than a company (a contact, a deal).
pub fn is_not_a_company(record_type: &str) -> bool {
    let t = record_type.trim().to_lowercase();
    !t.is_empty()
        && !["компания", "company", "организация", "юрлицо", "account"].contains(&t.as_str())
}

/// Builds an account from `(field, value)` pairs, checking every value. All problems of the
/// record are returned together, so one pass over a file tells the user everything to fix.
pub fn build_account(values: &[(Field, &str)], crm: &str) -> Result<Account, Vec<String>> {
    let mut a = Account {
        crm: crm.to_string(),
        ..Account::default()
    };
    let mut problems = Vec::new();
    let mut city = None;
    let set = |slot: &mut Option<String>, v: &str| {
        if slot.is_none() {
            *slot = Some(v.to_string());
        }
    };
    for &(field, raw) in values {
        let v = raw.trim();
        if v.is_empty() {
            continue;
        }
        match field {
            Field::Ignore | Field::RecordType => {}
            Field::CrmId => {
                if a.crm_id.is_empty() {
                    a.crm_id = v.to_string();
                }
            }
            Field::Name => {
                if a.name.is_empty() {
                    a.name = v.to_string();
                }
            }
            Field::Aliases => a.aliases.extend(
                v.split(['|', ';', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            ),
            Field::Inn => match validate_inn(v) {
                Ok(x) => set(&mut a.inn, &x),
                Err(e) => problems.push(e.to_string()),
            },
            Field::Ogrn => match validate_ogrn(v) {
                Ok(x) => set(&mut a.ogrn, &x),
                Err(e) => problems.push(e.to_string()),
            },
            Field::Kpp => {
                // KPP: 9 characters, digits except the 5th and 6th (which may be letters).
                let ok = v.chars().count() == 9
                    && v.chars().enumerate().all(|(i, c)| {
                        c.is_ascii_digit() || ((4..6).contains(&i) && c.is_ascii_uppercase())
                    });
                if ok {
                    set(&mut a.kpp, v);
                } else {
                    problems.push(format!("KPP {v} must have 9 digits"));
                }
            }
            Field::Domain => {
                for d in list(v) {
                    match normalize_domain(d) {
                        Ok(x) if !a.domains.contains(&x) => a.domains.push(x),
                        Ok(_) => {}
                        Err(e) => problems.push(e.to_string()),
                    }
                }
            }
            Field::Ticker => {
                let t = v.trim_start_matches('$').to_uppercase();
                // "NASDAQ: ACME" → ACME
                let t = t.rsplit(':').next().unwrap_or(&t).trim().to_string();
                if !t.is_empty()
                    && t.len() <= 12
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                {
                    set(&mut a.ticker, &t);
                } else {
                    problems.push(format!("ticker `{v}` is not a stock symbol"));
                }
            }
            Field::Cik => match v.parse::<u64>() {
                Ok(n) if n > 0 && n < 10_000_000_000 => set(&mut a.cik, &format!("{n:010}")),
                _ => problems.push(format!("CIK `{v}` must be a number of up to 10 digits")),
            },
            Field::Country => set(&mut a.country, v),
            Field::Region => set(&mut a.region, v),
            Field::City => {
                if city.is_none() {
                    city = Some(v.to_string());
                }
            }
            Field::Industry => set(&mut a.industry, v),
            Field::Employees => match parse_count(v) {
                Some(n) => {
                    if a.employees.is_none() {
                        a.employees = Some(n);
                    }
                }
                // A band ("51-200", "1000+", Bitrix24's «более 500») is a size, not a head count.
                None if v.chars().any(|c| c.is_ascii_digit()) => set(&mut a.size, v),
                None => problems.push(format!("employees `{v}` is not a whole number or a band")),
            },
            Field::Size => set(&mut a.size, v),
            Field::Revenue => set(&mut a.revenue, v),
            Field::Segment => set(&mut a.segment, v),
            Field::Owner => set(&mut a.owner, v),
            Field::Technologies => {
                for t in list(v) {
                    let t = t.to_lowercase();
                    if !a.technologies.contains(&t) {
                        a.technologies.push(t);
                    }
                }
            }
            Field::LastPurchase | Field::ContractEnd | Field::GoLive => match parse_date(v) {
                Ok(d) => {
                    let slot = match field {
                        Field::LastPurchase => &mut a.last_purchase,
                        Field::ContractEnd => &mut a.contract_end,
                        _ => &mut a.go_live,
                    };
                    slot.get_or_insert(d);
                }
                Err(e) => problems.push(format!("{}: {e}", field.as_str().replace('_', " "))),
            },
            Field::UsageRatio => match parse_ratio(v) {
                Ok(r) => {
                    a.usage_ratio.get_or_insert(r);
                }
                Err(e) => problems.push(e),
            },
        }
    }
    if a.region.is_none() {
        a.region = city;
    }
    if a.size.is_none() {
        a.size = a.employees.map(|n| size_band(n).to_string());
    }
    a.aliases.retain(|x| x != &a.name);
    a.aliases.dedup();
    if a.name.is_empty() {
        problems.push("the company name is empty".into());
    }
    if a.crm_id.is_empty() {
        // Without a CRM id, the strongest identifier keeps re-imports idempotent.
        a.crm_id = match (&a.inn, a.domain()) {
            (Some(inn), _) => format!("inn:{inn}"),
            (None, Some(d)) => format!("domain:{d}"),
            _ => format!("name:{}", name_key(&a.name)),
        };
    }
    if problems.is_empty() {
        Ok(a)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_checked_and_parsed() {
        let a = build_account(
            &[
                (Field::Name, "ООО «Ромашка»"),
                (Field::Inn, "7707083893"),
                (Field::Kpp, "773601001"),
                (Field::Domain, "https://www.romashka.ru/, romashka.com"),
                (Field::Ticker, "MOEX: ROMA"),
                (Field::Cik, "320193"),
                (Field::City, "Казань"),
                (Field::Employees, "1 200"),
                (Field::Technologies, "1С:ERP; PostgreSQL"),
                (Field::LastPurchase, "15.03.2026 10:00:00"),
                (Field::ContractEnd, "2026-12-01"),
                (Field::GoLive, "11/02/2026"),
                (Field::UsageRatio, "82%"),
            ],
            "bitrix24",
        )
        .unwrap();
        assert_eq!(a.crm_id, "inn:7707083893");
        assert_eq!(a.domains, vec!["romashka.ru", "romashka.com"]);
        assert_eq!(a.ticker.as_deref(), Some("ROMA"));
        assert_eq!(a.cik.as_deref(), Some("0000320193"));
        assert_eq!(a.region.as_deref(), Some("Казань"));
        assert_eq!(a.employees, Some(1200));
        assert_eq!(a.size.as_deref(), Some("1001-5000"));
        assert_eq!(a.technologies, vec!["1с:erp", "postgresql"]);
        assert_eq!(a.last_purchase, NaiveDate::from_ymd_opt(2026, 3, 15));
        assert_eq!(a.go_live, NaiveDate::from_ymd_opt(2026, 11, 2));
        assert!((a.usage_ratio.unwrap() - 0.82).abs() < 1e-6);
    }

    #[test]
    fn all_problems_of_a_record_are_reported_together() {
        let e = build_account(
            &[
                (Field::Name, ""),
                (Field::Inn, "7707083894"),
                (Field::Ogrn, "1027700132194"),
                (Field::ContractEnd, "31.02.2026"),
                (Field::UsageRatio, "много"),
                (Field::Kpp, "12"),
            ],
            "generic",
        )
        .unwrap_err();
        assert_eq!(e.len(), 6, "{e:?}");
        assert_eq!(e[0], "INN 7707083894 fails its checksum");
        assert!(
            e[2].starts_with("contract end: `31.02.2026` is not a date"),
            "{e:?}"
        );
    }

    #[test]
    fn bands_and_field_names() {
        let a = build_account(&[(Field::Name, "X"), (Field::Employees, "51-200")], "").unwrap();
        assert_eq!((a.employees, a.size.as_deref()), (None, Some("51-200")));
        assert_eq!(
            parse_date("15.03.26"),
            Ok(NaiveDate::from_ymd_opt(2026, 3, 15).unwrap())
        );
        assert_eq!(
            parse_date("03/15/26"),
            Ok(NaiveDate::from_ymd_opt(2026, 3, 15).unwrap())
        );
        assert!(
            (parse_ratio("1.6").unwrap() - 1.6).abs() < 1e-6,
            "160% of the plan"
        );
        assert!((parse_ratio("80").unwrap() - 0.8).abs() < 1e-6);
        assert_eq!("usage-ratio".parse::<Field>().unwrap(), Field::UsageRatio);
        assert!(
            "colour"
                .parse::<Field>()
                .unwrap_err()
                .to_string()
                .contains("crm_id")
        );
    }
}
