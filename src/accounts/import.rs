//! Account import from CRM exports: CSV (UTF-8 with or without BOM, or windows-1251; `,` or `;`)
//! and JSON. The column headers of HubSpot, amoCRM/Kommo and Bitrix24 company exports are known
//! in English and Russian, a generic layout too, and `--map column=field` covers anything else.
//! Bad rows are reported by row number and skipped; good rows are imported.

use super::record::{Field, UnknownField, build_account, is_not_a_company};
use crate::fetch::decode::decode;
use crate::model::Account;
use crate::text::name_key;
use std::collections::HashMap;

/// A problem with the file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{file}: no column for the company name (expected a header such as `name`, `Company name` or `Название компании`, or pass --map \"YOUR COLUMN=name\"; found: {found})"
    )]
    NoNameColumn { file: String, found: String },
    #[error("{file}: the CSV could not be read: {message}")]
    Csv { file: String, message: String },
    #[error(
        "{file}: not valid JSON for accounts ({message}); expected an array of objects or {{\"accounts\": [...]}}"
    )]
    Json { file: String, message: String },
    #[error("--map `{0}`: expected COLUMN=FIELD, e.g. --map \"Код клиента=crm_id\"")]
    MapSyntax(String),
    #[error("--map: {0}")]
    MapField(#[from] UnknownField),
    #[error("unknown CRM `{0}` (expected hubspot, amocrm, bitrix24 or generic)")]
    UnknownCrm(String),
}

/// A rejected row and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// CSV: the 1-based line number in the file (the header is row 1). JSON: the 1-based record.
    pub row: usize,
    /// "row" for CSV, "record" for JSON and API batches.
    pub unit: &'static str,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.unit, self.row, self.message)
    }
}

/// Parsed records: the good accounts and the rejected rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub accounts: Vec<Account>,
    pub errors: Vec<RowError>,
    /// The CRM the layout was recognised as.
    pub crm: String,
    /// Columns no field was found for (shown so the user can `--map` them).
    pub unmapped: Vec<String>,
}

/// How to read a file: explicit column mappings and the CRM, when the user knows better.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Header (any case) → field, winning over the built-in header lists.
    pub map: Vec<(String, Field)>,
    /// `hubspot`, `amocrm`, `bitrix24` or `generic`; recognised from the headers when unset.
    pub crm: Option<String>,
}

impl ImportOptions {
    /// Parses `--map` arguments (`COLUMN=FIELD`).
    pub fn with_maps(mut self, maps: &[String]) -> Result<Self, ImportError> {
        for m in maps {
            let (col, field) = m
                .rsplit_once('=')
                .ok_or_else(|| ImportError::MapSyntax(m.clone()))?;
            if col.trim().is_empty() {
                return Err(ImportError::MapSyntax(m.clone()));
            }
            self.map.push((col.trim().to_string(), field.parse()?));
        }
        Ok(self)
    }

    /// Sets the CRM, checking the name.
    pub fn with_crm(mut self, crm: Option<&str>) -> Result<Self, ImportError> {
        if let Some(c) = crm {
            let c = c.trim().to_ascii_lowercase();
            if !CRMS.contains(&c.as_str()) {
                return Err(ImportError::UnknownCrm(c));
            }
            self.crm = Some(c);
        }
        Ok(self)
    }
}

const CRMS: &[&str] = &["hubspot", "amocrm", "bitrix24", "generic"];

