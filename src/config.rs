//! `radar.toml` and its environment overrides: one struct, defaults that work, validated at start-up.
//! Every key is documented in `docs/configuration.md`; `trigger-radar init` writes the same file
//! commented.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config value {key} is not valid: {message}")]
    Invalid { key: String, message: String },
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Home of the database, the index and `radar.toml`; other relative paths resolve against it.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or a plain path (relative paths are under `data_dir`), or
    /// `postgres://user:password@host:5432/db` for several processes on several machines.
    pub database_url: String,
    /// PostgreSQL: keep the tables in this schema (created if missing), so several
    /// installations or test runs can share one database.
    pub database_schema: Option<String>,
    /// PostgreSQL: connections in the pool.
    pub database_connections: u32,
    /// The tantivy index directory.
    pub index_dir: PathBuf,
    /// Folders with `*.toml` source definitions (searched recursively).
    pub sources_dirs: Vec<PathBuf>,
    /// Address the web UI and API listen on.
    pub listen: String,
    pub fetch: FetchConfig,
    /// Crawl scheduling: leases, sources crawled at once, near-duplicates.
    pub crawl: CrawlConfig,
    /// Webhook delivery.
    pub deliver: DeliverConfig,
    /// The HTTP API.
    pub api: ApiConfig,
    pub detect: DetectConfig,
    /// Attaching events to accounts.
    #[serde(rename = "match")]
    pub matching: MatchConfig,
    /// Job postings and `hiring_surge`.
    pub postings: PostingsConfig,
    pub score: ScoreConfig,
    pub index: IndexConfig,
}

/// The polite HTTP client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Contact sent in the User-Agent so site owners can reach the operator.
    pub contact: String,
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Bodies larger than this are cut off and the fetch fails.
    pub max_body_bytes: usize,
    /// Pause between two requests to the same host (a host's Crawl-delay can make it longer).
    pub min_host_delay_ms: u64,
    /// Requests in flight at once, over all hosts.
    pub max_concurrency: usize,
    /// Obey robots.txt (rules for `TriggerRadar` or `*`, and Crawl-delay).
    pub obey_robots: bool,
}

/// How crawls share out sources.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlConfig {
    /// Sources crawled at once (each still one request at a time per host).
    pub parallel_sources: usize,
    /// A process holds a source's lease this long, renewing it every third of it while the
    /// crawl runs; the lease of a process that died expires this long after its last renewal
    /// and another process takes the source.
    pub lease_seconds: i64,
    /// Deprecated: `lease_seconds` in minutes (read when set, for old files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_minutes: Option<i64>,
    /// Copies of a story stored this many days back are found and kept as its sources
    /// (0 turns the near-duplicate check off).
    pub near_duplicate_days: i64,
}

/// Webhook delivery: the outbox worker of `serve`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverConfig {
    /// Deliver webhooks in `serve` (off: messages wait in the outbox).
    pub enabled: bool,
    /// Requests in flight at once, over all endpoints.
    pub concurrency: usize,
    /// Requests in flight at once to one endpoint (Bitrix24 endpoints: 1, at most 2 per second).
    pub per_endpoint: usize,
    /// Seconds an endpoint has to answer.
    pub timeout_secs: u64,
    /// A process holds a message this long while delivering it; a message whose process died is
    /// delivered by another after it.
    pub lease_seconds: i64,
    /// How often the outbox is checked for due messages when nothing woke the worker (ms).
    pub poll_ms: u64,
    /// Hosts or addresses allowed although loopback, private or link-local (SSRF guard), e.g.
    /// `["127.0.0.1", "crm.internal"]`.
    pub allow_private: Vec<String>,
    /// After a secret rotation the old secret keeps signing for this many hours.
    pub rotation_grace_hours: i64,
}

impl Default for DeliverConfig {
    fn default() -> Self {
        DeliverConfig {
            enabled: true,
            concurrency: 64,
            per_endpoint: 8,
            timeout_secs: 10,
            lease_seconds: 60,
            poll_ms: 100,
            allow_private: Vec::new(),
            rotation_grace_hours: 24,
        }
    }
}

