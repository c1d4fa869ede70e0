//! The ambiguity guard: which hits of ambiguous forms ("Go", "Spring", "Oracle") stand. A context
//! template or a list of technologies around them is the evidence; an `exclude` template cancels
//! any form.

use super::{RawHit, TechDictionary, fold, is_word_char};

/// A context template: words that must stand right before and right after the form.
#[derive(Debug, Clone)]
pub(super) struct Template {
    before: Vec<String>,
    after: Vec<String>,
}

impl TechDictionary {
    /// Which raw hits stand: none that an `exclude` template cancels; safe ones; ambiguous ones
    /// with a context template or in a list with a confirmed product (repeated, so "Python, Go,
    /// Rust" confirms both). None: cancelled by an `exclude` template.
    pub(super) fn confirm(&self, hay: &str, raw: &[RawHit]) -> Vec<Option<bool>> {
        let entry = |i: usize| &self.entries[self.forms[raw[i].form].entry];
        let excluded: Vec<bool> = (0..raw.len())
            .map(|i| {
                self.exclude
                    .iter()
                    .chain(&entry(i).exclude)
                    .any(|t| t.matches(hay, &raw[i]))
            })
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

impl Template {
    pub(super) fn parse(t: &str) -> Result<Template, String> {
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
    pub(super) fn matches(&self, hay: &str, h: &RawHit) -> bool {
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
