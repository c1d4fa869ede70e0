//! `trigger-radar bench match`: builds the matcher over N synthetic accounts (realistic RU and EN
//! names with legal forms, INNs, domains, tickers) and runs it over generated news text — RU and
//! EN sentences naming accounts, other companies, people and places — on one core. Prints index
//! build time, MB/s of text and peak resident memory.

use super::{Rng, peak_rss_mb};
#[cfg(test)]
use crate::accounts::Matcher;
use crate::accounts::MatcherBuilder;
use crate::model::Account;
use std::fmt::Write as _;
use std::time::Instant;

/// Result of the matching bench.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MatchReport {
    pub accounts: usize,
    /// Share of company-naming sentences that name an account.
    pub share: f64,
    pub build_seconds: f64,
    pub bytes: usize,
    pub documents: usize,
    pub mentions: usize,
    pub seconds: f64,
    /// Megabytes (10⁶ bytes) of text per second on one core.
    pub mb_per_s: f64,
    pub rss_after_build_mb: Option<f64>,
    pub peak_rss_mb: Option<f64>,
}

impl MatchReport {
    /// A short table for the terminal and the README.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "match: {} accounts, index built in {:.2} s",
            self.accounts, self.build_seconds
        );
        let _ = writeln!(
            s,
            "       {:.1} MB in {} documents, {} account mentions ({:.0}% of company mentions), {:.2} s on one core → {:.1} MB/s",
            self.bytes as f64 / 1e6,
            self.documents,
            self.mentions,
            self.share * 100.0,
            self.seconds,
            self.mb_per_s
        );
        let mb = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:.0} MiB"));
        let _ = writeln!(
            s,
            "       resident after build {}, peak {}",
            mb(self.rss_after_build_mb),
            mb(self.peak_rss_mb)
        );
        s
    }
}

fn rss_now_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

const RU_ADJ: &[&str] = &[
    "Северный",
    "Уральский",
    "Балтийский",
    "Новый",
    "Первый",
    "Сибирский",
    "Волжский",
    "Столичный",
    "Городской",
    "Народный",
    "Единый",
    "Южный",
    "Восточный",
    "Западный",
    "Центральный",
    "Промышленный",
    "Торговый",
    "Строительный",
    "Технический",
    "Инженерный",
    "Камский",
    "Донской",
    "Приморский",
    "Кубанский",
    "Алтайский",
    "Невский",
    "Окский",
    "Полярный",
    "Таёжный",
    "Степной",
];
const RU_NOUN: &[&str] = &[
    "Кедр",
    "Ветер",
    "Металл",
    "Бетон",
    "Пекарь",
    "Ресурс",
    "Альянс",
    "Сервис",
    "Транс",
    "Логистик",
    "Монтаж",
    "Снаб",
    "Строй",
    "Проект",
    "Системы",
    "Технологии",
    "Решения",
    "Продукт",
    "Инвест",
    "Капитал",
    "Агро",
    "Фарм",
    "Энерго",
    "Нефтесервис",
    "Трейд",
    "Групп",
    "Холдинг",
    "Терминал",
    "Маш",
    "Пласт",
    "Хим",
    "Текстиль",
    "Мебель",
    "Тара",
    "Лес",
    "Уголь",
    "Сталь",
    "Электро",
];
const RU_SYL: &[&str] = &[
    "тех", "но", "ве", "стор", "кед", "рон", "мет", "ник", "сиб", "ар", "гор", "лес", "пром", "ви",
    "та", "ком", "ал", "ур", "зар", "мир", "сол", "вел", "дор", "кам",
];
const RU_FORMS: &[&str] = &["ООО", "АО", "ПАО", "ЗАО", "ГК"];
/// Syllables of companies that are not accounts (most companies in the news are not).
const RU_OTHER_SYL: &[&str] = &[
    "бу", "ды", "жо", "лу", "мы", "пы", "ру", "фу", "хо", "цы", "шу", "эк", "юр", "яс", "гла",
    "зво",
];
const EN_OTHER_SYL: &[&str] = &[
    "bo", "du", "fy", "gu", "ju", "ky", "lu", "my", "py", "ru", "su", "ty", "vu", "wy", "zu", "hoo",
];
const EN_SURNAME: &[&str] = &[
    "Brightwater",
    "Halvorsen",
    "Ashgrove",
    "Redfern",
    "Westmoor",
    "Pallister",
    "Quayside",
    "Cinderpoint",
    "Hartwell",
    "Kestrel",
    "Norvane",
    "Tidemark",
    "Veldhoven",
    "Lumora",
    "Orison",
    "Blackwood",
    "Stonebridge",
    "Fairhaven",
    "Greyfield",
    "Ironside",
    "Larchmont",
    "Millbrook",
    "Northgate",
    "Oakridge",
    "Pembroke",
    "Ravensworth",
    "Silverton",
    "Thornbury",
    "Whitcombe",
    "Yardley",
];
const EN_NOUN: &[&str] = &[
    "Logistics",
    "Systems",
    "Analytics",
    "Foods",
    "Energy",
    "Mining",
    "Medical",
    "Textiles",
    "Robotics",
    "Renewables",
    "Games",
    "Payments",
    "Agri",
    "Construction",
    "Software",
    "Capital",
    "Partners",
    "Holdings",
    "Industries",
    "Materials",
    "Pharma",
    "Networks",
    "Labs",
    "Devices",
    "Shipping",
    "Freight",
    "Chemicals",
    "Metals",
    "Brands",
    "Retail",
    "Therapeutics",
    "Solutions",
];
const EN_SYL: &[&str] = &[
    "bri", "nor", "vane", "zen", "trix", "cal", "drex", "ost", "mark", "quill", "hal", "wind",
    "tar", "wick", "vel", "trus", "orb", "lum", "dax", "kor", "ven", "sol", "ter", "ax",
];
const EN_FORMS: &[&str] = &["Inc.", "Corp.", "Ltd", "LLC", "plc", "GmbH"];
const RU_CITIES: &[&str] = &[
    "Москве",
    "Казани",
    "Новосибирске",
    "Екатеринбурге",
    "Перми",
    "Самаре",
    "Туле",
    "Калуге",
];
const EN_CITIES: &[&str] = &[
    "Ohio", "Texas", "Leeds", "Chicago", "Denver", "Toronto", "Sydney",
];
const PEOPLE: &[&str] = &[
    "Сергей Иванов",
    "Анна Смирнова",
    "Игорь Громов",
    "Jane Doe",
    "John Smith",
    "Maria Lopez",
];