/// The HTTP API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// A `whsec_…` secret: pushed accounts (`POST /api/accounts`) must then also carry a
    /// Standard Webhooks signature made with it. Prefer the environment variable
    /// `TRIGGER_RADAR_INBOUND_SECRET`.
    pub inbound_secret: Option<String>,
    /// The address users reach this site at (`https://radar.example.com`), for absolute links
    /// in feeds; unset: taken from each request's Host.
    pub public_url: Option<String>,
    /// Require an API token for reads and pages too (writes always need one): the API takes it
    /// as `Authorization: Bearer …`, browsers sign in once at `/login`, feed readers use the
    /// feeds' own keys.
    pub require_token: bool,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            parallel_sources: 8,
            lease_seconds: 120,
            lease_minutes: None,
            near_duplicate_days: 7,
        }
    }
}

/// Detection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Extra rule files (same format as the built-in ones) loaded after them.
    pub rule_files: Vec<PathBuf>,
    /// Extra technology dictionaries (same format as `src/detect/tech.toml`) loaded after it.
    pub tech_files: Vec<PathBuf>,
    /// Events below this confidence are stored but do not enter the score.
    pub min_confidence: f32,
    /// Reports of one kind about one company published this many days apart or closer are one
    /// story (0 turns merging off).
    pub story_window_days: i64,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            rule_files: Vec::new(),
            tech_files: Vec::new(),
            // Background mentions and hedged hits land below 0.5 (see docs/rules.md).
            min_confidence: 0.5,
            story_window_days: crate::store::DEFAULT_STORY_WINDOW_DAYS,
        }
    }
}

/// Account matching.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchConfig {
    /// Mentions below this match confidence are not attached (ambiguous namesakes are attached
    /// flagged, whatever their confidence, and do not count in the score).
    pub min_confidence: f32,
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            min_confidence: 0.5,
        }
    }
}

/// Job postings from job-board sources, and when they make a `hiring_surge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostingsConfig {
    /// Open postings at least this many times the baseline median…
    pub surge_factor: f32,
    /// …and at least this many new postings in the recent window.
    pub surge_min_new: usize,
    /// The recent window, in days.
    pub surge_window_days: i64,
    /// The baseline period (median of daily open postings), in days back from now.
    pub baseline_days: i64,
    /// A board watched for less than this has no baseline yet: no surge.
    pub min_history_days: i64,
}

impl Default for PostingsConfig {
    fn default() -> Self {
        PostingsConfig {
            surge_factor: 2.0,
            surge_min_new: 5,
            surge_window_days: 14,
            baseline_days: 60,
            min_history_days: 30,
        }
    }
}

/// Readiness score (DESIGN §6).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreConfig {
    /// Weight per trigger kind (0–1); kinds not listed use `default_weight`.
    pub weights: BTreeMap<String, f32>,
    pub default_weight: f32,
    /// Half-life in days per kind; kinds not listed use `default_half_life_days`.
    pub half_life_days: BTreeMap<String, f32>,
    pub default_half_life_days: f32,
    /// Score at or above which an account is hot / warm.
    pub hot: u8,
    pub warm: u8,
    /// Kinds that cap the score (risk events) and the cap.
    pub risk_kinds: Vec<String>,
    pub risk_cap: u8,
    /// Ideal customer profile; empty lists match everything.
    pub icp: IcpConfig,
    /// Thresholds of the CRM-internal triggers.
    pub crm: CrmTriggerConfig,
    /// Band colours (CSS) for pages, feeds and the API.
    pub colours: BandColours,
    /// `serve` ages every score (decay, CRM dates coming into range) this often.
    pub decay_every_minutes: u64,
    /// Compute ages against this instant instead of now (RFC 3339), counting only events published
    /// by then; the demo sets it to its data's dates.
    pub as_of: Option<String>,
}

