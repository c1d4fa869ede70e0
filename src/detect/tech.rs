//! Technographics: a dictionary of technologies B2B sellers care about (`tech.toml`, compiled in and
//! extended by the user's files; format in `docs/rules.md`) and the extractor that finds them.
//!
//! A text is folded once (NFKC, lowercase, ё→е, one kind of dash, whitespace runs → one space) and
//! scanned once by one aho-corasick automaton over every alias (leftmost-longest, so "spring boot"
//! beats "spring"). Each hit must sit on word boundaries that know `#`, `+` and `.` ("C" is not
//! found in "C#", "node" not in "Node.js", ".NET" not in "ADO.NET"). Aliases that are also ordinary
//! words ("Go", "Spring", "Oracle", "React") are *ambiguous*: they count only next to another
//! technology (a list) or in a context template ("experience with _"), because precision matters
//! more than recall here.

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;
use unicode_normalization::UnicodeNormalization;

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

/// One technology file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TechFile {
    /// Context templates that confirm any ambiguous form ("experience with _").
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    tech: Vec<TechSpec>,
}

/// One entry as written. An entry whose `name` already exists extends it (more aliases, context).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TechSpec {
    name: String,
    /// Required for a new entry; when extending, it must match (or be left out).
    #[serde(default)]
    category: Option<String>,
    /// Safe spellings, matched in any case.
    #[serde(default)]
    aliases: Vec<String>,
    /// Safe only when cased exactly as written ("SAP": "sap" is also a word).
    #[serde(default)]
    exact: Vec<String>,
    /// Also ordinary words: they count only with context (a neighbouring technology or a template).
    #[serde(default)]
    ambiguous: Vec<String>,
    /// Ambiguous forms must also be cased exactly as written ("R", "C").
    #[serde(default)]
    case_sensitive: bool,
    /// Extra context templates for this entry's ambiguous forms.
    #[serde(default)]
    context: Vec<String>,
    /// Templates that cancel any form of this entry ("west _" for Java the island).
    #[serde(default)]
    exclude: Vec<String>,
    /// A class of system (ERP, CRM, cloud), not a product: it lets a `tech_change` sentence count
    /// but is not reported by [`TechDictionary::extract`].
    #[serde(default)]
    generic: bool,
}

/// A compiled entry.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    category: String,
    generic: bool,
    context: Vec<Template>,
    exclude: Vec<Template>,
}

/// One spelling in the automaton.
#[derive(Debug, Clone)]
struct Form {
    entry: usize,
    ambiguous: bool,
    /// The spelling the original text must show, when case matters.
    cased: Option<String>,
    /// May be followed by up to [`STEM_MAX`] letters.
    stem: bool,
    /// May be followed by a version number ("python3", "html5", "c++17").
    version: bool,
    /// An explicit spelling (not a generated variant): a clash with another entry is an error.
    explicit: bool,
}

/// A context template: words that must stand right before and right after the form.
#[derive(Debug, Clone)]
struct Template {
    before: Vec<String>,
    after: Vec<String>,
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
    context: Vec<Template>,
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
                    out.push(RawHit {
                        form: pid,
                        start: s,
                        end,
                    });
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
    fn case_ok(&self, text: &str, folded: &Folded, form: &Form, s: usize, e: usize) -> bool {
        match &form.cased {
            None => true,
            Some(c) => text
                .get(folded.original(s)..folded.original(e))
                .is_some_and(|t| t == c),
        }
    }

