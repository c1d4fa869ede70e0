//! `bench search`: N generated RU+EN events in the tantivy index and, for comparison, in SQLite
//! FTS5 (porter + unicode61; FTS5 has no Russian stemmer, so its Russian queries name the exact
//! forms the generated text uses and find the same events — prefix queries without a prefix
//! index took minutes), then
//! a fixed set of 50 marketer queries — words, phrases, AND/OR/NOT, filters, date ranges — each
//! with a page of 20 hits, the total and the seven facet counts, p50 and p99 latency on both.

use super::Rng;
use crate::model::{AccountTag, Event, EventStatus, Lang, TriggerKind};
use crate::search::{Filters, IndexDoc, SearchIndex, SearchQuery, Sort};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, Row, SqlitePool};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// What the bench measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchReport {
    pub events: usize,
    pub queries: usize,
    pub rounds: usize,
    pub index_build: Duration,
    pub fts_build: Duration,
    pub index_mb: f64,
    pub fts_mb: f64,
    /// Events per index segment when the queries ran.
    pub segments: Vec<u32>,
    pub tantivy_p50_ms: f64,
    pub tantivy_p99_ms: f64,
    pub fts_p50_ms: f64,
    pub fts_p99_ms: f64,
    /// Queries whose slowest tantivy run exceeded 10 ms (with that time).
    pub slow: Vec<(String, f64)>,
}

impl SearchReport {
    /// The terminal table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "search: {} events, {} queries × {} rounds (FTS5: one), each with 20 hits, the total and 7 facet counts",
            self.events, self.queries, self.rounds
        );
        let _ = writeln!(
            s,
            "{:<22} {:>10} {:>10} {:>10} {:>10}",
            "engine", "build s", "size MB", "p50 ms", "p99 ms"
        );
        let _ = writeln!(
            s,
            "{:<22} {:>10.1} {:>10.0} {:>10.2} {:>10.2}",
            "tantivy",
            self.index_build.as_secs_f64(),
            self.index_mb,
            self.tantivy_p50_ms,
            self.tantivy_p99_ms
        );
        let _ = writeln!(
            s,
            "{:<22} {:>10.1} {:>10.0} {:>10.2} {:>10.2}",
            "SQLite FTS5",
            self.fts_build.as_secs_f64(),
            self.fts_mb,
            self.fts_p50_ms,
            self.fts_p99_ms
        );
        let _ = writeln!(
            s,
            "FTS5 / tantivy: p50 ×{:.1}, p99 ×{:.1}",
            self.fts_p50_ms / self.tantivy_p50_ms.max(1e-9),
            self.fts_p99_ms / self.tantivy_p99_ms.max(1e-9)
        );
        let _ = writeln!(s, "tantivy segments (events each): {:?}", self.segments);
        for (q, ms) in &self.slow {
            let _ = writeln!(s, "  over 10 ms on tantivy: {q} ({ms:.1} ms)");
        }
        s
    }
}