fn cap(mut w: String) -> String {
    if let Some(first) = w.chars().next() {
        let upper: String = first.to_uppercase().collect();
        w.replace_range(..first.len_utf8(), &upper);
    }
    w
}

fn syl_word(rng: &mut Rng, syl: &[&'static str]) -> String {
    let n = 2 + (rng.next() % 2) as usize;
    cap((0..n).map(|_| rng.word(syl)).collect())
}

/// A valid 10-digit INN from a number (the check digit computed).
fn inn_from(n: u64) -> String {
    let mut d: Vec<u32> = format!("{:09}", n % 1_000_000_000)
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let w = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let check = d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11 % 10;
    d.push(check);
    d.iter()
        .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
        .collect()
}

/// A synthetic account: RU half with INNs, EN half with domains and some tickers.
fn account(rng: &mut Rng, id: i64) -> Account {
    let ru = id % 2 == 0;
    let name = if ru {
        // Mostly distinct names, as in a real CRM, with a share of namesakes.
        let core = match rng.next() % 4 {
            0 => format!(
                "{} {} {}",
                rng.word(RU_ADJ),
                syl_word(rng, RU_SYL),
                rng.word(RU_NOUN)
            ),
            1 => format!(
                "{}{}",
                syl_word(rng, RU_SYL),
                rng.word(RU_NOUN).to_lowercase()
            ),
            2 => format!("{} {}", syl_word(rng, RU_SYL), syl_word(rng, RU_SYL)),
            _ => format!(
                "{}-{} {}",
                syl_word(rng, RU_SYL),
                rng.word(RU_NOUN),
                rng.next() % 100
            ),
        };
        format!("{} «{core}»", rng.word(RU_FORMS))
    } else {
        let core = match rng.next() % 3 {
            0 => format!(
                "{} {} {}",
                rng.word(EN_SURNAME),
                syl_word(rng, EN_SYL),
                rng.word(EN_NOUN)
            ),
            1 => format!("{} {}", syl_word(rng, EN_SYL), rng.word(EN_NOUN)),
            _ => format!(
                "{} {} {}",
                syl_word(rng, EN_SYL),
                rng.word(EN_SURNAME),
                rng.word(EN_NOUN)
            ),
        };
        format!("{core} {}", rng.word(EN_FORMS))
    };
    let mut a = Account {
        id,
        crm_id: format!("b{id}"),
        name,
        ..Account::default()
    };
    if ru && rng.next().is_multiple_of(3) {
        a.inn = Some(inn_from(rng.next()));
    }
    if !ru && rng.next().is_multiple_of(3) {
        a.domains = vec![format!("x{id}.com")];
    }
    if !ru && rng.next().is_multiple_of(20) {
        a.ticker = Some(format!("Q{:04}", id % 10_000));
    }
    a
}

/// The generated accounts (deterministic).
pub fn accounts(n: usize) -> Vec<Account> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (1..=n as i64).map(|id| account(&mut rng, id)).collect()
}

/// The account's name as a journalist writes it: without the legal form half of the time.
fn as_written(a: &Account, rng: &mut Rng) -> String {
    if rng.next().is_multiple_of(2) {
        return a.name.clone();
    }
    let n = a.name.as_str();
    let n = n.split_once(' ').map_or(
        n,
        |(form, rest)| {
            if RU_FORMS.contains(&form) { rest } else { n }
        },
    );
    n.trim_end_matches(|c: char| c != ' ' && c != '»')
        .trim()
        .trim_matches(['«', '»'])
        .to_string()
}

