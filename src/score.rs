//! Readiness (DESIGN §6): every attached event contributes
//! `weight · confidence · match · reliability · 2^(−age/half_life)`; contributions combine as
//! `1 − Π(1 − c)`; the result times the account's ICP fit, capped by risk events, is the 0–100 score.

use crate::config::ScoreConfig;
use crate::model::{Account, AccountEvent, Band, Contribution, Readiness, TriggerKind};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The scoring model built from configuration.
#[derive(Debug, Clone)]
pub struct Scorer {
    cfg: ScoreConfig,
    weights: HashMap<TriggerKind, f32>,
    half_lives: HashMap<TriggerKind, f32>,
    risk: Vec<TriggerKind>,
    min_confidence: f32,
}

impl Scorer {
    /// `min_confidence`: events below it do not count (they stay searchable).
    pub fn new(cfg: &ScoreConfig, min_confidence: f32) -> Scorer {
        let parse = |m: &std::collections::BTreeMap<String, f32>| {
            m.iter()
                .filter_map(|(k, v)| k.parse::<TriggerKind>().ok().map(|k| (k, *v)))
                .collect::<HashMap<_, _>>()
        };
        Scorer {
            weights: parse(&cfg.weights),
            half_lives: parse(&cfg.half_life_days),
            risk: cfg
                .risk_kinds
                .iter()
                .filter_map(|k| k.parse().ok())
                .collect(),
            cfg: cfg.clone(),
            min_confidence,
        }
    }

    fn weight(&self, k: TriggerKind) -> f32 {
        self.weights
            .get(&k)
            .copied()
            .unwrap_or(self.cfg.default_weight)
    }

    fn half_life(&self, k: TriggerKind) -> f32 {
        self.half_lives
            .get(&k)
            .copied()
            .unwrap_or(self.cfg.default_half_life_days)
            .max(0.1)
    }

    /// How well an account fits the ICP: 1 when every configured criterion holds.
    pub fn fit(&self, a: &Account) -> f32 {
        let icp = &self.cfg.icp;
        let mut fit = 1.0;
        let matches_any = |value: &Option<String>, list: &[String]| {
            list.is_empty()
                || value
                    .as_deref()
                    .is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
        };
        if !matches_any(&a.industry, &icp.industries) {
            fit *= icp.miss_factor;
        }
        if !matches_any(&a.region, &icp.regions) {
            fit *= icp.miss_factor;
        }
        if let Some(min) = icp.min_employees
            && a.employees.is_none_or(|n| n < min)
        {
            fit *= icp.miss_factor;
        }
        fit
    }

    /// Scores one account from its attached events, as of `now`.
    pub fn score(
        &self,
        account: &Account,
        events: &[&AccountEvent],
        now: DateTime<Utc>,
    ) -> Readiness {
        let mut contributions: Vec<Contribution> = Vec::new();
        let mut story_at: HashMap<i64, usize> = HashMap::new();
        let mut capped_by = None;
        for ae in events {
            let e = &ae.event;
            if e.confidence < self.min_confidence {
                continue;
            }
            if self.risk.contains(&e.kind) {
                capped_by = Some(e.kind);
            }
            let age_days = ((now - e.published_at).num_seconds() as f32 / 86_400.0).max(0.0);
            let half = self.half_life(e.kind);
            let weight = self.weight(e.kind);
            let value = (weight
                * e.confidence
                * ae.match_confidence
                * ae.source_reliability
                * 2f32.powf(-age_days / half))
            .clamp(0.0, 1.0);
            let c = Contribution {
                event_id: e.id,
                kind: e.kind,
                value,
                weight,
                confidence: e.confidence,
                match_confidence: ae.match_confidence,
                reliability: ae.source_reliability,
                age_days,
                half_life_days: half,
                evidence: e.evidence.clone(),
                source: e.source.clone(),
                url: e.url.clone(),
                published_at: e.published_at,
                reports: 1,
            };
            // Several reports of one story count once: the strongest stands for it.
            match story_at.get(&e.story_id) {
                Some(&i) => {
                    let reports = contributions[i].reports + 1;
                    if c.value > contributions[i].value {
                        contributions[i] = c;
                    }
                    contributions[i].reports = reports;
                }
                None => {
                    story_at.insert(e.story_id, contributions.len());
                    contributions.push(c);
                }
            }
        }
        contributions.sort_by(|a, b| b.value.total_cmp(&a.value));
        let trigger_part = 1.0 - contributions.iter().map(|c| 1.0 - c.value).product::<f32>();
        let fit = self.fit(account);
        let mut score = (100.0 * trigger_part * fit).round().clamp(0.0, 100.0) as u8;
        if capped_by.is_some() {
            score = score.min(self.cfg.risk_cap);
        }
        let band = if score >= self.cfg.hot {
            Band::Hot
        } else if score >= self.cfg.warm {
            Band::Warm
        } else {
            Band::Cold
        };
        let why_now = match contributions.first() {
            Some(c) => format!(
                "{} ({}, {:.0} days ago): {}",
                c.kind.label(),
                c.published_at.format("%Y-%m-%d"),
                c.age_days,
                shorten(&c.evidence, 140)
            ),
            None => "no recent trigger events".into(),
        };
        Readiness {
            account_id: account.id,
            score,
            band,
            fit,
            capped_by,
            contributions,
            why_now,
        }
    }

