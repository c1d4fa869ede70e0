//! The shared nouns of the pipeline: what flows from one stage to the next.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A trigger kind of the v1 taxonomy (DESIGN §5). Snake-case names are stable in the API.
///
/// ```
/// use trigger_radar::model::TriggerKind;
/// let k: TriggerKind = "new_facility".parse().unwrap();
/// assert_eq!(k, TriggerKind::NewFacility);
/// assert!("merger".parse::<TriggerKind>().is_err());
/// ```
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    Acquisition,
    Reorganization,
    NewFacility,
    Expansion,
    Closure,
    ContractWon,
    ContractLost,
    ExecutiveHire,
    ExecutiveDeparture,
    Funding,
    Ipo,
    HiringSurge,
    Layoffs,
    Insolvency,
    LegalRisk,
    ProductLaunch,
    Partnership,
    TechChange,
    /// CRM: no purchase for a long time.
    Inactive,
    /// CRM: the contract ends soon.
    ContractEnding,
    /// CRM: the plan is nearly used up.
    UsageLimit,
    /// CRM: a month after go-live, time to review and expand.
    PostImplementation,
}

impl TriggerKind {
    /// Every kind, in taxonomy order: the text kinds, then the CRM kinds.
    pub const ALL: [TriggerKind; 22] = [
        Self::Acquisition,
        Self::Reorganization,
        Self::NewFacility,
        Self::Expansion,
        Self::Closure,
        Self::ContractWon,
        Self::ContractLost,
        Self::ExecutiveHire,
        Self::ExecutiveDeparture,
        Self::Funding,
        Self::Ipo,
        Self::HiringSurge,
        Self::Layoffs,
        Self::Insolvency,
        Self::LegalRisk,
        Self::ProductLaunch,
        Self::Partnership,
        Self::TechChange,
        Self::Inactive,
        Self::ContractEnding,
        Self::UsageLimit,
        Self::PostImplementation,
    ];

    /// The CRM-internal kinds: computed from the account's CRM dates, never detected in text.
    pub const CRM: [TriggerKind; 4] = [
        Self::Inactive,
        Self::ContractEnding,
        Self::UsageLimit,
        Self::PostImplementation,
    ];

    /// Whether the kind comes from CRM data rather than from text.
    pub fn is_crm(self) -> bool {
        Self::CRM.contains(&self)
    }

    /// The stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acquisition => "acquisition",
            Self::Reorganization => "reorganization",
            Self::NewFacility => "new_facility",
            Self::Expansion => "expansion",
            Self::Closure => "closure",
            Self::ContractWon => "contract_won",
            Self::ContractLost => "contract_lost",
            Self::ExecutiveHire => "executive_hire",
            Self::ExecutiveDeparture => "executive_departure",
            Self::Funding => "funding",
            Self::Ipo => "ipo",
            Self::HiringSurge => "hiring_surge",
            Self::Layoffs => "layoffs",
            Self::Insolvency => "insolvency",
            Self::LegalRisk => "legal_risk",
            Self::ProductLaunch => "product_launch",
            Self::Partnership => "partnership",
            Self::TechChange => "tech_change",
            Self::Inactive => "inactive",
            Self::ContractEnding => "contract_ending",
            Self::UsageLimit => "usage_limit",
            Self::PostImplementation => "post_implementation",
        }
    }

    /// A short human label for pages and the "why now" line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Acquisition => "M&A",
            Self::Reorganization => "reorganization",
            Self::NewFacility => "new facility",
            Self::Expansion => "expansion",
            Self::Closure => "closure",
            Self::ContractWon => "contract won",
            Self::ContractLost => "lost a key client",
            Self::ExecutiveHire => "new executive",
            Self::ExecutiveDeparture => "executive left",
            Self::Funding => "funding",
            Self::Ipo => "IPO",
            Self::HiringSurge => "hiring surge",
            Self::Layoffs => "layoffs",
            Self::Insolvency => "insolvency",
            Self::LegalRisk => "legal risk",
            Self::ProductLaunch => "product launch",
            Self::Partnership => "partnership",
            Self::TechChange => "tech change",
            Self::Inactive => "inactive client",
            Self::ContractEnding => "contract ending",
            Self::UsageLimit => "plan nearly used up",
            Self::PostImplementation => "after go-live",
        }
    }
}

impl fmt::Display for TriggerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a kind name that is not in the taxonomy.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown trigger kind `{0}` (expected one of: acquisition, new_facility, executive_hire, … see DESIGN §5)"
)]
pub struct UnknownKind(pub String);

impl FromStr for TriggerKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownKind(s))
    }
}

/// How certain the reported fact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Rumoured,
    Planned,
    Announced,
    Completed,
    Denied,
}

impl EventStatus {
    /// The stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rumoured => "rumoured",
            Self::Planned => "planned",
            Self::Announced => "announced",
            Self::Completed => "completed",
            Self::Denied => "denied",
        }
    }
}