/// Header spellings (as name keys: lowercase, punctuation as spaces, ё→е) of the generic layout
/// and of HubSpot, amoCRM/Kommo and Bitrix24 company exports in English and Russian.
const HEADERS: &[(Field, &[&str])] = &[
    (
        Field::CrmId,
        &[
            "crm id",
            "crm_id",
            "id",
            "record id",
            "company id",
            "id компании",
            "ид",
            "идентификатор",
            "external id",
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
            "полное наименование",
            "наименование организации",
            "организация",
        ],
    ),
    (
        Field::Aliases,
        &[
            "aliases",
            "alias",
            "синонимы",
            "другие названия",
            "краткое наименование",
            "бренд",
            "brand",
            "brands",
            "also known as",
        ],
    ),
    (
        Field::Inn,
        &["inn", "инн", "реквизит инн", "реквизиты инн", "tax id"],
    ),
    (Field::Ogrn, &["ogrn", "огрн", "реквизит огрн", "огрнип"]),
    (Field::Kpp, &["kpp", "кпп", "реквизит кпп"]),
    (
        Field::Domain,
        &[
            "domain",
            "domains",
            "company domain name",
            "additional domains",
            "website",
            "website url",
            "web",
            "url",
            "сайт",
            "веб сайт",
            "домен",
            "корпоративный сайт",
            "сайт рабочий",
            "рабочий сайт",
            "сайт компании",
            "corporate website",
            "work website",
        ],
    ),
    (
        Field::Ticker,
        &["ticker", "ticker symbol", "тикер", "stock symbol"],
    ),
    (Field::Cik, &["cik", "sec cik", "central index key"]),
    (
        Field::Country,
        &[
            "country",
            "country region",
            "страна",
            "country of registration",
        ],
    ),
    (
        Field::Region,
        &[
            "region",
            "state region",
            "state",
            "регион",
            "область",
            "субъект рф",
        ],
    ),
    (
        Field::City,
        &["city", "город", "населенный пункт", "адрес город"],
    ),
    (
        Field::Industry,
        &[
            "industry",
            "отрасль",
            "сфера деятельности",
            "вид деятельности",
            "industry type",
        ],
    ),
    (
        Field::Employees,
        &[
            "employees",
            "number of employees",
            "количество сотрудников",
            "кол во сотрудников",
            "сотрудников",
            "сотрудники",
            "численность",
            "численность сотрудников",
            "headcount",
        ],
    ),
    (Field::RecordType, &["тип", "record type", "entity type"]),
    (
        Field::Size,
        &["size", "company size", "размер компании", "размер"],
    ),
    (
        Field::Revenue,
        &[
            "revenue",
            "annual revenue",
            "annual income",
            "годовой оборот",
            "выручка",
            "годовая выручка",
            "оборот",
        ],
    ),
    (
        Field::Segment,
        &[
            "segment",
            "сегмент",
            "тип компании",
            "company type",
            "type",
            "lifecycle stage",
            "категория",
        ],
    ),
    (
        Field::Owner,
        &[
            "owner",
            "company owner",
            "ответственный",
            "ответственный менеджер",
            "responsible",
            "responsible person",
            "менеджер",
            "sdr",
        ],
    ),
    (
        Field::Technologies,
        &[
            "technologies",
            "tech stack",
            "технологии",
            "стек",
            "используемые системы",
        ],
    ),
    (
        Field::LastPurchase,
        &[
            "last purchase",
            "last purchase date",
            "last order date",
            "дата последней покупки",
            "последняя покупка",
            "дата последней сделки",
            "дата последнего заказа",
        ],
    ),
    (
        Field::ContractEnd,
        &[
            "contract end",
            "contract end date",
            "renewal date",
            "окончание договора",
            "дата окончания договора",
            "дата окончания контракта",
            "договор до",
        ],
    ),
    (
        Field::UsageRatio,
        &[
            "usage ratio",
            "plan usage",
            "plan usage %",
            "usage",
            "использование тарифа",
            "использование тарифа %",
            "загрузка тарифа",
            "использование лимита",
        ],
    ),
    (
        Field::GoLive,
        &[
            "go live",
            "go live date",
            "implementation date",
            "дата запуска",
            "дата внедрения",
            "запуск",
        ],
    ),
];

static HEADER_INDEX: std::sync::LazyLock<HashMap<&'static str, Field>> =
    std::sync::LazyLock::new(|| {
        HEADERS
            .iter()
            .flat_map(|(f, names)| names.iter().map(move |n| (*n, *f)))
            .collect()
    });

fn header_key(h: &str) -> String {
    name_key(h.trim_start_matches('\u{feff}'))
        .replace('_', " ")
        .trim_end_matches(" %")
        .to_string()
}

