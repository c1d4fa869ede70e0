//! Reproducible performance figures. `trigger-radar bench ingest --items N` generates a corpus of N
//! feed items (RU and EN, a realistic share of trigger events, synthetic accounts), crawls it through
//! the whole pipeline into a fresh data folder, and prints docs/s per stage and end to end plus the
//! peak resident memory.

pub mod deliver;
pub mod matching;
pub mod pages;
pub mod poll;
pub mod search;
pub mod workers;

use crate::app::{App, AppError};
use crate::config::Config;
use crate::pipeline::StageTimes;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// Items per generated feed file.
const PER_FEED: usize = 1_000;

/// Result of the ingest bench.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    pub items: usize,
    pub feeds: usize,
    pub accounts: usize,
    pub events: usize,
    pub matched_events: usize,
    pub generate: Duration,
    pub wall: Duration,
    pub times: StageTimes,
    pub peak_rss_mb: Option<f64>,
}

impl IngestReport {
    /// A table for the terminal and the README.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let secs = self.wall.as_secs_f64().max(1e-9);
        let _ = writeln!(
            s,
            "ingest: {} items in {} feeds, {} accounts → {} events ({} attached to accounts)",
            self.items, self.feeds, self.accounts, self.events, self.matched_events
        );
        let _ = writeln!(
            s,
            "stage seconds are summed over the sources crawled in parallel (waiting for the database's write lock counts as store), so they add up to more than the wall time"
        );
        let _ = writeln!(s, "{:<10} {:>10} {:>14}", "stage", "seconds", "docs/s");
        for (name, d) in self.times.stages() {
            let t = d.as_secs_f64();
            let rate = if t > 0.0 {
                format!("{:.0}", self.items as f64 / t)
            } else {
                "-".into()
            };
            let _ = writeln!(s, "{name:<10} {t:>10.3} {rate:>14}");
        }
        let _ = writeln!(
            s,
            "{:<10} {:>10.3} {:>14.0}",
            "end-to-end",
            secs,
            self.items as f64 / secs
        );
        match self.peak_rss_mb {
            Some(m) => {
                let _ = writeln!(s, "peak RSS: {m:.0} MiB");
            }
            None => {
                let _ = writeln!(s, "peak RSS: not available on this OS");
            }
        }
        s
    }
}

