//! Technographics: a dictionary of technologies B2B sellers care about (`tech.toml`, compiled in and
//! extended by the user's files; format in `docs/rules.md`) and the extractor that finds them.
//!
//! A text is folded once (NFKC, lowercase, ё→е, one kind of dash, whitespace runs → one space) and
//! scanned once by one aho-corasick automaton over every alias (leftmost-longest, so "spring boot"
//! beats "spring"). Each hit must sit on word boundaries that know `#`, `+` and `.` ("C" is not
//! found in "C#", "node" not in "Node.js", "java" not in "java.util"). Aliases that are also ordinary
//! words ("Go", "Spring", "Oracle", "React") are *ambiguous*: they count only next to another
//! technology (a list) or in a context template ("experience with _"), because precision matters
//! more than recall here.

mod compile;
mod fold;
mod guard;

use aho_corasick::{AhoCorasick, Anchored, Input};
use compile::{Builder, Entry, Form};
use fold::{Folded, fold};
use guard::Template;
use std::path::PathBuf;

/// The built-in dictionary, compiled into the binary.
pub const BUILTIN: &str = include_str!("tech.toml");

/// How many letters a `*` alias may add (an inflection ending: «Битрикс» → «Битриксе»).
const STEM_MAX: usize = 4;

/// Why a technology file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TechError {
    #[error("cannot read technology file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("technology file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("technology file {file}, entry `{entry}`: {message}")]
    Entry {
        file: String,
        entry: String,
        message: String,
    },
}

/// A technology found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechMention<'d> {
    /// Canonical lowercase name ("postgresql", "c#", "1с:erp").
    pub name: &'d str,
    pub category: &'d str,
    /// A class of system (ERP, CRM, cloud) rather than a product.
    pub generic: bool,
    /// Byte offsets in the text as given.
    pub start: usize,
    pub end: usize,
}

/// The compiled dictionary: build it once, share it, scan many texts.
#[derive(Debug)]
pub struct TechDictionary {
    entries: Vec<Entry>,
    forms: Vec<Form>,
    ac: AhoCorasick,
    /// File-wide templates: confirm an ambiguous form / cancel any form.
    context: Vec<Template>,
    exclude: Vec<Template>,
}

impl TechDictionary {
    /// The built-in dictionary.
    pub fn builtin() -> Result<TechDictionary, TechError> {
        Self::with_files(&[])
    }

    /// The built-in dictionary extended by the user's files (same format), in order.
    pub fn with_files(paths: &[PathBuf]) -> Result<TechDictionary, TechError> {
        let mut sources = Vec::with_capacity(paths.len());
        for p in paths {
            let text = std::fs::read_to_string(p).map_err(|source| TechError::Read {
                path: p.clone(),
                source,
            })?;
            sources.push((p.display().to_string(), text));
        }
        Self::from_sources(&sources)
    }

    /// The built-in dictionary extended by `(file name, TOML text)` pairs.
    pub fn from_sources(extra: &[(String, String)]) -> Result<TechDictionary, TechError> {
        let mut b = Builder::default();
        b.add_file("built-in tech.toml", BUILTIN)?;
        for (name, text) in extra {
            b.add_file(name, text)?;
        }
        b.build()
    }