/// When the CRM's own data makes an account ready (the Sellty playbook).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrmTriggerConfig {
    /// `inactive`: no purchase for at least this many days.
    pub inactive_days: i64,
    /// `contract_ending`: the contract ends within this many days.
    pub contract_ending_days: i64,
    /// `usage_limit`: this share of the plan (0–1) or more is used.
    pub usage_limit: f32,
    /// `post_implementation`: this many days after go-live.
    pub post_implementation_days: i64,
}

impl Default for CrmTriggerConfig {
    fn default() -> Self {
        CrmTriggerConfig {
            inactive_days: 90,
            contract_ending_days: 30,
            usage_limit: 0.75,
            post_implementation_days: 30,
        }
    }
}

/// Colours of the readiness bands.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BandColours {
    pub hot: String,
    pub warm: String,
    pub cold: String,
}

impl Default for BandColours {
    fn default() -> Self {
        BandColours {
            hot: "#d93025".into(),
            warm: "#f29900".into(),
            cold: "#5f6368".into(),
        }
    }
}

/// Ideal customer profile used for `fit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IcpConfig {
    pub industries: Vec<String>,
    pub regions: Vec<String>,
    /// Size bands as the CRM writes them ("51-200", "SMB").
    pub sizes: Vec<String>,
    pub min_employees: Option<i64>,
    pub max_employees: Option<i64>,
    /// Technologies the product fits (any one matches), from the CRM or learned from events.
    pub technologies: Vec<String>,
    /// Fit given for each unmet criterion (multiplied).
    pub miss_factor: f32,
}

/// tantivy indexing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Writer memory budget in MB (tantivy needs ≥ 15 MB per indexing thread).
    pub writer_memory_mb: usize,
    /// Commit after this many added documents (and at the end of every crawl).
    pub commit_every: usize,
    /// How often the indexing process reads the change log when nothing woke it (ms): the
    /// delay before a worker's events become searchable.
    pub poll_ms: u64,
    /// A change number that stays missing this long (a rolled-back transaction) is passed.
    pub gap_grace_seconds: u64,
    /// The change log keeps this many days; an index away longer is rebuilt when it returns.
    pub changes_keep_days: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            database_url: "radar.db".into(),
            database_schema: None,
            database_connections: 8,
            index_dir: PathBuf::from("index"),
            sources_dirs: vec![PathBuf::from("sources")],
            listen: "127.0.0.1:8080".into(),
            fetch: FetchConfig::default(),
            crawl: CrawlConfig::default(),
            deliver: DeliverConfig::default(),
            api: ApiConfig::default(),
            detect: DetectConfig::default(),
            matching: MatchConfig::default(),
            postings: PostingsConfig::default(),
            score: ScoreConfig::default(),
            index: IndexConfig::default(),
        }
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            contact: "admin@example.invalid".into(),
            timeout_secs: 30,
            connect_timeout_secs: 10,
            max_body_bytes: 10 * 1024 * 1024,
            min_host_delay_ms: 1_000,
            max_concurrency: 8,
            obey_robots: true,
        }
    }
}

impl Default for ScoreConfig {
    fn default() -> Self {
        let weights = [
            ("acquisition", 0.9),
            ("reorganization", 0.6),
            ("new_facility", 0.85),
            ("expansion", 0.7),
            ("closure", 0.4),
            ("contract_won", 0.6),
            ("contract_lost", 0.8),
            ("executive_hire", 0.8),
            ("executive_departure", 0.5),
            ("funding", 0.75),
            ("ipo", 0.6),
            ("hiring_surge", 0.7),
            ("layoffs", 0.4),
            ("insolvency", 0.0),
            ("legal_risk", 0.1),
            ("product_launch", 0.5),
            ("partnership", 0.5),
            ("tech_change", 0.75),
            ("inactive", 0.5),
            ("contract_ending", 0.8),
            ("usage_limit", 0.7),
            ("post_implementation", 0.6),
        ];
        let half = [
            ("acquisition", 120.0),
            ("new_facility", 180.0),
            ("executive_hire", 90.0),
            ("funding", 120.0),
            ("hiring_surge", 30.0),
            ("contract_lost", 60.0),
            ("inactive", 180.0),
            ("post_implementation", 30.0),
        ];
        ScoreConfig {
            weights: weights.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            default_weight: 0.5,
            half_life_days: half.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            default_half_life_days: 90.0,
            hot: 60,
            warm: 30,
            risk_kinds: vec!["insolvency".into()],
            risk_cap: 20,
            icp: IcpConfig::default(),
            crm: CrmTriggerConfig::default(),
            colours: BandColours::default(),
            decay_every_minutes: 60,
            as_of: None,
        }
    }
}

