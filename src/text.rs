//! Text folding shared by detection and matching: lowercase, ё→е, and (for names) punctuation to
//! spaces — with a map back to the original byte offsets, so evidence and mentions can be cut from
//! the text the user sees.

use unicode_normalization::UnicodeNormalization;

/// Folded text plus, for every byte of it, the byte offset in the original.
#[derive(Debug, Clone)]
pub struct Folded {
    pub text: String,
    /// `map[i]` is the original offset of folded byte `i`; `map[text.len()]` is the original length.
    map: Vec<u32>,
}

impl Folded {
    /// Original byte offset of a folded byte offset.
    pub fn original(&self, folded: usize) -> usize {
        self.map
            .get(folded)
            .copied()
            .unwrap_or_else(|| self.map.last().copied().unwrap_or(0)) as usize
    }
}

fn push_char(out: &mut String, map: &mut Vec<u32>, c: char, orig: usize) {
    let before = out.len();
    out.push(c);
    for _ in before..out.len() {
        map.push(orig as u32);
    }
}

/// Lowercases and folds ё→е, keeping punctuation: the form detection rules are written against.
pub fn fold_for_rules(text: &str) -> Folded {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        if c.is_ascii() {
            // Line breaks inside a sentence (wrapped copy) read as spaces, so "agreed to\nbuy"
            // still matches "agreed to buy".
            let c = if c.is_ascii_whitespace() {
                ' '
            } else {
                c.to_ascii_lowercase()
            };
            push_char(&mut out, &mut map, c, i);
            continue;
        }
        // Basic Cyrillic is most of the non-ASCII text we see: lowercase it without the general
        // Unicode tables.
        if let Some(l) = cyrillic_lower(c) {
            push_char(&mut out, &mut map, l, i);
            continue;
        }
        for l in c.to_lowercase() {
            let l = match l {
                'ё' => 'е',
                // Typographic apostrophes and dashes in one form, so rules need not list them all.
                '\u{2019}' | '\u{2018}' => '\'',
                '\u{2013}' | '\u{2014}' => '-',
                '\u{00a0}' => ' ',
                other => other,
            };
            push_char(&mut out, &mut map, l, i);
        }
    }
    map.push(text.len() as u32);
    Folded { text: out, map }
}

/// One character of a name key: letters and digits lowercased (ё→е), `&`/`+` kept, anything
/// else one separating space.
fn push_name_char(
    out: &mut String,
    map: &mut Vec<u32>,
    last_space: &mut bool,
    n: char,
    orig: usize,
) {
    if n.is_alphanumeric() {
        for l in n.to_lowercase() {
            let l = if l == 'ё' { 'е' } else { l };
            push_char(out, map, l, orig);
        }
        *last_space = false;
    } else if n == '&' || n == '+' {
        // Kept: "AT&T", "C++" differ from "at t", "c".
        push_char(out, map, n, orig);
        *last_space = false;
    } else if !*last_space {
        push_char(out, map, ' ', orig);
        *last_space = true;
    }
}

/// The key form of a company name or of text searched for names: NFKC, lowercase, ё→е, every run of
/// non-alphanumeric characters one space, trimmed. "ООО «Ромашка»" → "ооо ромашка".
pub fn fold_for_names(text: &str) -> Folded {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut last_space = true;
    for (i, c) in text.char_indices() {
        // NFKC only matters off ASCII; skipping it keeps the hot path free of allocations.
        if c.is_ascii() {
            push_name_char(&mut out, &mut map, &mut last_space, c, i);
        } else {
            let mut buf = [0u8; 4];
            for n in c.encode_utf8(&mut buf).nfkc() {
                push_name_char(&mut out, &mut map, &mut last_space, n, i);
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
        map.pop();
    }
    map.push(text.len() as u32);
    Folded { text: out, map }
}

/// The folded key of a name, without the offset map.
///
/// ```
/// use trigger_radar::text::name_key;
/// assert_eq!(name_key("ООО «Ёлка-Трейд»"), "ооо елка трейд");
/// assert_eq!(name_key("Acme, Inc."), "acme inc");
/// ```
pub fn name_key(text: &str) -> String {
    fold_for_names(text).text
}

/// Share of letters that are Cyrillic (0 when there are no letters).
pub fn cyrillic_share(text: &str) -> f32 {
    let mut letters = 0u32;
    let mut cyr = 0u32;
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if ('\u{0400}'..='\u{04FF}').contains(&c) {
            cyr += 1;
        }
    }
    if letters == 0 {
        0.0
    } else {
        cyr as f32 / letters as f32
    }
}

/// `char::is_alphanumeric` with fast paths for ASCII and Russian letters (hot in detection).
pub fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё') || c.is_alphanumeric()
    }
}

/// A letter, digit or `_` (what a rule's word boundary means), fast for ASCII and Russian.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        // Fast path for Russian letters; the general tables are slow for them.
        matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё') || c.is_alphanumeric()
    }
}

/// Lowercase of a basic Russian letter (ё folded to е), or `None` for anything else.
#[inline]
fn cyrillic_lower(c: char) -> Option<char> {
    match c {
        'а'..='я' => Some(c),
        'А'..='Я' => char::from_u32(c as u32 + 0x20),
        'ё' | 'Ё' => Some('е'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fold_maps_back_to_original() {
        let f = fold_for_rules("ПАО «Ёлка» Приобрело");
        assert_eq!(f.text, "пао «елка» приобрело");
        let pos = f.text.find("приобрело").unwrap();
        let orig = "ПАО «Ёлка» Приобрело";
        assert_eq!(
            &orig[f.original(pos)..f.original(f.text.len())],
            "Приобрело"
        );
    }

    #[test]
    fn names_fold_strips_punctuation_and_case() {
        assert_eq!(name_key("ООО «Ромашка»"), "ооо ромашка");
        assert_eq!(name_key("  Acme, Inc. "), "acme inc");
        assert_eq!(name_key("AT&T"), "at&t");
        assert_eq!(name_key("Ёжик-Про"), "ежик про");
    }

    #[test]
    fn names_fold_maps_back() {
        let s = "Сделку закрыл «Техностан», сообщили";
        let f = fold_for_names(s);
        let p = f.text.find("техностан").unwrap();
        let (a, b) = (f.original(p), f.original(p + "техностан".len()));
        assert_eq!(&s[a..b], "Техностан");
    }

    #[test]
    fn cyrillic_share_counts_letters_only() {
        assert!(cyrillic_share("Газпром 2025!") > 0.99);
        assert!(cyrillic_share("Acme Corp") < 0.01);
    }
}
