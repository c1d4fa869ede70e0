//! Trigger detection: rule files (data, `rules/*.toml`) compiled per language into a literal
//! prefilter plus one small regex per pattern; each sentence is folded once and scanned once; denials, negations and
//! per-rule exclusions cancel hits; cues set the status; positions give company mentions roles.
//! Technographics ([`tech`]): a dictionary of technologies finds them in any text, and a
//! `tech_change` hit stands only when one is next to its cue (then it names them, with their side).

pub mod hiring;
pub mod mentions;
pub mod places;
pub mod rules;
pub mod sentences;
pub mod tech;
mod tech_change;

use crate::model::{Document, EventStatus, Lang, Mention, Role, TechRef, TriggerHit, TriggerKind};
use crate::text::fold_for_rules;
use rules::{CueKind, LangRules, RuleError, TechNeed};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;
use tech::{TechDictionary, TechError, TechMention};

/// Why the detector could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error(transparent)]
    Tech(#[from] TechError),
    #[error("cannot read rule file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The compiled detector for every language with rules.
#[derive(Debug)]
pub struct Detector {
    langs: HashMap<Lang, LangRules>,
    tech: TechDictionary,
}

static AMOUNT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)(?:[$€£₽]\s?\d[\d\s.,]*(?:\s?(?:billion|million|bn|mln|m|k))?)|(?:\d[\d\s.,]*\s?(?:млрд|млн|тыс\.?|трлн|billion|million|bn)?\.?\s?(?:руб(?:лей|ля|\.)?|₽|долл(?:аров|\.)?|евро|dollars|euros|\$|€))",
    )
    .expect("the amount pattern is a valid regex")
});

impl Detector {
    /// The built-in RU and EN rules and technology dictionary.
    pub fn builtin() -> Result<Detector, DetectError> {
        Self::new(&[], &[])
    }

    /// Built-in rules plus the user's rule files; the built-in technology dictionary.
    pub fn with_rule_files(paths: &[PathBuf]) -> Result<Detector, DetectError> {
        Self::new(paths, &[])
    }