impl Default for IcpConfig {
    fn default() -> Self {
        IcpConfig {
            industries: Vec::new(),
            regions: Vec::new(),
            sizes: Vec::new(),
            min_employees: None,
            max_employees: None,
            technologies: Vec::new(),
            miss_factor: 0.6,
        }
    }
}

impl CrawlConfig {
    /// How long a source lease lasts without renewal.
    pub fn lease(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.lease_minutes.map_or(self.lease_seconds, |m| m * 60))
    }
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            writer_memory_mb: 50,
            commit_every: 5_000,
            poll_ms: 1_000,
            gap_grace_seconds: 60,
            changes_keep_days: 7,
        }
    }
}

impl Config {
    /// Loads `file` (or `DATA/radar.toml` when it exists), applies `TRIGGER_RADAR_*` environment
    /// overrides, resolves relative paths and validates.
    pub fn load(data_dir: Option<&Path>, file: Option<&Path>) -> Result<Config, ConfigError> {
        let explicit = data_dir
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("TRIGGER_RADAR_DATA").map(PathBuf::from));
        let home = explicit.clone().unwrap_or_else(|| PathBuf::from("data"));
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("TRIGGER_RADAR_CONFIG").map(PathBuf::from))
            .or_else(|| {
                let p = home.join("radar.toml");
                p.exists().then_some(p)
            });
        let mut cfg = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str::<Config>(&text).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        // --data (or TRIGGER_RADAR_DATA) wins over the file's data_dir, so instances can share a file.
        if let Some(d) = explicit {
            cfg.data_dir = d;
        } else if file.is_none() {
            cfg.data_dir = home;
        }
        cfg.apply_env();
        cfg.resolve();
        cfg.validate()?;
        Ok(cfg)
    }

    /// A default configuration rooted at `data_dir` (tests and the demo use this).
    pub fn for_data_dir(data_dir: &Path) -> Config {
        let mut cfg = Config {
            data_dir: data_dir.to_path_buf(),
            ..Config::default()
        };
        cfg.resolve();
        cfg
    }

    fn apply_env(&mut self) {
        if let Ok(v) = std::env::var("TRIGGER_RADAR_DATABASE_URL") {
            self.database_url = v;
        }
        if let Ok(v) = std::env::var("TRIGGER_RADAR_DATABASE_SCHEMA")
            && !v.trim().is_empty()
        {
            self.database_schema = Some(v);
        }
        if let Ok(v) = std::env::var("TRIGGER_RADAR_LISTEN") {
            self.listen = v;
        }
        if let Ok(v) = std::env::var("TRIGGER_RADAR_CONTACT") {
            self.fetch.contact = v;
        }
        if let Ok(v) = std::env::var("TRIGGER_RADAR_INBOUND_SECRET")
            && !v.trim().is_empty()
        {
            self.api.inbound_secret = Some(v);
        }
    }

    fn resolve(&mut self) {
        let base = self.data_dir.clone();
        let abs = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        self.index_dir = abs(&self.index_dir);
        if !self.database_url.contains("://") {
            let p = abs(Path::new(&self.database_url));
            self.database_url = format!("sqlite://{}", p.display());
        }
        // sources_dirs stay relative to the working directory: they are the user's own files,
        // usually kept in the repository next to radar.toml rather than in the data folder.
    }

    /// Checks values that would otherwise fail late.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        if self.database_url.contains("://")
            && !self.database_url.starts_with("sqlite://")
            && !self.is_postgres()
        {
            return Err(bad(
                "database_url",
                "use sqlite://PATH (or a file path) or postgres://user@host:5432/db",
            ));
        }
        if self.crawl.parallel_sources == 0 {
            return Err(bad("crawl.parallel_sources", "must be at least 1"));
        }
        if self.deliver.concurrency == 0 || self.deliver.per_endpoint == 0 {
            return Err(bad(
                "deliver.concurrency / deliver.per_endpoint",
                "must be at least 1",
            ));
        }
        if let Some(s) = &self.api.inbound_secret
            && crate::deliver::sign::key_bytes(s).is_err()
        {
            return Err(bad(
                "api.inbound_secret",
                "must look like whsec_<base64> with at least 16 key bytes",
            ));
        }
        if self.crawl.lease_minutes.is_some_and(|m| m < 1) {
            return Err(bad("crawl.lease_minutes", "must be at least 1"));
        }
        if self.crawl.lease().num_seconds() < 3 {
            return Err(bad("crawl.lease_seconds", "must be at least 3"));
        }
        if self.index.writer_memory_mb < 15 {
            return Err(bad("index.writer_memory_mb", "must be at least 15"));
        }
        if self.score.warm > self.score.hot {
            return Err(bad("score.warm", "must not exceed score.hot"));
        }
        for k in self
            .score
            .weights
            .keys()
            .chain(self.score.half_life_days.keys())
        {
            k.parse::<crate::model::TriggerKind>()
                .map_err(|e| bad("score.weights / score.half_life_days", &e.to_string()))?;
        }
        if !(0.0..=1.0).contains(&self.matching.min_confidence) {
            return Err(bad("match.min_confidence", "must be between 0 and 1"));
        }
        if !(0.0..=10.0).contains(&self.score.crm.usage_limit) {
            return Err(bad(
                "score.crm.usage_limit",
                "must be a share of the plan, e.g. 0.75",
            ));
        }
        if let Some(a) = &self.score.as_of {
            chrono::DateTime::parse_from_rfc3339(a)
                .map_err(|e| bad("score.as_of", &format!("not RFC 3339: {e}")))?;
        }
        Ok(())
    }

    /// Whether `database_url` points to PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://")
    }

    /// The SQLite file behind `database_url`.
    pub fn sqlite_path(&self) -> PathBuf {
        PathBuf::from(self.database_url.trim_start_matches("sqlite://"))
    }
}

/// The commented `radar.toml` that `init` writes; it parses to the defaults.
pub const DEFAULT_TOML: &str = include_str!("../docs/radar.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_validates() {
        let cfg: Config = toml::from_str(DEFAULT_TOML).expect("example config parses");
        assert_eq!(cfg.listen, "127.0.0.1:8080");
        cfg.validate().expect("valid");
    }

    #[test]
    fn example_file_documents_exactly_the_defaults() {
        let from_file: Config = toml::from_str(DEFAULT_TOML).unwrap();
        let a = toml::Value::try_from(&from_file).unwrap();
        let b = toml::Value::try_from(Config::default()).unwrap();
        assert_eq!(a, b, "docs/radar.example.toml and Config::default() differ");
    }

    #[test]
    fn unknown_kind_in_weights_is_reported() {
        let mut cfg = Config::default();
        cfg.score.weights.insert("merger".into(), 1.0);
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("merger"), "{err}");
    }

    #[test]
    fn relative_paths_resolve_under_data_dir() {
        let cfg = Config::for_data_dir(Path::new("/tmp/x"));
        assert_eq!(cfg.database_url, "sqlite:///tmp/x/radar.db");
        assert_eq!(cfg.index_dir, PathBuf::from("/tmp/x/index"));
    }
}
