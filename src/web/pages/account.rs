//! One account (`/accounts/{id}`): the score with its full explanation, the score's history drawn
//! as an inline SVG chart, the events timeline with feedback buttons, technographics with first
//! and last seen, identifiers and CRM fields, and the feedback given.

use super::{fail, render, with_cookie};
use crate::app::{App, AppError};
use crate::store::ScorePoint;
use crate::web::csrf;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::sync::Arc;

struct TimelineView {
    event_id: i64,
    date: String,
    kind: &'static str,
    status: &'static str,
    role: &'static str,
    evidence: String,
    title: String,
    url: String,
    source: String,
    ambiguous: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    id: i64,
    name: String,
    score: u8,
    band: String,
    colour: String,
    why_now: String,
    explanation: Vec<String>,
    chart: String,
    points: usize,
    events: Vec<TimelineView>,
    /// (technology, source, first seen, last seen)
    tech: Vec<(String, String, String, String)>,
    /// (label, value) of identifiers and CRM fields that are set.
    identifiers: Vec<(&'static str, String)>,
    crm: Vec<(&'static str, String)>,
    /// (date, verdict, note)
    feedback: Vec<(String, &'static str, String)>,
    csrf: String,
    here: String,
}

/// `GET /accounts/{id}`
pub(in crate::web) async fn page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let v = match app.account_view(id).await {
        Ok(v) => v,
        Err(e @ AppError::UnknownAccount(_)) => {
            return (StatusCode::NOT_FOUND, e.to_string()).into_response();
        }
        Err(e) => return fail(e),
    };
    let a = &v.account;
    let some =
        |label: &'static str, v: Option<String>| v.filter(|s| !s.is_empty()).map(|v| (label, v));
    let identifiers: Vec<(&'static str, String)> = [
        some("INN", a.inn.clone()),
        some("OGRN", a.ogrn.clone()),
        some("KPP", a.kpp.clone()),
        some("Domains", Some(a.domains.join(", "))),
        some("Ticker", a.ticker.clone()),
        some("CIK", a.cik.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    let crm: Vec<(&'static str, String)> = [
        some("CRM id", Some(a.crm_id.clone())),
        some("CRM", Some(a.crm.clone())),
        some("Owner", a.owner.clone()),
        some("Segment", a.segment.clone()),
        some("Industry", a.industry.clone()),
        some("Country", a.country.clone()),
        some("Region", a.region.clone()),
        some("Employees", a.employees.map(|e| e.to_string())),
        some("Size", a.size.clone()),
        some("Revenue", a.revenue.clone()),
        some("Technologies (CRM)", Some(a.technologies.join(", "))),
        some("Last purchase", date(a.last_purchase)),
        some("Contract ends", date(a.contract_end)),
        some(
            "Plan used",
            a.usage_ratio.map(|u| format!("{:.0}%", u * 100.0)),
        ),
        some("Live since", date(a.go_live)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (token, cookie) = csrf::token(&headers);
    let (score, band, colour, why_now) = match &v.readiness {
        Some(r) => (
            r.score,
            r.band.as_str().to_string(),
            r.colour.clone(),
            r.why_now.clone(),
        ),
        None => (
            0,
            "cold".to_string(),
            String::new(),
            "no trigger events yet".to_string(),
        ),
    };
    let page = AccountPage {
        id,
        name: a.name.clone(),
        score,
        band,
        colour,
        why_now,
        explanation: v.explanation.clone(),
        chart: chart(
            &v.history,
            app.config.score.hot,
            app.config.score.warm,
            app.score_now(),
        ),
        points: v.history.len(),
        events: v
            .events
            .iter()
            .map(|e| TimelineView {
                event_id: e.event.id,
                date: e.event.published_at.format("%Y-%m-%d").to_string(),
                kind: e.event.kind.as_str(),
                status: e.event.status.as_str(),
                role: e.role.as_str(),
                evidence: e.event.evidence.clone(),
                title: e.event.title.clone(),
                url: e.event.url.clone(),
                source: e.event.source.clone(),
                ambiguous: e.ambiguous,
            })
            .collect(),
        tech: v
            .technographics
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.source.clone(),
                    t.first_seen_at.format("%Y-%m-%d").to_string(),
                    t.last_seen_at.format("%Y-%m-%d").to_string(),
                )
            })
            .collect(),
        identifiers,
        crm,
        feedback: v
            .feedback
            .iter()
            .map(|f| {
                (
                    f.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    f.verdict.as_str(),
                    f.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        csrf: token,
        here: format!("/accounts/{id}"),
    };
    with_cookie(render(page), cookie)
}

/// The score history as an inline SVG: a line over time, the hot and warm thresholds dashed,
/// a dot per change with its value as a tooltip. Empty history draws the axes alone.
pub fn chart(points: &[ScorePoint], hot: u8, warm: u8, now: DateTime<Utc>) -> String {
    const W: f64 = 640.0;
    const H: f64 = 180.0;
    const PAD: f64 = 28.0;
    let first = points.first().map_or(now, |p| p.at);
    let last = now.max(points.last().map_or(now, |p| p.at));
    let span = (last - first).num_seconds().max(86_400) as f64;
    let x = |t: DateTime<Utc>| PAD + (t - first).num_seconds() as f64 / span * (W - 2.0 * PAD);
    let y = |s: f64| H - PAD - s / 100.0 * (H - 2.0 * PAD);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" id=\"score-chart\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"Score history\">"
    );
    for (s, label) in [(0.0, "0"), (50.0, "50"), (100.0, "100")] {
        let _ = write!(
            svg,
            "<line x1=\"{PAD}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e1e4ea\"/><text x=\"4\" y=\"{:.1}\" font-size=\"10\" fill=\"#6b7385\">{label}</text>",
            W - PAD,
            y(s) + 3.0,
            y = y(s)
        );
    }
    for (s, class) in [(hot as f64, "hot"), (warm as f64, "warm")] {
        let _ = write!(
            svg,
            "<line class=\"threshold {class}\" x1=\"{PAD}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke-dasharray=\"4 3\" stroke=\"#b9c0cc\"/>",
            W - PAD,
            y = y(s)
        );
    }
    if !points.is_empty() {
        // A step line: a score holds until the next change, and up to now.
        let mut path = String::new();
        let mut prev: Option<f64> = None;
        for p in points {
            let (px, py) = (x(p.at), y(p.score as f64));
            match prev {
                None => {
                    let _ = write!(path, "M{px:.1},{py:.1}");
                }
                Some(_) => {
                    let _ = write!(path, " H{px:.1} V{py:.1}");
                }
            }
            prev = Some(py);
        }
        let _ = write!(path, " H{:.1}", x(last));
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"#2a4a8a\" stroke-width=\"2\"/>"
        );
        for p in points {
            let _ = write!(
                svg,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#2a4a8a\"><title>{} — {} ({})</title></circle>",
                x(p.at),
                y(p.score as f64),
                p.at.format("%Y-%m-%d %H:%M"),
                p.score,
                crate::search::escape_html(&p.band)
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"{PAD}\" y=\"{}\" font-size=\"10\" fill=\"#6b7385\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#6b7385\" text-anchor=\"end\">{}</text></svg>",
        H - 8.0,
        first.format("%Y-%m-%d"),
        W - PAD,
        H - 8.0,
        last.format("%Y-%m-%d")
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_a_point_per_change_and_the_thresholds() {
        let t = |d| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, d)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap()
                .and_utc()
        };
        let pts = vec![
            ScorePoint {
                at: t(1),
                score: 20,
                band: "cold".into(),
            },
            ScorePoint {
                at: t(10),
                score: 75,
                band: "hot".into(),
            },
            ScorePoint {
                at: t(20),
                score: 40,
                band: "warm".into(),
            },
        ];
        let svg = chart(&pts, 70, 40, t(30));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("threshold hot") && svg.contains("threshold warm"));
        assert!(svg.contains("2026-11-10 00:00 — 75 (hot)"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // The highest score sits highest (smallest y).
        let cy = |score: &str| {
            let i = svg.find(&format!("— {score} (")).unwrap();
            let c = svg[..i].rfind("cy=\"").unwrap() + 4;
            svg[c..c + svg[c..].find('"').unwrap()]
                .parse::<f64>()
                .unwrap()
        };
        assert!(cy("75") < cy("40") && cy("40") < cy("20"));
        assert_eq!(chart(&[], 70, 40, t(30)).matches("<circle").count(), 0);
    }
}
