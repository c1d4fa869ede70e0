//! Counts of matching events per facet value (kind, status, source kind, language, industry,
//! region, segment), read from the fields' columns in the same pass as the hits: per segment a
//! counter per term ordinal, turned into strings once at the end.

use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
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

/// Per segment: each field's column and a counter per ordinal.
pub struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
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
        for f in &self.fields {
            let col = reader.fast_fields().str(f)?;
            let n = col.as_ref().map_or(0, |c| c.num_terms());
            columns.push(col);
            counts.push(vec![0u64; n]);
        }
        Ok(SegmentFacets { columns, counts })
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
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Vec<FacetCounts> {
        let mut out = Vec::with_capacity(self.columns.len());
        for (col, counts) in self.columns.into_iter().zip(self.counts) {
            let mut values = Vec::new();
            if let Some(col) = col {
                let mut s = String::new();
                for (ord, n) in counts.into_iter().enumerate() {
                    if n > 0 && col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                        values.push((std::mem::take(&mut s), n));
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
