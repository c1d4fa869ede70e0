//! `trigger-radar bench poll --feeds N`: N feeds on a local fixture server (a child process, so
//! its CPU is not ours), polled through the whole fetch layer and pipeline as `crawl` polls
//! them. Three rounds: every feed new (full pipeline), every feed answering 304 to its ETag,
//! and every feed answering 200 with an unchanged body (no validators). Reports this process's
//! CPU time per polled feed in each round, peak RSS, and whether N feeds every 15 minutes fit
//! in under 10% of one core.

use crate::app::{App, AppError};
use crate::config::Config;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Items per fixture feed.
const ITEMS: usize = 10;

/// One round of polling.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Round {
    pub name: &'static str,
    pub feeds: usize,
    pub wall: Duration,
    /// User + system CPU time of this process.
    pub cpu: Duration,
    pub failed: usize,
}

impl Round {
    /// CPU time per polled feed, in microseconds.
    pub fn cpu_per_feed_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.feeds.max(1) as f64
    }
    /// Share of one core that polling `feeds` every `every` takes at this cost.
    pub fn core_share(&self, feeds: usize, every: Duration) -> f64 {
        self.cpu_per_feed_us() * 1e-6 * feeds as f64 / every.as_secs_f64()
    }
}

/// Result of the polling bench.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PollReport {
    pub feeds: usize,
    pub hosts: usize,
    pub rounds: Vec<Round>,
    pub peak_rss_mb: Option<f64>,
}

impl PollReport {
    /// A table for the terminal and the notes.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let every = Duration::from_secs(15 * 60);
        let _ = writeln!(
            s,
            "poll: {} feeds on {} local hosts, {} items each, full fetch layer (robots, per-host turns, conditional GET)",
            self.feeds, self.hosts, ITEMS
        );
        let _ = writeln!(
            s,
            "{:<16} {:>8} {:>9} {:>9} {:>14} {:>22}",
            "round", "failed", "wall s", "CPU s", "CPU µs/feed", "every 15 min: 1 core"
        );
        for r in &self.rounds {
            let _ = writeln!(
                s,
                "{:<16} {:>8} {:>9.2} {:>9.2} {:>14.0} {:>21.2}%",
                r.name,
                r.failed,
                r.wall.as_secs_f64(),
                r.cpu.as_secs_f64(),
                r.cpu_per_feed_us(),
                100.0 * r.core_share(self.feeds, every)
            );
        }
        let steady: Vec<&Round> = self.rounds.iter().filter(|r| r.name != "new").collect();
        if let Some(worst) = steady
            .iter()
            .map(|r| r.core_share(self.feeds, every))
            .reduce(f64::max)
        {
            let _ = writeln!(
                s,
                "{} feeds every 15 minutes (unchanged feeds, the steady state): {:.2}% of one core → {}",
                self.feeds,
                100.0 * worst,
                if worst < 0.10 {
                    "fits in < 10%"
                } else {
                    "does NOT fit in 10%"
                }
            );
        }
        match self.peak_rss_mb {
            Some(m) => {
                let _ = writeln!(s, "peak RSS: {m:.0} MiB");
            }
            None => {
                let _ = writeln!(s, "peak RSS: not available on this OS");
            }
        }
        s
    }
}

/// User + system CPU time of this process (Linux `/proc/self/stat`, in clock ticks of 10 ms).
pub fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

struct Fixture {
    etags: AtomicBool,
}

fn feed_body(i: usize) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Feed {i}</title><link>https://feeds.bench/{i}</link>"
    );
    for k in 0..ITEMS {
        let _ = write!(
            x,
            "<item><title>Feed {i} story {k}</title><link>https://feeds.bench/{i}/{k}</link><guid>f{i}-{k}</guid>\
             <pubDate>Mon, 30 Nov 2026 {:02}:00:00 GMT</pubDate><description>Regional business news number {k} of feed {i}: \
             the city council discussed the budget, traders reported steady prices and a local firm hosted an open day.</description></item>",
            k % 24
        );
    }
    x.push_str("</channel></rss>");
    x
}

async fn serve_feed(
    State(fx): State<Arc<Fixture>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(i) = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"f{i}-v1\"");
    if fx.etags.load(Ordering::Relaxed) {
        if headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(etag.as_str())
        {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
        }
        return (
            [
                (header::CONTENT_TYPE, "application/rss+xml".to_string()),
                (header::ETAG, etag),
            ],
            feed_body(i),
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        feed_body(i),
    )
        .into_response()
}

