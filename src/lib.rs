//! Trigger Radar: finds B2B sales trigger events in Russian and English sources, attaches them to the
//! accounts a sales team sells to, and scores each account's readiness to buy.
//!
//! The modules follow the pipeline: [`sources`] → [`fetch`] → [`extract`] → [`detect`] → [`accounts`]
//! (matching) → [`store`] / [`search`] → [`score`] → [`web`]. [`pipeline`] drives one crawl through
//! them, [`app`] wires them to a configuration, [`schedule`] repeats crawls, [`bench`] measures them.

pub mod accounts;
pub mod app;
pub mod bench;
pub mod config;
pub mod deliver;
pub mod demo;
pub mod detect;
pub mod extract;
pub mod fetch;
pub mod model;
pub mod pipeline;
pub mod roles;
pub mod schedule;
pub mod score;
pub mod search;
pub mod sources;
pub mod store;
pub mod text;
pub mod web;

pub use app::App;
pub use config::Config;
