//! Compiling accounts into the matcher's hash index, one account at a time, so a million
//! accounts can stream from the database without all being in memory at once.

use super::{
    AccountInfo, HashIndex, KeyEntry, MAX_WORDS, Matcher, SKELETON, SPACES, Slot, ident_hash,
    name_words, prefixes_of, seed, word_keys,
};
use crate::accounts::lexicon::is_common_word;
use crate::accounts::tokens::{combine, hash_str, stem};
use crate::model::Account;
use std::collections::HashMap;

/// One key of one account before grouping.
struct Row {
    hash: u64,
    owner: u32,
    exact: u64,
    words: u8,
    weak: bool,
    cyrillic: bool,
}

/// Collects accounts; [`MatcherBuilder::finish`] builds the [`Matcher`].
#[derive(Default)]
pub struct MatcherBuilder {
    rows: Vec<Row>,
    prefixes: Vec<u64>,
    idents: Vec<(u64, u32)>,
    info: AccountInfo,
    b1: String,
    b2: String,
}

impl MatcherBuilder {
    /// Adds one account's names, aliases and identifiers.
    pub fn add(&mut self, a: &Account) {
        let ix = self.info.ids.len() as u32;
        let mut forms = 0u64;
        let mut seen: Vec<u64> = Vec::new();
        for n in std::iter::once(&a.name).chain(a.aliases.iter()) {
            let (words, f) = name_words(n);
            forms |= f;
            if words.is_empty() || words.len() > MAX_WORDS {
                continue;
            }
            let letters: usize = words.iter().map(|w| w.chars().count()).sum();
            // One- and two-character names ("X5", "AB") match inside too many texts.
            if letters < 3 || (words.len() == 1 && words[0].chars().all(|c| c.is_ascii_digit())) {
                continue;
            }
            let weak = words.len() == 1 && (letters <= 3 || is_common_word(&words[0]));
            let cyrillic = words
                .iter()
                .any(|w| w.chars().any(|c| ('а'..='я').contains(&c)));
            let exact = words.iter().fold(seed(0), |h, w| combine(h, hash_str(w)));
            let mut keys = Vec::with_capacity(words.len());
            let mut skeleton_len = 0;
            for w in &words {
                keys.push(word_keys(stem(w), &mut self.b1, &mut self.b2));
                skeleton_len += self.b2.len();
            }
            for space in 0..SPACES {
                let mut h = seed(space);
                for (k, wk) in keys.iter().enumerate() {
                    if k > 0 {
                        self.prefixes.push(h);
                    }
                    h = combine(h, wk[space]);
                }
                // Skeletons of short single words collide with too many other words.
                if space == SKELETON && words.len() == 1 && skeleton_len < 5 {
                    continue;
                }
                if seen.contains(&h) {
                    continue;
                }
                seen.push(h);
                self.rows.push(Row {
                    hash: h,
                    owner: ix,
                    exact,
                    words: words.len() as u8,
                    weak,
                    cyrillic,
                });
            }
        }
        let mut ident = |kind: &str, v: &str| self.idents.push((ident_hash(kind, v), ix));
        if let Some(x) = &a.inn {
            ident("inn", x);
        }
        if let Some(x) = &a.ogrn {
            ident("ogrn", x);
        }
        if let Some(x) = &a.cik {
            ident("cik", x);
        }
        if let Some(x) = &a.ticker {
            ident("ticker", x);
        }
        for d in &a.domains {
            ident("domain", d);
        }
        let info = &mut self.info;
        info.ids.push(a.id);
        info.names.push_str(&a.name);
        info.name_ends.push(info.names.len() as u32);
        info.forms.push(forms);
        info.region.push(prefixes_of(a.region.as_deref(), 4));
        // Short industry words ("food", "frozen") are shared by too many neighbours.
        info.industry.push(prefixes_of(a.industry.as_deref(), 8));
        info.inn
            .push(a.inn.as_deref().and_then(|x| x.parse().ok()).unwrap_or(0));
    }

    /// Groups the keys and builds the index.
    pub fn finish(mut self) -> Matcher {
        self.rows.sort_unstable_by_key(|r| (r.hash, r.owner));
        let mut slots: HashIndex<Slot> = HashIndex::default();
        slots.reserve(self.rows.len() + self.prefixes.len() / 2);
        let mut entries = Vec::new();
        let mut owners = Vec::with_capacity(self.rows.len());
        let rows = std::mem::take(&mut self.rows);
        for group in rows.chunk_by(|a, b| a.hash == b.hash) {
            let start = owners.len() as u32;
            for r in group {
                if owners.len() as u32 == start || owners.last() != Some(&r.owner) {
                    owners.push(r.owner);
                }
            }
            let first = &group[0];
            slots.insert(
                first.hash,
                Slot {
                    entry: entries.len() as u32,
                    prefix: false,
                },
            );
            entries.push(KeyEntry {
                exact: first.exact,
                owners_start: start,
                owners_len: owners.len() as u32 - start,
                words: first.words,
                weak: group.iter().any(|r| r.weak),
                cyrillic: first.cyrillic,
            });
        }
        drop(rows);
        for p in std::mem::take(&mut self.prefixes) {
            slots
                .entry(p)
                .and_modify(|s| s.prefix = true)
                .or_insert(Slot {
                    entry: u32::MAX,
                    prefix: true,
                });
        }
        self.idents.sort_unstable();
        self.idents.dedup();
        let mut idents: HashIndex<(u32, u32)> = HashIndex::default();
        let mut ident_owners = Vec::with_capacity(self.idents.len());
        for group in self.idents.chunk_by(|a, b| a.0 == b.0) {
            idents.insert(group[0].0, (ident_owners.len() as u32, group.len() as u32));
            ident_owners.extend(group.iter().map(|(_, o)| *o));
        }
        let by_id: HashMap<i64, u32> = self
            .info
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u32))
            .collect();
        slots.shrink_to_fit();
        entries.shrink_to_fit();
        // About 16 bits per key: a few per cent of false positives.
        let bits = (slots.len() * 16).next_power_of_two().max(1 << 16);
        let log2 = bits.trailing_zeros();
        let filter_shift = 64 - log2;
        let mut filter = vec![0u64; bits / 64];
        for h in slots.keys() {
            let bit = h >> filter_shift;
            filter[(bit >> 6) as usize] |= 1 << (bit & 63);
        }
        Matcher {
            filter,
            filter_shift,
            slots,
            entries,
            owners,
            accounts: self.info,
            by_id,
            idents,
            ident_owners,
            min_confidence: 0.5,
        }
    }
}