/// The fixture server (run in a child process by [`run`]): `hosts` listeners on 127.0.0.1, each
/// serving `/feed/{i}.xml`; `POST /mode/plain` stops sending and honouring ETags. Prints
/// `ports P1,P2,…` on standard output, then serves until standard input closes.
pub async fn fixture_server(hosts: usize) -> std::io::Result<()> {
    let fx = Arc::new(Fixture {
        etags: AtomicBool::new(true),
    });
    let app = axum::Router::new()
        .route("/feed/{file}", axum::routing::get(serve_feed))
        .route(
            "/mode/plain",
            axum::routing::post(|State(fx): State<Arc<Fixture>>| async move {
                fx.etags.store(false, Ordering::Relaxed);
                "ok"
            }),
        )
        .with_state(fx);
    let mut ports = Vec::with_capacity(hosts);
    for _ in 0..hosts.max(1) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        ports.push(listener.local_addr()?.port().to_string());
        let app = app.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    println!("ports {}", ports.join(","));
    // Serve until the parent goes away (its end of our stdin closes).
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await
    .map_err(std::io::Error::other)?;
    Ok(())
}

/// Starts the fixture server as a child process; returns it and its ports.
fn spawn_fixture(hosts: usize) -> Result<(std::process::Child, Vec<u16>), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut child = std::process::Command::new(exe)
        .args(["bench", "feed-server", "--hosts", &hosts.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the fixture server: {e}"))?;
    let out = child
        .stdout
        .take()
        .ok_or("the fixture server has no output")?;
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the fixture server's ports: {e}"))?;
    let ports = line
        .trim()
        .strip_prefix("ports ")
        .ok_or_else(|| format!("the fixture server said `{}`", line.trim()))?
        .split(',')
        .filter_map(|p| p.parse().ok())
        .collect::<Vec<u16>>();
    if ports.is_empty() {
        return Err("the fixture server gave no ports".into());
    }
    Ok((child, ports))
}

/// Runs the bench in `dir` (sources and data are written there).
pub async fn run(
    dir: &Path,
    feeds: usize,
    hosts: usize,
    progress: bool,
) -> Result<PollReport, AppError> {
    let io = |source| AppError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let (mut child, ports) = spawn_fixture(hosts).map_err(|m| io(std::io::Error::other(m)))?;
    let src = dir.join("sources");
    std::fs::create_dir_all(&src).map_err(io)?;
    for i in 0..feeds {
        let port = ports[i % ports.len()];
        std::fs::write(
            src.join(format!("p{i:05}.toml")),
            format!(
                "name = \"p{i:05}\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:{port}/feed/{i}.xml\"\ninterval_minutes = 15\nlang = \"en\"\n"
            ),
        )
        .map_err(io)?;
    }
    let mut cfg = Config::for_data_dir(&dir.join("data"));
    cfg.sources_dirs = vec![src];
    // A real installation's hosts are many and far; here they are few and near, so the per-host
    // pause is short to keep the wall time reasonable. CPU per poll does not depend on it.
    cfg.fetch.min_host_delay_ms = 5;
    cfg.fetch.max_concurrency = 64;
    cfg.crawl.parallel_sources = 64;
    let app = App::open(cfg).await?;
    let mut rounds = Vec::new();
    for name in ["new", "304", "unchanged 200"] {
        if name == "unchanged 200" {
            let url = format!("http://127.0.0.1:{}/mode/plain", ports[0]);
            let ok = reqwest::Client::new().post(&url).send().await.is_ok();
            if !ok {
                let _ = child.kill();
                return Err(io(std::io::Error::other(
                    "the fixture server did not switch mode",
                )));
            }
        }
        let cpu0 = process_cpu();
        let t = Instant::now();
        let r = app.crawl(None, false, progress).await?;
        let wall = t.elapsed();
        let cpu = match (cpu0, process_cpu()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => Duration::ZERO,
        };
        rounds.push(Round {
            name,
            feeds: r.sources.len(),
            wall,
            cpu,
            failed: r.sources.iter().filter(|s| s.error.is_some()).count(),
        });
    }
    app.close_indexer()?;
    let _ = child.kill();
    let _ = child.wait();
    Ok(PollReport {
        feeds,
        hosts: ports.len(),
        rounds,
        peak_rss_mb: super::peak_rss_mb(),
    })
}
