//! Copies an installation's database to another engine (SQLite → PostgreSQL, or back) without
//! loss: every table row by row with its ids, identity sequences moved past the copied ids,
//! then row counts and order-independent checksums compared on both sides.

use super::sql::{OptF64, Sql};
use super::{Backend, Store, StoreError, q};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Every table, parents before children (foreign keys hold at every step), with the identity
/// column whose sequence must move past the copied ids on PostgreSQL.
pub const TABLES: &[(&str, Option<&str>)] = &[
    ("sources", None),
    ("documents", Some("id")),
    ("accounts", Some("id")),
    ("events", Some("id")),
    ("event_accounts", None),
    ("readiness", None),
    ("readiness_history", Some("id")),
    ("feedback", Some("id")),
    ("http_validators", None),
    ("postings", Some("id")),
    ("account_technologies", None),
    ("document_sources", None),
    ("saved_searches", Some("id")),
    ("search_alerts", None),
    ("webhooks", Some("id")),
    ("outbox", Some("id")),
    ("deliveries", Some("id")),
    ("api_tokens", Some("id")),
    ("index_changes", Some("seq")),
];

/// A column's kind, from its declared type (the same on both engines by design).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Text,
}

fn kind_of(declared: &str) -> Kind {
    let d = declared.to_ascii_lowercase();
    if d.contains("int") {
        Kind::Int
    } else if d.contains("real") || d.contains("double") || d.contains("float") {
        Kind::Float
    } else {
        Kind::Text
    }
}

/// One value as copied and checksummed.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
}

/// What was copied of one table, and whether both sides agree.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableCopy {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// Order-independent SHA-256-based checksum of every row, on each side.
    pub source_checksum: String,
    pub target_checksum: String,
}

impl TableCopy {
    /// Counts and checksums agree.
    pub fn identical(&self) -> bool {
        self.source_rows == self.target_rows && self.source_checksum == self.target_checksum
    }
}

/// Why a copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the target database is not empty (table {table} holds {rows} rows): migrate-data copies into a new, empty database"
    )]
    TargetNotEmpty { table: String, rows: i64 },
    #[error("table {table}: the target has no column {column} (are both at the same version?)")]
    Schema { table: String, column: String },
    #[error(
        "table {table} differs after the copy: {source_rows} rows (checksum {source_checksum}) read, {target_rows} rows (checksum {target_checksum}) stored"
    )]
    Mismatch {
        table: String,
        source_rows: u64,
        source_checksum: String,
        target_rows: u64,
        target_checksum: String,
    },
}

/// Copies every table of `from` into the empty `to`, calling `progress(table, rows_so_far)` as
/// it goes, then verifies counts and checksums table by table. `from` must not change meanwhile
/// (stop the installation first).
pub async fn copy_all(
    from: &Store,
    to: &Store,
    mut progress: impl FnMut(&str, u64),
) -> Result<Vec<TableCopy>, CopyError> {
    for (table, _) in TABLES {
        let n = count(to, table).await?;
        if n > 0 {
            return Err(CopyError::TargetNotEmpty {
                table: (*table).into(),
                rows: n,
            });
        }
    }
    for (table, identity) in TABLES {
        let cols = columns(from, table).await?;
        let target_cols: Vec<String> = columns(to, table)
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        if let Some((missing, _)) = cols.iter().find(|(c, _)| !target_cols.contains(c)) {
            return Err(CopyError::Schema {
                table: (*table).into(),
                column: missing.clone(),
            });
        }
        copy_table(from, to, table, &cols, &mut progress).await?;
        if let Some(col) = identity
            && to.backend() == Backend::Postgres
        {
            // New rows on the target must not collide with the copied ids.
            let set = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{col}'), \
                 COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)"
            );
            sqlx::query(sqlx::AssertSqlSafe(set))
                .execute(&to.pool)
                .await
                .map_err(q("moving an identity sequence past the copied ids"))?;
        }
    }
    let mut out = Vec::new();
    for (table, _) in TABLES {
        let cols = columns(from, table).await?;
        let (source_rows, source_checksum) = checksum(from, table, &cols).await?;
        let (target_rows, target_checksum) = checksum(to, table, &cols).await?;
        let t = TableCopy {
            table: (*table).into(),
            source_rows,
            target_rows,
            source_checksum,
            target_checksum,
        };
        if !t.identical() {
            return Err(CopyError::Mismatch {
                table: t.table,
                source_rows: t.source_rows,
                source_checksum: t.source_checksum,
                target_rows: t.target_rows,
                target_checksum: t.target_checksum,
            });
        }
        out.push(t);
    }
    Ok(out)
}

async fn count(s: &Store, table: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&s.pool)
        .await
        .map_err(q("counting rows"))
}

