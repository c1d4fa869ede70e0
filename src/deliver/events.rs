//! The messages changes cause, as the generic JSON event's `data`: `trigger.detected` (a new
//! event attached to an account), `account.readiness_changed` (a score crossing a band
//! boundary) and `account.enriched` (technologies or identifiers learned).

use crate::accounts::AccountMatch;
use crate::model::{Document, Readiness, TriggerHit, company_names};
use crate::store::webhooks::{Message, MessageAccount};
use serde_json::json;

/// A new event attached to an account.
pub fn trigger_detected(
    account: MessageAccount,
    event_id: i64,
    story_id: i64,
    doc: &Document,
    hit: &TriggerHit,
    m: &AccountMatch,
) -> Message {
    let data = json!({
        "account": account,
        "event": {
            "id": event_id,
            "story_id": story_id,
            "kind": hit.kind.as_str(),
            "status": hit.status.as_str(),
            "confidence": hit.confidence,
            "evidence": hit.evidence,
            "cue": hit.cue,
            "companies": company_names(&hit.mentions),
            "amounts": hit.amounts,
            "locations": hit.locations,
            "technologies": hit.technologies,
            "title": doc.title,
            "url": doc.url,
            "source": doc.source,
            "lang": doc.lang.as_str(),
            "published_at": doc.published_at.to_rfc3339(),
            "role": m.role.as_str(),
            "match_confidence": m.confidence,
            "matched_as": m.matched_as,
        },
    });
    Message {
        saved_search: None,
        event_type: "trigger.detected",
        account,
        kind: Some(hit.kind),
        data,
    }
}

/// A score that crossed a band boundary (`old` is `None` for an account scored first).
pub fn readiness_changed(
    account: MessageAccount,
    old: Option<(i64, String)>,
    new: &Readiness,
) -> Message {
    let data = json!({
        "account": account,
        "old": old.as_ref().map(|(s, b)| json!({"score": s, "band": b})),
        "new": {"score": new.score, "band": new.band.as_str()},
        "why_now": new.why_now,
        "explanation": crate::score::explain(new),
    });
    Message {
        saved_search: None,
        event_type: "account.readiness_changed",
        account,
        kind: None,
        data,
    }
}

/// Technologies or identifiers learned about an account.
pub fn enriched(
    account: MessageAccount,
    technologies: &[String],
    identifiers: &[(&str, String)],
) -> Message {
    let ids: serde_json::Map<String, serde_json::Value> = identifiers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let data = json!({
        "account": account,
        "technologies": technologies,
        "identifiers": ids,
    });
    Message {
        saved_search: None,
        event_type: "account.enriched",
        account,
        kind: None,
        data,
    }
}
