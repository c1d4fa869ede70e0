//! Attaches text to accounts. Identifiers first (INN, OGRN, CIK, domains, tickers), then names:
//! the text is tokenised once and word n-grams are looked up by hash — only at words that can
//! start a name (capitalised, quoted, after a legal form) — in three spaces: stems (Russian case
//! endings off), transliteration (Газпром ↔ Gazprom) and consonant skeletons (Норвейн ↔ Norvane).
//! Every hit is then weighed: a name that is also an ordinary word («Магнит», Apple, Visa) needs
//! evidence (a legal form, quotes, a capital mid-sentence, the account's identifiers in the text);
//! a name two accounts share is told apart by legal form, identifiers, region or industry, or is
//! marked ambiguous — never silently picked.

mod build;
mod scan;

pub use build::MatcherBuilder;

use super::lexicon::{LEGAL_FORMS, is_legal_form};
use super::tokens::{combine, fold_into, hash_str, skeleton, tokenize, translit};
use crate::model::{Account, Role, TriggerHit};
use scan::Scan;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// An event attached to one account.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccountMatch {
    pub account_id: i64,
    pub role: Role,
    /// 0–1: how sure we are that the mention is this account.
    pub confidence: f32,
    /// What matched: `name:…`, `translit:…`, `inn:…`, `domain:…`, `ticker:…`.
    pub matched_as: String,
    /// Several accounts share the name and nothing in the text told them apart.
    pub ambiguous: bool,
}

/// An account named or identified in a text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccountMention {
    pub account_id: i64,
    /// Byte span in the text.
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
    pub ambiguous: bool,
    /// How it matched and the words: `name:техностан`, `inn:7707083893`.
    pub how: String,
}

/// Keys are already hashes: hashing them again would only cost time.
#[derive(Default)]
struct PassThrough(u64);
impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | *b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
type HashIndex<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// The three key spaces, cheapest and surest first.
const SPACES: usize = 3;
const EXACT: usize = 0;
const TRANSLIT: usize = 1;
const SKELETON: usize = 2;
const SPACE_NAMES: [&str; SPACES] = ["name", "translit", "skeleton"];
/// Longest name, in words, that is looked up.
const MAX_WORDS: usize = 8;

#[derive(Clone, Copy)]
struct Slot {
    /// Index into `entries`, or `u32::MAX` when the hash is only a prefix of longer keys.
    entry: u32,
    prefix: bool,
}

struct KeyEntry {
    /// Hash of the unstemmed words: equal when the text has the name in its CRM form.
    exact: u64,
    owners_start: u32,
    owners_len: u32,
    words: u8,
    /// One word that is also an ordinary word, or very short.
    weak: bool,
    cyrillic: bool,
}

/// What the matcher keeps per account, column-wise (a million accounts must fit in memory):
/// enough to name them and to tell namesakes apart.
#[derive(Default)]
struct AccountInfo {
    ids: Vec<i64>,
    /// All display names in one string; `name_ends[i]` ends the i-th.
    names: String,
    name_ends: Vec<u32>,
    /// Bit k set: the CRM name carries `LEGAL_FORMS[k]`.
    forms: Vec<u64>,
    /// Folded prefixes of the region's and the industry's words ("новоси", "logist").
    region: Vec<Box<[Box<str>]>>,
    industry: Vec<Box<[Box<str>]>>,
    /// The INN as a number (0: none): a text giving the name with another INN means another
    /// company.
    inn: Vec<u64>,
}

impl AccountInfo {
    fn name(&self, ix: usize) -> &str {
        let start = if ix == 0 {
            0
        } else {
            self.name_ends[ix - 1] as usize
        };
        self.names
            .get(start..self.name_ends[ix] as usize)
            .unwrap_or_default()
    }
}

