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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    /// Digits and letters without case.
    Caseless,
    Other,
}

/// Letter case and word-ness in one look, with arithmetic for ASCII and Russian letters.
#[inline]
fn classify(c: char) -> Class {
    match c {
        'a'..='z' | 'а'..='я' | 'ё' => Class::Lower,
        'A'..='Z' | 'А'..='Я' | 'Ё' => Class::Upper,
        '0'..='9' => Class::Caseless,
        _ if c.is_ascii() => Class::Other,
        _ if c.is_uppercase() => Class::Upper,
        _ if c.is_lowercase() => Class::Lower,
        _ if c.is_alphanumeric() => Class::Caseless,
        _ => Class::Other,
    }
}

/// Splits `text` into words (runs of letters and digits). Cheap: no allocation per token and no
/// folding; keys are computed only for tokens that may start a name.
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut start: Option<usize> = None;
    let (mut cap, mut lower_seen, mut upper_n, mut digit, mut cyr) =
        (false, false, 0u32, false, false);
    let mut sentence_start = true;
    let mut last_char = ' ';
    let b = text.as_bytes();
    let mut close = |s: usize, end: usize, st: &mut bool, fields: (bool, bool, u32, bool, bool)| {
        let (cap, lower_seen, upper_n, digit, cyr) = fields;
        let dot_joined =
            b.get(end) == Some(&b'.') && text[end + 1..].chars().next().is_some_and(is_alnum);
        out.push(Token {
            start: s as u32,
            end: end as u32,
            cap,
            all_caps: upper_n >= 2 && !lower_seen,
            digit,
            cyrillic: cyr,
            sentence_start: *st,
            dot_joined,
        });
        *st = false;
    };
    for (i, c) in text.char_indices() {
        let class = classify(c);
        if class != Class::Other {
            if start.is_none() {
                start = Some(i);
                cap = class == Class::Upper;
                digit = c.is_ascii_digit();
                cyr = matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё');
                lower_seen = false;
                upper_n = 0;
            }
            match class {
                Class::Upper => upper_n += 1,
                Class::Lower => lower_seen = true,
                _ => {}
            }
            last_char = c;
            continue;
        }
        // A non-word character closes the word in progress.
        let mut closed_initial = false;
        if let Some(s) = start.take() {
            closed_initial = text[s..i].chars().count() == 1 && last_char.is_uppercase();
            close(
                s,
                i,
                &mut sentence_start,
                (cap, lower_seen, upper_n, digit, cyr),
            );
        }
        // A sentence ends at . ! ? or a line break, unless the dot follows a one-letter
        // initial ("J. Smith").
        if c == '\n' || c == '!' || c == '?' || (c == '.' && !closed_initial) {
            sentence_start = true;
        }
    }
    if let Some(s) = start {
        close(
            s,
            text.len(),
            &mut sentence_start,
            (cap, lower_seen, upper_n, digit, cyr),
        );
    }
}

/// Russian case endings that end in a vowel (or ь/й). CRM names are in the nominative, so
/// stripping these from both the name and the text meets «Ленты» with «Лента», «Северного
/// Кедра» with «Северный Кедр». Compared as letters, not strings: this runs for every word.
const VOWEL_ENDINGS_3: &[[char; 3]] = &[
    ['о', 'г', 'о'],
    ['е', 'г', 'о'],
    ['о', 'м', 'у'],
    ['е', 'м', 'у'],
    ['ы', 'м', 'и'],
    ['и', 'м', 'и'],
    ['а', 'м', 'и'],
    ['я', 'м', 'и'],
];
const VOWEL_ENDINGS_2: &[[char; 2]] = &[
    ['а', 'я'],
    ['я', 'я'],
    ['о', 'е'],
    ['е', 'е'],
    ['ы', 'е'],
    ['и', 'е'],
    ['ы', 'й'],
    ['и', 'й'],
    ['о', 'й'],
    ['е', 'й'],
    ['у', 'ю'],
    ['ю', 'ю'],
    ['о', 'ю'],
    ['е', 'ю'],
    ['ь', 'ю'],
];
const VOWEL_ENDINGS_1: &[char] = &['а', 'я', 'у', 'ю', 'е', 'и', 'ы', 'о', 'ь'];

/// Case endings that end in a consonant: stripped from text words only, as a second try, since
/// a nominative may end the same way («Газпром» is not «Газпр» + «ом», «Газпромом» is).
const CONSONANT_ENDINGS_2: &[[char; 2]] = &[
    ['о', 'м'],
    ['е', 'м'],
    ['ы', 'м'],
    ['и', 'м'],
    ['о', 'в'],
    ['е', 'в'],
    ['а', 'м'],
    ['я', 'м'],
    ['а', 'х'],
    ['я', 'х'],
    ['ы', 'х'],
    ['и', 'х'],
];

/// The last three letters (last first) and the letter count, counted up to 6.
fn tail(folded: &str) -> ([char; 3], usize) {
    let mut t = ['\0'; 3];
    let mut n = 0;
    for (k, c) in folded.chars().rev().take(6).enumerate() {
        if k < 3 {
            t[k] = c;
        }
        n += 1;
    }
    (t, n)
}

/// Cuts `letters` Russian letters (two bytes each) off the end.
fn cut(folded: &str, letters: usize) -> &str {
    folded.get(..folded.len() - 2 * letters).unwrap_or(folded)
}

