//! Accounts: upsert by CRM id, list, get.

use super::{StoreError, json_vec, q};
use crate::model::Account;
use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Whether a CRM id is a stand-in made from the INN, domain or name (the export had none).
fn is_synthetic(crm_id: &str) -> bool {
    ["inn:", "domain:", "name:"]
        .iter()
        .any(|p| crm_id.starts_with(p))
}

/// Result of an upsert batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertCount {
    pub inserted: usize,
    pub updated: usize,
}

fn date(r: &AnyRow, col: &'static str) -> Result<Option<NaiveDate>, StoreError> {
    r.get::<Option<&str>, _>(col)
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt {
                what: "account date",
                message: format!("{col} `{s}`: {e}"),
            })
        })
        .transpose()
}

pub(super) fn account_from_row(r: &AnyRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: r.get("id"),
        crm_id: r.get("crm_id"),
        crm: r.get("crm"),
        name: r.get("name"),
        aliases: json_vec(r.get::<&str, _>("aliases"), "account aliases")?,
        inn: r.get("inn"),
        ogrn: r.get("ogrn"),
        kpp: r.get("kpp"),
        domains: json_vec(r.get::<&str, _>("domains"), "account domains")?,
        ticker: r.get("ticker"),
        cik: r.get("cik"),
        country: r.get("country"),
        region: r.get("region"),
        industry: r.get("industry"),
        employees: r.get("employees"),
        size: r.get("size"),
        revenue: r.get("revenue"),
        segment: r.get("segment"),
        owner: r.get("owner"),
        technologies: json_vec(r.get::<&str, _>("technologies"), "account technologies")?,
        last_purchase: date(r, "last_purchase")?,
        contract_end: date(r, "contract_end")?,
        usage_ratio: r.get::<Option<f64>, _>("usage_ratio").map(|v| v as f32),
        go_live: date(r, "go_live")?,
    })
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn iso(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// Non-empty lists replace the stored ones; empty lists keep them (a partial export must not
/// wipe what a fuller one brought).
const UPSERT: &str = "INSERT INTO accounts (crm_id, crm, name, aliases, inn, ogrn, kpp, domain, domains, \
     ticker, cik, country, region, industry, employees, size, revenue, segment, owner, technologies, \
     last_purchase, contract_end, usage_ratio, go_live, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
     $21, $22, $23, $24, $25) \
     ON CONFLICT (crm_id) DO UPDATE SET crm = excluded.crm, name = excluded.name, \
     aliases = CASE WHEN excluded.aliases = '[]' THEN accounts.aliases ELSE excluded.aliases END, \
     inn = COALESCE(excluded.inn, accounts.inn), ogrn = COALESCE(excluded.ogrn, accounts.ogrn), \
     kpp = COALESCE(excluded.kpp, accounts.kpp), domain = COALESCE(excluded.domain, accounts.domain), \
     domains = CASE WHEN excluded.domains = '[]' THEN accounts.domains ELSE excluded.domains END, \
     ticker = COALESCE(excluded.ticker, accounts.ticker), cik = COALESCE(excluded.cik, accounts.cik), \
     country = COALESCE(excluded.country, accounts.country), region = COALESCE(excluded.region, accounts.region), \
     industry = COALESCE(excluded.industry, accounts.industry), \
     employees = COALESCE(excluded.employees, accounts.employees), size = COALESCE(excluded.size, accounts.size), \
     revenue = COALESCE(excluded.revenue, accounts.revenue), segment = COALESCE(excluded.segment, accounts.segment), \
     owner = COALESCE(excluded.owner, accounts.owner), \
     technologies = CASE WHEN excluded.technologies = '[]' THEN accounts.technologies ELSE excluded.technologies END, \
     last_purchase = COALESCE(excluded.last_purchase, accounts.last_purchase), \
     contract_end = COALESCE(excluded.contract_end, accounts.contract_end), \
     usage_ratio = COALESCE(excluded.usage_ratio, accounts.usage_ratio), \
     go_live = COALESCE(excluded.go_live, accounts.go_live), updated_at = excluded.updated_at";

