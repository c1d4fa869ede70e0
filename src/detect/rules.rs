//! The rule-file format (one TOML file per language; see `docs/rules.md`) and its compilation into
//! one multi-pattern regex per language.

use crate::model::{Lang, Role, TriggerKind};
use crate::text::is_word_char;
use aho_corasick::AhoCorasick;
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use serde::Deserialize;
use std::collections::HashMap;

/// The built-in rule files, compiled into the binary.
pub const BUILTIN: [(&str, &str); 2] = [
    ("built-in ru.toml", include_str!("rules/ru.toml")),
    ("built-in en.toml", include_str!("rules/en.toml")),
];

/// Why a rule file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule file {file}: {message}")]
    Parse { file: String, message: String },
    #[error(
        "rule file {file}, rule for `{kind}`: pattern `{pattern}` is not a valid regex: {message}"
    )]
    Pattern {
        file: String,
        kind: String,
        pattern: String,
        message: String,
    },
}

/// One rule file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub language: String,
    #[serde(default)]
    pub denial: Vec<String>,
    #[serde(default)]
    pub negation: Vec<String>,
    #[serde(default = "default_window")]
    pub negation_window: usize,
    /// Whole-text cues of non-company news (sport, private property).
    #[serde(default)]
    pub off_topic: Vec<String>,
    /// How many off-topic cues silence a text.
    #[serde(default = "default_off_topic_min")]
    pub off_topic_min: usize,
    /// Confidence factor for a hit whose sentence names no company (measured per language: a
    /// Russian sentence often names a company without quotes or legal form, which the mention
    /// finder misses).
    #[serde(default)]
    pub no_company_factor: Option<f32>,
    #[serde(default)]
    pub status: StatusCues,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

fn default_window() -> usize {
    25
}

fn default_off_topic_min() -> usize {
    2
}

/// Cues that set an event's status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCues {
    #[serde(default)]
    pub rumoured: Vec<String>,
    /// Hypotheticals, questions of possibility, analysts' guesses: rumoured at most, and weaker
    /// than a reported rumour.
    #[serde(default)]
    pub hypothetical: Vec<String>,
    #[serde(default)]
    pub planned: Vec<String>,
    #[serde(default)]
    pub completed: Vec<String>,
    /// Background: the sentence recalls an old event ("which it bought in 2009", "last year").
    /// The hit is kept (it explains context) but its confidence drops below what scoring uses.
    #[serde(default)]
    pub background: Vec<String>,
}

/// One rule: phrases that signal a kind, what cancels them, and how mentions get roles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub kind: String,
    #[serde(default = "default_confidence")]
    pub confidence: f32,
    pub patterns: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Context that makes a hit less certain without ruling it out (a noun reference, an
    /// ambiguous object): confidence × 0.75.
    #[serde(default)]
    pub weaken: Vec<String>,
    #[serde(default)]
    pub roles: Option<Roles>,
    /// Where a dictionary technology must stand for a hit to count; default `after` for
    /// `tech_change`, `none` for other kinds.
    #[serde(default)]
    pub tech: Option<TechNeed>,
    #[serde(default, rename = "example")]
    pub examples: Vec<Example>,
}

/// Where a rule needs a technology from the dictionary (`src/detect/tech.toml`) for its hit to
/// stand. Without one, "migrating customers to a new plan" would read as a tech change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TechNeed {
    /// No technology needed.
    None,
    /// A technology at the cue or within a few words after it ("migrating its ledgers to SAP").
    After,
    /// Also a few words before the cue (passive voice: "SAP S/4HANA went live", «1С:ERP внедрена»).
    Around,
}

fn default_confidence() -> f32 {
    0.7
}

/// Roles for mentions before and after the cue.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub before: Role,
    pub after: Role,
}

/// A sentence with the exact set of kinds the rules must find in it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub text: String,
    pub kinds: Vec<String>,
}

/// What a compiled cue pattern means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CueKind {
    Denial,
    Negation,
    Rumoured,
    Hypothetical,
    Planned,
    Completed,
    Background,
    /// Cancels the rule with this index.
    Exclude(usize),
    /// Lowers the confidence of the rule with this index.
    Weaken(usize),
}