fn field_for(header: &str, opts: &ImportOptions) -> Option<Field> {
    let key = header_key(header);
    if let Some((_, f)) = opts.map.iter().find(|(c, _)| header_key(c) == key) {
        return Some(*f);
    }
    if let Some(f) = HEADER_INDEX.get(key.as_str()) {
        return Some(*f);
    }
    // Bitrix24 requisites: "Реквизит: ИНН", "Реквизит (Россия): КПП", "Details: INN".
    for prefix in ["реквизит ", "реквизиты ", "details "] {
        if let Some(rest) = key.strip_prefix(prefix) {
            let rest = rest.strip_prefix("россия ").unwrap_or(rest);
            return HEADER_INDEX.get(rest).copied();
        }
    }
    // "ИНН (Реквизиты)", "Сайт (рабочий)", "Company Domain Name (custom)": the leading words decide.
    let words: Vec<&str> = key.split(' ').collect();
    (1..words.len())
        .rev()
        .find_map(|n| HEADER_INDEX.get(words[..n].join(" ").as_str()).copied())
}

/// Which CRM wrote these headers (name keys).
fn recognise_crm(headers: &[String]) -> &'static str {
    let has = |k: &str| headers.iter().any(|h| h == k);
    if has("record id") || has("company domain name") || has("company owner") {
        "hubspot"
    } else if has("кем создан контакт")
        || has("полное имя контакта")
        || has("примечание 1")
        || (has("теги") && has("web"))
    {
        // amoCRM first: its custom fields often reuse Bitrix24-like names.
        "amocrm"
    } else if has("тип компании")
        || has("корпоративный сайт")
        || has("кем создана")
        || has("создана crm формой")
        || has("реквизит инн")
        || has("company type") && has("responsible")
    {
        "bitrix24"
    } else {
        "generic"
    }
}

/// One record's cells, each with its field.
type Cells<'a> = Vec<(Field, &'a str)>;
/// Cells read from JSON values.
type OwnedCells = Vec<(Field, String)>;

/// Checks every record and keeps the good ones; a CRM id seen twice is an error on the later one.
fn collect<'a>(
    records: impl Iterator<Item = (usize, Result<Cells<'a>, String>)>,
    crm: &str,
    unit: &'static str,
) -> (Vec<Account>, Vec<RowError>) {
    let mut accounts = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, cells) in records {
        let cells = match cells {
            Ok(c) => c,
            Err(message) => {
                errors.push(RowError { row, unit, message });
                continue;
            }
        };
        if cells.iter().all(|(_, v)| v.trim().is_empty())
            || cells
                .iter()
                .any(|(f, v)| *f == Field::RecordType && is_not_a_company(v))
        {
            continue;
        }
        match build_account(&cells, crm) {
            Ok(a) => {
                if let Some(first) = seen.insert(a.crm_id.clone(), row) {
                    errors.push(RowError {
                        row,
                        unit,
                        message: format!(
                            "CRM id `{}` repeats {unit} {first}; only the first is imported",
                            a.crm_id
                        ),
                    });
                    seen.insert(a.crm_id.clone(), first);
                } else {
                    accounts.push(a);
                }
            }
            Err(problems) => errors.push(RowError {
                row,
                unit,
                message: problems.join("; "),
            }),
        }
    }
    (accounts, errors)
}

/// Reads a CSV or JSON export; `file` names it in messages and its extension (or its first byte)
/// picks the format.
pub fn parse_file(bytes: &[u8], file: &str, opts: &ImportOptions) -> Result<Parsed, ImportError> {
    let text = decode(bytes, None, None).text;
    let looks_json = file.to_ascii_lowercase().ends_with(".json")
        || matches!(text.trim_start().chars().next(), Some('[' | '{'));
    if looks_json {
        parse_json_text(&text, file, opts)
    } else {
        parse_csv_text(&text, file, opts)
    }
}

/// Parses a CSV export with the built-in header lists.
pub fn parse_csv(bytes: &[u8], file: &str) -> Result<Parsed, ImportError> {
    parse_csv_text(
        &decode(bytes, None, None).text,
        file,
        &ImportOptions::default(),
    )
}