    /// Built-in rules and dictionary plus the user's rule files and technology files.
    pub fn new(paths: &[PathBuf], tech_files: &[PathBuf]) -> Result<Detector, DetectError> {
        let mut extra = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(p).map_err(|source| DetectError::Read {
                path: p.clone(),
                source,
            })?;
            extra.push((p.display().to_string(), text));
        }
        Ok(Detector {
            langs: rules::load(&extra)?,
            tech: TechDictionary::with_files(tech_files)?,
        })
    }

    /// The technology dictionary (technographics: [`TechDictionary::extract`]).
    pub fn tech(&self) -> &TechDictionary {
        &self.tech
    }

    /// Every rule-file example: language, text, expected kinds.
    pub fn examples(&self) -> Vec<(Lang, String, Vec<String>)> {
        let mut v = Vec::new();
        for (lang, r) in &self.langs {
            for (t, k) in &r.examples {
                v.push((*lang, t.clone(), k.clone()));
            }
        }
        v
    }

    /// Triggers in a document: its title is read as the first sentence.
    pub fn detect_document(&self, doc: &Document) -> Vec<TriggerHit> {
        self.detect(&document_text(doc), doc.lang)
    }

    /// Triggers in `text`, one per kind (the most confident), in text order.
    pub fn detect(&self, text: &str, lang: Lang) -> Vec<TriggerHit> {
        let techs = TechScan {
            dict: &self.tech,
            text,
            found: OnceCell::new(),
        };
        self.detect_with(text, lang, &techs)
    }

    /// Triggers and technologies (products, as [`TechDictionary::extract`]) of `text`, which is
    /// scanned for technologies once for both.
    pub fn detect_and_extract<'d>(
        &'d self,
        text: &str,
        lang: Lang,
    ) -> (Vec<TriggerHit>, Vec<TechMention<'d>>) {
        let techs = TechScan {
            dict: &self.tech,
            text,
            found: OnceCell::from(self.tech.scan_candidates(text)),
        };
        let hits = self.detect_with(text, lang, &techs);
        let mentions = techs
            .found
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .filter(|(m, confirmed)| *confirmed && !m.generic)
            .map(|(m, _)| m)
            .collect();
        (hits, mentions)
    }

    fn detect_with(&self, text: &str, lang: Lang, techs: &TechScan<'_, '_>) -> Vec<TriggerHit> {
        let Some(rules) = self.langs.get(&lang) else {
            return Vec::new();
        };
        if !rules.off_topic.is_empty() {
            let off = rules.off_topic.find_all(&fold_for_rules(text).text);
            if off.len() >= rules.off_topic_min {
                return Vec::new();
            }
        }
        let mut best: HashMap<TriggerKind, TriggerHit> = HashMap::new();
        // Per kind: the first sentence (index) that reports it and how many do.
        let mut seen: HashMap<TriggerKind, (usize, usize)> = HashMap::new();
        for (idx, (s_start, s_end)) in sentences::split(text).into_iter().enumerate() {
            let sentence = &text[s_start..s_end];
            for hit in detect_sentence(rules, sentence, s_start, techs) {
                let e = seen.entry(hit.kind).or_insert((idx, 0));
                e.1 += 1;
                match best.remove(&hit.kind) {
                    None => {
                        best.insert(hit.kind, hit);
                    }
                    Some(prev) => {
                        // The most confident sentence is the evidence; the others support it and
                        // lend their company mentions (a headline may inflect a name the body
                        // spells out).
                        let (mut keep, other) = if hit.confidence > prev.confidence {
                            (hit, prev)
                        } else {
                            (prev, hit)
                        };
                        keep.support
                            .push((other.evidence_start, other.evidence_end));
                        keep.support.extend(other.support);
                        keep.mentions.extend(other.mentions);
                        for a in other.amounts {
                            if !keep.amounts.contains(&a) {
                                keep.amounts.push(a);
                            }
                        }
                        for l in other.locations {
                            if !keep.locations.contains(&l) {
                                keep.locations.push(l);
                            }
                        }
                        for t in other.technologies {
                            if !keep.technologies.contains(&t) {
                                keep.technologies.push(t);
                            }
                        }
                        best.insert(keep.kind, keep);
                    }
                }
            }
        }
        let mut hits: Vec<TriggerHit> = best.into_values().collect();
        for h in &mut hits {
            let (first, n) = seen.get(&h.kind).copied().unwrap_or((0, 1));
            h.confidence = round2((h.confidence * prominence(first, n)).min(1.0));
        }
        hits.sort_by_key(|h| (h.evidence_start, h.kind));
        hits
    }
}

/// How much a text is *about* an event, from where it first appears and how often: a headline or
/// lead states the news, while a kind met only deep in the body is mostly background or an aside
/// (on 1987 wire copy, acquisition hits in the headline are right 95% of the time, in the first
/// two body sentences 73%, later 34%).
fn prominence(first_sentence: usize, sentences: usize) -> f32 {
    let place = match first_sentence {
        0 | 1 => 1.0,
        2 | 3 => 0.9,
        4..=7 => 0.75,
        _ => 0.65,
    };
    let repeated = match sentences {
        0 | 1 => 1.0,
        2 => 1.1,
        _ => 1.2,
    };
    place * repeated
}

fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

/// One trigger in the `detect --jsonl` output (the format `shared/eval/score.py` reads; extra
/// fields are ignored by it and useful to people).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Prediction {
    pub kind: TriggerKind,
    pub confidence: f32,
    pub status: EventStatus,
    pub evidence: String,
    /// Byte offsets of the evidence in the input text.
    pub start: usize,
    pub end: usize,
    pub cue: String,
    pub companies: Vec<Mention>,
    pub amounts: Vec<String>,
    pub locations: Vec<String>,
    /// `tech_change`: the technologies adopted (`to`) or left (`from`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub technologies: Vec<TechRef>,
}