    /// Number of entries (generic classes included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(name, category)` of every product entry (generic classes left out), in file order.
    pub fn names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter(|e| !e.generic)
            .map(|e| (e.name.as_str(), e.category.as_str()))
    }

    /// Technologies (products, not generic classes) in `text`, in text order.
    pub fn extract(&self, text: &str) -> Vec<TechMention<'_>> {
        let mut v = self.scan(text);
        v.retain(|m| !m.generic);
        v
    }

    /// Distinct canonical names of [`Self::extract`], in order of first appearance.
    pub fn extract_names(&self, text: &str) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for m in self.extract(text) {
            if !names.iter().any(|n| n == m.name) {
                names.push(m.name.to_string());
            }
        }
        names
    }

    /// Every mention in `text`, generic classes included (what `tech_change` needs).
    pub fn scan(&self, text: &str) -> Vec<TechMention<'_>> {
        self.scan_candidates(text)
            .into_iter()
            .filter(|(_, confirmed)| *confirmed)
            .map(|(m, _)| m)
            .collect()
    }

    /// Every mention, each with whether context confirmed it: an unconfirmed one is an ambiguous
    /// form without context, which a caller with its own evidence may still take ("migrating
    /// its warehouse to Snowflake"). Cancelled (`exclude`) forms are left out.
    pub(crate) fn scan_candidates(&self, text: &str) -> Vec<(TechMention<'_>, bool)> {
        let folded = fold(text);
        let hay = folded.text.as_str();
        let raw = self.raw_hits(text, &folded);
        let confirmed = self.confirm(hay, &raw);
        raw.iter()
            .zip(confirmed)
            .filter_map(|(h, state)| {
                let e = &self.entries[self.forms[h.form].entry];
                let m = TechMention {
                    name: &e.name,
                    category: &e.category,
                    generic: e.generic,
                    start: folded.original(h.start),
                    end: folded.original(h.end),
                };
                state.map(|ok| (m, ok))
            })
            .collect()
    }

    /// Alias hits on word boundaries (cased forms checked), before the ambiguity guard.
    fn raw_hits(&self, text: &str, folded: &Folded) -> Vec<RawHit> {
        let hay = folded.text.as_str();
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < hay.len() {
            let Some(m) = self.ac.find(Input::new(hay).span(pos..hay.len())) else {
                break;
            };
            let s = m.start();
            let next = s + hay[s..].chars().next().map_or(1, char::len_utf8);
            if !starts_word(hay, s) {
                pos = next;
                continue;
            }
            // The longest alias may end mid-word ("sql server" in "sql serverless") while a shorter
            // one at the same start fits: try them, longest first.
            let (mut pid, mut e) = (m.pattern().as_usize(), m.end());
            pos = next;
            loop {
                let form = &self.forms[pid];
                if let Some(end) = self.ends_word(hay, form, e)
                    && self.case_ok(text, folded, form, s, e)
                {
                    if !is_ticker(hay, s, end) {
                        out.push(RawHit {
                            form: pid,
                            start: s,
                            end,
                        });
                    }
                    pos = end;
                    break;
                }
                let shorter = if e > s + 1 {
                    self.ac
                        .find(Input::new(hay).span(s..e - 1).anchored(Anchored::Yes))
                } else {
                    None
                };
                match shorter {
                    Some(m2) => (pid, e) = (m2.pattern().as_usize(), m2.end()),
                    None => break,
                }
            }
        }
        out
    }

    /// Where the mention ends when the alias ending at `e` ends a word there, else None.
    fn ends_word(&self, hay: &str, form: &Form, e: usize) -> Option<usize> {
        let mut end = e;
        let mut rest = hay[e..].chars().peekable();
        if form.stem {
            let mut n = 0;
            while n < STEM_MAX && rest.peek().is_some_and(|c| c.is_alphabetic()) {
                end += rest.next().map_or(0, char::len_utf8);
                n += 1;
            }
        } else if form.version {
            while rest.peek().is_some_and(|c| c.is_ascii_digit()) {
                end += 1;
                rest.next();
            }
        }
        match rest.next() {
            None => Some(end),
            Some(c) if is_word_char(c) => None,
            // "C" in "C#"/"C++", "R" in "R&D".
            Some('#' | '+' | '&') => None,
            // "node" in "node.js", "java" in "java.util"; a full stop after the name is fine.
            Some('.') if rest.next().is_some_and(is_word_char) => None,
            Some(_) => Some(end),
        }
    }

    /// A cased form must appear exactly as written.
    /// A cased form must appear exactly as written; an all-capitals one ("SAP", "ELK", "R") not
    /// amid other all-capitals words, where case says nothing ("TRUCKERS SPOT ELK").
    fn case_ok(&self, text: &str, folded: &Folded, form: &Form, s: usize, e: usize) -> bool {
        let Some(c) = &form.cased else {
            return true;
        };
        let (os, oe) = (folded.original(s), folded.original(e));
        if text.get(os..oe) != Some(c.as_str()) {
            return false;
        }
        let capitals = |w: Option<&str>| {
            w.is_some_and(|w| w.chars().count() >= 2 && !w.chars().any(char::is_lowercase))
        };
        let shouting = !c.chars().any(char::is_lowercase)
            && capitals(words_of(&text[..os]).next_back())
            && capitals(words_of(&text[oe..]).next());
        !shouting
    }
}

/// An alias hit in folded text.
#[derive(Debug, Clone, Copy)]
struct RawHit {
    form: usize,
    start: usize,
    /// With any stem ending or version number.
    end: usize,
}

/// A hit may start at `s` when no word character precedes it ("sql" is not in "nosql"); after a
/// full stop that follows a word ("java" in "org.java") it may not either.
fn starts_word(hay: &str, s: usize) -> bool {
    let mut back = hay[..s].chars().rev();
    match back.next() {
        None => true,
        Some(c) if is_word_char(c) => false,
        Some('.') => !back.next().is_some_and(is_word_char),
        Some(_) => true,
    }
}

/// Runs of letters (what case can be judged on).
fn words_of(s: &str) -> impl DoubleEndedIterator<Item = &str> {
    s.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
}

/// Stock exchanges whose name precedes a ticker: "(NYSE: ORCL)".
const EXCHANGES: &[&str] = &[
    "nyse",
    "nasdaq",
    "amex",
    "otc",
    "lse",
    "tsx",
    "asx",
    "hkex",
    "xetra",
    "euronext",
    "moex",
    "мосбиржа",
    "тикер",
];

/// A stock symbol, not a product: `<ADP>` in wire copy, "(NASDAQ: MDB)".
fn is_ticker(hay: &str, s: usize, e: usize) -> bool {
    let before = hay[..s].trim_end_matches(' ');
    let after = hay[e..].trim_start_matches(' ');
    if before.ends_with('<') && after.starts_with('>') {
        return true;
    }
    before.strip_suffix(':').is_some_and(|b| {
        let word = b
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        EXCHANGES.contains(&word)
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests;