impl FromStr for EventStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rumoured" => Ok(Self::Rumoured),
            "planned" => Ok(Self::Planned),
            "announced" => Ok(Self::Announced),
            "completed" => Ok(Self::Completed),
            "denied" => Ok(Self::Denied),
            other => Err(format!("unknown event status `{other}`")),
        }
    }
}

/// The part a company plays in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The company the event happens to (opens the plant, hires the CEO, loses the client).
    Subject,
    /// The buyer in an acquisition.
    Acquirer,
    /// The company bought, or the other side of a contract or partnership.
    Target,
}

impl Role {
    /// The stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subject => "subject",
            Self::Acquirer => "acquirer",
            Self::Target => "target",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "subject" => Ok(Self::Subject),
            "acquirer" => Ok(Self::Acquirer),
            "target" => Ok(Self::Target),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

/// Text language; only the two the detector has rules for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    /// ISO 639-1 code.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// Parses "ru"/"en" (any case); anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" | "rus" | "russian" => Some(Lang::Ru),
            "en" | "eng" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// One item as a connector read it, before extraction.
#[derive(Debug, Clone, Default)]
pub struct RawItem {
    /// The source's name (its file stem in `sources/`).
    pub source: String,
    /// The item's link, or a stable id when it has none.
    pub url: String,
    pub title: String,
    /// Summary or content, possibly HTML.
    pub body: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Language hint from the source definition.
    pub lang_hint: Option<Lang>,
    /// The stored version stands: its details (the article page, the vacancy, the filing) were
    /// fetched when it was new, and this listing carries only a summary of them.
    pub keep_stored: bool,
    /// Events a structured source states outright (a filing's item numbers, a registry's officer
    /// change): taken as they are instead of reading the text for triggers.
    pub stated: Vec<StatedEvent>,
    /// The company a registry item is about, matched by its identifiers before its name.
    pub company: Option<ItemCompany>,
}

/// An event a registry or filing states, with its own evidence line (which is part of the body).
#[derive(Debug, Clone, PartialEq)]
pub struct StatedEvent {
    pub kind: TriggerKind,
    pub status: EventStatus,
    pub confidence: f32,
    /// The sentence shown as evidence; connectors put it in the item's body too.
    pub evidence: String,
    /// What in the source said so ("8-K Item 2.01", "officer appointed").
    pub cue: String,
}

/// The company a registry item or filing is about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemCompany {
    /// As the registry writes it.
    pub name: String,
    /// `("cik", "0000320193")`, `("inn", …)`: an account with the identifier is the company.
    pub identifiers: Vec<(String, String)>,
    /// The CRM id of the account the source file names for this company.
    pub account: Option<String>,
}

/// Clean text ready for detection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    pub source: String,
    pub url: String,
    pub title: String,
    /// Plain text of the body (no markup).
    pub text: String,
    pub lang: Lang,
    pub published_at: DateTime<Utc>,
    /// Hex SHA-256 of title + text: a changed document is processed again, an unchanged one is skipped.
    pub content_hash: String,
}

/// A company named in an event's evidence sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    /// The name as written.
    pub name: String,
    pub role: Role,
    /// Byte offsets in the detected text.
    pub start: usize,
    pub end: usize,
}

/// The distinct company names of mentions, in order of appearance.
pub fn company_names(mentions: &[Mention]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in mentions {
        if !names.contains(&m.name) {
            names.push(m.name.clone());
        }
    }
    names
}

/// One trigger found in a text by the detector.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TriggerHit {
    pub kind: TriggerKind,
    pub status: EventStatus,
    /// 0–1.
    pub confidence: f32,
    /// The sentence that states the event.
    pub evidence: String,
    /// Byte offsets of the evidence sentence in the detected text.
    pub evidence_start: usize,
    pub evidence_end: usize,
    /// The phrase that fired (for explanations and rule debugging).
    pub cue: String,
    /// Company-like mentions in the sentence, with roles.
    pub mentions: Vec<Mention>,
    /// Money amounts stated in the sentence, as written.
    pub amounts: Vec<String>,
    /// Places stated in the sentence ("in Kaluga region", «в Татарстане»), as written.
    #[serde(default)]
    pub locations: Vec<String>,
    /// Other sentences of the same text that report the same kind (byte spans); their company
    /// mentions are in `mentions` too. One event per kind per text, with all its evidence.
    #[serde(default)]
    pub support: Vec<(usize, usize)>,
    /// The technologies the event is about (`tech_change`: what is adopted or left), from the
    /// technology dictionary; empty for kinds whose rules need none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub technologies: Vec<TechRef>,
}

/// A dictionary technology named by an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TechRef {
    /// Canonical lowercase name ("sap s/4hana", "postgresql", "1с:erp").
    pub name: String,
    pub category: String,
    pub role: TechRole,
}

/// Which side of a change a technology is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TechRole {
    /// Replaced or left ("migrating from Oracle", «переход с 1С:УПП»).
    From,
    /// Adopted ("to PostgreSQL", «внедрение SAP S/4HANA»).
    To,
}

/// What the search index keeps of an account an event is attached to: its id, its name (searched
/// unstemmed) and the firmographics marketers filter and count by.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountTag {
    pub id: i64,
    pub name: String,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub segment: Option<String>,
}

