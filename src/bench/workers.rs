//! `bench ingest --workers N`: the ingest corpus crawled by N `serve --role worker` processes
//! sharing one database (PostgreSQL, or an SQLite file), then indexed by this process from the
//! change log, as a `web` node would. Prints docs/s end to end and where the CPU went (the
//! workers, the PostgreSQL server, the indexer).

use super::{generate, peak_rss_mb};
use crate::app::{App, AppError};
use crate::config::Config;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// One run with a given number of workers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkersReport {
    pub backend: String,
    pub workers: usize,
    pub items: usize,
    pub feeds: usize,
    pub events: i64,
    /// From starting the workers until every source was crawled.
    pub crawl: Duration,
    /// The index catching up from the change log afterwards.
    pub index: Duration,
    /// CPU seconds of the worker processes, of the PostgreSQL server processes (when local),
    /// and of this process's index catch-up.
    pub worker_cpu: f64,
    pub postgres_cpu: Option<f64>,
    pub index_cpu: f64,
    pub peak_rss_mb: Option<f64>,
}

impl WorkersReport {
    /// Documents per second, crawl plus index.
    pub fn docs_per_s(&self) -> f64 {
        self.items as f64 / (self.crawl + self.index).as_secs_f64().max(1e-9)
    }

    /// The summary table of several runs.
    pub fn table(runs: &[WorkersReport]) -> String {
        let mut s = String::new();
        if let Some(r) = runs.first() {
            let _ = writeln!(
                s,
                "ingest with worker processes on {}: {} items in {} feeds → {} events",
                r.backend, r.items, r.feeds, r.events
            );
        }
        let _ = writeln!(
            s,
            "{:>7} {:>9} {:>9} {:>12} {:>11} {:>11} {:>10}",
            "workers", "crawl s", "index s", "docs/s e2e", "worker CPU", "server CPU", "index CPU"
        );
        for r in runs {
            let _ = writeln!(
                s,
                "{:>7} {:>9.2} {:>9.2} {:>12.0} {:>10.1}s {:>11} {:>9.1}s",
                r.workers,
                r.crawl.as_secs_f64(),
                r.index.as_secs_f64(),
                r.docs_per_s(),
                r.worker_cpu,
                r.postgres_cpu
                    .map_or_else(|| "-".into(), |c| format!("{c:.1}s")),
                r.index_cpu,
            );
        }
        s
    }
}

/// CPU seconds (user + system) of a process, from /proc (Linux; clock ticks of 1/100 s).
fn cpu_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU seconds of every local `postgres` process (a local server's backends and helpers).
fn postgres_cpu() -> Option<f64> {
    let mut total = None;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres"
            && let Some(c) = cpu_of(pid)
        {
            *total.get_or_insert(0.0) += c;
        }
    }
    total
}

/// CPU seconds of this process.
fn own_cpu() -> f64 {
    cpu_of(std::process::id()).unwrap_or(0.0)
}

/// Runs the corpus in `dir` with `workers` worker processes on `database` (a PostgreSQL URL, in
/// a throwaway schema; `None`: an SQLite file in `dir`).
pub async fn ingest_workers(
    dir: &Path,
    items: usize,
    accounts: usize,
    database: Option<&str>,
    workers: usize,
    progress: bool,
) -> Result<WorkersReport, AppError> {
    let io = |source| AppError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let feeds = generate(dir, items, accounts).map_err(io)?;
    let data = dir.join("data");
    let mut cfg = Config::for_data_dir(&data);
    cfg.sources_dirs = vec![dir.join("sources")];
    if let Some(url) = database {
        cfg.database_url = url.to_string();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        cfg.database_schema = Some(format!("bench_{}_{nanos}", std::process::id()));
    }
    let app = App::open(cfg.clone()).await?;
    app.import_accounts(&dir.join("accounts.csv")).await?;
    let (specs, _) = app.sources();
    app.store.sync_sources(&specs).await?;

    let mut toml = format!(
        "database_url = {:?}\nsources_dirs = [{:?}]\n[deliver]\nenabled = false\n",
        cfg.database_url,
        dir.join("sources").display().to_string(),
    );
    if let Some(s) = &cfg.database_schema {
        toml = format!("database_schema = {s:?}\n{toml}");
    }
    let exe = std::env::current_exe().map_err(io)?;
    let pg_before = postgres_cpu();
    let start = Instant::now();
    let mut children = Vec::new();
    for w in 0..workers {
        let home = dir.join(format!("worker-{w}"));
        std::fs::create_dir_all(&home).map_err(io)?;
        std::fs::write(home.join("radar.toml"), &toml).map_err(io)?;
        let log = std::fs::File::create(home.join("stderr.log")).map_err(io)?;
        let child = std::process::Command::new(&exe)
            .arg("--data")
            .arg(&home)
            .args(["serve", "--role", "worker", "--tick", "1"])
            .env_remove("TRIGGER_RADAR_DATABASE_URL")
            .env_remove("TRIGGER_RADAR_DATABASE_SCHEMA")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(io)?;
        children.push(child);
    }
    let bar = if progress {
        indicatif::ProgressBar::new(feeds as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let result = wait_for_crawls(&app, feeds, &mut children, &bar).await;
    let crawl = start.elapsed();
    let worker_cpu: f64 = children.iter().filter_map(|c| cpu_of(c.id())).sum();
    let pg_cpu = match (pg_before, postgres_cpu()) {
        (Some(a), Some(b)) if database.is_some() => Some(b - a),
        _ => None,
    };
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    bar.finish_and_clear();
    result?;

    let cpu = own_cpu();
    let t = Instant::now();
    app.catch_up_index().await?;
    app.close_indexer()?;
    let index = t.elapsed();
    let index_cpu = own_cpu() - cpu;
    let events = app.store.stats().await?.events;
    let backend = format!("{:?}", app.store.backend()).to_lowercase();
    let report = WorkersReport {
        backend,
        workers,
        items,
        feeds,
        events,
        crawl,
        index,
        worker_cpu,
        postgres_cpu: pg_cpu,
        index_cpu,
        peak_rss_mb: peak_rss_mb(),
    };
    let store = app.store.clone();
    drop(app);
    store.drop_schema().await?;
    Ok(report)
}

/// Waits until every source has been crawled; a worker that exits, or a source that fails,
/// ends the run with its error.
async fn wait_for_crawls(
    app: &App,
    feeds: usize,
    children: &mut [std::process::Child],
    bar: &indicatif::ProgressBar,
) -> Result<(), AppError> {
    loop {
        let health = app.store.source_health().await?;
        let done = health.iter().filter(|h| h.last_run_at.is_some()).count();
        bar.set_position(done as u64);
        if let Some(failed) = health
            .iter()
            .find(|h| h.last_status.as_deref() == Some("error"))
        {
            return Err(AppError::Bench(format!(
                "bench source {} failed: {}",
                failed.name,
                failed.last_error.as_deref().unwrap_or("")
            )));
        }
        if done >= feeds {
            return Ok(());
        }
        for c in children.iter_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(AppError::Bench(format!(
                    "a worker exited early ({status}); see worker-*/stderr.log in the bench folder"
                )));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
