//! Sentence splitting that survives abbreviations (г., млн, руб., т. е., Inc., Corp., U.S.),
//! initials and headlines.

/// Words that end with a period without ending the sentence (lowercase, no period).
const ABBREVIATIONS: &[&str] = &[
    // Russian
    "г",
    "гг",
    "млн",
    "млрд",
    "трлн",
    "тыс",
    "руб",
    "коп",
    "долл",
    "т",
    "е",
    "д",
    "др",
    "пр",
    "проч",
    "ул",
    "пер",
    "пл",
    "просп",
    "обл",
    "им",
    "см",
    "стр",
    "рис",
    "табл",
    "св",
    "ст",
    "чел",
    "шт",
    "кв",
    "ок",
    "гл",
    "зам",
    "ген",
    "дир",
    "проф",
    "акад",
    "тел",
    "англ",
    "нач",
    "мин",
    "сек",
    "ч",
    "п",
    "н",
    "э",
    "в",
    "вв",
    "с",
    "о",
    // English
    "inc",
    "corp",
    "co",
    "ltd",
    "llc",
    "plc",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "vs",
    "etc",
    "no",
    "nos",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u",
    "s",
    "e",
    "g",
    "i",
    "a",
    "p",
    "m",
    "dept",
    "est",
    "approx",
    "fig",
    "gov",
    "gen",
    "sen",
    "rep",
    "mt",
    "ft",
    "bros",
    "n",
    "v",
];

fn is_abbreviation(word: &str) -> bool {
    let w = word.trim_start_matches(|c: char| !crate::text::is_alnum(c));
    if w.is_empty() {
        return false;
    }
    // A single capital letter is an initial ("И. Петров", "J. Smith").
    let mut chars = w.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_uppercase()
    {
        return true;
    }
    let lower = w.to_lowercase();
    // "U.S", "т.е": dotted abbreviations keep their inner periods.
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    ABBREVIATIONS.contains(&lower.as_str())
        || (lower.contains('.') && last.chars().count() <= 2)
        || ABBREVIATIONS.contains(&last)
}

/// Byte spans `[start, end)` of the sentences in `text`, trimmed of surrounding whitespace.
pub fn split(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let boundary_end = if c == '\n' {
            // Lines are sentences (headlines and list items have no final period) unless the next
            // line goes on in lowercase: hard-wrapped wire copy breaks lines mid-sentence.
            let next = text[pos..].chars().find(|ch| !ch.is_whitespace());
            if next.is_some_and(char::is_lowercase) {
                None
            } else {
                Some(pos)
            }
        } else if matches!(c, '.' | '!' | '?' | '…') {
            // Swallow runs like "?!" or "..." and closing quotes/brackets.
            let mut j = i + 1;
            while j < chars.len()
                && matches!(
                    chars[j].1,
                    '.' | '!' | '?' | '…' | '»' | '"' | '\'' | ')' | '”'
                )
            {
                j += 1;
            }
            let end = chars.get(j).map(|x| x.0).unwrap_or(text.len());
            let next_ok = match chars.get(j) {
                None => true,
                Some((_, w)) if w.is_whitespace() => {
                    // The next word must look like a sentence start.
                    let mut k = j;
                    while k < chars.len() && chars[k].1.is_whitespace() {
                        k += 1;
                    }
                    match chars.get(k) {
                        None => true,
                        Some((_, n)) => {
                            n.is_uppercase()
                                || n.is_ascii_digit()
                                || matches!(n, '«' | '"' | '“' | '(' | '—' | '-' | '–')
                        }
                    }
                }
                _ => false,
            };
            if next_ok && c == '.' && j == i + 1 {
                let word_start = text[..pos]
                    .rfind(|ch: char| ch.is_whitespace() || ch == '(' || ch == '«' || ch == '"')
                    .map(|p| p + text[p..].chars().next().map_or(1, char::len_utf8))
                    .unwrap_or(0);
                if is_abbreviation(&text[word_start..pos]) {
                    None
                } else {
                    Some(end)
                }
            } else if next_ok {
                Some(end)
            } else {
                None
            }
        } else {
            None
        };
        if let Some(end) = boundary_end {
            push_trimmed(text, start, end, &mut out);
            start = end;
        }
        i += 1;
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    if start >= end {
        return;
    }
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead + trail < s.len() {
        out.push((start + lead, end - trail));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sents(t: &str) -> Vec<&str> {
        split(t).into_iter().map(|(a, b)| &t[a..b]).collect()
    }

    #[test]
    fn russian_abbreviations_do_not_split() {
        let t = "В 2025 г. компания «Альфа» заработала 5 млн руб. за квартал. Т. е. больше, чем ждали. Директор И. Петров доволен.";
        assert_eq!(
            sents(t),
            vec![
                "В 2025 г. компания «Альфа» заработала 5 млн руб. за квартал.",
                "Т. е. больше, чем ждали.",
                "Директор И. Петров доволен."
            ]
        );
    }

    #[test]
    fn english_abbreviations_and_headlines() {
        let t = "Acme Corp. to buy Beta Inc. for $5 mln\nThe U.S. company said on Monday it agreed. Shares rose!";
        assert_eq!(
            sents(t),
            vec![
                "Acme Corp. to buy Beta Inc. for $5 mln",
                "The U.S. company said on Monday it agreed.",
                "Shares rose!"
            ]
        );
    }

    #[test]
    fn wrapped_lines_join_but_headlines_split() {
        let t = "Acme to buy Beta\nAcme Corp said it agreed to\nacquire Beta Inc for cash.";
        assert_eq!(
            sents(t),
            vec![
                "Acme to buy Beta",
                "Acme Corp said it agreed to\nacquire Beta Inc for cash."
            ]
        );
    }

    #[test]
    fn quotes_after_period_stay_with_sentence() {
        let t = "«Сделка закрыта.» Новая фраза.";
        assert_eq!(sents(t), vec!["«Сделка закрыта.»", "Новая фраза."]);
    }
}
