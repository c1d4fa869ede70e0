//! The hot-lead list: scored accounts, best first, filtered the way SDRs slice their day.

use super::accounts::account_from_row;
use super::sql::Sql;
use super::{StoreError, q};
use crate::model::{Account, Readiness, TriggerKind};
use sqlx::Row;

/// Filters of the lead list: values of one field are alternatives, fields combine with AND.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LeadFilter {
    /// hot, warm, cold
    pub bands: Vec<String>,
    pub segments: Vec<String>,
    pub owners: Vec<String>,
    pub industries: Vec<String>,
    pub regions: Vec<String>,
    /// Accounts with an attached event of one of these kinds.
    pub kinds: Vec<TriggerKind>,
    pub min_score: Option<i64>,
}

/// A page of leads and how many match.
#[derive(Debug, Clone)]
pub struct LeadPage {
    pub total: i64,
    pub leads: Vec<(Account, Readiness)>,
}

/// Values of one column, for the filter menus: (value, accounts).
pub type Choices = Vec<(String, i64)>;

impl super::Store {
    /// Leads (accounts with a score above 0) matching `f`, by readiness (ties by id), `limit` from `offset`.
    pub async fn leads_page(
        &self,
        f: &LeadFilter,
        limit: i64,
        offset: i64,
    ) -> Result<LeadPage, StoreError> {
        let mut count = Sql::new(
            "SELECT COUNT(*) FROM readiness r JOIN accounts a ON a.id = r.account_id WHERE 1 = 1",
        );
        where_clause(&mut count, f);
        let total: i64 = count
            .build_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(q("counting leads"))?;
        let mut s = Sql::new(
            "SELECT a.*, r.detail FROM readiness r JOIN accounts a ON a.id = r.account_id WHERE 1 = 1",
        );
        where_clause(&mut s, f);
        s.push(" ORDER BY r.score DESC, r.account_id LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows = s
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading leads"))?;
        let mut leads = Vec::with_capacity(rows.len());
        for r in rows {
            let readiness: Readiness =
                serde_json::from_str(r.get::<&str, _>("detail")).map_err(|e| {
                    StoreError::Corrupt {
                        what: "readiness",
                        message: e.to_string(),
                    }
                })?;
            leads.push((account_from_row(&r)?, readiness));
        }
        Ok(LeadPage { total, leads })
    }

    /// The values leads (accounts with a score above 0) have in `column` (segment, owner, industry, region, band),
    /// with how many accounts have each, most first.
    pub async fn lead_choices(&self, column: &str) -> Result<Choices, StoreError> {
        let col = match column {
            "segment" => "a.segment",
            "owner" => "a.owner",
            "industry" => "a.industry",
            "region" => "a.region",
            "band" => "r.band",
            _ => return Ok(Vec::new()),
        };
        let sql = format!(
            "SELECT {col}, COUNT(*) FROM readiness r JOIN accounts a ON a.id = r.account_id \
             WHERE r.score > 0 AND {col} IS NOT NULL AND {col} <> '' GROUP BY {col} ORDER BY COUNT(*) DESC, {col} LIMIT 200"
        );
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading lead filter values"))
    }
}

fn where_clause(s: &mut Sql, f: &LeadFilter) {
    // An account with nothing to say for it is not a lead; with 100k accounts and a few hundred
    // scored, the score index then leaves the rest unread.
    s.push(" AND r.score > 0");
    for (col, values) in [
        ("r.band", &f.bands),
        ("a.segment", &f.segments),
        ("a.owner", &f.owners),
        ("a.industry", &f.industries),
        ("a.region", &f.regions),
    ] {
        if !values.is_empty() {
            s.push(" AND ").push(col).push(" IN (");
            s.push_list(values.iter().cloned());
            s.push(")");
        }
    }
    if !f.kinds.is_empty() {
        s.push(
            " AND EXISTS (SELECT 1 FROM event_accounts ea WHERE ea.account_id = a.id \
             AND ea.ambiguous = 0 AND ea.kind IN (",
        );
        s.push_list(f.kinds.iter().map(|k| k.as_str().to_string()));
        s.push("))");
    }
    if let Some(m) = f.min_score {
        s.push(" AND r.score >= ").push_bind(m);
    }
}
