//! `trigger-radar migrate` and `trigger-radar migrate-data`: the database itself.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use trigger_radar::Config;
use trigger_radar::store::{Store, copy, redact};

/// Applies the migrations of the configured database and lists them.
pub async fn migrate(cfg: &Config) -> Result<()> {
    let store = Store::open(cfg)
        .await
        .with_context(|| format!("migrating {}", redact(&cfg.database_url)))?;
    let applied = store.migrations().await?;
    println!(
        "{} ({:?}): {} migrations applied",
        redact(&cfg.database_url),
        store.backend(),
        applied.len()
    );
    for (v, d) in &applied {
        println!("  {v:>4}  {d}");
    }
    store.close().await;
    Ok(())
}

/// Copies the database at `from` into the empty one at `to`, then compares counts and
/// checksums table by table.
pub async fn migrate_data(
    cfg: &Config,
    from: &str,
    to: &str,
    from_schema: Option<String>,
    to_schema: Option<String>,
) -> Result<()> {
    if from == to && from_schema == to_schema {
        bail!("--from and --to are the same database");
    }
    let source = Store::open_url(cfg, from, from_schema, true)
        .await
        .with_context(|| format!("opening the source {}", redact(from)))?;
    let target = Store::open_url(cfg, to, to_schema, false)
        .await
        .with_context(|| format!("opening the target {}", redact(to)))?;
    println!(
        "copying {} ({:?}) → {} ({:?}); stop every process using the source first",
        redact(from),
        source.backend(),
        redact(to),
        target.backend()
    );
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let started = std::time::Instant::now();
    let tables = copy::copy_all(&source, &target, |table, rows| {
        bar.set_message(format!("{table}: {rows} rows"));
    })
    .await;
    bar.finish_and_clear();
    let tables = tables?;
    println!("{:<22} {:>10} {:>10}  checksum", "table", "read", "written");
    let mut total = 0;
    for t in &tables {
        println!(
            "{:<22} {:>10} {:>10}  {}",
            t.table, t.source_rows, t.target_rows, t.target_checksum
        );
        total += t.target_rows;
    }
    println!(
        "{total} rows in {} tables copied in {:.1} s; counts and checksums identical on both sides.",
        tables.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "Point database_url at the target to use it; the index folder stays valid (ids are kept), or run `trigger-radar reindex`."
    );
    source.close().await;
    target.close().await;
    Ok(())
}
