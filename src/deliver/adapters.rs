//! CRM adapters: the generic JSON event, or the shape each CRM documents for its own API.
//!
//! - `generic`: `POST url`, the event as JSON (`{"id", "type", "timestamp", "data"}`).
//! - `hubspot` (`url` = the API base, `https://api.hubapi.com`): triggers and enrichment as a
//!   custom behavioural event, `POST /events/v3/send` with `eventName`, `objectId` (the
//!   company's HubSpot id, the account's CRM id) or the company's domain, `occurredAt`,
//!   `properties` and `uuid`; readiness changes as a company property update, `PATCH
//!   /crm/v3/objects/companies/{id}` with `trigger_radar_readiness` and `trigger_radar_band`.
//! - `bitrix24` (`url` = the portal's incoming-webhook URL, `https://x.bitrix24.ru/rest/1/key/`):
//!   `crm.timeline.comment.add` with `fields: {ENTITY_ID, ENTITY_TYPE: "company", COMMENT}`.
//! - `amocrm` (`url` = the account's base, `https://x.amocrm.ru`): `POST
//!   /api/v4/companies/notes` with one `extended_service_message` note.
//!
//! CRM API tokens come from the environment variable named in the subscription's `token_env`
//! option and go only to that subscription's URL.

use crate::store::webhooks::Subscription;
use serde_json::{Value, json};

/// A request an adapter builds.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub method: reqwest::Method,
    pub url: String,
    pub body: Vec<u8>,
}

/// Why a message cannot be shaped for its CRM.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error("the stored message is not valid JSON: {0}")]
    Payload(String),
    #[error("unknown webhook format `{0}` (use generic, hubspot, bitrix24 or amocrm)")]
    Format(String),
    #[error("{0}")]
    Shape(String),
}

/// The formats there are adapters for.
pub const FORMATS: &[&str] = &["generic", "hubspot", "bitrix24", "amocrm"];

fn s<'v>(v: &'v Value, p: &str) -> &'v str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// A line a person reads in the CRM's timeline.
pub fn summary(event: &Value) -> String {
    let d = &event["data"];
    match s(event, "/type") {
        "trigger.detected" => {
            let conf = d
                .pointer("/event/confidence")
                .and_then(Value::as_f64)
                .map(|c| format!(", {:.0}%", c * 100.0))
                .unwrap_or_default();
            let url = s(d, "/event/url");
            format!(
                "Trigger Radar: {} ({}{conf}) — {}{}",
                s(d, "/event/kind").replace('_', " "),
                s(d, "/event/status"),
                s(d, "/event/evidence"),
                if url.starts_with("http") {
                    format!(" — {url}")
                } else {
                    String::new()
                }
            )
        }
        "account.readiness_changed" => format!(
            "Trigger Radar: readiness {} → {} ({} → {}). {}",
            d.pointer("/old/score")
                .map_or("—".into(), |v| v.to_string()),
            d.pointer("/new/score")
                .map_or("—".into(), |v| v.to_string()),
            d.pointer("/old/band")
                .and_then(Value::as_str)
                .unwrap_or("none"),
            s(d, "/new/band"),
            s(d, "/why_now")
        ),
        "account.enriched" => {
            let list = |p: &str| {
                d.pointer(p)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            let tech = list("/technologies");
            let ids = d
                .get("identifiers")
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let mut parts = Vec::new();
            if !tech.is_empty() {
                parts.push(format!("technologies seen: {tech}"));
            }
            if !ids.is_empty() {
                parts.push(format!("identifiers learned: {ids}"));
            }
            format!("Trigger Radar: {}", parts.join("; "))
        }
        other => format!("Trigger Radar: {other}"),
    }
}

/// A CRM record id as the CRM's JSON wants it: a number when it is one.
fn record_id(crm_id: &str) -> Value {
    crm_id
        .parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(crm_id))
}