fn parse_csv_text(text: &str, file: &str, opts: &ImportOptions) -> Result<Parsed, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else if first_line.matches('\t').count() > first_line.matches(',').count() {
        b'\t'
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
    let columns: Vec<Option<Field>> = headers.iter().map(|h| field_for(h, opts)).collect();
    if !columns.contains(&Some(Field::Name)) {
        return Err(ImportError::NoNameColumn {
            file: file.into(),
            found: headers.iter().collect::<Vec<_>>().join(", "),
        });
    }
    let keys: Vec<String> = headers.iter().map(header_key).collect();
    let crm = opts
        .crm
        .clone()
        .unwrap_or_else(|| recognise_crm(&keys).to_string());
    let unmapped = headers
        .iter()
        .zip(&columns)
        .filter(|(h, c)| c.is_none() && !h.trim().is_empty())
        .map(|(h, _)| h.to_string())
        .collect();
    // The line a record starts on, counted from its byte offset, so quoted multi-line cells and
    // CRLF line ends do not shift the numbers users see.
    let bytes = text.as_bytes();
    let (mut line, mut counted) = (1usize, 0usize);
    let rows: Vec<(usize, Result<csv::StringRecord, String>)> = rdr
        .records()
        .enumerate()
        .map(|(i, r)| {
            let row = match r.as_ref().ok().and_then(|r| r.position()) {
                Some(p) => {
                    let mut at = (p.byte() as usize).min(bytes.len());
                    // After a CRLF the csv reader puts the record at the `\n`.
                    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
                        at += 1;
                    }
                    line += bytes[counted.min(at)..at]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count();
                    counted = at;
                    line
                }
                None => i + 2,
            };
            (row, r.map_err(|e| format!("unreadable CSV: {e}")))
        })
        .collect();
    let records = rows.iter().map(|(row, r)| {
        (
            *row,
            r.as_ref().map_err(Clone::clone).map(|rec| {
                rec.iter()
                    .zip(&columns)
                    .filter_map(|(v, f)| f.map(|f| (f, v)))
                    .collect::<Cells>()
            }),
        )
    });
    let (accounts, errors) = collect(records, &crm, "row");
    Ok(Parsed {
        accounts,
        errors,
        crm,
        unmapped,
    })
}

/// A JSON value as cell text: lists joined with `|`, nulls empty.
fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("|"),
        serde_json::Value::Object(o) => o
            .get("value")
            .or_else(|| o.get("name"))
            .map(cell)
            .unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Parses a JSON export: an array of objects, or an object holding one under `accounts`,
/// `companies`, `results`, `items` or `data`. Keys are read like CSV headers; a nested
/// `properties` object (HubSpot's API shape) is read as if its keys were top-level.
pub fn parse_json(bytes: &[u8], file: &str, opts: &ImportOptions) -> Result<Parsed, ImportError> {
    parse_json_text(&decode(bytes, None, None).text, file, opts)
}