    /// Scores every account that has events; highest first.
    pub fn score_all(
        &self,
        accounts: &[Account],
        events: &[AccountEvent],
        now: DateTime<Utc>,
    ) -> Vec<Readiness> {
        let mut by_account: HashMap<i64, Vec<&AccountEvent>> = HashMap::new();
        for e in events {
            by_account.entry(e.account_id).or_default().push(e);
        }
        let mut out: Vec<Readiness> = accounts
            .iter()
            .filter_map(|a| by_account.get(&a.id).map(|evs| self.score(a, evs, now)))
            .collect();
        out.sort_by(|a, b| b.score.cmp(&a.score).then(a.account_id.cmp(&b.account_id)));
        out
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, EventStatus, Lang, Role};
    use chrono::Duration;

    fn ev(id: i64, kind: TriggerKind, days_ago: i64, now: DateTime<Utc>) -> AccountEvent {
        AccountEvent {
            event: Event {
                id,
                story_id: id,
                kind,
                status: EventStatus::Announced,
                confidence: 1.0,
                evidence: format!("event {id}"),
                companies: vec![],
                locations: vec![],
                technologies: vec![],
                source: "s".into(),
                url: "u".into(),
                title: "t".into(),
                lang: Lang::En,
                published_at: now - Duration::days(days_ago),
            },
            account_id: 1,
            role: Role::Subject,
            match_confidence: 1.0,
            matched_as: String::new(),
            ambiguous: false,
            source_reliability: 1.0,
        }
    }

    fn account() -> Account {
        Account {
            id: 1,
            name: "A".into(),
            ..Account::default()
        }
    }

    #[test]
    fn formula_matches_design() {
        let now = Utc::now();
        let s = Scorer::new(&ScoreConfig::default(), 0.0);
        // acquisition: weight 0.9, half-life 120 days; one half-life old → 0.45.
        let a = ev(1, TriggerKind::Acquisition, 120, now);
        let r = s.score(&account(), &[&a], now);
        assert!(
            (r.contributions[0].value - 0.45).abs() < 0.01,
            "{:?}",
            r.contributions[0]
        );
        assert_eq!(r.score, 45);
        // a second fresh executive_hire (0.8): 1 − 0.55·0.2 = 0.89.
        let b = ev(2, TriggerKind::ExecutiveHire, 0, now);
        let r = s.score(&account(), &[&a, &b], now);
        assert_eq!(r.score, 89);
        assert_eq!(r.band, Band::Hot);
        assert_eq!(r.contributions[0].event_id, 2, "strongest first");
        assert!(r.why_now.starts_with("new executive"), "{}", r.why_now);
    }

    #[test]
    fn risk_caps_and_fit_scales() {
        let now = Utc::now();
        let mut cfg = ScoreConfig::default();
        let s = Scorer::new(&cfg, 0.0);
        let a = ev(1, TriggerKind::Acquisition, 0, now);
        let i = ev(2, TriggerKind::Insolvency, 0, now);
        let r = s.score(&account(), &[&a, &i], now);
        assert_eq!(r.score, 20);
        assert_eq!(r.capped_by, Some(TriggerKind::Insolvency));
        cfg.icp.industries = vec!["retail".into()];
        let s = Scorer::new(&cfg, 0.0);
        let r = s.score(&account(), &[&a], now);
        assert_eq!(r.score, 54); // 90 · 0.6
    }
}
