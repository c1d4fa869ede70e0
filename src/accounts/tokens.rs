//! Word tokens for matching, and the three keys a token has: its stem (Russian case endings off),
//! its transliteration (Cyrillic and Latin spellings meet: Газпром ↔ Gazprom, Ферровикс ↔
//! Ferrovix) and its consonant skeleton (Норвейн ↔ Norvane). Names and texts are tokenised by the
//! same code, so a key built from a CRM name and the same words in a text hash alike.

use crate::text::is_alnum;

/// A word of the text: byte span and what its letters look like.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub start: u32,
    pub end: u32,
    /// First character is an uppercase letter.
    pub cap: bool,
    /// Every letter is uppercase (and there are at least two).
    pub all_caps: bool,
    /// First character is a digit.
    pub digit: bool,
    /// Cyrillic letters (else Latin or other).
    pub cyrillic: bool,
    /// A sentence starts at this token.
    pub sentence_start: bool,
    /// Only a `.` separates it from the next token ("acme.com", "S.A.").
    pub dot_joined: bool,
}

/// Splits `text` into words (runs of letters and digits). Cheap: no allocation per token and no
/// folding; keys are computed only for tokens that may start a name.
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut start: Option<usize> = None;
    let (mut cap, mut lower_seen, mut upper_n, mut digit, mut cyr) =
        (false, false, 0u32, false, false);
    let mut sentence_start = true;
    let mut last_end_char = ' ';
    let b = text.as_bytes();
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if is_alnum(c) {
            if start.is_none() {
                start = Some(i);
                cap = c.is_uppercase();
                digit = c.is_ascii_digit();
                cyr = matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё');
                lower_seen = false;
                upper_n = 0;
            }
            if c.is_uppercase() {
                upper_n += 1;
            } else if c.is_lowercase() {
                lower_seen = true;
            }
            let next_is_word = iter.peek().is_some_and(|(_, n)| is_alnum(*n));
            if !next_is_word {
                let s = start.take().unwrap_or(i);
                let end = i + c.len_utf8();
                let dot_joined = b.get(end) == Some(&b'.')
                    && text[end + 1..].chars().next().is_some_and(is_alnum);
                out.push(Token {
                    start: s as u32,
                    end: end as u32,
                    cap,
                    all_caps: upper_n >= 2 && !lower_seen,
                    digit,
                    cyrillic: cyr,
                    sentence_start,
                    dot_joined,
                });
                sentence_start = false;
                last_end_char = c;
            }
        } else {
            // A sentence ends at . ! ? or a line break, unless the dot follows a one-letter
            // initial ("J. Smith") or sits inside a token chain.
            if c == '\n' || c == '!' || c == '?' {
                sentence_start = true;
            } else if c == '.' {
                let initial = out.last().is_some_and(|t| {
                    t.end as usize == i && t.end - t.start <= 2 && last_end_char.is_uppercase()
                });
                if !initial {
                    sentence_start = true;
                }
            }
        }
    }
}

/// Russian case endings that end in a vowel (or ь/й), longest first. CRM names are in the
/// nominative, so stripping these from both the name and the text meets «Ленты» with «Лента»,
/// «Северного Кедра» with «Северный Кедр».
const VOWEL_ENDINGS: &[&str] = &[
    "ого", "его", "ому", "ему", "ыми", "ими", "ами", "ями", "ая", "яя", "ое", "ее", "ые", "ие",
    "ый", "ий", "ой", "ей", "ую", "юю", "ою", "ею", "ью", "а", "я", "у", "ю", "е", "и", "ы", "о",
    "ь",
];

/// Case endings that end in a consonant: stripped from text words only, as a second try, since
/// a nominative may end the same way («Газпром» is not «Газпр» + «ом», «Газпромом» is).
const CONSONANT_ENDINGS: &[&str] = &[
    "ом", "ем", "ым", "им", "ов", "ев", "ам", "ям", "ах", "ях", "ых", "их",
];

fn strip_any<'a>(folded: &'a str, endings: &[&str]) -> &'a str {
    if !folded
        .chars()
        .next_back()
        .is_some_and(|c| ('а'..='я').contains(&c))
    {
        return folded;
    }
    let n = folded.chars().count();
    for e in endings {
        if let Some(s) = folded.strip_suffix(e)
            && n - e.chars().count() >= 3
        {
            return s;
        }
    }
    folded
}

/// The stem of a folded word: a vowel case ending off when at least three letters remain.
pub fn stem(folded: &str) -> &str {
    strip_any(folded, VOWEL_ENDINGS)
}

/// The second stem a text word may have: a consonant case ending off («Техностаном» →
/// «техностан»), when it has one.
pub fn stem2(folded: &str) -> Option<&str> {
    let s = strip_any(folded, CONSONANT_ENDINGS);
    (s.len() != folded.len()).then_some(s)
}

/// Lowercase, `ё`→`е`; other characters as `char::to_lowercase` gives them.
pub fn fold_into(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        match c {
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | 'а'..='е' | 'ж'..='я' => out.push(c),
            'А'..='Я' => out.extend(c.to_lowercase()),
            'ё' | 'Ё' => out.push('е'),
            _ => out.extend(c.to_lowercase()),
        }
    }
}