    /// Which raw hits stand: none that an `exclude` template cancels; safe ones; ambiguous ones
    /// with a context template or in a list with a confirmed product (repeated, so "Python, Go,
    /// Rust" confirms both). None: cancelled by an `exclude` template.
    fn confirm(&self, hay: &str, raw: &[RawHit]) -> Vec<Option<bool>> {
        let entry = |i: usize| &self.entries[self.forms[raw[i].form].entry];
        let excluded: Vec<bool> = (0..raw.len())
            .map(|i| entry(i).exclude.iter().any(|t| t.matches(hay, &raw[i])))
            .collect();
        let mut ok: Vec<bool> = (0..raw.len())
            .map(|i| {
                !excluded[i]
                    && (!self.forms[raw[i].form].ambiguous
                        || self.context.iter().any(|t| t.matches(hay, &raw[i]))
                        || entry(i).context.iter().any(|t| t.matches(hay, &raw[i])))
            })
            .collect();
        // links[i]: how raw[i] and raw[i + 1] are joined.
        let links: Vec<Link> = raw
            .windows(2)
            .map(|w| Link::of(&hay[w[0].end..w[1].start]))
            .collect();
        loop {
            let mut changed = false;
            for i in 0..raw.len() {
                if ok[i] || excluded[i] {
                    continue;
                }
                let anchor = |j: usize| ok[j] && !entry(j).generic;
                let prev = if i > 0 { links[i - 1] } else { Link::None };
                let next = links.get(i).copied().unwrap_or(Link::None);
                let prev_anchor = i > 0 && anchor(i - 1);
                let next_anchor = i + 1 < raw.len() && anchor(i + 1);
                // A connector word or a bare space is enough ("Python or Go", "Gradle Jenkins");
                // punctuation also needs the other side to look like a list ("Java, Go, Rust",
                // not "Last spring, Salesforce").
                let listed_after = next != Link::None || list_edge_after(&hay[raw[i].end..]);
                let listed_before = prev != Link::None || list_edge_before(&hay[..raw[i].start]);
                let by_prev =
                    prev_anchor && (prev.strong() || prev == Link::Separator && listed_after);
                let by_next =
                    next_anchor && (next.strong() || next == Link::Separator && listed_before);
                if by_prev || by_next {
                    ok[i] = true;
                    changed = true;
                }
            }
            if !changed {
                return ok
                    .into_iter()
                    .zip(excluded)
                    .map(|(ok, ex)| (!ex).then_some(ok))
                    .collect();
            }
        }
    }
}

/// How two neighbouring mentions are joined.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Link {
    /// Not as list items.
    None,
    /// Spaces only, on one line ("docker go kubernetes"): prose rarely puts a product name and
    /// an ordinary word side by side without punctuation.
    Space,
    /// Punctuation ("Java, Go", "Java/Go", a new bullet line).
    Separator,
    /// Connector words only ("Java or Go", "Scala and/or Rust", «с Oracle на PostgreSQL»).
    Connector,
}

/// Words that join list items.
const LIST_CONNECTORS: &[&str] = &[
    "and", "or", "&", "plus", "to", "with", "vs", "versus", "и", "или", "на", "либо",
];

impl Link {
    fn of(gap: &str) -> Link {
        if gap.chars().count() > 24 || gap.contains(['.', '!', '?', ';']) {
            return Link::None;
        }
        // Bare numbers are versions ("C++ 14/17 Rust"), not words.
        let words: Vec<&str> = gap
            .split(|c: char| !(is_word_char(c) || c == '&'))
            .filter(|w| w.chars().any(|c| !c.is_ascii_digit()))
            .collect();
        if words.is_empty() {
            if gap.chars().all(|c| c == ' ') {
                Link::Space
            } else {
                Link::Separator
            }
        } else if words.len() <= 2
            && words.iter().all(|w| LIST_CONNECTORS.contains(w))
            && !gap.contains('\n')
        {
            Link::Connector
        } else {
            Link::None
        }
    }

    /// Enough on its own, whatever the other side of the mention.
    fn strong(self) -> bool {
        matches!(self, Link::Space | Link::Connector)
    }
}

/// The text before a mention ends a list item boundary: start, line start or punctuation.
fn list_edge_before(before: &str) -> bool {
    before
        .trim_end_matches(' ')
        .chars()
        .next_back()
        .is_none_or(|c| !is_word_char(c))
}

/// The text after a mention starts at a list item boundary: end, line end, punctuation or "etc".
fn list_edge_after(after: &str) -> bool {
    let after = after.trim_start_matches(' ');
    after.starts_with("etc") && !after[3..].starts_with(|c: char| is_word_char(c))
        || after.chars().next().is_none_or(|c| !is_word_char(c))
}

/// An alias hit in folded text.
#[derive(Debug, Clone, Copy)]
struct RawHit {
    form: usize,
    start: usize,
    /// With any stem ending or version number.
    end: usize,
}

