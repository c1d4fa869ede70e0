//! Account import from CRM CSV exports: UTF-8 (with or without BOM) or windows-1251, `,` or `;`,
//! headers of common CRMs in English and Russian. Bad rows are reported by row number and skipped;
//! good rows are imported.

use super::identifiers::{normalize_domain, validate_inn, validate_ogrn};
use crate::fetch::decode::decode;
use crate::model::Account;
use crate::text::name_key;

/// A problem with the file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{file}: no column for the company name (expected a header such as `name`, `Company name` or `Название компании`; found: {found})"
    )]
    NoNameColumn { file: String, found: String },
    #[error("{file}: the CSV could not be read: {message}")]
    Csv { file: String, message: String },
}

/// A rejected row and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is row 1).
    pub row: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.row, self.message)
    }
}

/// Parsed rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub accounts: Vec<Account>,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    CrmId,
    Name,
    Aliases,
    Inn,
    Ogrn,
    Domain,
    Ticker,
    Country,
    Region,
    Industry,
    Employees,
    Segment,
    Owner,
}

/// Header spellings (as name keys) of the generic layout and of HubSpot, amoCRM and Bitrix24 exports.
const HEADERS: &[(Field, &[&str])] = &[
    (
        Field::CrmId,
        &[
            "crm id",
            "id",
            "record id",
            "company id",
            "id компании",
            "ид",
            "идентификатор",
        ],
    ),
    (
        Field::Name,
        &[
            "name",
            "company name",
            "company",
            "название компании",
            "название",
            "компания",
            "наименование",
        ],
    ),
    (
        Field::Aliases,
        &["aliases", "alias", "синонимы", "другие названия"],
    ),
    (Field::Inn, &["inn", "инн"]),
    (Field::Ogrn, &["ogrn", "огрн"]),
    (
        Field::Domain,
        &[
            "domain",
            "company domain name",
            "website",
            "website url",
            "сайт",
            "веб сайт",
            "домен",
        ],
    ),
    (Field::Ticker, &["ticker", "тикер"]),
    (Field::Country, &["country", "country region", "страна"]),
    (
        Field::Region,
        &["region", "state region", "state", "регион", "город", "city"],
    ),
    (
        Field::Industry,
        &["industry", "отрасль", "сфера деятельности"],
    ),
    (
        Field::Employees,
        &[
            "employees",
            "number of employees",
            "количество сотрудников",
            "сотрудников",
            "сотрудники",
        ],
    ),
    (Field::Segment, &["segment", "сегмент"]),
    (
        Field::Owner,
        &[
            "owner",
            "company owner",
            "ответственный",
            "ответственный менеджер",
        ],
    ),
];

fn field_for(header: &str) -> Option<Field> {
    let key = name_key(header).replace('_', " ");
    HEADERS
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
        .map(|(f, _)| *f)
}

/// Parses a CSV export. `file` names it in messages.
pub fn parse_csv(bytes: &[u8], file: &str) -> Result<Parsed, ImportError> {
    let text = decode(bytes, None, None).text;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| ImportError::Csv {
            file: file.into(),
            message: e.to_string(),
        })?
        .clone();
    let columns: Vec<Option<Field>> = headers.iter().map(field_for).collect();
    if !columns.contains(&Some(Field::Name)) {
        return Err(ImportError::NoNameColumn {
            file: file.into(),
            found: headers.iter().collect::<Vec<_>>().join(", "),
        });
    }
    let mut out = Parsed::default();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.errors.push(RowError {
                    row,
                    message: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        if rec.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let mut a = Account::default();
        let mut problems = Vec::new();
        for (value, field) in rec.iter().zip(&columns) {
            let v = value.trim();
            let Some(field) = field else { continue };
            if v.is_empty() {
                continue;
            }
            let opt = || Some(v.to_string());
            match field {
                Field::CrmId => a.crm_id = v.to_string(),
                Field::Name => a.name = v.to_string(),
                Field::Aliases => {
                    a.aliases = v
                        .split(['|', ';'])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                Field::Inn => match validate_inn(v) {
                    Ok(x) => a.inn = Some(x),
                    Err(e) => problems.push(e.to_string()),
                },
                Field::Ogrn => match validate_ogrn(v) {
                    Ok(x) => a.ogrn = Some(x),
                    Err(e) => problems.push(e.to_string()),
                },
                Field::Domain => match normalize_domain(v) {
                    Ok(x) => a.domain = Some(x),
                    Err(e) => problems.push(e.to_string()),
                },
                Field::Ticker => a.ticker = Some(v.to_uppercase()),
                Field::Country => a.country = opt(),
                Field::Region => a.region = opt(),
                Field::Industry => a.industry = opt(),
                Field::Employees => match v.replace([' ', '\u{a0}'], "").parse::<i64>() {
                    Ok(n) if n >= 0 => a.employees = Some(n),
                    _ => problems.push(format!("employees `{v}` is not a whole number")),
                },
                Field::Segment => a.segment = opt(),
                Field::Owner => a.owner = opt(),
            }
        }
        if a.name.is_empty() {
            problems.push("the company name is empty".into());
        }
        if a.crm_id.is_empty() {
            // Without a CRM id, the strongest identifier keeps re-imports idempotent.
            a.crm_id = match (&a.inn, &a.domain) {
                (Some(inn), _) => format!("inn:{inn}"),
                (None, Some(d)) => format!("domain:{d}"),
                _ => format!("name:{}", name_key(&a.name)),
            };
        }
        if problems.is_empty() {
            out.accounts.push(a);
        } else {
            out.errors.push(RowError {
                row,
                message: problems.join("; "),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_layout_with_bad_rows() {
        let csv = "crm_id,name,inn,domain,employees\n\
                   c1,ООО «Ромашка»,7707083893,,120\n\
                   c2,Broken Inc,7707083894,,\n\
                   c3,Acme Corp,,acme.com,abc\n\
                   c4,Zentrix,,https://www.zentrix.io/,\n";
        let p = parse_csv(csv.as_bytes(), "a.csv").unwrap();
        assert_eq!(p.accounts.len(), 2);
        assert_eq!(p.accounts[1].domain.as_deref(), Some("zentrix.io"));
        assert_eq!(p.errors.len(), 2);
        assert_eq!(
            p.errors[0].to_string(),
            "row 3: INN 7707083894 fails its checksum"
        );
        assert!(
            p.errors[1]
                .to_string()
                .starts_with("row 4: employees `abc`")
        );
    }

    #[test]
    fn russian_headers_semicolons_and_cp1251() {
        let csv = "Название компании;ИНН;Сайт;Ответственный\nАО «Техностан»;7707083893;technostan.ru;Анна\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(csv);
        let p = parse_csv(&bytes, "b.csv").unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let a = &p.accounts[0];
        assert_eq!(a.name, "АО «Техностан»");
        assert_eq!(a.owner.as_deref(), Some("Анна"));
        assert_eq!(a.crm_id, "inn:7707083893");
    }

    #[test]
    fn missing_name_column_is_a_file_error() {
        let e = parse_csv(b"foo,bar\n1,2\n", "c.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.csv") && e.contains("foo, bar"), "{e}");
    }
}