/// One spelling for both alphabets: Cyrillic transliterated, Latin spelling variants merged
/// (kh→h, x→ks, w→v, y→i, ts→c, ck→k …), doubled letters collapsed.
pub fn translit(folded: &str, out: &mut String) {
    out.clear();
    let chars: Vec<char> = folded.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let mut step = 1;
        match c {
            'а' => out.push('a'),
            'б' => out.push('b'),
            'в' => out.push('v'),
            'г' => out.push('g'),
            'д' if next == Some('ж') => {
                out.push('g');
                step = 2;
            }
            'д' => out.push('d'),
            'е' | 'э' => out.push('e'),
            'ж' => out.push_str("zh"),
            'з' => out.push('z'),
            'и' | 'й' | 'ы' => out.push('i'),
            'к' if next == Some('с') => {
                out.push_str("ks");
                step = 2;
            }
            'к' => out.push('k'),
            'л' => out.push('l'),
            'м' => out.push('m'),
            'н' => out.push('n'),
            'о' => out.push('o'),
            'п' => out.push('p'),
            'р' => out.push('r'),
            'с' => out.push('s'),
            'т' if next == Some('с') => {
                out.push('c');
                step = 2;
            }
            'т' => out.push('t'),
            'у' => out.push('u'),
            'ф' => out.push('f'),
            'х' => out.push('h'),
            'ц' => out.push('c'),
            'ч' => out.push_str("ch"),
            'ш' => out.push_str("sh"),
            'щ' => out.push_str("sch"),
            'ъ' | 'ь' => {}
            'ю' => out.push_str("iu"),
            'я' => out.push_str("ia"),
            // Latin spelling variants.
            'k' if next == Some('h') => {
                out.push('h');
                step = 2;
            }
            'c' if next == Some('k') => {
                out.push('k');
                step = 2;
            }
            'c' if next == Some('h') => {
                out.push_str("ch");
                step = 2;
            }
            'c' if matches!(next, Some('e' | 'i' | 'y')) => out.push('s'),
            'c' | 'q' => out.push('k'),
            'x' => out.push_str("ks"),
            'w' => out.push('v'),
            'y' | 'j' => out.push('i'),
            'p' if next == Some('h') => {
                out.push('f');
                step = 2;
            }
            't' if matches!(next, Some('s' | 'z')) => {
                out.push('c');
                step = 2;
            }
            // Silent "gh" before t ("Brightwater" ↔ «Брайтвотер»).
            'g' if next == Some('h') && chars.get(i + 2) == Some(&'t') => step = 2,
            's' if next == Some('h')
                && chars.get(i + 2) == Some(&'c')
                && chars.get(i + 3) == Some(&'h') =>
            {
                out.push_str("sch");
                step = 4;
            }
            _ => out.push(c),
        }
        i += step;
    }
    // "yo"/"io" and "ё" (folded to "е") are one sound.
    if out.contains("io") {
        *out = out.replace("io", "e");
    }
    let mut prev = '\0';
    out.retain(|c| {
        let keep = c != prev;
        prev = c;
        keep
    });
}

/// The consonants of a transliteration, first letter kept: English-style spellings of a name in
/// Cyrillic meet the Latin original (Норвейн → nrvn ← Norvane).
pub fn skeleton(translit: &str, out: &mut String) {
    out.clear();
    let mut prev = '\0';
    for (i, c) in translit.chars().enumerate() {
        if i > 0 && matches!(c, 'a' | 'e' | 'i' | 'o' | 'u') {
            continue;
        }
        if c != prev {
            out.push(c);
        }
        prev = c;
    }
}

/// FNV-1a over the bytes: keys and text words hash alike.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Extends an n-gram hash by one word.
pub fn combine(prev: u64, word: u64) -> u64 {
    (prev.rotate_left(17) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tl(s: &str) -> String {
        let mut f = String::new();
        fold_into(s, &mut f);
        let mut o = String::new();
        translit(&f, &mut o);
        o
    }

    #[test]
    fn spellings_meet_across_alphabets() {
        for (ru, en) in [
            ("Газпром", "Gazprom"),
            ("Ферровикс", "Ferrovix"),
            ("Яндекс", "Yandex"),
            ("Техностан", "Tekhnostan"),
            ("Звездолёт", "Zvezdolyot"),
            ("Звездолёт", "Zvezdolet"),
            ("Северный", "Severny"),
            ("Балтийский", "Baltiysky"),
            ("Логистик", "Logistic"),
            ("Лоджистикс", "Logistics"),
        ] {
            assert_eq!(tl(ru), tl(en), "{ru} / {en}");
        }
        let (mut a, mut b) = (String::new(), String::new());
        skeleton(&tl("Норвейн"), &mut a);
        skeleton(&tl("Norvane"), &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn stems_drop_case_endings() {
        assert_eq!(stem("северного"), "северн");
        assert_eq!(stem("северный"), "северн");
        assert_eq!(stem("газпром"), "газпром");
        assert_eq!(stem("газпрома"), "газпром");
        assert_eq!(stem2("техностаном"), Some("техностан"));
        assert_eq!(stem2("газпромом"), Some("газпром"));
        assert_eq!(stem2("газпрома"), None);
        assert_eq!(stem("ао"), "ао");
        assert_eq!(stem("kestrel"), "kestrel");
    }

    #[test]
    fn tokens_know_case_sentences_and_dots() {
        let mut t = Vec::new();
        let text = "Акции ПАО «Магнит» выросли. J. Smith of acme.com said";
        tokenize(text, &mut t);
        let words: Vec<&str> = t
            .iter()
            .map(|t| &text[t.start as usize..t.end as usize])
            .collect();
        assert_eq!(
            words,
            [
                "Акции",
                "ПАО",
                "Магнит",
                "выросли",
                "J",
                "Smith",
                "of",
                "acme",
                "com",
                "said"
            ]
        );
        assert!(t[0].sentence_start && !t[2].sentence_start);
        assert!(t[1].all_caps && t[2].cap && t[2].cyrillic);
        assert!(
            t[4].sentence_start && !t[5].sentence_start,
            "an initial does not end a sentence"
        );
        assert!(t[7].dot_joined && !t[8].dot_joined);
    }
}
