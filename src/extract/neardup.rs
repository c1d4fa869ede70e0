//! Near-duplicate documents across sources: one syndicated story, reprinted by several outlets
//! with small edits, is one document with several sources. A 64-bit SimHash of the body's word
//! trigrams finds the copies; candidates come from an in-memory index of the recent documents
//! (eight 8-bit bands: two fingerprints within 7 bits share at least one band), so a check
//! costs a few hash lookups, not a database query. Short texts have unstable fingerprints: they
//! count as copies only when their words are the same.
//!
//! The threshold: a reprint of a 70-word summary with a dateline, a changed phrase and an extra
//! sentence differs in about 6 of 64 bits; two different stories written from one template
//! (another company, another amount) differ in 20 or more.

use crate::model::Document;
use std::collections::HashMap;

/// Bodies with fewer words than this are compared by their exact words only.
pub const MIN_WORDS: usize = 40;

/// Fingerprints of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// SimHash of the body's word trigrams; 0 for short bodies.
    pub simhash: u64,
    /// Hash of the folded words of title and body: equal for copies that differ only in markup,
    /// case or punctuation.
    pub words: u64,
}

fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// A 64-bit mix so that trigram hashes spread over all bits (FNV alone is weak in high bits).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Lowercase alphanumeric words, hashed.
fn word_hashes(text: &str, out: &mut Vec<u64>) {
    let mut buf = String::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        buf.clear();
        for c in w.chars() {
            buf.extend(c.to_lowercase());
        }
        out.push(fnv(buf.as_bytes(), FNV_START));
    }
}