impl Template {
    fn parse(t: &str) -> Result<Template, String> {
        let folded = fold(t).text;
        let words: Vec<&str> = folded.split_whitespace().collect();
        let holes = words.iter().filter(|w| **w == "_").count();
        if holes != 1 || words.len() < 2 {
            return Err(format!(
                "context template `{t}` needs one `_` (the technology) and at least one word"
            ));
        }
        let at = words.iter().position(|w| *w == "_").unwrap_or(0);
        Ok(Template {
            before: words[..at].iter().map(|w| w.to_string()).collect(),
            after: words[at + 1..].iter().map(|w| w.to_string()).collect(),
        })
    }

    /// The template's words stand right before and after the hit (spaces between; a hyphen may
    /// join the first word after: "Go-based").
    fn matches(&self, hay: &str, h: &RawHit) -> bool {
        let mut before = &hay[..h.start];
        for w in self.before.iter().rev() {
            before = before.trim_end_matches([' ', '\n']);
            match match_word_back(before, w) {
                Some(rest) => before = rest,
                None => return false,
            }
        }
        let mut after = &hay[h.end..];
        for (i, w) in self.after.iter().enumerate() {
            after = after.trim_start_matches([' ', '\n']);
            if i == 0 {
                after = after.strip_prefix('-').unwrap_or(after);
            }
            match match_word_fwd(after, w) {
                Some(rest) => after = rest,
                None => return false,
            }
        }
        true
    }
}

/// `text` ends with the word `w` (a trailing `*` in `w`: any word starting with it); returns what
/// precedes it.
fn match_word_back<'t>(text: &'t str, w: &str) -> Option<&'t str> {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map(|(i, _)| i)?;
    let word = &text[start..];
    word_matches(word, w).then_some(&text[..start])
}

/// `text` starts with the word `w`; returns what follows it.
fn match_word_fwd<'t>(text: &'t str, w: &str) -> Option<&'t str> {
    let end = text
        .char_indices()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(text.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    word_matches(&text[..end], w).then_some(&text[end..])
}

fn word_matches(word: &str, w: &str) -> bool {
    match w.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => word == w,
    }
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

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Folded text plus the original byte offset of every folded byte.
struct Folded {
    text: String,
    map: Vec<u32>,
}

impl Folded {
    fn original(&self, i: usize) -> usize {
        self.map
            .get(i)
            .or(self.map.last())
            .copied()
            .unwrap_or_default() as usize
    }
}

/// The one form both aliases and texts are matched in: NFKC, lowercase, ё→е, dashes as `-`,
/// typographic apostrophes as `'`, every whitespace run one space (a newline when it holds one).
fn fold(text: &str) -> Folded {
    let mut out = String::with_capacity(text.len());
    let mut map: Vec<u32> = Vec::with_capacity(text.len() + 1);
    let mut in_space = false;
    fn push(out: &mut String, map: &mut Vec<u32>, c: char, at: usize) {
        let before = out.len();
        out.push(c);
        map.extend(std::iter::repeat_n(at as u32, out.len() - before));
    }
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_space {
                if c == '\n' && out.ends_with(' ') {
                    out.pop();
                    out.push('\n');
                }
            } else {
                push(&mut out, &mut map, if c == '\n' { '\n' } else { ' ' }, i);
                in_space = true;
            }
            continue;
        }
        in_space = false;
        if c.is_ascii() {
            push(&mut out, &mut map, c.to_ascii_lowercase(), i);
            continue;
        }
        let mut buf = [0u8; 4];
        for n in c.encode_utf8(&mut buf).nfkc() {
            for l in n.to_lowercase() {
                let l = match l {
                    'ё' => 'е',
                    '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                    '\u{2018}' | '\u{2019}' => '\'',
                    c if c.is_whitespace() => ' ',
                    other => other,
                };
                push(&mut out, &mut map, l, i);
            }
        }
    }
    map.push(text.len() as u32);
    Folded { text: out, map }
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
struct Builder {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    forms: Vec<Form>,
    patterns: Vec<String>,
    by_pattern: HashMap<String, usize>,
    context: Vec<Template>,
}

impl Builder {
    fn add_file(&mut self, file: &str, text: &str) -> Result<(), TechError> {
        let parsed: TechFile = toml::from_str(text).map_err(|e| TechError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        for t in &parsed.context {
            self.context
                .push(Template::parse(t).map_err(|message| TechError::Parse {
                    file: file.to_string(),
                    message,
                })?);
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

    fn build(self) -> Result<TechDictionary, TechError> {
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
        })
    }
}

#[cfg(test)]
mod tests;
