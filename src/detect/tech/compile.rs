//! The technology-file format and its compilation into one automaton.

use super::guard::Template;
use super::{TechDictionary, TechError, fold};
use aho_corasick::{AhoCorasick, MatchKind, StartKind};
use serde::Deserialize;
use std::collections::HashMap;

/// One technology file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TechFile {
    /// Context templates that confirm any ambiguous form ("experience with _").
    #[serde(default)]
    pub(super) context: Vec<String>,
    /// Templates that cancel any form of any entry ("_ corp": a company, not its product).
    #[serde(default)]
    pub(super) exclude: Vec<String>,
    #[serde(default)]
    pub(super) tech: Vec<TechSpec>,
}

/// One entry as written. An entry whose `name` already exists extends it (more aliases, context).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TechSpec {
    pub(super) name: String,
    /// Required for a new entry; when extending, it must match (or be left out).
    #[serde(default)]
    pub(super) category: Option<String>,
    /// Safe spellings, matched in any case.
    #[serde(default)]
    pub(super) aliases: Vec<String>,
    /// Safe only when cased exactly as written ("SAP": "sap" is also a word).
    #[serde(default)]
    pub(super) exact: Vec<String>,
    /// Also ordinary words: they count only with context (a neighbouring technology or a template).
    #[serde(default)]
    pub(super) ambiguous: Vec<String>,
    /// Ambiguous forms must also be cased exactly as written ("R", "C").
    #[serde(default)]
    pub(super) case_sensitive: bool,
    /// Extra context templates for this entry's ambiguous forms.
    #[serde(default)]
    pub(super) context: Vec<String>,
    /// Templates that cancel any form of this entry ("west _" for Java the island).
    #[serde(default)]
    pub(super) exclude: Vec<String>,
    /// A class of system (ERP, CRM, cloud), not a product: it lets a `tech_change` sentence count
    /// but is not reported by [`TechDictionary::extract`].
    #[serde(default)]
    pub(super) generic: bool,
}

/// A compiled entry.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) category: String,
    pub(super) generic: bool,
    pub(super) context: Vec<Template>,
    pub(super) exclude: Vec<Template>,
}

/// One spelling in the automaton.
#[derive(Debug, Clone)]
pub(super) struct Form {
    pub(super) entry: usize,
    pub(super) ambiguous: bool,
    /// The spelling the original text must show, when case matters.
    pub(super) cased: Option<String>,
    /// May be followed by up to [`STEM_MAX`] letters.
    pub(super) stem: bool,
    /// May be followed by a version number ("python3", "html5", "c++17").
    pub(super) version: bool,
    /// An explicit spelling (not a generated variant): a clash with another entry is an error.
    pub(super) explicit: bool,
}

