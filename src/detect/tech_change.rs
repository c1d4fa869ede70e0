//! What a technology-gated hit (a `tech_change`) is about: the dictionary technologies next to its
//! cue, and which side of the change each one is on ("from Oracle to PostgreSQL",
//! «с 1С:УПП на 1С:ERP», "replaced Salesforce with HubSpot").
//!
//! Plain word-distance heuristics, no parser: a technology must follow the cue within a few words
//! with no clause break between (so "moved its headquarters to Denver, where Salesforce …" is not
//! a migration to Salesforce); technologies chained to it by a few words join the change.

use super::rules::TechNeed;
use super::tech::TechMention;
use crate::model::{TechRef, TechRole};

/// Words allowed between the cue and the first technology after it.
const AFTER_WORDS: usize = 6;
/// Words allowed between a technology and the cue after it (passive voice).
const BEFORE_WORDS: usize = 4;
/// Words allowed between two technologies of one change ("Oracle Database to a managed PostgreSQL").
const CHAIN_WORDS: usize = 3;

/// Cue words whose object is what is left, not what is adopted ("replaced Salesforce with …").
const REPLACING: &[&str] = &[
    "replac",
    "decommission",
    "retir",
    "sunset",
    "phase out",
    "phasing out",
    "phased out",
    "moving away",
    "moved away",
    "move away",
    "замен",
    "отказ",
    "вывод из эксплуатации",
    "выводит из эксплуатации",
];
/// The technology after one of these is left.
const FROM_WORDS: &[&str] = &[
    "from",
    "off",
    "after",
    "legacy",
    "с",
    "со",
    "от",
    "из",
    "вместо",
    "после",
];
/// The technology after one of these is adopted; they also mark what comes before as left
/// ("migrating Oracle databases to PostgreSQL").
const TO_DIRECTIONAL: &[&str] = &["to", "onto", "into", "на", "в", "во"];
/// The technology after one of these is adopted.
const TO_WORDS: &[&str] = &["with", "by"];
/// The technology after one of these shares the previous one's side.
const CONNECTORS: &[&str] = &["and", "or", "и", "или", "plus"];
/// Characters that end a clause: a technology beyond one is not the cue's object.
const CLAUSE_BREAKS: &[char] = &[',', ';', ':', '(', ')', '.', '!', '?', '—', '–'];

/// How a gap before a technology marks its side.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    From,
    To { directional: bool },
    Same,
    Unmarked,
}

