//! Attaches text to accounts. Identifiers first (INN, OGRN, CIK, domains, tickers), then names:
//! the text is tokenised once and word n-grams are looked up by hash — only at words that can
//! start a name (capitalised, quoted, after a legal form) — in three spaces: stems (Russian case
//! endings off), transliteration (Газпром ↔ Gazprom) and consonant skeletons (Норвейн ↔ Norvane).
//! Every hit is then weighed: a name that is also an ordinary word («Магнит», Apple, Visa) needs
//! evidence (a legal form, quotes, a capital mid-sentence, the account's identifiers in the text);
//! a name two accounts share is told apart by legal form, identifiers, region or industry, or is
//! marked ambiguous — never silently picked.

use super::lexicon::{LEGAL_FORMS, is_business_word, is_common_word, is_legal_form};
use super::tokens::{
    Token, combine, fold_into, hash_str, skeleton, stem, stem2, tokenize, translit,
};
use crate::model::{Account, Role, TriggerHit};
use std::collections::{HashMap, HashSet};
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

/// What the matcher keeps per account: enough to tell namesakes apart.
struct AccountInfo {
    id: i64,
    name: Box<str>,
    /// Bit i set: the CRM name carries `LEGAL_FORMS[i]`.
    forms: u64,
    /// Folded prefixes of the region's and the industry's words ("новоси", "logist").
    region: Box<[Box<str>]>,
    industry: Box<[Box<str>]>,
    /// The INN as a number: a text giving the name with another INN means another company.
    inn: Option<u64>,
}