const RU_WORDS: &[&str] = &[
    "компания",
    "завод",
    "производство",
    "проект",
    "инвестиции",
    "рынок",
    "выручка",
    "сделка",
    "акции",
    "контракт",
    "клиент",
    "поставки",
    "логистика",
    "склад",
    "сотрудники",
    "директор",
    "банк",
    "кредит",
    "облигации",
    "регион",
    "область",
    "мощность",
    "линия",
    "оборудование",
    "технологии",
    "система",
    "внедрение",
    "цифровой",
    "платформа",
    "экспорт",
    "импорт",
    "строительство",
    "площадка",
    "тонн",
    "рублей",
    "миллионов",
    "год",
    "квартал",
    "рост",
    "снижение",
    "партнёр",
    "соглашение",
    "подписала",
    "открыла",
    "запустила",
    "приобрела",
    "объявила",
    "планирует",
    "сообщила",
    "отрасль",
    "металл",
    "зерно",
    "нефть",
    "газ",
    "энергетика",
    "розница",
    "сеть",
    "магазин",
    "торговый",
    "центр",
    "филиал",
    "офис",
];
const EN_WORDS: &[&str] = &[
    "company",
    "plant",
    "factory",
    "production",
    "project",
    "investment",
    "market",
    "revenue",
    "deal",
    "shares",
    "contract",
    "customer",
    "supply",
    "logistics",
    "warehouse",
    "employees",
    "executive",
    "bank",
    "loan",
    "bonds",
    "region",
    "state",
    "capacity",
    "line",
    "equipment",
    "technology",
    "system",
    "rollout",
    "digital",
    "platform",
    "export",
    "import",
    "construction",
    "site",
    "tons",
    "dollars",
    "million",
    "year",
    "quarter",
    "growth",
    "decline",
    "partner",
    "agreement",
    "signed",
    "opened",
    "launched",
    "acquired",
    "announced",
    "plans",
    "said",
    "industry",
    "steel",
    "grain",
    "oil",
    "gas",
    "energy",
    "retail",
    "chain",
    "store",
    "centre",
    "branch",
    "office",
    "software",
    "cloud",
    "migration",
];
const RU_LEADS: &[&str] = &[
    "приобрела долю в",
    "открыла новый завод",
    "назначила генерального директора",
    "привлекла инвестиции",
    "сократит сотрудников",
    "потеряла ключевого клиента",
    "выиграла тендер",
    "запустила производство",
];
const EN_LEADS: &[&str] = &[
    "agreed to acquire",
    "opened a new plant",
    "named a new chief executive",
    "raised funding",
    "will cut jobs",
    "lost its largest customer",
    "won a contract",
    "launched production",
];
const REGIONS: &[&str] = &[
    "Москва",
    "Санкт-Петербург",
    "Тульская область",
    "Татарстан",
    "Свердловская область",
    "Новосибирская область",
    "Ohio",
    "Texas",
    "California",
    "Bavaria",
    "Ontario",
    "Kazakhstan",
];
const INDUSTRIES: &[&str] = &[
    "Logistics",
    "Manufacturing",
    "Retail",
    "Energy",
    "Agriculture",
    "Finance",
    "IT",
    "Metals",
];
const SEGMENTS: &[&str] = &["Enterprise", "Mid-market", "SMB"];
const SOURCE_KINDS: &[&str] = &["feed", "feed", "feed", "html", "hh", "edgar", "json"];

/// A word picked with a skew towards the first ones (a rough Zipf), as in real text.
fn skewed<'a>(rng: &mut Rng, words: &'a [&'a str]) -> &'a str {
    let a = (rng.next() % words.len() as u64) as usize;
    let b = (rng.next() % words.len() as u64) as usize;
    words[a.min(b)]
}

fn sentence(rng: &mut Rng, ru: bool, n: usize) -> String {
    let words = if ru { RU_WORDS } else { EN_WORDS };
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(skewed(rng, words));
    }
    s
}

/// The i-th generated event.
fn event(rng: &mut Rng, i: usize) -> IndexDoc {
    let ru = i.is_multiple_of(2);
    let kind = TriggerKind::ALL[(rng.next() % 12) as usize];
    let company = super::company(rng, ru);
    let lead = if ru {
        RU_LEADS[(rng.next() % RU_LEADS.len() as u64) as usize]
    } else {
        EN_LEADS[(rng.next() % EN_LEADS.len() as u64) as usize]
    };
    let evidence = format!("{company} {lead} {}.", sentence(rng, ru, 12));
    let title = format!("{company}: {}", sentence(rng, ru, 5));
    let day = (rng.next() % 365) as i64;
    let status = [
        EventStatus::Announced,
        EventStatus::Completed,
        EventStatus::Planned,
        EventStatus::Rumoured,
    ][(rng.next() % 4) as usize];
    let region = if ru {
        REGIONS[(rng.next() % 6) as usize]
    } else {
        REGIONS[6 + (rng.next() % 6) as usize]
    };
    IndexDoc {
        event: Event {
            id: i as i64 + 1,
            story_id: i as i64 + 1,
            kind,
            status,
            confidence: 0.6 + (rng.next() % 40) as f32 / 100.0,
            evidence,
            companies: vec![company.clone()],
            locations: Vec::new(),
            technologies: Vec::new(),
            source: format!("source-{}", rng.next() % 500),
            url: format!("https://news.example/{i}"),
            title,
            lang: if ru { Lang::Ru } else { Lang::En },
            published_at: chrono::DateTime::from_timestamp(1_764_547_200 + day * 86_400, 0)
                .unwrap_or_default(),
            baseline: false,
        },
        accounts: vec![AccountTag {
            id: (rng.next() % 100_000) as i64,
            name: company,
            industry: Some(INDUSTRIES[(rng.next() % INDUSTRIES.len() as u64) as usize].into()),
            region: Some(region.into()),
            segment: Some(SEGMENTS[(rng.next() % 3) as usize].into()),
        }],
        source_kind: SOURCE_KINDS[(rng.next() % SOURCE_KINDS.len() as u64) as usize].into(),
    }
}

