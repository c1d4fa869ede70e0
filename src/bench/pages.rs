//! `bench pages`: an instance with N accounts (the ingest corpus's generator: RU and EN names,
//! segments, owners, industries, regions), a crawl of its news, scores for every account; then
//! each page and API answer SDRs and marketers use, requested repeatedly over loopback HTTP:
//! p50 and p99 server time per page.

use super::generate;
use crate::app::{App, AppError};
use crate::config::Config;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One page's timings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageTime {
    pub page: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub bytes: usize,
}

/// What the bench measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PagesReport {
    pub accounts: i64,
    pub scored: i64,
    pub events: i64,
    pub setup: Duration,
    pub pages: Vec<PageTime>,
}

impl PagesReport {
    /// The terminal table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "pages: {} accounts ({} scored), {} events; set up in {:.0} s",
            self.accounts,
            self.scored,
            self.events,
            self.setup.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "{:<44} {:>9} {:>9} {:>9}",
            "page", "p50 ms", "p99 ms", "KB"
        );
        for p in &self.pages {
            let _ = writeln!(
                s,
                "{:<44} {:>9.2} {:>9.2} {:>9.1}",
                p.page,
                p.p50_ms,
                p.p99_ms,
                p.bytes as f64 / 1e3
            );
        }
        let worst = self.pages.iter().map(|p| p.p99_ms).fold(0.0, f64::max);
        let _ = writeln!(s, "slowest p99: {worst:.1} ms");
        s
    }
}

fn industry_segment_fill(csv: &str) -> String {
    // The generator writes crm_id,name,country; pages filter by segment, owner, industry, region.
    const SEGMENTS: &[&str] = &["enterprise", "mid-market", "smb"];
    const OWNERS: &[&str] = &[
        "Anna", "Oleg", "Maria", "John", "Priya", "Dmitry", "Olga", "Sam",
    ];
    const INDUSTRIES: &[&str] = &[
        "logistics",
        "manufacturing",
        "retail",
        "energy",
        "agriculture",
        "finance",
        "it",
        "metals",
    ];
    const REGIONS: &[&str] = &[
        "Москва",
        "Тульская область",
        "Татарстан",
        "Свердловская область",
        "Ohio",
        "Texas",
        "California",
        "Bavaria",
    ];
    let mut out = String::from("crm_id,name,country,segment,owner,industry,region\n");
    for (i, line) in csv.lines().skip(1).enumerate() {
        let _ = writeln!(
            out,
            "{line},{},{},{},{}",
            SEGMENTS[i % SEGMENTS.len()],
            OWNERS[i % OWNERS.len()],
            INDUSTRIES[(i / 3) % INDUSTRIES.len()],
            REGIONS[(i / 7) % REGIONS.len()]
        );
    }
    out
}

/// Builds the instance in `dir` and times `rounds` requests of each page.
pub async fn run(
    dir: &Path,
    accounts: usize,
    items: usize,
    rounds: usize,
    progress: bool,
) -> Result<PagesReport, AppError> {
    let io = |source| AppError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let t = Instant::now();
    generate(dir, items, accounts).map_err(io)?;
    let csv = std::fs::read_to_string(dir.join("accounts.csv")).map_err(io)?;
    std::fs::write(dir.join("accounts.csv"), industry_segment_fill(&csv)).map_err(io)?;
    let mut cfg = Config::for_data_dir(&dir.join("data"));
    cfg.sources_dirs = vec![dir.join("sources")];
    let app = App::open(cfg).await?;
    app.import_accounts(&dir.join("accounts.csv")).await?;
    app.crawl(None, false, progress).await?;
    app.close_indexer()?;
    let setup = t.elapsed();
    let stats = app.store.stats().await?;
    let scored = app.store.leads_page(&Default::default(), 1, 0).await?.total;
    let some_account = app
        .store
        .leads_page(&Default::default(), 50, 0)
        .await?
        .leads
        .iter()
        .map(|(a, _)| a.id)
        .collect::<Vec<_>>();
    let app = Arc::new(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(io)?;
    let base = format!("http://{}", listener.local_addr().map_err(io)?);
    tokio::spawn(crate::web::serve(
        app.clone(),
        listener,
        std::future::pending(),
    ));
    let mut pages: Vec<(String, String)> = [
        ("hot leads", "/"),
        ("hot leads, page 4", "/?page=4"),
        ("hot leads, band=hot", "/?band=hot"),
        (
            "hot leads, segment+owner",
            "/?segment=enterprise&owner=Anna",
        ),
        ("hot leads, kind=acquisition", "/?kind=acquisition"),
        ("hot leads, region+min score", "/?region=Ohio&min=20"),
        ("search page, empty", "/search"),
        (
            "search page, завод",
            "/search?q=%D0%B7%D0%B0%D0%B2%D0%BE%D0%B4",
        ),
        (
            "search page, acquire + kind",
            "/search?q=acquire&kind=acquisition",
        ),
        (
            "search page, filters only",
            "/search?region=Texas&sort=date",
        ),
        ("sources", "/sources"),
        ("leads Atom feed", "/leads.atom"),
        ("API leads", "/api/leads"),
        ("API events", "/api/events?q=acquire"),
        (
            "API accounts (cursor)",
            "/api/accounts?limit=100&after=50000",
        ),
    ]
    .iter()
    .map(|(n, p)| (n.to_string(), p.to_string()))
    .collect();
    for id in some_account.iter().take(3) {
        pages.push((format!("account {id}"), format!("/accounts/{id}")));
    }
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for (name, path) in &pages {
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        // One warm-up request (page cache, statement cache).
        let _ = http.get(format!("{base}{path}")).send().await;
        for _ in 0..rounds {
            let t = Instant::now();
            let r = http
                .get(format!("{base}{path}"))
                .send()
                .await
                .map_err(|e| AppError::Bench(format!("{path}: {e}")))?;
            if !r.status().is_success() {
                return Err(AppError::Bench(format!("{path}: HTTP {}", r.status())));
            }
            let body = r
                .bytes()
                .await
                .map_err(|e| AppError::Bench(format!("{path}: {e}")))?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            bytes = body.len();
        }
        times.sort_by(f64::total_cmp);
        let pick = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        out.push(PageTime {
            page: name.clone(),
            p50_ms: pick(0.5),
            p99_ms: pick(0.99),
            bytes,
        });
    }
    Ok(PagesReport {
        accounts: stats.accounts,
        scored,
        events: stats.events,
        setup,
        pages: out,
    })
}
