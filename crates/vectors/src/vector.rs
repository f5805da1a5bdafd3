//! Checking and converting incoming vectors before they reach an index.

use crate::{Quantization, VectorError};

/// A vector checked and converted to what the USearch index stores.
pub(crate) enum Prepared {
    /// L2-normalised `f32`; USearch casts it to the storage type (f32 or f16) itself.
    /// Normalising first keeps every component in f16's range whatever the caller's scale.
    Float(Vec<f32>),
    /// Scaled so the largest |component| is 127, then rounded: cosine ignores scale, so
    /// this uses the whole i8 range instead of USearch's L2-scaled, truncating cast.
    Int8(Vec<i8>),
}

impl Prepared {
    pub(crate) fn new(
        quantization: Quantization,
        dim: usize,
        vector: &[f32],
    ) -> Result<Self, VectorError> {
        let unit = normalized(dim, vector)?;
        Ok(match quantization {
            Quantization::F32 | Quantization::F16 => Self::Float(unit),
            Quantization::I8 => Self::Int8(to_i8(&unit)),
        })
    }

    pub(crate) fn add_to(&self, index: &usearch::Index, key: u64) -> Result<(), VectorError> {
        match self {
            Self::Float(v) => index.add(key, v),
            Self::Int8(v) => index.add(key, v),
        }
        .map_err(|e| VectorError::usearch("add", e))
    }

    pub(crate) fn search(
        &self,
        index: &usearch::Index,
        count: usize,
    ) -> Result<usearch::ffi::Matches, VectorError> {
        match self {
            Self::Float(v) => index.search(v, count),
            Self::Int8(v) => index.search(v, count),
        }
        .map_err(|e| VectorError::usearch("search", e))
    }

    pub(crate) fn filtered_search(
        &self,
        index: &usearch::Index,
        count: usize,
        filter: impl Fn(u64) -> bool,
    ) -> Result<usearch::ffi::Matches, VectorError> {
        match self {
            Self::Float(v) => index.filtered_search(v, count, filter),
            Self::Int8(v) => index.filtered_search(v, count, filter),
        }
        .map_err(|e| VectorError::usearch("filtered search", e))
    }
}

/// Checks dimensions and values, and returns the vector scaled to unit length.
pub(crate) fn normalized(dim: usize, vector: &[f32]) -> Result<Vec<f32>, VectorError> {
    if vector.len() != dim {
        return Err(VectorError::DimensionMismatch {
            expected: dim,
            got: vector.len(),
        });
    }
    if vector.iter().any(|x| !x.is_finite()) {
        return Err(VectorError::InvalidVector {
            reason: "it contains NaN or infinity",
        });
    }
    // f64 so that neither large components overflow nor tiny ones vanish when squared.
    let norm = vector
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 {
        return Err(VectorError::InvalidVector {
            reason: "it is all zeros, so it has no direction",
        });
    }
    Ok(vector
        .iter()
        .map(|&x| (f64::from(x) / norm) as f32)
        .collect())
}

fn to_i8(unit: &[f32]) -> Vec<i8> {
    let max_abs = unit.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    // `unit` has norm 1, so max_abs > 0.
    let scale = 127.0 / max_abs;
    unit.iter()
        .map(|&x| (x * scale).round().clamp(-127.0, 127.0) as i8)
        .collect()
}

/// Cosine similarity of two unit vectors.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four partial sums: lets the compiler vectorise, and makes the unoptimised test build
    // of the exact index a few times faster than a plain fold.
    let mut sums = [0.0f32; 4];
    let (a4, a_rest) = a.split_at(a.len() - a.len() % 4);
    let (b4, b_rest) = b.split_at(a4.len());
    for (x, y) in a4.chunks_exact(4).zip(b4.chunks_exact(4)) {
        sums[0] += x[0] * y[0];
        sums[1] += x[1] * y[1];
        sums[2] += x[2] * y[2];
        sums[3] += x[3] * y[3];
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i8_uses_the_full_range_and_keeps_sign() {
        let unit = normalized(4, &[0.5, -0.25, 0.0, 0.1]).expect("valid vector");
        assert_eq!(to_i8(&unit), vec![127, -64, 0, 25]);
    }

    #[test]
    fn normalisation_rejects_zero_nan_and_wrong_length() {
        assert!(matches!(
            normalized(2, &[0.0, 0.0]),
            Err(VectorError::InvalidVector { .. })
        ));
        assert!(matches!(
            normalized(2, &[f32::NAN, 1.0]),
            Err(VectorError::InvalidVector { .. })
        ));
        assert!(matches!(
            normalized(3, &[1.0, 1.0]),
            Err(VectorError::DimensionMismatch {
                expected: 3,
                got: 2
            })
        ));
        let huge = normalized(2, &[3e38, 3e38]).expect("large but finite is valid");
        assert!((dot(&huge, &huge) - 1.0).abs() < 1e-6);
    }
}
