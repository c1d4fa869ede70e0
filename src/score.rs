//! Readiness (DESIGN §6): every attached event contributes
//! `weight · confidence · match · reliability · 2^(−age/half_life)`; CRM signals (inactive,
//! contract ending, plan nearly used up, a month after go-live) contribute the same way; the
//! contributions combine as `1 − Π(1 − c)`; the result times the account's ICP fit, capped by
//! risk events, is the 0–100 score. Every score carries its explanation, and decay can be
//! recomputed from a stored score without reading events again.

use crate::config::ScoreConfig;
use crate::model::{Account, AccountEvent, Band, Contribution, Readiness, TechRole, TriggerKind};
use chrono::{DateTime, Duration, NaiveTime, Utc};
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

/// Risk events cap the score while younger than this many half-lives.
const RISK_HALF_LIVES: f32 = 2.0;

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

    /// How well an account fits the ICP (1 when every configured criterion holds) and the
    /// criteria it misses. `learned` are technologies seen in its events.
    pub fn fit(&self, a: &Account, learned: &[String]) -> (f32, Vec<String>) {
        let icp = &self.cfg.icp;
        let mut misses = Vec::new();
        let matches_any = |value: &Option<String>, list: &[String]| {
            list.is_empty()
                || value.as_deref().is_some_and(|v| {
                    list.iter().any(|x| {
                        let (v, x) = (v.to_lowercase(), x.to_lowercase());
                        v == x || v.contains(&x)
                    })
                })
        };
        if !matches_any(&a.industry, &icp.industries) {
            misses.push(format!(
                "industry {} not in the ICP",
                a.industry.as_deref().unwrap_or("unknown")
            ));
        }
        if !matches_any(&a.region, &icp.regions) {
            misses.push(format!(
                "region {} not in the ICP",
                a.region.as_deref().unwrap_or("unknown")
            ));
        }
        if !matches_any(&a.size, &icp.sizes) {
            misses.push(format!(
                "size {} not in the ICP",
                a.size.as_deref().unwrap_or("unknown")
            ));
        }
        if let Some(min) = icp.min_employees
            && a.employees.is_none_or(|n| n < min)
        {
            misses.push(format!("fewer than {min} employees (or unknown)"));
        }
        if let Some(max) = icp.max_employees
            && a.employees.is_some_and(|n| n > max)
        {
            misses.push(format!("more than {max} employees"));
        }
        if !icp.technologies.is_empty() {
            let has = a.technologies.iter().chain(learned).any(|t| {
                icp.technologies.iter().any(|x| {
                    t.eq_ignore_ascii_case(x) || t.to_lowercase().starts_with(&x.to_lowercase())
                })
            });
            if !has {
                misses.push("none of the ICP technologies known".into());
            }
        }
        (icp.miss_factor.powi(misses.len() as i32), misses)
    }

    /// The CRM signals an account's own data raises as of `now`.
    pub fn crm_signals(&self, a: &Account, now: DateTime<Utc>) -> Vec<Contribution> {
        let c = &self.cfg.crm;
        let today = now.date_naive();
        let at = |d: chrono::NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
        let mut out = Vec::new();
        let mut push = |kind: TriggerKind, since: DateTime<Utc>, decays: bool, evidence: String| {
            out.push(self.contribution(
                kind,
                None,
                None,
                1.0,
                1.0,
                1.0,
                if decays { since } else { now },
                now,
                evidence,
                "crm".into(),
                String::new(),
            ));
        };
        if let Some(last) = a.last_purchase {
            let days = (today - last).num_days();
            if days >= c.inactive_days {
                push(
                    TriggerKind::Inactive,
                    at(last) + Duration::days(c.inactive_days),
                    true,
                    format!("no purchase for {days} days (last on {last})"),
                );
            }
        }
        if let Some(end) = a.contract_end {
            let left = (end - today).num_days();
            if (0..=c.contract_ending_days).contains(&left) {
                push(
                    TriggerKind::ContractEnding,
                    at(end) - Duration::days(c.contract_ending_days),
                    false,
                    format!("the contract ends on {end}, in {left} days"),
                );
            }
        }
        if let Some(u) = a.usage_ratio
            && u >= c.usage_limit
        {
            push(
                TriggerKind::UsageLimit,
                now,
                false,
                format!(
                    "{:.0}% of the plan is used (threshold {:.0}%)",
                    u * 100.0,
                    c.usage_limit * 100.0
                ),
            );
        }
        if let Some(live) = a.go_live {
            let days = (today - live).num_days();
            if days >= c.post_implementation_days {
                push(
                    TriggerKind::PostImplementation,
                    at(live) + Duration::days(c.post_implementation_days),
                    true,
                    format!("live since {live}, {days} days ago: time to review and expand"),
                );
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn contribution(
        &self,
        kind: TriggerKind,
        event_id: Option<i64>,
        story_id: Option<i64>,
        confidence: f32,
        match_confidence: f32,
        reliability: f32,
        published_at: DateTime<Utc>,
        now: DateTime<Utc>,
        evidence: String,
        source: String,
        url: String,
    ) -> Contribution {
        let weight = self.weight(kind);
        let half = self.half_life(kind);
        let base = (weight * confidence * match_confidence * reliability).clamp(0.0, 1.0);
        let age_days = ((now - published_at).num_seconds() as f32 / 86_400.0).max(0.0);
        Contribution {
            event_id,
            story_id,
            kind,
            value: base * 2f32.powf(-age_days / half),
            base,
            weight,
            confidence,
            match_confidence,
            reliability,
            age_days,
            half_life_days: half,
            evidence,
            source,
            url,
            published_at,
            reports: 1,
        }
    }

    /// Scores one account from its attached events and CRM data, as of `now`. Ambiguous matches
    /// and events below the confidence threshold do not count.
    pub fn score(
        &self,
        account: &Account,
        events: &[&AccountEvent],
        now: DateTime<Utc>,
    ) -> Readiness {
        let mut contributions: Vec<Contribution> = Vec::new();
        let mut story_at: HashMap<i64, usize> = HashMap::new();
        let mut learned: Vec<String> = Vec::new();
        for ae in events {
            let e = &ae.event;
            for t in &e.technologies {
                if t.role == TechRole::To && !learned.contains(&t.name) {
                    learned.push(t.name.clone());
                }
            }
            if e.confidence < self.min_confidence || ae.ambiguous || e.kind.is_crm() {
                continue;
            }
            let c = self.contribution(
                e.kind,
                Some(e.id),
                Some(e.story_id),
                e.confidence,
                ae.match_confidence,
                ae.source_reliability,
                e.published_at,
                now,
                e.evidence.clone(),
                e.source.clone(),
                e.url.clone(),
            );
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
        self.combine(account, contributions, learned, now)
    }

    /// The same account's score at `now`, from its stored score: event contributions decay
    /// from their stored base values, CRM signals are recomputed from the account. No events are
    /// read.
    pub fn rescore(&self, account: &Account, prev: &Readiness, now: DateTime<Utc>) -> Readiness {
        let events: Vec<Contribution> = prev
            .contributions
            .iter()
            .filter(|c| c.event_id.is_some())
            .map(|c| {
                let age_days = ((now - c.published_at).num_seconds() as f32 / 86_400.0).max(0.0);
                // Scores stored before `base` existed carry its factors.
                let base = if c.base > 0.0 {
                    c.base
                } else {
                    (c.weight * c.confidence * c.match_confidence * c.reliability).clamp(0.0, 1.0)
                };
                Contribution {
                    value: base * 2f32.powf(-age_days / c.half_life_days.max(0.1)),
                    base,
                    age_days,
                    ..c.clone()
                }
            })
            .collect();
        self.combine(account, events, prev.learned_technologies.clone(), now)
    }

    fn combine(
        &self,
        account: &Account,
        mut contributions: Vec<Contribution>,
        learned: Vec<String>,
        now: DateTime<Utc>,
    ) -> Readiness {
        contributions.extend(self.crm_signals(account, now));
        let capped_by = contributions
            .iter()
            .filter(|c| {
                self.risk.contains(&c.kind) && c.age_days < RISK_HALF_LIVES * c.half_life_days
            })
            .map(|c| c.kind)
            .next();
        contributions.sort_by(|a, b| b.value.total_cmp(&a.value));
        let trigger_part = 1.0 - contributions.iter().map(|c| 1.0 - c.value).product::<f32>();
        let (fit, fit_misses) = self.fit(account, &learned);
        let mut score = (100.0 * trigger_part * fit).round().clamp(0.0, 100.0) as u8;
        if capped_by.is_some() {
            score = score.min(self.cfg.risk_cap);
        }
        let band = self.band(score);
        let why_now = match contributions.first() {
            Some(c) if c.value > 0.0 => why_line(c),
            _ => "no recent trigger events".into(),
        };
        Readiness {
            account_id: account.id,
            score,
            band,
            colour: self.colour(band).to_string(),
            fit,
            fit_misses,
            computed_at: now,
            capped_by,
            contributions,
            why_now,
            learned_technologies: learned,
        }
    }

    /// The band of a score.
    pub fn band(&self, score: u8) -> Band {
        if score >= self.cfg.hot {
            Band::Hot
        } else if score >= self.cfg.warm {
            Band::Warm
        } else {
            Band::Cold
        }
    }

    /// The configured colour of a band.
    pub fn colour(&self, band: Band) -> &str {
        match band {
            Band::Hot => &self.cfg.colours.hot,
            Band::Warm => &self.cfg.colours.warm,
            Band::Cold => &self.cfg.colours.cold,
        }
    }

    /// Scores every account that has events or CRM signals; highest first.
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
            .map(|a| {
                let evs = by_account.get(&a.id).map(Vec::as_slice).unwrap_or_default();
                self.score(a, evs, now)
            })
            .filter(|r| !r.contributions.is_empty())
            .collect();
        out.sort_by(|a, b| b.score.cmp(&a.score).then(a.account_id.cmp(&b.account_id)));
        out
    }
}

fn why_line(c: &Contribution) -> String {
    if c.event_id.is_none() {
        return format!("{} (CRM): {}", c.kind.label(), c.evidence);
    }
    format!(
        "{} ({}, {:.0} days ago): {}",
        c.kind.label(),
        c.published_at.format("%Y-%m-%d"),
        c.age_days,
        shorten(&c.evidence, 140)
    )
}

/// The explanation of a score, one line per contribution, strongest first: what it adds, its
/// factors, the evidence and the link.
pub fn explain(r: &Readiness) -> Vec<String> {
    let mut lines = vec![format!(
        "readiness {} ({}) = 100 × (1 − Π(1 − contribution)) × fit {:.2}{}",
        r.score,
        r.band.as_str(),
        r.fit,
        r.capped_by
            .map(|k| format!(", capped by {}", k.label()))
            .unwrap_or_default()
    )];
    for m in &r.fit_misses {
        lines.push(format!("  fit: {m}"));
    }
    for c in &r.contributions {
        let factors = if c.event_id.is_some() {
            format!(
                "weight {:.2} × confidence {:.2} × match {:.2} × source {:.2} × decay {:.2} ({:.0} d, half-life {:.0} d)",
                c.weight,
                c.confidence,
                c.match_confidence,
                c.reliability,
                2f32.powf(-c.age_days / c.half_life_days.max(0.1)),
                c.age_days,
                c.half_life_days
            )
        } else {
            format!(
                "weight {:.2} × decay {:.2} (CRM signal)",
                c.weight,
                2f32.powf(-c.age_days / c.half_life_days.max(0.1))
            )
        };
        let reports = if c.reports > 1 {
            format!(" · {} reports", c.reports)
        } else {
            String::new()
        };
        lines.push(format!(
            "  +{:>3.0}% {:<20} {}{}",
            c.value * 100.0,
            c.kind.label(),
            factors,
            reports
        ));
        lines.push(format!("        “{}”", shorten(&c.evidence, 200)));
        if !c.url.is_empty() {
            lines.push(format!(
                "        {} · {} · {}",
                c.source,
                c.published_at.format("%Y-%m-%d"),
                c.url
            ));
        }
    }
    lines
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
                baseline: false,
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
        assert_eq!(r.contributions[0].event_id, Some(2), "strongest first");
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

    #[test]
    fn crm_signals_enter_the_score_with_their_thresholds() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let s = Scorer::new(&ScoreConfig::default(), 0.0);
        let mut a = account();
        a.last_purchase = d("2026-07-01"); // 145 days: inactive since 55 days
        a.contract_end = d("2026-12-10"); // 17 days left
        a.usage_ratio = Some(0.8);
        a.go_live = d("2026-10-01"); // 53 days: post-implementation since 23 days
        let r = s.score(&a, &[], now);
        let kinds: Vec<TriggerKind> = r.contributions.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TriggerKind::ContractEnding,
                TriggerKind::UsageLimit,
                TriggerKind::Inactive,
                TriggerKind::PostImplementation
            ]
        );
        assert!(
            (r.contributions[0].value - 0.8).abs() < 1e-6,
            "no decay while it holds"
        );
        assert!(r.why_now.contains("2026-12-10"), "{}", r.why_now);
        // Below every threshold: nothing.
        a.last_purchase = d("2026-10-01");
        a.contract_end = d("2027-03-01");
        a.usage_ratio = Some(0.5);
        a.go_live = d("2026-11-10");
        assert!(s.score(&a, &[], now).contributions.is_empty());
        // Thresholds are configuration.
        let mut cfg = ScoreConfig::default();
        cfg.crm.usage_limit = 0.4;
        let r = Scorer::new(&cfg, 0.0).score(&a, &[], now);
        assert_eq!(r.contributions[0].kind, TriggerKind::UsageLimit);
    }

    #[test]
    fn decay_is_recomputed_from_the_stored_score_alone() {
        let now = Utc::now();
        let s = Scorer::new(&ScoreConfig::default(), 0.0);
        let a = ev(1, TriggerKind::Acquisition, 0, now);
        let r0 = s.score(&account(), &[&a], now);
        assert_eq!(r0.score, 90);
        let later = now + Duration::days(120);
        let r1 = s.rescore(&account(), &r0, later);
        let full = s.score(&account(), &[&a], later);
        assert_eq!(r1.score, full.score);
        assert_eq!(r1.score, 45);
    }

    #[test]
    fn fit_counts_technologies_from_the_crm_and_from_events() {
        let now = Utc::now();
        let mut cfg = ScoreConfig::default();
        cfg.icp.technologies = vec!["postgresql".into()];
        let s = Scorer::new(&cfg, 0.0);
        let a = ev(1, TriggerKind::Acquisition, 0, now);
        let r = s.score(&account(), &[&a], now);
        assert_eq!(r.score, 54, "{:?}", r.fit_misses);
        assert_eq!(r.fit_misses, vec!["none of the ICP technologies known"]);
        let mut learned = ev(2, TriggerKind::TechChange, 0, now);
        learned.event.technologies = vec![crate::model::TechRef {
            name: "postgresql".into(),
            category: "database".into(),
            role: TechRole::To,
        }];
        let r = s.score(&account(), &[&a, &learned], now);
        assert!((r.fit - 1.0).abs() < 1e-6);
        let mut with_crm = account();
        with_crm.technologies = vec!["postgresql".into()];
        assert!((s.score(&with_crm, &[&a], now).fit - 1.0).abs() < 1e-6);
    }

    #[test]
    fn ambiguous_matches_do_not_count() {
        let now = Utc::now();
        let s = Scorer::new(&ScoreConfig::default(), 0.0);
        let mut a = ev(1, TriggerKind::Acquisition, 0, now);
        a.ambiguous = true;
        assert_eq!(s.score(&account(), &[&a], now).score, 0);
    }
}
