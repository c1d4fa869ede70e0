//! Company-like mentions in a sentence: «quoted» names, names with a legal form, and (in Latin
//! script) capitalised word runs. The matcher decides which of them are the user's accounts; here we
//! only need spans so roles can be given by position.

/// Legal forms that mark the next (or previous) words as a company name. Lowercase, no dots.
pub const LEGAL_FORMS: &[&str] = &[
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "нао",
    "ип",
    "гк",
    "фгуп",
    "гуп",
    "муп",
    "нко",
    "ано",
    "тоо",
    "inc",
    "corp",
    "corporation",
    "co",
    "llc",
    "ltd",
    "limited",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "nv",
    "bv",
    "ab",
    "asa",
    "spa",
    "lp",
    "llp",
    "holdings",
    "group",
    "se",
    "oy",
];

/// Capitalised words that start sentences or name times and titles, not companies.
const NOT_NAMES: &[&str] = &[
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "for",
    "by",
    "with",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "they",
    "we",
    "i",
    "his",
    "her",
    "their",
    "our",
    "after",
    "before",
    "as",
    "but",
    "and",
    "or",
    "if",
    "when",
    "while",
    "shares",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "ceo",
    "cfo",
    "cto",
    "cio",
    "coo",
    "chief",
    "president",
    "chairman",
    "mr",
    "mrs",
    "ms",
    "dr",
    "reuters",
    "update",
    "analysts",
    "according",
    "under",
    "from",
    "to",
    "of",
    "new",
    "last",
    "next",
    "earlier",
    "later",
    "also",
];

/// A mention's span in the sentence and whether it carries a legal form or quotes (strong evidence).
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub strong: bool,
}

fn is_legal_form(word: &str) -> bool {
    let w: String = word
        .chars()
        .filter(|c| crate::text::is_alnum(*c))
        .flat_map(char::to_lowercase)
        .collect();
    LEGAL_FORMS.contains(&w.as_str())
}

/// Finds company-like spans in `s`.
pub fn find(s: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    quoted(s, &mut out);
    capitalised(s, &mut out);
    out.sort_by_key(|m| m.start);
    out
}

fn quoted(s: &str, out: &mut Vec<Span>) {
    let mut depth = 0usize;
    let mut open = 0usize;
    let mut straight_open: Option<usize> = None;
    for (i, c) in s.char_indices() {
        match c {
            '«' | '“' => {
                if depth == 0 {
                    open = i + c.len_utf8();
                }
                depth += 1;
            }
            '»' | '”' if depth > 0 => {
                depth -= 1;
                if depth == 0 && i > open {
                    out.push(Span {
                        start: open,
                        end: i,
                        strong: true,
                    });
                }
            }
            '"' => match straight_open.take() {
                Some(o) if i > o => out.push(Span {
                    start: o,
                    end: i,
                    strong: true,
                }),
                Some(_) => {}
                None => straight_open = Some(i + 1),
            },
            _ => {}
        }
    }
}

fn capitalised(s: &str, out: &mut Vec<Span>) {
    // Words with their byte spans.
    let words: Vec<(usize, usize)> = word_spans(s);
    let mut i = 0;
    while i < words.len() {
        let (ws, we) = words[i];
        let w = &s[ws..we];
        let starts_upper = w.chars().next().is_some_and(char::is_uppercase);
        let inside_quotes = out.iter().any(|m| ws >= m.start && we <= m.end);
        if !starts_upper || inside_quotes || NOT_NAMES.contains(&w.to_lowercase().as_str()) {
            i += 1;
            continue;
        }
        let latin = w.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        let mut j = i + 1;
        let mut strong =
            is_legal_form(w) || i > 0 && is_legal_form(&s[words[i - 1].0..words[i - 1].1]);
        let mut has_name = !is_legal_form(w);
        while j < words.len() {
            let (a, b) = words[j];
            let gap = &s[words[j - 1].1..a];
            if !gap
                .chars()
                .all(|c| c == ' ' || c == '-' || c == '&' || c == '.' || c == ',')
                || gap.contains(", ") && !is_legal_form(&s[a..b])
            {
                break;
            }
            let nw = &s[a..b];
            if is_legal_form(nw) {
                strong = true;
                j += 1;
                continue;
            }
            if nw.chars().next().is_some_and(char::is_uppercase)
                && !NOT_NAMES.contains(&nw.to_lowercase().as_str())
            {
                has_name = true;
                j += 1;
            } else {
                break;
            }
        }
        // Cyrillic capitalised words are names of people and places as often as of firms: keep them
        // only with a legal form. Latin runs are kept (English capitalises company names).
        if has_name && (latin || strong) {
            out.push(Span {
                start: ws,
                end: words[j - 1].1,
                strong,
            });
        }
        i = j;
    }
}

fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        if crate::text::is_alnum(c) || c == '\'' && start.is_some() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(st) = start.take() {
            v.push((st, i));
        }
    }
    if let Some(st) = start {
        v.push((st, s.len()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<&str> {
        find(s).iter().map(|m| &s[m.start..m.end]).collect()
    }

    #[test]
    fn quoted_and_legal_forms() {
        assert_eq!(
            names("ПАО «Уралхим» купило ООО \"Бета\" у Ивана Петрова"),
            vec!["Уралхим", "Бета"]
        );
        assert_eq!(
            names("Группа «Компания «Альфа»» растёт"),
            vec!["Компания «Альфа»"]
        );
    }

    #[test]
    fn latin_runs_with_forms() {
        assert_eq!(
            names("The board of Brightwater Logistics Inc. said Norvane will buy it"),
            vec!["Brightwater Logistics Inc", "Norvane"]
        );
    }
}