/// A pattern plus whether it must end at a word end (`>` suffix).
#[derive(Debug, Clone)]
pub struct PatternMeta {
    pub whole_word_end: bool,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub kind: TriggerKind,
    pub confidence: f32,
    pub roles: Option<Roles>,
    pub tech: TechNeed,
}

/// Many patterns, found in one pass: an aho-corasick automaton over every pattern's prefix
/// literals names the few patterns that can start at each position; only those run, anchored
/// there. (One big multi-pattern regex spent most of its time building lazy-DFA states.)
#[derive(Debug)]
pub struct PatternSet {
    prefilter: Option<AhoCorasick>,
    /// Per prefilter literal: the patterns it starts.
    literal_owners: Vec<Vec<usize>>,
    /// Patterns without usable prefix literals: tried at every candidate position.
    always: Vec<usize>,
    each: Vec<Regex>,
    meta: Vec<PatternMeta>,
}

/// Prefix literals of a pattern, or None when a match may start with anything.
/// Literal prefixes are cut to about this many bytes (then to a character boundary). Longer
/// prefixes are more selective: fewer candidates reach the regex (measured: 6 bytes halves speed).
const PREFIX_BYTES: usize = 64;

fn prefix_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix).limit_total(400);
    let seq = ex.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    // The regex verifies every candidate, so a literal only needs to be selective, not whole:
    // short prefixes mean fewer, deduplicated literals and a smaller automaton.
    Some(
        lits.iter()
            .map(|l| {
                let b = l.as_bytes();
                let mut n = b.len().min(PREFIX_BYTES);
                while n < b.len() && (b[n] & 0xC0) == 0x80 {
                    n += 1;
                }
                b[..n].to_vec()
            })
            .collect(),
    )
}