/// Names and identifiers → accounts, compiled once per account list.
pub struct Matcher {
    /// One bit per key hash (high bits): most words start no name, and this answers for them
    /// from L3 cache instead of a cache miss into the big table.
    filter: Vec<u64>,
    filter_shift: u32,
    slots: HashIndex<Slot>,
    entries: Vec<KeyEntry>,
    owners: Vec<u32>,
    accounts: AccountInfo,
    by_id: HashMap<i64, u32>,
    /// Hash of `inn:…`, `ogrn:…`, `cik:…`, `domain:…`, `ticker:…` → (start, len) in
    /// `ident_owners`.
    idents: HashIndex<(u32, u32)>,
    ident_owners: Vec<u32>,
    /// Attach at or above this confidence (ambiguous matches are kept, flagged, whatever their
    /// confidence, so the user sees them).
    pub min_confidence: f32,
}

/// A name shared by more accounts than this proves nothing: no match.
const MAX_AMBIGUOUS: usize = 4;

/// The hash an identifier is looked up by.
fn ident_hash(kind: &str, value: &str) -> u64 {
    combine(hash_str(kind), hash_str(value))
}

/// The folded words of a name with legal forms taken off both ends, and the forms' bits.
fn name_words(name: &str) -> (Vec<String>, u64) {
    let mut toks = Vec::new();
    tokenize(name, &mut toks);
    let words: Vec<String> = toks
        .iter()
        .map(|t| {
            let mut f = String::new();
            fold_into(&name[t.start as usize..t.end as usize], &mut f);
            f
        })
        .collect();
    // "B.V.", "S.A.", "N.V.": dotted runs of one-letter words are one abbreviation (a legal
    // form to strip); "A & B Logistics" stays three words, as the text scan sees it.
    let mut merged: Vec<String> = Vec::with_capacity(words.len());
    let mut joins_next = false;
    for (w, t) in words.into_iter().zip(&toks) {
        let single = w.chars().count() == 1;
        match merged.last_mut() {
            Some(last) if single && joins_next => last.push_str(&w),
            _ => merged.push(w),
        }
        joins_next = single && t.dot_joined;
    }
    let mut words = merged;
    let mut forms = 0u64;
    let bit = |w: &str| {
        LEGAL_FORMS
            .iter()
            .position(|f| *f == w)
            .map_or(0, |i| 1u64 << i)
    };
    while words.len() > 1 && is_legal_form(&words[0]) {
        forms |= bit(&words.remove(0));
    }
    while words.len() > 1 && words.last().is_some_and(|w| is_legal_form(w)) {
        forms |= words.pop().map_or(0, |w| bit(&w));
    }
    (words, forms)
}

/// The keys of one stemmed word in every space.
fn word_keys(stemmed: &str, buf: &mut String, buf2: &mut String) -> [u64; SPACES] {
    translit(stemmed, buf);
    // Vowel endings differ between spellings (Mechta / «Мечты»): drop them.
    while buf.len() > 4 && buf.ends_with(['a', 'e', 'i', 'o', 'u']) {
        buf.pop();
    }
    skeleton(buf, buf2);
    [hash_str(stemmed), hash_str(buf), hash_str(buf2)]
}

