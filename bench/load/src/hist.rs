//! A log-bucketed latency histogram in the HDR style, written by hand.
//!
//! Values (nanoseconds) below 2^7 get one bucket each; above, every power of two is split into
//! 128 equal buckets, so a reported quantile is within 1/128 (< 0.8 %) of the true value. The
//! bucket array is fixed (57 × 128 counters), recording is an index computation and an add,
//! and two histograms merge by adding counters.

const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb - SUB_BITS;
        let mantissa = v >> shift; // in [SUB, 2 * SUB)
        ((shift as u64 + 1) * SUB + (mantissa - SUB)) as usize
    }

    /// The largest value that lands in bucket `idx`.
    fn upper(idx: usize) -> u64 {
        let idx = idx as u64;
        if idx < SUB {
            return idx;
        }
        let shift = idx / SUB - 1;
        let mantissa = SUB + idx % SUB;
        let up = (u128::from(mantissa + 1) << shift) - 1;
        u64::try_from(up).unwrap_or(u64::MAX)
    }

    pub fn record(&mut self, nanos: u64) {
        self.record_n(nanos, 1);
    }

    /// Records `n` values of `nanos` at once (another tool's histogram, read back).
    pub fn record_n(&mut self, nanos: u64, n: u64) {
        if let Some(c) = self.counts.get_mut(Self::index(nanos)) {
            *c += n;
        }
        self.total += n;
        if n > 0 {
            self.min = self.min.min(nanos);
            self.max = self.max.max(nanos);
        }
        self.sum += u128::from(nanos) * u128::from(n);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The value at quantile `q` (0..=1): the upper edge of the bucket holding the
    /// ceil(q·n)-th smallest value, clamped to the observed min and max.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (idx, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::upper(idx).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_tight_and_ordered() {
        let mut last = 0;
        for v in [
            0u64,
            1,
            127,
            128,
            129,
            255,
            256,
            1000,
            1_000_000,
            u64::MAX / 2,
            u64::MAX,
        ] {
            let i = Histogram::index(v);
            assert!(i < BUCKETS, "{v}");
            assert!(i >= last);
            last = i;
            let up = Histogram::upper(i);
            assert!(up >= v, "{v} {up}");
            assert!((up - v) as f64 <= v as f64 / 128.0 + 1.0, "{v} {up}");
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 5_000_000.0).abs() / 5_000_000.0 < 0.01, "{p50}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 9_900_000.0).abs() / 9_900_000.0 < 0.01, "{p99}");
        assert_eq!(h.quantile(1.0), 10_000_000);
        let mut other = Histogram::new();
        other.record(1);
        h.merge(&other);
        assert_eq!(h.count(), 10_001);
        assert_eq!(h.quantile(0.0), 1);
    }
}
