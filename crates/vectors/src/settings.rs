//! Index settings: dimensions, quantization and HNSW graph parameters.

use std::fmt;
use std::str::FromStr;

use crate::VectorError;

/// How vectors are stored inside the approximate index. Queries and inserts are always
/// `f32`; the index converts.
///
/// Measured recall@10 against the exact f32 search on 10k clustered 512-d unit vectors
/// (see the crate docs): F32 and F16 are indistinguishable (≥ 0.994); I8 loses a little
/// (0.982).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Quantization {
    /// 4 bytes per dimension. Exact scores; the baseline.
    F32,
    /// 2 bytes per dimension: half the memory of F32 for no measurable recall loss on unit
    /// vectors. The default.
    #[default]
    F16,
    /// 1 byte per dimension. Each vector is scaled so its largest component maps to ±127
    /// (cosine ignores scale), which keeps far more precision than USearch's own f32→i8
    /// cast (scaled by the L2 norm and truncated).
    I8,
}

impl Quantization {
    /// Every variant, for tests and settings screens.
    pub const ALL: [Quantization; 3] = [Quantization::F32, Quantization::F16, Quantization::I8];

    /// The lower-case name used in settings and files: "f32", "f16", "i8".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::I8 => "i8",
        }
    }

    /// Bytes of storage per dimension.
    pub fn bytes_per_dimension(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
            Self::I8 => 1,
        }
    }

    pub(crate) fn scalar_kind(self) -> usearch::ScalarKind {
        match self {
            Self::F32 => usearch::ScalarKind::F32,
            Self::F16 => usearch::ScalarKind::F16,
            Self::I8 => usearch::ScalarKind::I8,
        }
    }

    /// Stable code stored in the index file footer. Never renumber.
    pub(crate) fn code(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::I8 => 2,
        }
    }

    pub(crate) fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(Self::F32),
            1 => Some(Self::F16),
            2 => Some(Self::I8),
            _ => None,
        }
    }
}

impl fmt::Display for Quantization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text given to [`Quantization::from_str`] names no quantization.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown quantization {input:?}: expected \"f32\", \"f16\" or \"i8\"")]
pub struct ParseQuantizationError {
    /// The text that was given.
    pub input: String,
}

impl FromStr for Quantization {
    type Err = ParseQuantizationError;

    /// Parses "f32", "f16" or "i8", ignoring ASCII case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        Self::ALL
            .into_iter()
            .find(|q| q.as_str().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| ParseQuantizationError {
                input: s.to_owned(),
            })
    }
}

/// Settings of a [`crate::VectorIndex`].
///
/// `dim` and `quantization` are fixed for the life of an index file (a mismatch at load
/// is [`VectorError::SettingsMismatch`]); `connectivity` is baked into the graph when it is
/// built (a loaded index keeps the file's); the expansions are runtime knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexSettings {
    /// Dimensions of every vector (e.g. 512 for CLIP ViT-B/32).
    pub dim: usize,
    /// Storage type of the vectors.
    pub quantization: Quantization,
    /// HNSW `M`: neighbours kept per node. More = better recall, more memory, slower inserts.
    pub connectivity: usize,
    /// HNSW `efConstruction`: candidates considered when inserting.
    pub expansion_add: usize,
    /// HNSW `ef`: candidates considered when searching (raised to `limit` when smaller).
    /// With [`IndexSettings::expansion_scales_with_size`], the value for indexes of up to
    /// [`IndexSettings::EXPANSION_STEP`] vectors.
    pub expansion_search: usize,
    /// Doubles `expansion_search` as the index grows (see
    /// [`IndexSettings::expansion_search_for`]): an HNSW walk with a fixed `ef` finds fewer
    /// of the true neighbours in a bigger graph.
    pub expansion_scales_with_size: bool,
}

impl IndexSettings {
    /// Default HNSW connectivity (USearch's own default).
    pub const DEFAULT_CONNECTIVITY: usize = 16;
    /// Default insert-time expansion (USearch's own default).
    pub const DEFAULT_EXPANSION_ADD: usize = 128;
    /// Default search-time expansion. USearch's default is 64. On clustered CLIP-like
    /// test data F16 reaches recall@10 ≥ 0.98 from 16 up; 128 keeps a margin for real
    /// embeddings, which are less cleanly clustered, for a few milliseconds per search at
    /// 10k vectors (figures in the crate docs).
    pub const DEFAULT_EXPANSION_SEARCH: usize = 128;