fn seed(space: usize) -> u64 {
    0x51_7cc1_b727_220a ^ (space as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Folded prefixes long enough to recognise each word in any case form ("новосибирская" →
/// "новоси" matches «Новосибирске», «новосибирский»).
/// Words of regions and industries that say nothing about which one ("область", "services").
const GENERIC_PLACE_AND_TRADE_WORDS: &[&str] = &[
    "and",
    "with",
    "services",
    "other",
    "для",
    "прочие",
    "услуги",
    "область",
    "край",
    "республика",
    "округ",
    "район",
    "город",
    "region",
    "state",
    "county",
    "oblast",
    "krai",
    "republic",
    "city",
    "district",
    "province",
];

fn prefixes_of(text: Option<&str>, min_word: usize) -> Box<[Box<str>]> {
    let Some(text) = text else {
        return Box::new([]);
    };
    let mut f = String::new();
    text.split(|c: char| !crate::text::is_alnum(c))
        .filter(|w| w.chars().count() >= min_word)
        .filter_map(|w| {
            fold_into(w, &mut f);
            if GENERIC_PLACE_AND_TRADE_WORDS.contains(&f.as_str()) {
                return None;
            }
            let n = f.chars().count();
            let keep = n.saturating_sub(3).clamp(4, 6).min(n);
            Some(f.chars().take(keep).collect::<String>().into_boxed_str())
        })
        .collect()
}

impl Matcher {
    /// Builds the matcher for `accounts`.
    pub fn new(accounts: &[Account]) -> Matcher {
        let mut b = MatcherBuilder::default();
        for a in accounts {
            b.add(a);
        }
        b.finish()
    }

    /// Whether `h` may be a key or a key prefix (false: surely not).
    #[inline]
    fn maybe(&self, h: u64) -> bool {
        let bit = h >> self.filter_shift;
        self.filter[(bit >> 6) as usize] & (1 << (bit & 63)) != 0
    }

    /// The accounts an identifier (`inn`, `ogrn`, `cik`, `domain`, `ticker`) belongs to.
    fn ident(&self, kind: &str, value: &str) -> &[u32] {
        self.idents
            .get(&ident_hash(kind, value))
            .map_or(&[], |(s, n)| {
                &self.ident_owners[*s as usize..(*s + *n) as usize]
            })
    }

    /// The accounts holding an identifier (`inn`, `ogrn`, `cik` as ten digits, `domain`,
    /// `ticker`): a registry item names its company this way.
    pub fn accounts_with(&self, kind: &str, value: &str) -> Vec<i64> {
        self.ident(kind, value)
            .iter()
            .map(|ix| self.accounts.ids[*ix as usize])
            .collect()
    }

    /// The account's display name.
    pub fn account_name(&self, id: i64) -> Option<&str> {
        self.by_id.get(&id).map(|i| self.accounts.name(*i as usize))
    }

    /// Every account the text names or identifies, with spans, strongest evidence applied.
    /// Mentions below `min_confidence` are dropped unless they are ambiguous.
    pub fn find(&self, text: &str) -> Vec<AccountMention> {
        thread_local! {
            static SCRATCH: std::cell::RefCell<scan::Scratch> = Default::default();
        }
        let scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let mut scan = Scan::new(self, text, scratch);
        scan.identifiers();
        scan.names();
        let (mut out, scratch) = scan.finish();
        SCRATCH.with(|s| *s.borrow_mut() = scratch);
        out.retain(|m| m.ambiguous || m.confidence >= self.min_confidence);
        out.sort_by_key(|m| (m.start, m.account_id));
        out
    }

    /// Accounts for each detected event of a document: the mentions inside the event's evidence
    /// (and supporting sentences), with the role the detector gave the overlapping company
    /// mention. An event whose sentences name no account goes to the one account the document
    /// identifies by INN, OGRN or CIK (registry pages, filings), if there is exactly one.
    pub fn match_hits(&self, text: &str, hits: &[TriggerHit]) -> Vec<Vec<AccountMatch>> {
        let mentions = self.find(text);
        let doc_ids: Vec<&AccountMention> = mentions
            .iter()
            .filter(|m| {
                ["inn:", "ogrn:", "cik:"]
                    .iter()
                    .any(|p| m.how.starts_with(p))
            })
            .collect();
        let doc_account = {
            let mut ids: Vec<i64> = doc_ids.iter().map(|m| m.account_id).collect();
            ids.sort_unstable();
            ids.dedup();
            (ids.len() == 1).then(|| doc_ids[0])
        };
        hits.iter()
            .map(|hit| {
                let mut best: HashMap<i64, AccountMatch> = HashMap::new();
                let spans: Vec<(usize, usize)> =
                    std::iter::once((hit.evidence_start, hit.evidence_end))
                        .chain(hit.support.iter().copied())
                        .collect();
                for m in &mentions {
                    if !spans.iter().any(|(s, e)| m.start >= *s && m.end <= *e) {
                        continue;
                    }
                    let company = hit
                        .mentions
                        .iter()
                        .find(|c| c.start < m.end && m.start < c.end);
                    // The detector also saw a company here (quoted, capitalised, legal form).
                    let conf = if company.is_some() {
                        (m.confidence + 0.05).min(1.0)
                    } else {
                        m.confidence
                    };
                    let am = AccountMatch {
                        account_id: m.account_id,
                        role: company.map_or(Role::Subject, |c| c.role),
                        confidence: conf,
                        matched_as: m.how.clone(),
                        ambiguous: m.ambiguous,
                    };
                    match best.get(&m.account_id) {
                        Some(prev) if prev.confidence >= am.confidence => {}
                        _ => {
                            best.insert(m.account_id, am);
                        }
                    }
                }
                if best.is_empty()
                    && let Some(d) = doc_account
                {
                    best.insert(
                        d.account_id,
                        AccountMatch {
                            account_id: d.account_id,
                            role: Role::Subject,
                            confidence: d.confidence * 0.85,
                            matched_as: format!("document {}", d.how),
                            ambiguous: false,
                        },
                    );
                }
                let mut v: Vec<AccountMatch> = best.into_values().collect();
                v.sort_by_key(|m| m.account_id);
                v
            })
            .collect()
    }

    /// Accounts for one event (see [`Matcher::match_hits`]).
    pub fn match_hit(&self, text: &str, hit: &TriggerHit) -> Vec<AccountMatch> {
        self.match_hits(text, std::slice::from_ref(hit))
            .pop()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventStatus, Mention, TriggerKind};

    fn acc(id: i64, name: &str, aliases: &[&str]) -> Account {
        Account {
            id,
            crm_id: format!("c{id}"),
            name: name.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            ..Account::default()
        }
    }

    fn ids(m: &Matcher, text: &str) -> Vec<i64> {
        let mut v: Vec<i64> = m
            .find(text)
            .iter()
            .filter(|x| !x.ambiguous)
            .map(|x| x.account_id)
            .collect();
        v.dedup();
        v
    }

    #[test]
    fn legal_forms_case_and_declension_do_not_matter() {
        let m = Matcher::new(&[
            acc(1, "ООО «Техностан»", &[]),
            acc(2, "Brightwater Logistics Inc.", &["Brightwater"]),
            acc(3, "ПАО «Северный Кедр»", &[]),
        ]);
        assert_eq!(
            ids(&m, "Компания ТЕХНОСТАН и Brightwater договорились"),
            vec![1, 2]
        );
        assert_eq!(
            ids(
                &m,
                "Акционеры «Северного Кедра» одобрили сделку с Техностаном."
            ),
            vec![3, 1]
        );
        assert!(
            ids(&m, "Техностанция открылась").is_empty(),
            "whole words only"
        );
    }

    #[test]
    fn transliteration_both_ways() {
        let m = Matcher::new(&[
            acc(1, "ПАО «Газпром»", &[]),
            acc(2, "Norvane Systems Ltd", &[]),
        ]);
        assert_eq!(
            ids(&m, "Gazprom said on Monday it would cut output."),
            vec![1]
        );
        assert_eq!(ids(&m, "Выручка «Норвейн Системс» выросла."), vec![2]);
        let how = &m.find("Gazprom said")[0].how;
        assert!(how.starts_with("translit:"), "{how}");
    }

    #[test]
    fn common_words_need_evidence() {
        let m = Matcher::new(&[acc(1, "ПАО «Магнит»", &[]), acc(2, "Apple Inc.", &[])]);
        assert!(ids(&m, "Купила магнит на холодильник.").is_empty());
        assert!(ids(&m, "Магнит на холодильник купила в Сочи.").is_empty());
        assert_eq!(ids(&m, "Сеть «Магнит» открыла склад."), vec![1]);
        assert_eq!(ids(&m, "Акции ПАО Магнит выросли."), vec![1]);
        assert_eq!(ids(&m, "Магнит закрывает 50 гипермаркетов."), vec![1]);
        assert!(ids(&m, "An apple a day keeps the doctor away.").is_empty());
        assert_eq!(ids(&m, "Shares of Apple rose."), vec![2]);
    }

    #[test]
    fn the_word_cache_changes_nothing() {
        let m = Matcher::new(&[
            acc(1, "ПАО «Газпром»", &[]),
            acc(2, "Norvane Systems Ltd", &[]),
        ]);
        let text = "Gazprom and «Норвейн Системс» signed a deal. «Газпрома» shares rose.";
        let first = m.find(text);
        let second = m.find(text);
        assert_eq!(first, second);
        assert_eq!(first.len(), 3, "{first:?}");
    }

    #[test]
    fn the_accounts_region_backs_a_common_word_name() {
        let mut a = acc(1, "ООО «Вектор»", &[]);
        a.region = Some("Томская область".into());
        let m = Matcher::new(&[a]);
        // Mid-sentence, the capital alone gives 0.7; the account's city in the text gives 0.8.
        let conf = |t: &str| m.find(t).first().map_or(0.0, |x| x.confidence);
        assert!((conf("Сегодня Вектор открыл второй цех.") - 0.7).abs() < 1e-6);
        assert!((conf("Сегодня Вектор открыл второй цех в Томске.") - 0.8).abs() < 1e-6);
        assert!(ids(&m, "Вектор на карте показывает север в Томске.").is_empty());
    }

    #[test]
    fn namesakes_are_told_apart_or_marked() {
        let mut a = acc(1, "ООО «Полярис»", &[]);
        a.region = Some("Новосибирская область".into());
        let mut b = acc(2, "АО «Полярис»", &[]);
        b.region = Some("Москва".into());
        let m = Matcher::new(&[a, b]);
        let found = m.find("«Полярис» открыл склад.");
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|f| f.ambiguous && f.confidence < 0.5));
        assert_eq!(ids(&m, "Новосибирский «Полярис» открыл склад."), vec![1]);
        assert_eq!(ids(&m, "АО «Полярис» открыло офис."), vec![2]);
    }

    #[test]
    fn identifiers_match_without_names() {
        let mut a = acc(1, "ООО «Кедрон»", &[]);
        a.inn = Some("7707083893".into());
        a.domains = vec!["kedron.ru".into()];
        let mut b = acc(2, "Kestrel Analytics", &["Kestrel"]);
        b.ticker = Some("KSTL".into());
        let m = Matcher::new(&[a, b]);
        assert_eq!(
            ids(&m, "Компания с ИНН 7707083893 признана банкротом."),
            vec![1]
        );
        assert_eq!(ids(&m, "Подробнее на www.kedron.ru/news."), vec![1]);
        assert!(
            ids(&m, "Подробнее на my-kedron.ru.").is_empty(),
            "another domain"
        );
        assert_eq!(ids(&m, "Shares (NASDAQ: KSTL) fell."), vec![2]);
        assert!(ids(&m, "Kestrel Capital Partners raised a fund.").is_empty());
    }

    #[test]
    fn role_comes_from_the_overlapping_mention() {
        let m = Matcher::new(&[acc(1, "Вестор", &[]), acc(2, "Кедрон", &[])]);
        let text = "«Вестор» купил «Кедрон».";
        let hit = TriggerHit {
            kind: TriggerKind::Acquisition,
            status: EventStatus::Announced,
            confidence: 0.8,
            evidence: text.into(),
            evidence_start: 0,
            evidence_end: text.len(),
            cue: "купил".into(),
            mentions: vec![
                Mention {
                    name: "Вестор".into(),
                    role: Role::Acquirer,
                    start: 2,
                    end: 14,
                },
                Mention {
                    name: "Кедрон".into(),
                    role: Role::Target,
                    start: 30,
                    end: 42,
                },
            ],
            amounts: vec![],
            locations: vec![],
            support: vec![],
            technologies: vec![],
        };
        let got = m.match_hit(text, &hit);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].role, Role::Acquirer);
        assert_eq!(got[1].role, Role::Target);
        assert!(got[0].confidence > 0.85);
    }
}