/// The spellings an alias also stands for: `1С`↔`1C` (Cyrillic and Latin letters look alike),
/// `1С:ERP` also as `1С: ERP` and, when the part after the colon has three letters or more, as
/// `1С ERP`; a space also as a hyphen and a hyphen also as a space.
fn variants(folded: &str) -> Vec<String> {
    let mut base = vec![folded.to_string()];
    for (a, b) in [("1с", "1c"), ("1c", "1с")] {
        if folded.contains(a) {
            base.push(folded.replace(a, b));
        }
    }
    let mut out = Vec::new();
    for v in &base {
        for w in [v.clone(), v.replace(' ', "-"), v.replace('-', " ")] {
            if !out.contains(&w) {
                out.push(w);
            }
        }
        if let Some(i) = v.find(':')
            && !v[i + 1..].starts_with(' ')
        {
            let (head, tail) = (&v[..i], &v[i + 1..]);
            let mut extra = vec![format!("{head}: {tail}")];
            let letters = tail.chars().take_while(|c| c.is_alphanumeric()).count();
            if letters >= 3 {
                extra.push(format!("{head} {tail}"));
            }
            for w in extra {
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// Collects files, then compiles them into one automaton.
#[derive(Default)]
pub(super) struct Builder {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    forms: Vec<Form>,
    patterns: Vec<String>,
    by_pattern: HashMap<String, usize>,
    context: Vec<Template>,
    exclude: Vec<Template>,
}

impl Builder {
    pub(super) fn add_file(&mut self, file: &str, text: &str) -> Result<(), TechError> {
        let parsed: TechFile = toml::from_str(text).map_err(|e| TechError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let template = |t: &String| {
            Template::parse(t).map_err(|message| TechError::Parse {
                file: file.to_string(),
                message,
            })
        };
        for t in &parsed.context {
            self.context.push(template(t)?);
        }
        for t in &parsed.exclude {
            self.exclude.push(template(t)?);
        }
        for spec in &parsed.tech {
            self.add_entry(file, spec)?;
        }
        Ok(())
    }

    fn add_entry(&mut self, file: &str, spec: &TechSpec) -> Result<(), TechError> {
        let err = |message: String| TechError::Entry {
            file: file.to_string(),
            entry: spec.name.clone(),
            message,
        };
        let name = spec.name.trim();
        if name.is_empty() {
            return Err(err("`name` is empty".into()));
        }
        if fold(name).text != name {
            return Err(err(
                "`name` must be lowercase, with single spaces (it is the canonical form)".into(),
            ));
        }
        if let Some(c) = &spec.category
            && (c.is_empty() || !c.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        {
            return Err(err(format!(
                "category `{c}` must be lowercase ASCII letters or `_`"
            )));
        }
        let idx = match self.by_name.get(name) {
            Some(&i) => {
                let e = &mut self.entries[i];
                if let Some(c) = &spec.category
                    && *c != e.category
                {
                    return Err(err(format!(
                        "already defined with category `{}`, not `{c}`",
                        e.category
                    )));
                }
                if spec.generic != e.generic {
                    return Err(err("`generic` differs from the existing entry".into()));
                }
                i
            }
            None => {
                let Some(category) = spec.category.clone() else {
                    return Err(err("a new entry needs a `category`".into()));
                };
                self.entries.push(Entry {
                    name: name.to_string(),
                    category,
                    generic: spec.generic,
                    context: Vec::new(),
                    exclude: Vec::new(),
                });
                self.by_name
                    .insert(name.to_string(), self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        for t in &spec.context {
            let t = Template::parse(t).map_err(err)?;
            self.entries[idx].context.push(t);
        }
        for t in &spec.exclude {
            let t = Template::parse(t).map_err(err)?;
            self.entries[idx].exclude.push(t);
        }
        let guarded: Vec<String> = spec
            .ambiguous
            .iter()
            .chain(&spec.exact)
            .map(|a| fold(a.trim_end_matches('*')).text)
            .collect();
        // The name is a safe alias unless the entry says it is ambiguous or needs its case.
        let name_alias = (!guarded.iter().any(|g| g == name)).then(|| name.to_string());
        let safe = name_alias.iter().chain(&spec.aliases);
        for a in safe {
            self.add_form(idx, a, false, None).map_err(err)?;
        }
        for a in &spec.exact {
            self.add_form(idx, a, false, Some(a)).map_err(err)?;
        }
        for a in &spec.ambiguous {
            let cased = spec.case_sensitive.then_some(a);
            self.add_form(idx, a, true, cased).map_err(err)?;
        }
        Ok(())
    }

    fn add_form(
        &mut self,
        entry: usize,
        alias: &str,
        ambiguous: bool,
        cased: Option<&String>,
    ) -> Result<(), String> {
        let stem = alias.ends_with('*');
        let base = alias.trim_end_matches('*').trim();
        let folded = fold(base).text;
        if folded.is_empty() {
            return Err(format!("alias `{alias}` is empty"));
        }
        let last = folded.chars().last().unwrap_or(' ');
        let version = !stem
            && folded.chars().count() >= 3
            && (last.is_ascii_alphabetic() || last == '+' || last == '#');
        // Cased forms match only as written: no generated variants.
        let spellings = if cased.is_some() {
            vec![folded.clone()]
        } else {
            variants(&folded)
        };
        for (n, p) in spellings.into_iter().enumerate() {
            let explicit = n == 0;
            let form = Form {
                entry,
                ambiguous,
                cased: cased.map(|c| c.trim_end_matches('*').trim().to_string()),
                stem,
                version,
                explicit,
            };
            match self.by_pattern.get(&p) {
                None => {
                    self.by_pattern.insert(p.clone(), self.forms.len());
                    self.forms.push(form);
                    self.patterns.push(p);
                }
                Some(&i) => {
                    let other = &mut self.forms[i];
                    if other.entry == entry && stem && !other.stem && other.cased.is_none() {
                        // "мегаплан" and "мегаплан*": the stem covers the bare word too.
                        other.stem = true;
                        other.version = false;
                        continue;
                    }
                    if other.entry == entry || !explicit {
                        // A repeat within one entry, or a generated variant another entry spells
                        // out: the first (explicit) one wins.
                        continue;
                    }
                    if other.explicit {
                        return Err(format!(
                            "alias `{alias}` already belongs to `{}`",
                            self.entries[other.entry].name
                        ));
                    }
                    // An explicit alias beats another entry's generated variant.
                    self.forms[i] = form;
                }
            }
        }
        Ok(())
    }

    pub(super) fn build(self) -> Result<TechDictionary, TechError> {
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Both)
            .build(&self.patterns)
            .map_err(|e| TechError::Parse {
                file: "technology dictionary".into(),
                message: e.to_string(),
            })?;
        Ok(TechDictionary {
            entries: self.entries,
            forms: self.forms,
            ac,
            context: self.context,
            exclude: self.exclude,
        })
    }
}
