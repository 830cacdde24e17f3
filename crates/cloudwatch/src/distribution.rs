//! The distribution of a minute's values, for percentile statistics (p99, p50.5...): counts in
//! logarithmic buckets 1 % wide, so a minute of any number of samples takes at most a few
//! hundred buckets, and a percentile is known to within 1 % (CloudWatch's are approximate too).
//! Data sent as StatisticValues has no distribution, and none is kept once a value is negative:
//! CloudWatch offers no percentiles for either.

use serde::{Deserialize, Serialize};

/// Width of a bucket: each is 1 % wider than the one below.
pub const GROWTH: f64 = 1.01;
/// The bucket of zero.
const ZERO: i32 = i32::MIN;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// (bucket, count), sorted by bucket.
    pub buckets: Vec<(i32, f64)>,
}

fn bucket_of(v: f64) -> i32 {
    if v <= 0.0 {
        ZERO
    } else {
        (v.ln() / GROWTH.ln()).floor() as i32
    }
}

/// The value a bucket stands for: its geometric middle.
fn value_of(b: i32) -> f64 {
    if b == ZERO {
        0.0
    } else {
        GROWTH.powf(f64::from(b) + 0.5)
    }
}

impl Distribution {
    /// `count` samples of value `v`; false (and nothing kept) for a negative value.
    pub fn add(&mut self, v: f64, count: f64) -> bool {
        if v < 0.0 || !v.is_finite() {
            return false;
        }
        let b = bucket_of(v);
        match self.buckets.binary_search_by_key(&b, |(k, _)| *k) {
            Ok(i) => {
                if let Some(slot) = self.buckets.get_mut(i) {
                    slot.1 += count;
                }
            }
            Err(i) => self.buckets.insert(i, (b, count)),
        }
        true
    }

    pub fn merge(&mut self, other: &Distribution) {
        for (b, c) in &other.buckets {
            self.add(value_of(*b), *c);
        }
    }

    /// The `p`th percentile (0–100), clamped to the minute's [min, max].
    pub fn percentile(&self, p: f64, min: f64, max: f64) -> Option<f64> {
        let total: f64 = self.buckets.iter().map(|(_, c)| c).sum();
        if total <= 0.0 {
            return None;
        }
        let rank = (p / 100.0 * total).max(f64::MIN_POSITIVE);
        let mut seen = 0.0;
        for (b, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                return Some(value_of(*b).clamp(min, max));
            }
        }
        Some(max)
    }
}

/// A percentile statistic's number: `p99` -> 99.0, `p99.9` -> 99.9; None for anything else.
pub fn percentile_of(stat: &str) -> Option<f64> {
    let n: f64 = stat.strip_prefix('p')?.parse().ok()?;
    ((0.0..=100.0).contains(&n) && stat.len() <= 8).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_within_a_percent() {
        let mut d = Distribution::default();
        for i in 1..=1000 {
            assert!(d.add(f64::from(i), 1.0));
        }
        let p99 = d.percentile(99.0, 1.0, 1000.0).unwrap_or_default();
        assert!((p99 - 990.0).abs() / 990.0 < 0.011, "{p99}");
        let p50 = d.percentile(50.0, 1.0, 1000.0).unwrap_or_default();
        assert!((p50 - 500.0).abs() / 500.0 < 0.011, "{p50}");
        assert_eq!(d.percentile(100.0, 1.0, 1000.0), Some(1000.0));
        assert!(!d.add(-1.0, 1.0));
        assert_eq!(percentile_of("p99.9"), Some(99.9));
        assert_eq!(percentile_of("p101"), None);
        assert_eq!(percentile_of("Sum"), None);
    }
}