impl super::Store {
    /// Inserts or updates accounts by `crm_id`, all or nothing. Fields the import leaves empty keep
    /// their stored values.
    pub async fn upsert_accounts(&self, accounts: &[Account]) -> Result<UpsertCount, StoreError> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(q("starting the account import"))?;
        let mut count = UpsertCount::default();
        let now = chrono::Utc::now().timestamp();
        for a in accounts {
            let resolved;
            let a = if is_synthetic(&a.crm_id) {
                resolved = Account {
                    crm_id: self.resolve_synthetic_id(&mut tx, a).await?,
                    ..a.clone()
                };
                &resolved
            } else {
                a
            };
            type Before = (
                i64,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                // What the search index keeps of the account with each of its events.
                String,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let before: Option<Before> = sqlx::query_as(
                "SELECT id, inn, ogrn, cik, ticker, domain, name, industry, region, segment \
                 FROM accounts WHERE crm_id = $1",
            )
            .bind(&a.crm_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("looking up an account"))?;
            let crm = if a.crm.is_empty() { "generic" } else { &a.crm };
            sqlx::query(UPSERT)
                .bind(&a.crm_id)
                .bind(crm)
                .bind(&a.name)
                .bind(json(&a.aliases))
                .bind(&a.inn)
                .bind(&a.ogrn)
                .bind(&a.kpp)
                .bind(a.domain())
                .bind(json(&a.domains))
                .bind(&a.ticker)
                .bind(&a.cik)
                .bind(&a.country)
                .bind(&a.region)
                .bind(&a.industry)
                .bind(a.employees)
                .bind(&a.size)
                .bind(&a.revenue)
                .bind(&a.segment)
                .bind(&a.owner)
                .bind(json(&a.technologies))
                .bind(iso(a.last_purchase))
                .bind(iso(a.contract_end))
                .bind(super::sql::OptF64(a.usage_ratio.map(f64::from)))
                .bind(iso(a.go_live))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(q("saving an account"))?;
            if let Some((id, inn, ogrn, cik, ticker, domain, name, industry, region, segment)) =
                &before
            {
                count.updated += 1;
                // A new name, industry, region or segment: its events are indexed again so that
                // search filters and facet counts follow the CRM.
                {
                    let keeps =
                        |new: &Option<String>, old: &Option<String>| new.is_none() || new == old;
                    if a.name != *name
                        || !keeps(&a.industry, industry)
                        || !keeps(&a.region, region)
                        || !keeps(&a.segment, segment)
                    {
                        sqlx::query(
                            "INSERT INTO index_changes (event_id, at) \
                             SELECT event_id, $1 FROM event_accounts WHERE account_id = $2",
                        )
                        .bind(now)
                        .bind(*id)
                        .execute(&mut *tx)
                        .await
                        .map_err(q("logging index changes for an updated account"))?;
                    }
                }
                // Identifiers the account did not have: `account.enriched` for webhooks.
                let learned: Vec<(&str, String)> = [
                    ("inn", inn, &a.inn),
                    ("ogrn", ogrn, &a.ogrn),
                    ("cik", cik, &a.cik),
                    ("ticker", ticker, &a.ticker),
                    ("domain", domain, &a.domain().map(str::to_string)),
                ]
                .into_iter()
                .filter_map(|(k, old, new)| match (old, new) {
                    (None, Some(v)) => Some((k, v.clone())),
                    _ => None,
                })
                .collect();
                if !learned.is_empty() {
                    let subs = super::webhooks::active_in(&mut tx).await?;
                    if !subs.is_empty()
                        && let Some(m) = super::webhooks::message_account(&mut tx, *id).await?
                    {
                        let msg = crate::deliver::events::enriched(m, &[], &learned);
                        super::webhooks::enqueue(&mut tx, &subs, &msg, now * 1000).await?;
                    }
                }
            } else {
                count.inserted += 1;
            }
        }
        tx.commit()
            .await
            .map_err(q("committing the account import"))?;
        Ok(count)
    }

    /// For a record without a CRM id: the id of the account it already is. The stand-in id
    /// (`inn:…`, else `domain:…`, else `name:…`) changes when a later export adds an INN or a
    /// domain; the account must not be imported twice.
    async fn resolve_synthetic_id(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        a: &Account,
    ) -> Result<String, StoreError> {
        let mut candidates = vec![a.crm_id.clone()];
        if let Some(inn) = &a.inn {
            candidates.push(format!("inn:{inn}"));
        }
        candidates.extend(a.domains.iter().map(|d| format!("domain:{d}")));
        candidates.push(format!("name:{}", crate::text::name_key(&a.name)));
        for c in &candidates {
            let found: Option<String> =
                sqlx::query_scalar("SELECT crm_id FROM accounts WHERE crm_id = $1")
                    .bind(c)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(q("looking up an account"))?;
            if let Some(f) = found {
                return Ok(f);
            }
        }
        // Imported earlier with a stand-in id and the same name, before an INN or domain was known.
        let by_name: Option<String> = sqlx::query_scalar(
            "SELECT crm_id FROM accounts WHERE name = $1 AND (crm_id LIKE 'inn:%' \
             OR crm_id LIKE 'domain:%' OR crm_id LIKE 'name:%') ORDER BY id LIMIT 1",
        )
        .bind(&a.name)
        .fetch_optional(&mut **tx)
        .await
        .map_err(q("looking up an account"))?;
        Ok(by_name.unwrap_or_else(|| a.crm_id.clone()))
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query("SELECT * FROM accounts ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(q("listing accounts"))?;
        rows.iter().map(account_from_row).collect()
    }

    /// Up to `limit` accounts with ids above `after`, by id (for paging through all of them).
    pub async fn accounts_after(&self, after: i64, limit: i64) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query("SELECT * FROM accounts WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(q("listing accounts"))?;
        rows.iter().map(account_from_row).collect()
    }

    /// These accounts (missing ids are skipped), in one query.
    pub async fn accounts_by_ids(&self, ids: &[i64]) -> Result<Vec<Account>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = super::sql::Sql::new("SELECT * FROM accounts WHERE id IN (");
        qb.push_list(ids.iter().copied());
        qb.push(") ORDER BY id");
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading accounts"))?;
        rows.iter().map(account_from_row).collect()
    }

    /// One account by its CRM id.
    pub async fn account_by_crm_id(&self, crm_id: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query("SELECT * FROM accounts WHERE crm_id = $1")
            .bind(crm_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("reading an account"))?;
        row.as_ref().map(account_from_row).transpose()
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
