//! `hiring_surge`: an account's open postings rising sharply against its own baseline — at least
//! `surge_factor` × the median of its daily open postings over the baseline period, and at least
//! `surge_min_new` new postings in the recent window.

use crate::config::PostingsConfig;
use crate::store::Posting;
use chrono::{DateTime, Duration, Utc};

/// A detected surge, with what shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Surge {
    pub open_now: usize,
    /// Median open postings per day over the baseline period.
    pub baseline_median: f32,
    pub new_recent: usize,
    /// Titles of the newest postings (evidence).
    pub titles: Vec<String>,
}

fn open_at(p: &Posting, t: DateTime<Utc>) -> bool {
    p.first_seen_at <= t && p.closed_at.is_none_or(|c| c > t)
}

/// Whether `postings` (an account's, since before the baseline period) show a surge at `now`.
/// `history_since`: when the account's postings were first observed; a shorter history than
/// `min_history_days` is no baseline (a new board's first listing is not a surge).
pub fn surge(
    postings: &[Posting],
    history_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    cfg: &PostingsConfig,
) -> Option<Surge> {
    let since = history_since?;
    if now - since < Duration::days(cfg.min_history_days) {
        return None;
    }
    let window_start = now - Duration::days(cfg.surge_window_days);
    let base_start = now - Duration::days(cfg.baseline_days);
    let mut daily: Vec<usize> = (0..(cfg.baseline_days - cfg.surge_window_days).max(1))
        .map(|d| base_start + Duration::days(d))
        .filter(|t| *t >= since)
        .map(|t| postings.iter().filter(|p| open_at(p, t)).count())
        .collect();
    if daily.is_empty() {
        return None;
    }
    daily.sort_unstable();
    let median = if daily.len() % 2 == 1 {
        daily[daily.len() / 2] as f32
    } else {
        (daily[daily.len() / 2 - 1] + daily[daily.len() / 2]) as f32 / 2.0
    };
    let open_now = postings.iter().filter(|p| open_at(p, now)).count();
    let mut recent: Vec<&Posting> = postings
        .iter()
        .filter(|p| p.first_seen_at > window_start && p.first_seen_at <= now)
        .collect();
    let surging =
        recent.len() >= cfg.surge_min_new && open_now as f32 >= cfg.surge_factor * median.max(1.0);
    if !surging {
        return None;
    }
    recent.sort_by_key(|p| std::cmp::Reverse(p.first_seen_at));
    Some(Surge {
        open_now,
        baseline_median: median,
        new_recent: recent.len(),
        titles: recent.iter().take(5).map(|p| p.title.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting(i: usize, first: DateTime<Utc>, closed: Option<DateTime<Utc>>) -> Posting {
        Posting {
            url: format!("u{i}"),
            title: format!("Engineer {i}"),
            first_seen_at: first,
            last_seen_at: closed.unwrap_or(first),
            closed_at: closed,
        }
    }

    #[test]
    fn a_synthetic_time_series() {
        let cfg = PostingsConfig::default();
        let now = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let day = |d: i64| now - Duration::days(d);
        // Three steady postings for 90 days, one turning over each month.
        let mut ps: Vec<Posting> = (0..3).map(|i| posting(i, day(90), None)).collect();
        ps.push(posting(3, day(80), Some(day(50))));
        ps.push(posting(4, day(50), Some(day(20))));
        let since = Some(day(90));
        assert_eq!(surge(&ps, since, now, &cfg), None, "steady hiring");
        // Four new postings in two weeks: 7 open against a median of 4, but fewer than 5 new.
        for i in 0..4 {
            ps.push(posting(10 + i, day(10 - i as i64), None));
        }
        assert_eq!(
            surge(&ps, since, now, &cfg),
            None,
            "not enough new postings"
        );
        // A fifth: 8 open ≥ 2 × 4, 5 new.
        ps.push(posting(20, day(2), None));
        let s = surge(&ps, since, now, &cfg).expect("a surge");
        assert_eq!((s.open_now, s.new_recent), (8, 5));
        assert!((s.baseline_median - 4.0).abs() < 1e-6, "{s:?}");
        assert_eq!(s.titles[0], "Engineer 20");
        // The same postings on a board first seen ten days ago: no baseline, no surge.
        assert_eq!(surge(&ps, Some(day(10)), now, &cfg), None);
    }
}