/// A sales account imported from the CRM.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct Account {
    pub id: i64,
    /// The CRM's own id: the upsert key.
    pub crm_id: String,
    /// Which CRM the account came from (`hubspot`, `amocrm`, `bitrix24`, `generic`): webhooks
    /// answer to the same CRM.
    pub crm: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub kpp: Option<String>,
    /// Web domains, lowercase without `www.`; the first is the main one.
    pub domains: Vec<String>,
    pub ticker: Option<String>,
    /// SEC Central Index Key, ten digits with leading zeros.
    pub cik: Option<String>,
    pub country: Option<String>,
    /// Region or city.
    pub region: Option<String>,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    /// Size band as the CRM states it ("51-200", "SMB"), or derived from `employees`.
    pub size: Option<String>,
    /// Annual revenue as the CRM states it.
    pub revenue: Option<String>,
    pub segment: Option<String>,
    /// The SDR who owns the account.
    pub owner: Option<String>,
    /// Technologies the account is known to use (lowercase).
    pub technologies: Vec<String>,
    /// CRM-internal dates and usage that drive the CRM triggers (DESIGN §6, Sellty playbook).
    pub last_purchase: Option<chrono::NaiveDate>,
    pub contract_end: Option<chrono::NaiveDate>,
    /// Share of the paid plan in use (0–1).
    pub usage_ratio: Option<f32>,
    pub go_live: Option<chrono::NaiveDate>,
}

impl Account {
    /// The main web domain.
    pub fn domain(&self) -> Option<&str> {
        self.domains.first().map(String::as_str)
    }
}

/// A detected event as stored, with the document it came from.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    /// The first report of the same real-world event (kind + company + time window); equal to
    /// `id` for a first report. Scoring counts a story once.
    #[serde(default)]
    pub story_id: i64,
    pub kind: TriggerKind,
    pub status: EventStatus,
    pub confidence: f32,
    pub evidence: String,
    pub companies: Vec<String>,
    /// Places the evidence states.
    #[serde(default)]
    pub locations: Vec<String>,
    /// `tech_change`: technologies adopted or left.
    #[serde(default)]
    pub technologies: Vec<TechRef>,
    pub source: String,
    pub url: String,
    pub title: String,
    pub lang: Lang,
    pub published_at: DateTime<Utc>,
    /// Found by the first crawl of its source: history, not news (no alerts).
    #[serde(default)]
    pub baseline: bool,
}

/// An event attached to an account.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountEvent {
    pub event: Event,
    pub account_id: i64,
    pub role: Role,
    pub match_confidence: f32,
    /// What matched (`name:…`, `inn:…`).
    #[serde(default)]
    pub matched_as: String,
    /// Several accounts share the name and the text did not tell which.
    #[serde(default)]
    pub ambiguous: bool,
    pub source_reliability: f32,
}

/// Readiness band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Hot,
    Warm,
    Cold,
}

impl Band {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Hot => "hot",
            Band::Warm => "warm",
            Band::Cold => "cold",
        }
    }
}

/// One line of a readiness explanation: an attached event, or a CRM signal.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contribution {
    /// The event; `None` for a CRM signal.
    pub event_id: Option<i64>,
    /// The event's story (several reports of one event count once).
    #[serde(default)]
    pub story_id: Option<i64>,
    pub kind: TriggerKind,
    /// The share this contribution adds before combination (0–1), as of the score's time.
    pub value: f32,
    /// `value` before time decay: weight · confidence · match · reliability. Decay is recomputed
    /// from it without reading events again.
    #[serde(default)]
    pub base: f32,
    pub weight: f32,
    pub confidence: f32,
    pub match_confidence: f32,
    pub reliability: f32,
    pub age_days: f32,
    pub half_life_days: f32,
    pub evidence: String,
    /// The source's name.
    pub source: String,
    pub url: String,
    pub published_at: DateTime<Utc>,
    /// How many reports of this story the account has (one event told by several outlets or
    /// sentences counts once; the best-scoring report stands for it).
    #[serde(default = "one")]
    pub reports: usize,
}

fn one() -> usize {
    1
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// An account's readiness score with its explanation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Readiness {
    pub account_id: i64,
    /// 0–100.
    pub score: u8,
    pub band: Band,
    /// The band's colour (CSS), from `score.colours`.
    #[serde(default)]
    pub colour: String,
    pub fit: f32,
    /// ICP criteria the account misses (each multiplies `fit` by `icp.miss_factor`).
    #[serde(default)]
    pub fit_misses: Vec<String>,
    /// When the score was computed.
    #[serde(default = "epoch")]
    pub computed_at: DateTime<Utc>,
    /// Set when a risk event capped the score.
    pub capped_by: Option<TriggerKind>,
    /// Strongest first.
    pub contributions: Vec<Contribution>,
    /// One line: the strongest reason to call now.
    pub why_now: String,
    /// Technologies the account's events say it adopts (they count for the ICP fit).
    #[serde(default)]
    pub learned_technologies: Vec<String>,
}