impl PatternSet {
    fn new(
        patterns: &[String],
        meta: Vec<PatternMeta>,
        what: &str,
    ) -> Result<PatternSet, RuleError> {
        let err = |message: String| RuleError::Parse {
            file: what.to_string(),
            message,
        };
        let mut lit_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut literal_owners: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (pid, p) in patterns.iter().enumerate() {
            match prefix_literals(p) {
                Some(lits) => {
                    for l in lits {
                        let idx = *lit_index.entry(l.clone()).or_insert_with(|| {
                            literals.push(l);
                            literal_owners.push(Vec::new());
                            literals.len() - 1
                        });
                        if !literal_owners[idx].contains(&pid) {
                            literal_owners[idx].push(pid);
                        }
                    }
                }
                None => always.push(pid),
            }
        }
        // Patterns without a literal prefix are tried at every word start: slow, so say so.
        for &pid in &always {
            tracing::debug!(rules = what, pattern = %patterns[pid], "pattern has no literal prefix");
        }
        let prefilter = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::Standard)
                    // A full DFA: a few MB for all rules, and the fastest scan.
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&literals)
                    .map_err(|e| err(e.to_string()))?,
            )
        };
        let each = patterns
            .iter()
            .zip(&meta)
            .map(|(p, m)| {
                // The word-end check lives in the pattern, so an alternative that ends mid-word
                // gives way to one that ends at a word end.
                let full = if m.whole_word_end {
                    format!(r"({p})(?:[^\p{{L}}\p{{N}}_]|\z)")
                } else {
                    format!("({p})")
                };
                Regex::new(&full).map_err(|e| err(format!("pattern `{p}`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PatternSet {
            prefilter,
            literal_owners,
            always,
            each,
            meta,
        })
    }

    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.each.is_empty()
    }

    /// Every (pattern id, start, end) in `text` whose match starts at a word start; several
    /// patterns may match at one place (a shared phrase must not hide another rule's hit).
    pub fn find_all(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        if let Some(ac) = &self.prefilter {
            for m in ac.find_overlapping_iter(text) {
                let s = m.start();
                if !text.is_char_boundary(s) || !starts_word(text, s) {
                    continue;
                }
                for &pid in &self.literal_owners[m.pattern().as_usize()] {
                    candidates.push((pid, s));
                }
            }
        }
        if !self.always.is_empty() {
            let mut pos = 0;
            while pos < text.len() {
                if starts_word(text, pos) {
                    candidates.extend(self.always.iter().map(|&pid| (pid, pos)));
                }
                pos = next_candidate(text, pos);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut out = Vec::new();
        for (pid, s) in candidates {
            let re = &self.each[pid];
            let input = Input::new(text).range(s..).anchored(Anchored::Yes);
            let span = if self.meta[pid].whole_word_end {
                // Only `>` patterns need the group: their match includes the boundary character.
                let mut caps = re.create_captures();
                re.search_captures(&input, &mut caps);
                caps.get_group(1)
            } else {
                re.search(&input).map(|m| m.span())
            };
            if let Some(span) = span
                && span.end > span.start
            {
                out.push((pid, span.start, span.end));
            }
        }
        out.sort_by_key(|&(pid, s, _)| (s, pid));
        out
    }
}

/// A match may start at `s` when it is the start of the text or not inside a word.
fn starts_word(text: &str, s: usize) -> bool {
    s == 0
        || !text[..s].chars().next_back().is_some_and(is_word_char)
        || !text[s..].chars().next().is_some_and(is_word_char)
}

/// The first offset after `s` that is not inside a word (a word start, or a non-word character).
fn next_candidate(text: &str, s: usize) -> usize {
    let mut prev_word = false;
    let mut first = true;
    for (i, c) in text[s..].char_indices() {
        let word = is_word_char(c);
        if !(first || prev_word && word) {
            return s + i;
        }
        first = false;
        prev_word = word;
    }
    text.len() + 1
}

/// All rules of one language, compiled: one pattern set for triggers, one for context cues.
#[derive(Debug)]
pub struct LangRules {
    pub lang: Lang,
    pub triggers: PatternSet,
    /// Per trigger pattern id: the rule index.
    pub trigger_rule: Vec<usize>,
    pub cues: PatternSet,
    pub cue_kind: Vec<CueKind>,
    /// Off-topic cues (sport, private property) over the whole text.
    pub off_topic: PatternSet,
    pub off_topic_min: usize,
    pub rules: Vec<CompiledRule>,
    pub negation_window: usize,
    pub no_company_factor: f32,
    /// Every example, for the test suite and `rules check`.
    pub examples: Vec<(String, Vec<String>)>,
}

/// A trailing `>` demands a word end after the whole match (checked without `\b`, which is slow
/// next to Cyrillic); a `>` inside a pattern (`(inc>|corp>)\s+…`) is a word end at that point and
/// becomes `\b` in that one pattern's verifier.
fn split_pattern(p: &str) -> (String, PatternMeta) {
    let p = p.trim();
    let (body, whole_word_end) = match p.strip_suffix('>') {
        Some(stripped) => (stripped, true),
        None => (p, false),
    };
    (body.replace('>', r"\b"), PatternMeta { whole_word_end })
}

/// Parses a rule file's text.
pub fn parse(file: &str, text: &str) -> Result<RuleFile, RuleError> {
    toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.into(),
        message: e.to_string(),
    })
}

