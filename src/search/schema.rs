//! Index schema and analyzers.

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};

/// Analyzer for running text: Russian then English stemming (safe to chain: each leaves the other
/// script alone).
pub const TEXT_ANALYZER: &str = "ru_en";
/// Analyzer for company names: lowercased, never stemmed ("acme" must not become "acm").
pub const NAME_ANALYZER: &str = "names";

/// Field handles.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub event_id: Field,
    pub kind: Field,
    pub status: Field,
    pub lang: Field,
    pub source: Field,
    pub account_id: Field,
    pub title: Field,
    pub evidence: Field,
    pub companies: Field,
    pub published: Field,
    pub source_kind: Field,
    pub industry: Field,
    pub region: Field,
    pub segment: Field,
}

/// The facet fields: (name in the API, field name in the index).
pub const FACETS: &[&str] = &[
    "kind",
    "status",
    "source_kind",
    "lang",
    "industry",
    "region",
    "segment",
];

fn text(analyzer: &str, stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { o.set_stored() } else { o }
}

/// The schema and its fields.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        event_id: b.add_u64_field("event_id", INDEXED | STORED | FAST),
        // Facets: filtered by term, counted from their columns (FAST).
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED | FAST),
        lang: b.add_text_field("lang", STRING | STORED | FAST),
        source: b.add_text_field("source", STRING | STORED | FAST),
        account_id: b.add_u64_field("account_id", INDEXED | STORED | FAST),
        title: b.add_text_field("title", text(TEXT_ANALYZER, true)),
        evidence: b.add_text_field("evidence", text(TEXT_ANALYZER, true)),
        companies: b.add_text_field("companies", text(NAME_ANALYZER, true)),
        published: b.add_date_field("published", INDEXED | STORED | FAST),
        source_kind: b.add_text_field("source_kind", STRING | FAST),
        industry: b.add_text_field("industry", STRING | FAST),
        region: b.add_text_field("region", STRING | FAST),
        segment: b.add_text_field("segment", STRING | FAST),
    };
    (b.build(), fields)
}

/// Registers the analyzers the schema names.
pub fn register_tokenizers(index: &Index) {
    let ru_en = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::Russian))
        .filter(Stemmer::new(Language::English))
        .build();
    let names = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build();
    index.tokenizers().register(TEXT_ANALYZER, ru_en);
    index.tokenizers().register(NAME_ANALYZER, names);
}
