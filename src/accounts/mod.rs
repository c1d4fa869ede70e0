//! The user's accounts: import from CRM exports, identifiers, and the matcher that attaches
//! detected events to them.

pub mod identifiers;
pub mod import;
pub mod lexicon;
pub mod matcher;
pub mod record;
pub mod tokens;

pub use matcher::{AccountMatch, AccountMention, Matcher, MatcherBuilder};