/// One generated news document of about 2–3 KB.
fn document(rng: &mut Rng, accounts: &[Account], share: f64) -> String {
    let mut doc = String::with_capacity(3_000);
    let ru = rng.next().is_multiple_of(2);
    while doc.len() < 2_500 {
        let a = rng.pick(accounts);
        // Most companies in the news are not the team's accounts.
        let named = if (rng.next() % 1000) as f64 / 1000.0 < share {
            as_written(a, rng)
        } else if ru {
            format!("«{}»", syl_word(rng, RU_OTHER_SYL))
        } else {
            syl_word(rng, EN_OTHER_SYL)
        };
        let other = if ru {
            format!("«{}»", syl_word(rng, RU_OTHER_SYL))
        } else {
            syl_word(rng, EN_OTHER_SYL)
        };
        let s = match (ru, rng.next() % 6) {
            (true, 0) => format!("{named} открыла завод в {}.", rng.word(RU_CITIES)),
            (true, 1) => format!(
                "Генеральным директором компании {other} назначен {}.",
                rng.word(PEOPLE)
            ),
            (true, 2) => format!(
                "Аналитики ожидают, что спрос на продукцию отрасли в {} вырастет на {}% до конца года.",
                rng.word(RU_CITIES),
                rng.next() % 40
            ),
            (true, 3) => format!(
                "По данным издания, {named} и {other} обсуждают слияние, сделка может быть закрыта весной."
            ),
            (true, 4) => format!(
                "Как сообщил {}, правительство рассмотрит новые меры поддержки промышленности.",
                rng.word(PEOPLE)
            ),
            (true, _) => format!(
                "Выручка {named} за девять месяцев выросла на {}%, сообщила пресс-служба.",
                rng.next() % 50
            ),
            (false, 0) => format!("{named} opened a new plant in {}.", rng.word(EN_CITIES)),
            (false, 1) => format!(
                "{other} Holdings named {} as chief executive officer on Tuesday.",
                rng.word(PEOPLE)
            ),
            (false, 2) => format!(
                "Analysts expect demand in {} to grow by {}% before the end of the year.",
                rng.word(EN_CITIES),
                rng.next() % 40
            ),
            (false, 3) => {
                format!("People familiar with the matter said {named} was in talks to buy {other}.")
            }
            (false, 4) => format!(
                "The Federal Reserve left rates unchanged, {} told reporters in {}.",
                rng.word(PEOPLE),
                rng.word(EN_CITIES)
            ),
            (false, _) => format!(
                "{named} reported quarterly revenue up {}% and raised its outlook.",
                rng.next() % 50
            ),
        };
        doc.push_str(&s);
        doc.push(' ');
    }
    doc
}

/// Builds the matcher for `n` accounts and matches about `megabytes` of generated text in which
/// `share` of the company-naming sentences name an account.
pub fn run(n: usize, megabytes: f64, share: f64) -> MatchReport {
    // Accounts stream into the builder, as the app reads them page by page: the figure is the
    // matcher's own memory, not a million CRM records'.
    let mut names = Rng(0x9E37_79B9_7F4A_7C15);
    let mut builder = MatcherBuilder::default();
    let mut sample: Vec<Account> = Vec::new();
    let mut build_seconds = 0.0;
    for id in 1..=n as i64 {
        let a = account(&mut names, id);
        let t = Instant::now();
        builder.add(&a);
        build_seconds += t.elapsed().as_secs_f64();
        if id % 97 == 0 {
            sample.push(a);
        }
    }
    let t = Instant::now();
    let matcher = builder.finish();
    build_seconds += t.elapsed().as_secs_f64();
    let rss_after_build_mb = rss_now_mb();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let target = (megabytes * 1e6) as usize;
    let (mut bytes, mut documents, mut mentions) = (0usize, 0usize, 0usize);
    let mut seconds = 0.0;
    while bytes < target {
        let doc = document(&mut rng, &sample, share);
        let t = Instant::now();
        mentions += matcher.find(&doc).len();
        seconds += t.elapsed().as_secs_f64();

        bytes += doc.len();
        documents += 1;
    }
    MatchReport {
        accounts: n,
        share,
        build_seconds,
        bytes,
        documents,
        mentions,
        seconds,
        mb_per_s: bytes as f64 / 1e6 / seconds.max(1e-9),
        rss_after_build_mb,
        peak_rss_mb: peak_rss_mb(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_accounts_are_found_in_generated_text() {
        let accs = accounts(2_000);
        assert!(
            accs.iter()
                .filter_map(|a| a.inn.as_deref())
                .all(|i| crate::accounts::identifiers::validate_inn(i).is_ok())
        );
        let m = Matcher::new(&accs);
        let mut rng = Rng(7);
        let doc = document(&mut rng, &accs, 1.0);
        assert!(!m.find(&doc).is_empty(), "{doc}");
    }
}