/// Peak resident set size of this process (Linux `VmHWM`).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A small deterministic generator (no dependency needed for this).
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
    pub(crate) fn word(&mut self, v: &[&'static str]) -> &'static str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const RU_SYL: &[&str] = &[
    "ур", "ал", "тех", "но", "ве", "стор", "кед", "рон", "мет", "ник", "сиб", "ар", "гор", "лес",
    "пром", "ви", "та", "ком",
];
const EN_SYL: &[&str] = &[
    "bri", "ght", "nor", "vane", "zen", "trix", "cal", "drex", "ost", "mark", "quill", "hal",
    "wind", "tar", "wick", "vel", "trus", "orb",
];
const RU_FORMS: &[&str] = &["ООО", "АО", "ПАО"];
const EN_FORMS: &[&str] = &["Inc.", "Corp.", "Ltd", "Group"];

pub(crate) fn company(rng: &mut Rng, ru: bool) -> String {
    let syl = if ru { RU_SYL } else { EN_SYL };
    let n = 2 + (rng.next() % 2) as usize;
    let mut w: String = (0..n).map(|_| rng.word(syl)).collect();
    if let Some(first) = w.chars().next() {
        let upper: String = first.to_uppercase().collect();
        w.replace_range(..first.len_utf8(), &upper);
    }
    w
}

const RU_TRIGGERS: &[&str] = &[
    "{F} «{A}» приобрело 60% акций {G} «{B}» за {N} млн рублей.",
    "{F} «{A}» запустило новый завод в Тульской области.",
    "Генеральным директором {F} «{A}» назначен Сергей Иванов.",
    "{F} «{A}» привлекло {N} млн рублей инвестиций.",
    "{F} «{A}» сократит {N} сотрудников.",
    "{F} «{A}» потеряло ключевого клиента.",
];
const RU_PLAIN: &[&str] = &[
    "{F} «{A}» опубликовало отчётность за третий квартал, выручка выросла на {N}%.",
    "Аналитики обсуждают перспективы отрасли на конференции в Москве.",
    "Цены на металл снизились на {N}% за неделю, сообщают трейдеры.",
    "Представители {F} «{A}» приняли участие в отраслевой выставке.",
];
const EN_TRIGGERS: &[&str] = &[
    "{A} {F} agreed to acquire {B} for ${N} million.",
    "{A} {F} opened a new distribution centre in Ohio.",
    "{A} {F} named Jane Doe as its new chief executive officer.",
    "{A} {F} raised ${N} million in a Series B round.",
    "{A} {F} will cut {N} jobs.",
    "{A} {F} lost its largest customer.",
];
const EN_PLAIN: &[&str] = &[
    "{A} {F} reported third-quarter revenue up {N}% on strong demand.",
    "Analysts discussed the outlook for the sector at a conference in Chicago.",
    "Steel prices fell {N}% this week, traders said.",
    "Executives of {A} {F} spoke at an industry event on Tuesday.",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes the corpus: feeds + source files under `dir/sources`, accounts under `dir/accounts.csv`.
pub fn generate(dir: &Path, items: usize, accounts: usize) -> std::io::Result<usize> {
    let src = dir.join("sources");
    std::fs::create_dir_all(&src)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let ru_names: Vec<String> = (0..accounts / 2).map(|_| company(&mut rng, true)).collect();
    let en_names: Vec<String> = (0..accounts - accounts / 2)
        .map(|_| company(&mut rng, false))
        .collect();
    let mut csv = String::from("crm_id,name,country\n");
    for (i, n) in ru_names.iter().enumerate() {
        let _ = writeln!(csv, "ru-{i},ООО «{n}»,RU");
    }
    for (i, n) in en_names.iter().enumerate() {
        let _ = writeln!(csv, "en-{i},{n} Inc.,US");
    }
    std::fs::write(dir.join("accounts.csv"), csv)?;
    let feeds = items.div_ceil(PER_FEED);
    for f in 0..feeds {
        let ru = f % 2 == 0;
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>bench</title>\n",
        );
        let count = PER_FEED.min(items - f * PER_FEED);
        for i in 0..count {
            let (names, forms, trig, plain) = if ru {
                (&ru_names, RU_FORMS, RU_TRIGGERS, RU_PLAIN)
            } else {
                (&en_names, EN_FORMS, EN_TRIGGERS, EN_PLAIN)
            };
            let a = rng.pick(names).clone();
            let b = rng.pick(names).clone();
            let template = if rng.next() % 10 < 4 {
                rng.pick(trig)
            } else {
                rng.pick(plain)
            };
            let fill = |t: &str, rng: &mut Rng| {
                let f = rng.word(forms);
                let g = rng.word(forms);
                t.replace("{A}", &a)
                    .replace("{B}", &b)
                    .replace("{F}", f)
                    .replace("{G}", g)
                    .replace("{N}", &(10 + rng.next() % 900).to_string())
            };
            let sentence = fill(template, &mut rng);
            let filler_template = rng.word(plain);
            let filler = fill(filler_template, &mut rng);
            let title: String = sentence.chars().take(80).collect();
            let published =
                chrono::DateTime::from_timestamp(1_790_000_000 + (i as i64 % 28) * 86_400, 0)
                    .unwrap_or_default()
                    .to_rfc2822();
            let _ = writeln!(
                xml,
                "<item><title>{}</title><link>https://bench.local/{f}/{i}</link><guid>bench-{f}-{i}</guid><pubDate>{published}</pubDate><description>{} {}</description></item>",
                escape(&title),
                escape(&sentence),
                escape(&filler)
            );
        }
        xml.push_str("</channel></rss>\n");
        std::fs::write(src.join(format!("bench-{f:03}.xml")), xml)?;
        std::fs::write(
            src.join(format!("bench-{f:03}.toml")),
            format!("name = \"bench-{f:03}\"\nkind = \"feed\"\nurl = \"bench-{f:03}.xml\"\n"),
        )?;
    }
    Ok(feeds)
}

/// Generates the corpus in `dir` and runs it through the pipeline.
pub async fn ingest(
    dir: &Path,
    items: usize,
    accounts: usize,
    progress: bool,
) -> Result<IngestReport, AppError> {
    let t = Instant::now();
    let feeds = generate(dir, items, accounts).map_err(|source| AppError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let generate = t.elapsed();
    let mut cfg = Config::for_data_dir(&dir.join("data"));
    cfg.sources_dirs = vec![dir.join("sources")];
    let app = App::open(cfg).await?;
    app.import_accounts(&dir.join("accounts.csv")).await?;
    let t = Instant::now();
    let report = app.crawl(None, false, progress).await?;
    app.close_indexer()?;
    let wall = t.elapsed();
    Ok(IngestReport {
        items: report.items(),
        feeds,
        accounts,
        events: report.events(),
        matched_events: report.sources.iter().map(|s| s.matched_events).sum(),
        generate,
        wall,
        times: report.times,
        peak_rss_mb: peak_rss_mb(),
    })
}

/// Result of the detection bench: single-threaded throughput of sentence splitting, rules and
/// roles over a corpus of news texts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DetectReport {
    pub texts: usize,
    pub bytes: usize,
    pub hits: usize,
    pub seconds: f64,
    /// Megabytes (10⁶ bytes) of UTF-8 text per second on one core.
    pub mb_per_s: f64,
    pub per_lang: Vec<(String, f64)>,
}

impl DetectReport {
    /// A short table for the terminal and the README.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "detect: {} texts, {:.1} MB, {} triggers in {:.2} s on one core → {:.1} MB/s ({:.0} texts/s)",
            self.texts,
            self.bytes as f64 / 1e6,
            self.hits,
            self.seconds,
            self.mb_per_s,
            self.texts as f64 / self.seconds.max(1e-9)
        );
        for (lang, mbs) in &self.per_lang {
            let _ = writeln!(s, "  {lang}: {mbs:.1} MB/s");
        }
        s
    }
}