/// The fingerprints of a document.
pub fn fingerprint(doc: &Document) -> Fingerprint {
    let mut title = Vec::new();
    word_hashes(&doc.title, &mut title);
    let mut body = Vec::new();
    word_hashes(&doc.text, &mut body);
    let words = title
        .iter()
        .chain([&0u64])
        .chain(body.iter())
        .fold(FNV_START, |h, w| mix(h ^ w));
    if body.len() < MIN_WORDS {
        return Fingerprint { simhash: 0, words };
    }
    let mut counts = [0i32; 64];
    for t in body.windows(3) {
        let h = mix(t[0] ^ t[1].rotate_left(21) ^ t[2].rotate_left(42));
        for (bit, c) in counts.iter_mut().enumerate() {
            *c += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    let simhash = counts.iter().enumerate().fold(
        0u64,
        |acc, (bit, c)| if *c > 0 { acc | 1 << bit } else { acc },
    );
    Fingerprint {
        // 0 means "short"; a real fingerprint of 0 is as good as impossible.
        simhash: simhash.max(1),
        words,
    }
}

/// Fingerprints this close (differing bits) are copies of one text.
pub const MAX_DISTANCE: u32 = 7;

/// Bands of the candidate lookup: `MAX_DISTANCE + 1`, so a copy shares at least one.
const BANDS: usize = MAX_DISTANCE as usize + 1;
const BAND_BITS: usize = 64 / BANDS;

#[derive(Debug, Clone, Copy)]
struct Entry {
    document_id: i64,
    url_hash: u64,
    simhash: u64,
    words: u64,
    seen_at: i64,
}

/// The recent documents' fingerprints, for finding copies among them.
#[derive(Debug, Default)]
pub struct NearDupIndex {
    entries: Vec<Entry>,
    /// (band number, band value) → entries.
    bands: HashMap<u64, Vec<u32>>,
    words: HashMap<u64, u32>,
    /// Entries older than this (unix seconds) are ignored and dropped on the next prune.
    pub window_secs: i64,
    loaded: bool,
    /// The highest stored document id known here: documents above it were stored by other
    /// processes since (see [`NearDupIndex::newest_id`]).
    max_id: i64,
}

fn band_keys(simhash: u64) -> [u64; BANDS] {
    let mask = (1u64 << BAND_BITS) - 1;
    std::array::from_fn(|b| ((b as u64) << 32) | ((simhash >> (BAND_BITS * b)) & mask))
}

/// Hash of a canonical URL (a changed document must not count as a copy of its old version).
pub fn url_hash(url: &str) -> u64 {
    mix(fnv(url.as_bytes(), FNV_START))
}

impl NearDupIndex {
    /// An empty index that keeps documents seen within `window_days`.
    pub fn new(window_days: i64) -> NearDupIndex {
        NearDupIndex {
            window_secs: window_days.max(0) * 86_400,
            ..NearDupIndex::default()
        }
    }

    /// Whether the recent documents were loaded from the database yet.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// The highest stored document id this index has seen (loaded, or saved by this process).
    pub fn newest_id(&self) -> i64 {
        self.max_id
    }

    /// Marks the index as filled from the database.
    pub fn set_loaded(&mut self) {
        self.loaded = true;
    }

    /// Number of documents indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Remembers a stored document.
    pub fn insert(&mut self, document_id: i64, url: &str, fp: Fingerprint, seen_at: i64) {
        self.max_id = self.max_id.max(document_id);
        let ix = self.entries.len() as u32;
        self.entries.push(Entry {
            document_id,
            url_hash: url_hash(url),
            simhash: fp.simhash,
            words: fp.words,
            seen_at,
        });
        self.words.insert(fp.words, ix);
        if fp.simhash != 0 {
            for k in band_keys(fp.simhash) {
                self.bands.entry(k).or_default().push(ix);
            }
        }
    }

    /// The stored document `fp` is a copy of (another URL, seen within the window), if any.
    pub fn find(&self, url: &str, fp: Fingerprint, now: i64) -> Option<i64> {
        let uh = url_hash(url);
        let fresh = |e: &Entry| e.url_hash != uh && now - e.seen_at <= self.window_secs;
        if let Some(e) = self
            .words
            .get(&fp.words)
            .map(|i| &self.entries[*i as usize])
            && fresh(e)
        {
            return Some(e.document_id);
        }
        if fp.simhash == 0 {
            return None;
        }
        let mut best: Option<(u32, i64)> = None;
        for k in band_keys(fp.simhash) {
            let Some(list) = self.bands.get(&k) else {
                continue;
            };
            // Newest first: a template that many texts share must not cost a full scan.
            for ix in list.iter().rev().take(512) {
                let e = &self.entries[*ix as usize];
                let d = (e.simhash ^ fp.simhash).count_ones();
                if d <= MAX_DISTANCE && fresh(e) && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, e.document_id));
                }
            }
        }
        best.map(|(_, id)| id)
    }

    /// Forgets the entries added since `mark` (their documents were not saved).
    pub fn rollback(&mut self, mark: usize) {
        if mark >= self.entries.len() {
            return;
        }
        self.entries.truncate(mark);
        let keep = mark as u32;
        for list in self.bands.values_mut() {
            list.retain(|ix| *ix < keep);
        }
        self.words.retain(|_, ix| *ix < keep);
    }

    /// Gives the entries added since `mark` under provisional ids `-(1 + k)` their saved
    /// documents' ids (`ids[k]`).
    pub fn resolve_provisional(&mut self, mark: usize, ids: &[i64]) {
        self.max_id = ids.iter().copied().fold(self.max_id, i64::max);
        for e in self.entries.iter_mut().skip(mark) {
            if e.document_id < 0
                && let Some(id) = ids.get((-e.document_id - 1) as usize)
            {
                e.document_id = *id;
            }
        }
    }

    /// Drops entries older than the window (rebuilding the lookups).
    pub fn prune(&mut self, now: i64) {
        let window = self.window_secs;
        let old = std::mem::take(&mut self.entries);
        self.bands.clear();
        self.words.clear();
        for e in old.into_iter().filter(|e| now - e.seen_at <= window) {
            let ix = self.entries.len() as u32;
            if e.simhash != 0 {
                for k in band_keys(e.simhash) {
                    self.bands.entry(k).or_default().push(ix);
                }
            }
            self.words.insert(e.words, ix);
            self.entries.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn doc(url: &str, title: &str, text: &str) -> Document {
        Document {
            source: "s".into(),
            url: url.into(),
            title: title.into(),
            text: text.into(),
            lang: crate::model::Lang::En,
            published_at: Utc::now(),
            content_hash: String::new(),
        }
    }

    const STORY: &str = "Brightwater Logistics said on Tuesday it had agreed to buy Kelvane Freight for $420 million in cash, \
        adding twelve warehouses across the Midwest and roughly 1,800 employees. The deal, expected to close in the first \
        quarter, was approved by both boards. Brightwater's chief executive Dana Morrow said the combined company would \
        invest in automation at the Kelvane sites and keep its headquarters in Columbus, Ohio.";

    #[test]
    fn a_lightly_edited_copy_is_found_and_another_story_is_not() {
        let mut ix = NearDupIndex::new(7);
        let now = Utc::now().timestamp();
        let a = doc("https://a.test/1", "Brightwater to buy Kelvane", STORY);
        ix.insert(1, &a.url, fingerprint(&a), now);
        let copy = doc(
            "https://b.test/x",
            "Brightwater agrees $420 mln Kelvane deal",
            &format!(
                "(Reuters) - {} Shares rose 3% in early trading.",
                STORY.replace("on Tuesday", "Tuesday")
            ),
        );
        let fa = fingerprint(&a);
        let fc = fingerprint(&copy);
        assert!(
            (fa.simhash ^ fc.simhash).count_ones() <= MAX_DISTANCE,
            "{}",
            (fa.simhash ^ fc.simhash).count_ones()
        );
        assert_eq!(ix.find(&copy.url, fc, now), Some(1));
        let other = doc(
            "https://c.test/2",
            "Ostmark opens plant",
            &STORY
                .replace("Brightwater Logistics", "Ostmark Foods")
                .replace("agreed to buy Kelvane Freight for $420 million in cash", "opened a new plant in Kansas for $90 million")
                .replace("twelve warehouses across the Midwest", "two production lines and a cold store")
                .replace("The deal, expected to close in the first quarter, was approved by both boards.", "Production starts in spring.")
                .replace("Brightwater's chief executive Dana Morrow said the combined company would invest in automation at the Kelvane sites", "Its founder said the firm would hire locally"),
        );
        let fo = fingerprint(&other);
        assert!(
            (fa.simhash ^ fo.simhash).count_ones() > 2 * MAX_DISTANCE,
            "{}",
            (fa.simhash ^ fo.simhash).count_ones()
        );
        assert_eq!(ix.find(&other.url, fo, now), None);
        // The document itself under its own URL (a changed version) is not a copy of itself.
        assert_eq!(ix.find(&a.url, fa, now), None);
    }

    #[test]
    fn short_texts_need_the_same_words_and_old_ones_are_forgotten() {
        let mut ix = NearDupIndex::new(7);
        let now = Utc::now().timestamp();
        let a = doc(
            "u1",
            "Zentrix names new CFO",
            "Zentrix Corp named Jane Doe chief financial officer.",
        );
        ix.insert(1, "u1", fingerprint(&a), now - 10 * 86_400);
        let same = doc(
            "u2",
            "ZENTRIX NAMES NEW CFO",
            "ZENTRIX Corp named Jane Doe, chief financial officer",
        );
        assert_eq!(
            ix.find("u2", fingerprint(&same), now),
            None,
            "outside the window"
        );
        ix.insert(2, "u3", fingerprint(&a), now);
        assert_eq!(ix.find("u2", fingerprint(&same), now), Some(2));
        let other = doc(
            "u4",
            "Zentrix names new CFO",
            "Zentrix Corp named John Roe chief financial officer.",
        );
        assert_eq!(ix.find("u4", fingerprint(&other), now), None);
    }
}
