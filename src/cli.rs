//! Commands (clap derive). The binary's edge: errors become `anyhow` messages here and nowhere else.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use trigger_radar::model::{Lang, TriggerKind};
use trigger_radar::search::{SearchQuery, Sort};
use trigger_radar::{App, Config};

#[derive(Parser)]
#[command(
    name = "trigger-radar",
    version,
    about = "Finds B2B sales trigger events in RU/EN news and scores account readiness"
)]
struct Cli {
    /// Data folder (database, index, radar.toml). Env: TRIGGER_RADAR_DATA. Default: ./data
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// Config file (default: DATA/radar.toml when it exists). Env: TRIGGER_RADAR_CONFIG
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log filter, e.g. `info` or `trigger_radar=debug`. Env: RUST_LOG
    #[arg(long, global = true, default_value = "warn")]
    log: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Import the bundled demo accounts, crawl the bundled demo feeds, print a summary, serve the UI.
    Demo {
        /// Set up and print the summary, then exit instead of serving.
        #[arg(long)]
        no_serve: bool,
        /// Address to serve on (default: the config's `listen`, 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Write a commented radar.toml with working defaults into the data folder.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Manage accounts.
    Accounts {
        #[command(subcommand)]
        cmd: AccountsCmd,
    },
    /// Crawl every due source once (or all with --all, or one with --source), then exit.
    Crawl {
        #[arg(long)]
        source: Option<String>,
        /// Crawl every enabled source, due or not.
        #[arg(long)]
        all: bool,
    },
    /// Run the scheduler, pipeline and web UI until Ctrl-C (or a share of them, --role).
    Serve {
        #[arg(long)]
        listen: Option<String>,
        /// Seconds between scheduler ticks.
        #[arg(long, default_value_t = 60)]
        tick: u64,
        /// all: everything in one process; worker: crawl and deliver webhooks (no web, no
        /// index); web: pages, API, search index and score aging (no crawling). See docs/scale.md.
        #[arg(long, default_value = "all")]
        role: trigger_radar::roles::Role,
    },
    /// Full-text search over events (tantivy query syntax; RU/EN stemming).
    Search {
        query: String,
        #[arg(long)]
        kind: Option<TriggerKind>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Newest first instead of most relevant first.
        #[arg(long)]
        by_date: bool,
        #[arg(long)]
        json: bool,
    },
    /// Accounts ranked by readiness, with explanations.
    Leads {
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Detect triggers in a JSONL file of {"id","text","lang"?} lines; writes {"id","triggers":[…],"tech":[…]} lines.
    Detect {
        /// Input JSONL file (`-` for standard input).
        #[arg(long)]
        jsonl: PathBuf,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Technologies in a text (the argument, or standard input), one per line: name, category, text.
    Tech {
        text: Option<String>,
        /// Print the dictionary's canonical names instead, one per line (a `--tech-vocab` file).
        #[arg(long)]
        names: bool,
    },
    /// Record what an SDR did with an event (or an account): `taken` or `not-relevant`.
    /// "not-relevant" removes the event's contribution (or, without --event, the account's
    /// current contributions) and rescores.
    Feedback {
        /// Account id or CRM id.
        account: String,
        /// taken | not-relevant
        verdict: String,
        /// The event (ids are shown by `accounts show`); without it, the whole account.
        #[arg(long)]
        event: Option<i64>,
        #[arg(long)]
        note: Option<String>,
        /// Who gives the feedback.
        #[arg(long)]
        by: Option<String>,
    },
    /// Recompute readiness: from all events (default), or only age stored scores (--decay).
    Rescore {
        #[arg(long)]
        decay: bool,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Apply the database migrations (SQLite or PostgreSQL; every command also does at start)
    /// and list them.
    Migrate,
    /// Copy an installation's database into a new, empty one (e.g. SQLite → PostgreSQL), ids
    /// kept, then compare row counts and checksums table by table. Stop the installation first.
    MigrateData {
        /// Source: sqlite://PATH, a file path, or postgres://user@host:5432/db
        #[arg(long)]
        from: String,
        /// Target (its tables are created; they must be empty).
        #[arg(long)]
        to: String,
        /// PostgreSQL schema of the source (default: the user's).
        #[arg(long)]
        from_schema: Option<String>,
        /// PostgreSQL schema of the target (created if missing).
        #[arg(long)]
        to_schema: Option<String>,
    },
    /// Health of every source: last run, items, errors, next run.
    Sources {
        #[arg(long)]
        json: bool,
    },
    /// Performance benchmarks.
    Bench {
        #[command(subcommand)]
        cmd: BenchCmd,
    },
    /// Webhook subscriptions: add, list, pause, resume, delete, rotate, log, redeliver, deliver.
    Webhooks {
        #[command(subcommand)]
        cmd: crate::cli_webhooks::WebhooksCmd,
    },
    /// API tokens for the HTTP API's writes: create, list, revoke.
    Tokens {
        #[command(subcommand)]
        cmd: crate::cli_webhooks::TokensCmd,
    },
}

#[derive(Subcommand)]
enum AccountsCmd {
    /// Import (upsert by CRM id) accounts from a CRM export: CSV (UTF-8 or windows-1251, `,` or `;`)
    /// or JSON. HubSpot, amoCRM and Bitrix24 headers (EN/RU) are recognised.
    Import {
        file: PathBuf,
        /// Map a column to a field: `--map "Код клиента=crm_id"`; `=ignore` drops a column.
        /// Fields: crm_id, name, aliases, inn, ogrn, kpp, domain, ticker, cik, country, region,
        /// city, industry, employees, size, revenue, segment, owner, technologies,
        /// last_purchase, contract_end, usage_ratio, go_live.
        #[arg(long = "map", value_name = "COLUMN=FIELD")]
        maps: Vec<String>,
        /// The CRM that wrote the file (hubspot, amocrm, bitrix24, generic); guessed from headers.
        #[arg(long)]
        crm: Option<String>,
    },
    /// One account: CRM fields, identifiers, readiness with its full explanation, score
    /// history, attached events and feedback. ACCOUNT is the id or the CRM id.
    Show {
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// List accounts.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Ingest throughput of the whole pipeline on a generated corpus.
    Ingest {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        #[arg(long, default_value_t = 2_000)]
        accounts: usize,
        /// Work folder (default: a fresh temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Crawl with this many `serve --role worker` processes instead of in this process;
        /// several counts (1,2,3) run one after another. The index catches up afterwards.
        #[arg(long, value_delimiter = ',')]
        workers: Vec<usize>,
        /// With --workers: the shared database (postgres://…, in a throwaway schema); default an
        /// SQLite file in the work folder.
        #[arg(long)]
        database: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Account matching throughput: N synthetic accounts, MB/s of generated text on one core,
    /// index build time and peak memory.
    Match {
        #[arg(long, default_value_t = 1_000_000)]
        accounts: usize,
        #[arg(long, default_value_t = 100.0)]
        megabytes: f64,
        /// Share of company-naming sentences that name one of the accounts (news mostly names
        /// other companies; 1.0 is a worst case).
        #[arg(long, default_value_t = 0.1)]
        share: f64,
        #[arg(long)]
        json: bool,
    },
    /// Polling cost: N feeds on local fixture hosts crawled through the whole fetch layer, new,
    /// then 304, then unchanged: CPU per polled feed, peak RSS, the share of a core that N feeds
    /// every 15 minutes take.
    Poll {
        #[arg(long, default_value_t = 10_000)]
        feeds: usize,
        /// Fixture hosts (local ports) the feeds are spread over.
        #[arg(long, default_value_t = 100)]
        hosts: usize,
        /// Work folder (default: a fresh temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Page server time: an instance with N accounts, its news crawled and scored; p50/p99 of
    /// each page and API answer over loopback HTTP.
    Pages {
        #[arg(long, default_value_t = 100_000)]
        accounts: usize,
        /// News items crawled for events.
        #[arg(long, default_value_t = 20_000)]
        items: usize,
        /// Requests per page.
        #[arg(long, default_value_t = 30)]
        rounds: usize,
        /// Work folder (default: a fresh temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Event search: N generated RU+EN events in tantivy and in SQLite FTS5, 50 queries with
    /// filters and facet counts, p50/p99 latency on both.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Times the 50 queries are run on tantivy (after one warm-up round); FTS5 runs them once.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Skip the SQLite FTS5 comparison.
        #[arg(long)]
        no_fts: bool,
        /// Work folder (default: a fresh temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Webhook delivery: deliveries per second from the SQLite outbox to a local receiver, and
    /// the latency from enqueue to delivery at a steady event rate (p50, p99).
    Deliver {
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        /// Events per second for the latency run.
        #[arg(long, default_value_t = 500)]
        rate: usize,
        /// Seconds of the latency run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The poll bench's fixture server (started by `bench poll` as a child process).
    #[command(hide = true)]
    FeedServer {
        #[arg(long, default_value_t = 100)]
        hosts: usize,
    },
    /// Detection throughput (sentence split + rules + roles) on one core, in MB/s of text.
    Detect {
        /// Megabytes of text to run (the bundled demo news, repeated).
        #[arg(long, default_value_t = 50.0)]
        megabytes: f64,
        #[arg(long)]
        json: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: library errors already quote their source.
fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

/// A bench's work folder: the one given, or a fresh temporary one (removed when the guard drops).
/// Prints a bench's report: as JSON, or as its terminal table.
fn report<T: serde::Serialize>(json: bool, r: &T, table: String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        print!("{table}");
    }
    Ok(())
}

fn work_dir(given: Option<&Path>) -> Result<(Option<tempfile::TempDir>, PathBuf)> {
    match given {
        Some(d) => Ok((None, d.to_path_buf())),
        None => {
            let t = tempfile::tempdir().context("cannot create a temporary folder")?;
            let p = t.path().to_path_buf();
            Ok((Some(t), p))
        }
    }
}

fn load_config(cli: &Cli) -> Result<Config> {
    Ok(Config::load(cli.data.as_deref(), cli.config.as_deref())?)
}

async fn open(cli: &Cli) -> Result<App> {
    let cfg = load_config(cli)?;
    Ok(App::open(cfg).await?)
}

async fn run(cli: Cli) -> Result<()> {
    match &cli.cmd {
        Cmd::Demo { no_serve, listen } => demo(&cli, *no_serve, listen.clone()).await,
        Cmd::Init { force } => init(&cli, *force),
        Cmd::Accounts {
            cmd: AccountsCmd::Import { file, maps, crm },
        } => {
            let opts = trigger_radar::accounts::import::ImportOptions::default()
                .with_maps(maps)?
                .with_crm(crm.as_deref())?;
            let app = open(&cli).await?;
            let r = app.import_accounts_with(file, &opts).await?;
            println!(
                "{} ({} layout): {} new, {} updated, {} rejected",
                file.display(),
                r.crm,
                r.inserted,
                r.updated,
                r.rejected.len()
            );
            for e in &r.rejected {
                println!("  {e}");
            }
            if !r.unmapped.is_empty() {
                println!(
                    "  columns not imported: {} (use --map \"COLUMN=FIELD\" to import one)",
                    r.unmapped.join(", ")
                );
            }
            Ok(())
        }
        Cmd::Accounts {
            cmd: AccountsCmd::Show { account, json },
        } => {
            let app = open(&cli).await?;
            let a = find_account(&app, account).await?;
            let view = app.account_view(a.id).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", render_account(&view));
            }
            Ok(())
        }
        Cmd::Feedback {
            account,
            verdict,
            event,
            note,
            by,
        } => {
            let verdict: trigger_radar::store::Verdict =
                verdict.parse().map_err(anyhow::Error::msg)?;
            let app = open(&cli).await?;
            let a = find_account(&app, account).await?;
            let r = app
                .feedback(a.id, *event, verdict, by.as_deref(), note.as_deref())
                .await?;
            match r {
                Some(r) => println!(
                    "{}: feedback saved; readiness now {} ({})",
                    a.name,
                    r.score,
                    r.band.as_str()
                ),
                None => println!("{}: feedback saved; no readiness left", a.name),
            }
            Ok(())
        }
        Cmd::Rescore { decay } => {
            let app = open(&cli).await?;
            let n = if *decay {
                app.decay().await?
            } else {
                app.rescore().await?
            };
            println!("{n} accounts scored");
            Ok(())
        }
        Cmd::Accounts {
            cmd: AccountsCmd::List { json },
        } => {
            let app = open(&cli).await?;
            let accounts = app.store.accounts().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
            } else {
                for a in accounts {
                    println!(
                        "{:>5}  {:<40} {}",
                        a.id,
                        a.name,
                        a.inn
                            .clone()
                            .or(a.domain().map(str::to_string))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        Cmd::Crawl { source, all } => {
            let app = open(&cli).await?;
            let r = app
                .crawl(source.as_deref(), !*all && source.is_none(), true)
                .await?;
            app.close_indexer()?;
            for e in &r.source_file_errors {
                eprintln!("skipped: {e}");
            }
            for s in &r.sources {
                match &s.error {
                    Some(e) => println!(
                        "{:<28} FAILED ({}): {e}",
                        s.source,
                        if s.transient {
                            "will retry"
                        } else {
                            "fix the source"
                        }
                    ),
                    None if s.not_modified => {
                        println!("{:<28} not modified since the last crawl", s.source)
                    }
                    None => println!(
                        "{:<28} {:>5} items, {:>5} new/changed, {:>4} copies of stored stories, {:>4} events ({} on accounts)",
                        s.source, s.items, s.new_or_changed, s.copies, s.events, s.matched_events
                    ),
                }
            }
            if r.sources.is_empty() {
                println!("no source is due (use --all to crawl every source now)");
            }
            println!("{} accounts scored", r.scored_accounts);
            // The exit code says whether any source failed (scripts and cron can tell).
            let failed = r.sources.iter().filter(|s| s.error.is_some()).count();
            if failed > 0 {
                anyhow::bail!(
                    "{failed} source(s) failed (see above; `trigger-radar sources` shows their health)"
                );
            }
            Ok(())
        }
        Cmd::Serve { listen, tick, role } => {
            let mut app = open(&cli).await?;
            if !role.keeps_index() {
                app = app.without_index();
            }
            if !role.crawls() {
                app = app.without_crawling();
            }
            serve(
                Arc::new(app),
                *role,
                listen.clone(),
                Some(std::time::Duration::from_secs(*tick)),
            )
            .await
        }
        Cmd::Search {
            query,
            kind,
            limit,
            by_date,
            json,
        } => {
            let app = open(&cli).await?;
            let q = SearchQuery {
                text: query.clone(),
                filters: trigger_radar::search::Filters {
                    kinds: kind.iter().copied().collect(),
                    ..Default::default()
                },
                limit: *limit,
                sort: if *by_date {
                    Sort::Date
                } else {
                    Sort::Relevance
                },
                ..SearchQuery::default()
            };
            let (total, found) = app.search(&q).await?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"total": total, "events": found})
                    )?
                );
            } else {
                println!("{total} events");
                for f in found {
                    let e = &f.event;
                    println!(
                        "[{}] {} {} ({:.2}) {}\n    {}\n    {}",
                        e.id,
                        e.published_at.format("%Y-%m-%d"),
                        e.kind,
                        e.confidence,
                        e.companies.join(", "),
                        e.evidence,
                        e.url
                    );
                }
            }
            Ok(())
        }
        Cmd::Leads { limit, json } => {
            let app = open(&cli).await?;
            let leads = app.leads(*limit).await?;
            if *json {
                let v: Vec<_> = leads
                    .iter()
                    .map(|(a, r)| serde_json::json!({"account": a, "readiness": r}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_leads(&leads);
            }
            Ok(())
        }
        Cmd::Detect { jsonl, out } => {
            let cfg = load_config(&cli)?;
            let detector = trigger_radar::detect::Detector::new(
                &cfg.detect.rule_files,
                &cfg.detect.tech_files,
            )?;
            detect_jsonl(&detector, jsonl, out.as_deref())
        }
        Cmd::Tech { text, names } => {
            let cfg = load_config(&cli)?;
            let dict =
                trigger_radar::detect::tech::TechDictionary::with_files(&cfg.detect.tech_files)?;
            if *names {
                for (name, _) in dict.names() {
                    println!("{name}");
                }
                return Ok(());
            }
            let text = match text {
                Some(t) => t.clone(),
                None => std::io::read_to_string(std::io::stdin())
                    .context("cannot read standard input")?,
            };
            for m in dict.extract(&text) {
                println!("{}\t{}\t{}", m.name, m.category, &text[m.start..m.end]);
            }
            Ok(())
        }
        Cmd::Webhooks { cmd } => {
            let app = open(&cli).await?;
            crate::cli_webhooks::webhooks(&app, cmd).await
        }
        Cmd::Tokens { cmd } => {
            let app = open(&cli).await?;
            crate::cli_webhooks::tokens(&app, cmd).await
        }
        Cmd::Migrate => crate::cli_db::migrate(&load_config(&cli)?).await,
        Cmd::MigrateData {
            from,
            to,
            from_schema,
            to_schema,
        } => {
            crate::cli_db::migrate_data(
                &load_config(&cli)?,
                from,
                to,
                from_schema.clone(),
                to_schema.clone(),
            )
            .await
        }
        Cmd::Reindex => {
            let app = open(&cli).await?;
            let n = app.reindex(true).await?;
            app.close_indexer()?;
            println!("reindexed {n} events");
            Ok(())
        }
        Cmd::Sources { json } => {
            let app = open(&cli).await?;
            let (specs, errors) = app.sources();
            app.store.sync_sources(&specs).await?;
            let health = app.store.source_health().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&health)?);
            } else {
                for h in health {
                    println!(
                        "{:<28} {:<6} last run {:<20} items {:>5} new {:>5} failures {} next {}{}{}",
                        h.name,
                        h.last_status.as_deref().unwrap_or("never"),
                        h.last_run_at
                            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                        h.items_seen,
                        h.items_new,
                        h.consecutive_failures,
                        h.next_run_at.format("%Y-%m-%d %H:%M"),
                        h.lease_owner
                            .map(|o| format!(" (crawling now: {o})"))
                            .unwrap_or_default(),
                        h.last_error
                            .map(|e| format!("\n    last error: {e}"))
                            .unwrap_or_default()
                    );
                }
            }
            for e in errors {
                eprintln!("source file problem: {e}");
            }
            Ok(())
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Match {
                    accounts,
                    megabytes,
                    share,
                    json,
                },
        } => {
            let r = trigger_radar::bench::matching::run(*accounts, *megabytes, *share);
            report(*json, &r, r.table())
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Ingest {
                    items,
                    accounts,
                    dir,
                    workers,
                    database,
                    json,
                },
        } if !workers.is_empty() => {
            let mut runs = Vec::new();
            for &n in workers {
                // A fresh folder per run: every run starts from an empty database and index.
                let (_tmp, base) = work_dir(dir.as_deref())?;
                let dir = base.join(format!("workers-{n}"));
                eprintln!("{n} worker(s)…");
                let r = trigger_radar::bench::workers::ingest_workers(
                    &dir,
                    *items,
                    *accounts,
                    database.as_deref(),
                    n.max(1),
                    true,
                )
                .await?;
                runs.push(r);
            }
            if *json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else {
                print!(
                    "{}",
                    trigger_radar::bench::workers::WorkersReport::table(&runs)
                );
            }
            Ok(())
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Ingest {
                    items,
                    accounts,
                    dir,
                    json,
                    ..
                },
        } => {
            let (_tmp, dir) = work_dir(dir.as_deref())?;
            let r = trigger_radar::bench::ingest(&dir, *items, *accounts, true).await?;
            report(*json, &r, r.table())
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Pages {
                    accounts,
                    items,
                    rounds,
                    dir,
                    json,
                },
        } => {
            let (_tmp, dir) = work_dir(dir.as_deref())?;
            let r =
                trigger_radar::bench::pages::run(&dir, *accounts, *items, (*rounds).max(1), !*json)
                    .await?;
            report(*json, &r, r.table())
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Search {
                    events,
                    rounds,
                    no_fts,
                    dir,
                    json,
                },
        } => {
            let (_tmp, dir) = work_dir(dir.as_deref())?;
            let r = trigger_radar::bench::search::run(
                &dir,
                *events,
                (*rounds).max(1),
                !*no_fts,
                !*json,
            )
            .await
            .map_err(anyhow::Error::msg)?;
            report(*json, &r, r.table())
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Poll {
                    feeds,
                    hosts,
                    dir,
                    json,
                },
        } => {
            let (_tmp, dir) = work_dir(dir.as_deref())?;
            let r = trigger_radar::bench::poll::run(&dir, *feeds, *hosts, !*json).await?;
            report(*json, &r, r.table())
        }
        Cmd::Bench {
            cmd:
                BenchCmd::Deliver {
                    messages,
                    rate,
                    seconds,
                    dir,
                    json,
                },
        } => {
            let (_tmp, dir) = work_dir(dir.as_deref())?;
            let r = trigger_radar::bench::deliver::run(&dir, *messages, *rate, *seconds).await?;
            report(*json, &r, r.table())
        }
        Cmd::Bench {
            cmd: BenchCmd::FeedServer { hosts },
        } => Ok(trigger_radar::bench::poll::fixture_server(*hosts).await?),
        Cmd::Bench {
            cmd: BenchCmd::Detect { megabytes, json },
        } => {
            let r = trigger_radar::bench::detect(*megabytes)?;
            report(*json, &r, r.table())
        }
    }
}

fn init(cli: &Cli, force: bool) -> Result<()> {
    let path = match &cli.config {
        Some(p) => p.clone(),
        None => cli
            .data
            .clone()
            .unwrap_or_else(|| PathBuf::from("data"))
            .join("radar.toml"),
    };
    if path.exists() && !force {
        bail!(
            "{} already exists (use --force to overwrite it)",
            path.display()
        );
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, trigger_radar::config::DEFAULT_TOML)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// An account by numeric id or by CRM id.
async fn find_account(app: &trigger_radar::App, r: &str) -> Result<trigger_radar::model::Account> {
    let by_id = match r.parse::<i64>() {
        Ok(id) => app.store.account(id).await?,
        Err(_) => None,
    };
    match by_id {
        Some(a) => Ok(a),
        None => app.store.account_by_crm_id(r).await?.ok_or_else(|| {
            anyhow::anyhow!("no account `{r}` (give the id or the CRM id; see `accounts list`)")
        }),
    }
}

fn render_account(v: &trigger_radar::app::AccountView) -> String {
    use std::fmt::Write as _;
    let a = &v.account;
    let mut s = String::new();
    let _ = writeln!(s, "{} (id {}, {} {})", a.name, a.id, a.crm, a.crm_id);
    let ids: Vec<String> = [
        a.inn.as_ref().map(|x| format!("INN {x}")),
        a.ogrn.as_ref().map(|x| format!("OGRN {x}")),
        a.kpp.as_ref().map(|x| format!("KPP {x}")),
        a.ticker.as_ref().map(|x| format!("ticker {x}")),
        a.cik.as_ref().map(|x| format!("CIK {x}")),
    ]
    .into_iter()
    .flatten()
    .chain(a.domains.iter().cloned())
    .collect();
    if !ids.is_empty() {
        let _ = writeln!(s, "  identifiers: {}", ids.join(", "));
    }
    let fields = [
        ("industry", a.industry.clone()),
        ("region", a.region.clone()),
        ("country", a.country.clone()),
        ("size", a.size.clone()),
        ("segment", a.segment.clone()),
        ("owner", a.owner.clone()),
        ("last purchase", a.last_purchase.map(|d| d.to_string())),
        ("contract end", a.contract_end.map(|d| d.to_string())),
        (
            "plan usage",
            a.usage_ratio.map(|u| format!("{:.0}%", u * 100.0)),
        ),
        ("go-live", a.go_live.map(|d| d.to_string())),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            let _ = writeln!(s, "  {k}: {v}");
        }
    }
    if !a.technologies.is_empty() {
        let _ = writeln!(s, "  technologies (CRM): {}", a.technologies.join(", "));
    }
    if !v.technographics.is_empty() {
        let seen: Vec<String> = v
            .technographics
            .iter()
            .map(|t| {
                format!(
                    "{} (since {}, last {})",
                    t.name,
                    t.first_seen_at.format("%Y-%m-%d"),
                    t.last_seen_at.format("%Y-%m-%d")
                )
            })
            .collect();
        let _ = writeln!(s, "  technologies (job postings): {}", seen.join(", "));
    }
    match &v.readiness {
        Some(r) => {
            let _ = writeln!(s, "\nwhy now: {}", r.why_now);
            for line in trigger_radar::score::explain(r) {
                let _ = writeln!(s, "{line}");
            }
        }
        None => {
            let _ = writeln!(s, "\nno readiness: no events or CRM signals count yet");
        }
    }
    if v.history.len() > 1 {
        let points: Vec<String> = v
            .history
            .iter()
            .map(|p| format!("{} {}", p.at.format("%Y-%m-%d"), p.score))
            .collect();
        let _ = writeln!(s, "\nscore history: {}", points.join(" → "));
    }
    if !v.events.is_empty() {
        let _ = writeln!(s, "\nevents:");
        for e in &v.events {
            let _ = writeln!(
                s,
                "  #{:<6} {} {:<20} {:<8} conf {:.2} match {:.2}{} {}",
                e.event.id,
                e.event.published_at.format("%Y-%m-%d"),
                e.event.kind.label(),
                e.role.as_str(),
                e.event.confidence,
                e.match_confidence,
                if e.ambiguous { " (ambiguous)" } else { "" },
                e.event.evidence.chars().take(100).collect::<String>()
            );
        }
    }
    for f in &v.feedback {
        let _ = writeln!(
            s,
            "  feedback {}: {}{}{}",
            f.created_at.format("%Y-%m-%d"),
            f.verdict.as_str(),
            f.event_id
                .map(|e| format!(" on event #{e}"))
                .unwrap_or_default(),
            f.note
                .as_ref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
    }
    s
}

fn print_leads(
    leads: &[(
        trigger_radar::model::Account,
        trigger_radar::model::Readiness,
    )],
) {
    if leads.is_empty() {
        println!("no scored accounts yet: import accounts and crawl first");
    }
    for (i, (a, r)) in leads.iter().enumerate() {
        println!(
            "{:>2}. {:>3} {:<5} {}",
            i + 1,
            r.score,
            r.band.as_str(),
            a.name
        );
        println!("       why now: {}", r.why_now);
        for c in r.contributions.iter().skip(1).take(3) {
            println!(
                "       + {:<16} {:>3.0}%  {}",
                c.kind.as_str(),
                c.value * 100.0,
                c.evidence.chars().take(100).collect::<String>()
            );
        }
    }
}

async fn demo(cli: &Cli, no_serve: bool, listen: Option<String>) -> Result<()> {
    let data = cli.data.clone().unwrap_or_else(|| PathBuf::from("data"));
    println!("Trigger Radar demo: data folder {}", data.display());
    let run = trigger_radar::demo::run(&data, true).await?;
    let stats = run.app.store.stats().await?;
    println!(
        "accounts: {} imported ({} new, {} updated, {} rejected)",
        run.import.inserted + run.import.updated,
        run.import.inserted,
        run.import.updated,
        run.import.rejected.len()
    );
    println!(
        "documents read: {} ({} new or changed) from {} sources",
        run.crawl.items(),
        run.crawl.new_documents(),
        run.crawl.sources.len()
    );
    println!(
        "events found: {} (in store: {}), accounts matched: {}",
        run.crawl.events(),
        stats.events,
        stats.matched_accounts
    );
    println!("\nTop hot accounts:");
    print_leads(&run.top);
    run.app.close_indexer()?;
    if no_serve {
        return Ok(());
    }
    serve(
        Arc::new(run.app),
        trigger_radar::roles::Role::All,
        listen,
        None,
    )
    .await
}

async fn serve(
    app: Arc<App>,
    role: trigger_radar::roles::Role,
    listen: Option<String>,
    tick: Option<std::time::Duration>,
) -> Result<()> {
    let listener = if role.serves_web() {
        let addr = listen.unwrap_or_else(|| app.config.listen.clone());
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| {
                format!("cannot listen on {addr} (is another instance running? use --listen)")
            })?;
        let shown = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
        println!("\nWeb UI: http://{shown}/   (Ctrl-C to stop)");
        Some(listener)
    } else {
        println!(
            "worker {} on {}: crawling due sources and delivering webhooks (Ctrl-C to stop)",
            app.worker_id(),
            trigger_radar::store::redact(&app.config.database_url)
        );
        None
    };
    // Ctrl-C, or SIGTERM from a service manager: finish what is in flight and commit the index.
    let shutdown = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    trigger_radar::roles::run(app, role, listener, tick, shutdown).await?;
    Ok(())
}

/// One input line of `detect --jsonl`.
#[derive(serde::Deserialize)]
struct DetectIn {
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    lang: Option<String>,
}

fn detect_jsonl(
    detector: &trigger_radar::detect::Detector,
    input: &Path,
    out: Option<&Path>,
) -> Result<()> {
    let reader: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(input)
                .with_context(|| format!("cannot open {}", input.display()))?,
        ))
    };
    let mut writer: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut bad = 0usize;
    for (n, line) in reader.lines().enumerate() {
        let line =
            line.with_context(|| format!("{}: cannot read line {}", input.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: DetectIn = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                bad += 1;
                eprintln!(
                    "{}:{}: skipped: {e} (expected {{\"id\", \"text\", \"lang\"?}})",
                    input.display(),
                    n + 1
                );
                continue;
            }
        };
        let lang = rec
            .lang
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_else(|| trigger_radar::extract::lang::detect(&rec.text, None));
        let (triggers, tech) =
            trigger_radar::detect::predictions_and_tech(detector, &rec.text, lang);
        serde_json::to_writer(
            &mut writer,
            &serde_json::json!({ "id": rec.id, "triggers": triggers, "tech": tech }),
        )?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    if bad > 0 {
        eprintln!("{bad} lines skipped");
    }
    Ok(())
}
