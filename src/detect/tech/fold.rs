//! The one text form aliases and texts are both matched in, with a map back to the original.

use unicode_normalization::UnicodeNormalization;

/// Folded text plus the original byte offset of every folded byte.
pub(super) struct Folded {
    pub(super) text: String,
    map: Vec<u32>,
}

impl Folded {
    pub(super) fn original(&self, i: usize) -> usize {
        self.map
            .get(i)
            .or(self.map.last())
            .copied()
            .unwrap_or_default() as usize
    }
}

/// The one form both aliases and texts are matched in: NFKC, lowercase, ё→е, dashes as `-`,
/// typographic apostrophes as `'`, every whitespace run one space (a newline when it holds one).
pub(super) fn fold(text: &str) -> Folded {
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