fn is_cyrillic_small(c: char) -> bool {
    ('а'..='я').contains(&c)
}

/// The stem of a folded word: a vowel case ending off when at least three letters remain.
pub fn stem(folded: &str) -> &str {
    let ([c1, c2, c3], n) = tail(folded);
    if !is_cyrillic_small(c1) {
        return folded;
    }
    let cyr = |k: usize| [c1, c2, c3][..k].iter().all(|c| is_cyrillic_small(*c));
    if n >= 6 && cyr(3) && VOWEL_ENDINGS_3.contains(&[c3, c2, c1]) {
        return cut(folded, 3);
    }
    if n >= 5 && cyr(2) && VOWEL_ENDINGS_2.contains(&[c2, c1]) {
        return cut(folded, 2);
    }
    if n >= 4 && VOWEL_ENDINGS_1.contains(&c1) {
        return cut(folded, 1);
    }
    folded
}

/// The second stem a text word may have: a consonant case ending off («Техностаном» →
/// «техностан»), when it has one.
pub fn stem2(folded: &str) -> Option<&str> {
    let ([c1, c2, _], n) = tail(folded);
    (n >= 5 && is_cyrillic_small(c1) && CONSONANT_ENDINGS_2.contains(&[c2, c1]))
        .then(|| cut(folded, 2))
}

/// Lowercase, `ё`→`е`; other characters as `char::to_lowercase` gives them.
pub fn fold_into(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        match c {
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | 'а'..='е' | 'ж'..='я' => out.push(c),
            // Cyrillic capitals А–Я are 0x20 below their small letters.
            'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            'ё' | 'Ё' => out.push('е'),
            _ => out.extend(c.to_lowercase()),
        }
    }
}

/// One spelling for both alphabets: Cyrillic transliterated, Latin spelling variants merged
/// (kh→h, x→ks, w→v, y→i, ts→c, ck→k …), doubled letters collapsed.
pub fn translit(folded: &str, out: &mut String) {
    out.clear();
    let mut it = folded.chars();
    // Pushes one output letter: doubled letters collapse, and "io" (yo, ё) becomes "e".
    fn put(out: &mut String, c: char) {
        match (out.as_bytes().last(), c) {
            (Some(b'i'), 'o') => {
                out.pop();
                if !out.ends_with('e') {
                    out.push('e');
                }
            }
            (Some(&l), _) if l as char == c => {}
            _ => out.push(c),
        }
    }
    fn put_str(out: &mut String, s: &str) {
        for c in s.chars() {
            put(out, c);
        }
    }
    while let Some(c) = it.next() {
        let mut ahead = it.clone();
        let next = ahead.next();
        let mut skip = 0;
        match c {
            'а' => put(out, 'a'),
            'б' => put(out, 'b'),
            'в' => put(out, 'v'),
            'г' => put(out, 'g'),
            'д' if next == Some('ж') => {
                put(out, 'g');
                skip = 1;
            }
            'д' => put(out, 'd'),
            'е' | 'э' => put(out, 'e'),
            'ж' => put_str(out, "zh"),
            'з' => put(out, 'z'),
            'и' | 'й' | 'ы' => put(out, 'i'),
            'к' if next == Some('с') => {
                put_str(out, "ks");
                skip = 1;
            }
            'к' => put(out, 'k'),
            'л' => put(out, 'l'),
            'м' => put(out, 'm'),
            'н' => put(out, 'n'),
            'о' => put(out, 'o'),
            'п' => put(out, 'p'),
            'р' => put(out, 'r'),
            'с' => put(out, 's'),
            'т' if next == Some('с') => {
                put(out, 'c');
                skip = 1;
            }
            'т' => put(out, 't'),
            'у' => put(out, 'u'),
            'ф' => put(out, 'f'),
            'х' => put(out, 'h'),
            'ц' => put(out, 'c'),
            'ч' => put_str(out, "ch"),
            'ш' => put_str(out, "sh"),
            'щ' => put_str(out, "sch"),
            'ъ' | 'ь' => {}
            'ю' => put_str(out, "iu"),
            'я' => put_str(out, "ia"),
            // Latin spelling variants.
            'k' if next == Some('h') => {
                put(out, 'h');
                skip = 1;
            }
            'c' if next == Some('k') => {
                put(out, 'k');
                skip = 1;
            }
            'c' if next == Some('h') => {
                put_str(out, "ch");
                skip = 1;
            }
            'c' if matches!(next, Some('e' | 'i' | 'y')) => put(out, 's'),
            'c' | 'q' => put(out, 'k'),
            'x' => put_str(out, "ks"),
            'w' => put(out, 'v'),
            'y' | 'j' => put(out, 'i'),
            'p' if next == Some('h') => {
                put(out, 'f');
                skip = 1;
            }
            't' if matches!(next, Some('s' | 'z')) => {
                put(out, 'c');
                skip = 1;
            }
            // Silent "gh" before t ("Brightwater" ↔ «Брайтвотер»).
            'g' if next == Some('h') && ahead.next() == Some('t') => skip = 1,
            's' if next == Some('h') && {
                let mut a = it.clone();
                a.next();
                a.next() == Some('c') && a.next() == Some('h')
            } =>
            {
                put_str(out, "sch");
                skip = 3;
            }
            _ => put(out, c),
        }
        for _ in 0..skip {
            it.next();
        }
    }
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
