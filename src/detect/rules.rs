//! The rule-file format (one TOML file per language; see `docs/rules.md`) and its compilation into
//! one multi-pattern regex per language.

use crate::model::{Lang, Role, TriggerKind};
use regex_automata::meta::Regex;
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
    #[serde(default)]
    pub status: StatusCues,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

fn default_window() -> usize {
    25
}

/// Cues that set an event's status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCues {
    #[serde(default)]
    pub rumoured: Vec<String>,
    #[serde(default)]
    pub planned: Vec<String>,
    #[serde(default)]
    pub completed: Vec<String>,
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
    #[serde(default)]
    pub roles: Option<Roles>,
    #[serde(default, rename = "example")]
    pub examples: Vec<Example>,
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
    Planned,
    Completed,
    /// Cancels the rule with this index.
    Exclude(usize),
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
}

/// All rules of one language, compiled: one regex for triggers, one for context cues.
#[derive(Debug)]
pub struct LangRules {
    pub lang: Lang,
    pub triggers: Regex,
    /// Per trigger pattern id: (rule index, meta).
    pub trigger_meta: Vec<(usize, PatternMeta)>,
    pub cues: Regex,
    pub cue_meta: Vec<(CueKind, PatternMeta)>,
    pub rules: Vec<CompiledRule>,
    pub negation_window: usize,
    /// Every example, for the test suite and `rules check`.
    pub examples: Vec<(String, Vec<String>)>,
}

fn split_pattern(p: &str) -> (String, PatternMeta) {
    let p = p.trim();
    match p.strip_suffix('>') {
        Some(stripped) => (
            stripped.to_string(),
            PatternMeta {
                whole_word_end: true,
            },
        ),
        None => (
            p.to_string(),
            PatternMeta {
                whole_word_end: false,
            },
        ),
    }
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
        add_cues(&f.status.planned, CueKind::Planned, "status.planned")?;
        add_cues(&f.status.completed, CueKind::Completed, "status.completed")?;
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
            rules.push(CompiledRule {
                kind,
                confidence: r.confidence,
                roles: r.roles,
            });
            for p in &r.patterns {
                let (pat, meta) = split_pattern(p);
                check(&r.kind, &pat)?;
                trig_pats.push(pat);
                trigger_meta.push((idx, meta));
            }
            add_cues(&r.exclude, CueKind::Exclude(idx), &r.kind)?;
            examples.extend(r.examples.iter().map(|e| (e.text.clone(), e.kinds.clone())));
        }
    }
    let build = |pats: &[String]| -> Result<Regex, RuleError> {
        Regex::new_many(pats).map_err(|e| RuleError::Parse {
            file: format!("{} rules", lang.as_str()),
            message: e.to_string(),
        })
    };
    Ok(LangRules {
        lang,
        triggers: build(&trig_pats)?,
        trigger_meta,
        cues: build(&cue_pats)?,
        cue_meta,
        rules,
        negation_window,
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
