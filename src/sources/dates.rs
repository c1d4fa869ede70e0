//! Publication dates as sites write them, in Russian and English: ISO and RFC dates, `21.11.2026`,
//! «21 ноября 2026», «21 ноя 2026, 10:15», "November 21, 2026", "21 Nov 2026".

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

const MONTHS: &[(&str, u32)] = &[
    ("январ", 1),
    ("янв", 1),
    ("феврал", 2),
    ("фев", 2),
    ("март", 3),
    ("мар", 3),
    ("апрел", 4),
    ("апр", 4),
    ("ма", 5),
    ("июн", 6),
    ("июл", 7),
    ("август", 8),
    ("авг", 8),
    ("сентябр", 9),
    ("сен", 9),
    ("октябр", 10),
    ("окт", 10),
    ("ноябр", 11),
    ("ноя", 11),
    ("декабр", 12),
    ("дек", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

fn month(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    let w = w.trim_end_matches('.');
    MONTHS
        .iter()
        .find(|(p, _)| w.starts_with(p) && (w.len() > 2 || *p == w))
        .map(|(_, m)| *m)
}

/// Time zones feeds write by name instead of an offset, in seconds east of UTC.
const ZONES: &[(&str, i32)] = &[
    ("utc", 0),
    ("gmt", 0),
    ("ut", 0),
    ("z", 0),
    ("msk", 3 * 3600),
    ("cet", 3600),
    ("cest", 2 * 3600),
    ("eet", 2 * 3600),
    ("eest", 3 * 3600),
    ("est", -5 * 3600),
    ("edt", -4 * 3600),
    ("cst", -6 * 3600),
    ("cdt", -5 * 3600),
    ("mst", -7 * 3600),
    ("mdt", -6 * 3600),
    ("pst", -8 * 3600),
    ("pdt", -7 * 3600),
];

/// A `+0300` / `-05:00` offset or a zone name, in seconds east of UTC.
fn offset(word: &str) -> Option<i32> {
    let w = word.to_ascii_lowercase();
    if let Some((_, s)) = ZONES.iter().find(|(z, _)| *z == w) {
        return Some(*s);
    }
    let (sign, rest) = match w.as_bytes().first()? {
        b'+' => (1, &w[1..]),
        b'-' => (-1, &w[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Parses a date (and time, when given) as written on a page or in a feed; `None` when it is
/// not one. Also the timestamp parser of the `feed` connector.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d.with_timezone(&Utc));
    }
    // hh.ru: "2026-11-20T10:00:00+0300".
    if let Ok(d) = DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(d.with_timezone(&Utc));
    }
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let time = words
        .iter()
        .find_map(|w| {
            NaiveTime::parse_from_str(w, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(w, "%H:%M"))
                .ok()
        })
        .unwrap_or(NaiveTime::MIN);
    // Only a time of day has a zone worth applying.
    let east = if time == NaiveTime::MIN {
        0
    } else {
        words.iter().rev().find_map(|w| offset(w)).unwrap_or(0)
    };
    let at =
        |d: NaiveDate| Some(d.and_time(time).and_utc() - chrono::Duration::seconds(east as i64));
    for w in &words {
        for fmt in ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"] {
            if let Ok(d) = NaiveDate::parse_from_str(w, fmt) {
                return at(d);
            }
        }
    }
    // "21 ноября 2026", "November 21, 2026", "21 Nov 2026".
    let num = |w: &str| w.trim_end_matches(['.', 'г']).parse::<u32>().ok();
    for (i, w) in words.iter().enumerate() {
        let Some(m) = month(w) else { continue };
        let before = i.checked_sub(1).and_then(|k| num(words[k]));
        let after = words.get(i + 1).and_then(|x| num(x));
        let (day, year) = match (before, after) {
            (Some(d), Some(y)) if d <= 31 && y > 1900 => (d, Some(y)),
            (None, Some(d)) if d <= 31 => (d, words.get(i + 2).and_then(|x| num(x))),
            (Some(d), _) if d <= 31 => (d, words.get(i + 1).and_then(|x| num(x))),
            _ => continue,
        };
        let year = year.filter(|y| *y > 1900).unwrap_or_else(|| {
            use chrono::Datelike;
            Utc::now().year() as u32
        });
        if let Some(d) = NaiveDate::from_ymd_opt(year as i32, m, day) {
            return at(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(d: Option<DateTime<Utc>>) -> String {
        d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }

    #[test]
    fn russian_and_english_dates() {
        assert_eq!(ymd(parse_date("21 ноября 2026")), "2026-11-21 00:00");
        assert_eq!(ymd(parse_date("21 ноя 2026, 10:15")), "2026-11-21 10:15");
        assert_eq!(ymd(parse_date("3 мая 2026 г.")), "2026-05-03 00:00");
        assert_eq!(ymd(parse_date("November 21, 2026")), "2026-11-21 00:00");
        assert_eq!(ymd(parse_date("21 Nov 2026")), "2026-11-21 00:00");
        assert_eq!(ymd(parse_date("21.11.2026 09:30")), "2026-11-21 09:30");
        assert_eq!(
            ymd(parse_date("2026-11-21T09:30:00+03:00")),
            "2026-11-21 06:30"
        );
        assert_eq!(parse_date("вчера вечером"), None);
        assert_eq!(
            ymd(parse_date("Пн, 23 ноя 2026 10:15:00 +0300")),
            "2026-11-23 07:15"
        );
        assert_eq!(
            ymd(parse_date("Tue, 24 Nov 2026 08:00:00 MSK")),
            "2026-11-24 05:00"
        );
        assert_eq!(
            ymd(parse_date("2026-11-20T10:00:00+0300")),
            "2026-11-20 07:00"
        );
    }
}
