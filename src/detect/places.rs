//! Places a sentence states ("a plant in Kaluga", «завод в Татарстане», "opens in Lyon, France"):
//! a preposition of place followed by a capitalised name. Months, weekdays and a few look-alikes
//! are skipped; companies named the same way can slip through, which is why places are evidence
//! attributes, not matching keys.

use std::sync::LazyLock;

use regex::Regex;

// A preposition after a space or the start, not `\b`: Unicode word boundaries are slow on
// Cyrillic text (STACK.md trap 9).
static EN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[\s(,])(?:in|near|at|outside|across|into)\s+((?:the\s+)?(?:[A-Z][a-z]+|U\.S\.|U\.K\.|UAE)(?:[ -](?:[A-Z][a-z]+|de|del|am|on|upon))*(?:,\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?)",
    )
    .expect("the English place pattern is a valid regex")
});

static RU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[\s(«])(?:в|во|под|на)\s+((?:г\.\s*|городе\s+)?[А-ЯЁ][а-яё]+(?:[ -][А-ЯЁ][а-яё]+)?(?:\s+(?:области|обл\.|крае|округе|республике))?|[А-ЯЁ]?[а-яё]+(?:ской|цкой|ском)\s+(?:области|обл\.|крае|округе|республике)(?:\s+[А-ЯЁ][а-яё]+)?|(?:Республике|Республика)\s+[А-ЯЁ][а-яё]+)",
    )
    .expect("the Russian place pattern is a valid regex")
});

/// Capitalised words after "in"/«в» that are not places.
const NOT_PLACES: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "The",
    "This",
    "That",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
    "Reuters",
    "Bloomberg",
    "Chapter",
    "Series",
    "It",
    "Its",
    "January-March",
    "Январе",
    "Феврале",
    "Марте",
    "Апреле",
    "Мае",
    "Июне",
    "Июле",
    "Августе",
    "Сентябре",
    "Октябре",
    "Ноябре",
    "Декабре",
    "Понедельник",
    "Среду",
    "Пятницу",
    "Субботу",
    "Воскресенье",
    "Четверг",
    "Пресс-службе",
    "Компании",
    "Группе",
    "Интервью",
    "Ходе",
    "Рамках",
    "Связи",
    "Том",
    "Этом",
    "Результате",
    "Частности",
];

/// Places stated in `sentence`, as written, in order, without repeats.
pub fn find(sentence: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for re in [&*EN, &*RU] {
        for c in re.captures_iter(sentence) {
            let Some(m) = c.get(1) else { continue };
            let place = m.as_str().trim().trim_end_matches(',');
            let first = place
                .trim_start_matches("the ")
                .split([' ', ','])
                .next()
                .unwrap_or("");
            if first.is_empty() || NOT_PLACES.contains(&first) {
                continue;
            }
            if !out.iter().any(|p| p == place) {
                out.push(place.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn english_places() {
        assert_eq!(
            find("Kestrel Foods will open a $40 million bakery in Leeds, England in March."),
            vec!["Leeds, England"]
        );
        assert_eq!(find("Acme opened an office near Dallas."), vec!["Dallas"]);
        assert!(find("Acme will report results in January.").is_empty());
    }

    #[test]
    fn russian_places() {
        assert_eq!(
            find("«Северсталь-Метиз» построит завод в Калужской области."),
            vec!["Калужской области"]
        );
        assert_eq!(
            find("Компания открыла склад в г. Казань."),
            vec!["г. Казань"]
        );
        assert_eq!(
            find("Холдинг запустил линию в Республике Татарстан."),
            vec!["Республике Татарстан"]
        );
        assert!(find("Об этом сообщили в пресс-службе компании в марте.").is_empty());
    }
}
