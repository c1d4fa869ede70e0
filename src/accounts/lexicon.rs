//! Word lists the matcher weighs evidence with: legal forms, ordinary words that are also company
//! names, and words of business context. Lists, not rules, so they can grow without code changes.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Legal forms the matcher knows beyond the detector's ([`crate::detect::mentions::LEGAL_FORMS`]):
/// forms that strip from CRM names but would mark too many ordinary words as companies in text.
const MATCH_ONLY_FORMS: &[&str] = &[
    "мкпао",
    "тд",
    "нпо",
    "пк",
    "ук",
    "incorporated",
    "company",
    "as",
    "oyj",
    "srl",
    "sarl",
    "pty",
    "kg",
    "jsc",
    "pjsc",
    "ojsc",
    "cjsc",
    "holding",
];

/// Legal forms (folded), RU and EN: the detector's list, then the matcher's own. A name next to
/// one is a company for sure. At most 64, so a name's forms fit in one bit mask.
pub static LEGAL_FORMS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let all: Vec<&'static str> = crate::detect::mentions::LEGAL_FORMS
        .iter()
        .chain(MATCH_ONLY_FORMS)
        .copied()
        .collect();
    assert!(all.len() <= 64, "legal forms must fit a u64 mask");
    all
});

/// Whether a folded word is a legal form.
pub fn is_legal_form(w: &str) -> bool {
    LEGAL_FORMS.contains(&w)
}

/// Ordinary words that are also company names («Магнит», «Мечта», Apple, Target, Visa). A name
/// made of one such word needs evidence beyond its spelling before it matches.
static COMMON: &str = include_str!("common_words.txt");

static COMMON_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|l| l.split_whitespace())
        .collect()
});

/// Whether a folded single-word name is also an ordinary word.
pub fn is_common_word(folded: &str) -> bool {
    COMMON_SET.contains(folded) || COMMON_SET.contains(super::tokens::stem(folded))
}

/// Stems that put a sentence in business context (a company acts, not a fridge magnet).
const BUSINESS: &[&str] = &[
    // RU
    "компан",
    "ритейл",
    "сеть",
    "сети",
    "магазин",
    "гипермаркет",
    "акци",
    "выручк",
    "прибыл",
    "квартал",
    "гендиректор",
    "директор",
    "председател",
    "правлени",
    "совет",
    "сделк",
    "контракт",
    "договор",
    "завод",
    "производ",
    "приобрел",
    "продаж",
    "инвест",
    "сообщил",
    "заявил",
    "отчет",
    "отчит",
    "дивиденд",
    "биржа",
    "облигац",
    "банкрот",
    "суд",
    "иск",
    "штраф",
    "сотрудник",
    "персонал",
    "ваканс",
    "офис",
    "склад",
    "филиал",
    "партнер",
    "клиент",
    "поставк",
    "поставщик",
    "холдинг",
    "группа",
    "бренд",
    "рынок",
    "рынк",
    // EN
    "compan",
    "retail",
    "store",
    "shares",
    "stock",
    "revenue",
    "profit",
    "quarter",
    "ceo",
    "chief",
    "board",
    "deal",
    "contract",
    "plant",
    "factory",
    "acquir",
    "sales",
    "invest",
    "said",
    "says",
    "report",
    "dividend",
    "earnings",
    "bankrupt",
    "court",
    "lawsuit",
    "employees",
    "staff",
    "hiring",
    "jobs",
    "office",
    "warehouse",
    "partner",
    "customer",
    "client",
    "supplier",
    "brand",
    "market",
    "nyse",
    "nasdaq",
    "chain",
    "outlets",
    "estimates",
    "forecast",
    "misses",
    "beats",
];

/// Whether a folded word has a business-context stem.
pub fn is_business_word(folded: &str) -> bool {
    // Short stems ("суд", "иск", "ceo") only with a short ending: «судьба», «искусство» are not.
    BUSINESS.iter().any(|b| {
        let stem_letters = b.chars().count();
        folded.starts_with(b) && (stem_letters >= 5 || folded.chars().count() <= stem_letters + 2)
    })
}

pub const EXCHANGES: &[&str] = &[
    "nyse",
    "nasdaq",
    "moex",
    "lse",
    "tsx",
    "asx",
    "amex",
    "otc",
    "hkex",
    "tse",
    "мосбиржа",
    "мосбиржи",
    "spb",
    "xetra",
    "euronext",
];

/// Words before a quoted name that make it the name of a thing, not of a company.
pub const NON_COMPANY_HEADS: &[&str] = &[
    "яхта",
    "яхты",
    "яхте",
    "судно",
    "судна",
    "теплоход",
    "теплохода",
    "корабль",
    "корабля",
    "отель",
    "отеля",
    "гостиница",
    "гостиницы",
    "ресторан",
    "ресторана",
    "кафе",
    "кинотеатр",
    "кинотеатра",
    "стадион",
    "стадиона",
    "фильм",
    "фильма",
    "сериал",
    "сериала",
    "книга",
    "книги",
    "роман",
    "песня",
    "песни",
    "альбом",
    "альбома",
    "спектакль",
    "фестиваль",
    "фестиваля",
    "конкурс",
    "премия",
    "премии",
    "операция",
    "операции",
    "жк",
    "парк",
    "парка",
    "сквер",
    "клуб",
    "клуба",
    "yacht",
    "ship",
    "vessel",
    "hotel",
    "restaurant",
    "film",
    "movie",
    "song",
    "album",
    "book",
    "novel",
    "festival",
    "operation",
    "park",
    "club",
];

/// English articles: a one-word ordinary-word name after one is the ordinary word.
pub const ARTICLES: &[&str] = &["the", "a", "an"];

/// Uppercase words that are not tickers even when an account's ticker spells them.
pub const NOT_TICKERS: &[&str] = &[
    "CEO", "CFO", "CTO", "USA", "USD", "EUR", "RUB", "LLC", "INC", "LTD", "PLC", "ООО", "ПАО",
    "АО", "ЗАО", "ОАО", "РФ", "США", "IT", "AI", "HR", "IPO", "M&A", "EU", "UK",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_answer() {
        assert!(is_common_word("магнит") && is_common_word("apple") && is_common_word("мечта"));
        assert!(!is_common_word("техностан"));
        assert!(is_legal_form("пао") && is_legal_form("gmbh"));
        assert!(is_business_word("гипермаркетов") && is_business_word("revenue"));
        assert!(is_business_word("суда") && !is_business_word("судьбой"));
    }
}