/// The columns of `table` with their kinds, in declaration order.
async fn columns(s: &Store, table: &str) -> Result<Vec<(String, Kind)>, StoreError> {
    let sql = match s.backend() {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        // information_schema's own types are not ones the Any driver reads: cast to text.
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows: Vec<(String, String)> = sqlx::query_as(sql)
        .bind(table)
        .fetch_all(&s.pool)
        .await
        .map_err(q("reading a table's columns"))?;
    if rows.is_empty() {
        return Err(StoreError::Corrupt {
            what: "database schema",
            message: format!("table {table} is missing"),
        });
    }
    Ok(rows.into_iter().map(|(n, t)| (n, kind_of(&t))).collect())
}

fn read(row: &AnyRow, cols: &[(String, Kind)]) -> Result<Vec<Value>, StoreError> {
    let bad = |c: &str, e: sqlx::Error| StoreError::Corrupt {
        what: "a copied row",
        message: format!("column {c}: {e}"),
    };
    cols.iter()
        .enumerate()
        .map(|(i, (c, k))| {
            Ok(match k {
                Kind::Int => Value::Int(row.try_get(i).map_err(|e| bad(c, e))?),
                Kind::Float => Value::Float(row.try_get(i).map_err(|e| bad(c, e))?),
                Kind::Text => Value::Text(row.try_get(i).map_err(|e| bad(c, e))?),
            })
        })
        .collect()
}

fn select(table: &str, cols: &[(String, Kind)]) -> String {
    let names: Vec<&str> = cols.iter().map(|(c, _)| c.as_str()).collect();
    format!("SELECT {} FROM {table}", names.join(", "))
}

async fn copy_table(
    from: &Store,
    to: &Store,
    table: &str,
    cols: &[(String, Kind)],
    progress: &mut impl FnMut(&str, u64),
) -> Result<(), StoreError> {
    // PostgreSQL takes at most 65,535 parameters per statement.
    let per_insert = (30_000 / cols.len().max(1)).clamp(1, 500);
    let names: Vec<&str> = cols.iter().map(|(c, _)| c.as_str()).collect();
    let head = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
    let mut tx = to
        .pool
        .begin()
        .await
        .map_err(q("starting to copy a table"))?;
    let sql = select(table, cols);
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&from.pool);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_insert);
    let mut done = 0u64;
    loop {
        let next = rows.try_next().await.map_err(q("reading rows to copy"))?;
        if let Some(r) = &next {
            batch.push(read(r, cols)?);
        }
        if batch.len() >= per_insert || (next.is_none() && !batch.is_empty()) {
            let mut s = Sql::new(head.clone());
            for (i, row) in batch.drain(..).enumerate() {
                s.push(if i == 0 { "(" } else { ", (" });
                for (j, v) in row.into_iter().enumerate() {
                    if j > 0 {
                        s.push(", ");
                    }
                    match v {
                        Value::Int(x) => s.push_bind(x),
                        Value::Float(x) => s.push_bind(OptF64(x)),
                        Value::Text(x) => s.push_bind(x),
                    };
                }
                s.push(")");
                done += 1;
            }
            s.build()
                .execute(&mut *tx)
                .await
                .map_err(q("writing copied rows"))?;
            progress(table, done);
        }
        if next.is_none() {
            break;
        }
    }
    tx.commit().await.map_err(q("committing a copied table"))?;
    Ok(())
}

/// Row count and a checksum that does not depend on row order (the engines sort text
/// differently): the wrapping sum of each row's SHA-256 (first 16 bytes) over a canonical form
/// of its values.
async fn checksum(
    s: &Store,
    table: &str,
    cols: &[(String, Kind)],
) -> Result<(u64, String), StoreError> {
    let sql = select(table, cols);
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&s.pool);
    let (mut n, mut sum) = (0u64, 0u128);
    while let Some(r) = rows.try_next().await.map_err(q("reading rows to check"))? {
        let mut h = Sha256::new();
        for v in read(&r, cols)? {
            match v {
                Value::Int(Some(x)) => h.update(format!("i{x};")),
                Value::Float(Some(x)) => h.update(format!("f{:016x};", x.to_bits())),
                Value::Text(Some(x)) => {
                    h.update(format!("t{}:", x.len()));
                    h.update(x.as_bytes());
                }
                Value::Int(None) | Value::Float(None) | Value::Text(None) => h.update("n;"),
            }
        }
        let d = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&d[..16]);
        sum = sum.wrapping_add(u128::from_be_bytes(first));
        n += 1;
    }
    Ok((n, format!("{sum:032x}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_map_to_the_same_kind_on_both_engines() {
        for (d, k) in [
            ("INTEGER", Kind::Int),
            ("BIGINT", Kind::Int),
            ("bigint", Kind::Int),
            ("REAL", Kind::Float),
            ("double precision", Kind::Float),
            ("TEXT", Kind::Text),
            ("text", Kind::Text),
        ] {
            assert_eq!(kind_of(d), k, "{d}");
        }
    }

    #[test]
    fn every_table_of_the_migrations_is_copied() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut created = Vec::new();
        for e in std::fs::read_dir(format!("{root}/migrations/sqlite")).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") {
                    created.push(rest.split_whitespace().next().unwrap().to_string());
                }
            }
        }
        created.sort();
        let mut listed: Vec<String> = TABLES.iter().map(|(t, _)| t.to_string()).collect();
        listed.sort();
        assert_eq!(created, listed);
    }
}