fn parse_json_text(text: &str, file: &str, opts: &ImportOptions) -> Result<Parsed, ImportError> {
    let err = |message: String| ImportError::Json {
        file: file.into(),
        message,
    };
    let value: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| err(e.to_string()))?;
    let items = match &value {
        serde_json::Value::Array(a) => a.clone(),
        serde_json::Value::Object(o) => ["accounts", "companies", "results", "items", "data"]
            .iter()
            .find_map(|k| o.get(*k).and_then(|v| v.as_array()).cloned())
            .ok_or_else(|| err("no array of accounts found".into()))?,
        _ => return Err(err("the top level is neither an array nor an object".into())),
    };
    let crm = opts.crm.clone().unwrap_or_else(|| "generic".into());
    let flat: Vec<(usize, Result<OwnedCells, String>)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Some(obj) = item.as_object() else {
                return (i + 1, Err("not a JSON object".to_string()));
            };
            let mut cells = Vec::new();
            let mut push = |k: &str, v: &serde_json::Value| {
                if let Some(f) = field_for(k, opts) {
                    cells.push((f, cell(v)));
                }
            };
            for (k, v) in obj {
                if k == "properties"
                    && let Some(p) = v.as_object()
                {
                    for (pk, pv) in p {
                        push(pk, pv);
                    }
                } else {
                    push(k, v);
                }
            }
            (i + 1, Ok(cells))
        })
        .collect();
    let records = flat.iter().map(|(i, r)| {
        (
            *i,
            r.as_ref().map_err(Clone::clone).map(|cells| {
                cells
                    .iter()
                    .map(|(f, v)| (*f, v.as_str()))
                    .collect::<Cells>()
            }),
        )
    });
    let (accounts, errors) = collect(records, &crm, "record");
    if !accounts.is_empty() || !errors.is_empty() || items.is_empty() {
        Ok(Parsed {
            accounts,
            errors,
            crm,
            unmapped: Vec::new(),
        })
    } else {
        Err(err("no records".into()))
    }
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
                   c4,Zentrix,,https://www.zentrix.io/,\n\
                   c1,Ромашка again,,,\n";
        let p = parse_csv(csv.as_bytes(), "a.csv").unwrap();
        assert_eq!(p.accounts.len(), 2);
        assert_eq!(p.accounts[1].domain(), Some("zentrix.io"));
        assert_eq!(p.errors.len(), 3);
        assert_eq!(
            p.errors[0].to_string(),
            "row 3: INN 7707083894 fails its checksum"
        );
        assert!(
            p.errors[1]
                .to_string()
                .starts_with("row 4: employees `abc`")
        );
        assert!(
            p.errors[2]
                .to_string()
                .starts_with("row 6: CRM id `c1` repeats row 2")
        );
        assert_eq!(p.crm, "generic");
    }

    #[test]
    fn russian_headers_semicolons_and_cp1251() {
        let csv = "Название компании;ИНН;Сайт;Ответственный;Тип компании\nАО «Техностан»;7707083893;technostan.ru;Анна;Клиент\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(csv);
        let p = parse_csv(&bytes, "b.csv").unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let a = &p.accounts[0];
        assert_eq!(a.name, "АО «Техностан»");
        assert_eq!(a.owner.as_deref(), Some("Анна"));
        assert_eq!(a.crm_id, "inn:7707083893");
        assert_eq!(p.crm, "bitrix24");
    }

    #[test]
    fn map_overrides_and_unmapped_columns_are_named() {
        let csv = "\u{feff}Код клиента,Клиент,Телефон,Статус\nK-1,ООО «Вектор-М»,+7 900,VIP\n";
        let opts = ImportOptions::default()
            .with_maps(&[
                "Код клиента=crm_id".into(),
                "клиент=name".into(),
                "Статус=segment".into(),
            ])
            .unwrap();
        let p = parse_file(csv.as_bytes(), "c.csv", &opts).unwrap();
        assert_eq!(p.accounts[0].crm_id, "K-1");
        assert_eq!(p.accounts[0].segment.as_deref(), Some("VIP"));
        assert_eq!(p.unmapped, vec!["Телефон"]);
        assert!(
            ImportOptions::default()
                .with_maps(&["nope".into()])
                .is_err()
        );
        assert!(
            ImportOptions::default()
                .with_maps(&["a=colour".into()])
                .is_err()
        );
    }

    #[test]
    fn json_arrays_and_hubspot_properties() {
        let json = r#"{"results": [
            {"id": "901", "properties": {"name": "Kestrel Analytics", "domain": "kestrel.io",
             "numberofemployees": "85", "industry": "SOFTWARE"}},
            {"id": "902", "name": "Bad", "inn": "7707083894"},
            {"crm_id": "903", "name": "Norvane", "aliases": ["Norvane Systems", "NVS"],
             "technologies": ["Salesforce", "Snowflake"], "contract_end": "2026-12-20"},
            17
        ]}"#;
        let opts = ImportOptions::default()
            .with_maps(&["numberofemployees=employees".into()])
            .unwrap();
        let p = parse_file(json.as_bytes(), "x.json", &opts).unwrap();
        assert_eq!(p.accounts.len(), 2);
        assert_eq!(p.accounts[0].crm_id, "901");
        assert_eq!(p.accounts[0].employees, Some(85));
        assert_eq!(p.accounts[1].aliases, vec!["Norvane Systems", "NVS"]);
        assert_eq!(p.accounts[1].technologies, vec!["salesforce", "snowflake"]);
        let errs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            vec![
                "record 2: INN 7707083894 fails its checksum",
                "record 4: not a JSON object"
            ]
        );
        assert!(parse_file(b"{\"x\": 1}", "y.json", &ImportOptions::default()).is_err());
    }

    #[test]
    fn missing_name_column_is_a_file_error() {
        let e = parse_csv(b"foo,bar\n1,2\n", "c.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.csv") && e.contains("foo, bar") && e.contains("--map"),
            "{e}"
        );
    }
}
