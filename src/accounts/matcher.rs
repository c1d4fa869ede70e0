//! Attaches detected events to accounts: identifiers first (INN in the text), then names and
//! aliases, normalised on both sides (NFKC, case, ё→е, punctuation, legal forms stripped), found in
//! one aho-corasick pass over the evidence sentence.

use crate::detect::mentions::LEGAL_FORMS;
use crate::model::{Account, Role, TriggerHit};
use crate::text::{fold_for_names, name_key};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// An event attached to one account.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccountMatch {
    pub account_id: i64,
    pub role: Role,
    /// 0–1: how sure we are that the mention is this account.
    pub confidence: f32,
    /// The key or identifier that matched.
    pub matched_as: String,
}

/// A name found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct NameHit {
    pub account_id: i64,
    /// Byte span in the searched text.
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
    pub key: String,
}

static INN_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)инн\s*:?\s*(\d{12}|\d{10})").expect("the INN pattern is a valid regex")
});

/// Case endings that may follow a Russian name in running text.
const RU_CASE_ENDINGS: &[&str] = &[
    "а", "я", "у", "ю", "ом", "ем", "ым", "е", "и", "ы", "ой", "ей", "ою", "ею", "ов", "ев",
];

/// Name keys → accounts, compiled once per account list.
pub struct Matcher {
    ac: Option<AhoCorasick>,
    /// Per pattern: the accounts that share the key.
    owners: Vec<Vec<i64>>,
    keys: Vec<String>,
    by_inn: HashMap<String, i64>,
    names: HashMap<i64, String>,
}