/// A UUID-shaped string from a message id (HubSpot's `uuid` deduplicates events).
fn uuid_of(msg_id: &str) -> String {
    let hex: String = msg_id
        .trim_start_matches("msg_")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Shapes a stored generic event for the subscription's CRM.
pub fn shape(sub: &Subscription, payload: &str) -> Result<Outgoing, AdapterError> {
    let event: Value =
        serde_json::from_str(payload).map_err(|e| AdapterError::Payload(e.to_string()))?;
    let d = &event["data"];
    let crm_id = s(d, "/account/crm_id");
    let post = |url: String, body: Value| Outgoing {
        method: reqwest::Method::POST,
        url,
        body: body.to_string().into_bytes(),
    };
    match sub.format.as_str() {
        "generic" => Ok(Outgoing {
            method: reqwest::Method::POST,
            url: sub.url.clone(),
            body: payload.as_bytes().to_vec(),
        }),
        "hubspot" => {
            if s(&event, "/type") == "account.readiness_changed" {
                if crm_id.is_empty() {
                    return Err(AdapterError::Shape(
                        "the account has no HubSpot company id to update".into(),
                    ));
                }
                let body = json!({"properties": {
                    "trigger_radar_readiness": d.pointer("/new/score").cloned().unwrap_or(Value::Null),
                    "trigger_radar_band": s(d, "/new/band"),
                }});
                return Ok(Outgoing {
                    method: reqwest::Method::PATCH,
                    url: join(&sub.url, &format!("/crm/v3/objects/companies/{crm_id}")),
                    body: body.to_string().into_bytes(),
                });
            }
            let event_name = sub
                .options
                .get("event_name")
                .and_then(Value::as_str)
                .unwrap_or("trigger_radar_trigger");
            let occurred = d
                .pointer("/event/published_at")
                .and_then(Value::as_str)
                .unwrap_or(s(&event, "/timestamp"));
            let mut body = json!({
                "eventName": event_name,
                "occurredAt": occurred,
                "uuid": uuid_of(s(&event, "/id")),
                "properties": {
                    "trigger_type": s(&event, "/type"),
                    "trigger_kind": s(d, "/event/kind"),
                    "trigger_status": s(d, "/event/status"),
                    "trigger_evidence": s(d, "/event/evidence"),
                    "trigger_source_url": s(d, "/event/url"),
                    "trigger_confidence": d.pointer("/event/confidence").cloned().unwrap_or(Value::Null),
                    "trigger_radar_readiness": d.pointer("/account/score").cloned().unwrap_or(Value::Null),
                    "trigger_summary": summary(&event),
                }
            });
            match (
                crm_id.parse::<u64>(),
                d.pointer("/account/domain").and_then(Value::as_str),
            ) {
                (Ok(id), _) => body["objectId"] = Value::from(id),
                (Err(_), Some(domain)) => body["domain"] = Value::from(domain),
                (Err(_), None) => {
                    return Err(AdapterError::Shape(
                        "the account has neither a numeric HubSpot company id nor a domain".into(),
                    ));
                }
            }
            Ok(post(join(&sub.url, "/events/v3/send"), body))
        }
        "bitrix24" => {
            if crm_id.is_empty() {
                return Err(AdapterError::Shape(
                    "the account has no Bitrix24 company id".into(),
                ));
            }
            let body = json!({"fields": {
                "ENTITY_ID": record_id(crm_id),
                "ENTITY_TYPE": "company",
                "COMMENT": summary(&event),
            }});
            Ok(post(join(&sub.url, "crm.timeline.comment.add.json"), body))
        }
        "amocrm" => {
            let Ok(id) = crm_id.parse::<u64>() else {
                return Err(AdapterError::Shape(format!(
                    "amoCRM company ids are numbers; the account's CRM id is `{crm_id}`"
                )));
            };
            let body = json!([{
                "entity_id": id,
                "note_type": "extended_service_message",
                "params": {"service": "Trigger Radar", "text": summary(&event)},
            }]);
            Ok(post(join(&sub.url, "/api/v4/companies/notes"), body))
        }
        other => Err(AdapterError::Format(other.into())),
    }
}

/// Whether a 2xx answer still reports a failure in its body (Bitrix24 answers errors as JSON,
/// `QUERY_LIMIT_EXCEEDED` when called more than twice a second).
pub fn body_error(format: &str, body: &str) -> Option<String> {
    if format != "bitrix24" {
        return None;
    }
    let v: Value = serde_json::from_str(body).ok()?;
    v.get("error").and_then(Value::as_str).map(|e| {
        let d = v
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or("");
        format!("{e}: {d}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_uuid_shaped() {
        assert_eq!(
            uuid_of("msg_00112233445566778899aabbccddeeff"),
            "00112233-4455-6677-8899-aabbccddeeff"
        );
        assert_eq!(uuid_of("msg_x").len(), 36);
    }
}