/// Names and identifiers → accounts, compiled once per account list.
pub struct Matcher {
    slots: HashIndex<Slot>,
    entries: Vec<KeyEntry>,
    owners: Vec<u32>,
    accounts: Vec<AccountInfo>,
    by_id: HashMap<i64, u32>,
    /// `inn:…`, `ogrn:…`, `cik:…`, `domain:…`, `ticker:…` → accounts.
    idents: HashMap<String, Vec<u32>>,
    /// Attach at or above this confidence (ambiguous matches are kept, flagged, whatever their
    /// confidence, so the user sees them).
    pub min_confidence: f32,
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
    // "B.V.", "S.A.", "N.V.": runs of one-letter words are one abbreviation.
    let mut merged: Vec<String> = Vec::with_capacity(words.len());
    let mut prev_single = false;
    for w in words {
        let single = w.chars().count() == 1;
        match merged.last_mut() {
            Some(last) if single && prev_single => last.push_str(&w),
            _ => merged.push(w),
        }
        prev_single = single;
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

/// The key of one stemmed word in `space`.
fn word_key(stemmed: &str, space: usize, buf: &mut String, buf2: &mut String) -> u64 {
    match space {
        EXACT => hash_str(stemmed),
        _ => {
            translit(stemmed, buf);
            // Vowel endings differ between spellings (Mechta / «Мечты»): drop them.
            while buf.len() > 4 && buf.ends_with(['a', 'e', 'i', 'o', 'u']) {
                buf.pop();
            }
            if space == TRANSLIT {
                hash_str(buf)
            } else {
                skeleton(buf, buf2);
                hash_str(buf2)
            }
        }
    }
}

fn seed(space: usize) -> u64 {
    0x51_7cc1_b727_220a ^ (space as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Folded prefixes long enough to recognise each word in any case form ("новосибирская" →
/// "новоси" matches «Новосибирске», «новосибирский»).
fn prefixes_of(text: Option<&str>, min_word: usize) -> Box<[Box<str>]> {
    let Some(text) = text else {
        return Box::new([]);
    };
    let mut f = String::new();
    text.split(|c: char| !crate::text::is_alnum(c))
        .filter(|w| w.chars().count() >= min_word)
        .filter_map(|w| {
            fold_into(w, &mut f);
            if [
                "and",
                "with",
                "services",
                "other",
                "для",
                "прочие",
                "услуги",
            ]
            .contains(&f.as_str())
            {
                return None;
            }
            let n = f.chars().count();
            let keep = n.saturating_sub(3).clamp(4, 6).min(n);
            Some(f.chars().take(keep).collect::<String>().into_boxed_str())
        })
        .collect()
}

const EXCHANGES: &[&str] = &[
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
const NON_COMPANY_HEADS: &[&str] = &[
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
const ARTICLES: &[&str] = &["the", "a", "an"];

/// Uppercase words that are not tickers even when an account's ticker spells them.
const NOT_TICKERS: &[&str] = &[
    "CEO", "CFO", "CTO", "USA", "USD", "EUR", "RUB", "LLC", "INC", "LTD", "PLC", "ООО", "ПАО",
    "АО", "ЗАО", "ОАО", "РФ", "США", "IT", "AI", "HR", "IPO", "M&A", "EU", "UK",
];

impl Matcher {
    /// Builds the matcher for `accounts`.
    pub fn new(accounts: &[Account]) -> Matcher {
        // (hash, owner, exact, words, weak, cyrillic) rows, grouped by hash afterwards.
        let mut rows: Vec<(u64, u32, u64, u8, bool, bool)> = Vec::with_capacity(accounts.len() * 4);
        let mut prefixes: Vec<u64> = Vec::new();
        let mut infos = Vec::with_capacity(accounts.len());
        let mut idents: HashMap<String, Vec<u32>> = HashMap::new();
        let (mut b1, mut b2) = (String::new(), String::new());
        for (ix, a) in accounts.iter().enumerate() {
            let ix = ix as u32;
            let mut forms = 0u64;
            let mut seen_keys: Vec<u64> = Vec::new();
            for n in std::iter::once(&a.name).chain(a.aliases.iter()) {
                let (words, f) = name_words(n);
                forms |= f;
                if words.is_empty() || words.len() > MAX_WORDS {
                    continue;
                }
                let letters: usize = words.iter().map(|w| w.chars().count()).sum();
                // One- and two-character names ("X5", "AB") match inside too many texts.
                if letters < 3 || (words.len() == 1 && words[0].chars().all(|c| c.is_ascii_digit()))
                {
                    continue;
                }
                let weak = words.len() == 1 && (letters <= 3 || is_common_word(&words[0]));
                let cyrillic = words
                    .iter()
                    .any(|w| w.chars().any(|c| ('а'..='я').contains(&c)));
                let exact = words
                    .iter()
                    .fold(seed(EXACT), |h, w| combine(h, hash_str(w)));
                for space in 0..SPACES {
                    let mut h = seed(space);
                    let mut skeleton_len = 0;
                    for (k, w) in words.iter().enumerate() {
                        if k > 0 {
                            prefixes.push(h);
                        }
                        h = combine(h, word_key(stem(w), space, &mut b1, &mut b2));
                        skeleton_len += b2.len();
                    }
                    // Skeletons of short single words collide with too many other words.
                    if space == SKELETON && (words.len() == 1 && skeleton_len < 5) {
                        continue;
                    }
                    if seen_keys.contains(&h) {
                        continue;
                    }
                    seen_keys.push(h);
                    rows.push((h, ix, exact, words.len() as u8, weak, cyrillic));
                }
            }
            let mut add = |k: String| {
                let v = idents.entry(k).or_default();
                if !v.contains(&ix) {
                    v.push(ix);
                }
            };
            if let Some(x) = &a.inn {
                add(format!("inn:{x}"));
            }
            if let Some(x) = &a.ogrn {
                add(format!("ogrn:{x}"));
            }
            if let Some(x) = &a.cik {
                add(format!("cik:{x}"));
            }
            if let Some(x) = &a.ticker {
                add(format!("ticker:{x}"));
            }
            for d in &a.domains {
                add(format!("domain:{d}"));
            }
            infos.push(AccountInfo {
                id: a.id,
                name: a.name.clone().into_boxed_str(),
                forms,
                region: prefixes_of(a.region.as_deref(), 4),
                // Short industry words ("food", "frozen") are shared by too many neighbours.
                industry: prefixes_of(a.industry.as_deref(), 8),
                inn: a.inn.as_deref().and_then(|x| x.parse().ok()),
            });
        }
        rows.sort_unstable_by_key(|r| (r.0, r.1));
        let mut slots: HashIndex<Slot> = HashIndex::default();
        slots.reserve(rows.len() + prefixes.len());
        let mut entries = Vec::new();
        let mut owners = Vec::with_capacity(rows.len());
        let mut i = 0;
        while i < rows.len() {
            let (h, _, exact, words, weak, cyrillic) = rows[i];
            let start = owners.len() as u32;
            let mut weak_any = weak;
            while i < rows.len() && rows[i].0 == h {
                if owners.last() != Some(&rows[i].1) || owners.len() as u32 == start {
                    owners.push(rows[i].1);
                }
                weak_any |= rows[i].4;
                i += 1;
            }
            slots.insert(
                h,
                Slot {
                    entry: entries.len() as u32,
                    prefix: false,
                },
            );
            entries.push(KeyEntry {
                exact,
                owners_start: start,
                owners_len: owners.len() as u32 - start,
                words,
                weak: weak_any,
                cyrillic,
            });
        }
        for p in prefixes {
            slots
                .entry(p)
                .and_modify(|s| s.prefix = true)
                .or_insert(Slot {
                    entry: u32::MAX,
                    prefix: true,
                });
        }
        Matcher {
            slots,
            entries,
            owners,
            by_id: infos
                .iter()
                .enumerate()
                .map(|(i, a)| (a.id, i as u32))
                .collect(),
            accounts: infos,
            idents,
            min_confidence: 0.5,
        }
    }

    /// The account's display name.
    pub fn account_name(&self, id: i64) -> Option<&str> {
        self.by_id
            .get(&id)
            .map(|i| &*self.accounts[*i as usize].name)
    }

    /// Every account the text names or identifies, with spans, strongest evidence applied.
    /// Mentions below `min_confidence` are dropped unless they are ambiguous.
    pub fn find(&self, text: &str) -> Vec<AccountMention> {
        let mut scan = Scan::new(self, text);
        scan.identifiers();
        scan.names();
        let mut out = scan.out;
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

/// One pass over one text.
struct Scan<'m, 't> {
    m: &'m Matcher,
    text: &'t str,
    toks: Vec<Token>,
    /// Per token, space and stem variant: the word key (variant 1 is 0 when there is none).
    keys: Vec<[[u64; 2]; SPACES]>,
    /// Per token: the unstemmed folded word's hash.
    plain: Vec<u64>,
    /// Per token: bit `space` set when `keys[space]` is computed, bit 7 for `plain`.
    have: Vec<u8>,
    /// Per token: the sentence it is in.
    sentence: Vec<u32>,
    /// Per sentence: written in Title Case (a headline), where capitals prove nothing.
    title_case: Vec<bool>,
    /// Per sentence: has business words (computed on demand).
    business: HashMap<u32, bool>,
    /// Accounts the text identifies (INN, domain, ticker …): evidence for their names.
    identified: HashSet<u32>,
    /// Per sentence: the INNs it states (any company's).
    inns: HashMap<u32, Vec<u64>>,
    /// Folded words of the whole text (computed on demand, for region/industry evidence).
    words: Option<Vec<String>>,
    out: Vec<AccountMention>,
    buf: String,
    buf1: String,
    buf2: String,
}

impl<'m, 't> Scan<'m, 't> {
    fn new(m: &'m Matcher, text: &'t str) -> Self {
        let mut toks = Vec::new();
        tokenize(text, &mut toks);
        let mut sentence = Vec::with_capacity(toks.len());
        let mut title_case = Vec::new();
        let (mut s, mut caps, mut alpha) = (0u32, 0u32, 0u32);
        for (i, t) in toks.iter().enumerate() {
            if t.sentence_start && i > 0 {
                title_case.push(alpha >= 4 && caps * 10 >= alpha * 6);
                s += 1;
                caps = 0;
                alpha = 0;
            }
            sentence.push(s);
            if !t.digit {
                alpha += 1;
                caps += u32::from(t.cap);
            }
        }
        title_case.push(alpha >= 4 && caps * 10 >= alpha * 6);
        let n = toks.len();
        Scan {
            m,
            text,
            toks,
            keys: vec![[[0; 2]; SPACES]; n],
            plain: vec![0; n],
            have: vec![0; n],
            sentence,
            title_case,
            business: HashMap::new(),
            identified: HashSet::new(),
            inns: HashMap::new(),
            words: None,
            out: Vec::new(),
            buf: String::new(),
            buf1: String::new(),
            buf2: String::new(),
        }
    }

    fn word(&self, i: usize) -> &'t str {
        let t = self.toks[i];
        &self.text[t.start as usize..t.end as usize]
    }

    /// The keys of token `i` in `space`: its stem's, and its second stem's (or 0).
    fn key(&mut self, i: usize, space: usize) -> [u64; 2] {
        if self.have[i] & (1 << space) == 0 {
            fold_into(self.word(i), &mut self.buf);
            let w = std::mem::take(&mut self.buf);
            let k0 = word_key(stem(&w), space, &mut self.buf1, &mut self.buf2);
            let k1 = stem2(&w).map_or(0, |s| word_key(s, space, &mut self.buf1, &mut self.buf2));
            self.buf = w;
            self.keys[i][space] = [k0, k1];
            self.have[i] |= 1 << space;
        }
        self.keys[i][space]
    }

    /// Walks n-grams from token `j` on, trying both stems of each word; records the longest key
    /// found in `found` as (last token, entry).
    fn walk(
        &mut self,
        first: usize,
        j: usize,
        h: u64,
        space: usize,
        found: &mut Option<(usize, u32)>,
    ) {
        if j >= self.toks.len()
            || j >= first + MAX_WORDS
            || (j > first && self.sentence[j] != self.sentence[first])
        {
            return;
        }
        let keys = self.key(j, space);
        for k in keys {
            if k == 0 {
                continue;
            }
            let h2 = combine(h, k);
            let Some(slot) = self.m.slots.get(&h2).copied() else {
                continue;
            };
            if slot.entry != u32::MAX && found.is_none_or(|(last, _)| j > last) {
                *found = Some((j, slot.entry));
            }
            if slot.prefix {
                self.walk(first, j + 1, h2, space, found);
            }
        }
    }

    fn plain(&mut self, i: usize) -> u64 {
        if self.have[i] & 0x80 == 0 {
            fold_into(self.word(i), &mut self.buf);
            self.plain[i] = hash_str(&self.buf);
            self.have[i] |= 0x80;
        }
        self.plain[i]
    }

    fn folded(&mut self, i: usize) -> String {
        let mut f = String::new();
        fold_into(self.word(i), &mut f);
        f
    }

    fn push(
        &mut self,
        ix: u32,
        start: usize,
        end: usize,
        confidence: f32,
        ambiguous: bool,
        how: String,
    ) {
        self.out.push(AccountMention {
            account_id: self.m.accounts[ix as usize].id,
            start,
            end,
            confidence,
            ambiguous,
            how,
        });
    }

    /// INN/OGRN/CIK numbers, domains and tickers.
    fn identifiers(&mut self) {
        let mut i = 0;
        while i < self.toks.len() {
            let t = self.toks[i];
            let w = self.word(i);
            // A chain of dot-joined words: a domain (or an abbreviation, or a number).
            let chain_start =
                i == 0 || !self.toks[i - 1].dot_joined || self.toks[i - 1].end + 1 != t.start;
            if t.dot_joined && chain_start {
                let mut j = i;
                while self.toks[j].dot_joined && j + 1 < self.toks.len() {
                    j += 1;
                }
                let chain = self.text[t.start as usize..self.toks[j].end as usize].to_lowercase();
                let labels: Vec<&str> = chain.split('.').collect();
                for k in 0..labels.len().saturating_sub(1) {
                    let d = labels[k..].join(".");
                    if let Some(ixs) = self.m.idents.get(&format!("domain:{d}")) {
                        for ix in ixs.clone() {
                            self.identified.insert(ix);
                            self.push(
                                ix,
                                t.start as usize,
                                self.toks[j].end as usize,
                                0.95,
                                false,
                                format!("domain:{d}"),
                            );
                        }
                        break;
                    }
                }
                i = j + 1;
                continue;
            }
            if t.digit && w.bytes().all(|b| b.is_ascii_digit()) {
                let prev = if i > 0 {
                    self.folded(i - 1)
                } else {
                    String::new()
                };
                if matches!(w.len(), 10 | 12)
                    && prev == "инн"
                    && let Ok(n) = w.parse::<u64>()
                {
                    self.inns.entry(self.sentence[i]).or_default().push(n);
                }
                let key = match w.len() {
                    10 if prev == "cik" => format!("cik:{w}"),
                    10 | 12 => format!("inn:{w}"),
                    13 | 15 => format!("ogrn:{w}"),
                    _ if prev == "cik" && w.len() < 10 => format!("cik:{w:0>10}"),
                    _ => String::new(),
                };
                if let Some(ixs) = self.m.idents.get(&key) {
                    for ix in ixs.clone() {
                        self.identified.insert(ix);
                        self.push(
                            ix,
                            t.start as usize,
                            t.end as usize,
                            0.98,
                            false,
                            key.clone(),
                        );
                    }
                }
            } else if t.all_caps || (t.cap && w.chars().count() == 1) {
                let n = w.chars().count();
                if n <= 6 && !NOT_TICKERS.contains(&w) {
                    let prev = if i > 0 {
                        self.folded(i - 1)
                    } else {
                        String::new()
                    };
                    let gap = if i > 0 {
                        &self.text[self.toks[i - 1].end as usize..t.start as usize]
                    } else {
                        ""
                    };
                    let exchange = EXCHANGES.contains(&prev.as_str()) && gap.contains(':');
                    let dollar = self.text[..t.start as usize].ends_with('$');
                    if exchange || dollar || n >= 3 {
                        let key = format!("ticker:{w}");
                        if let Some(ixs) = self.m.idents.get(&key) {
                            let conf = if exchange || dollar { 0.95 } else { 0.75 };
                            for ix in ixs.clone() {
                                self.identified.insert(ix);
                                self.push(
                                    ix,
                                    t.start as usize,
                                    t.end as usize,
                                    conf,
                                    false,
                                    key.clone(),
                                );
                            }
                        }
                    }
                }
            }
            i += 1;
        }
    }

    /// Whether a name may start at token `i`: capitalised, a digit, quoted or after a legal form.
    fn can_start(&mut self, i: usize) -> bool {
        let t = self.toks[i];
        // Words of a dotted chain are a domain or an abbreviation (Лента.ру is not Лента).
        if t.dot_joined
            || (i > 0 && self.toks[i - 1].dot_joined && self.toks[i - 1].end + 1 == t.start)
        {
            return false;
        }
        if t.cap || t.digit {
            return true;
        }
        let before = &self.text[..t.start as usize];
        if before.ends_with(['«', '"', '„', '“', '\'', '‘']) {
            return true;
        }
        i > 0 && is_legal_form(&self.folded(i - 1))
    }

    fn names(&mut self) {
        let mut i = 0;
        while i < self.toks.len() {
            if !self.can_start(i) {
                i += 1;
                continue;
            }
            let mut found: Option<(usize, u32, usize)> = None; // (last token, entry, space)
            for space in 0..SPACES {
                let mut f = None;
                self.walk(i, i, seed(space), space, &mut f);
                if let Some((last, entry)) = f {
                    found = Some((last, entry, space));
                    break;
                }
            }
            match found {
                Some((last, entry, space)) => {
                    self.weigh(i, last, entry, space);
                    i = last + 1;
                }
                None => i += 1,
            }
        }
    }

    fn business(&mut self, s: u32) -> bool {
        if let Some(b) = self.business.get(&s) {
            return *b;
        }
        let mut b = false;
        for k in 0..self.toks.len() {
            if self.sentence[k] == s {
                let f = self.folded(k);
                if is_business_word(&f) {
                    b = true;
                    break;
                }
            }
        }
        self.business.insert(s, b);
        b
    }

    /// The legal form right before (past an opening quote) or right after the span, if any.
    fn adjacent_form(&mut self, first: usize, last: usize) -> Option<usize> {
        let text = self.text;
        if first > 0 {
            let gap = &text[self.toks[first - 1].end as usize..self.toks[first].start as usize];
            if gap
                .chars()
                .all(|c| c.is_whitespace() || "«\"„“'‘".contains(c))
            {
                let f = self.folded(first - 1);
                if let Some(p) = LEGAL_FORMS.iter().position(|x| *x == f) {
                    return Some(p);
                }
            }
        }
        if last + 1 < self.toks.len() {
            let gap = &text[self.toks[last].end as usize..self.toks[last + 1].start as usize];
            if gap
                .chars()
                .all(|c| c.is_whitespace() || ",.»\"“”'’".contains(c))
            {
                let mut f = self.folded(last + 1);
                // "B.V.", "S.A.": dotted letters spell one form.
                let mut k = last + 1;
                while f.chars().count() < 4
                    && self.toks[k].dot_joined
                    && k + 1 < self.toks.len()
                    && self.toks[k + 1].end - self.toks[k + 1].start == 1
                {
                    k += 1;
                    f.push_str(&self.folded(k));
                }
                if let Some(p) = LEGAL_FORMS.iter().position(|x| *x == f) {
                    return Some(p);
                }
            }
        }
        None
    }

    fn doc_words(&mut self) -> &[String] {
        if self.words.is_none() {
            let w = (0..self.toks.len()).map(|i| self.folded(i)).collect();
            self.words = Some(w);
        }
        self.words.as_deref().unwrap_or_default()
    }

    /// Scores the name found on tokens `first..=last` and resolves namesakes.
    fn weigh(&mut self, first: usize, last: usize, entry: u32, space: usize) {
        let e = &self.m.entries[entry as usize];
        let owners: Vec<u32> = self.m.owners
            [e.owners_start as usize..(e.owners_start + e.owners_len) as usize]
            .to_vec();
        let (words, weak, key_cyrillic, exact_hash) = (e.words, e.weak, e.cyrillic, e.exact);
        let (start, end) = (
            self.toks[first].start as usize,
            self.toks[last].end as usize,
        );
        let t = self.toks[first];
        let s = self.sentence[first];
        let headline = self.title_case[s as usize];
        let inflected = space == EXACT && {
            let mut h = seed(EXACT);
            for k in first..=last {
                h = combine(h, self.plain(k));
            }
            h != exact_hash
        };
        let form = self.adjacent_form(first, last);
        let before = if first > 0 {
            self.folded(first - 1)
        } else {
            String::new()
        };
        let after = if last + 1 < self.toks.len() {
            self.folded(last + 1)
        } else {
            String::new()
        };
        // «Мечта» after «яхта» names a yacht; quotes prove a name, not a company.
        let non_company_head = NON_COMPANY_HEADS.contains(&before.as_str());
        let quoted = !non_company_head
            && self.text[..start].ends_with(['«', '"', '„', '“', '\'', '‘'])
            && self.text[end..].starts_with(['»', '"', '“', '”', '\'', '’']);
        let cap_mid = (t.cap || t.all_caps) && !t.sentence_start && !headline;
        let identified = owners.iter().any(|o| self.identified.contains(o));
        // A capitalised word right after the name makes it part of a longer, different name
        // ("Kestrel Capital Partners" is not Kestrel).
        let continues = last + 1 < self.toks.len()
            && self.sentence[last + 1] == s
            && self.toks[last + 1].cap
            && !headline
            && form.is_none()
            && self.text[end..self.toks[last + 1].start as usize]
                .chars()
                .all(char::is_whitespace);
        // A capitalised word right before makes it part of another name ("the Big Apple").
        let preceded = first > 0
            && self.sentence[first - 1] == s
            && self.toks[first - 1].cap
            && !self.toks[first - 1].sentence_start
            && !headline
            && form.is_none()
            && self.text[self.toks[first - 1].end as usize..start]
                .chars()
                .all(char::is_whitespace);
        // The text gives this name with an INN none of the candidates has: another company.
        let other_inn = self.inns.get(&s).is_some_and(|inns| {
            owners.iter().all(|o| {
                self.m.accounts[*o as usize]
                    .inn
                    .is_some_and(|x| !inns.contains(&x))
            })
        });
        if other_inn {
            return;
        }
        let strong = form.is_some() || quoted || identified;

        let mut conf: f32 = if words >= 2 { 0.9 } else { 0.85 };
        if inflected {
            conf *= 0.97;
        }
        let cross_script = key_cyrillic != t.cyrillic;
        match space {
            TRANSLIT => conf *= 0.9,
            SKELETON => {
                // Sound-alike spellings only count across alphabets and with evidence.
                if !cross_script || !(strong || cap_mid) {
                    return;
                }
                conf *= 0.75;
            }
            _ => {}
        }
        if strong {
            conf = (conf + 0.05).min(0.99);
        }
        if weak && !strong {
            // Ordinary-word readings: "the Oracle of Omaha", "Shell companies", a yacht «Мечта».
            let ordinary = ARTICLES.contains(&before.as_str())
                || after.starts_with("compan")
                || non_company_head;
            conf = if ordinary {
                0.0
            } else if cap_mid {
                0.7
            } else if (t.sentence_start || headline) && !inflected {
                if self.business(s) { 0.6 } else { 0.0 }
            } else {
                0.0
            };
        }
        if non_company_head && !identified && form.is_none() {
            conf *= 0.6;
        }
        if (continues || preceded) && !strong {
            conf *= 0.55;
        }
        if conf <= 0.0 {
            return;
        }
        let how = format!("{}:{}", SPACE_NAMES[space], &self.text[start..end]);

        // Namesakes: legal form, identifiers, region, industry — the first that tells them apart.
        let mut pick = owners.clone();
        if pick.len() > 1
            && let Some(f) = form
        {
            let with: Vec<u32> = pick
                .iter()
                .copied()
                .filter(|o| self.m.accounts[*o as usize].forms & (1 << f) != 0)
                .collect();
            if !with.is_empty() {
                pick = with;
            }
        }
        if pick.len() > 1 {
            let with: Vec<u32> = pick
                .iter()
                .copied()
                .filter(|o| self.identified.contains(o))
                .collect();
            if !with.is_empty() {
                pick = with;
            }
        }
        for field in 0..2 {
            if pick.len() <= 1 {
                break;
            }
            let prefixes: Vec<Box<[Box<str>]>> = pick
                .iter()
                .map(|o| {
                    let a = &self.m.accounts[*o as usize];
                    if field == 0 {
                        a.region.clone()
                    } else {
                        a.industry.clone()
                    }
                })
                .collect();
            let words = self.doc_words();
            // The name's own words are no evidence ("Summit Foods" is not the food industry).
            let outside = |k: usize| k < first || k > last;
            let with: Vec<u32> = pick
                .iter()
                .zip(&prefixes)
                .filter(|(_, p)| {
                    p.iter().any(|p| {
                        words
                            .iter()
                            .enumerate()
                            .any(|(k, w)| outside(k) && w.starts_with(&**p))
                    })
                })
                .map(|(o, _)| *o)
                .collect();
            if with.len() == 1 {
                pick = with;
            }
        }
        let ambiguous = pick.len() > 1;
        if ambiguous {
            conf *= 0.5;
        }
        for o in pick {
            self.push(o, start, end, conf, ambiguous, how.clone());
        }
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