/// The bundled demo feeds (our own RU and EN news texts), decoded and extracted as a crawl would.
pub fn demo_texts() -> Vec<(crate::model::Lang, String)> {
    let mut out = Vec::new();
    let now = chrono::Utc::now();
    for (name, bytes) in crate::demo::FILES {
        let Some(stem) = name.strip_suffix(".xml") else {
            continue;
        };
        let spec_name = format!("{stem}.toml");
        let Some((_, spec_bytes)) = crate::demo::FILES.iter().find(|(n, _)| *n == spec_name) else {
            continue;
        };
        let Ok(spec) = crate::sources::SourceSpec::from_toml(
            &String::from_utf8_lossy(spec_bytes),
            Path::new(&spec_name),
        ) else {
            continue;
        };
        let decoded = crate::fetch::decode::decode(bytes, None, spec.encoding.as_deref());
        let Ok(items) = spec.parse_items(&decoded.text) else {
            continue;
        };
        for item in &items {
            let doc = crate::extract::extract(item, now);
            out.push((doc.lang, crate::detect::document_text(&doc)));
        }
    }
    out
}

/// Runs the detector over the demo texts repeated until about `megabytes` of text, one thread.
pub fn detect(megabytes: f64) -> Result<DetectReport, crate::detect::DetectError> {
    let d = crate::detect::Detector::builtin()?;
    let base = demo_texts();
    let base_bytes: usize = base.iter().map(|(_, t)| t.len()).sum::<usize>().max(1);
    let rounds = ((megabytes * 1e6) / base_bytes as f64).ceil().max(1.0) as usize;
    let mut per_lang = Vec::new();
    let (mut texts, mut bytes, mut hits) = (0, 0, 0);
    let mut seconds = 0.0;
    for lang in [crate::model::Lang::Ru, crate::model::Lang::En] {
        let corpus: Vec<&str> = base
            .iter()
            .filter(|(l, _)| *l == lang)
            .map(|(_, t)| t.as_str())
            .collect();
        let lang_bytes: usize = corpus.iter().map(|t| t.len()).sum::<usize>() * rounds;
        let start = Instant::now();
        for _ in 0..rounds {
            for t in &corpus {
                hits += d.detect(t, lang).len();
            }
        }
        let t = start.elapsed().as_secs_f64();
        seconds += t;
        texts += corpus.len() * rounds;
        bytes += lang_bytes;
        per_lang.push((
            lang.as_str().to_string(),
            lang_bytes as f64 / 1e6 / t.max(1e-9),
        ));
    }
    Ok(DetectReport {
        texts,
        bytes,
        hits,
        seconds,
        mb_per_s: bytes as f64 / 1e6 / seconds.max(1e-9),
        per_lang,
    })
}