    /// Index size up to which `expansion_search` is used as it is; it doubles at 2x and 4x
    /// this size. Measured on clustered 512-d vectors, F16, connectivity 16 (figures in
    /// docs/BENCHMARKS.md): recall@10 at 1M vectors is 0.94 with expansion 128, 0.97 with
    /// 256 and 0.99 with 512; at 100k, 128 already gives 0.99.
    pub const EXPANSION_STEP: usize = 250_000;

    /// The search expansion used for an index holding `len` vectors: `expansion_search`
    /// up to [`IndexSettings::EXPANSION_STEP`] vectors, twice that up to twice the step,
    /// four times beyond (when `expansion_scales_with_size`).
    pub fn expansion_search_for(&self, len: usize) -> usize {
        if !self.expansion_scales_with_size {
            return self.expansion_search;
        }
        let factor = match len.div_ceil(Self::EXPANSION_STEP) {
            0 | 1 => 1,
            2 => 2,
            _ => 4,
        };
        self.expansion_search.saturating_mul(factor)
    }

    /// Settings for `dim`-dimensional vectors with the measured defaults: F16 storage,
    /// connectivity 16, expansion 128 on insert and on search (scaled with size).
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            quantization: Quantization::default(),
            connectivity: Self::DEFAULT_CONNECTIVITY,
            expansion_add: Self::DEFAULT_EXPANSION_ADD,
            expansion_search: Self::DEFAULT_EXPANSION_SEARCH,
            expansion_scales_with_size: true,
        }
    }

    /// The same settings with another quantization.
    pub fn with_quantization(self, quantization: Quantization) -> Self {
        Self {
            quantization,
            ..self
        }
    }

    /// Checks the values USearch would otherwise reject with a less clear message (or
    /// accept and misbehave on).
    pub(crate) fn validate(&self) -> Result<(), VectorError> {
        let invalid = |message: String| Err(VectorError::InvalidSettings { message });
        if self.dim == 0 {
            return invalid("dimensions must be at least 1".into());
        }
        if self.dim > MAX_DIMENSIONS {
            return invalid(format!(
                "{} dimensions is more than the supported {MAX_DIMENSIONS}",
                self.dim
            ));
        }
        if self.connectivity < 2 {
            return invalid(format!(
                "connectivity must be at least 2, got {}",
                self.connectivity
            ));
        }
        if self.expansion_add == 0 || self.expansion_search == 0 {
            return invalid("expansions must be at least 1".into());
        }
        Ok(())
    }

    pub(crate) fn usearch_options(&self) -> usearch::IndexOptions {
        // `IndexOptions::default()` is 256-d BF16: set every field explicitly.
        usearch::IndexOptions {
            dimensions: self.dim,
            metric: usearch::MetricKind::Cos,
            quantization: self.quantization.scalar_kind(),
            connectivity: self.connectivity,
            expansion_add: self.expansion_add,
            expansion_search: self.expansion_search,
            multi: false,
        }
    }
}

/// Upper bound on dimensions: far above any embedding model, low enough that a garbage
/// value can never make USearch allocate absurd per-thread buffers.
const MAX_DIMENSIONS: usize = 65_536;

#[cfg(test)]
mod expansion_tests {
    use super::IndexSettings;

    #[test]
    fn search_expansion_doubles_with_size_when_asked() {
        let s = IndexSettings::new(512);
        let step = IndexSettings::EXPANSION_STEP;
        let base = s.expansion_search;
        assert_eq!(s.expansion_search_for(0), base);
        assert_eq!(s.expansion_search_for(step), base);
        assert_eq!(s.expansion_search_for(step + 1), 2 * base);
        assert_eq!(s.expansion_search_for(2 * step), 2 * base);
        assert_eq!(s.expansion_search_for(2 * step + 1), 4 * base);
        assert_eq!(s.expansion_search_for(40 * step), 4 * base);
        let fixed = IndexSettings {
            expansion_scales_with_size: false,
            ..s
        };
        assert_eq!(fixed.expansion_search_for(40 * step), base);
    }
}
