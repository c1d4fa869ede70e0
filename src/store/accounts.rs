//! Accounts: upsert by CRM id, list, get.

use super::{StoreError, dialect, json_vec, q};
use crate::model::Account;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// Result of an upsert batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertCount {
    pub inserted: usize,
    pub updated: usize,
}

pub(super) fn account_from_row(r: &SqliteRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: r.get("id"),
        crm_id: r.get("crm_id"),
        name: r.get("name"),
        aliases: json_vec(r.get::<&str, _>("aliases"), "account aliases")?,
        inn: r.get("inn"),
        ogrn: r.get("ogrn"),
        domain: r.get("domain"),
        ticker: r.get("ticker"),
        country: r.get("country"),
        region: r.get("region"),
        industry: r.get("industry"),
        employees: r.get("employees"),
        segment: r.get("segment"),
        owner: r.get("owner"),
    })
}

impl super::Store {
    /// Inserts or updates accounts by `crm_id`, all or nothing.
    pub async fn upsert_accounts(&self, accounts: &[Account]) -> Result<UpsertCount, StoreError> {
        let mut tx = self
            .pool
            .begin_with(dialect::BEGIN_WRITE)
            .await
            .map_err(q("starting the account import"))?;
        let mut count = UpsertCount::default();
        let now = chrono::Utc::now().timestamp();
        for a in accounts {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM accounts WHERE crm_id = $1")
                    .bind(&a.crm_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(q("looking up an account"))?;
            let aliases = serde_json::to_string(&a.aliases).unwrap_or_else(|_| "[]".into());
            sqlx::query(
                "INSERT INTO accounts (crm_id, name, aliases, inn, ogrn, domain, ticker, country, region, \
                 industry, employees, segment, owner, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (crm_id) DO UPDATE SET name = excluded.name, aliases = excluded.aliases, \
                 inn = excluded.inn, ogrn = excluded.ogrn, domain = excluded.domain, ticker = excluded.ticker, \
                 country = excluded.country, region = excluded.region, industry = excluded.industry, \
                 employees = excluded.employees, segment = excluded.segment, owner = excluded.owner, \
                 updated_at = excluded.updated_at",
            )
            .bind(&a.crm_id)
            .bind(&a.name)
            .bind(aliases)
            .bind(&a.inn)
            .bind(&a.ogrn)
            .bind(&a.domain)
            .bind(&a.ticker)
            .bind(&a.country)
            .bind(&a.region)
            .bind(&a.industry)
            .bind(a.employees)
            .bind(&a.segment)
            .bind(&a.owner)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(q("saving an account"))?;
            if exists.is_some() {
                count.updated += 1;
            } else {
                count.inserted += 1;
            }
        }
        tx.commit()
            .await
            .map_err(q("committing the account import"))?;
        Ok(count)
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query("SELECT * FROM accounts ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(q("listing accounts"))?;
        rows.iter().map(account_from_row).collect()
    }

    /// One account by id.
    pub async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("reading an account"))?;
        row.as_ref().map(account_from_row).transpose()
    }
}