/// Detects and shapes the result for JSONL output.
pub fn predictions(d: &Detector, text: &str, lang: Lang) -> Vec<Prediction> {
    d.detect(text, lang).into_iter().map(prediction).collect()
}

/// [`predictions`] plus the distinct canonical names of the text's technologies, in order of
/// first appearance (the `tech` field of `detect --jsonl`), from one technology scan.
pub fn predictions_and_tech(
    d: &Detector,
    text: &str,
    lang: Lang,
) -> (Vec<Prediction>, Vec<String>) {
    let (hits, mentions) = d.detect_and_extract(text, lang);
    let mut names: Vec<String> = Vec::new();
    for m in mentions {
        if !names.iter().any(|n| n == m.name) {
            names.push(m.name.to_string());
        }
    }
    (hits.into_iter().map(prediction).collect(), names)
}

fn prediction(h: TriggerHit) -> Prediction {
    Prediction {
        kind: h.kind,
        confidence: h.confidence,
        status: h.status,
        evidence: h.evidence,
        start: h.evidence_start,
        end: h.evidence_end,
        cue: h.cue,
        companies: h.mentions,
        amounts: h.amounts,
        locations: h.locations,
        technologies: h.technologies,
    }
}

/// The technologies of one text, found on first need: most texts have no tech-gated hit, and
/// those that do are scanned once however many sentences ask.
struct TechScan<'d, 't> {
    dict: &'d TechDictionary,
    text: &'t str,
    found: OnceCell<Vec<(TechMention<'d>, bool)>>,
}

impl<'d> TechScan<'d, '_> {
    /// Every candidate, with whether its context confirmed it.
    fn mentions(&self) -> &[(TechMention<'d>, bool)] {
        self.found
            .get_or_init(|| self.dict.scan_candidates(self.text))
    }
}

/// The text detection reads for a document (title, newline, body); evidence offsets refer to it.
pub fn document_text(doc: &Document) -> String {
    format!("{}\n{}", doc.title, doc.text)
}

fn detect_sentence(
    rules: &LangRules,
    sentence: &str,
    offset: usize,
    techs: &TechScan<'_, '_>,
) -> Vec<TriggerHit> {
    let folded = fold_for_rules(sentence);
    let hits = rules.triggers.find_all(&folded.text);
    if hits.is_empty() {
        return Vec::new();
    }
    let cues: Vec<(CueKind, usize, usize)> = rules
        .cues
        .find_all(&folded.text)
        .into_iter()
        .map(|(pid, s, e)| (rules.cue_kind[pid], s, e))
        .collect();
    if cues.iter().any(|c| c.0 == CueKind::Denial) {
        return Vec::new();
    }
    let hypothetical = cues.iter().any(|c| c.0 == CueKind::Hypothetical);
    let status = if hypothetical || cues.iter().any(|c| c.0 == CueKind::Rumoured) {
        EventStatus::Rumoured
    } else if cues.iter().any(|c| c.0 == CueKind::Planned) {
        EventStatus::Planned
    } else if cues.iter().any(|c| c.0 == CueKind::Completed) {
        EventStatus::Completed
    } else {
        EventStatus::Announced
    };
    let status_factor = match status {
        EventStatus::Rumoured if hypothetical => 0.45,
        EventStatus::Rumoured => 0.65,
        EventStatus::Planned => 0.85,
        _ => 1.0,
    };
    // An old event recalled for context ("which it bought in 2009") is not news.
    let background = if cues.iter().any(|c| c.0 == CueKind::Background) {
        0.6
    } else {
        1.0
    };
    let question = if sentence.trim_end_matches(['»', '"', ')']).ends_with('?') {
        0.5
    } else {
        1.0
    };
    let spans = mentions::find(sentence);
    let amounts: Vec<String> = AMOUNT
        .find_iter(sentence)
        .map(|m| m.as_str().trim().to_string())
        .filter(|a| a.chars().any(|c| c.is_ascii_digit()))
        .collect();
    let locations = places::find(sentence);
    let mut out: Vec<TriggerHit> = Vec::new();
    for (pid, hs, he) in hits {
        let rule_idx = rules.trigger_rule[pid];
        let rule = &rules.rules[rule_idx];
        let negated = cues.iter().any(|&(k, _, ce)| {
            k == CueKind::Negation
                && ce <= hs
                && folded.text[ce..hs].chars().count() <= rules.negation_window
        });
        let excluded = cues
            .iter()
            .any(|&(k, _, _)| k == CueKind::Exclude(rule_idx));
        if negated || excluded || out.iter().any(|h| h.kind == rule.kind) {
            continue;
        }
        let cue_start = folded.original(hs);
        let cue_end = folded.original(he);
        // A tech-gated rule needs a dictionary technology next to its cue ("migrating customers
        // to a new plan" is no tech change).
        let technologies = if rule.tech == TechNeed::None {
            Vec::new()
        } else {
            let t = tech_change::involved(
                techs.mentions(),
                techs.text,
                (offset, offset + sentence.len()),
                (offset + cue_start, offset + cue_end),
                rule.tech,
            );
            if t.is_empty() {
                continue;
            }
            t
        };
        let mentions: Vec<Mention> = spans
            .iter()
            .map(|m| {
                // A cue may span a name ("bought a stake in «X»"): what starts before the cue is
                // "before", everything else "after".
                let role = match rule.roles {
                    None => Role::Subject,
                    Some(r) if m.start < cue_start => r.before,
                    Some(r) => r.after,
                };
                Mention {
                    name: sentence[m.start..m.end].to_string(),
                    role,
                    start: offset + m.start,
                    end: offset + m.end,
                }
            })
            .collect();
        let weakened = if cues.iter().any(|&(k, _, _)| k == CueKind::Weaken(rule_idx)) {
            0.75
        } else {
            1.0
        };
        // Without a named company the event may be anyone's (a market, a country, a person).
        let org_factor = if mentions.is_empty() {
            rules.no_company_factor
        } else {
            1.0
        };
        let confidence =
            (rule.confidence * status_factor * question * org_factor * background * weakened)
                .clamp(0.0, 1.0);
        out.push(TriggerHit {
            kind: rule.kind,
            status,
            confidence: round2(confidence),
            evidence: sentence.to_string(),
            evidence_start: offset,
            evidence_end: offset + sentence.len(),
            cue: sentence[cue_start..cue_end].to_string(),
            mentions,
            amounts: amounts.clone(),
            locations: locations.clone(),
            support: Vec::new(),
            technologies,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(d: &Detector, text: &str, kind: TriggerKind) -> TriggerHit {
        d.detect(text, Lang::En)
            .into_iter()
            .find(|h| h.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} in {text}"))
    }

    #[test]
    fn background_mentions_fall_below_the_scoring_threshold() {
        let d = Detector::builtin().unwrap();
        let news = hit(
            &d,
            "Kestrel Foods acquired Harbor Mills for $40 million.",
            TriggerKind::Acquisition,
        );
        let old = hit(
            &d,
            "Kestrel Foods, which acquired Harbor Mills for $40 million in 2009, reported higher sales.",
            TriggerKind::Acquisition,
        );
        assert!(news.confidence >= 0.7, "{news:?}");
        assert!(old.confidence < 0.5, "{old:?}");
    }

    #[test]
    fn a_reported_rumour_counts_and_a_hypothesis_does_not() {
        let d = Detector::builtin().unwrap();
        let rumour = hit(
            &d,
            "Zentrix Corp is in talks to buy Kelvane Ltd, people familiar with the matter said.",
            TriggerKind::Acquisition,
        );
        let guess = hit(
            &d,
            "Zentrix Corp could buy Kelvane Ltd one day.",
            TriggerKind::Acquisition,
        );
        assert_eq!(rumour.status, EventStatus::Rumoured);
        assert_eq!(guess.status, EventStatus::Rumoured);
        assert!(rumour.confidence >= 0.5, "{rumour:?}");
        assert!(guess.confidence < 0.5, "{guess:?}");
    }

    #[test]
    fn an_event_deep_in_the_body_is_less_certain_than_a_headline() {
        let d = Detector::builtin().unwrap();
        let event = "Zentrix Corp acquired Kelvane Ltd for $40 million.";
        let lead = hit(
            &d,
            &format!("{event}\nSales rose."),
            TriggerKind::Acquisition,
        );
        let filler = "Sales rose in the quarter. ".repeat(9);
        let deep = hit(
            &d,
            &format!("Zentrix results\n{filler}{event}"),
            TriggerKind::Acquisition,
        );
        assert!(lead.confidence >= 0.7, "{lead:?}");
        assert!(deep.confidence < lead.confidence * 0.8, "{deep:?}");
    }

    fn kinds(d: &Detector, text: &str, lang: Lang) -> Vec<String> {
        let mut k: Vec<String> = d
            .detect(text, lang)
            .into_iter()
            .map(|h| h.kind.to_string())
            .collect();
        k.sort();
        k
    }

    /// Every example in the rule files holds: the set of kinds found equals the set expected.
    #[test]
    fn rule_file_examples_hold() {
        let d = Detector::builtin().expect("built-in rules compile");
        let mut failures = Vec::new();
        let examples = d.examples();
        assert!(examples.len() >= 20, "rule files carry examples");
        for (lang, text, expected) in examples {
            let mut expected = expected.clone();
            expected.sort();
            let got = kinds(&d, &text, lang);
            if got != expected {
                failures.push(format!(
                    "[{}] {text}\n   expected {expected:?}, got {got:?}",
                    lang.as_str()
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} examples fail:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn sport_and_private_property_texts_are_silent() {
        let d = Detector::builtin().unwrap();
        let club = "Harbury Town agreed to buy the striker for $40 million.\nThe club said the forward signed a four-year deal.";
        assert!(d.detect(club, Lang::En).is_empty());
        // One sporting word in real company news does not silence it.
        let company =
            "Zentrix Corp agreed to buy Kelvane Ltd, a maker of football boots, for $40 million.";
        assert!(kinds(&d, company, Lang::En).contains(&"acquisition".to_string()));
    }

    #[test]
    fn evidence_offsets_point_into_text() {
        let d = Detector::builtin().unwrap();
        let text = "Рынок рос.\nПАО «Вестор» приобрело 51% акций ООО «Кедрон» за 2 млрд руб.";
        let hits = d.detect(text, Lang::Ru);
        let h = hits
            .iter()
            .find(|h| h.kind == TriggerKind::Acquisition)
            .expect("acquisition");
        assert_eq!(&text[h.evidence_start..h.evidence_end], h.evidence);
        assert!(h.evidence.starts_with("ПАО «Вестор»"));
        let roles: Vec<(&str, Role)> = h
            .mentions
            .iter()
            .map(|m| (m.name.as_str(), m.role))
            .collect();
        assert!(roles.contains(&("Вестор", Role::Acquirer)), "{roles:?}");
        assert!(roles.contains(&("Кедрон", Role::Target)), "{roles:?}");
        assert!(
            h.amounts.iter().any(|a| a.contains("2 млрд руб")),
            "{:?}",
            h.amounts
        );
    }

    #[test]
    fn bad_user_rule_names_file_and_pattern() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.toml");
        std::fs::write(
            &p,
            "language='en'\n[[rule]]\nkind='funding'\npatterns=['raise(d']\n",
        )
        .unwrap();
        let e = Detector::with_rule_files(&[p]).unwrap_err().to_string();
        assert!(e.contains("mine.toml") && e.contains("raise(d"), "{e}");
        let p2 = dir.path().join("kind.toml");
        std::fs::write(
            &p2,
            "language='en'\n[[rule]]\nkind='merger'\npatterns=['x']\n",
        )
        .unwrap();
        let e = Detector::with_rule_files(&[p2]).unwrap_err().to_string();
        assert!(e.contains("merger"), "{e}");
    }

    #[test]
    fn user_rule_file_adds_a_phrase() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.toml");
        // `tech = 'none'`: this rule does not ask the dictionary for a technology.
        std::fs::write(
            &p,
            "language='en'\n[[rule]]\nkind='tech_change'\nconfidence=0.9\ntech='none'\npatterns=['rolls out quantumledger']\n",
        )
        .unwrap();
        let text = "Zentrix Corp rolls out QuantumLedger across its plants.";
        let base = Detector::builtin().unwrap();
        assert!(!kinds(&base, text, Lang::En).contains(&"tech_change".to_string()));
        let d = Detector::with_rule_files(&[p]).unwrap();
        assert!(kinds(&d, text, Lang::En).contains(&"tech_change".to_string()));
    }

    /// A user's tech_change rule needs a technology too; a user's technology file supplies it.
    #[test]
    fn user_tech_change_rule_needs_a_dictionary_technology() {
        let dir = tempfile::tempdir().unwrap();
        let rule = dir.path().join("mine.toml");
        std::fs::write(
            &rule,
            "language='en'\n[[rule]]\nkind='tech_change'\npatterns=['puts (\\S+\\s+)?to work>']\n",
        )
        .unwrap();
        let tech = dir.path().join("tech.toml");
        std::fs::write(&tech, "[[tech]]\nname='quantumledger'\ncategory='erp'\n").unwrap();
        let text = "Zentrix Corp puts QuantumLedger to work across its plants.";
        let rule_only = Detector::new(std::slice::from_ref(&rule), &[]).unwrap();
        assert!(rule_only.detect(text, Lang::En).is_empty());
        let both = Detector::new(&[rule], &[tech]).unwrap();
        let hits = both.detect(text, Lang::En);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].technologies[0].name, "quantumledger");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[[tech]]\nname='zorbix'\n").unwrap();
        let e = Detector::new(&[], &[bad]).unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains("zorbix"), "{e}");
    }

    /// One scan serves both: the same triggers as `predictions`, the same names as `extract`.
    #[test]
    fn predictions_and_tech_agree_with_separate_calls() {
        let d = Detector::builtin().unwrap();
        let text = "Kelvane Foods is migrating its billing from Oracle to PostgreSQL.\n\
                    We hire Go and Rust developers; our CRM is HubSpot.";
        let (p, tech) = predictions_and_tech(&d, text, Lang::En);
        assert_eq!(p, predictions(&d, text, Lang::En));
        assert_eq!(tech, d.tech().extract_names(text));
        assert_eq!(tech, ["oracle", "postgresql", "go", "rust", "hubspot"]);
    }

    #[test]
    fn predictions_show_technologies_only_when_there_are_some() {
        let d = Detector::builtin().unwrap();
        let p = predictions(
            &d,
            "Kelvane Foods moved its ledgers to SAP S/4HANA.",
            Lang::En,
        );
        let json = serde_json::to_string(&p).unwrap();
        assert!(
            json.contains(
                r#""technologies":[{"name":"sap s/4hana","category":"erp","role":"to"}]"#
            ),
            "{json}"
        );
        let p = predictions(
            &d,
            "Zentrix Corp agreed to buy Kelvane Ltd for $40 million.",
            Lang::En,
        );
        assert!(!serde_json::to_string(&p).unwrap().contains("technologies"));
    }
}