/// Compiles several rule files of one language into one matcher.
pub fn compile(lang: Lang, files: &[(String, RuleFile)]) -> Result<LangRules, RuleError> {
    let mut trig_pats = Vec::new();
    let mut trigger_meta = Vec::new();
    let mut cue_pats = Vec::new();
    let mut cue_meta = Vec::new();
    let mut rules = Vec::new();
    let mut examples = Vec::new();
    let mut negation_window = default_window();
    let mut off_pats = Vec::new();
    let mut off_metas = Vec::new();
    let mut off_topic_min = default_off_topic_min();
    let mut no_company_factor = 0.75;
    for (name, f) in files {
        let check = |kind: &str, pat: &str| -> Result<(), RuleError> {
            regex_automata::meta::Regex::new(pat)
                .map(|_| ())
                .map_err(|e| RuleError::Pattern {
                    file: name.clone(),
                    kind: kind.into(),
                    pattern: pat.into(),
                    message: e.to_string(),
                })
        };
        negation_window = f.negation_window;
        if let Some(x) = f.no_company_factor {
            no_company_factor = x.clamp(0.0, 1.0);
        }
        off_topic_min = f.off_topic_min.max(1);
        for p in &f.off_topic {
            let (pat, meta) = split_pattern(p);
            check("off_topic", &pat)?;
            off_pats.push(pat);
            off_metas.push(meta);
        }
        let mut add_cues = |list: &[String], ck: CueKind, label: &str| -> Result<(), RuleError> {
            for p in list {
                let (pat, meta) = split_pattern(p);
                check(label, &pat)?;
                cue_pats.push(pat);
                cue_meta.push((ck, meta));
            }
            Ok(())
        };
        add_cues(&f.denial, CueKind::Denial, "denial")?;
        add_cues(&f.negation, CueKind::Negation, "negation")?;
        add_cues(&f.status.rumoured, CueKind::Rumoured, "status.rumoured")?;
        add_cues(
            &f.status.hypothetical,
            CueKind::Hypothetical,
            "status.hypothetical",
        )?;
        add_cues(&f.status.planned, CueKind::Planned, "status.planned")?;
        add_cues(&f.status.completed, CueKind::Completed, "status.completed")?;
        add_cues(
            &f.status.background,
            CueKind::Background,
            "status.background",
        )?;
        for r in &f.rules {
            let kind: TriggerKind =
                r.kind
                    .parse()
                    .map_err(|e: crate::model::UnknownKind| RuleError::Parse {
                        file: name.clone(),
                        message: e.to_string(),
                    })?;
            if !(0.0..=1.0).contains(&r.confidence) {
                return Err(RuleError::Parse {
                    file: name.clone(),
                    message: format!(
                        "rule for `{kind}`: confidence {} is not in 0–1",
                        r.confidence
                    ),
                });
            }
            let idx = rules.len();
            // A tech change is about a technology, whoever wrote the rule.
            let default_tech = if kind == TriggerKind::TechChange {
                TechNeed::After
            } else {
                TechNeed::None
            };
            rules.push(CompiledRule {
                kind,
                confidence: r.confidence,
                roles: r.roles,
                tech: r.tech.unwrap_or(default_tech),
            });
            for p in &r.patterns {
                let (pat, meta) = split_pattern(p);
                check(&r.kind, &pat)?;
                trig_pats.push(pat);
                trigger_meta.push((idx, meta));
            }
            add_cues(&r.exclude, CueKind::Exclude(idx), &r.kind)?;
            add_cues(&r.weaken, CueKind::Weaken(idx), &r.kind)?;
            examples.extend(r.examples.iter().map(|e| (e.text.clone(), e.kinds.clone())));
        }
    }
    let what = format!("{} rules", lang.as_str());
    let (trigger_rule, trig_metas): (Vec<usize>, Vec<PatternMeta>) =
        trigger_meta.into_iter().unzip();
    let (cue_kind, cue_metas): (Vec<CueKind>, Vec<PatternMeta>) = cue_meta.into_iter().unzip();
    Ok(LangRules {
        lang,
        triggers: PatternSet::new(&trig_pats, trig_metas, &what)?,
        trigger_rule,
        cues: PatternSet::new(&cue_pats, cue_metas, &what)?,
        cue_kind,
        off_topic: PatternSet::new(&off_pats, off_metas, &what)?,
        off_topic_min,
        rules,
        negation_window,
        no_company_factor,
        examples,
    })
}

/// Loads the built-in files plus `extra` files, grouped and compiled per language.
pub fn load(extra: &[(String, String)]) -> Result<HashMap<Lang, LangRules>, RuleError> {
    let mut by_lang: HashMap<Lang, Vec<(String, RuleFile)>> = HashMap::new();
    let all = BUILTIN
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .chain(extra.iter().cloned());
    for (name, text) in all {
        let f = parse(&name, &text)?;
        let lang = Lang::parse(&f.language).ok_or_else(|| RuleError::Parse {
            file: name.clone(),
            message: format!("`language` is `{}`, expected \"ru\" or \"en\"", f.language),
        })?;
        by_lang.entry(lang).or_default().push((name, f));
    }
    let mut out = HashMap::new();
    for (lang, files) in by_lang {
        out.insert(lang, compile(lang, &files)?);
    }
    Ok(out)
}