/// The technologies a hit with cue `cue` (byte span in `text`) is about, under the rule's `need`;
/// empty when the rule needs one and none stands close enough (the hit then does not count).
/// `mentions` are every technology candidate of `text`, in order, each with whether its context
/// confirmed it; an unconfirmed (ambiguous) one counts only right after a word that marks a side
/// of the change ("to Snowflake", «с Oracle»): that slot is context enough.
pub(crate) fn involved(
    mentions: &[(TechMention<'_>, bool)],
    text: &str,
    sentence: (usize, usize),
    cue: (usize, usize),
    need: TechNeed,
) -> Vec<TechRef> {
    if need == TechNeed::None {
        return Vec::new();
    }
    let ms: Vec<(&TechMention<'_>, bool)> = mentions
        .iter()
        .filter(|(m, _)| m.start >= sentence.0 && m.end <= sentence.1)
        .map(|(m, ok)| (m, *ok))
        .collect();
    let cue_text = text[cue.0..cue.1].to_lowercase();
    let replacing = REPLACING.iter().any(|w| cue_text.contains(w));
    let default = if replacing {
        TechRole::From
    } else {
        TechRole::To
    };
    let mut out: Vec<(&TechMention<'_>, TechRole)> = Vec::new();

    if need == TechNeed::Around {
        // Technologies right before the cue, nearest first, then put back in text order.
        let mut before: Vec<&TechMention<'_>> = Vec::new();
        let mut bound = cue.0;
        let mut limit = BEFORE_WORDS;
        for m in ms
            .iter()
            .rev()
            .filter(|(m, ok)| *ok && m.end <= cue.0)
            .map(|(m, _)| *m)
        {
            if !close(&text[m.end..bound], limit) {
                break;
            }
            before.push(m);
            bound = m.start;
            limit = CHAIN_WORDS;
        }
        out.extend(before.into_iter().rev().map(|m| (m, default)));
    }

    // Technologies at or after the cue: the first within a few words, then a chain.
    let mut chain: Vec<(&TechMention<'_>, Mark)> = Vec::new();
    let mut prev_end = cue.1;
    for &(m, confirmed) in ms.iter().filter(|(m, _)| m.end > cue.0) {
        let gap_start = prev_end.min(m.start);
        let gap = &text[gap_start..m.start];
        let limit = if chain.is_empty() {
            AFTER_WORDS
        } else {
            CHAIN_WORDS
        };
        let ok = if chain.is_empty() {
            close(gap, limit)
        } else {
            count_words(gap) <= limit && !gap.contains(['.', ';', '!', '?', '(', ')'])
        };
        if !ok {
            break;
        }
        // The first technology's side may be marked inside the cue ("migration from").
        let context = if chain.is_empty() {
            format!("{} {gap}", &text[cue.0..gap_start.max(cue.0)])
        } else {
            gap.to_string()
        };
        let marked = mark(&context);
        let in_slot = count_words(gap) <= 1 && marked_right_before(&context);
        if !(confirmed || in_slot) {
            continue;
        }
        chain.push((m, marked));
        prev_end = m.end;
    }
    let mut roles: Vec<TechRole> = Vec::with_capacity(chain.len());
    for (i, (_, mk)) in chain.iter().enumerate() {
        let role = match mk {
            Mark::From => TechRole::From,
            Mark::To { .. } => TechRole::To,
            Mark::Same if i > 0 => roles[i - 1],
            Mark::Same | Mark::Unmarked => default,
        };
        roles.push(role);
    }
    // "migrating Oracle databases to PostgreSQL": what is moved somewhere is what is left.
    if !replacing
        && let Some(first_to) = chain
            .iter()
            .position(|(_, mk)| *mk == Mark::To { directional: true })
    {
        for i in 0..first_to {
            if matches!(chain[i].1, Mark::Unmarked | Mark::Same) && roles[i] == TechRole::To {
                roles[i] = TechRole::From;
            }
        }
    }
    out.extend(chain.iter().zip(roles).map(|((m, _), r)| (*m, r)));

    let mut refs: Vec<TechRef> = Vec::new();
    for (m, role) in out {
        if !refs.iter().any(|r| r.name == m.name && r.role == role) {
            refs.push(TechRef {
                name: m.name.to_string(),
                category: m.category.to_string(),
                role,
            });
        }
    }
    refs
}

/// The last word of `context` marks a side ("… to", "… from", «… на»).
fn marked_right_before(context: &str) -> bool {
    let lower = context.to_lowercase();
    words(&lower).next_back().is_some_and(|w| {
        FROM_WORDS.contains(&w) || TO_DIRECTIONAL.contains(&w) || TO_WORDS.contains(&w)
    })
}

/// At most `limit` words and no clause break.
fn close(gap: &str, limit: usize) -> bool {
    count_words(gap) <= limit && !gap.contains(CLAUSE_BREAKS)
}

fn count_words(s: &str) -> usize {
    words(s).count()
}

fn words(s: &str) -> impl DoubleEndedIterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '&'))
        .filter(|w| !w.is_empty())
}

/// The side the nearest marking word before a technology gives it (adjectives between are
/// skipped: "from its legacy Oracle").
fn mark(gap: &str) -> Mark {
    let lower = gap.to_lowercase();
    let tail = lower.trim_end();
    if tail.ends_with("instead of") || tail.ends_with("in place of") {
        return Mark::From;
    }
    // «на базе X» is what something runs on, not where it moves.
    if ["на базе", "на основе", "на платформе"]
        .iter()
        .any(|p| tail.ends_with(p))
    {
        return Mark::To { directional: false };
    }
    let ws: Vec<&str> = words(&lower).collect();
    if ws.is_empty() {
        return Mark::Same;
    }
    for w in ws.iter().rev() {
        if FROM_WORDS.contains(w) {
            return Mark::From;
        }
        if TO_DIRECTIONAL.contains(w) {
            return Mark::To { directional: true };
        }
        if TO_WORDS.contains(w) {
            return Mark::To { directional: false };
        }
        if CONNECTORS.contains(w) || *w == "&" {
            return Mark::Same;
        }
    }
    Mark::Unmarked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Detector;
    use crate::detect::tech::TechDictionary;
    use crate::model::{Lang, TriggerKind};

    /// (name, role) pairs the first occurrence of `cue` in `text` is about.
    fn about(text: &str, cue: &str, need: TechNeed) -> Vec<(String, TechRole)> {
        let d = TechDictionary::builtin().unwrap();
        let ms = d.scan_candidates(text);
        let s = text.find(cue).expect("cue in text");
        involved(&ms, text, (0, text.len()), (s, s + cue.len()), need)
            .into_iter()
            .map(|r| (r.name, r.role))
            .collect()
    }

    fn pairs(v: &[(&str, TechRole)]) -> Vec<(String, TechRole)> {
        v.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    }

    use TechRole::{From, To};

    #[test]
    fn from_and_to_are_read_from_prepositions() {
        assert_eq!(
            about(
                "Kelvane Foods is migrating from Oracle to PostgreSQL this year.",
                "migrating",
                TechNeed::After
            ),
            pairs(&[("oracle", From), ("postgresql", To)])
        );
        assert_eq!(
            about(
                "ООО «Северный двор» переходит с 1С:УПП на 1С:ERP.",
                "переходит",
                TechNeed::After
            ),
            pairs(&[("1с:упп", From), ("1с:erp", To)])
        );
        assert_eq!(
            about(
                "Brightwater replaced Salesforce with HubSpot last spring.",
                "replaced",
                TechNeed::After
            ),
            pairs(&[("salesforce", From), ("hubspot", To)])
        );
        assert_eq!(
            about(
                "«Техностан» заменила SAP на 1С:ERP.",
                "заменила",
                TechNeed::After
            ),
            pairs(&[("sap", From), ("1с:erp", To)])
        );
    }

    #[test]
    fn what_is_moved_somewhere_is_left() {
        assert_eq!(
            about(
                "Zentrix will migrate its Oracle Database workloads to Microsoft Azure.",
                "migrate",
                TechNeed::After
            ),
            pairs(&[("oracle database", From), ("azure", To)])
        );
        // Adopting with a platform named after "on" keeps both adopted.
        assert_eq!(
            about(
                "Zentrix implemented SAP S/4HANA on AWS.",
                "implemented",
                TechNeed::After
            ),
            pairs(&[("sap s/4hana", To), ("aws", To)])
        );
    }

    #[test]
    fn a_technology_beyond_a_clause_break_or_far_away_is_not_the_object() {
        assert!(
            about(
                "Zentrix moved its headquarters to Denver, where Salesforce also has an office.",
                "moved",
                TechNeed::After
            )
            .is_empty()
        );
        assert!(
            about(
                "Zentrix implemented a new bonus scheme for the sales staff of its regional offices that use SAP.",
                "implemented",
                TechNeed::After
            )
            .is_empty()
        );
    }

    #[test]
    fn passive_voice_looks_before_the_cue_only_when_asked() {
        let text = "На заводах «Уралмета» 1С:ERP внедрена за восемь месяцев.";
        assert!(about(text, "внедрена", TechNeed::After).is_empty());
        assert_eq!(
            about(text, "внедрена", TechNeed::Around),
            pairs(&[("1с:erp", To)])
        );
    }

    #[test]
    fn an_ambiguous_name_counts_in_the_slot_after_to_or_from() {
        assert_eq!(
            about(
                "Stark Industries is migrating its data warehouse to Snowflake.",
                "migrating",
                TechNeed::After
            ),
            pairs(&[("data warehouse", From), ("snowflake", To)])
        );
        // Not as a bare object: "adopted spring" is no tech slot.
        assert!(
            about(
                "The council adopted spring opening hours.",
                "adopted",
                TechNeed::After
            )
            .is_empty()
        );
    }

    #[test]
    fn generic_classes_count_and_lists_share_a_side() {
        assert_eq!(
            about(
                "Acme is replacing its legacy ERP and Oracle EBS with SAP S/4HANA.",
                "replacing",
                TechNeed::After
            ),
            pairs(&[
                ("erp", From),
                ("oracle e-business suite", From),
                ("sap s/4hana", To)
            ])
        );
    }

    // The detector end to end: rules, the dictionary and this module together.

    /// A tech_change hit's (technology, role) pairs; None when there is no such hit.
    type Techs = Option<Vec<(String, TechRole)>>;

    fn tech_change(d: &Detector, text: &str, lang: Lang) -> Techs {
        d.detect(text, lang)
            .into_iter()
            .find(|h| h.kind == TriggerKind::TechChange)
            .map(|h| {
                h.technologies
                    .into_iter()
                    .map(|t| (t.name, t.role))
                    .collect()
            })
    }

    fn want(v: &[(&str, TechRole)]) -> Techs {
        Some(v.iter().map(|(n, r)| (n.to_string(), *r)).collect())
    }

    #[test]
    fn tech_change_carries_its_technologies_in_both_languages() {
        use TechRole::{From, To};
        let d = Detector::builtin().unwrap();
        let cases: [(&str, Lang, Techs); 7] = [
            (
                "Kelvane Foods is migrating its billing database from Oracle to PostgreSQL.",
                Lang::En,
                want(&[("oracle", From), ("postgresql", To)]),
            ),
            (
                "Brightwater Logistics replaced Salesforce with HubSpot across its sales teams.",
                Lang::En,
                want(&[("salesforce", From), ("hubspot", To)]),
            ),
            (
                "SAP S/4HANA went live at Ostrava Steel's three plants in March.",
                Lang::En,
                want(&[("sap s/4hana", To)]),
            ),
            (
                "ООО «Северный двор» переходит с 1С:УПП на 1С:ERP.",
                Lang::Ru,
                want(&[("1с:упп", From), ("1с:erp", To)]),
            ),
            (
                "Холдинг «Агроплюс» объявил о внедрении SAP S/4HANA на восьми предприятиях.",
                Lang::Ru,
                want(&[("sap s/4hana", To)]),
            ),
            (
                "Сеть салонов «Ласточка» выбрала Битрикс24 для работы с клиентами.",
                Lang::Ru,
                want(&[("битрикс24", To)]),
            ),
            (
                "Сеть клиник «Доктор Рядом» внедрила CRM-систему для работы с пациентами.",
                Lang::Ru,
                want(&[("crm", To)]),
            ),
        ];
        for (text, lang, want) in cases {
            assert_eq!(tech_change(&d, text, lang), want, "{text}");
        }
    }

    #[test]
    fn no_technology_no_tech_change() {
        let d = Detector::builtin().unwrap();
        for (text, lang) in [
            (
                "Kelvane Foods is migrating its customers to a new loyalty plan.",
                Lang::En,
            ),
            (
                "Zentrix moved its headquarters to Denver, where Salesforce also has an office.",
                Lang::En,
            ),
            (
                "Zentrix Corp selected a new CFO from SAP to lead its finance team.",
                Lang::En,
            ),
            (
                "Brightwater will go to market with a new pricing model this spring.",
                Lang::En,
            ),
            (
                "The company implemented a digital transformation programme.",
                Lang::En,
            ),
            (
                "Завод «Кедр» переходит на четырехдневную рабочую неделю.",
                Lang::Ru,
            ),
            (
                "Правительство обсуждает импортозамещение и цифровую трансформацию.",
                Lang::Ru,
            ),
            ("Бывший топ-менеджер SAP перешел в «Кедрон».", Lang::Ru),
            ("ООО «Медтехника» не стала переходить на 1С:ERP.", Lang::Ru),
        ] {
            assert_eq!(tech_change(&d, text, lang), None, "{text}");
        }
    }
}