/// The name without legal forms at either end: "ооо ромашка" → "ромашка", "acme corp" → "acme".
pub fn strip_legal_forms(key: &str) -> String {
    let mut words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
    while words.len() > 1 && LEGAL_FORMS.contains(&words[0]) {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_FORMS.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

impl Matcher {
    /// Builds the matcher for `accounts`.
    pub fn new(accounts: &[Account]) -> Matcher {
        let mut key_owners: HashMap<String, Vec<i64>> = HashMap::new();
        let mut by_inn = HashMap::new();
        for a in accounts {
            let mut keys: Vec<String> = Vec::new();
            for n in std::iter::once(&a.name).chain(a.aliases.iter()) {
                let full = name_key(n);
                keys.push(strip_legal_forms(&full));
                keys.push(full);
            }
            for d in &a.domains {
                keys.push(name_key(d));
            }
            keys.sort();
            keys.dedup();
            for k in keys {
                // Very short keys ("ab", "x5") match inside too many unrelated texts.
                if k.chars().count() < 3 {
                    continue;
                }
                let owners = key_owners.entry(k).or_default();
                if !owners.contains(&a.id) {
                    owners.push(a.id);
                }
            }
            if let Some(inn) = &a.inn {
                by_inn.insert(inn.clone(), a.id);
            }
        }
        let mut keys: Vec<String> = key_owners.keys().cloned().collect();
        keys.sort();
        let owners = keys.iter().map(|k| key_owners[k].clone()).collect();
        let ac = if keys.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&keys)
                .ok()
        };
        Matcher {
            ac,
            owners,
            keys,
            by_inn,
            names: accounts.iter().map(|a| (a.id, a.name.clone())).collect(),
        }
    }

    /// The account's display name.
    pub fn account_name(&self, id: i64) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// Account names found in `text`, with byte spans in `text`.
    pub fn find_names(&self, text: &str) -> Vec<NameHit> {
        let Some(ac) = &self.ac else {
            return Vec::new();
        };
        let folded = fold_for_names(text);
        let f = folded.text.as_bytes();
        let mut out = Vec::new();
        for m in ac.find_iter(&folded.text) {
            let (s, e) = (m.start(), m.end());
            // Keys are whole words: the folded text has a space (or an edge) around a real hit.
            if s > 0 && f[s - 1] != b' ' {
                continue;
            }
            // Russian names decline («Ферровикса», «Техностаном»): a case ending may follow a
            // Cyrillic key, at a small cost in confidence.
            let mut inflected = false;
            if e < f.len() && f[e] != b' ' {
                let rest = &folded.text[e..];
                let word_end = rest.find(' ').unwrap_or(rest.len());
                let ending = &rest[..word_end];
                let cyrillic_key = folded.text[s..e]
                    .chars()
                    .next_back()
                    .is_some_and(|c| ('а'..='я').contains(&c));
                if !(cyrillic_key && RU_CASE_ENDINGS.contains(&ending)) {
                    continue;
                }
                inflected = true;
            }
            let pid = m.pattern().as_usize();
            let key = &self.keys[pid];
            let owners = &self.owners[pid];
            let words = key.split(' ').count();
            let base = if words >= 2 { 0.9 } else { 0.8 };
            // A key shared by several accounts cannot tell them apart: keep all, sure of none.
            let conf = if owners.len() > 1 { base * 0.5 } else { base };
            let conf = if inflected { conf * 0.95 } else { conf };
            for id in owners {
                out.push(NameHit {
                    account_id: *id,
                    start: folded.original(s),
                    end: folded.original(e),
                    confidence: conf,
                    key: key.clone(),
                });
            }
        }
        out
    }

    /// The accounts an event's evidence (and supporting sentences) name, with the role of the
    /// mention that names them.
    pub fn match_hit(&self, text: &str, hit: &TriggerHit) -> Vec<AccountMatch> {
        let mut best: HashMap<i64, AccountMatch> = HashMap::new();
        let mut add = |m: AccountMatch| match best.get(&m.account_id) {
            Some(prev) if prev.confidence >= m.confidence => {}
            _ => {
                best.insert(m.account_id, m);
            }
        };
        let spans = std::iter::once((hit.evidence_start, hit.evidence_end))
            .chain(hit.support.iter().copied());
        for (start, end) in spans {
            let Some(sentence) = text.get(start..end) else {
                continue;
            };
            for cap in INN_IN_TEXT.captures_iter(sentence) {
                if let Some(id) = cap.get(1).and_then(|g| self.by_inn.get(g.as_str())) {
                    add(AccountMatch {
                        account_id: *id,
                        role: Role::Subject,
                        confidence: 1.0,
                        matched_as: format!("inn:{}", &cap[1]),
                    });
                }
            }
            for n in self.find_names(sentence) {
                let (s, e) = (start + n.start, start + n.end);
                let mention = hit.mentions.iter().find(|m| m.start < e && s < m.end);
                // A name the detector also saw as a company (quoted, capitalised, with a legal
                // form) is more likely the company than a homonym.
                let conf = if mention.is_some() {
                    (n.confidence + 0.1).min(1.0)
                } else {
                    n.confidence
                };
                add(AccountMatch {
                    account_id: n.account_id,
                    role: mention.map_or(Role::Subject, |m| m.role),
                    confidence: conf,
                    matched_as: n.key,
                });
            }
        }
        let mut v: Vec<AccountMatch> = best.into_values().collect();
        v.sort_by_key(|m| m.account_id);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventStatus, Mention, TriggerKind};

    fn acc(id: i64, name: &str, aliases: &[&str]) -> Account {
        Account {
            id,
            crm_id: format!("c{id}"),
            name: name.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            ..Account::default()
        }
    }

    #[test]
    fn legal_forms_and_case_do_not_matter() {
        let m = Matcher::new(&[
            acc(1, "ООО «Техностан»", &[]),
            acc(2, "Brightwater Logistics Inc.", &["Brightwater"]),
        ]);
        let t = "Компания ТЕХНОСТАН и BRIGHTWATER договорились";
        let ids: Vec<i64> = m.find_names(t).iter().map(|h| h.account_id).collect();
        assert_eq!(ids, vec![1, 2]);
        assert!(m.find_names("техностанция").is_empty(), "whole words only");
    }

    #[test]
    fn role_comes_from_the_overlapping_mention() {
        let m = Matcher::new(&[acc(1, "Вестор", &[]), acc(2, "Кедрон", &[])]);
        let text = "«Вестор» купил «Кедрон».";
        let hit = TriggerHit {
            kind: TriggerKind::Acquisition,
            status: EventStatus::Announced,
            confidence: 0.8,
            evidence: text.into(),
            evidence_start: 0,
            evidence_end: text.len(),
            cue: "купил".into(),
            mentions: vec![
                Mention {
                    name: "Вестор".into(),
                    role: Role::Acquirer,
                    start: 2,
                    end: 14,
                },
                Mention {
                    name: "Кедрон".into(),
                    role: Role::Target,
                    start: 30,
                    end: 42,
                },
            ],
            amounts: vec![],
            locations: vec![],
            support: vec![],
            technologies: vec![],
        };
        let got = m.match_hit(text, &hit);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].role, Role::Acquirer);
        assert_eq!(got[1].role, Role::Target);
        assert!(got[0].confidence > 0.85);
    }

    #[test]
    fn declined_russian_names_match_with_a_case_ending_only() {
        let m = Matcher::new(&[acc(1, "АО «Ферровикс»", &[]), acc(2, "Norvane", &[])]);
        let hits = m.find_names("покупает пермского «Ферровикса», а Norvanes нет");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].account_id, 1);
        assert!(m.find_names("Ферровиксплав").is_empty());
    }

    #[test]
    fn shared_names_are_not_silently_picked() {
        let m = Matcher::new(&[acc(1, "Полярис", &[]), acc(2, "ООО Полярис", &[])]);
        let hits = m.find_names("Полярис открыл склад");
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.confidence < 0.5));
    }
}
