//! One pass of the matcher over one text: tokens, identifiers, names, and the evidence that
//! weighs each name.

use super::{
    EXACT, MAX_AMBIGUOUS, MAX_WORDS, Matcher, PassThrough, SKELETON, SPACE_NAMES, SPACES, TRANSLIT,
    seed, word_keys,
};
use crate::accounts::AccountMention;
use crate::accounts::lexicon::{
    ARTICLES, EXCHANGES, LEGAL_FORMS, NON_COMPANY_HEADS, NOT_TICKERS, is_business_word,
};
use crate::accounts::tokens::{Token, combine, fold_into, hash_str, stem, stem2, tokenize};
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

/// The hashes of folded words, for [`Scan::is_word`].
fn word_hashes(words: &[&str]) -> Vec<u64> {
    words.iter().map(|w| hash_str(w)).collect()
}

static LEGAL_HASHES: LazyLock<Vec<u64>> = LazyLock::new(|| word_hashes(&LEGAL_FORMS));
static EXCHANGE_HASHES: LazyLock<Vec<u64>> = LazyLock::new(|| word_hashes(EXCHANGES));
static HEAD_HASHES: LazyLock<Vec<u64>> = LazyLock::new(|| word_hashes(NON_COMPANY_HEADS));
static ARTICLE_HASHES: LazyLock<Vec<u64>> = LazyLock::new(|| word_hashes(ARTICLES));
static INN_WORDS: LazyLock<Vec<u64>> = LazyLock::new(|| word_hashes(&["инн", "inn"]));
static CIK_WORDS: LazyLock<Vec<u64>> = LazyLock::new(|| word_hashes(&["cik"]));

/// Buffers one scan leaves for the next (a scan per document must not allocate per document).
#[derive(Default)]
pub(super) struct Scratch {
    /// Word (raw bytes hashed) → its keys in every space. News repeat their capitalised words
    /// (sentence starts, cities, people), and a transliteration costs more than a lookup.
    words: HashMap<u64, WordKeys, BuildHasherDefault<PassThrough>>,
    toks: Vec<Token>,
    keys: Vec<[[u64; 2]; SPACES]>,
    plain: Vec<u64>,
    have: Vec<u8>,
    sentence: Vec<u32>,
    title_case: Vec<bool>,
}

/// A word's keys: per space, its stem's and its second stem's (0: none).
type WordKeys = [[u64; 2]; SPACES];

/// Words remembered per thread before the cache starts over.
const WORD_CACHE: usize = 1 << 16;

/// One pass over one text.
pub(super) struct Scan<'m, 't> {
    m: &'m Matcher,
    word_cache: HashMap<u64, WordKeys, BuildHasherDefault<PassThrough>>,
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
    /// The folded words of the whole text in one string, `word_ends[k]` ending word k
    /// (computed on demand, for region/industry evidence).
    words: Option<(String, Vec<u32>)>,
    pub(super) out: Vec<AccountMention>,
    buf: String,
    buf1: String,
    buf2: String,
}

