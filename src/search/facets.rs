//! Counts of matching events per facet value (kind, status, source kind, language, industry,
//! region, segment), read from the fields' columns in the same pass as the hits: per segment a
//! counter per term ordinal, turned into strings once at the end.

use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts of one facet's values, most frequent first.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct FacetCounts {
    pub field: String,
    pub values: Vec<(String, u64)>,
}

/// Counts the values of the given string fields over the matching documents.
pub struct FacetCollector {
    pub fields: Vec<&'static str>,
}

/// Documents gathered before their facet values are read in one batch.
const BLOCK: usize = 1024;

/// Per segment: each field's column and a counter per ordinal. Matching documents are gathered
/// and read in blocks: columns with at most one value per document (kind, status, language…)
/// are decoded for the whole block at once, which is most of the cost on broad queries.
pub struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    /// Each column's cardinality: one value per document, at most one, or several.
    cardinality: Vec<Cardinality>,
    counts: Vec<Vec<u32>>,
    docs: Vec<DocId>,
    ords: Vec<u64>,
    maybe: Vec<Option<u64>>,
    rows: Vec<u32>,
    row_docs: Vec<DocId>,
}

impl SegmentFacets {
    fn flush(&mut self) {
        if self.docs.is_empty() {
            return;
        }
        for ((col, counts), card) in self
            .columns
            .iter()
            .zip(self.counts.iter_mut())
            .zip(&self.cardinality)
        {
            let Some(col) = col else { continue };
            let mut count = |o: u64| {
                if let Some(c) = counts.get_mut(o as usize) {
                    *c += 1;
                }
            };
            match card {
                Cardinality::Full => {
                    self.ords.resize(self.docs.len(), 0);
                    col.ords().values.get_vals(&self.docs, &mut self.ords);
                    self.ords.iter().for_each(|o| count(*o));
                }
                Cardinality::Optional => {
                    self.maybe.resize(self.docs.len(), None);
                    col.ords().first_vals(&self.docs, &mut self.maybe);
                    self.maybe.iter().flatten().for_each(|o| count(*o));
                }
                Cardinality::Multivalued => {
                    // Events attached to several accounts: rows of the whole block at once,
                    // then their values in one batch (each event's values are distinct).
                    self.rows.clear();
                    self.row_docs.clear();
                    let ords = col.ords();
                    ords.index
                        .docids_to_rowids(&self.docs, &mut self.row_docs, &mut self.rows);
                    self.ords.resize(self.rows.len(), 0);
                    ords.values.get_vals(&self.rows, &mut self.ords);
                    self.ords.iter().for_each(|o| count(*o));
                }
            }
        }
        self.docs.clear();
    }
}

impl Collector for FacetCollector {
    type Fruit = Vec<FacetCounts>;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let mut columns = Vec::with_capacity(self.fields.len());
        let mut counts = Vec::with_capacity(self.fields.len());
        let mut cardinality = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            let col = reader.fast_fields().str(f)?;
            let n = col.as_ref().map_or(0, |c| c.num_terms());
            cardinality.push(
                col.as_ref()
                    .map_or(Cardinality::Multivalued, |c| c.ords().get_cardinality()),
            );
            columns.push(col);
            counts.push(vec![0u32; n]);
        }
        Ok(SegmentFacets {
            columns,
            cardinality,
            counts,
            docs: Vec::with_capacity(if self.fields.is_empty() { 0 } else { BLOCK }),
            ords: Vec::new(),
            maybe: Vec::new(),
            rows: Vec::new(),
            row_docs: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<FacetCounts>>) -> tantivy::Result<Vec<FacetCounts>> {
        let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); self.fields.len()];
        for fruit in fruits {
            for (i, fc) in fruit.into_iter().enumerate() {
                for (v, n) in fc.values {
                    *merged[i].entry(v).or_default() += n;
                }
            }
        }
        Ok(self
            .fields
            .iter()
            .zip(merged)
            .map(|(f, m)| {
                let mut values: Vec<(String, u64)> = m.into_iter().collect();
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                FacetCounts {
                    field: (*f).to_string(),
                    values,
                }
            })
            .collect())
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Vec<FacetCounts>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if self.columns.is_empty() {
            return;
        }
        self.docs.push(doc);
        if self.docs.len() >= BLOCK {
            self.flush();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        if self.columns.is_empty() {
            return;
        }
        for chunk in docs.chunks(BLOCK) {
            self.docs.extend_from_slice(chunk);
            if self.docs.len() >= BLOCK {
                self.flush();
            }
        }
    }

    fn harvest(mut self) -> Vec<FacetCounts> {
        self.flush();
        let mut out = Vec::with_capacity(self.columns.len());
        for (col, counts) in self.columns.into_iter().zip(self.counts) {
            let mut values = Vec::new();
            if let Some(col) = col {
                let mut s = String::new();
                for (ord, n) in counts.into_iter().enumerate() {
                    if n > 0 && col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                        values.push((std::mem::take(&mut s), n as u64));
                    }
                }
            }
            out.push(FacetCounts {
                field: String::new(),
                values,
            });
        }
        out
    }
}