/// One bench query: for tantivy, and as FTS5 MATCH text with the same filters in SQL.
struct BenchQuery {
    text: &'static str,
    fts: &'static str,
    filters: Filters,
    sort: Sort,
}

fn queries() -> Vec<BenchQuery> {
    let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day);
    let q = |text, fts| BenchQuery {
        text,
        fts,
        filters: Filters::default(),
        sort: Sort::Relevance,
    };
    let mut v = vec![
        q("завод", "завод"),
        q("заводами", "завод"),
        q("производство", "производство"),
        q("инвестиции", "инвестиции"),
        q("сделка", "сделка"),
        q("логистика склад", "логистика AND склад"),
        q("\"новый завод\"", "\"новый завод\""),
        q("контракт OR тендер", "контракт OR тендер"),
        q("банк NOT кредит", "банк NOT кредит"),
        q("платформа цифровой", "платформа AND цифровой"),
        q("нефть газ", "нефть AND газ"),
        q("директор", "директор"),
        q("plant", "plant"),
        q("plants", "plant"),
        q("acquire", "acquire"),
        q("investment", "investment"),
        q("\"new plant\"", "\"new plant\""),
        q("logistics warehouse", "logistics AND warehouse"),
        q("cloud migration", "cloud AND migration"),
        q("contract OR deal", "contract OR deal"),
        q("steel NOT energy", "steel NOT energy"),
        q("software platform", "software AND platform"),
        q("layoffs OR cut", "layoffs OR cut"),
        q("executive", "executive"),
        q("funding", "funding"),
        q("quarter revenue growth", "quarter AND revenue AND growth"),
        q("companies:brightvane", "companies:brightvane"),
    ];
    let filtered: Vec<(&'static str, &'static str, Filters, Sort)> = vec![
        (
            "",
            "",
            Filters {
                kinds: vec![TriggerKind::Acquisition],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "",
            "",
            Filters {
                kinds: vec![TriggerKind::NewFacility],
                regions: vec!["Тульская область".into()],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "завод",
            "завод",
            Filters {
                regions: vec!["Татарстан".into()],
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "plant",
            "plant",
            Filters {
                regions: vec!["Ohio".into(), "Texas".into()],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "",
            "",
            Filters {
                industries: vec!["Logistics".into()],
                from: d(11, 1),
                to: d(11, 30),
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "инвестиции",
            "инвестиции",
            Filters {
                kinds: vec![TriggerKind::Funding],
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "deal",
            "deal",
            Filters {
                statuses: vec!["completed".into()],
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "",
            "",
            Filters {
                source_kinds: vec!["hh".into()],
                langs: vec!["ru".into()],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "",
            "",
            Filters {
                segments: vec!["Enterprise".into()],
                kinds: vec![TriggerKind::ExecutiveHire],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "",
            "",
            Filters {
                from: d(12, 1),
                to: d(12, 7),
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "контракт",
            "контракт",
            Filters {
                from: d(10, 1),
                to: d(12, 31),
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "customer",
            "customer",
            Filters {
                kinds: vec![TriggerKind::ContractLost],
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "",
            "",
            Filters {
                kinds: vec![TriggerKind::Ipo, TriggerKind::Funding],
                segments: vec!["SMB".into()],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "склад",
            "склад",
            Filters {
                industries: vec!["Retail".into()],
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "energy",
            "energy",
            Filters {
                industries: vec!["Energy".into()],
                regions: vec!["Texas".into()],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "",
            "",
            Filters {
                langs: vec!["en".into()],
                statuses: vec!["rumoured".into()],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "сотрудники",
            "сотрудники",
            Filters {
                kinds: vec![TriggerKind::Layoffs],
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "equipment",
            "equipment",
            Filters {
                from: d(6, 1),
                to: d(8, 31),
                ..Filters::default()
            },
            Sort::Relevance,
        ),
        (
            "",
            "",
            Filters {
                regions: vec!["Москва".into()],
                industries: vec!["IT".into()],
                ..Filters::default()
            },
            Sort::Date,
        ),
        ("облигации", "облигации", Filters::default(), Sort::Date),
        ("bonds", "bonds", Filters::default(), Sort::Date),
        (
            "",
            "",
            Filters {
                kinds: vec![TriggerKind::TechChange],
                ..Filters::default()
            },
            Sort::Date,
        ),
        (
            "миграция OR внедрение",
            "миграция OR внедрение",
            Filters {
                kinds: vec![TriggerKind::TechChange],
                ..Filters::default()
            },
            Sort::Relevance,
        ),
    ];
    for (text, fts, filters, sort) in filtered {
        v.push(BenchQuery {
            text,
            fts,
            filters,
            sort,
        });
    }
    v
}

fn dir_mb(dir: &Path) -> f64 {
    let mut total = 0u64;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            total += e.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    total as f64 / 1e6
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Builds both indexes of `events` generated events in `dir` and times the queries.
pub async fn run(
    dir: &Path,
    events: usize,
    rounds: usize,
    with_fts: bool,
    progress: bool,
) -> Result<SearchReport, String> {
    let bar = if progress {
        indicatif::ProgressBar::new(events as u64 * 2)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let index_dir = dir.join("index");
    let index = SearchIndex::open(&index_dir).map_err(|e| e.to_string())?;
    let fts = fts_open(&dir.join("fts.db")).await?;
    // Each engine gets its own pass over the same generated events (same seed), so neither
    // build overlaps the other; both times include generating the events (a small share).
    let t = Instant::now();
    {
        let writer = index.writer(400, usize::MAX).map_err(|e| e.to_string())?;
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut i = 0;
        while i < events {
            let n = 20_000.min(events - i);
            let batch: Vec<IndexDoc> = (i..i + n).map(|k| event(&mut rng, k)).collect();
            writer.add(batch).map_err(|e| e.to_string())?;
            i += n;
            bar.set_position(i as u64);
        }
        writer.commit().map_err(|e| e.to_string())?;
    }
    let index_build = t.elapsed();
    let t = Instant::now();
    if with_fts {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut i = 0;
        while i < events {
            let n = 20_000.min(events - i);
            let batch: Vec<IndexDoc> = (i..i + n).map(|k| event(&mut rng, k)).collect();
            fts_insert(&fts, &batch).await?;
            i += n;
            bar.set_position((events + i) as u64);
        }
        sqlx::query("INSERT INTO ev(ev) VALUES('optimize')")
            .execute(&fts)
            .await
            .map_err(|e| e.to_string())?;
    }
    let fts_build = t.elapsed();
    index.reload().map_err(|e| e.to_string())?;
    bar.finish_and_clear();

    let qs = queries();
    // Warm tantivy (the first queries load its files into the page cache); FTS5's pages are
    // still cached from its build.
    for q in &qs {
        tantivy_query(&index, q)?;
    }
    let mut t_times = Vec::new();
    let mut f_times = Vec::new();
    let mut worst: Vec<f64> = vec![0.0; qs.len()];
    for _ in 0..rounds {
        for (k, q) in qs.iter().enumerate() {
            let t = Instant::now();
            tantivy_query(&index, q)?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            worst[k] = worst[k].max(ms);
            t_times.push(ms);
        }
    }
    // FTS5 once per query: its slowest queries take seconds on a million events.
    if with_fts {
        for q in &qs {
            let t = Instant::now();
            fts_query(&fts, q).await?;
            f_times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    t_times.sort_by(f64::total_cmp);
    f_times.sort_by(f64::total_cmp);
    fts.close().await;
    let slow = qs
        .iter()
        .zip(&worst)
        .filter(|(_, ms)| **ms > 10.0)
        .map(|(q, ms)| {
            let label = if q.text.is_empty() {
                format!("(filters only) {:?}", q.filters)
            } else {
                q.text.to_string()
            };
            (label, *ms)
        })
        .collect();
    Ok(SearchReport {
        events,
        queries: qs.len(),
        rounds,
        index_build,
        fts_build,
        index_mb: dir_mb(&index_dir),
        fts_mb: ["fts.db", "fts.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(dir.join(f)).map_or(0, |m| m.len()) as f64 / 1e6)
            .sum(),
        tantivy_p50_ms: percentile(&t_times, 0.5),
        tantivy_p99_ms: percentile(&t_times, 0.99),
        segments: index.segment_sizes(),
        fts_p50_ms: percentile(&f_times, 0.5),
        fts_p99_ms: percentile(&f_times, 0.99),
        slow,
    })
}

fn tantivy_query(index: &SearchIndex, q: &BenchQuery) -> Result<usize, String> {
    let r = index
        .search(&SearchQuery {
            text: q.text.to_string(),
            filters: q.filters.clone(),
            limit: 20,
            offset: 0,
            sort: q.sort,
            facets: true,
        })
        .map_err(|e| e.to_string())?;
    Ok(r.total + r.hits.len() + r.facets.len())
}

async fn fts_open(path: &Path) -> Result<SqlitePool, String> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
                // Slow statements are what this bench measures, not news for the log.
                .disable_statement_logging(),
        )
        .await
        .map_err(|e| e.to_string())?;
    for ddl in [
        "CREATE VIRTUAL TABLE ev USING fts5(title, evidence, companies, tokenize = 'porter unicode61 remove_diacritics 2')",
        "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, status TEXT, source_kind TEXT, lang TEXT, \
         industry TEXT, region TEXT, segment TEXT, account_id INTEGER, published INTEGER)",
        "CREATE INDEX events_kind ON events (kind, published)",
        "CREATE INDEX events_region ON events (region)",
        "CREATE INDEX events_industry ON events (industry)",
        "CREATE INDEX events_published ON events (published)",
    ] {
        sqlx::query(ddl)
            .execute(&pool)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(pool)
}

async fn fts_insert(pool: &SqlitePool, batch: &[IndexDoc]) -> Result<(), String> {
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    for d in batch {
        let e = &d.event;
        let a = d.accounts.first().cloned().unwrap_or_default();
        sqlx::query("INSERT INTO ev (rowid, title, evidence, companies) VALUES ($1, $2, $3, $4)")
            .bind(e.id)
            .bind(&e.title)
            .bind(&e.evidence)
            .bind(e.companies.join(" "))
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query("INSERT INTO events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(e.id)
            .bind(e.kind.as_str())
            .bind(e.status.as_str())
            .bind(&d.source_kind)
            .bind(e.lang.as_str())
            .bind(a.industry)
            .bind(a.region)
            .bind(a.segment)
            .bind(a.id)
            .bind(e.published_at.timestamp())
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())
}

/// The same work in SQL: the page of hits, the total and seven facet counts.
async fn fts_query(pool: &SqlitePool, q: &BenchQuery) -> Result<usize, String> {
    let mut filter = String::new();
    let mut args: Vec<String> = Vec::new();
    let f = &q.filters;
    let kinds: Vec<String> = f.kinds.iter().map(|k| k.as_str().to_string()).collect();
    for (col, values) in [
        ("kind", &kinds),
        ("status", &f.statuses),
        ("source_kind", &f.source_kinds),
        ("lang", &f.langs),
        ("industry", &f.industries),
        ("region", &f.regions),
        ("segment", &f.segments),
    ] {
        if values.is_empty() {
            continue;
        }
        let marks: Vec<String> = values
            .iter()
            .map(|v| {
                args.push(v.clone());
                format!("${}", args.len() + 1)
            })
            .collect();
        let _ = write!(filter, " AND e.{col} IN ({})", marks.join(", "));
    }
    let day = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
    };
    if let Some(d) = f.from {
        let _ = write!(filter, " AND e.published >= {}", day(d));
    }
    if let Some(d) = f.to.and_then(|d| d.succ_opt()) {
        let _ = write!(filter, " AND e.published < {}", day(d));
    }
    let (from, order) = if q.fts.is_empty() {
        (
            "events e WHERE 1 = 1 AND $1 = $1".to_string(),
            "e.published DESC",
        )
    } else {
        (
            // CROSS JOIN keeps the full-text match the outer loop: with a plain join SQLite may
            // walk a filter's index and run the MATCH once per row, minutes per query.
            "ev CROSS JOIN events e ON e.id = ev.rowid WHERE ev MATCH $1".to_string(),
            if q.sort == Sort::Date {
                "e.published DESC"
            } else {
                "ev.rank"
            },
        )
    };
    let run = |sql: String| {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(q.fts);
        for a in &args {
            query = query.bind(a.clone());
        }
        query
    };
    let mut n = 0;
    let hits = run(format!(
        "SELECT e.id FROM {from}{filter} ORDER BY {order} LIMIT 20"
    ))
    .fetch_all(pool)
    .await
    .map_err(|e| format!("{}: {e}", q.fts))?;
    n += hits.len();
    let total: i64 = run(format!("SELECT COUNT(*) FROM {from}{filter}"))
        .fetch_one(pool)
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    n += total as usize;
    // The side table's columns are named as the index's facet fields.
    for col in crate::search::schema::FACETS {
        let rows = run(format!(
            "SELECT e.{col}, COUNT(*) FROM {from}{filter} GROUP BY e.{col}"
        ))
        .fetch_all(pool)
        .await
        .map_err(|e| e.to_string())?;
        n += rows.len();
    }
    Ok(n)
}