impl<'m, 't> Scan<'m, 't> {
    /// Starts a scan, reusing the buffers of an earlier one.
    pub(super) fn new(m: &'m Matcher, text: &'t str, scratch: Scratch) -> Self {
        let Scratch {
            words: word_cache,
            mut toks,
            mut keys,
            mut plain,
            mut have,
            mut sentence,
            mut title_case,
        } = scratch;
        tokenize(text, &mut toks);
        sentence.clear();
        title_case.clear();
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
        keys.clear();
        keys.resize(n, [[0; 2]; SPACES]);
        plain.clear();
        plain.resize(n, 0);
        have.clear();
        have.resize(n, 0);
        Scan {
            m,
            word_cache,
            text,
            toks,
            keys,
            plain,
            have,
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
        if self.have[i] & 1 == 0 {
            let raw = hash_str(self.word(i));
            let keys = match self.word_cache.get(&raw) {
                Some(k) => *k,
                None => {
                    fold_into(self.word(i), &mut self.buf);
                    let w = std::mem::take(&mut self.buf);
                    // One transliteration serves both sound spaces.
                    let k0 = word_keys(stem(&w), &mut self.buf1, &mut self.buf2);
                    let k1 = stem2(&w).map(|s| word_keys(s, &mut self.buf1, &mut self.buf2));
                    self.buf = w;
                    let mut keys = [[0u64; 2]; SPACES];
                    for sp in 0..SPACES {
                        keys[sp] = [k0[sp], k1.map_or(0, |k| k[sp])];
                    }
                    if self.word_cache.len() >= WORD_CACHE {
                        self.word_cache.clear();
                    }
                    self.word_cache.insert(raw, keys);
                    keys
                }
            };
            self.keys[i] = keys;
            self.have[i] |= 1;
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
            if !self.m.maybe(h2) {
                continue;
            }
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

    /// The mentions found, and the buffers for the next scan.
    pub(super) fn finish(self) -> (Vec<AccountMention>, Scratch) {
        (
            self.out,
            Scratch {
                words: self.word_cache,
                toks: self.toks,
                keys: self.keys,
                plain: self.plain,
                have: self.have,
                sentence: self.sentence,
                title_case: self.title_case,
            },
        )
    }

    /// Whether token `i` folds to one of the words whose hashes are `set` (see
    /// [`word_hashes`]): one cached hash and a few integer compares.
    fn is_word(&mut self, i: usize, set: &[u64]) -> bool {
        let h = self.plain(i);
        set.contains(&h)
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
            account_id: self.m.accounts.ids[ix as usize],
            start,
            end,
            confidence,
            ambiguous,
            how,
        });
    }

    /// INN/OGRN/CIK numbers, domains and tickers.
    pub(super) fn identifiers(&mut self) {
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
                // Hyphens belong to domain labels ("my-shop.ru" is not "shop.ru").
                let b = self.text.as_bytes();
                let mut from = t.start as usize;
                while from > 0 && (b[from - 1] == b'-' || b[from - 1].is_ascii_alphanumeric()) {
                    from -= 1;
                }
                let chain = self.text[from..self.toks[j].end as usize].to_lowercase();
                let labels: Vec<&str> = chain.split('.').collect();
                for k in 0..labels.len().saturating_sub(1) {
                    let d = labels[k..].join(".");
                    let m = self.m;
                    let ixs = m.ident("domain", &d);
                    if !ixs.is_empty() {
                        for &ix in ixs {
                            self.identified.insert(ix);
                            self.push(
                                ix,
                                from,
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
            if t.digit && w.len() >= 4 && w.bytes().all(|b| b.is_ascii_digit()) {
                let after_inn = i > 0 && self.is_word(i - 1, &INN_WORDS);
                let after_cik = i > 0 && self.is_word(i - 1, &CIK_WORDS);
                if matches!(w.len(), 10 | 12)
                    && after_inn
                    && let Ok(n) = w.parse::<u64>()
                {
                    self.inns.entry(self.sentence[i]).or_default().push(n);
                }
                let (kind, value) = match w.len() {
                    10 if after_cik => ("cik", w.to_string()),
                    10 | 12 => ("inn", w.to_string()),
                    13 | 15 => ("ogrn", w.to_string()),
                    n if after_cik && n < 10 => ("cik", format!("{w:0>10}")),
                    _ => ("", String::new()),
                };
                let m = self.m;
                if !kind.is_empty() {
                    for &ix in m.ident(kind, &value) {
                        self.identified.insert(ix);
                        let how = format!("{kind}:{value}");
                        self.push(ix, t.start as usize, t.end as usize, 0.98, false, how);
                    }
                }
            } else if t.all_caps || (t.cap && t.end - t.start == 1) {
                let n = w.chars().count();
                if n <= 6 && !NOT_TICKERS.contains(&w) {
                    let exchange = i > 0 && {
                        let gap = &self.text[self.toks[i - 1].end as usize..t.start as usize];
                        gap.contains(':') && self.is_word(i - 1, &EXCHANGE_HASHES)
                    };
                    let dollar = self.text[..t.start as usize].ends_with('$');
                    if exchange || dollar || n >= 3 {
                        let m = self.m;
                        let conf = if exchange || dollar { 0.95 } else { 0.75 };
                        for &ix in m.ident("ticker", w) {
                            self.identified.insert(ix);
                            let how = format!("ticker:{w}");
                            self.push(ix, t.start as usize, t.end as usize, conf, false, how);
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
        // After a legal form ("ООО ромашка"): legal forms are short and capitalised.
        i > 0 && {
            let p = self.toks[i - 1];
            (p.cap || p.all_caps) && self.is_word(i - 1, &LEGAL_HASHES)
        }
    }

    pub(super) fn names(&mut self) {
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

    /// Whether a word of the text outside tokens `first..=last` starts with one of `prefixes`.
    fn text_has_prefix(&mut self, prefixes: &[Box<str>], first: usize, last: usize) -> bool {
        if prefixes.is_empty() {
            return false;
        }
        if self.words.is_none() {
            let mut all = String::with_capacity(self.text.len());
            let mut ends = Vec::with_capacity(self.toks.len());
            for i in 0..self.toks.len() {
                fold_into(self.word(i), &mut self.buf);
                all.push_str(&self.buf);
                ends.push(all.len() as u32);
            }
            self.words = Some((all, ends));
        }
        let Some((all, ends)) = &self.words else {
            return false;
        };
        let mut start = 0usize;
        for (k, end) in ends.iter().enumerate() {
            let w = &all[start..*end as usize];
            start = *end as usize;
            if (k < first || k > last) && prefixes.iter().any(|p| w.starts_with(&**p)) {
                return true;
            }
        }
        false
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
        let after_company_word = last + 1 < self.toks.len() && {
            fold_into(self.word(last + 1), &mut self.buf);
            self.buf.starts_with("compan")
        };
        let after_article = first > 0 && self.is_word(first - 1, &ARTICLE_HASHES);
        // «Мечта» after «яхта» names a yacht; quotes prove a name, not a company.
        let non_company_head = first > 0 && self.is_word(first - 1, &HEAD_HASHES);
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
                let x = self.m.accounts.inn[*o as usize];
                x != 0 && !inns.contains(&x)
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
            let ordinary = after_article || after_company_word || non_company_head;
            // The account's own region or industry in the text backs a name capitalised
            // mid-sentence (at the start of a sentence the capital proves nothing, and a
            // trap in the account's own region is easy to write: «Мечта сбылась» in its city).
            let local = !ordinary && cap_mid && {
                let m = self.m;
                owners.iter().any(|o| {
                    let o = *o as usize;
                    self.text_has_prefix(&m.accounts.region[o], first, last)
                        || self.text_has_prefix(&m.accounts.industry[o], first, last)
                })
            };
            conf = if ordinary {
                0.0
            } else if cap_mid {
                if local { 0.8 } else { 0.7 }
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
        let mut how = String::with_capacity(12 + end - start);
        how.push_str(SPACE_NAMES[space]);
        how.push(':');
        how.push_str(&self.text[start..end]);

        // Namesakes: legal form, identifiers, region, industry — the first that tells them apart.
        let mut pick = owners.clone();
        if pick.len() > 1
            && let Some(f) = form
        {
            let with: Vec<u32> = pick
                .iter()
                .copied()
                .filter(|o| self.m.accounts.forms[*o as usize] & (1 << f) != 0)
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
                    let a = &self.m.accounts;
                    if field == 0 {
                        a.region[*o as usize].clone()
                    } else {
                        a.industry[*o as usize].clone()
                    }
                })
                .collect();
            // The name's own words are no evidence ("Summit Foods" is not the food industry).
            let mut with = Vec::new();
            for (o, p) in pick.iter().zip(&prefixes) {
                if self.text_has_prefix(p, first, last) {
                    with.push(*o);
                }
            }
            if with.len() == 1 {
                pick = with;
            }
        }
        if pick.len() > MAX_AMBIGUOUS {
            return;
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
